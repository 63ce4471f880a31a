"""Study: a named optimisation problem in a storage, driven by ask/tell or ``optimize``."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tunecraft.artifacts import ARTIFACTS_ATTR, ArtifactStore, as_store
from tunecraft.direction import StudyDirection
from tunecraft.exceptions import SearchSpaceExhausted
from tunecraft.execution.leases import keeper
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Dim
from tunecraft.storage.base import Storage, check_lease_seconds, check_user_attr, new_token
from tunecraft.study import _begin, _enqueue, _lease, _schedule, _tell
from tunecraft.study._begin import Reservation
from tunecraft.study._optuna_compat import OptunaStudyMixin
from tunecraft.trial import Trial

if TYPE_CHECKING:
    from concurrent.futures import Executor

    import pandas as pd

logger = logging.getLogger("tunecraft")

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]


class Study(OptunaStudyMixin):
    """A study: its trials live in ``storage``; ``sampler`` proposes, ``pruner`` stops early.

    Create one with :func:`tunecraft.create_study` or :func:`tunecraft.load_study`.

    A trial's lifecycle is public: :meth:`ask` is :meth:`reserve` (claim a queued trial or
    create one, leased; no sampling) then :meth:`begin` (sample, hand out the Trial), and
    :meth:`tell` finishes it. The optimize loop and the executors
    (:mod:`tunecraft.execution`) drive a study through these alone; a driver reserves, its
    worker (perhaps in another process) begins and tells.
    """

    def __init__(
        self,
        study_name: str,
        storage: Storage,
        sampler: BaseSampler,
        pruner: BasePruner,
        *,
        heartbeat_interval: float = 10.0,
        stale_grace: float | None = None,
        max_retries: int = 2,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        artifacts: str | os.PathLike[str] | ArtifactStore | None = None,
    ) -> None:
        if heartbeat_interval <= 0:
            raise ValueError(f"heartbeat_interval={heartbeat_interval!r} must be > 0 seconds")
        self.study_name = study_name
        self._storage = storage
        self.sampler = sampler
        self.pruner = pruner
        self.directions: tuple[StudyDirection, ...] = storage.study_directions(study_name)
        self.heartbeat_interval = float(heartbeat_interval)
        self.stale_grace = float(stale_grace if stale_grace is not None
                                 else 6 * heartbeat_interval)
        # stale_grace is the lease: how long a trial stays held without a renewal
        self.stale_grace = check_lease_seconds(self.stale_grace)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries={max_retries!r} must be an integer >= 0")
        self.max_retries = max_retries
        self._next_stale_check = 0.0
        self._stop_requested = False
        if constraints_func is None:  # Optuna gives it to the sampler (TPESampler & co.)
            constraints_func = getattr(sampler, "constraints_func", None)
        if constraints_func is not None and not callable(constraints_func):
            raise TypeError(f"constraints_func={constraints_func!r} must be a function of a "
                            "FrozenTrial returning constraint values (<= 0: satisfied)")
        self.constraints_func = constraints_func
        if artifacts is not None and not isinstance(artifacts, (str, os.PathLike,
                                                                ArtifactStore)):
            raise TypeError(f"artifacts={artifacts!r} must be a directory path, an "
                            "ArtifactStore or None")
        self._artifacts: ArtifactStore | None = None
        if artifacts is not None:  # recorded for the user's information only (see artifacts)
            self._artifacts = as_store(artifacts, storage)
            storage.set_study_attr(study_name, ARTIFACTS_ATTR, str(self._artifacts.root))

    # ------------------------------------------------------------------ reading
    @property
    def artifacts(self) -> ArtifactStore:
        """Where trials keep checkpoints: the directory given to ``create_study`` or
        ``load_study``, else the default for the storage (see ``create_study``).

        File paths come from the user, never from the database: the directory an earlier
        session recorded in the study is not used unless given again (whoever can write the
        study file could otherwise choose where checkpoints are written and deleted); a
        warning names it when it differs from the one in use.
        """
        if self._artifacts is None:
            self._artifacts = as_store(None, self._storage)
            recorded = self._storage.study_attrs(self.study_name).get(ARTIFACTS_ATTR)
            if isinstance(recorded, str) and recorded != str(self._artifacts.root):
                logger.warning(
                    "Study %r recorded its checkpoints in %r, but this process keeps them in "
                    "%r: pass artifacts=%r to create_study/load_study (tunecraft worker: "
                    "--artifacts) to resume from them.", self.study_name, recorded,
                    str(self._artifacts.root), recorded)
        return self._artifacts

    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) != 1:
            raise RuntimeError("this study has several objectives; use study.directions")
        return self.directions[0]

    def history(self) -> History:
        """A snapshot of every trial now (reads only what changed since the last call)."""
        return self._storage.history(self.study_name)

    @property
    def trials(self) -> tuple[FrozenTrial, ...]:
        """All trials, in number order."""
        return self.history().trials

    def get_trials(self, deepcopy: bool = True, states: Container[TrialState] | None = None
                   ) -> tuple[FrozenTrial, ...]:
        """Trials, optionally only those whose state is in ``states``. ``deepcopy`` is
        accepted for Optuna's signature; records are immutable, so no copy is ever needed."""
        trials = self.history().trials
        return trials if states is None else tuple(t for t in trials if t.state in states)

    def add_trial(self, trial: FrozenTrial) -> None:
        """Record a finished trial built elsewhere (``tunecraft.trial.create_trial``)."""
        from tunecraft.study._add import add_trial

        add_trial(self, trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """:meth:`add_trial` for each trial (e.g. another study's ``trials``)."""
        from tunecraft.study._add import add_trials

        add_trials(self, trials)

    @property
    def best_trial(self) -> FrozenTrial:
        """The best feasible COMPLETE trial; raises ValueError when there is none."""
        history = self.history()
        best = history.best_trial()
        if best is None:
            what = "feasible COMPLETE trial" if history.complete() else "COMPLETE trial"
            raise ValueError(f"study {self.study_name!r} has no {what} yet, so no best trial")
        return best

    @property
    def best_value(self) -> float:
        values = self.best_trial.values
        return float(values[0]) if values else float("nan")

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> tuple[FrozenTrial, ...]:
        """The Pareto front (for one objective: every trial tied for best)."""
        return self.history().best_trials()

    @property
    def user_attrs(self) -> dict[str, Any]:
        attrs = self._storage.study_attrs(self.study_name)
        return {k[5:]: v for k, v in attrs.items() if k.startswith("user:")}

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to the study."""
        check_user_attr(key, value)
        self._storage.set_study_attr(self.study_name, f"user:{key}", value)

    # ------------------------------------------------------------------ ask / tell
    def enqueue_trial(
        self,
        params: Mapping[str, Any],
        user_attrs: Mapping[str, Any] | None = None,
        *,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial whose parameters named in ``params`` are fixed; it runs before any
        newly sampled trial. With ``skip_if_exists``, identical queued or finished params
        are not queued again."""
        _enqueue.enqueue(self, params, user_attrs, skip_if_exists)

    def _enqueue_initial(self) -> bool:
        """Enqueue a finite sampler's points once per study; True if the sampler is finite."""
        return _enqueue.enqueue_initial(self)

    def fail_stale_trials(self) -> list[int]:
        """Mark STALE the RUNNING trials whose worker is gone (lease run out, or process on
        this host exited) and queue their retries (``max_retries``); returns their numbers."""
        return [r.number for r in _lease.reap(self)]

    def ask(self, fixed_distributions: Mapping[str, Dim] | None = None) -> Trial:
        """Start a trial: claim a queued one or create a new one, and sample its joint space.

        ``fixed_distributions`` suggests those parameters right away, so ``trial.params``
        holds them without calling ``suggest_*`` (useful for ask/tell loops).
        """
        reservation = self.reserve()
        return self.begin(reservation.number, reservation.token, fixed_distributions)

    def reserve(self) -> Reservation:
        """Claim a queued trial or create one, RUNNING under a lease with a new token; no
        sampling yet (the first half of :meth:`ask`: a driver reserves, its worker begins).

        On a shared storage, reaps stale trials first, at most once per heartbeat interval.
        Queues a finite sampler's points once per study, and the promotion the pruner
        orders, before claiming. Raises SearchSpaceExhausted when a finite sampler has no
        point left.
        """
        if self._storage.shared and time.monotonic() >= self._next_stale_check:
            self._next_stale_check = time.monotonic() + self.heartbeat_interval
            self.fail_stale_trials()
        finite = self._enqueue_initial()
        _schedule.enqueue_promotion(self)  # a paused trial to continue goes first
        token = new_token()
        if not finite:  # claim-or-create: one write transaction
            number, claimed = self._storage.start_trial(self.study_name, token=token,
                                                        lease_seconds=self.stale_grace)
            return Reservation(number, token, claimed)
        found = self._storage.claim_waiting_trial(self.study_name, token=token,
                                                  lease_seconds=self.stale_grace)
        if found is None:
            raise SearchSpaceExhausted(
                f"{type(self.sampler).__name__} has no points left in study {self.study_name!r}"
            )
        return Reservation(found, token, True)

    def begin(self, number: int, token: str,
              fixed_distributions: Mapping[str, Dim] | None = None) -> Trial:
        """Begin trial ``number``, held under lease ``token`` (from :meth:`reserve`, or a
        token the worker took the lease over with): sample its joint space, publish the
        proposal, and renew its lease until :meth:`tell` (shared storages). A failure here
        finishes the trial as FAIL and is raised."""
        try:
            trial = _begin.begin(self, number, token)
            for name, dim in (fixed_distributions or {}).items():
                trial.control.suggest(name, dim)
        except BaseException as exc:
            self._storage.finish(self.study_name, number, TrialState.FAIL,
                                 reason=f"sampling failed: {type(exc).__name__}: {exc}",
                                 token=token)
            raise
        if self._storage.shared:
            keeper.track(self._storage, self.study_name, number, self.heartbeat_interval,
                         token)
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        *,
        fail_reason: str | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial: COMPLETE with ``values``, or PRUNED / FAIL via ``state``.

        NaN (or a value that is not a number) turns the trial into FAIL with the reason
        recorded; +-inf is a value (a diverged run: COMPLETE, never the best, and samplers
        learn the region is bad), as in Optuna. Telling a
        finished trial raises TrialFinishedError unless ``skip_if_finished``.
        """
        return _tell.tell(self, trial, values, state, fail_reason, skip_if_finished)

    # ------------------------------------------------------------------ optimize and export
    def optimize(
        self,
        objective: Objective,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Sequence[Callback] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool | None = None,
        *,
        executor: Executor | str | None = None,
        devices: Sequence[int | str] | None = None,
    ) -> None:
        """Run ``objective`` on new trials until ``n_trials`` ran, ``timeout`` seconds passed,
        the sampler is exhausted, or :meth:`stop` is called.

        An exception raised by the objective marks its trial FAIL (reason and traceback
        recorded) and is then raised, as in Optuna: a bug in the objective stops the study
        at the first trial instead of burning the whole budget. Exceptions of a type in
        ``catch`` are recorded the same way and the study goes on:
        ``catch=(Exception,)`` keeps going after any error (tunecraft's behaviour before
        0.2). IncompatibleSpace (a parameter asked with another distribution than the study
        recorded) is raised unless ``catch`` names it: it would fail every later trial too.
        ``n_jobs > 1`` runs trials in that many worker processes when the storage is shared
        (SQLite, PostgreSQL; the objective is sent with cloudpickle, closures included)
        and in threads for an in-memory storage. ``executor`` picks explicitly:
        ``"thread"``, ``"process"``, or any ``concurrent.futures.Executor``
        (``tunecraft.execution.ProcessPool``, a Dask client's executor, ``RayExecutor``);
        ``devices=[0, 1]`` gives each worker process its own GPU (see docs/distributed.md).
        A progress bar shows when standard output is a terminal (``show_progress_bar=None``);
        ``True``/``False`` or the ``TUNECRAFT_PROGRESS`` variable (1 or 0) force it.
        """
        from tunecraft.execution.loop import run_optimize

        me = threading.get_ident()  # optimize calls from several threads are fine
        inside: set[int] = self.__dict__.setdefault("_optimizing_threads", set())
        if me in inside:  # as in Optuna
            raise RuntimeError("Nested optimization detected: optimize() was called from an "
                               "objective or callback of this study's optimize(); ask() and "
                               "tell() a trial there, or use another Study object")
        self._stop_requested = False
        inside.add(me)
        try:
            run_optimize(self, objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                         catch=catch, callbacks=callbacks or (),
                         gc_after_trial=gc_after_trial, show_progress_bar=show_progress_bar,
                         executor=executor, devices=devices)
        finally:
            inside.discard(me)

    def stop(self) -> None:
        """Ask a running ``optimize`` to start no new trial (running ones finish)."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`stop` was called since ``optimize`` began (the loop reads it)."""
        return self._stop_requested

    def trials_dataframe(self, attrs: Sequence[str] | None = None) -> pd.DataFrame:
        """The trials as a pandas DataFrame (needs ``pip install 'tunecraft[pandas]'``)."""
        from tunecraft.export import to_dataframe

        return to_dataframe(self.history(), attrs)

    def export(self, path: str, format: str | None = None) -> None:
        """Write the trials to ``path`` as CSV or JSON (format from the suffix by default)."""
        from tunecraft.export import write_trials

        write_trials(self.history(), path, format, study_name=self.study_name)

    def __repr__(self) -> str:
        return (f"Study(name={self.study_name!r}, directions="
                f"{[d.value for d in self.directions]}, sampler={self.sampler!r})")

