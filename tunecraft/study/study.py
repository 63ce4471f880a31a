"""Study: a named optimisation problem in a storage, driven by ask/tell or ``optimize``."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tunecraft.artifacts import ARTIFACTS_ATTR, ArtifactStore, as_store
from tunecraft.direction import StudyDirection
from tunecraft.exceptions import SearchSpaceExhausted, TrialFinishedError
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner
from tunecraft.record import FrozenTrial, TrialState, thaw
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Dim
from tunecraft.storage.base import (
    PROPOSAL,
    Storage,
    check_lease_seconds,
    check_user_attr,
    new_token,
)
from tunecraft.storage.events import Event, EventKind
from tunecraft.storage.memory import InMemoryStorage
from tunecraft.study import _lease, _schedule
from tunecraft.trial import Trial, check_values

if TYPE_CHECKING:
    from concurrent.futures import Executor

    import pandas as pd

logger = logging.getLogger("tunecraft")

PUBLISH_TRIES = 3
"""How often a trial samples its joint proposal again when another worker published the same
point while it sampled; the last try is kept whatever it is (a small discrete space may
have no other point)."""

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]


class Study:
    """A study: its trials live in ``storage``; ``sampler`` proposes, ``pruner`` stops early.

    Create one with :func:`tunecraft.create_study` or :func:`tunecraft.load_study`.
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

    _fresh_history = history

    @property
    def trials(self) -> tuple[FrozenTrial, ...]:
        """All trials, in number order."""
        return self.history().trials

    def get_trials(self, states: Container[TrialState] | None = None) -> tuple[FrozenTrial, ...]:
        """Trials, optionally only those whose state is in ``states``."""
        trials = self.history().trials
        return trials if states is None else tuple(t for t in trials if t.state in states)

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

    def _known_distribution(self, history: History, name: str) -> Dim | None:
        return history.param_distributions().get(name)

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
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping of name -> value, got {params!r}")
        fixed = dict(params)
        check_user_attr("fixed_params", fixed)
        if skip_if_exists:
            for t in self.history().trials:  # dict equality: key order and 2 vs 2.0 do not count
                if thaw(t.system_attrs.get("fixed_params", {})) == fixed:
                    return
                if t.state.is_finished() and t.params and dict(t.params) == fixed:
                    return
        self._storage.create_trial(self.study_name, waiting=True, user_attrs=user_attrs,
                                   system_attrs={"fixed_params": fixed})

    def _enqueue_initial(self) -> bool:
        """Enqueue a finite sampler's points once per study; True if the sampler is finite."""
        points = self.sampler.initial_trials()
        if points is None:
            return False
        fingerprint = getattr(self.sampler, "fingerprint", lambda: repr(self.sampler))()
        key = f"sampler_queue:{fingerprint}"
        if key not in self._storage.study_attrs(self.study_name):  # skip the write when done
            # every point in one transaction that also sets the key: however many workers
            # race here, the points are queued whole and exactly once
            self._storage.enqueue_trials(self.study_name,
                                         [{"fixed_params": dict(p)} for p in points],
                                         once_key=key)
        return True

    def fail_stale_trials(self) -> list[int]:
        """Mark STALE the RUNNING trials whose worker is gone (lease run out, or process on
        this host exited) and queue their retries (``max_retries``); returns their numbers."""
        return [r.number for r in _lease.reap(self)]

    def ask(self, fixed_distributions: Mapping[str, Dim] | None = None) -> Trial:
        """Start a trial: claim a queued one or create a new one, and sample its joint space.

        ``fixed_distributions`` suggests those parameters right away, so ``trial.params``
        holds them without calling ``suggest_*`` (useful for ask/tell loops).
        """
        number, token, _ = self._reserve()
        return self._begin(number, token, fixed_distributions)

    def _reserve(self) -> tuple[int, str, bool]:
        """Claim a queued trial or create one, leased under a new token; no sampling yet
        (a driver reserves, its worker begins). Reaps stale trials first, now and then.
        Returns (number, token, whether a queued trial was claimed)."""
        if not isinstance(self._storage, InMemoryStorage) and time.monotonic() >= \
                self._next_stale_check:
            self._next_stale_check = time.monotonic() + self.heartbeat_interval
            self.fail_stale_trials()
        finite = self._enqueue_initial()
        _schedule.enqueue_promotion(self)  # a paused trial to continue goes first
        token = new_token()
        if not finite:  # claim-or-create: one write transaction
            number, claimed = self._storage.start_trial(self.study_name, token=token,
                                                        lease_seconds=self.stale_grace)
            return number, token, claimed
        found = self._storage.claim_waiting_trial(self.study_name, token=token,
                                                  lease_seconds=self.stale_grace)
        if found is None:
            raise SearchSpaceExhausted(
                f"{type(self.sampler).__name__} has no points left in study {self.study_name!r}"
            )
        return found, token, True

    def _begin(self, number: int, token: str,
               fixed_distributions: Mapping[str, Dim] | None = None) -> Trial:
        """Sample a reserved trial's joint space and keep its lease renewed."""
        try:
            trial = self._start(number, token)
            trial._lease_token = token
            for name, dim in (fixed_distributions or {}).items():
                trial._suggest(name, dim)
        except BaseException as exc:
            self._storage.finish(self.study_name, number, TrialState.FAIL,
                                 reason=f"sampling failed: {type(exc).__name__}: {exc}",
                                 token=token)
            raise
        if not isinstance(self._storage, InMemoryStorage):
            _lease.keeper.track(self._storage, self.study_name, number,
                                self.heartbeat_interval, token)
        return trial

    def _start(self, number: int, token: str | None = None) -> Trial:
        history = self.history()
        record = history.trial(number)
        fixed = dict(record.system_attrs.get("fixed_params", {}))
        # a scheduler's bracket and resume point (with the reports resumed from)
        begun = _schedule.start(self, record, history)
        rng = self.sampler.rng(number)
        for attempt in range(PUBLISH_TRIES):
            view = _schedule.sampler_view(self, history, begun.budget)
            space = {k: d for k, d in self.sampler.joint_space(view).items() if k not in fixed}
            relative, attrs = (self.sampler.sample_joint(space, view, rng, number) if space
                               else ({}, {}))
            events = list(begun.events)
            if not relative:
                if events:
                    self._storage.write(self.study_name, number, events, token=token)
                break
            # Publish the joint proposal at once, so that concurrent workers' samplers see
            # where this running trial is (the constant liar) before any report; with it go
            # the sampler's attributes (e.g. CMA-ES's generation and resumable state).
            events += [Event(number, EventKind.SYSTEM_ATTR, {"key": k, "value": v})
                       for k, v in {**attrs, PROPOSAL: relative}.items()]
            if attempt == PUBLISH_TRIES - 1:
                self._storage.write(self.study_name, number, events, token=token)
            elif self._storage.publish(self.study_name, number, events, relative,
                                       since=history.cursor, token=token):
                break
            else:  # a worker that sampled the same history chose the same point first:
                history = self.history()  # sample again, seeing its proposal
        return Trial(self, number, history, fixed, space, relative, rng, sampler_history=view,
                     budget=begun.budget, resume=begun.resume, reported_steps=begun.steps)

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
        number = trial.number if isinstance(trial, Trial) else trial
        if isinstance(trial, Trial) and trial.study is not self and \
                trial.study.study_name != self.study_name:
            raise ValueError(f"trial {number} belongs to study {trial.study.study_name!r}")
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError(f"trial must be a Trial or a trial number, got {trial!r}")
        state = TrialState.COMPLETE if state is None else TrialState(state)
        reason = fail_reason
        final: tuple[float, ...] | None = None
        if state is TrialState.COMPLETE:
            if values is None:
                raise ValueError("tell() needs values for a COMPLETE trial; pass values=...")
            final, why = check_values(values, len(self.directions))
            if final is None:
                state, reason = TrialState.FAIL, why
        elif values is not None:
            raise ValueError(f"tell() takes no values for a {state.name} trial")
        elif not state.is_finished() or state is TrialState.STALE:
            raise ValueError(f"tell() needs a final state (COMPLETE, PRUNED, FAIL), got "
                             f"{state.name}")
        events: list[Event] = trial._take_pending() if isinstance(trial, Trial) else []
        if final is not None and self.constraints_func is not None:
            from tunecraft.study._constraints import constraint_event

            try:
                events.extend(constraint_event(self.history().trial(number), final, events,
                                               self.constraints_func))
            except Exception as exc:  # like an error in the objective: the trial fails
                state, final = TrialState.FAIL, None
                reason = f"constraints_func failed: {type(exc).__name__}: {exc}"
        if reason is not None and state is TrialState.FAIL:
            logger.warning("Trial %d failed: %s", number, reason)
        token = trial._lease_token if isinstance(trial, Trial) else None
        ok = self._storage.finish(self.study_name, number, state, final, reason, events,
                                  token=token)
        _lease.keeper.untrack(self._storage, self.study_name, number)
        if not ok:
            current = self.history().trial(number)
            if current.state in (TrialState.STALE, TrialState.RUNNING):
                # the lease was lost (this worker was presumed dead): the result is late
                return _lease.drop_late_result(current, state)
            if skip_if_finished:
                return current
            raise TrialFinishedError(
                f"trial {number} of study {self.study_name!r} is already "
                f"{current.state.name}; pass skip_if_finished=True to ignore this"
            )
        _schedule.collect(self)  # checkpoints no longer needed
        return self.history().trial(number)

    # ------------------------------------------------------------------ optimize and export
    def optimize(
        self,
        objective: Objective,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (Exception,),
        callbacks: Sequence[Callback] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
        *,
        executor: Executor | str | None = None,
        devices: Sequence[int | str] | None = None,
    ) -> None:
        """Run ``objective`` on new trials until ``n_trials`` ran, ``timeout`` seconds passed,
        the sampler is exhausted, or :meth:`stop` is called.

        An exception of a type in ``catch`` (by default every ``Exception``) marks the trial
        FAIL with its reason and the study goes on; other exceptions are recorded the same
        way and then raised. IncompatibleSpace (a parameter asked with another distribution
        than the study recorded) is raised after its first FAIL trial unless ``catch`` names
        it: it is a bug that would fail every later trial too, not a bad trial.
        ``n_jobs > 1`` runs trials in that many worker processes when the storage is shared
        (SQLite, PostgreSQL; the objective is sent with cloudpickle, closures included)
        and in threads for an in-memory storage. ``executor`` picks explicitly:
        ``"thread"``, ``"process"``, or any ``concurrent.futures.Executor``
        (``tunecraft.execution.ProcessPool``, a Dask client's executor, ``RayExecutor``);
        ``devices=[0, 1]`` gives each worker process its own GPU (see docs/distributed.md).
        """
        from tunecraft.study._optimize import run_optimize

        run_optimize(self, objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                     catch=catch, callbacks=callbacks or (), gc_after_trial=gc_after_trial,
                     show_progress_bar=show_progress_bar, executor=executor, devices=devices)

    def stop(self) -> None:
        """Ask a running ``optimize`` to start no new trial (running ones finish)."""
        self._stop_requested = True

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

