"""The driver side of distributed optimisation: reserve trials, submit ids, reap, retry.

The driver keeps ``parallelism`` tasks in flight. For each, it reserves a trial in the storage
(number + lease token; it renews the lease until the worker takes it over) and submits
:func:`~tunecraft.execution.worker.run_task`. When a worker dies, its trial's lease runs out
(at once if the process was on this host); the driver, reaping every heartbeat interval, marks
it STALE, and runs the retry the reaper queued, so ``n_trials`` results are recorded even when
workers die: a lost trial's retry takes the lost trial's place in ``n_trials``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import TYPE_CHECKING, Any

from tunecraft.exceptions import SearchSpaceExhausted
from tunecraft.execution.executors import is_worker_lost
from tunecraft.execution.leases import keeper
from tunecraft.execution.worker import TaskResult, WorkerSpec, pack, run_task
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.storage.base import RETRIED_BY, new_token

if TYPE_CHECKING:
    from tunecraft.execution.loop import Quota
    from tunecraft.study.study import Study

logger = logging.getLogger("tunecraft")

OBJECTIVE_ATTR = "tunecraft:objective"
"""Study attribute naming the objective as ``module:function``, for ``tunecraft worker``."""


def remember_objective(study: Study, objective: Callable[..., Any]) -> None:
    """Store the objective's ``module:function`` with a shared study (once), so that
    ``tunecraft worker`` processes can join it without being told what to run."""
    ref = objective_ref(objective)
    if ref is not None and study.storage.shared:
        study.storage.set_study_attr(study.study_name, OBJECTIVE_ATTR, ref, only_if_absent=True)


def objective_ref(objective: Callable[..., Any]) -> str | None:
    """``module:qualname`` of an importable function, else None (lambdas, closures, __main__)."""
    module = getattr(objective, "__module__", None)
    name = getattr(objective, "__qualname__", None)
    if not module or not name or module == "__main__" or "<" in name:
        return None
    return f"{module}:{name}"


class Driver:
    """One ``optimize`` call that runs its trials through an executor."""

    def __init__(self, study: Study, objective: Callable[..., Any], executor: Executor,
                 parallelism: int, budget: Quota, catch: tuple[type[BaseException], ...],
                 on_done: Callable[[FrozenTrial], None], gc_after_trial: bool,
                 in_process: bool) -> None:
        self.study = study
        self.objective = objective
        self.executor = executor
        self.parallelism = parallelism
        self.budget = budget
        self.on_done = on_done
        spec = WorkerSpec(study.storage, study.study_name, objective, study.sampler,
                          study.pruner, study.heartbeat_interval, study.stale_grace,
                          study.max_retries, catch, gc_after_trial,
                          constraints_func=study.constraints_func,
                          artifacts=str(study.artifacts.root), study_class=type(study))
        # threads share this process's objects; other processes get bytes (checked now,
        # before any trial is reserved, so an unpicklable objective fails with the fix)
        self.packed: WorkerSpec | bytes = spec if in_process else pack(spec)
        self.key = spec.key
        self.in_flight: dict[Future[TaskResult], tuple[int, str]] = {}
        self.owed: set[int] = set()  # our trials that were lost: we run their retries
        self.next_reap = 0.0

    def run(self) -> None:
        study = self.study
        errors: list[BaseException] = []
        try:
            while True:
                if not errors:
                    self._fill()
                if not self.in_flight and (errors or not self.owed):
                    break
                if not self.in_flight:  # only lost trials left: wait for their reaping
                    time.sleep(min(study.heartbeat_interval, 1.0))
                    self._reap()
                    continue
                done, _ = wait(list(self.in_flight), timeout=study.heartbeat_interval,
                               return_when=FIRST_COMPLETED)
                for future in done:
                    error = self._collect(future)
                    if error is not None:
                        errors.append(error)
                        self.budget.stop()
                self._reap()
        finally:
            for number, _ in self.in_flight.values():  # only after an interrupt
                keeper.untrack(study.storage, study.study_name, number)
        if errors:
            raise errors[0]

    def _fill(self) -> None:
        study = self.study
        while len(self.in_flight) < self.parallelism:
            token = new_token()
            number = self._claim_owed(token)
            if number is None:
                if not self.budget.take(study):
                    return
                try:
                    reservation = study.reserve()
                except SearchSpaceExhausted:
                    self.budget.stop()
                    return
                number, token = reservation.number, reservation.token
            # the driver renews the lease until the worker takes it over
            keeper.track(study.storage, study.study_name, number,
                                study.heartbeat_interval, token)
            future = self.executor.submit(run_task, self.key, self.packed, number, token)
            self.in_flight[future] = (number, token)

    def _claim_owed(self, token: str) -> int | None:
        """Claim the queued retry of one of our lost trials, if one is waiting.

        A lost trial keeps its place in the budget until its retry runs here. If the retry
        was already taken, by this call (which counted it) or by another process, the place
        is given back; a trial out of retries keeps it (it counts, like a FAIL)."""
        if not self.owed:
            return None
        history = self.study.history()
        for number in sorted(self.owed):
            record = history.trial(number)
            if record.state is TrialState.RUNNING:
                continue  # not reaped yet
            self.owed.discard(number)
            retry = record.system_attrs.get(RETRIED_BY)
            if record.state is not TrialState.STALE or retry is None:
                continue  # finished after all, or out of retries
            claimed = self.study.storage.claim_waiting_trial(
                self.study.study_name, number=int(retry), token=token,
                lease_seconds=self.study.stale_grace)
            if claimed is not None:
                return claimed
            self.budget.refund()  # the retry is running elsewhere, or counted already
        return None

    def _collect(self, future: Future[TaskResult]) -> BaseException | None:
        number, _ = self.in_flight.pop(future)
        study = self.study
        keeper.untrack(study.storage, study.study_name, number)
        try:
            result = future.result()
        except BaseException as exc:
            if not is_worker_lost(exc):
                return exc
            logger.warning("The worker running trial %d died (%s: %s); its trial is "
                           "retried once its lease is found stale.", number,
                           type(exc).__name__, exc)
            self.owed.add(number)
            self.next_reap = 0.0
            return None
        if result.lost:
            self.owed.add(number)
            self.next_reap = 0.0
        elif result.state is not None:
            self.on_done(study.history().trial(number))
        return result.error

    def _reap(self) -> None:
        if time.monotonic() < self.next_reap:
            return
        self.next_reap = time.monotonic() + self.study.heartbeat_interval
        self.study.fail_stale_trials()


def stop_trial(study: Study, number: int) -> bool:
    """Ask the worker running trial ``number`` to stop: its next ``should_prune()`` is True.

    For schedulers that decide in the driver (e.g. from other workers' reports). Returns
    False when the trial is no longer running.
    """
    from tunecraft.exceptions import TrialFinishedError
    from tunecraft.storage.base import STOP_REQUESTED
    from tunecraft.storage.events import Event, EventKind

    try:
        study.storage.write(study.study_name, number, [Event(
            number, EventKind.SYSTEM_ATTR, {"key": STOP_REQUESTED, "value": True})])
    except TrialFinishedError:
        return False
    return True


def parallelism_of(executor: Executor, default: int) -> int:
    """How many tasks to keep in flight on ``executor``: its worker count when it tells
    (ProcessPool, concurrent.futures pools, a Dask client's threads), else ``default``."""
    for attr in ("n_workers", "_max_workers"):
        n = getattr(executor, attr, None)
        if isinstance(n, int) and n > 0:
            return n
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    if client is not None:
        try:
            return max(1, int(sum(client.nthreads().values())))
        except Exception:  # an old or unusual client: fall back
            return default
    return default


__all__: Sequence[str] = ["Driver", "objective_ref", "parallelism_of", "stop_trial"]
