"""AutoSampler: which sampler it picks for which problem, and that it runs each phase."""

from __future__ import annotations

from typing import Any

import pytest

import tunecraft as tc
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers import AutoSampler
from tunecraft.samplers.cmaes import GENERATION_KEY as CMA_GEN
from tunecraft.samplers.nsga2 import GENERATION_KEY as NSGA_GEN
from tunecraft.space import Categorical, Dim, Float

MIN = StudyDirection.MINIMIZE


def _history(n: int, space: dict[str, Dim], m: int = 1,
             extra: dict[str, Dim] | None = None) -> History:
    trials = []
    for i in range(n):
        dists = dict(space)
        if extra and i % 2:
            dists.update(extra)
        params = {k: (d.choices[0] if isinstance(d, Categorical) else d.low)
                  for k, d in dists.items()}
        trials.append(FrozenTrial(i, TrialState.COMPLETE, params=params, distributions=dists,
                                  values=tuple(float(i + j) for j in range(m))))
    return History(trials, (MIN,) * m)


FLOATS: dict[str, Dim] = {"a": Float(0, 1), "b": Float(0, 1)}
MIXED: dict[str, Dim] = {**FLOATS, "c": Categorical(("x", "y"))}


@pytest.mark.parametrize("history, expected", [
    (_history(0, FLOATS), "gp"),
    (_history(50, FLOATS), "gp"),
    (_history(300, FLOATS), "cmaes"),
    (_history(300, MIXED), "tpe"),
    (_history(50, MIXED), "gp"),
    (_history(50, FLOATS, extra={"momentum": Float(0, 1)}), "tpe"),  # conditional
    (_history(20, {f"x{i}": Float(0, 1) for i in range(21)}), "tpe"),  # many parameters
    (_history(50, FLOATS, m=2), "tpe"),
    (_history(300, FLOATS, m=2), "nsga2"),
    (_history(300, FLOATS, m=3), "nsga3"),
])
def test_choice(history: History, expected: str) -> None:
    assert AutoSampler(seed=0).choose(history) == expected


def test_runs_through_gp_and_cmaes_phases() -> None:
    study = tc.create_study(sampler=AutoSampler(seed=0, n_startup_trials=5, gp_max_trials=15))
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 0.5) ** 2
                   + t.suggest_float("y", -2, 2) ** 2, n_trials=40)
    assert any(CMA_GEN in t.system_attrs for t in study.trials[15:])
    assert not any(CMA_GEN in t.system_attrs for t in study.trials[:15])
    assert study.best_value < 0.05


def test_multi_objective_phases() -> None:
    sampler = AutoSampler(seed=0, mo_switch=20)
    study = tc.create_study(directions=["minimize", "maximize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
                   n_trials=45)
    assert any(NSGA_GEN in t.system_attrs for t in study.trials[20:])
    assert study.best_trials


def test_validates_arguments() -> None:
    for name in ("n_startup_trials", "gp_max_trials", "max_gp_params", "mo_switch"):
        with pytest.raises(ValueError, match=name):
            AutoSampler(**{name: -1})  # type: ignore[arg-type]


def test_priors_reach_the_startup() -> None:
    from tunecraft.samplers.priors import Around

    sampler = AutoSampler(seed=0, priors={"lr": Around(1e-3, spread=0.02)})
    study = tc.create_study(sampler=sampler)

    def objective(trial: tc.Trial) -> Any:
        return trial.suggest_float("lr", 1e-6, 1.0, log=True) + trial.suggest_float("u", 0, 1)

    study.optimize(objective, n_trials=8)
    lrs = [t.params["lr"] for t in study.trials[1:8]]
    assert all(1e-4 < v < 1e-2 for v in lrs), lrs


def test_auto_sampler_uses_tpe_when_an_extra_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the gp extra the default sampler still works: TPE takes the GP's place."""
    import tunecraft.samplers.auto as auto
    from tunecraft.samplers.tpe import TPESampler

    sampler = auto.AutoSampler(seed=0)
    real_build = sampler._build

    def build(name: str) -> tc.samplers.BaseSampler:
        if name == "gp":
            raise ImportError("'scipy.optimize' is needed; pip install 'tunecraft[gp]'")
        return real_build(name)

    monkeypatch.setattr(sampler, "_build", build)
    study = tc.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.5) ** 2, n_trials=15)
    assert sampler.choose(study.history()) == "gp"
    assert isinstance(sampler._get("gp"), TPESampler)
    assert len(study.get_trials(states=(tc.TrialState.COMPLETE,))) == 15
