"""What the CLI tells a person: ``export -o`` says what it wrote, ``worker`` ends with a
readable summary (JSON only with ``--json``), ``best`` labels the trial's run time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tunecraft
from tunecraft.cli.main import main
from tunecraft.samplers import RandomSampler
from tunecraft.testing import objectives

QUADRATIC = "tunecraft.testing.objectives:quadratic"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "s.db")
    study = tunecraft.create_study(storage=path, study_name="quad",
                                   sampler=RandomSampler(seed=0))
    study.optimize(objectives.quadratic, n_trials=3)
    return path


def test_export_to_a_file_says_what_it_wrote(db: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trials.csv"
    assert main(["export", "quad", "--storage", db, "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"wrote {out} (CSV, 3 trials, ") and said.rstrip().endswith("kB)")
    assert out.read_text(encoding="utf-8").count("\n") == 4  # header + 3 trials


def test_best_labels_the_trials_run_time(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["best", "quad", "--storage", db]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Best trial of 'quad': #") and "(the trial ran " in first
    assert first.endswith("s)")


def test_worker_prints_a_summary_and_json_only_when_asked(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["worker", "--storage", db, "--study", "quad", "--objective", QUADRATIC,
            "--n-trials", "2", "--sampler", "random"]
    assert main(args) == 0
    said = capsys.readouterr().out.strip()
    assert said.startswith("tunecraft worker: ran 2 trials of 'quad' (#3, #4): 2 COMPLETE; "
                           "the study's best value is ")
    assert "{" not in said
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"study": "quad", "numbers": [5, 6]}
