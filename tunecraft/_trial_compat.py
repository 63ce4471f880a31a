"""Optuna-compatible pieces of the trial API: ``create_trial`` (a finished trial to add to a
study) and the legacy ``suggest_uniform`` / ``suggest_loguniform`` / ``suggest_discrete_uniform``
methods, deprecated as in Optuna 3.0."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunecraft.record import CONSTRAINTS_KEY, FrozenTrial, TrialState, freeze
from tunecraft.space import Dim


def fit_high(low: float, high: float, step: float | None) -> float:
    """``high`` lowered onto the ``step`` grid from ``low``, with Optuna's UserWarning.

    Optuna's ``suggest_float/int(step=)`` and ``Float/IntDistribution`` accept a range that
    ``step`` does not divide: they warn and replace ``high`` by the last grid point below it.
    tunecraft's own ``Float``/``Int`` refuse such a range; the Optuna spellings behave as in
    Optuna. Exact in decimal, as Optuna computes it.
    """
    if step is None or step <= 0 or high < low:
        return high  # the dimension's own check names the problem
    if isinstance(low, int) and isinstance(high, int) and isinstance(step, int):
        fixed: float = (high - low) // step * step + low
    else:
        d_low, d_step = decimal.Decimal(str(low)), decimal.Decimal(str(step))
        fixed = float((decimal.Decimal(str(high)) - d_low) // d_step * d_step + d_low)
        if _fits(high - low, step):
            return high
    if fixed != high:
        warnings.warn(f"The distribution is specified by [{low}, {high}] and step={step}, but "
                      f"the range is not divisible by `step`. It will be replaced by "
                      f"[{low}, {fixed}].", UserWarning, stacklevel=3)
    return fixed


def _fits(span: float, step: float) -> bool:
    n = round(span / step)
    return math.isclose(n * step, span, rel_tol=1e-9, abs_tol=1e-12)


def report_step(step: Any) -> int:
    """``trial.report``'s step as an int: integers, and whole floats as Optuna accepts
    them (``1.0``); TypeError for what is no number, ValueError for a negative or
    fractional step."""
    if isinstance(step, bool):
        raise ValueError(f"step={step!r} must be a non-negative integer, not a bool")
    if isinstance(step, (str, bytes)) or not isinstance(step, numbers.Real):
        raise TypeError(f"step={step!r} must be a non-negative integer, got "
                        f"{type(step).__name__}")
    if not isinstance(step, numbers.Integral) and not float(step).is_integer():
        raise ValueError(f"step={step!r} must be a whole number (an epoch or batch count)")
    whole = int(step) if isinstance(step, numbers.Integral) else int(float(step))
    if whole < 0:
        raise ValueError(f"step={step!r} must be a non-negative integer")
    return whole


def report_value(value: Any) -> float:
    """A single-objective ``trial.report`` value as a float: a number, or a string that
    reads as one (``"1.23"``, ``"inf"``), as in Optuna; TypeError for anything else."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise TypeError(f"report value {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"report value must be a number, got {type(value).__name__}")
    return float(value)


REMOVED_IN = "tunecraft 1.0"
"""When the legacy ``suggest_*`` names (deprecated in Optuna 3.0, to go in Optuna 6.0) go."""


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, Dim] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
    constraints: Sequence[float] | Mapping[str, float] | None = None,
) -> FrozenTrial:
    """A finished trial built by hand, for ``study.add_trial`` (e.g. results from elsewhere).

    Its number is -1 until a study adds it. Each parameter needs its distribution
    (``tunecraft.Float`` & co., or ``tunecraft.distributions.FloatDistribution`` & co.).
    ``constraints`` are its constraint values (feasible when each is <= 0), as a sequence or,
    as Optuna 5 names them, a mapping (kept in its order; ``trial.constraints`` is a tuple).
    """
    if constraints is not None:
        system_attrs = {**(system_attrs or {}), CONSTRAINTS_KEY: _constraint_values(constraints)}
    if value is not None and values is not None:
        raise ValueError("pass value= or values=, not both")
    vals = (float(value),) if value is not None else (
        None if values is None else tuple(float(v) for v in values))
    state = TrialState(state)
    if state is TrialState.COMPLETE and vals is None:
        raise ValueError("a COMPLETE trial needs value= (or values=)")
    if state is not TrialState.COMPLETE and vals is not None:
        raise ValueError(f"a {state.name} trial takes no value; only COMPLETE trials have one")
    params, distributions = dict(params or {}), dict(distributions or {})
    if set(params) != set(distributions):
        raise ValueError(f"params {sorted(params)} and distributions {sorted(distributions)} "
                         "must name the same parameters")
    for name, value_ in params.items():
        if not distributions[name].contains(value_):
            raise ValueError(f"parameter {name!r}={value_!r} is not in {distributions[name]}")
    now = dt.datetime.now()
    return FrozenTrial(
        number=-1, state=state, params=freeze(params), distributions=freeze(distributions),
        values=vals,
        intermediate_values=freeze({int(k): float(v) for k, v in
                                    (intermediate_values or {}).items()}),
        user_attrs=freeze(dict(user_attrs or {})), system_attrs=freeze(dict(system_attrs or {})),
        datetime_start=None if state is TrialState.WAITING else now,
        datetime_complete=now if state.is_finished() else None)


def _constraint_values(constraints: Sequence[float] | Mapping[str, float]) -> list[float]:
    raw = list(constraints.values()) if isinstance(constraints, Mapping) else list(constraints)
    out: list[float] = []
    for c in raw:
        if isinstance(c, (bool, str, bytes)) or not isinstance(c, numbers.Real):
            raise TypeError(f"constraint value {c!r} must be a number (<= 0: satisfied)")
        if math.isnan(c):
            raise ValueError("a constraint value is NaN; give a number (<= 0: satisfied)")
        out.append(float(c))
    return out


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated (as in Optuna 3.0) and will be removed in "
                  f"{REMOVED_IN}; use {new} instead.", FutureWarning, stacklevel=3)


class LegacySuggest:
    """``suggest_uniform`` & co. for objectives written for Optuna 2 (mixed into Trial)."""

    def _float(self, name: str, low: float, high: float, **options: Any) -> float:
        suggest: Callable[..., float] = getattr(self, "suggest_float")  # noqa: B009
        return suggest(name, low, high, **options)

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: ``suggest_float(name, low, high)``."""
        _deprecated("suggest_uniform", "suggest_float(name, low, high)")
        return self._float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Deprecated: ``suggest_float(name, low, high, log=True)``."""
        _deprecated("suggest_loguniform", "suggest_float(name, low, high, log=True)")
        return self._float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Deprecated: ``suggest_float(name, low, high, step=q)``."""
        _deprecated("suggest_discrete_uniform", "suggest_float(name, low, high, step=q)")
        return self._float(name, low, high, step=q)
