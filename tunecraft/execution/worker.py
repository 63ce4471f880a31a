"""The worker side of distributed optimisation: run one reserved trial, wherever it lands.

A driver reserves a trial in the storage (a number and a lease token) and submits
:func:`run_task` to an executor with nothing but ids and a pickled :class:`WorkerSpec`. The
worker takes the lease over under a token of its own, samples, runs the objective and records
the result itself; the future only says how it ended. A task run twice (Dask and Ray re-run
the tasks of dead workers) finds its token gone and returns ``lost`` without running.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tunecraft.record import TrialState
from tunecraft.storage.base import new_token

if TYPE_CHECKING:
    from tunecraft.pruners.base import BasePruner
    from tunecraft.samplers.base import BaseSampler
    from tunecraft.storage.base import Storage
    from tunecraft.study.study import Study


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to open the study and run trials, sent once per task.

    ``storage`` travels as its URL when pickled (SQL storages pickle that way), so a worker
    on another machine opens its own connections.
    """

    storage: Storage
    study_name: str
    objective: Callable[..., Any]
    sampler: BaseSampler
    pruner: BasePruner
    heartbeat_interval: float
    lease_seconds: float
    max_retries: int
    catch: tuple[type[BaseException], ...]
    gc_after_trial: bool = False
    constraints_func: Callable[..., Any] | None = None
    artifacts: str | None = None  # the driver's checkpoint folder (None: the default)
    key: str = field(default_factory=new_token)
    study_class: type[Study] = field(kw_only=True)
    """The driver's study class (``Study``, or a subclass taking its arguments), which the
    worker opens: execution imports no study module, the study hands itself over."""


@dataclass(frozen=True)
class TaskResult:
    """How a task ended. ``lost``: the trial was not this task's any more (already taken
    over, or its lease ran out), so nothing was recorded. ``error``: an exception the study
    does not catch, raised by the objective after its trial was recorded as FAIL."""

    number: int
    state: str | None
    lost: bool = False
    error: BaseException | None = None
    pid: int = field(default_factory=os.getpid)


def _dump(obj: Any, buf: io.BytesIO) -> None:
    """Pickle with cloudpickle, as Dask and Ray do: importable functions and classes by
    reference, lambdas, closures and what ``__main__`` defines (a notebook's or a script's
    objective) by value, with the globals they use. Read-only mappings (in samplers' caches)
    are pickled too. Plain ``pickle.loads`` reads the result where cloudpickle is installed
    (a dependency of tunecraft)."""
    import cloudpickle

    cloudpickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)


def pack(spec: WorkerSpec) -> bytes:
    """``spec`` as bytes for another process; TypeError naming the fix when it cannot be."""
    buf = io.BytesIO()
    try:
        _dump(spec, buf)
    except Exception as exc:
        what = _unpicklable_part(spec)
        raise TypeError(
            f"the {what} cannot be sent to worker processes ({type(exc).__name__}: {exc}). "
            "It, or something it uses (a variable it closes over, a global, the object of a "
            "bound method), cannot be pickled: create such objects (locks, open files or "
            "connections, a Study) inside the objective, or run in this process with "
            "threads: optimize(..., executor='thread')"
        ) from exc
    return buf.getvalue()


def _unpicklable_part(spec: WorkerSpec) -> str:
    for name, part in (("objective", spec.objective), ("sampler", spec.sampler),
                       ("pruner", spec.pruner), ("constraints_func", spec.constraints_func)):
        try:
            _dump(part, io.BytesIO())
        except Exception:
            return f"{name} {part!r}"
    return "study's worker settings"


_open_lock = threading.Lock()
_Opened = tuple["Study", Callable[..., Any], tuple[type[BaseException], ...], bool]
_opened: OrderedDict[str, _Opened] = OrderedDict()
MAX_OPEN_STUDIES = 8
"""How many optimize calls' studies a long-lived worker (a Dask or Ray worker serving many
calls) keeps open; the least recently used one is dropped, and its storage's connections close
once no running task holds it."""


def _open(key: str, packed: WorkerSpec | bytes) -> _Opened:
    """The worker's Study for this spec, built once per process (or thread pool)."""
    with _open_lock:
        if key in _opened:
            _opened.move_to_end(key)
            return _opened[key]
        spec = pickle.loads(packed) if isinstance(packed, bytes) else packed
        study = spec.study_class(spec.study_name, spec.storage, spec.sampler, spec.pruner,
                                 heartbeat_interval=spec.heartbeat_interval,
                                 stale_grace=spec.lease_seconds,
                                 max_retries=spec.max_retries,
                                 constraints_func=spec.constraints_func,
                                 artifacts=spec.artifacts)
        _opened[key] = (study, spec.objective, spec.catch, spec.gc_after_trial)
        while len(_opened) > MAX_OPEN_STUDIES:
            _opened.popitem(last=False)
        return _opened[key]


def run_task(key: str, packed: WorkerSpec | bytes, number: int, token: str) -> TaskResult:
    """Run reserved trial ``number`` (held under ``token``) and record its result here.

    Returns ``lost`` without running when the token no longer holds the trial. Never raises
    for the objective's exceptions: an uncaught one comes back in ``error``.
    """
    from tunecraft.execution.runner import run_trial

    try:
        study, objective, catch, collect = _open(key, packed)
    except BaseException as exc:  # e.g. the objective's module is missing on this machine
        return TaskResult(number, None, error=_portable(exc))
    global _busy
    mine = new_token()
    if not study.storage.take_over(study.study_name, number, token, new_token=mine):
        return TaskResult(number, None, lost=True)
    _busy += 1
    try:
        trial = study.begin(number, mine)
        frozen = run_trial(study, objective, trial, catch)
    except BaseException as exc:  # not caught: the trial is already recorded as FAIL
        return TaskResult(number, TrialState.FAIL.value, error=_portable(exc))
    finally:
        _busy -= 1
        if collect:
            gc.collect()
    lost = frozen.state in (TrialState.STALE, TrialState.RUNNING)
    return TaskResult(number, frozen.state.value, lost=lost)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (to reach the driver), else a RuntimeError saying it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return RuntimeError(f"the objective raised {text} (not picklable, shown as text)")


def init_pool_worker(devices: str | None, parent: int | None = None) -> None:
    """Process-pool initializer: pin this worker process to its GPUs before CUDA starts, and
    exit once the driver ``parent`` is gone (after the trial in hand, whose result it still
    records).

    The driver passes its own pid: read here with ``os.getppid()``, it would already be the
    adoptive parent's when the driver was killed while this process started, and the
    worker would then never notice that its driver is gone.
    """
    if devices is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = devices
    if parent is None:
        parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent and not _busy:
                os._exit(0)

    threading.Thread(target=watch, name="tunecraft-orphan-watch", daemon=True).start()


_busy = 0  # tasks running in this process (the orphan watch waits for them)
