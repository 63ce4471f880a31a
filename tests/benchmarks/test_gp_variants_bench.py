"""benchmarks/broad/gp_variants.py and default_report.py: the GP without the no-repeat rule
equals ours wherever no repeat is proposed, and the report reads logs, aliases and pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tunecraft
from benchmarks.broad.default_report import main as report_main
from benchmarks.broad.gp_variants import RepeatingGP
from tunecraft.samplers import GPSampler
from tunecraft.space import Float

SPACE = {"x": Float(-5.0, 5.0), "y": Float(-5.0, 5.0)}


def test_repeating_gp_equals_ours_where_nothing_repeats() -> None:
    study = tunecraft.create_study(sampler=tunecraft.samplers.RandomSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2 + t.suggest_float("y", -5, 5),
                   n_trials=12)
    history = study.history()
    ours, old = GPSampler(seed=3, n_candidates=128), RepeatingGP(seed=3, n_candidates=128)
    assert ours.sample(SPACE, history, ours.rng(12), 12) == old.sample(
        SPACE, history, old.rng(12), 12)


def test_default_report_aliases_and_pairs(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log.jsonl"
    rows = []
    for s in range(3):
        rows += [[f"tunecraft-random|p|{s}|50", 10.0 + s], [f"optuna-gp|p|{s}|50", 5.0],
                 [f"tunecraft-gp-repeats|p|{s}|50", 4.0 - s]]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report_main(["--log", str(log), "--problems", "p", "--optimizers", "tunecraft-auto",
                 "optuna-gp", "--seeds", "3", "--alias", "tunecraft-auto=tunecraft-gp-repeats"])
    out = capsys.readouterr().out
    assert "| tunecraft-auto | " in out and "| tunecraft-auto vs optuna-gp |" in out
    assert "| 3 / 0 |" in out
