"""Names and values from a storage are printed as text: never as Rich markup, never as
terminal control sequences (issue #12, item 7)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import tunecraft
from tests.cli.test_cli import COMMAND, tc
from tunecraft._names import visible
from tunecraft.samplers import RandomSampler

MARKUP = ["[/]", "[/x]", "[link=http://x]y[/link]", "[bold]b :smile:"]
CONTROL = ["\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "\x1b[2J", "a\x00b", "\u202eevil"]
RAW = ("\x1b", "\x00", "\u202e")  # none of these may reach the terminal
INJECTED = "\x1b[2Jz\x00\u202e"
TYPED = "\x1b[2Jz\u202e"  # the same without NUL, which no command-line argument can hold


def _objective(trial: tunecraft.Trial) -> float:
    trial.suggest_categorical("[/x]", MARKUP + CONTROL)
    trial.set_user_attr("\x1b[31mred", "\x1b[2J")
    return trial.suggest_float("[bold]x [/]", 0.0, 1.0)


def _failing(trial: tunecraft.Trial) -> float:
    raise RuntimeError("\x1b[2Jboom [/x]")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A storage whose study names, parameter names, values, attributes and fail reasons
    hold Rich markup and control sequences; one study name with ESC and NUL is written
    straight into the file, as an older tunecraft or another tool could have."""
    db = tmp_path / "t.db"
    for name in [*MARKUP, "evil", "evil2"]:
        study = tunecraft.create_study(storage=str(db), study_name=name,
                                       sampler=RandomSampler(seed=0))
        study.optimize(_objective, n_trials=12)
        study.optimize(_failing, n_trials=1, catch=(RuntimeError,))  # recorded as FAIL
        study.storage.close()
    with sqlite3.connect(db) as conn:
        for old, new in (("evil", INJECTED), ("evil2", TYPED)):
            conn.execute("UPDATE tunecraft_studies SET name = ? WHERE name = ?", (new, old))
    conn.close()
    return tmp_path


def _clean(text: str) -> None:
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached the terminal"


def test_studies_lists_every_name_literally(hostile: Path) -> None:
    out = tc(hostile, "--storage", "t.db", "studies")
    assert out.returncode == 0, out.stderr
    _clean(out.stdout + out.stderr)
    for name in MARKUP:
        assert name in out.stdout
    assert "\\x1b[2Jz\\x00\\u202e" == visible(INJECTED)
    assert visible(INJECTED) in out.stdout  # control characters as visible escapes


@pytest.mark.parametrize("study", MARKUP)
def test_trials_and_best_print_params_and_values_literally(hostile: Path, study: str) -> None:
    trials = tc(hostile, "--storage", "t.db", "trials", study)
    best = tc(hostile, "--storage", "t.db", "best", study)
    for out in (trials, best):
        assert out.returncode == 0, out.stderr
        _clean(out.stdout + out.stderr)
        assert "[/x]" in out.stdout and "[bold]x [/]" in out.stdout
    assert f"Trials of {study!r}" in trials.stdout and f"Best trial of {study!r}" in best.stdout
    shown = {visible(v) for v in MARKUP + CONTROL} | {repr(v) for v in MARKUP + CONTROL}
    assert any(v in trials.stdout for v in shown)
    assert "\\x1b[2J" in trials.stdout or "\\x1b]8;;" in trials.stdout  # visible escapes
    doc = json.loads(tc(hostile, "--storage", "t.db", "best", study, "--json").stdout)
    assert doc["params"]["[/x]"] in MARKUP + CONTROL  # JSON keeps the exact value


def test_a_study_name_with_control_characters_can_be_inspected(hostile: Path) -> None:
    for args in (("trials", TYPED), ("best", TYPED), ("export", TYPED, "--format", "json")):
        out = tc(hostile, "--storage", "t.db", *args)
        assert out.returncode == 0, out.stderr
        _clean(out.stdout + out.stderr)
    missing = tc(hostile, "--storage", "t.db", "trials", "\x1b[2Jnope[/x]")
    assert missing.returncode == 1
    _clean(missing.stderr)
    assert "no study named '\\x1b[2Jnope[/x]'" in missing.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX-only")
def test_export_keeps_exact_data_for_pipes_and_escapes_it_for_terminals(hostile: Path) -> None:
    piped = tc(hostile, "--storage", "t.db", "export", "[/x]")
    assert piped.returncode == 0 and "\x1b[2J" in piped.stdout  # data, byte for byte
    shown = _on_a_terminal(hostile, "--storage", "t.db", "export", "[/x]")
    _clean(shown)
    assert "\\x1b[2J" in shown and "params_[/x]" in shown


def _on_a_terminal(cwd: Path, *args: str) -> str:
    """Run the CLI with stdout on a pseudo-terminal; what it wrote there."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([*COMMAND, *args], cwd=cwd, stdout=slave,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_fail_reasons_and_warnings_are_escaped(project_with_failing_objective: Path) -> None:
    out = tc(project_with_failing_objective, "run", "bad.yaml")
    assert out.returncode == 1
    _clean(out.stdout + out.stderr)
    assert "RuntimeError: \\x1b[2Jboom [/x]" in out.stderr
    assert "Trial 0 failed: RuntimeError: \\x1b[2Jboom [/x]" in out.stderr  # the log line


@pytest.fixture
def project_with_failing_objective(tmp_path: Path) -> Path:
    (tmp_path / "bad.py").write_text(
        "def objective(trial):\n    raise RuntimeError('\\x1b[2Jboom [/x]')\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("objective: bad:objective\nstudy: '[/x]'\nn_trials: 2\n",
                                       encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", ["[/x]", "[/][/]", "[link=http://evil]click[/link]"])
def test_the_progress_bar_prints_the_study_name_literally(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    study = tunecraft.create_study(study_name=name, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2, show_progress_bar=True)
    assert name in capsys.readouterr().out
