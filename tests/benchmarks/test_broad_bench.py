"""The broad benchmark suite (benchmarks/broad): problems evaluate, scores are normalised as
documented, and every curve family and multi-fidelity method runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks.broad import curves, stats
from benchmarks.broad.problems import SKLEARN, all_problems, bbob
from tunecraft.system_attrs import ResumeInfo

pytest.importorskip("optuna")


def test_the_suite_has_every_bbob_function_at_three_dims_and_12_sklearn_problems() -> None:
    pytest.importorskip("cocoex")
    problems = all_problems()
    assert sum(p.kind == "bbob" for p in problems.values()) == 72
    assert sum(p.kind == "sklearn" for p in problems.values()) == len(SKLEARN) >= 12
    sphere = bbob(1, 2)
    far = sphere.evaluate({"x0": 5.0, "x1": 5.0})
    near = sphere.evaluate({"x0": 0.0, "x1": 0.0})
    assert math.isfinite(far) and math.isfinite(near) and far != near


def test_scores_put_the_best_known_at_100_and_random_median_at_0() -> None:
    results = {"p": {"tunecraft-random": [3.0, 2.0, 4.0], "a": [1.0, 2.0, 0.0],
                     "b": [9.0, 9.0, 9.0]}}
    sc = stats.scores(results)["p"]
    assert sc["a"].tolist() == pytest.approx([200 / 3, 100 / 3, 100.0])
    assert np.median(sc["tunecraft-random"]) == 0.0
    assert sc["b"].tolist() == [-100.0] * 3  # clipped
    ranks = stats.ranks(results)
    assert ranks["a"] < ranks["tunecraft-random"] < ranks["b"]
    assert stats.wilcoxon([1, 2, 3], [1, 2, 3]) == 1.0
    assert stats.wilcoxon(list(range(10)), [v + 5 for v in range(10)]) < 0.01


@pytest.mark.parametrize("family", curves.FAMILIES + curves.HOLDOUT + curves.UNSEEN)
def test_curve_families_run_for_every_method(family: str) -> None:
    x = (1e-2, 1e-4, 128.0, 0.3)
    values = [curves.error(family, x, t, 0) for t in range(1, curves.R + 1)]
    assert all(0 < v < 2 for v in values)
    if family in ("power", "exp", "crossing", "sigmoid"):
        assert values[-1] < values[0]  # they learn
    for method in curves.METHODS if family in ("power", "diverging") else ():
        run = curves.run_mf(family, method, 0, 2)
        assert run.epochs[-1] >= 2 * curves.R and run.best_at(10**6) < 1.0


def test_the_unseen_families_have_their_shapes() -> None:
    slow_wd, fast_wd = (1e-2, 1e-6, 128.0, 0.3), (1e-2, 1e-2, 128.0, 0.3)
    drop = [curves.error("two-phase", x, 12, 0) - curves.error("two-phase", x, curves.R, 0)
            for x in (slow_wd, fast_wd)]
    assert drop[0] > drop[1] + 0.2  # little weight decay: the second drop comes after 12
    fast, slow = (0.9, 1e-4, 128.0, 0.3), (1e-3, 1e-4, 128.0, 0.3)
    rise = [curves.error("late-overfit", x, curves.R, 0) - curves.error("late-overfit", x, 10, 0)
            for x in (fast, slow)]
    assert rise[0] > 0.2 and rise[1] < 0.05  # fast starters overfit late
    noisy = [curves.error("heavy-noise", fast, t, 0) for t in range(1, curves.R + 1)]
    clean = [curves.error("heavy-noise", fast, t, 0, noise=False) for t in range(1, curves.R + 1)]
    assert 0.05 < float(np.std(np.subtract(noisy, clean))) < 0.15


def test_diverging_curves_rise_for_large_learning_rates() -> None:
    x = (0.9, 1e-4, 128.0, 0.3)
    values = [curves.error("diverging", x, t, 0) for t in range(1, curves.R + 1)]
    assert values[-1] > min(values) + 0.2


def test_a_configuration_scores_its_noise_free_error_at_the_full_budget() -> None:
    x = (0.9, 1e-4, 128.0, 0.3)  # diverges: its asymptote is good, its trained error is not
    assert curves.score("diverging", x, 0) == curves.error("diverging", x, curves.R, 0) == 1.0
    assert curves.final_error(x, 0) < 0.7
    assert curves.score("noisy", x, 0) == curves.score("power", x, 0)


def test_random_epochs_is_the_mean_of_a_geometric_number_of_full_trainings() -> None:
    scores = curves._random_scores("power", 0, 2_000)
    median = float(np.median(scores))
    assert curves.random_epochs("power", 0, median, 2_000) == pytest.approx(2 * curves.R,
                                                                            rel=0.01)
    assert curves.random_epochs("power", 0, float(scores[0]), 2_000) == 2_000 * curves.R
    assert curves.random_epochs("power", 0, float(scores[0]) - 1e-6, 2_000) == math.inf


class _Resumed:
    """The parts of a trial that ``curves._train`` uses: one resumed after epoch 9."""

    resumed_from = ResumeInfo(trial=0, source=0, step=9, checkpoint=None, lineage=0)

    def __init__(self) -> None:
        self.reported: list[int] = []

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float:
        return low

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int:
        return low

    def report(self, value: float, step: int) -> None:
        self.reported.append(step)


def test_a_promoted_trial_trains_only_the_epochs_after_its_pause() -> None:
    run = curves.MFRun("power", "tc-tpe-hyperband-pause", 0)
    ledger = curves._Ledger(run, 10 * curves.R)
    trial = _Resumed()
    curves._train(trial, lambda x, t: curves.error("power", x, t, 0), ledger, lambda: False,
                  RuntimeError, lambda: None)
    assert trial.reported == list(range(10, curves.R + 1))
    assert run.epochs == [curves.R - 9] and run.best[0] < 1.0


def test_a_logged_run_resumes_from_its_log(tmp_path: Path) -> None:
    pytest.importorskip("cocoex")
    from benchmarks.broad.run import single_objective

    log = tmp_path / "runs.jsonl"
    first = single_objective(["bbob-f1-d2"], ["tunecraft-random"], 2, 3, 1, log=log)
    lines = log.read_text().splitlines()
    assert [json.loads(line)[0] for line in lines] == ["tunecraft-random|bbob-f1-d2|0|3",
                                                       "tunecraft-random|bbob-f1-d2|1|3"]
    assert first["bbob-f1-d2"]["tunecraft-random"] == [json.loads(x)[1] for x in lines]
    # a rerun reads seed 0 from the log (edited here to tell it apart) and runs seed 2 only
    log.write_text(json.dumps(["tunecraft-random|bbob-f1-d2|0|3", -1.0]) + "\n" + lines[1]
                   + "\n")
    again = single_objective(["bbob-f1-d2"], ["tunecraft-random"], 3, 3, 1, log=log)
    values = again["bbob-f1-d2"]["tunecraft-random"]
    assert values[:2] == [-1.0, first["bbob-f1-d2"]["tunecraft-random"][1]]
    assert len(log.read_text().splitlines()) == 3 and math.isfinite(values[2])
