"""Multi-objective studies end to end: directions round-trip through every storage, the
Pareto front as best_trials (feasible only), and multi-objective TPE against random search."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import tunecraft as tc
from tunecraft.history import pareto_mask
from tunecraft.hypervolume import hypervolume
from tunecraft.samplers import AutoSampler, NSGAIISampler, RandomSampler, TPESampler
from tunecraft.storage import InMemoryStorage, SQLStorage, Storage


def accuracy_vs_size(trial: tc.Trial) -> tuple[float, float]:
    """A stand-in for a DL trade-off: accuracy (maximised) against parameter count
    (minimised), with a constraint on the count."""
    width = trial.suggest_int("width", 8, 512, log=True)
    depth = trial.suggest_int("depth", 1, 4)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    size = float(width * width * depth)
    accuracy = 1.0 - 1.0 / math.log2(width * depth + 1) - 0.2 * abs(dropout - 0.2)
    trial.set_constraint([size - 300_000.0])
    return accuracy, size


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Storage]:
    if request.param == "memory":
        yield InMemoryStorage()
        return
    url = (f"sqlite:///{tmp_path / 'mo.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    store = SQLStorage(url)
    yield store
    store.close()


@pytest.mark.parametrize("make", [lambda: TPESampler(seed=0, n_startup_trials=5),
                                  lambda: NSGAIISampler(seed=0, population_size=6),
                                  lambda: AutoSampler(seed=0)],
                         ids=["tpe", "nsga2", "auto"])
def test_round_trip_through_storage(storage: Storage, make: Any) -> None:
    name = f"mo-{id(make)}"
    study = tc.create_study(storage=storage, study_name=name, sampler=make(),
                            directions=["maximize", "minimize"])
    study.optimize(accuracy_vs_size, n_trials=20)
    again = tc.load_study(storage=storage, study_name=name)
    assert [d.value for d in again.directions] == ["maximize", "minimize"]
    assert [t.values for t in again.trials] == [t.values for t in study.trials]
    assert all(isinstance(t.values, tuple) and len(t.values) == 2 for t in again.trials)
    front = again.best_trials
    assert [t.number for t in front] == [t.number for t in study.best_trials]
    assert front and all(t.is_feasible() for t in front)
    # the front: non-dominated among the feasible trials, with accuracy maximised
    feasible = [t for t in again.trials if t.is_feasible()]
    losses = np.array([[-t.values[0], t.values[1]] for t in feasible])
    expected = {t.number for t, keep in zip(feasible, pareto_mask(losses), strict=True) if keep}
    assert {t.number for t in front} == expected
    with pytest.raises(RuntimeError, match="best_trials"):
        _ = again.best_trial
    with pytest.raises(tc.TrialFinishedError):
        again.tell(again.trials[0].number, [0.0, 1.0])
    assert tc.create_study(storage=storage, study_name=name, load_if_exists=True,
                           directions=["maximize", "minimize"]).best_trials == front


def test_load_if_exists_refuses_other_directions() -> None:
    store = InMemoryStorage()
    tc.create_study(storage=store, study_name="s", directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="directions"):
        tc.create_study(storage=store, study_name="s", load_if_exists=True,
                        directions=["minimize", "maximize"])


def zdt1(trial: tc.Trial) -> tuple[float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(5)])
    g = 1 + 9 * x[1:].mean()
    return float(x[0]), float(g * (1 - math.sqrt(x[0] / g)))


def test_multi_objective_tpe_beats_random_search() -> None:
    hv = {}
    for name, sampler in (("tpe", TPESampler(seed=0)), ("random", RandomSampler(seed=0))):
        values = []
        for seed_offset in range(2):
            sampler.seed += seed_offset
            study = tc.create_study(directions=["minimize", "minimize"], sampler=sampler)
            study.optimize(zdt1, n_trials=100)
            values.append(hypervolume([t.values for t in study.best_trials], [1.1, 1.1]))
        hv[name] = float(np.mean(values))
    assert hv["tpe"] > hv["random"] + 0.05, hv
