"""``sample_joint`` is the one method a sampler implements; ``sample`` is derived from it, and a
sampler written against the old interface (only ``sample``) still runs, with a deprecation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tunecraft as tc
from tunecraft.history import History
from tunecraft.registry import entries
from tunecraft.samplers import CmaEsSampler, RandomSampler, TPESampler
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Space


def objective(trial: tc.Trial) -> float:
    x, y = trial.suggest_float("x", -2.0, 2.0), trial.suggest_float("y", -2.0, 2.0)
    if trial.suggest_categorical("branch", ["a", "b"]) == "a":  # a dimension outside the joint
        return x**2 + y**2 + trial.suggest_float("z_a", 0.0, 1.0)
    return (x - 1) ** 2 + y**2


def params_of(sampler: BaseSampler, n_trials: int = 16) -> list[dict[str, Any]]:
    study = tc.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return [dict(t.params) for t in study.trials]


def test_builtin_samplers_implement_only_sample_joint() -> None:
    for entry in entries("sampler"):
        cls: Any = entry.cls
        assert cls.sample is BaseSampler.sample, f"{cls.__name__} restates sample()"
        assert cls.sample_joint is not BaseSampler.sample_joint, cls


def test_sample_is_sample_joint_without_its_attributes() -> None:
    space: Space = {"x": tc.Float(0.0, 1.0), "n": tc.Int(1, 9)}
    sampler = TPESampler(seed=3)
    history = History((), (tc.StudyDirection.MINIMIZE,))
    values, attrs = sampler.sample_joint(space, history, sampler.rng(4), 4)
    assert attrs == {}
    assert sampler.sample(space, history, sampler.rng(4), 4) == values


def test_a_sample_only_sampler_is_deprecated_and_samples_as_before() -> None:
    with pytest.warns(DeprecationWarning, match=r"Squared overrides sample\(\) but not "
                                                r"sample_joint\(\).*tunecraft 0\.3"):
        class Squared(BaseSampler):
            def sample(self, space: Space, history: History, rng: np.random.Generator,
                       number: int) -> dict[str, Any]:
                return {k: d.from_unit(rng.random() ** 2) for k, d in space.items()}

    class SquaredJoint(BaseSampler):
        def sample_joint(self, space: Space, history: History, rng: np.random.Generator,
                         number: int) -> tuple[dict[str, Any], dict[str, Any]]:
            return {k: d.from_unit(rng.random() ** 2) for k, d in space.items()}, {}

    # (mypy sees the abstract method; the class gets its sample_joint when it is defined)
    assert params_of(Squared(seed=5)) == params_of(SquaredJoint(seed=5))  # type: ignore[abstract]
    assert params_of(Squared(seed=5)) != params_of(RandomSampler(seed=5))  # type: ignore[abstract]


def test_a_wrapping_override_of_sample_applies_once_and_keeps_the_state() -> None:
    calls: list[int] = []
    with pytest.warns(DeprecationWarning, match="Shifted overrides sample"):
        class Shifted(CmaEsSampler):  # wraps a stateful built-in through the old method
            def sample(self, space: Space, history: History, rng: np.random.Generator,
                       number: int) -> dict[str, Any]:
                calls.append(number)
                out = super().sample(space, history, rng, number)
                return {k: (v + 1.0) / 2 if k == "x" else v for k, v in out.items()}

    study = tc.create_study(sampler=Shifted(seed=2, n_startup_trials=2))
    study.optimize(objective, n_trials=10)
    plain = params_of(CmaEsSampler(seed=2, n_startup_trials=2), n_trials=10)
    trials = study.trials
    # the joint proposal and every other suggest go through the override once each
    assert [t.params["x"] for t in trials[:2]] == [(p["x"] + 1.0) / 2 for p in plain[:2]]
    later = [t for t in trials if "proposal" in t.system_attrs and "x" in
             t.system_attrs["proposal"]]
    assert later and all(any(k.startswith("cmaes:") for k in t.system_attrs) for t in later)
    assert len(calls) >= len(trials)


def test_super_sample_without_a_joint_method_names_the_fix() -> None:
    with pytest.warns(DeprecationWarning):
        class Lost(BaseSampler):
            def sample(self, space: Space, history: History, rng: np.random.Generator,
                       number: int) -> dict[str, Any]:
                return super().sample(space, history, rng, number)

    sampler = Lost(seed=0)  # type: ignore[abstract]
    with pytest.raises(NotImplementedError, match="implement sample_joint"):
        sampler.sample({"x": tc.Float(0, 1)}, History((), (tc.StudyDirection.MINIMIZE,)),
                       sampler.rng(0), 0)


def test_super_sample_joint_still_calls_a_subclass_sample() -> None:
    class Both(BaseSampler):  # the old default, reached through super()
        def sample(self, space: Space, history: History, rng: np.random.Generator,
                   number: int) -> dict[str, Any]:
            return {k: d.from_unit(0.25) for k, d in space.items()}

        def sample_joint(self, space: Space, history: History, rng: np.random.Generator,
                         number: int) -> tuple[dict[str, Any], dict[str, Any]]:
            values, attrs = super().sample_joint(space, history, rng, number)
            return values, {**attrs, "mine": 1}

    sampler = Both(seed=0)
    history = History((), (tc.StudyDirection.MINIMIZE,))
    assert sampler.sample_joint({"x": tc.Float(0, 4)}, history, sampler.rng(0), 0) == (
        {"x": 1.0}, {"mine": 1})
