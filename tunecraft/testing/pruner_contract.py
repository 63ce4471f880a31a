"""PrunerContract: the behaviour every tunecraft pruner must show, as a reusable pytest suite.

Subclass it and provide a ``make_pruner`` fixture: a function ``() -> pruner`` that builds a
new, seeded pruner configured to decide within a short study (the contract's studies run
``n_trials`` trials of ``n_steps`` reports each)::

    class TestMyPruner(PrunerContract):
        @pytest.fixture
        def make_pruner(self) -> MakePruner:
            return lambda: MyPruner(n_startup_trials=2)

Class attributes describe what the pruner promises (its documentation says so):
``direction_aware`` (minimising ``f`` and maximising ``-f`` give the same decisions; False for
pruners with absolute bounds, such as a threshold), ``multi_objective`` (it decides in studies
with several objectives; otherwise ``decide`` refuses them with a ValueError saying
"single-objective") and ``stops_diverged`` (once ``n_warm_trials`` trials have run, a trial
that reports only NaN never completes).

Every pruner is held to the interface of :mod:`tunecraft.pruners.base`: each hook is a pure
function of its arguments (the same answer twice, whatever it was asked before, and from a
pickled copy in another process), never raises or warns on NaN or infinite reports, and
returns well-formed budgets, resume orders and checkpoint sets.
"""

from __future__ import annotations

import math
import pickle
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunecraft.direction import StudyDirection
from tunecraft.exceptions import TrialPruned
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner, Decision
from tunecraft.record import FrozenTrial, TrialState, freeze
from tunecraft.samplers.random import RandomSampler
from tunecraft.storage.memory import InMemoryStorage
from tunecraft.study.study import Study
from tunecraft.system_attrs import (
    BRACKET_KEY,
    BUDGET_KEY,
    PAUSED_KEY,
    paused_step,
    resume_info,
    superseded,
)
from tunecraft.testing._values import contract_settings, unique_name
from tunecraft.trial import Trial

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE
MakePruner = Callable[[], BasePruner]
"""``make_pruner()``: a new pruner, seeded where it draws random numbers."""

_EXAMPLES = contract_settings(max_examples=12)
_AWKWARD = (math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308, -1e308, 5e-324)
_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.FAIL)


# ---------------------------------------------------------------------- histories
@dataclass(frozen=True, slots=True)
class TrialSpec:
    """A trial of a synthetic history: its reports (one tuple per step), state and whether
    it was paused (PRUNED with a ``paused`` step, waiting for a promotion)."""

    reports: dict[int, tuple[float, ...]]
    state: TrialState
    paused: bool = False


def reports(n_objectives: int) -> st.SearchStrategy[dict[int, tuple[float, ...]]]:
    """Learning curves: up to 8 steps of any floats, NaN and infinities drawn often."""
    value = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(_AWKWARD)
    vector = st.tuples(*[value] * n_objectives)
    return st.dictionaries(st.integers(0, 12), vector, max_size=8)


def trial_specs(n_objectives: int) -> st.SearchStrategy[list[TrialSpec]]:
    """Up to 10 finished or running trials, then the running trial to decide (the last)."""
    other = st.builds(TrialSpec, reports(n_objectives), st.sampled_from(_STATES), st.booleans())
    mine = st.builds(TrialSpec, reports(n_objectives), st.just(TrialState.RUNNING))
    return st.tuples(st.lists(other, max_size=10), mine).map(lambda p: [*p[0], p[1]])


def build_history(pruner: BasePruner, specs: Sequence[TrialSpec],
                  directions: Sequence[StudyDirection]) -> History:
    """The history a study would hold: trial ``i`` got the budget ``pruner.allocate(i, ...)``
    gave it when it started, recorded as the study records it."""
    trials: list[FrozenTrial] = []
    m = len(directions)
    for number, spec in enumerate(specs):
        attrs: dict[str, Any] = {}
        budget = pruner.allocate(number, History(trials, tuple(directions)))
        if budget is not None:
            attrs[BUDGET_KEY], attrs[BRACKET_KEY] = budget.to_json(), budget.bracket
        steps = sorted(spec.reports)
        if spec.state is TrialState.PRUNED and spec.paused and steps:
            attrs[PAUSED_KEY] = steps[-1]
        values = None
        if spec.state is TrialState.COMPLETE:
            values = spec.reports[steps[-1]] if steps else (0.0,) * m
        curve = {s: spec.reports[s] for s in steps}
        trials.append(FrozenTrial(
            number=number, state=spec.state, values=values, system_attrs=freeze(attrs),
            params=freeze({"x": number / 16}),
            intermediate_values=freeze({s: v[0] for s, v in curve.items()} if m == 1 else {}),
            intermediate_vectors=freeze(curve if m > 1 else {})))
    return History(trials, tuple(directions))


def ask_everything(pruner: BasePruner, history: History) -> tuple[Any, ...]:
    """Every hook's answer for ``history`` (deciding its last trial), checked for form."""
    trial = history.trials[-1]
    decision = pruner.decide(trial, history)
    assert isinstance(decision, Decision), decision
    budget = pruner.allocate(len(history.trials), history)
    if budget is not None:
        assert budget.min_resource >= 0 and budget.bracket >= 0, budget
        assert list(budget.rungs) == sorted(set(budget.rungs)), budget
        assert budget.max_resource is None or budget.max_resource >= budget.min_resource
    order = pruner.promote(history)
    if order is not None:  # it continues a paused trial nothing continued yet
        paused = history.trial(order.trial)
        assert paused_step(paused) is not None, order
        assert order.trial not in superseded(history.trials), order
        source = history.trial(order.source)
        assert source.last_step is not None and 0 <= order.step <= source.last_step, order
    keep = pruner.keep_checkpoints(history)
    assert keep <= {t.number for t in history.trials}, keep
    return (decision, budget, order, frozenset(keep))


# ---------------------------------------------------------------------- studies
@dataclass(frozen=True, slots=True)
class Run:
    """How one trial of a contract study ended: its state, last step, parameter, resume."""

    number: int
    state: TrialState
    last_step: int | None
    x: float
    paused: bool
    resumed: int | None


def curve(x: float, step: int) -> float:
    """A decreasing learning curve, worse for larger ``x``: ``x + 1 / (step + 1)``."""
    return x + 1.0 / (step + 1)


def simulate(pruner: BasePruner, direction: StudyDirection = MIN, *, n_trials: int = 16,
             n_steps: int = 8, diverge_after: int | None = None, seed: int = 0) -> list[Run]:
    """Run a study of :func:`curve` reported as ``sign * value`` (so that maximising sees
    the mirror image); from trial ``diverge_after`` on, trials with ``x < 0.4`` report NaN,
    and with ``0.4 <= x < 0.5`` infinity (a diverged loss)."""
    storage = InMemoryStorage()
    name = unique_name("pruner")
    storage.create_study(name, (direction,))
    study = Study(name, storage, RandomSampler(seed=seed), pruner)
    sign = direction.sign

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        info = trial.resumed_from
        wild = diverge_after is not None and trial.number >= diverge_after
        for step in range(0 if info is None else info.step + 1, n_steps):
            value = curve(x, step)
            if wild and x < 0.5:
                value = math.nan if x < 0.4 else math.inf
            trial.report(sign * value, step)
            if trial.should_prune():
                raise TrialPruned()
        return sign * (curve(x, n_steps) if not (wild and x < 0.5) else 1e3)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a pruner must not warn on NaN or infinite reports
        study.optimize(objective, n_trials=n_trials, catch=())
    out = []
    for t in study.get_trials():
        info = resume_info(t)
        out.append(Run(t.number, t.state, t.last_step, t.params["x"],
                       paused_step(t) is not None, None if info is None else info.trial))
    return out


class PrunerContract:
    """Tests every pruner must pass. Provide a ``make_pruner`` fixture (see the module)."""

    direction_aware = True
    multi_objective = False
    stops_diverged = True
    n_warm_trials = 6

    # ------------------------------------------------------------------ purity
    @_EXAMPLES
    @given(data=st.data(), maximize=st.booleans())
    def test_hooks_are_pure_and_well_formed(self, make_pruner: MakePruner, data: st.DataObject,
                                            maximize: bool) -> None:
        m = data.draw(st.sampled_from((1, 2)) if self.multi_objective else st.just(1))
        directions = [MAX if maximize else MIN] * m
        pruner = make_pruner()
        history = build_history(pruner, data.draw(trial_specs(m)), directions)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # NaN and inf are data, not reasons to warn
            first = ask_everything(pruner, history)
            assert ask_everything(pruner, history) == first  # asked twice: the same
            clone = pickle.loads(pickle.dumps(pruner))  # what a worker process receives
            assert ask_everything(clone, history) == first
        assert repr(clone) == repr(pruner)

    @_EXAMPLES
    @given(a=trial_specs(1), b=trial_specs(1))
    def test_answers_do_not_depend_on_what_it_was_asked_before(
            self, make_pruner: MakePruner, a: list[TrialSpec], b: list[TrialSpec]) -> None:
        one, two = make_pruner(), make_pruner()
        ha, hb = build_history(one, a, [MIN]), build_history(one, b, [MIN])
        forward = [ask_everything(one, ha), ask_everything(one, hb)]
        backward = [ask_everything(two, hb), ask_everything(two, ha)]
        assert forward == backward[::-1]

    def test_a_trial_without_reports_continues(self, make_pruner: MakePruner) -> None:
        pruner = make_pruner()
        done = [TrialSpec({s: (curve(0.1, s),) for s in range(8)}, TrialState.COMPLETE)] * 6
        for direction in (MIN, MAX):
            history = build_history(pruner, [*done, TrialSpec({}, TrialState.RUNNING)],
                                    [direction])
            assert pruner.decide(history.trials[-1], history) is Decision.CONTINUE

    # ------------------------------------------------------------------ in a study
    def test_the_first_trial_is_never_pruned(self, make_pruner: MakePruner) -> None:
        """Without another trial there is no evidence against an improving finite curve:
        it may be paused (and resumed later), never pruned."""
        for direction in (MIN, MAX):
            first = simulate(make_pruner(), direction, n_trials=1)[0]
            assert first.state is TrialState.COMPLETE or first.paused, first

    def test_same_study_twice_gives_the_same_decisions(self, make_pruner: MakePruner) -> None:
        assert simulate(make_pruner()) == simulate(make_pruner())

    def test_minimize_and_maximize_mirror_each_other(self, make_pruner: MakePruner) -> None:
        if not self.direction_aware:
            pytest.skip("an absolute bound decides the same values whatever the direction")
        assert simulate(make_pruner(), MIN) == simulate(make_pruner(), MAX)

    def test_nan_and_inf_reports_end_trials_cleanly(self, make_pruner: MakePruner) -> None:
        for direction in (MIN, MAX):
            runs = simulate(make_pruner(), direction, diverge_after=self.n_warm_trials)
            assert all(r.state in (TrialState.COMPLETE, TrialState.PRUNED) for r in runs), runs
            if self.stops_diverged:
                nan = [r for r in runs if r.number >= self.n_warm_trials and r.x < 0.4]
                assert nan, "the contract study should include diverged trials"
                assert all(r.state is TrialState.PRUNED for r in nan), nan

    def test_multi_objective_support_is_explicit(self, make_pruner: MakePruner) -> None:
        pruner = make_pruner()
        spec = [TrialSpec({s: (curve(0.5, s), 1.0) for s in range(4)}, TrialState.RUNNING)]
        history = build_history(pruner, spec, [MIN, MAX])
        if self.multi_objective:
            assert isinstance(pruner.decide(history.trials[-1], history), Decision)
        else:
            with pytest.raises(ValueError, match="single-objective"):
                pruner.decide(history.trials[-1], history)
