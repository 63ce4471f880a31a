"""End-to-end tests of the ``tunecraft`` command line, run as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tunecraft

REPO = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).parent / "tunecraft"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "tunecraft"]

CONFIG = """\
# the example objective, with a fast sampler and a small budget
objective: quadratic:objective
study: quad
n_trials: 4
seed: 1
sampler: random
pruner: {name: median, n_startup_trials: 2}
space:
  x: {type: float, low: -10.0, high: 10.0}
  y: {type: int, low: -5, high: 5}
  kind: [plain, scaled, shifted]
  scale: {type: float, low: 0.1, high: 10.0, log: true, when: {kind: scaled}}
"""


def tc(cwd: Path, *args: str, env: dict[str, str] | None = None,
       stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    """Run the real entry point in ``cwd`` with a clean environment."""
    full = {k: v for k, v in os.environ.items() if k != "TUNECRAFT_STORAGE"}
    full.update(env or {})
    return subprocess.run([*COMMAND, *args], cwd=cwd, env=full, stdin=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with the example objective and a small config."""
    shutil.copy(REPO / "examples" / "quadratic.py", tmp_path / "quadratic.py")
    (tmp_path / "quad.yaml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def study_trials(path: Path, study: str = "quad") -> tuple[tunecraft.FrozenTrial, ...]:
    return tunecraft.load_study(study_name=study, storage=str(path),
                                sampler=tunecraft.samplers.RandomSampler()).trials


def test_version_and_module_entry_point(tmp_path: Path) -> None:
    out = tc(tmp_path, "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"tunecraft {tunecraft.__version__}"
    mod = subprocess.run([sys.executable, "-m", "tunecraft", "--help"], capture_output=True,
                         text=True, cwd=tmp_path, timeout=60)
    assert mod.returncode == 0
    for command in ("run", "studies", "best", "trials", "export", "delete"):
        assert command in mod.stdout


def test_run_then_inspect_export_and_delete(project: Path) -> None:
    run = tc(project, "run", "quad.yaml")
    assert run.returncode == 0, run.stderr
    assert "Best trial of 'quad'" in run.stdout
    assert "\x1b[" not in run.stdout  # no progress bar or colours when stdout is a pipe
    trials = study_trials(project / "tunecraft.db")
    assert len(trials) == 4 and all(t.state.is_finished() for t in trials)
    for t in trials:  # the declared space was suggested, conditions included
        assert {"x", "y", "kind"} <= set(t.params)
        assert ("scale" in t.params) == (t.params["kind"] == "scaled")

    studies = tc(project, "studies")
    assert studies.returncode == 0 and "quad" in studies.stdout and "minimize" in studies.stdout

    best = tc(project, "best", "quad", "--json")
    assert best.returncode == 0, best.stderr
    doc = json.loads(best.stdout)
    done = [t for t in trials if t.state is tunecraft.TrialState.COMPLETE]
    winner = min(done, key=lambda t: t.values[0] if t.values else 0.0)
    assert winner.values is not None
    assert doc["number"] == winner.number and doc["params"] == dict(winner.params)
    text = tc(project, "best", "quad")
    assert text.returncode == 0 and f"#{winner.number}" in text.stdout

    listing = tc(project, "trials", "quad", "--limit", "2")
    assert listing.returncode == 0 and "(2 of 4)" in listing.stdout
    only = tc(project, "trials", "quad", "--state", "complete")
    assert only.returncode == 0 and f"({len(done)} of 4)" in only.stdout

    exported = tc(project, "export", "quad", "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [int(r["number"]) for r in rows] == [0, 1, 2, 3]
    assert {r["state"] for r in rows} <= {"COMPLETE", "PRUNED"}
    assert float(rows[winner.number]["value"]) == pytest.approx(winner.values[0])
    as_json = tc(project, "export", "quad", "--format", "json")
    doc = json.loads(as_json.stdout)
    assert doc["study_name"] == "quad" and len(doc["trials"]) == 4
    assert doc["trials"][1]["params"] == dict(trials[1].params)
    assert tc(project, "export", "quad", "-o", "out.json").returncode == 0
    assert json.loads((project / "out.json").read_text())["trials"] == doc["trials"]

    refused = tc(project, "delete", "quad")  # stdin is not a terminal: needs --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert len(study_trials(project / "tunecraft.db")) == 4
    deleted = tc(project, "delete", "quad", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert "No studies" in tc(project, "studies").stdout
    closed = tc(project, "delete", "quad", "--yes", stdin=None)
    assert closed.returncode == 1 and "no study named 'quad'" in closed.stderr


def test_running_again_continues_to_the_total(project: Path) -> None:
    first = tc(project, "run", "quad.yaml", "--n-trials", "2")
    assert first.returncode == 0, first.stderr
    assert len(study_trials(project / "tunecraft.db")) == 2
    second = tc(project, "run", "quad.yaml")  # n_trials: 4 in the config
    assert second.returncode == 0, second.stderr
    assert "2 finished; running up to 2 more" in second.stderr
    trials = study_trials(project / "tunecraft.db")
    assert [t.number for t in trials] == [0, 1, 2, 3]
    third = tc(project, "run", "quad.yaml")
    assert third.returncode == 0 and "nothing to run" in third.stderr
    assert len(study_trials(project / "tunecraft.db")) == 4


def test_seeded_runs_are_reproducible_across_processes(project: Path) -> None:
    assert tc(project, "run", "quad.yaml", "--storage", "a.db").returncode == 0
    assert tc(project, "--storage", "b.db", "run", "quad.yaml").returncode == 0
    a, b = study_trials(project / "a.db"), study_trials(project / "b.db")
    assert [dict(t.params) for t in a] == [dict(t.params) for t in b]


def test_storage_flag_env_and_config_precedence(project: Path) -> None:
    body = CONFIG.replace("study: quad\n", "study: quad\nstorage: from_config.db\n")
    (project / "cfg.yaml").write_text(body, encoding="utf-8")
    env = {"TUNECRAFT_STORAGE": "from_env.db"}
    assert tc(project, "run", "cfg.yaml", "--n-trials", "1", env=env).returncode == 0
    assert (project / "from_config.db").exists() and not (project / "from_env.db").exists()
    assert tc(project, "run", "quad.yaml", "--n-trials", "1", env=env).returncode == 0
    assert (project / "from_env.db").exists()
    listed = tc(project, "studies", env=env)
    assert listed.returncode == 0 and "quad" in listed.stdout
    url = f"sqlite:///{project / 'from_config.db'}"
    assert "quad" in tc(project, "studies", "--storage", url).stdout
    missing = tc(project, "studies", "--storage", "absent.db")
    assert missing.returncode == 1 and "no storage at 'absent.db'" in missing.stderr
    assert not (project / "absent.db").exists()  # reading never creates a database


def test_objective_and_config_are_found_next_to_the_config(project: Path) -> None:
    sub = project / "exp"
    sub.mkdir()
    shutil.move(project / "quadratic.py", sub / "quadratic.py")
    (sub / "nested.yaml").write_text(CONFIG.replace("n_trials: 4", "n_trials: 1"),
                                     encoding="utf-8")
    out = tc(project, "run", "exp/nested.yaml")
    assert out.returncode == 0, out.stderr
    assert (project / "tunecraft.db").exists()  # storage paths are relative to the cwd


@pytest.mark.parametrize(("body", "expected"), [
    (CONFIG.replace("  y: {type: int, low: -5, high: 5}",
                    "  y: {type: int, low: abc, high: 5}"),
     "bad.yaml:10: space.y.low: must be an integer, got 'abc'"),
    (CONFIG.replace("n_trials: 4", "n_trials: [4"), "bad.yaml:"),
    (CONFIG.replace("sampler: random", "sampler: {name: random, n_startup_trials: 3}"),
     "bad.yaml:6: sampler.n_startup_trials: RandomSampler has no argument"),
    (CONFIG.replace("quadratic:objective", "quadratic:objectiv"),
     "bad.yaml:2: objective: quadratic has no attribute 'objectiv'; did you mean 'objective'?"),
    (CONFIG.replace("n_trials: 4\n", ""), "bad.yaml:2: set n_trials or timeout"),
])
def test_bad_configs_exit_2_with_one_line_naming_file_and_line(project: Path, body: str,
                                                               expected: str) -> None:
    (project / "bad.yaml").write_text(body, encoding="utf-8")
    out = tc(project, "run", "bad.yaml")
    assert out.returncode == 2
    assert expected in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not (project / "tunecraft.db").exists()


@pytest.mark.parametrize("args", [
    ("run",), ("frobnicate",), ("run", "quad.yaml", "--n-trials", "-1"),
    ("run", "quad.yaml", "--sampler", "tpee"), ("trials", "quad", "--state", "done"),
    ("export", "quad", "-o", "out.txt"),
])
def test_usage_errors_exit_2_with_one_line(project: Path, args: tuple[str, ...]) -> None:
    out = tc(project, *args)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "error" in out.stderr


def test_failures_exit_1(project: Path) -> None:
    assert tc(project, "run", "quad.yaml", "--n-trials", "1").returncode == 0
    missing = tc(project, "best", "nope")
    assert missing.returncode == 1 and "no study named 'nope'" in missing.stderr
    (project / "broken.py").write_text("def objective(trial):\n    raise RuntimeError('boom')\n",
                                       encoding="utf-8")
    (project / "broken.yaml").write_text(CONFIG.replace("quadratic:", "broken:"),
                                         encoding="utf-8")
    failing = tc(project, "run", "broken.yaml", "--study", "broken")
    assert failing.returncode == 1
    assert "All 4 trials of this run failed" in failing.stderr and "boom" in failing.stderr
    (project / "crash.py").write_text("raise ImportError('bad import inside')\n",
                                      encoding="utf-8")
    (project / "crash.yaml").write_text(CONFIG.replace("quadratic:", "crash:"),
                                        encoding="utf-8")
    crashed = tc(project, "run", "crash.yaml")
    assert crashed.returncode == 1
    assert "Traceback" in crashed.stderr and "bad import inside" in crashed.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX-only")
def test_progress_bar_is_shown_on_a_terminal(project: Path) -> None:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([*COMMAND, "run", "quad.yaml"], cwd=project, stdout=slave,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "4/4" in shown and "eta" in shown and "best:" in shown
    assert "Best trial of 'quad'" in shown
