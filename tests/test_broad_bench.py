"""The broad benchmark suite (benchmarks/broad): problems evaluate, scores are normalised as
documented, and every curve family and multi-fidelity method runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.broad import curves, stats
from benchmarks.broad.problems import SKLEARN, all_problems, bbob

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


@pytest.mark.parametrize("family", curves.FAMILIES)
def test_curve_families_run_for_every_method(family: str) -> None:
    x = (1e-2, 1e-4, 128.0, 0.3)
    values = [curves.error(family, x, t, 0) for t in range(1, curves.R + 1)]
    assert all(0 < v < 2 for v in values)
    if family in ("power", "exp", "crossing"):
        assert values[-1] < values[0]  # they learn
    for method in curves.METHODS if family in ("power", "diverging") else ():
        run = curves.run_mf(family, method, 0, 2)
        assert run.epochs[-1] >= 2 * curves.R and run.best_at(10**6) < 1.0


def test_diverging_curves_rise_for_large_learning_rates() -> None:
    x = (0.9, 1e-4, 128.0, 0.3)
    values = [curves.error("diverging", x, t, 0) for t in range(1, curves.R + 1)]
    assert values[-1] > min(values) + 0.2
