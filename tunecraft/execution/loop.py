"""The ``Study.optimize`` loop: ask, run the objective, tell; serially, in threads, or through
an executor (worker processes, Dask, Ray: :mod:`tunecraft.execution.driver`).

The loop drives a study through its public lifecycle only (``ask`` / ``reserve`` / ``begin``
/ ``tell``, ``history``, ``fail_stale_trials``, ``stop_requested``) and imports no study
module at run time (``Study.optimize`` calls in; the driver hands the study's class to its
workers), so that the packages import each other one way.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING

from tunecraft._validation import Interval, Options, Spec, validate
from tunecraft.exceptions import SearchSpaceExhausted
from tunecraft.execution.executors import N_JOBS
from tunecraft.execution.runner import run_trial
from tunecraft.record import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunecraft.progress import ProgressBar
    from tunecraft.study.study import Callback, Objective, Study

logger = logging.getLogger("tunecraft")


class Quota:
    """Shared between worker threads: how many trials may still start, and until when."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self._lock = threading.Lock()
        self._left = n_trials
        self.start = time.monotonic()
        self.deadline = None if timeout is None else self.start + timeout
        self.stopped = False

    def take(self, study: Study) -> bool:
        with self._lock:
            if self.stopped or study.stop_requested:
                return False
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return False
            if self._left is not None:
                if self._left <= 0:
                    return False
                self._left -= 1
            return True

    def stop(self) -> None:
        with self._lock:
            self.stopped = True

    def refund(self) -> None:
        """Give back a trial whose lease was lost: ``n_trials`` counts recorded results, so
        the lost trial's retry (or a new trial) takes its place."""
        with self._lock:
            if self._left is not None:
                self._left += 1


_CONSTRAINTS: Spec = {
    "n_trials": [Interval(int, 0, label="a non-negative integer"), Options(None)],
    "timeout": [Interval(float, 0, closed="neither", finite=False,
                         label="a positive number of seconds"), Options(None)],
    "n_jobs": N_JOBS,
}


def _check_args(n_trials: int | None, timeout: float | None, n_jobs: int) -> int:
    validate(_CONSTRAINTS, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs)
    return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs


def _log_finished(study: Study, frozen: FrozenTrial) -> None:
    if frozen.state is not TrialState.COMPLETE or not logger.isEnabledFor(logging.INFO):
        return
    shown = frozen.values[0] if frozen.values and len(frozen.values) == 1 else frozen.values
    logger.info("Trial %d finished with value %s and parameters %s.", frozen.number, shown,
                dict(frozen.params))


def run_optimize(
    study: Study,
    objective: Objective,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Sequence[Callback],
    gc_after_trial: bool,
    show_progress_bar: bool | None,
    executor: Executor | str | None = None,
    devices: Sequence[int | str] | None = None,
) -> None:
    if not callable(objective):
        raise TypeError(f"objective must be callable(trial) -> value, got {objective!r}")
    jobs = _check_args(n_trials, timeout, n_jobs)
    caught = (catch,) if isinstance(catch, type) else tuple(catch)
    for c in caught:
        if not (isinstance(c, type) and issubclass(c, BaseException)):
            raise TypeError(f"catch must hold exception classes, got {c!r}")
    budget = Quota(n_trials, timeout)
    bar: ProgressBar | None = None
    from tunecraft.progress import ProgressBar, progress_enabled

    if progress_enabled(show_progress_bar):  # None: in a terminal, or as TUNECRAFT_PROGRESS says
        bar = ProgressBar(study, n_trials, timeout)
    errors: list[BaseException] = []
    pool, owned = _choose_executor(study, executor, devices, jobs)
    from tunecraft.execution.driver import remember_objective

    remember_objective(study, objective)  # for `tunecraft worker` processes joining later

    def finished(frozen: FrozenTrial) -> None:
        _log_finished(study, frozen)
        for cb in callbacks:
            cb(study, frozen)
        if bar is not None:
            bar.update(frozen)

    if pool is not None:
        from tunecraft.execution.driver import Driver, parallelism_of

        width = jobs if jobs > 1 and not owned else parallelism_of(pool, os.cpu_count() or 1)
        try:
            if bar is not None:
                bar.start()
            Driver(study, objective, pool, width, budget, caught, finished, gc_after_trial,
                   in_process=isinstance(pool, ThreadPoolExecutor)).run()
        finally:
            if owned:
                pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.stop()
        return

    def work() -> None:
        while not errors and budget.take(study):
            try:
                try:
                    trial = study.ask()
                except SearchSpaceExhausted:
                    budget.stop()
                    return
                frozen = run_trial(study, objective, trial, caught)
                if frozen.state in (TrialState.STALE, TrialState.RUNNING):
                    budget.refund()  # lost lease: its retry (claimed first) takes its place
                finished(frozen)
            except BaseException as exc:  # from ask, the objective or a callback
                errors.append(exc)
                budget.stop()
                if jobs == 1:
                    raise
                return
            finally:
                if gc_after_trial:
                    gc.collect()

    try:
        if bar is not None:
            bar.start()
        if jobs == 1:
            work()
        else:
            threads = [threading.Thread(target=work, name=f"tunecraft-job-{i}", daemon=True)
                       for i in range(jobs)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise errors[0]
    finally:
        if bar is not None:
            bar.stop()


def _choose_executor(study: Study, executor: Executor | str | None,
                     devices: Sequence[int | str] | None, jobs: int
                     ) -> tuple[Executor | None, bool]:
    """(executor to drive, whether optimize owns it); (None, False) for this process's loop.

    Default: one process-local loop for ``n_jobs=1``; threads for ``n_jobs > 1`` on an
    in-memory storage (other processes cannot see it); worker processes otherwise.
    """
    from tunecraft.execution.executors import ProcessPool

    shared = study.storage.shared
    if devices is not None and executor not in (None, "process"):
        raise ValueError("devices= applies to the local process pool; with your own "
                         "executor, pin GPUs through it (Dask resources, Ray num_gpus)")
    if isinstance(executor, Executor):
        if not shared and not isinstance(executor, ThreadPoolExecutor):
            raise ValueError(
                f"executor={executor!r} runs trials in other processes, which cannot see an "
                "in-memory storage; use a shared storage (storage='study.db' or a "
                "PostgreSQL URL), or threads (executor='thread')")
        return executor, False
    if executor not in (None, "thread", "process"):
        raise ValueError(f"executor={executor!r} must be None, 'thread', 'process' or a "
                         "concurrent.futures.Executor (e.g. ProcessPool, a Dask client's "
                         "get_executor(), RayExecutor)")
    if executor == "thread" or (executor is None and devices is None and (
            jobs == 1 or not shared)):
        return None, False
    if not shared:
        raise ValueError("worker processes cannot see an in-memory storage; use a shared "
                         "storage (storage='study.db' or a PostgreSQL URL), or threads "
                         "(executor='thread')")
    if devices is not None:
        return ProcessPool(devices=devices), True
    return ProcessPool(jobs), True

