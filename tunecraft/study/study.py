"""Study: a named optimisation problem in a storage, driven by ask/tell or ``optimize``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tunecraft.direction import StudyDirection
from tunecraft.exceptions import SearchSpaceExhausted, TrialFinishedError
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner
from tunecraft.record import FrozenTrial, TrialState, thaw
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Dim
from tunecraft.storage.base import Storage, check_user_attr
from tunecraft.storage.events import Event, EventKind
from tunecraft.storage.memory import InMemoryStorage
from tunecraft.study import _lease
from tunecraft.trial import Trial, check_values

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger("tunecraft")

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
        self._next_stale_check = 0.0
        self._stop_requested = False

    # ------------------------------------------------------------------ reading
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
        """The best COMPLETE trial; raises ValueError when none has completed."""
        best = self.history().best_trial()
        if best is None:
            raise ValueError(
                f"study {self.study_name!r} has no COMPLETE trial yet, so no best trial"
            )
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
        """Mark FAIL the RUNNING trials whose worker died; returns their numbers."""
        return self._storage.fail_stale_trials(self.study_name, self.stale_grace)

    def ask(self, fixed_distributions: Mapping[str, Dim] | None = None) -> Trial:
        """Start a trial: claim a queued one or create a new one, and sample its joint space.

        ``fixed_distributions`` suggests those parameters right away, so ``trial.params``
        holds them without calling ``suggest_*`` (useful for ask/tell loops).
        """
        if not isinstance(self._storage, InMemoryStorage) and time.monotonic() >= \
                self._next_stale_check:
            self._next_stale_check = time.monotonic() + self.heartbeat_interval
            for number in self.fail_stale_trials():
                logger.warning("Trial %d had no live worker; it is marked FAIL.", number)
        finite = self._enqueue_initial()
        claimed = self._storage.claim_waiting_trial(self.study_name)
        if claimed is None and finite:
            raise SearchSpaceExhausted(
                f"{type(self.sampler).__name__} has no points left in study {self.study_name!r}"
            )
        number = claimed if claimed is not None else self._storage.create_trial(self.study_name)
        try:
            trial = self._start(number)
            for name, dim in (fixed_distributions or {}).items():
                trial._suggest(name, dim)
        except BaseException as exc:
            self._storage.finish(self.study_name, number, TrialState.FAIL,
                                 reason=f"sampling failed: {type(exc).__name__}: {exc}")
            raise
        if not isinstance(self._storage, InMemoryStorage):
            _lease.keeper.track(self._storage, self.study_name, number,
                                self.heartbeat_interval)
        return trial

    def _start(self, number: int) -> Trial:
        history = self.history()
        record = history.trial(number)
        fixed = dict(record.system_attrs.get("fixed_params", {}))
        rng = self.sampler.rng(number)
        space = {k: d for k, d in self.sampler.joint_space(history).items() if k not in fixed}
        relative = self.sampler.sample(space, history, rng, number) if space else {}
        if relative:
            # Publish the joint proposal at once, so that concurrent workers' samplers see
            # where this running trial is (the constant liar) before any report.
            self._storage.write(self.study_name, number, [Event(
                number, EventKind.SYSTEM_ATTR, {"key": "proposal", "value": relative})])
        return Trial(self, number, history, fixed, space, relative, rng)

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

        Non-finite values turn the trial into FAIL with the reason recorded. Telling a
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
        elif not state.is_finished():
            raise ValueError(f"tell() needs a final state (COMPLETE, PRUNED, FAIL), got "
                             f"{state.name}")
        events: list[Event] = trial._take_pending() if isinstance(trial, Trial) else []
        if reason is not None and state is TrialState.FAIL:
            logger.warning("Trial %d failed: %s", number, reason)
        ok = self._storage.finish(self.study_name, number, state, final, reason, events)
        _lease.keeper.untrack(self._storage, self.study_name, number)
        if not ok:
            current = self.history().trial(number)
            if skip_if_finished:
                return current
            raise TrialFinishedError(
                f"trial {number} of study {self.study_name!r} is already "
                f"{current.state.name}; pass skip_if_finished=True to ignore this"
            )
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
    ) -> None:
        """Run ``objective`` on new trials until ``n_trials`` ran, ``timeout`` seconds passed,
        the sampler is exhausted, or :meth:`stop` is called.

        An exception of a type in ``catch`` (by default every ``Exception``) marks the trial
        FAIL with its reason and the study goes on; other exceptions are recorded the same
        way and then raised. ``n_jobs > 1`` runs trials in that many threads.
        """
        from tunecraft.study._optimize import run_optimize

        run_optimize(self, objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                     catch=catch, callbacks=callbacks or (), gc_after_trial=gc_after_trial,
                     show_progress_bar=show_progress_bar)

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

