"""The storage contract, part three: leases, tokens, stale trials and their retries.

Leases here last a few hundredths of a second, and a test sleeps past one only where the
point is an expired lease; no test depends on how fast the storage is.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import pytest

from tunecraft.exceptions import TrialFinishedError
from tunecraft.record import TrialState, thaw
from tunecraft.space import Float
from tunecraft.storage.base import Reaped, Storage, new_token, this_owner
from tunecraft.testing._storage_base import (
    DEAD_OWNER_PID,
    StorageTestBase,
    attr_event,
    params_event,
    report_event,
)

SHORT = 0.02  # seconds: a lease that is sure to run out after expire()


CLOCK_SLACK = 0.005  # seconds: the storage's clock (the database server's) vs this process's


def expire() -> None:
    time.sleep(SHORT * 4)


class StorageLeaseContract(StorageTestBase):
    """A RUNNING trial is held under a token; only the holder writes; lost leases are reaped
    once, and retried by policy."""

    def test_token_guards_writes_and_finish(self, storage: Storage) -> None:
        name = self._new_study(storage)
        mine, other = new_token(), new_token()
        n = storage.create_trial(name, token=mine)
        with pytest.raises(TrialFinishedError, match="no longer held"):
            storage.write(name, n, [report_event(n, 0, 1.0)], token=other)
        assert storage.finish(name, n, TrialState.COMPLETE, [1.0], token=other) is False
        storage.write(name, n, [report_event(n, 0, 2.0)], token=mine)
        assert storage.finish(name, n, TrialState.COMPLETE, [3.0], token=mine) is True
        t = storage.history(name).trial(n)
        assert (t.state, t.values, dict(t.intermediate_values)) == (
            TrialState.COMPLETE, (3.0,), {0: 2.0})
        assert storage.finish(name, n, TrialState.COMPLETE, [4.0], token=mine) is False

    def test_leases_show_token_owner_and_time_left(self, storage: Storage) -> None:
        name = self._new_study(storage)
        token = new_token()
        n = storage.create_trial(name, token=token, lease_seconds=3600.0)
        storage.create_trial(name, waiting=True)
        (lease,) = storage.leases(name)
        assert (lease.number, lease.owner, lease.token) == (n, this_owner(), token)
        assert lease.remaining is not None and 3000.0 < lease.remaining <= 3600.0
        assert not lease.expired
        with pytest.raises(ValueError, match="lease_seconds"):
            storage.create_trial(name, lease_seconds=0.0)

    def test_renewal_extends_a_held_lease_only(self, storage: Storage) -> None:
        name = self._new_study(storage)
        token = new_token()
        n = storage.create_trial(name, token=token, lease_seconds=SHORT)
        done = storage.create_trial(name, lease_seconds=SHORT)
        storage.finish(name, done, TrialState.COMPLETE, [0.0])
        expire()
        assert storage.leases(name)[0].expired
        assert storage.renew_leases(name, {n: new_token()}) == []  # another token: refused
        assert storage.leases(name)[0].expired
        started = time.monotonic()
        assert storage.renew_leases(name, {n: token, done: None}) == [n]
        remaining = storage.leases(name)[0].remaining
        # renewed by its own duration: SHORT from the moment of renewal, whatever the load
        assert remaining is not None
        assert remaining >= SHORT - (time.monotonic() - started) - CLOCK_SLACK
        assert storage.renew_leases(name, {}) == []

    def test_take_over_moves_the_lease(self, storage: Storage) -> None:
        name = self._new_study(storage)
        reserved, started = new_token(), new_token()
        n = storage.create_trial(name, token=reserved)
        assert storage.take_over(name, n, reserved, new_token=started) is True
        assert storage.take_over(name, n, reserved, new_token=new_token()) is False
        assert storage.leases(name)[0].token == started
        with pytest.raises(TrialFinishedError):
            storage.write(name, n, [attr_event(n, "k", 1)], token=reserved)
        assert storage.finish(name, n, TrialState.COMPLETE, [1.0], token=started) is True
        assert storage.take_over(name, n, started, new_token=new_token()) is False

    def test_claim_a_given_waiting_trial(self, storage: Storage) -> None:
        name = self._new_study(storage)
        first, second = storage.create_trial(name, waiting=True), storage.create_trial(
            name, waiting=True)
        token = new_token()
        assert storage.claim_waiting_trial(name, number=second, token=token) == second
        assert storage.claim_waiting_trial(name, number=second) is None
        assert storage.claim_waiting_trial(name, number=99) is None
        assert [lease.token for lease in storage.leases(name)] == [token]
        assert storage.claim_waiting_trial(name) == first

    def test_expired_trial_is_marked_stale_and_retried(self, storage: Storage) -> None:
        name = self._new_study(storage)
        token = new_token()
        n = storage.create_trial(name, token=token, lease_seconds=SHORT,
                                 system_attrs={"proposal": {"x": 0.5, "y": 1.0}})
        storage.write(name, n, [params_event(n, "x", Float(0, 1), 0.25),
                                report_event(n, 3, 0.7),
                                attr_event(n, "checkpoint", {"path": "ckpt/3"}, system=True)])
        live = storage.create_trial(name, lease_seconds=3600.0)
        expire()
        reaped = storage.reap_stale(name)
        assert [(r.number, r.retry) for r in reaped] == [(n, live + 1)]
        assert "stopped renewing its lease" in reaped[0].reason
        assert storage.reap_stale(name) == []  # each stale trial is reaped once
        stale, running, retry = storage.history(name).trials
        assert stale.state is TrialState.STALE and stale.values is None
        assert stale.fail_reason == reaped[0].reason
        assert stale.system_attrs["retried_by"] == retry.number
        assert dict(stale.intermediate_values) == {3: 0.7}  # what it wrote is kept
        assert running.state is TrialState.RUNNING
        assert retry.state is TrialState.WAITING
        attrs = thaw(retry.system_attrs)
        assert attrs["fixed_params"] == {"x": 0.25, "y": 1.0}  # flushed params win
        assert (attrs["retry_of"], attrs["attempt"]) == (n, 1)
        assert attrs["resume_checkpoint"] == {"path": "ckpt/3"}
        assert storage.finish(name, n, TrialState.COMPLETE, [1.0], token=token) is False
        with pytest.raises(TrialFinishedError):  # the late worker's writes are refused too
            storage.write(name, n, [report_event(n, 4, 0.6)])
        assert storage.state_counts(name)[TrialState.STALE] == 1

    def test_retries_stop_after_max_retries(self, storage: Storage) -> None:
        name = self._new_study(storage)
        storage.create_trial(name, lease_seconds=SHORT)
        chain = [0]
        for attempt in (1, 2):
            expire()
            (reaped,) = storage.reap_stale(name, max_retries=2)
            assert reaped.retry is not None
            chain.append(reaped.retry)
            assert storage.claim_waiting_trial(name, lease_seconds=SHORT) == reaped.retry
            assert storage.history(name).trial(reaped.retry).system_attrs["attempt"] == attempt
        expire()
        (last,) = storage.reap_stale(name, max_retries=2)
        assert (last.number, last.retry) == (chain[-1], None)
        assert [t.state for t in storage.history(name).trials] == [TrialState.STALE] * 3
        assert "retried_by" not in storage.history(name).trial(chain[-1]).system_attrs
        with pytest.raises(ValueError, match="max_retries"):
            storage.reap_stale(name, max_retries=-1)

    def test_a_lease_renewed_after_it_was_read_is_not_reaped(self, storage: Storage) -> None:
        # The reaper read the lease while it had run out; the worker renewed it since. The
        # renewal is modelled by a lease that is live now (an hour long) and a read that saw
        # it expired, so that no sleep has to outlast a loaded machine.
        name = self._new_study(storage)
        token = new_token()
        n = storage.create_trial(name, token=token, lease_seconds=3600.0)
        (live,) = storage.leases(name)
        assert not live.expired
        lease = dataclasses.replace(live, remaining=-1.0)  # what the late reaper read
        assert storage.renew_leases(name, {n: token}) == [n]  # the worker was slow, not dead
        assert storage._mark_stale(name, lease, "late reaper", None, True) == (False, None)
        assert storage.history(name).trial(n).state is TrialState.RUNNING

    def test_stale_trial_is_reaped_once_across_threads(self, storage: Storage) -> None:
        name = self._new_study(storage)
        for _ in range(3):
            storage.create_trial(name, lease_seconds=SHORT)
        expire()
        got: list[Reaped] = []
        barrier = threading.Barrier(4)

        def reap() -> None:
            barrier.wait()
            got.extend(storage.reap_stale(name))

        threads = [threading.Thread(target=reap) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.number for r in got) == [0, 1, 2]
        assert sorted(r.retry for r in got if r.retry is not None) == [3, 4, 5]
        assert storage.state_counts(name)[TrialState.WAITING] == 3

    def test_dead_local_owner_is_stale_at_once(self, storage: Storage) -> None:
        name = self._new_study(storage)
        mine = storage.create_trial(name, lease_seconds=3600.0)
        dead_owner = f"{socket.gethostname()}:{DEAD_OWNER_PID}:123"
        payload = {"state": "RUNNING", "time": 0.0, "user_attrs": {}, "system_attrs": {}}
        dead = storage._create_trials(name, TrialState.RUNNING, [payload], dead_owner, None,
                                      ttl=3600.0)[0]
        storage.create_trial(name, waiting=True)
        reaped = storage.reap_stale(name, max_retries=0)
        assert [(r.number, r.retry) for r in reaped] == [(dead, None)]
        trials = storage.history(name).trials
        assert [t.state for t in trials] == [TrialState.RUNNING, TrialState.STALE,
                                             TrialState.WAITING]
        assert "exited" in (trials[dead].fail_reason or "")
        assert trials[mine].state is TrialState.RUNNING

    def test_force_declares_every_running_trial_stale(self, storage: Storage) -> None:
        name = self._new_study(storage)
        a = storage.create_trial(name, lease_seconds=3600.0)
        storage.create_trial(name, waiting=True)
        assert [r.number for r in storage.reap_stale(name, force=True)] == [a]
        assert storage.leases(name) == []
