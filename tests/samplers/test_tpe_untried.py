"""TPE prefers configurations it has not tried on all-discrete spaces (``tpe/_untried.py``)."""

from __future__ import annotations

import numpy as np

import tunecraft as tc
from tunecraft.samplers import TPESampler
from tunecraft.samplers.tpe._encoding import Columns
from tunecraft.samplers.tpe._untried import untried
from tunecraft.space import Categorical, Dim, Float, Int


def _unit(cols: Columns, values: list[list[float]]) -> np.ndarray:
    """Unit coordinates of grid values, as TPE's table encodes them."""
    v = np.asarray(values, dtype=float)
    x = np.where(cols.log, np.log(v), v)
    return np.asarray((x - cols.lo) / (cols.hi - cols.lo))


def test_marks_seen_grid_points_and_choices_including_log_ints() -> None:
    cols = Columns({"k": Int(1, 25), "n": Int(5, 60, log=True), "w": Categorical(("a", "b"))})
    seen_unit = _unit(cols, [[3, 7], [3, 7], [10, 60]])
    seen_cats = np.array([[0], [1], [1]])
    cand_values = np.array([[3.0, 7.0], [3.0, 7.0], [3.0, 8.0], [10.0, 60.0], [1.0, 5.0]])
    cand_cats = np.array([[1], [0], [1], [0], [0]])
    fresh = untried(cols, cand_values, cand_cats, seen_unit, seen_cats)
    assert fresh is not None
    assert fresh.tolist() == [False, False, True, True, True]


def test_spaces_with_a_continuous_parameter_are_left_alone() -> None:
    cols = Columns({"k": Int(1, 5), "x": Float(0.0, 1.0)})
    assert untried(cols, np.zeros((2, 2)), np.zeros((2, 0), dtype=np.int64),
                   np.zeros((1, 2)), np.zeros((1, 0), dtype=np.int64)) is None


def test_a_study_on_a_small_grid_does_not_repeat_while_candidates_are_new() -> None:
    # 30 configurations, a bowl with its minimum at (k=2, c="b"): without the rule TPE's
    # density piles onto the best grid points and repeats them
    def objective(t: tc.Trial) -> float:
        k = t.suggest_int("k", 0, 9)
        c = t.suggest_categorical("c", ["a", "b", "c"])
        return (k - 2) ** 2 + (0.0 if c == "b" else 3.0)

    repeats = []
    for seed in range(3):
        study = tc.create_study(sampler=TPESampler(seed=seed, n_startup_trials=5))
        study.optimize(objective, n_trials=25)
        configs = [(t.params["k"], t.params["c"]) for t in study.trials]
        repeats.append(len(configs) - len(set(configs)))
        assert study.best_value == 0.0
    # a repeat happens only when all 24 candidates were tried configurations
    assert sum(repeats) <= 3, repeats


def test_startup_trials_form_a_latin_hypercube() -> None:
    # every parameter's unit coordinate has one start-up trial in each 1/10 stratum
    space: dict[str, Dim] = {"x": Float(0.0, 1.0), "lr": Float(1e-5, 1e-1, log=True),
             "c": Categorical(tuple("abcdefghij"))}
    study = tc.create_study(sampler=TPESampler(seed=3, n_startup_trials=10))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float(
        "lr", 1e-5, 1e-1, log=True) * 0 + len(t.suggest_categorical("c", list("abcdefghij"))),
        n_trials=10)
    for name, dim in space.items():
        strata = sorted(int(dim.to_unit(t.params[name]) * 10 - 1e-9) for t in study.trials)
        assert strata == list(range(10)), (name, strata)
    again = tc.create_study(sampler=TPESampler(seed=3, n_startup_trials=10))
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    assert [t.params["x"] for t in again.trials] == [t.params["x"] for t in study.trials]
