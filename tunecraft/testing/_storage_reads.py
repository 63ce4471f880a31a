"""The storage contract, part four: partial reads (a few trials, summaries, the best trials)
agree with the full replay, and leave the replay cache correct."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunecraft.direction import StudyDirection
from tunecraft.exceptions import StudyNotFound
from tunecraft.history import History
from tunecraft.record import CONSTRAINTS_KEY, TrialState
from tunecraft.space import Float, Int
from tunecraft.storage.base import Storage
from tunecraft.storage.events import Event, EventKind
from tunecraft.testing._storage_base import (
    _EXAMPLES,
    MIN,
    StorageTestBase,
    attr_event,
    params_event,
    report_event,
)
from tunecraft.testing._values import exact, trial_image, unique_name

MAX, MIN2 = (StudyDirection.MAXIMIZE,), (StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE)
# values drawn from a few numbers, so that ties (earliest wins) and NaN come up often
_VALUES = st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, float("nan"), float("inf")])
_TRIAL = st.tuples(
    st.sampled_from(["complete", "complete", "complete", "pruned", "fail", "running",
                     "waiting", "claimed"]),
    st.lists(_VALUES, min_size=2, max_size=2),
    st.sampled_from([None, None, [-1.0], [0.0], [0.5], [float("nan")]]),  # constraints
)


def _summary_image(t: Any) -> tuple[Any, ...]:
    return (t.number, t.state, exact(t.values), t.datetime_start, t.datetime_complete)


def _best_of_history(history: History) -> tuple[Any, ...]:
    if history.n_objectives == 1:
        best = history.best_trial()
        return () if best is None else (best,)
    return history.best_trials()


class StorageReadContract(StorageTestBase):
    """``trials``, ``trial_summaries`` and ``best_trials`` equal what a full replay gives."""

    def _fresh_history(self, storage: Storage, name: str) -> History:
        """The study replayed whole by another handle (no cache shared with ``storage``)."""
        other = self.reopen(storage)
        try:
            return other.history(name)
        finally:
            if other is not storage:
                other.close()

    def _build(self, storage: Storage, directions: tuple[StudyDirection, ...],
               plan: list[tuple[str, list[float], list[float] | None]]) -> str:
        """A study with one trial per plan entry: its fate, its values and constraints."""
        name = self._new_study(storage, directions)
        for i, (fate, values, constraints) in enumerate(plan):
            waiting = fate in ("waiting", "claimed")
            n = storage.create_trial(name, waiting=waiting, user_attrs={"i": i})
            assert n == i
            if fate == "waiting":
                continue
            if fate == "claimed":
                assert storage.claim_waiting_trial(name, number=n) == n
            events = [params_event(n, "x", Float(-1, 1), 0.5 - i / 100),
                      report_event(n, 0, values[0]), attr_event(n, "note", [i, "x"])]
            if constraints is not None:
                events.append(attr_event(n, CONSTRAINTS_KEY, constraints, system=True))
            if fate == "running":
                storage.write(name, n, events)
            elif fate == "complete":
                storage.finish(name, n, TrialState.COMPLETE, values[:len(directions)],
                               events=events)
            else:
                storage.finish(name, n, TrialState.PRUNED if fate == "pruned"
                               else TrialState.FAIL, reason="why", events=events)
        return name

    @_EXAMPLES
    @given(plan=st.lists(_TRIAL, max_size=12), picks=st.lists(st.integers(-2, 14), max_size=6),
           kind=st.sampled_from(["min", "max", "two"]))
    def test_partial_reads_equal_the_full_replay(
        self, storage: Storage, plan: list[tuple[str, list[float], list[float] | None]],
        picks: list[int], kind: str,
    ) -> None:
        directions = {"min": MIN, "max": MAX, "two": MIN2}[kind]
        name = self._build(storage, directions, plan)
        history = self._fresh_history(storage, name)
        summaries = storage.trial_summaries(name)
        assert [_summary_image(s) for s in summaries] == [
            _summary_image(t) for t in history.trials]
        assert [s.duration for s in summaries] == [t.duration for t in history.trials]
        for states in (None, (TrialState.COMPLETE,), (TrialState.RUNNING, TrialState.WAITING),
                       ()):
            assert storage.trial_numbers(name, states) == [
                t.number for t in history.trials if states is None or t.state in states]
        got = storage.trials(name, picks)
        assert [trial_image(t) for t in got] == [
            trial_image(history.trial(n)) for n in sorted(set(picks)) if 0 <= n < len(plan)]
        best = storage.best_trials(name)
        assert [trial_image(t) for t in best] == [
            trial_image(t) for t in _best_of_history(history)]
        assert [trial_image(t) for t in storage.best_trials(name, summaries=summaries)] == [
            trial_image(t) for t in best]

    def test_best_skips_infeasible_and_failed_candidates(self, storage: Storage) -> None:
        plan: list[tuple[str, list[float], list[float] | None]] = [
            ("complete", [5.0, 0.0], None), ("fail", [0.0, 0.0], None),
            *[("complete", [k - 40.0, 0.0], [1.0]) for k in range(40)],  # better, infeasible
            ("complete", [4.0, 0.0], [0.0]), ("complete", [4.0, 0.0], None)]
        name = self._build(storage, MIN, plan)
        (best,) = storage.best_trials(name)
        assert (best.number, best.values) == (42, (4.0,))  # the earliest of the tie
        front = storage.best_trials(self._build(storage, MIN2, [
            ("complete", [0.0, 5.0], [2.0]), ("complete", [1.0, 1.0], None),
            ("complete", [2.0, 3.0], None), ("complete", [3.0, 3.0], None)]))
        # minimise the first, maximise the second: #0 dominates all but is infeasible
        assert [t.number for t in front] == [1, 2]

    def test_many_numbers_and_missing_ones(self, storage: Storage) -> None:
        name = self._build(storage, MIN, [("complete", [float(i), 0.0], None)
                                          for i in range(6)])
        history = storage.history(name)
        numbers = [*range(-3, 700), 2, 2]  # more numbers than one SQL list holds
        assert [trial_image(t) for t in storage.trials(name, numbers)] == [
            trial_image(t) for t in history.trials]
        assert storage.trials(name, []) == [] and storage.trials(name, [99]) == []

    def test_partial_reads_leave_the_replay_cache_correct(self, storage: Storage) -> None:
        name = self._build(storage, MIN, [("running", [0.0, 0.0], None)] * 3)
        before = storage.history(name)
        assert [t.number for t in storage.trials(name, [1])] == [1]
        storage.trial_summaries(name)
        storage.best_trials(name)
        storage.finish(name, 1, TrialState.COMPLETE, [1.0])
        after = storage.history(name)
        assert before.trial(1).state is TrialState.RUNNING
        assert [trial_image(t) for t in after.trials] == [
            trial_image(t) for t in self._fresh_history(storage, name).trials]
        assert after.trial(1).values == (1.0,) and storage.best_trials(name) == (
            after.trial(1),)

    @_EXAMPLES
    @given(batches=st.lists(st.lists(st.tuples(
        st.text(max_size=5) | st.sampled_from(["__float__", "__float___", "x", "\u00e9\\u"]),
        st.integers(0, 3)), min_size=1, max_size=3), max_size=5))
    def test_param_distributions_are_the_first_recorded(
            self, storage: Storage, batches: list[list[tuple[str, int]]]) -> None:
        name = self._new_study(storage)
        first: dict[str, Int] = {}
        for batch in batches:  # one PARAMS event per batch, with one or more names
            n = storage.create_trial(name)
            chosen = dict(batch)  # a repeated name keeps its last entry, as in the payload
            payload = {p: {"d": Int(0, 3 + k).to_json(), "v": k} for p, k in chosen.items()}
            storage.write(name, n, [Event(n, EventKind.PARAMS, payload)])
            for p, k in chosen.items():
                first.setdefault(p, Int(0, 3 + k))
        got = storage.param_distributions(name)
        assert got == dict(self._fresh_history(storage, name).param_distributions())
        assert got == first

    def test_partial_reads_of_a_missing_study_raise(self, storage: Storage) -> None:
        missing = unique_name("missing")
        for call in (lambda: storage.trials(missing, [0]), lambda: storage.trials(missing, []),
                     lambda: storage.trial_summaries(missing),
                     lambda: storage.param_distributions(missing),
                     lambda: storage.trial_numbers(missing),
                     lambda: storage.best_trials(missing)):
            with pytest.raises(StudyNotFound):
                call()
        empty = self._new_study(storage)
        assert storage.trial_summaries(empty) == [] and storage.best_trials(empty) == ()
        assert storage.param_distributions(empty) == {} and storage.trial_numbers(empty) == []
