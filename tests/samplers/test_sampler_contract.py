"""The sampler contract over every built-in sampler: random, quasi-random, grid and TPE."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tunecraft.history import History
from tunecraft.samplers import GridSampler, QMCSampler, RandomSampler
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Categorical, Dim, Float, Space
from tunecraft.testing import SamplerContract
from tunecraft.testing.sampler_contract import MIN, MakeSampler


def grid_for(space: Space, per_dim: int = 3) -> dict[str, list[Any]]:
    """A small grid of legal values of every dimension (ends and middle, or the choices)."""
    grid: dict[str, list[Any]] = {}
    for name, dim in space.items():
        if isinstance(dim, Categorical):
            values: list[Any] = list(dim.choices[:per_dim])
        else:  # the ends and the middle, without listing a range of a billion integers
            values = [dim.low, dim.snap((dim.low + dim.high) / 2), dim.high]
        unique: list[Any] = []
        for v in values:
            if not any(type(u) is type(v) and u == v for u in unique):
                unique.append(v)
        grid[name] = unique
    return grid


class TestRandomSampler(SamplerContract):
    @pytest.fixture
    def make_sampler(self) -> MakeSampler:
        return lambda space, seed: RandomSampler(seed=seed)


class TestQMCSampler(SamplerContract):
    @pytest.fixture
    def make_sampler(self) -> MakeSampler:
        return lambda space, seed: QMCSampler(space, seed=seed)


class TestQMCSamplerLearningItsSpace(SamplerContract):
    same_params_in_parallel = False  # the space is the first finished trial's

    @pytest.fixture(params=["sobol", "halton"])
    def make_sampler(self, request: pytest.FixtureRequest) -> MakeSampler:
        return lambda space, seed: QMCSampler(qmc_type=request.param, seed=seed)


class TestGridSampler(SamplerContract):
    finite = True

    @pytest.fixture
    def make_sampler(self) -> MakeSampler:
        return lambda space, seed: GridSampler(grid_for(space), seed=seed)


class TestTPESampler(SamplerContract):
    same_params_in_parallel = False  # it learns from finished trials
    n_trials = 14  # past its start-up trials, so the model proposes too

    @pytest.fixture(params=[False, True], ids=["independent", "multivariate"])
    def make_sampler(self, request: pytest.FixtureRequest) -> MakeSampler:
        from tunecraft.samplers.tpe import TPESampler

        def make(space: Space, seed: int) -> BaseSampler:
            sampler: BaseSampler = TPESampler(seed=seed, n_startup_trials=4,
                                              multivariate=request.param)
            return sampler

        return make


def test_grid_sampler_refuses_parameters_outside_its_grid() -> None:
    sampler = GridSampler({"x": [1, 2]})
    with pytest.raises(ValueError, match=r"\['y'\].*add them to the grid"):
        sampler.sample({"y": Float(0, 1)}, History((), MIN), sampler.rng(0), 0)


@pytest.mark.parametrize("bad, match", [
    ({}, "non-empty mapping"),
    ({"x": []}, "at least one choice"),
    ({"x": "abc"}, "must be a list"),
    ({"x": [1, 1.0]}, "duplicates"),
    ({"x": [float("nan")]}, "nan"),
    ({"x": [[1, 2]]}, "None, bool, int, float or str"),
])
def test_grid_sampler_validates_its_grid(bad: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GridSampler(bad)


def test_grid_sampler_takes_numpy_grids() -> None:
    """Grids written with NumPy (np.logspace, np.arange) work and hold Python scalars."""
    import tunecraft as tc

    sampler = GridSampler({"C": np.logspace(-2, 1, 4), "k": [np.int64(1), np.int64(3)]})
    assert sampler.search_space["C"] == pytest.approx((0.01, 0.1, 1.0, 10.0))
    assert all(type(v) is int for v in sampler.search_space["k"])
    study = tc.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_categorical("C", list(sampler.search_space["C"]))
                   * t.suggest_categorical("k", [1, 3]), n_trials=100)
    assert len(study.trials) == 8
    with pytest.raises(ValueError, match="1-D array"):
        GridSampler({"x": np.zeros((2, 2))})


def test_qmc_sampler_validates_its_type() -> None:
    with pytest.raises(ValueError, match="qmc_type"):
        QMCSampler(qmc_type="lattice")  # type: ignore[arg-type]


def test_qmc_points_are_spread_evenly() -> None:
    space: dict[str, Dim] = {"x": Float(0.0, 1.0)}
    from tunecraft.testing.sampler_contract import run_study

    xs = sorted(t.params["x"] for t in run_study(QMCSampler(space, seed=0), space, 16))
    # a scrambled Sobol sequence puts exactly one of its first 16 points in each sixteenth
    assert [int(x * 16) for x in xs] == list(range(16))


@pytest.mark.parametrize("seed", [True, 1.5, "1"])
def test_sampler_seed_is_validated(seed: Any) -> None:
    with pytest.raises(ValueError, match=r"seed=.* must be an int or None"):
        RandomSampler(seed=seed)


def test_unseeded_samplers_differ() -> None:
    assert RandomSampler().seed != RandomSampler().seed
    assert repr(RandomSampler(seed=3)) == "RandomSampler(seed=3)"


class TestGPSampler(SamplerContract):
    same_params_in_parallel = False  # it learns from finished trials
    n_trials = 8  # past its start-up trials, so the model proposes too

    @pytest.fixture
    def make_sampler(self) -> MakeSampler:
        from tunecraft.samplers.gp import GPSampler

        # a small acquisition search: the contract checks legality, not optimisation
        return lambda space, seed: GPSampler(seed=seed, n_startup_trials=4, n_candidates=64,
                                             n_local_search=2)


class TestCmaEsSampler(SamplerContract):
    same_params_in_parallel = False  # generations advance with finished trials
    n_trials = 14  # two generations and more

    @pytest.fixture(params=[True, False], ids=["margin", "no-margin"])
    def make_sampler(self, request: pytest.FixtureRequest) -> MakeSampler:
        from tunecraft.samplers.cmaes import CmaEsSampler

        return lambda space, seed: CmaEsSampler(seed=seed, popsize=4,
                                                with_margin=request.param)


class TestNSGAIISampler(SamplerContract):
    same_params_in_parallel = False  # generations advance with finished trials
    n_trials = 14

    @pytest.fixture(params=["uniform", "sbx"])
    def make_sampler(self, request: pytest.FixtureRequest) -> MakeSampler:
        from tunecraft.samplers.nsga2 import NSGAIISampler

        return lambda space, seed: NSGAIISampler(seed=seed, population_size=4,
                                                 crossover=request.param)


class TestNSGAIIISampler(SamplerContract):
    same_params_in_parallel = False
    n_trials = 14

    @pytest.fixture
    def make_sampler(self) -> MakeSampler:
        from tunecraft.samplers.nsga3 import NSGAIIISampler

        return lambda space, seed: NSGAIIISampler(seed=seed, population_size=4)


class TestAutoSampler(SamplerContract):
    same_params_in_parallel = False
    n_trials = 10

    @pytest.fixture
    def make_sampler(self) -> MakeSampler:
        from tunecraft.samplers.auto import AutoSampler

        # small thresholds, so that a short study passes through GP and CMA-ES
        return lambda space, seed: AutoSampler(seed=seed, n_startup_trials=3, gp_max_trials=6)
