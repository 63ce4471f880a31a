"""NSGA-II and NSGA-III: non-dominated sorting, crowding, generations that resume from the
stored trials, constrained domination, and progress on ZDT1 and DTLZ2."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tunecraft as tc
from tunecraft.history import pareto_mask
from tunecraft.hypervolume import hypervolume
from tunecraft.samplers import NSGAIIISampler, NSGAIISampler, RandomSampler
from tunecraft.samplers._dominance import (
    constrained_ranks,
    crowding_distance,
    nondominated_ranks,
)
from tunecraft.samplers.nsga2 import GENERATION_KEY, PARENTS_KEY
from tunecraft.samplers.nsga3 import reference_points


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
                min_size=1, max_size=30))
def test_nondominated_ranks(rows: list[tuple[int, int, int]]) -> None:
    f = np.array(rows, dtype=float)
    ranks = nondominated_ranks(f)
    for i in range(len(f)):
        for j in range(len(f)):
            if ranks[i] == ranks[j]:
                assert not _dominates(f[i], f[j])
        if ranks[i] > 0:  # dominated by some member of the rank before
            assert any(_dominates(f[j], f[i]) for j in np.flatnonzero(ranks == ranks[i] - 1))
    assert np.array_equal(ranks == 0, pareto_mask(f))


def test_constrained_ranks_put_feasible_first_then_less_violation() -> None:
    f = np.array([[5.0, 5.0], [0.0, 0.0], [1.0, 1.0], [np.nan, np.nan]])
    violation = np.array([0.0, 2.0, 0.5, 0.5])
    ranks = constrained_ranks(f, violation)
    assert ranks[0] == 0 and ranks[2] == ranks[3] == 1 and ranks[1] == 2


def test_crowding_distance() -> None:
    f = np.array([[0.0, 4.0], [1.0, 3.0], [2.0, 1.0], [4.0, 0.0]])
    d = crowding_distance(f)
    assert np.isinf(d[0]) and np.isinf(d[3])
    assert d[1] == pytest.approx(2 / 4 + 3 / 4) and d[2] == pytest.approx(3 / 4 + 3 / 4)


@pytest.mark.parametrize("m, p", [(2, 4), (3, 3), (4, 3), (5, 2)])
def test_das_dennis_reference_points(m: int, p: int) -> None:
    refs = reference_points(m, p)
    assert len(refs) == math.comb(p + m - 1, m - 1)
    np.testing.assert_allclose(refs.sum(axis=1), 1.0)


def zdt1(trial: tc.Trial) -> tuple[float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(5)])
    g = 1 + 9 * x[1:].mean()
    return float(x[0]), float(g * (1 - math.sqrt(x[0] / g)))


def dtlz2(trial: tc.Trial) -> tuple[float, float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(5)])
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return ((1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a))


def _hv(study: tc.Study, ref: float) -> float:
    front = np.array([t.values for t in study.best_trials])
    return hypervolume(front, [ref] * front.shape[1])


@pytest.mark.parametrize("objective, sampler, m", [
    (zdt1, NSGAIISampler(seed=0, population_size=20), 2),
    (zdt1, NSGAIISampler(seed=0, population_size=20, crossover="sbx"), 2),
    (dtlz2, NSGAIIISampler(seed=0, population_size=20), 3),
])
def test_beats_random_search(objective: Any, sampler: Any, m: int) -> None:
    hv = {}
    for name, s in (("nsga", sampler), ("random", RandomSampler(seed=0))):
        study = tc.create_study(directions=["minimize"] * m, sampler=s)
        study.optimize(objective, n_trials=240)
        hv[name] = _hv(study, 1.1)
    assert hv["nsga"] > hv["random"] * 1.05, hv


def test_generations_are_tagged_and_resume_in_a_new_process(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'nsga.db'}"
    whole = tc.create_study(directions=["minimize"] * 2,
                            sampler=NSGAIISampler(seed=4, population_size=6))
    whole.optimize(zdt1, n_trials=30)
    first = tc.create_study(storage=url, study_name="s", directions=["minimize"] * 2,
                            sampler=NSGAIISampler(seed=4, population_size=6))
    first.optimize(zdt1, n_trials=17)
    again = tc.load_study(storage=url, study_name="s",
                          sampler=NSGAIISampler(seed=4, population_size=6))
    again.optimize(zdt1, n_trials=13)
    assert [dict(t.params) for t in again.trials] == [dict(t.params) for t in whole.trials]
    # the first trial has no joint space yet (nothing finished): untagged, like generation 0
    assert GENERATION_KEY not in whole.trials[0].system_attrs
    gens = [t.system_attrs[GENERATION_KEY] for t in whole.trials[1:]]
    assert gens == sorted(gens) and gens[0] == 0 and gens[-1] == 4
    starts = [t for t in whole.trials if PARENTS_KEY in t.system_attrs]
    assert [t.system_attrs[GENERATION_KEY] for t in starts] == [1, 2, 3, 4]
    assert all(len(t.system_attrs[PARENTS_KEY]) == 6 for t in starts)


def test_constrained_domination_keeps_the_front_feasible() -> None:
    def objective(trial: tc.Trial) -> tuple[float, float]:
        f1, f2 = zdt1(trial)
        trial.set_constraint([0.3 - f1])  # feasible only where f1 >= 0.3
        return f1, f2

    study = tc.create_study(directions=["minimize"] * 2,
                            sampler=NSGAIISampler(seed=1, population_size=10))
    study.optimize(objective, n_trials=80)
    assert study.best_trials and all(t.values[0] >= 0.3 for t in study.best_trials)
    last = [t for t in study.trials if t.system_attrs.get(GENERATION_KEY) == 7]
    assert np.mean([t.is_feasible() for t in last]) > 0.6  # the population moved to feasibility


@pytest.mark.parametrize("kwargs, match", [
    ({"population_size": 1}, "population_size"),
    ({"mutation_prob": 1.5}, "mutation_prob"),
    ({"crossover": "blx"}, "crossover"),
    ({"swapping_prob": -0.1}, "swapping_prob"),
])
def test_nsga2_validates_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        NSGAIISampler(**kwargs)


def test_nsga3_validates_arguments() -> None:
    with pytest.raises(ValueError, match="dividing_parameter"):
        NSGAIIISampler(dividing_parameter=0)
