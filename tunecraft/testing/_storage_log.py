"""The storage contract, part two: exact round trips of every value and replay of the log."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunecraft.exceptions import TrialFinishedError
from tunecraft.record import TrialState
from tunecraft.space import Dim, Float
from tunecraft.storage.base import Storage
from tunecraft.storage.replay import Replayer
from tunecraft.testing._storage_base import (
    _EXAMPLES,
    FINAL,
    MIN,
    StorageTestBase,
    attr_event,
    params_and_values,
    params_event,
    report_event,
)
from tunecraft.testing._values import any_floats, exact, json_values, trial_image


class StorageLogContract(StorageTestBase):
    """Values come back exactly as written; incremental, chunked and fresh replays agree."""

    # ------------------------------------------------------------------ exact round trips
    @_EXAMPLES
    @given(params=st.lists(params_and_values(), min_size=1, max_size=4),
           values=st.lists(any_floats(), min_size=1, max_size=3),
           reports=st.dictionaries(st.integers(0, 2**31 - 1), any_floats(), max_size=4),
           user=st.dictionaries(st.text(max_size=6), json_values(), max_size=3))
    def test_values_round_trip_exactly(
        self, storage: Storage, params: list[tuple[Dim, Any]], values: list[float],
        reports: dict[int, float], user: dict[str, Any],
    ) -> None:
        name = self._new_study(storage, MIN * len(values))
        n = storage.create_trial(name)
        events = [params_event(n, f"p{i}", d, v) for i, (d, v) in enumerate(params)]
        events += [report_event(n, s, v) for s, v in reports.items()]
        events += [attr_event(n, k, v) for k, v in user.items()]
        storage.write(name, n, events)
        assert storage.finish(name, n, TrialState.COMPLETE, values)
        other = self.reopen(storage)
        try:
            for t in (storage.history(name).trial(n), other.history(name).trial(n)):
                assert exact(dict(t.params)) == exact(
                    {f"p{i}": v for i, (_, v) in enumerate(params)})
                assert {k: d.to_json() for k, d in t.distributions.items()} == {
                    f"p{i}": d.to_json() for i, (d, _) in enumerate(params)}
                assert exact(t.values) == exact(tuple(values))
                assert exact({str(k): v for k, v in t.intermediate_values.items()}) == exact(
                    {str(k): v for k, v in reports.items()})
                assert exact(t.user_attrs) == exact(user)
        finally:
            if other is not storage:
                other.close()

    # ------------------------------------------------------------------ replay
    @_EXAMPLES
    @given(ops=st.lists(st.tuples(
        st.sampled_from(["create", "wait", "claim", "report", "attr", "param", "finish",
                         "history"]),
        st.integers(0, 9), any_floats(), json_values(max_leaves=3)), max_size=30),
        cuts=st.lists(st.integers(-1, 80), max_size=6))
    def test_incremental_history_equals_fresh_replay(
        self, storage: Storage, ops: list[tuple[str, int, float, Any]], cuts: list[int]
    ) -> None:
        name = self._new_study(storage)
        model: list[TrialState] = []
        for op, k, x, blob in ops:
            target = k % len(model) if model else 0
            running = bool(model) and model[target] is TrialState.RUNNING
            if op == "create":
                assert storage.create_trial(name) == len(model)
                model.append(TrialState.RUNNING)
            elif op == "wait":
                assert storage.create_trial(name, waiting=True) == len(model)
                model.append(TrialState.WAITING)
            elif op == "claim":
                got = storage.claim_waiting_trial(name)
                waiting = [i for i, s in enumerate(model) if s is TrialState.WAITING]
                assert got == (waiting[0] if waiting else None)
                if got is not None:
                    model[got] = TrialState.RUNNING
            elif op == "history":
                assert [t.state for t in storage.history(name).trials] == model
            elif not model:
                continue
            elif op == "finish":
                final = FINAL[k % 3]
                ok = storage.finish(name, target, final,
                                    [x] if final is TrialState.COMPLETE else None)
                assert ok == running
                if ok:
                    model[target] = final
            else:
                event = {"report": report_event(target, k, x),
                         "attr": attr_event(target, f"k{k}", blob),
                         "param": params_event(target, f"p{k}", Float(-1, 1), 0.25)}[op]
                if running:
                    storage.write(name, target, [event])
                else:
                    with pytest.raises(TrialFinishedError):
                        storage.write(name, target, [event])
        incremental = [trial_image(t) for t in storage.history(name).trials]
        assert [t.state for t in storage.history(name).trials] == model
        counts = storage.state_counts(name)
        assert counts == {s: model.count(s) for s in TrialState}

        everything = storage._read(name, -1).events
        assert [e.seq for e in everything] == sorted({e.seq for e in everything})
        whole = Replayer()
        whole.apply(everything)
        assert [trial_image(t) for t in whole.trials()] == incremental
        chunked = Replayer()
        start = -1
        for cut in [*sorted(cuts), everything[-1].seq if everything else -1]:
            chunked.apply([e for e in everything if start < e.seq <= cut])
            chunked.trials()
            start = cut - 3  # the next chunk overlaps this one: overlaps must be harmless
        assert [trial_image(t) for t in chunked.trials()] == incremental
        other = self.reopen(storage)
        try:
            assert [trial_image(t) for t in other.history(name).trials] == incremental
        finally:
            if other is not storage:
                other.close()

    def test_read_after_cursor_returns_exactly_the_suffix(self, storage: Storage) -> None:
        name = self._new_study(storage)
        for i in range(4):
            n = storage.create_trial(name)
            storage.write(name, n, [report_event(n, 0, float(i))])
        everything = storage._read(name, -1).events
        assert len(everything) == 8
        for i, e in enumerate(everything):
            assert storage._read(name, e.seq).events == everything[i + 1:]

