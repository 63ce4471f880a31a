"""SamplerContract: the behaviour every tunecraft sampler must show, as a reusable pytest suite.

Subclass it and provide a ``make_sampler`` fixture: a function ``(space, seed) -> sampler``
(the space lets finite samplers such as the grid build their points)::

    class TestMySampler(SamplerContract):
        @pytest.fixture
        def make_sampler(self) -> MakeSampler:
            return lambda space, seed: MySampler(seed=seed)

Class attributes describe what the sampler promises: ``finite`` (it proposes only the points
it enqueues, like the grid, and ``sample_joint`` is never called by a study) and
``same_params_in_parallel`` (trial ``k`` gets the same parameters however many workers run:
true when a trial's parameters depend only on the seed and its number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunecraft.direction import StudyDirection
from tunecraft.exceptions import SearchSpaceExhausted
from tunecraft.history import History
from tunecraft.pruners.base import NopPruner
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Categorical, Dim, Float, Int, Space, encode
from tunecraft.storage.memory import InMemoryStorage
from tunecraft.study.study import Study
from tunecraft.testing._values import contract_settings, exact, on_grid, spaces, unique_name
from tunecraft.trial import Trial

MIN = (StudyDirection.MINIMIZE,)
MakeSampler = Callable[[Space, int], BaseSampler]
"""``make_sampler(space, seed)``: a new sampler seeded with ``seed``, able to serve ``space``."""

_EXAMPLES = contract_settings(max_examples=25)
MIXED: dict[str, Dim] = {
    "lr": Float(1e-5, 1.0, log=True),
    "momentum": Float(0.0, 0.99),
    "dropout": Float(0.0, 0.5, step=0.1),
    "layers": Int(1, 6),
    "width": Int(16, 1024, log=True),
    "batch": Int(16, 256, step=16),
    "act": Categorical(("relu", None, True, 3, 0.5)),
}
"""A mixed space with every kind of dimension, for the tests that use a fixed space."""


def suggest(trial: Trial, name: str, dim: Dim) -> Any:
    """Ask ``trial`` for ``name`` through the public ``suggest_*`` call that matches ``dim``."""
    if isinstance(dim, Float):
        return trial.suggest_float(name, dim.low, dim.high, log=dim.log, step=dim.step)
    if isinstance(dim, Int):
        return trial.suggest_int(name, dim.low, dim.high, log=dim.log, step=dim.step)
    return trial.suggest_categorical(name, list(dim.choices))


def score(space: Space, params: Mapping[str, Any]) -> float:
    """A deterministic objective over any space: distance of the encoding from 0.3."""
    return float(((encode(space, params) - 0.3) ** 2).sum())


def run_study(sampler: BaseSampler, space: Space, n_trials: int, n_jobs: int = 1
              ) -> tuple[FrozenTrial, ...]:
    """Optimise :func:`score` over ``space`` in a fresh in-memory study; returns its trials."""
    storage = InMemoryStorage()
    name = unique_name()
    storage.create_study(name, MIN)
    study = Study(name, storage, sampler, NopPruner())

    def objective(trial: Trial) -> float:
        params = {k: suggest(trial, k, d) for k, d in space.items()}
        return score(space, params)

    study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs, catch=())
    # a finite sampler's points that did not run yet stay WAITING; they are not samples
    return study.get_trials(states=(TrialState.COMPLETE, TrialState.FAIL, TrialState.RUNNING,
                                    TrialState.PRUNED))


class SamplerContract:
    """Tests every sampler must pass. Provide a ``make_sampler`` fixture (see the module)."""

    finite = False
    same_params_in_parallel = True
    n_trials = 12

    # ------------------------------------------------------------------ legality
    @_EXAMPLES
    @given(space=spaces(), seed=st.integers(0, 2**32))
    def test_every_sample_is_legal(self, make_sampler: MakeSampler, space: dict[str, Dim],
                                   seed: int) -> None:
        trials = run_study(make_sampler(space, seed), space, self.n_trials)
        assert trials
        for t in trials:
            assert t.state.name == "COMPLETE", t.fail_reason
            assert set(t.params) == set(space)
            for name, dim in space.items():
                assert on_grid(dim, t.params[name]), (name, dim, t.params[name])

    @_EXAMPLES
    @given(space=spaces(), seed=st.integers(0, 2**32), number=st.integers(0, 300))
    def test_sample_is_pure_and_legal(self, make_sampler: MakeSampler,
                                      space: dict[str, Dim], seed: int, number: int) -> None:
        sampler = make_sampler(space, seed)
        history = History(run_study(sampler, space, 6), MIN)
        if self.finite:  # it samples only its own parameters (one an enqueued trial left open)
            outside = {**space, "not_in_the_grid": Float(0.0, 1.0)}
            with pytest.raises(ValueError, match="not in the"):
                sampler.sample_joint(outside, history, sampler.rng(number), number)
        for sub in (dict(space), dict([next(iter(space.items()))])):
            first, attrs = sampler.sample_joint(sub, history, sampler.rng(number), number)
            again, attrs_again = sampler.sample_joint(sub, history, sampler.rng(number), number)
            assert exact(first) == exact(again)  # a function of its inputs only
            # (keys only: CMA-ES's state blob carries cmaes's uninitialised history buffer)
            assert isinstance(attrs, dict) and set(attrs) == set(attrs_again)
            assert all(isinstance(k, str) for k in attrs)
            assert set(first) == set(sub)
            for name, dim in sub.items():
                assert on_grid(dim, first[name]), (name, dim, first[name])
            # the single-dimension call a suggest_* outside the joint proposal makes
            alone = sampler.sample(sub, history, sampler.rng(number), number)
            assert exact(alone) == exact(first) or type(sampler).sample is not \
                BaseSampler.sample

    def test_empty_space_samples_nothing(self, make_sampler: MakeSampler) -> None:
        sampler = make_sampler(MIXED, 0)
        history = History((), MIN)
        assert sampler.sample_joint({}, history, sampler.rng(0), 0)[0] == {}
        assert sampler.sample({}, history, sampler.rng(0), 0) == {}

    def test_categorical_samples_are_the_choices_themselves(
            self, make_sampler: MakeSampler) -> None:
        space: dict[str, Dim] = {"c": Categorical((None, True, 0, 0.5, "a", -2.5))}
        trials = run_study(make_sampler(space, 1), space, 20)
        seen = [t.params["c"] for t in trials]
        assert all(on_grid(space["c"], v) for v in seen), seen
        assert len({exact(v) for v in seen}) >= 2  # it explores, not one value forever

    def test_single_valued_dimensions(self, make_sampler: MakeSampler) -> None:
        space: dict[str, Dim] = {"f": Float(2.5, 2.5), "i": Int(-3, -3),
                                 "c": Categorical(("only",)), "s": Float(1.0, 1.0, step=0.5)}
        for t in run_study(make_sampler(space, 3), space, 4):
            assert exact(dict(t.params)) == exact({"f": 2.5, "i": -3, "c": "only", "s": 1.0})

    def test_nearly_single_valued_dimensions(self, make_sampler: MakeSampler) -> None:
        space: dict[str, Dim] = {"log": Float(9.0, 9.000000000000002, log=True),
                                 "ulp": Float(1.0, 1.0000000000000002),
                                 "pair": Int(5, 6, log=True)}
        trials = run_study(make_sampler(space, 4), space, self.n_trials)
        assert len(trials) == self.n_trials or self.finite
        for t in trials:
            assert all(on_grid(d, t.params[k]) for k, d in space.items()), t.params

    # ------------------------------------------------------------------ reproducibility
    def test_same_seed_gives_the_same_trials(self, make_sampler: MakeSampler) -> None:
        first = run_study(make_sampler(MIXED, 42), MIXED, self.n_trials)
        second = run_study(make_sampler(MIXED, 42), MIXED, self.n_trials)
        assert [exact(dict(t.params)) for t in first] == [exact(dict(t.params)) for t in second]

    def test_trial_generator_depends_on_seed_and_number_only(
            self, make_sampler: MakeSampler) -> None:
        a, b = make_sampler(MIXED, 7), make_sampler(MIXED, 7)
        assert a.rng(5).random(4).tolist() == b.rng(5).random(4).tolist()
        assert a.rng(5).random(4).tolist() != a.rng(6).random(4).tolist()
        assert make_sampler(MIXED, 8).rng(5).random(4).tolist() != a.rng(5).random(4).tolist()

    def test_parallel_workers_get_the_same_params_per_trial_number(
            self, make_sampler: MakeSampler) -> None:
        serial = run_study(make_sampler(MIXED, 11), MIXED, self.n_trials, n_jobs=1)
        threaded = run_study(make_sampler(MIXED, 11), MIXED, self.n_trials, n_jobs=2)
        assert [t.number for t in threaded] == list(range(self.n_trials))
        assert all(on_grid(MIXED[k], v) for t in threaded for k, v in t.params.items())
        if self.same_params_in_parallel:  # else it learns from finished trials: order matters
            assert {t.number: exact(dict(t.params)) for t in serial} == {
                t.number: exact(dict(t.params)) for t in threaded}

    def test_only_a_finite_sampler_runs_out(self, make_sampler: MakeSampler) -> None:
        space: dict[str, Dim] = {"x": Int(0, 2), "c": Categorical(("a", "b"))}
        trials = run_study(make_sampler(space, 5), space, 50)
        if not self.finite:
            assert len(trials) == 50  # repeats are fine; stopping early is not
            return
        assert len(trials) == 6
        assert sorted((t.params["x"], t.params["c"]) for t in trials) == [
            (x, c) for x in range(3) for c in "ab"]
        storage = InMemoryStorage()
        storage.create_study("s", MIN)
        study = Study("s", storage, make_sampler(space, 5), NopPruner())
        for _ in range(6):
            study.tell(study.ask(), 0.0)
        with pytest.raises(SearchSpaceExhausted):
            study.ask()

