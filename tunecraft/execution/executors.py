"""Executors that run trials: a local process pool with GPU slots, and Dask and Ray adapters.

``Study.optimize(..., executor=...)`` takes any :class:`concurrent.futures.Executor`. Only ids
and a small pickled spec cross it; workers write their results to the storage themselves, so
what an engine re-runs or loses is settled by leases, never by the engine. Engines' own
retries are therefore turned off here.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, TypeVar, cast

from tunecraft._imports import require
from tunecraft._validation import Interval, Options, check

R = TypeVar("R")

WORKER_LOST = frozenset({
    "BrokenProcessPool", "BrokenExecutor", "KilledWorker", "CommClosedError",
    "WorkerCrashedError", "NodeDiedError", "RayActorError", "ActorDiedError",
    "OwnerDiedError", "LocalRayletDiedError", "ObjectLostError", "TaskCancelledError",
})
"""Names of the exceptions by which executors say a worker died (not that a trial failed)."""

N_JOBS = (Interval(int, 1, label="a positive integer"), Options(-1, note="all cores"))
"""What ``n_jobs`` may be (``optimize``, ``tunecraft run``, a run config): a number of
parallel trials, or -1 for one per CPU core."""


def is_worker_lost(exc: BaseException) -> bool:
    """True when ``exc`` means the process running a task died, whatever the engine."""
    return any(cls.__name__ in WORKER_LOST for cls in type(exc).__mro__)


class ProcessPool(Executor):
    """Local worker processes (spawned, never forked), one trial at a time each.

    Each slot is its own one-process pool, so a worker that dies (SIGKILL, out of memory)
    takes only its own trial with it: the slot is restarted for the next task and the others
    run on. ``devices`` pins slots to GPUs through ``CUDA_VISIBLE_DEVICES``, set in the
    worker before anything can start CUDA: ``devices=[0, 1]`` runs one trial per GPU,
    ``devices=[0, 0, 1, 1]`` two per GPU, ``devices=["0,1"]`` one trial on both.

    Args:
        n_workers: Number of slots; default ``len(devices)``.
        devices: One CUDA device string (or int) per slot.
        fresh_process: Start a new process for every trial (clean GPU memory and state;
            costs an interpreter start per trial). Needs Python >= 3.11.
    """

    def __init__(self, n_workers: int | None = None, *, devices: Sequence[int | str] | None = None,
                 fresh_process: bool = False) -> None:
        slots: list[str] | None = None
        if devices is not None:
            if isinstance(devices, (str, int)) or not devices:
                raise ValueError(f"devices={devices!r} must be a non-empty list such as [0, 1]")
            slots = [str(d) for d in devices]
        if n_workers is None:
            n_workers = len(slots) if slots else None
        n_workers = cast(int, check("n_workers", n_workers, Interval(
            int, 1, label="a positive integer"), fix="give one, or pass devices=[...]"))
        if slots is not None and len(slots) != n_workers:
            raise ValueError(f"devices={devices!r} gives {len(slots)} slots but "
                             f"n_workers={n_workers}; list one device per slot (repeat a "
                             "device to run several trials on it)")
        if fresh_process and sys.version_info < (3, 11):
            raise ValueError("fresh_process=True needs Python 3.11 or newer "
                             "(ProcessPoolExecutor's max_tasks_per_child)")
        self.n_workers = n_workers
        self.devices: list[str | None] = list(slots) if slots else [None] * n_workers
        self.fresh_process = fresh_process
        self._lock = threading.Lock()
        self._pools: list[ProcessPoolExecutor | None] = [None] * n_workers
        self._busy = [0] * n_workers
        self._closed = False

    def _pool(self, slot: int) -> ProcessPoolExecutor:
        from tunecraft.execution.worker import init_pool_worker

        pool = self._pools[slot]
        if pool is None or getattr(pool, "_broken", False):
            if pool is not None:
                pool.shutdown(wait=False)
            kwargs: dict[str, Any] = {"max_tasks_per_child": 1} if self.fresh_process else {}
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=init_pool_worker,
                                       initargs=(self.devices[slot], os.getpid()),
                                       **kwargs)
            self._pools[slot] = pool
        return pool

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a ProcessPool after shutdown()")
            slot = min(range(self.n_workers), key=lambda i: self._busy[i])
            self._busy[slot] += 1
            future = self._pool(slot).submit(fn, *args, **kwargs)

        def release(_: Future[R]) -> None:
            with self._lock:
                self._busy[slot] -= 1

        future.add_done_callback(release)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pools = [p for p in self._pools if p is not None]
        for pool in pools:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def worker_pids(self) -> list[int]:
        """Process ids of the live worker processes (for monitoring and fault tests)."""
        with self._lock:
            return [pid for p in self._pools if p is not None
                    for pid in getattr(p, "_processes", None) or {}]

    def __repr__(self) -> str:
        return (f"ProcessPool({self.n_workers}, devices={self.devices!r}, "
                f"fresh_process={self.fresh_process})")


def dask_executor(client: Any, **options: Any) -> Executor:
    """A Dask ``distributed.Client``'s executor for ``optimize``: impure tasks (the same
    arguments twice are two trials) and no Dask-level retries (leases decide retries).

    ``options`` go to ``client.get_executor`` (``resources={"GPU": 1}``, ``workers=...``).
    """
    require("distributed", "dask")
    options.setdefault("pure", False)
    options.setdefault("retries", 0)
    return client.get_executor(**options)  # type: ignore[no-any-return]


class RayExecutor(Executor):
    """Runs each task as a Ray task (``max_retries=0``: leases decide retries).

    Call ``ray.init(...)`` first (or let Ray start a local instance). ``options`` go to
    ``.options()`` of the remote function: ``num_cpus``, ``num_gpus`` (Ray then sets
    ``CUDA_VISIBLE_DEVICES`` in the worker), ``resources``, ``scheduling_strategy``...
    """

    def __init__(self, **options: Any) -> None:
        require("ray", "ray")
        options.setdefault("num_cpus", 1)
        options["max_retries"] = 0
        options.setdefault("retry_exceptions", False)
        self.options = options
        self._remote: dict[Callable[..., Any], Any] = {}
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        import ray

        with self._lock:
            remote = self._remote.get(fn)
            if remote is None:
                remote = self._remote[fn] = ray.remote(fn).options(**self.options)
        return remote.remote(*args, **kwargs).future()  # type: ignore[no-any-return]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._remote.clear()

    def __repr__(self) -> str:
        return f"RayExecutor({self.options!r})"
