"""Trial: the live handle an objective receives, with define-by-run ``suggest_*``, ``report`` and
``should_prune``."""

from __future__ import annotations

import datetime as dt
import logging
import math
import numbers
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from tunecraft._trial_compat import LegacySuggest, fit_high, report_step, report_value
from tunecraft._trial_compat import create_trial as create_trial  # Optuna's optuna.trial API
from tunecraft.decision import Decision
from tunecraft.exceptions import IncompatibleSpace, TrialFinishedError
from tunecraft.history import History
from tunecraft.record import CONSTRAINTS_KEY, thaw
from tunecraft.record import FrozenTrial as FrozenTrial  # Optuna's optuna.trial API
from tunecraft.record import TrialState as TrialState
from tunecraft.space import Categorical, CategoricalChoice, Dim, Float, Int, Space
from tunecraft.storage.base import check_user_attr
from tunecraft.storage.events import Event, EventKind
from tunecraft.system_attrs import (
    CHECKPOINT_KEY,
    PAUSED_KEY,
    STOP_REQUESTED_KEY,
    Budget,
    ResumeInfo,
)
from tunecraft.trial_context import TrialControl

if TYPE_CHECKING:
    from tunecraft.study.study import Study
    from tunecraft.trial_context import TrialContext

C = TypeVar("C", bound=CategoricalChoice)
logger = logging.getLogger("tunecraft")


class Trial(LegacySuggest):
    """One evaluation of the objective. Parameters are chosen when first asked for.

    Asking again for a name returns the same value; asking for a name with a different
    distribution than the one this study recorded raises IncompatibleSpace.

    The study begins it (``Study.ask`` / ``Study.begin``) with a narrow
    :class:`~tunecraft.trial_context.TrialContext`: a writer bound to its lease, the
    pruner's decision, the sampler for dimensions outside its joint proposal.
    """

    def __init__(
        self,
        context: TrialContext,
        number: int,
        history: History,
        fixed_params: Mapping[str, Any],
        relative_space: Space,
        relative_params: Mapping[str, Any],
        rng: np.random.Generator,
        *,
        sampler_history: History | None = None,
        budget: Budget | None = None,
        resume: ResumeInfo | None = None,
        reported_steps: Iterable[int] = (),
    ) -> None:
        self._ctx = context
        self.number = number
        self._history = history
        # what the sampler learns from: this trial's bracket under Hyperband (see _schedule)
        self._sampler_history = history if sampler_history is None else sampler_history
        self._budget = budget
        self._resume = resume
        self._fixed = dict(fixed_params)
        self._relative_space = dict(relative_space)
        self._relative = dict(relative_params)
        self._rng = rng
        self._params: dict[str, Any] = {}
        self._dists: dict[str, Dim] = {}
        self._user_attrs: dict[str, Any] = {}
        self._steps: set[int] = set(reported_steps)  # copied from the trial resumed from
        self._inherited_steps = frozenset(self._steps)
        self._pending: list[Event] = []
        self._lock = threading.RLock()
        self._finished = False
        # the stored start time (when it was created or claimed) and the attributes it was
        # created with (enqueue_trial's user_attrs), as the record shows them
        mine = [t for t in history.trials[number:number + 1] if t.number == number]
        start = mine[0].datetime_start if mine else None
        self.datetime_start = start if start is not None else dt.datetime.now()
        if mine:
            self._user_attrs.update(thaw(mine[0].user_attrs))

    # ------------------------------------------------------------------ suggest
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None,
        log: bool = False,
    ) -> float:
        """A float in ``[low, high]``; ``log=True`` samples in log space, ``step`` on a grid."""
        high = fit_high(low, high, step)  # Optuna: warn and lower high onto the step grid
        return float(self._suggest(name, Float(low, high, log=log, step=step)))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """An int in ``[low, high]`` (both included), on a ``step`` grid or log-scaled."""
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, step)):
            high = int(fit_high(low, high, step))  # Optuna: warn and lower high onto the grid
        return int(self._suggest(name, Int(low, high, log=log, step=step)))

    def suggest_categorical(self, name: str, choices: Sequence[C]) -> C:
        """One of ``choices`` (None, bool, int, float or str values)."""
        value: C = self._suggest(name, Categorical(tuple(choices)))
        return value

    def _suggest(self, name: str, dim: Dim) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(f"parameter name {name!r} must be a non-empty string")
        with self._lock:
            self._check_open()
            if name in self._params:
                if self._dists[name] != dim:
                    raise IncompatibleSpace(
                        f"parameter {name!r} was already suggested in trial {self.number} as "
                        f"{self._dists[name]}, now asked as {dim}; use one distribution per "
                        "name"
                    )
                return self._params[name]
            # one name, one distribution, even between trials that run at once: check the
            # study read afresh when this trial's snapshot does not know the name yet
            known = self._history.param_distributions().get(name)
            if known is None:
                known = self._ctx.history().param_distributions().get(name)
            if known is not None and known != dim:
                raise IncompatibleSpace(
                    f"parameter {name!r} is {known} in study {self._ctx.study_name!r} but "
                    f"was asked as {dim}; keep one distribution per name (rename the "
                    "parameter, or start a new study for a new space)"
                )
            if name in self._fixed:
                value = self._fixed_value(name, dim, self._fixed[name])
            else:
                if name in self._relative and self._relative_space.get(name) == dim:
                    value = self._relative[name]
                else:
                    value = self._ctx.sample(
                        {name: dim}, self._sampler_history, self._rng, self.number)[name]
                if not dim.contains(value):  # never record an illegal value (e.g. NaN)
                    raise ValueError(
                        f"{self._ctx.sampler_name} proposed {value!r} for "
                        f"parameter {name!r}, which is not in {dim}; this is a bug in the "
                        "sampler"
                    )
            self._params[name] = value
            self._dists[name] = dim
            self._pending.append(Event(self.number, EventKind.PARAMS,
                                       {name: {"d": dim.to_json(), "v": value}}))
            # written at once, not at the first report: a worker killed before it reports
            # (out of memory, say) leaves its parameters for the retry and for the user
            self.flush()
            return value

    @staticmethod
    def _fixed_value(name: str, dim: Dim, value: Any) -> Any:
        if isinstance(dim, Float) and isinstance(value, numbers.Real) and not isinstance(
                value, bool):
            value = float(value)
        if isinstance(dim, Int) and isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(dim, Categorical) and dim.contains(value):
            value = dim.choices[dim.index(value)]
        if not dim.contains(value):
            raise ValueError(
                f"fixed value {value!r} of parameter {name!r} (enqueued or from the grid) is "
                f"not in {dim}; fix the enqueued value or the distribution"
            )
        return value

    # ------------------------------------------------------------------ reports and pruning
    def report(self, value: float | Sequence[float], step: int) -> None:
        """Record an intermediate value (e.g. validation accuracy after epoch ``step``).

        In a multi-objective study, report one value per objective as a tuple
        (``trial.report((accuracy, latency), step)``); they are kept in
        ``intermediate_vectors``. Reporting a step twice keeps the first value and warns
        (steps inherited from a resumed trial are skipped silently). NaN is accepted
        (pruners prune it).
        """
        m = self._ctx.n_objectives
        single = report_value(value) if m == 1 else None  # also "1.23", as in Optuna
        payload: dict[str, Any] = {"step": report_step(step)}  # 1.0 as 1, as in Optuna
        if single is not None:
            payload["value"] = single
        else:
            seq = list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]
            floats = [_scalar(v) for v in seq]
            if len(seq) != m or any(f is None for f in floats):
                raise ValueError(
                    f"this study has {m} objectives: report a tuple of {m} numbers per step, "
                    f"e.g. trial.report((accuracy, latency), step), not {value!r}")
            payload["values"] = [float(f) for f in floats if f is not None]
        with self._lock:
            self._check_open()
            if int(step) in self._steps:
                if int(step) not in self._inherited_steps:  # a resumed run may re-report
                    warnings.warn(
                        f"trial {self.number} already reported step {int(step)}; the new "
                        f"value {payload.get('value', payload.get('values'))!r} is ignored. "
                        "Report each step once (e.g. step=epoch, or a global batch count)",
                        UserWarning, stacklevel=2)
                return
            self._steps.add(int(step))
            self._pending.append(Event(self.number, EventKind.REPORT, payload))
            self.flush()

    def decide(self) -> Decision:
        """The pruner's decision now: CONTINUE, PRUNE, or PAUSE (stop after saving a
        checkpoint with :meth:`save_checkpoint`: a scheduler may resume it later)."""
        with self._lock:
            self._check_open()
            self.flush()
            history = self._ctx.history()
            record = history.trial(self.number)
            if record.system_attrs.get(STOP_REQUESTED_KEY):  # a driver-side scheduler decided
                return Decision.PRUNE
            decision = self._ctx.decide(record, history)
            if decision is Decision.PAUSE and record.last_step is not None:
                self._set_system_attr(PAUSED_KEY, record.last_step)
            return decision

    def should_prune(self) -> bool:
        """Ask the study's pruner whether to stop now. When True, ``raise TrialPruned()``.

        True for PRUNE and for PAUSE: an objective that keeps no checkpoint stops either
        way (a paused trial promoted later then trains again from the start).
        """
        return self.decide() is not Decision.CONTINUE

    # ------------------------------------------------------------------ schedulers
    @property
    def budget(self) -> Budget | None:
        """The budget a scheduler gave this trial (bracket and rung steps), or None."""
        return self._budget

    @property
    def resumed_from(self) -> ResumeInfo | None:
        """Where this trial continues a paused one (a promotion, PBT's next interval), or
        None. Its reports up to ``resumed_from.step`` are already recorded."""
        return self._resume

    def save_checkpoint(self, data: bytes, step: int | None = None) -> str:
        """Store ``data`` in the study's artifact store as this trial's checkpoint at
        ``step`` (default: the last step reported) and record its key; returns the key."""
        from tunecraft.artifacts import checkpoint_key

        with self._lock:
            self._check_open()
            if step is None:
                step = max(self._steps) if self._steps else 0
            key = checkpoint_key(self._ctx.study_name, self.number, int(step))
            self._ctx.artifacts().put(key, data)
            self._set_system_attr(CHECKPOINT_KEY, {"key": key, "step": int(step)})
            return key

    def load_checkpoint(self) -> bytes | None:
        """The checkpoint this trial resumes from, or None (a fresh trial, a paused trial that
        kept no checkpoint, or one deleted since: then train from the start)."""
        info = self._resume
        if info is None or info.checkpoint is None:
            return None
        try:
            return self._ctx.artifacts().get(info.checkpoint)
        except KeyError:
            logger.warning("Trial %d: checkpoint %r of trial %d is gone; training from the "
                           "start", self.number, info.checkpoint, info.source)
            return None

    # ------------------------------------------------------------------ attributes
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to this trial (e.g. the epoch count reached)."""
        check_user_attr(key, value)
        with self._lock:
            self._check_open()
            self._user_attrs[key] = value
            self._pending.append(Event(self.number, EventKind.USER_ATTR,
                                       {"key": key, "value": value}))

    def set_constraint(self, values: float | Sequence[float]) -> None:
        """Record constraint values for this trial; each is satisfied when <= 0.

        A trial that violates a constraint is never the study's best trial, and samplers that
        support constraints steer away from its region. Call it before returning, or before
        re-raising an error: a FAIL trial that recorded a violated constraint (say, CUDA out
        of memory) still teaches the sampler where not to go. Calling it again replaces the
        values. A study's ``constraints_func`` is not called for a trial that set its own.
        """
        seq = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values]
        out: list[float] = []
        for v in seq:
            f = _scalar(v)
            if f is None or math.isnan(f):
                raise ValueError(f"constraint value {v!r} must be a number (<= 0 means "
                                 "satisfied), not NaN")
            out.append(f)
        if not out:
            raise ValueError("set_constraint needs at least one value")
        self._set_system_attr(CONSTRAINTS_KEY, out)

    def _set_system_attr(self, key: str, value: Any) -> None:
        check_user_attr(key, value)
        with self._lock:
            self._pending.append(Event(self.number, EventKind.SYSTEM_ATTR,
                                       {"key": key, "value": value}))

    @property
    def params(self) -> Mapping[str, Any]:
        """Parameters suggested so far."""
        return MappingProxyType(dict(self._params))

    @property
    def distributions(self) -> Mapping[str, Dim]:
        return MappingProxyType(dict(self._dists))

    @property
    def user_attrs(self) -> Mapping[str, Any]:
        return MappingProxyType(dict(self._user_attrs))

    @property
    def study(self) -> Study:
        return self._ctx.study

    @property
    def control(self) -> TrialControl:
        """What the study and the executors do to this trial beyond the objective's API
        (:class:`~tunecraft.trial_context.TrialControl`); objectives do not need it."""
        return TrialControl(self._ctx.writer.token, self._suggest, self._set_system_attr,
                            self._close)

    # ------------------------------------------------------------------ plumbing
    def _check_open(self) -> None:
        if self._finished:
            raise TrialFinishedError(f"trial {self.number} is finished; it accepts no writes")

    def flush(self) -> None:
        """Write buffered parameters, reports and attributes to the storage now."""
        with self._lock:
            if self._pending:
                events, self._pending = self._pending, []
                self._ctx.writer.write(events)

    def _close(self) -> list[Event]:
        with self._lock:
            events, self._pending = self._pending, []
            self._finished = True
            return events

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"


def _scalar(v: Any) -> float | None:
    """``v`` as a float if it is one number: a Python or NumPy number, or a 0-d array or
    tensor (``loss`` without ``.item()``); None otherwise (bools and strings included)."""
    if isinstance(v, (bool, np.bool_, str, bytes)):
        return None
    if isinstance(v, (numbers.Real, np.number)):
        return float(v)
    if getattr(v, "ndim", None) == 0 and callable(getattr(v, "item", None)):
        return _scalar(v.item())
    return None


def check_values(values: Any, n_objectives: int) -> tuple[tuple[float, ...] | None, str | None]:
    """Validate an objective's return value: (values, None) or (None, why it is a failure)."""
    if isinstance(values, FrozenTrial):
        return None, "the objective returned a trial object, not a value"
    if isinstance(values, np.ndarray) and values.ndim > 1:
        return None, (f"the objective returned an array of shape {values.shape}; return a "
                      "number, or one number per objective")
    seq = list(values) if isinstance(values, (list, tuple)) or (
        isinstance(values, np.ndarray) and values.ndim == 1) else [values]
    if len(seq) != n_objectives:
        return None, (f"the objective returned {len(seq)} value(s) but the study has "
                      f"{n_objectives} direction(s)")
    out = []
    for v in seq:
        f = _scalar(v)
        if f is None:
            return None, f"the objective returned {v!r}, which is not a number"
        if math.isnan(f):
            return None, "the objective returned nan, which is not a number"
        out.append(f)  # +-inf is a value (a diverged run): COMPLETE, ranked worst or best
    return tuple(out), None
