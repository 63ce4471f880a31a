"""Constraints: recorded per trial (``trial.set_constraint``, ``constraints_func``), the best
trial chosen among feasible ones only, samplers steering to feasible regions, and out-of-memory
failures declared infeasible."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tunecraft as tc
from tunecraft.constraints import infeasible_on, is_out_of_memory, oom_as_infeasible
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers import (
    CmaEsSampler,
    GPSampler,
    NSGAIISampler,
    RandomSampler,
    TPESampler,
)
from tunecraft.samplers.tpe._observations import TrialTable
from tunecraft.samplers.tpe._split import INFEASIBLE

BRANIN_MIN = 0.397887357729738


def branin(x0: float, x1: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x1 - b * x0**2 + c * x0 - 6) ** 2 + 10 * (1 - t) * math.cos(x0) + 10


def constrained_branin(trial: tc.Trial) -> float:
    """Branin with the constraint x0 + x1 >= 14: the unconstrained minima at (-pi, 12.275)
    (sum 9.1) and (pi, 2.275) are infeasible; (9.42478, 2.475) (sum 11.9) too. The
    constrained optimum lies on the line x0 + x1 = 14."""
    x0, x1 = trial.suggest_float("x0", -5, 10), trial.suggest_float("x1", 0, 15)
    trial.set_constraint([14.0 - (x0 + x1)])
    return branin(x0, x1)


def _trial(number: int, value: float | None, constraints: list[float] | None,
           state: TrialState = TrialState.COMPLETE) -> FrozenTrial:
    attrs = {} if constraints is None else {"constraints": tuple(constraints)}
    return FrozenTrial(number, state, params={"x": float(number)},
                       distributions={"x": tc.Float(0, 100)},
                       values=None if value is None else (value,), system_attrs=attrs)


def test_best_trial_and_front_among_feasible_only() -> None:
    trials = [_trial(0, 1.0, [0.5]), _trial(1, 2.0, [0.0]), _trial(2, 3.0, None),
              _trial(3, 0.5, [-1.0, 2.0])]
    history = History(trials, (StudyDirection.MINIMIZE,))
    assert history.best_trial() is trials[1]
    assert [t.number for t in history.feasible()] == [1, 2]
    assert [t.number for t in history.best_trials()] == [1]
    assert trials[0].constraints == (0.5,) and trials[2].constraints is None
    assert not trials[3].is_feasible() and trials[1].is_feasible()
    nothing = History([trials[0]], (StudyDirection.MINIMIZE,))
    assert nothing.best_trial() is None


def test_set_constraint_and_constraints_func_are_recorded(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = tc.create_study(storage=url, study_name="c",
                            constraints_func=lambda t: [t.params["x"] - 0.5, -1.0])

    def objective(trial: tc.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 0:
            trial.set_constraint(7.0)  # its own: constraints_func is not called
        return x

    study.optimize(objective, n_trials=12)
    loaded = tc.load_study(storage=url, study_name="c")
    trials = loaded.trials
    assert trials[0].constraints == (7.0,)
    for t in trials[1:]:
        assert t.constraints == pytest.approx((t.params["x"] - 0.5, -1.0))
    assert loaded.best_trial.params["x"] <= 0.5
    assert all(t.is_feasible() for t in loaded.best_trials)


def test_constraints_func_errors_fail_the_trial_and_the_study_goes_on() -> None:
    study = tc.create_study(constraints_func=lambda t: [float("nan")])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2
    assert "constraints_func failed" in (study.trials[0].fail_reason or "")
    with pytest.raises(ValueError, match="has no COMPLETE trial yet"):
        _ = study.best_trial
    infeasible = tc.create_study(constraints_func=lambda t: [1.0])
    infeasible.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(ValueError, match="has no feasible COMPLETE trial yet"):
        _ = infeasible.best_trial


def test_set_constraint_validates() -> None:
    study = tc.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="not NaN"):
        trial.set_constraint([float("nan")])
    with pytest.raises(ValueError, match="must be a number"):
        trial.set_constraint(["high"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="at least one"):
        trial.set_constraint([])
    with pytest.raises(TypeError, match="constraints_func"):
        tc.create_study(constraints_func=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("make, n_trials", [
    (lambda: TPESampler(seed=0), 60),
    (lambda: GPSampler(seed=0, n_candidates=512), 30),
    (lambda: NSGAIISampler(seed=0, population_size=10), 60),
    (lambda: CmaEsSampler(seed=0), 60),
], ids=["tpe", "gp", "nsga2", "cmaes"])
def test_constrained_branin_best_trial_is_feasible(make: Any, n_trials: int) -> None:
    study = tc.create_study(sampler=make(), pruner=tc.pruners.NopPruner())
    study.optimize(constrained_branin, n_trials=n_trials)
    best = study.best_trial
    assert best.is_feasible() and best.params["x0"] + best.params["x1"] >= 14.0
    assert all(t.is_feasible() for t in study.best_trials)


def test_tpe_prefers_the_feasible_region() -> None:
    """Feasible share of the later trials, against random search (about 27% feasible). (The
    GP is tested on the optimum instead: it rightly samples both sides of the boundary where
    the constrained optimum lies.)"""
    shares = {}
    for name, sampler in (("random", RandomSampler(seed=1)), ("tpe", TPESampler(seed=1))):
        study = tc.create_study(sampler=sampler, pruner=tc.pruners.NopPruner())
        study.optimize(constrained_branin, n_trials=60)
        shares[name] = np.mean([t.is_feasible() for t in study.trials[20:]])
    assert shares["tpe"] > shares["random"] + 0.15, shares


def test_gp_finds_the_constrained_optimum() -> None:
    study = tc.create_study(sampler=GPSampler(seed=2), pruner=tc.pruners.NopPruner())
    study.optimize(constrained_branin, n_trials=40)
    # a fine scan of the constraint boundary x0 + x1 = 14 gives the constrained optimum
    x0 = np.linspace(-1, 10, 200001)
    boundary = min(branin(a, 14 - a) for a in x0[(14 - x0 >= 0) & (14 - x0 <= 15)][::50])
    assert study.best_value < boundary + 0.1
    assert study.best_value > BRANIN_MIN


def test_out_of_memory_failures_become_infeasible_observations() -> None:
    def train(trial: tc.Trial) -> float:
        batch = trial.suggest_int("batch", 8, 1024, log=True)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        if batch > 256:
            raise MemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return 1.0 / batch + abs(math.log10(lr) + 2)  # larger batches are better, to a point

    fail_rate = {}
    for name, objective in (("plain", train), ("declared", oom_as_infeasible(train))):
        study = tc.create_study(sampler=TPESampler(seed=0, n_startup_trials=10))
        study.optimize(objective, n_trials=80, catch=(MemoryError,))
        failed = [t for t in study.trials if t.state is TrialState.FAIL]
        fail_rate[name] = np.mean([t.state is TrialState.FAIL for t in study.trials[20:]])
        assert study.best_params["batch"] <= 256
        if name == "declared":
            assert failed and all(t.constraints == (1.0,) for t in failed)
            table = TrialTable(study.history())
            assert all(table.kind[t.number] == INFEASIBLE for t in failed)
        else:
            assert all(t.constraints is None for t in failed)
    # a plain FAIL teaches TPE nothing; a declared one marks the region as bad
    assert fail_rate["declared"] < fail_rate["plain"], fail_rate


def test_is_out_of_memory() -> None:
    class OutOfMemoryError(RuntimeError):  # the name torch.cuda.OutOfMemoryError has
        pass

    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(OutOfMemoryError("x"))
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))
    with pytest.raises(ValueError, match="violation"):
        infeasible_on(is_out_of_memory, violation=0.0)
