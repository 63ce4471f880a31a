"""StorageContract: the behaviour every tunecraft Storage must show, as a reusable pytest suite.

Subclass it in a test module, provide a ``storage`` fixture, and pytest runs every test below
against your backend::

    class TestMyStorage(StorageContract):
        @pytest.fixture
        def storage(self) -> Iterator[Storage]:
            s = MyStorage(...)
            yield s
            s.close()

        def reopen(self, storage: Storage) -> Storage:  # optional
            return MyStorage(...)  # a second handle on the same data

Every test works in studies of its own (random names), so a shared database is fine.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given

from tunecraft.direction import StudyDirection
from tunecraft.exceptions import DuplicatedStudyError, StudyNotFound, TrialFinishedError
from tunecraft.record import TrialState, thaw
from tunecraft.space import Float
from tunecraft.storage.base import Storage, this_owner
from tunecraft.testing._storage_base import (
    _EXAMPLES,
    FINAL,
    MIN,
    attr_event,
    params_event,
    report_event,
)
from tunecraft.testing._storage_leases import StorageLeaseContract
from tunecraft.testing._storage_log import StorageLogContract
from tunecraft.testing._storage_names import StorageNameContract
from tunecraft.testing._storage_reads import StorageReadContract
from tunecraft.testing._values import (
    exact,
    json_values,
    trial_image,
    unique_name,
)


class StorageContract(StorageLeaseContract, StorageLogContract, StorageNameContract,
                      StorageReadContract):
    """Tests every Storage implementation must pass. Provide a ``storage`` fixture."""

    # ------------------------------------------------------------------ studies
    def test_create_list_delete_studies(self, storage: Storage) -> None:
        a, b = unique_name("a"), unique_name("b")
        storage.create_study(a, MIN)
        storage.create_study(b, (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE))
        names = storage.study_names()
        assert names.index(a) < names.index(b)  # oldest first
        assert storage.study_directions(a) == MIN
        assert storage.study_directions(b) == (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE)
        storage.delete_study(a)
        assert a not in storage.study_names() and b in storage.study_names()
        with pytest.raises(StudyNotFound):
            storage.study_directions(a)
        with pytest.raises(StudyNotFound):
            storage.history(a)
        with pytest.raises(StudyNotFound):
            storage.delete_study(a)
        assert storage.study_directions(b)[0] is StudyDirection.MAXIMIZE

    def test_duplicate_name_is_refused(self, storage: Storage) -> None:
        name = self._new_study(storage)
        with pytest.raises(DuplicatedStudyError, match="load_if_exists"):
            storage.create_study(name, MIN)
        assert storage.study_names().count(name) == 1

    def test_unknown_study_raises_study_not_found(self, storage: Storage) -> None:
        missing = unique_name("missing")
        for call in (lambda: storage.create_trial(missing), lambda: storage.study_attrs(missing),
                     lambda: storage.set_study_attr(missing, "k", 1),
                     lambda: storage.state_counts(missing), lambda: storage.leases(missing),
                     lambda: storage.claim_waiting_trial(missing)):
            with pytest.raises(StudyNotFound):
                call()

    def test_study_attrs_and_compare_and_set(self, storage: Storage) -> None:
        name = self._new_study(storage)
        assert storage.study_attrs(name) == {}
        assert storage.set_study_attr(name, "k", {"a": [1, 2.5, None]}) is True
        assert storage.set_study_attr(name, "k", "second", only_if_absent=True) is False
        assert storage.study_attrs(name) == {"k": {"a": [1, 2.5, None]}}
        assert storage.set_study_attr(name, "k", "third") is True
        assert storage.set_study_attr(name, "other", 0, only_if_absent=True) is True
        assert storage.study_attrs(name) == {"k": "third", "other": 0}

    def test_only_if_absent_has_one_winner_across_threads(self, storage: Storage) -> None:
        name = self._new_study(storage)
        wins: list[int] = []
        barrier = threading.Barrier(4)

        def claim(i: int) -> None:
            barrier.wait()
            if storage.set_study_attr(name, "owner", i, only_if_absent=True):
                wins.append(i)

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1
        assert storage.study_attrs(name) == {"owner": wins[0]}

    @_EXAMPLES
    @given(value=json_values())
    def test_study_attr_round_trips_exactly(self, storage: Storage, value: Any) -> None:
        name = self._new_study(storage)
        storage.set_study_attr(name, "v", value)
        assert exact(storage.study_attrs(name)["v"]) == exact(value)

    def test_delete_then_recreate_from_another_storage_object(self, storage: Storage) -> None:
        name = self._new_study(storage)
        for _ in range(3):
            n = storage.create_trial(name)
            storage.finish(name, n, TrialState.COMPLETE, [float(n)])
        assert len(storage.history(name)) == 3  # this object has replayed the old study
        other = self.reopen(storage)
        try:
            other.delete_study(name)
            other.create_study(name, (StudyDirection.MAXIMIZE,))
            n = other.create_trial(name, user_attrs={"generation": 2})
        finally:
            if other is not storage:
                other.close()
        assert n == 0
        history = storage.history(name)
        assert history.directions == (StudyDirection.MAXIMIZE,)
        assert storage.study_directions(name) == (StudyDirection.MAXIMIZE,)
        assert [(t.number, t.state, dict(t.user_attrs)) for t in history.trials] == [
            (0, TrialState.RUNNING, {"generation": 2})]
        assert storage.state_counts(name)[TrialState.RUNNING] == 1
        assert storage.state_counts(name)[TrialState.COMPLETE] == 0
        assert storage.finish(name, 0, TrialState.COMPLETE, [7.0]) is True
        assert storage.history(name).trials[0].values == (7.0,)

    def test_study_deleted_elsewhere_is_gone_here(self, storage: Storage) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name)
        storage.history(name)
        other = self.reopen(storage)
        try:
            other.delete_study(name)
            newcomer = self._new_study(other)  # SQLite may hand it the deleted study's id
            other.create_trial(newcomer)
        finally:
            if other is not storage:
                other.close()
        for call in (lambda: storage.write(name, n, [report_event(n, 0, 1.0)]),
                     lambda: storage.finish(name, n, TrialState.COMPLETE, [1.0]),
                     lambda: storage.history(name), lambda: storage.study_directions(name),
                     lambda: storage.create_trial(name), lambda: storage.leases(name)):
            with pytest.raises(StudyNotFound):
                call()
        trial = storage.history(newcomer).trials[0]
        assert (trial.state, dict(trial.intermediate_values)) == (TrialState.RUNNING, {})

    # ------------------------------------------------------------------ trials
    def test_trial_numbers_are_dense_from_zero(self, storage: Storage) -> None:
        name = self._new_study(storage)
        numbers = [storage.create_trial(name, waiting=i % 3 == 0) for i in range(7)]
        assert numbers == list(range(7))
        other = self._new_study(storage)  # numbering is per study
        assert storage.create_trial(other) == 0

    def test_trial_numbers_stay_dense_across_threads(self, storage: Storage) -> None:
        name = self._new_study(storage)
        got: list[int] = []
        lock = threading.Lock()

        def work() -> None:
            for _ in range(8):
                n = storage.create_trial(name)
                with lock:
                    got.append(n)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(got) == list(range(32))
        assert [t.number for t in storage.history(name).trials] == list(range(32))

    def test_created_trial_records_attrs_owner_and_start(self, storage: Storage) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name, user_attrs={"u": [1, {"x": None}]},
                                 system_attrs={"s": "v"})
        w = storage.create_trial(name, waiting=True, system_attrs={"fixed_params": {"x": 1}})
        t, waiting = storage.history(name).trials
        assert t.state is TrialState.RUNNING and t.datetime_start is not None
        assert thaw(t.user_attrs) == {"u": [1, {"x": None}]} and t.system_attrs["s"] == "v"
        assert waiting.state is TrialState.WAITING and waiting.datetime_start is None
        assert dict(waiting.system_attrs["fixed_params"]) == {"x": 1}
        assert [(lease.number, lease.owner) for lease in storage.leases(name)] == [
            (n, this_owner())]
        assert w == 1

    def test_waiting_trials_are_claimed_oldest_first_once(self, storage: Storage) -> None:
        name = self._new_study(storage)
        for i in range(3):
            storage.create_trial(name, waiting=True, system_attrs={"i": i})
        storage.create_trial(name)  # RUNNING: never claimed
        assert [storage.claim_waiting_trial(name) for _ in range(4)] == [0, 1, 2, None]
        trials = storage.history(name).trials
        assert [t.state for t in trials] == [TrialState.RUNNING] * 4
        assert all(t.datetime_start is not None for t in trials)

    def test_each_waiting_trial_is_claimed_exactly_once_across_threads(
            self, storage: Storage) -> None:
        name = self._new_study(storage)
        for _ in range(20):
            storage.create_trial(name, waiting=True)
        claimed: list[int] = []
        lock = threading.Lock()
        barrier = threading.Barrier(4)

        def work() -> None:
            barrier.wait()
            while (n := storage.claim_waiting_trial(name)) is not None:
                with lock:
                    claimed.append(n)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(claimed) == list(range(20))
        assert storage.state_counts(name)[TrialState.WAITING] == 0

    def test_enqueue_trials_in_one_batch(self, storage: Storage) -> None:
        name = self._new_study(storage)
        storage.create_trial(name)
        assert storage.enqueue_trials(name, [{"p": 1}, {"p": 2}]) == [1, 2]
        assert storage.enqueue_trials(name, [{"p": 3}]) == [3]  # no key: queued every time
        assert storage.enqueue_trials(name, []) == []
        with pytest.raises(TypeError):
            storage.enqueue_trials(name, [{"p": 4}, {"p": object()}], once_key="k")
        assert len(storage.history(name)) == 4  # the refused batch wrote nothing
        assert "k" not in storage.study_attrs(name)
        trials = storage.history(name).trials
        assert [t.system_attrs.get("p") for t in trials] == [None, 1, 2, 3]
        assert [t.state for t in trials[1:]] == [TrialState.WAITING] * 3

    def test_enqueue_once_has_one_winner_across_threads(self, storage: Storage) -> None:
        name = self._new_study(storage)
        batches: list[list[int]] = []
        barrier = threading.Barrier(4)

        def work() -> None:
            barrier.wait()
            batches.append(storage.enqueue_trials(
                name, [{"point": i} for i in range(10)], once_key="grid"))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(batches) == [[]] * 3 + [list(range(10))]
        assert storage.study_attrs(name) == {"grid": 10}
        assert [t.system_attrs["point"] for t in storage.history(name).trials] == list(range(10))
        assert storage.enqueue_trials(name, [{"point": 0}], once_key="grid") == []

    def test_finish_is_compare_and_set(self, storage: Storage) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name)
        assert storage.finish(name, n, TrialState.COMPLETE, [1.5]) is True
        assert storage.finish(name, n, TrialState.FAIL, reason="late") is False
        assert storage.finish(name, n, TrialState.COMPLETE, [9.0]) is False
        t = storage.history(name).trial(n)
        assert (t.state, t.values, t.fail_reason) == (TrialState.COMPLETE, (1.5,), None)
        assert t.datetime_complete is not None and t.datetime_start is not None
        assert t.datetime_complete >= t.datetime_start

    def test_finish_has_one_winner_across_threads(self, storage: Storage) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name)
        results: list[tuple[int, bool]] = []
        barrier = threading.Barrier(4)

        def work(i: int) -> None:
            barrier.wait()
            results.append((i, storage.finish(name, n, TrialState.COMPLETE, [float(i)])))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [i for i, ok in results if ok]
        assert len(winners) == 1
        assert storage.history(name).trial(n).values == (float(winners[0]),)

    def test_finish_needs_a_final_state(self, storage: Storage) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name)
        for state in (TrialState.RUNNING, TrialState.WAITING):
            with pytest.raises(ValueError, match=state.name):
                storage.finish(name, n, state)
        assert storage.history(name).trial(n).state is TrialState.RUNNING

    @pytest.mark.parametrize("final", FINAL)
    def test_write_to_finished_trial_is_refused(self, storage: Storage, final: TrialState
                                                ) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name)
        storage.write(name, n, [report_event(n, 0, 1.0)])
        storage.finish(name, n, final, [2.0] if final is TrialState.COMPLETE else None)
        before = trial_image(storage.history(name).trial(n))
        for event in (report_event(n, 1, 3.0), attr_event(n, "k", 1),
                      params_event(n, "x", Float(0, 1), 0.5)):
            with pytest.raises(TrialFinishedError, match="finished"):
                storage.write(name, n, [event])
        assert trial_image(storage.history(name).trial(n)) == before

    def test_write_to_waiting_trial_is_refused(self, storage: Storage) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name, waiting=True)
        with pytest.raises(TrialFinishedError):
            storage.write(name, n, [report_event(n, 0, 1.0)])
        assert storage.finish(name, n, TrialState.FAIL) is False

    def test_finish_writes_last_events_with_the_result(self, storage: Storage) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name)
        assert storage.finish(name, n, TrialState.FAIL, reason="boom",
                              events=[attr_event(n, "traceback", "tb", system=True)])
        t = storage.history(name).trial(n)
        assert (t.state, t.values, t.fail_reason) == (TrialState.FAIL, None, "boom")
        assert t.system_attrs["traceback"] == "tb"
        assert storage.finish(name, n, TrialState.FAIL, events=[attr_event(n, "k", 1)]) is False
        assert "k" not in storage.history(name).trial(n).user_attrs

    def test_unserialisable_values_are_refused_before_writing(self, storage: Storage) -> None:
        name = self._new_study(storage)
        n = storage.create_trial(name)
        for bad in ({1, 2}, object(), {1: "int key"}, {("t",): 1}):
            with pytest.raises(TypeError):
                storage.write(name, n, [attr_event(n, "good", 1), attr_event(n, "bad", bad)])
            with pytest.raises(TypeError):
                storage.set_study_attr(name, "bad", bad)
            with pytest.raises(TypeError):
                storage.create_trial(name, user_attrs={"bad": bad})
        t = storage.history(name).trial(n)
        assert dict(t.user_attrs) == {}  # the batch is all or nothing
        assert storage.study_attrs(name) == {}
        assert len(storage.history(name)) == 1

    # ------------------------------------------------------------------ leases
    def test_heartbeat_and_leases(self, storage: Storage) -> None:
        name = self._new_study(storage)
        a, b = storage.create_trial(name), storage.create_trial(name)
        storage.create_trial(name, waiting=True)
        before = {lease.number: lease.heartbeat for lease in storage.leases(name)}
        assert set(before) == {a, b}
        storage.finish(name, b, TrialState.COMPLETE, [0.0])
        storage.heartbeat(name, [a, b])
        after = {lease.number: lease.heartbeat for lease in storage.leases(name)}
        assert set(after) == {a}
        renewed, previous = after[a], before[a]
        assert renewed is not None and previous is not None and renewed >= previous

    def test_state_counts(self, storage: Storage) -> None:
        name = self._new_study(storage)
        for final in (*FINAL, TrialState.COMPLETE):
            storage.finish(name, storage.create_trial(name), final,
                           [1.0] if final is TrialState.COMPLETE else None)
        storage.create_trial(name)
        storage.create_trial(name, waiting=True)
        assert storage.state_counts(name) == {
            TrialState.RUNNING: 1, TrialState.COMPLETE: 2, TrialState.PRUNED: 1,
            TrialState.FAIL: 1, TrialState.WAITING: 1, TrialState.STALE: 0}
