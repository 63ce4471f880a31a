"""optimize shows its progress bar in a terminal by default and stays quiet in pipes and tests;
``TUNECRAFT_PROGRESS`` and ``show_progress_bar=`` force it either way."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

import tunecraft
from tunecraft.progress import ENV_VAR, progress_enabled
from tunecraft.samplers import RandomSampler

SCRIPT = """
import sys
import tunecraft
sampler = tunecraft.samplers.RandomSampler(seed=0)
study = tunecraft.create_study(study_name="progress-check", sampler=sampler)
show = {"none": None, "true": True, "false": False}[sys.argv[1]]
study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) ** 2, n_trials=5, show_progress_bar=show)
print("done", flush=True)
"""


def env_with(value: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    if value is not None:
        env[ENV_VAR] = value
    return env


def run_in_terminal(show: str, forced: str | None = None) -> str:
    """Run the script with its stdout on a pseudo-terminal; return what the terminal got."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, show], stdout=child,
                            stderr=subprocess.PIPE, env=env_with(forced))
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    return b"".join(chunks).decode(errors="replace")


def run_in_pipe(show: str, forced: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT, show], capture_output=True, text=True,
                          env=env_with(forced), timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_terminal_shows_the_bar_by_default() -> None:
    out = run_in_terminal("none")
    assert "progress-check" in out and "5/5" in out and "best:" in out
    assert out.rstrip().endswith("done")


def test_a_pipe_stays_quiet_by_default() -> None:
    assert run_in_pipe("none") == "done\n"


@pytest.mark.parametrize("forced", ["1", "true", "on"])
def test_the_environment_variable_forces_the_bar_in_a_pipe(forced: str) -> None:
    out = run_in_pipe("none", forced)
    assert "progress-check" in out and "best:" in out


def test_the_environment_variable_silences_a_terminal() -> None:
    out = run_in_terminal("none", "0")
    assert "best:" not in out and "done" in out


def test_the_argument_wins_over_terminal_and_environment() -> None:
    assert "best:" not in run_in_terminal("false", "1")
    assert "best:" in run_in_pipe("true", "0")


def test_in_process_default_follows_stdout(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert progress_enabled(None) is False  # pytest captures stdout: not a terminal
    study = tunecraft.create_study(study_name="quiet", sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    assert capsys.readouterr().out == ""
    monkeypatch.setenv(ENV_VAR, "yes")
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    assert "quiet" in capsys.readouterr().out


def test_an_unknown_environment_value_says_what_to_set(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    monkeypatch.setenv(ENV_VAR, "maybe")
    with pytest.raises(ValueError, match=r"TUNECRAFT_PROGRESS='maybe' .* set it to 1"):
        progress_enabled(None)
    assert progress_enabled(False) is False
