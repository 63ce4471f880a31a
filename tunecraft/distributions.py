"""Optuna's ``optuna.distributions`` names over tunecraft's dimensions (:mod:`tunecraft.space`).

``FloatDistribution(0, 1, log=True)`` *is* ``Float(0, 1, log=True)``: calling one of these
classes builds the tunecraft dimension, and ``isinstance`` accepts the dimension, so code
written for Optuna (``study.ask({"x": FloatDistribution(...)})``, ``create_trial``,
``isinstance(d, IntDistribution)``) runs unchanged and compares equal to what a study records.
The legacy names (``UniformDistribution`` & co.) build the same dimensions with a deprecation
warning, as Optuna does. The JSON helpers read and write Optuna's format, which is also what
``tunecraft import-optuna`` reads from an Optuna database.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from tunecraft._trial_compat import fit_high
from tunecraft.space import Categorical, CategoricalChoice, Dim, Float, Int

REMOVED_IN = "tunecraft 1.0"
"""When the legacy distribution names (deprecated in Optuna 3.0) go away."""


class _DimMeta(type):
    """Calling the class builds the tunecraft dimension; isinstance accepts that dimension."""

    _dim: type
    _check: Any = None

    def __instancecheck__(cls, obj: object) -> bool:
        if not isinstance(obj, cls._dim):
            return False
        return cls._check is None or bool(cls._check(obj))

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._dim) and cls._check is None


def _legacy(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated (as in Optuna 3.0) and will be removed in {REMOVED_IN}; "
                  f"use {new} instead.", FutureWarning, stacklevel=3)


class BaseDistribution(metaclass=_DimMeta):
    """Any tunecraft dimension: ``isinstance(d, BaseDistribution)`` for Float, Int, Categorical."""

    _dim = (Float, Int, Categorical)

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("BaseDistribution is abstract; use FloatDistribution, IntDistribution "
                        "or CategoricalDistribution (tunecraft.Float, Int, Categorical)")


class FloatDistribution(metaclass=_DimMeta):
    """Optuna's ``FloatDistribution(low, high, log=False, step=None)``: a :class:`Float`."""

    _dim = Float

    def __new__(cls, low: float, high: float, log: bool = False,  # type: ignore[misc]
                step: float | None = None) -> Float:
        return Float(low, fit_high(low, high, step), log=log, step=step)


class IntDistribution(metaclass=_DimMeta):
    """Optuna's ``IntDistribution(low, high, log=False, step=1)``: an :class:`Int`."""

    _dim = Int

    def __new__(cls, low: int, high: int, log: bool = False,  # type: ignore[misc]
                step: int = 1) -> Int:
        return Int(low, int(fit_high(low, high, step)), log=log, step=step)


class CategoricalDistribution(metaclass=_DimMeta):
    """Optuna's ``CategoricalDistribution(choices)``: a :class:`Categorical`."""

    _dim = Categorical

    def __new__(cls, choices: Sequence[CategoricalChoice]) -> Categorical:  # type: ignore[misc]
        return Categorical(tuple(choices))


class UniformDistribution(metaclass=_DimMeta):
    """Deprecated: ``FloatDistribution(low, high)``."""

    _dim = Float
    _check = staticmethod(lambda d: not d.log and d.step is None)

    def __new__(cls, low: float, high: float) -> Float:  # type: ignore[misc]
        _legacy("UniformDistribution", "FloatDistribution(low, high)")
        return Float(low, high)


class LogUniformDistribution(metaclass=_DimMeta):
    """Deprecated: ``FloatDistribution(low, high, log=True)``."""

    _dim = Float
    _check = staticmethod(lambda d: d.log)

    def __new__(cls, low: float, high: float) -> Float:  # type: ignore[misc]
        _legacy("LogUniformDistribution", "FloatDistribution(low, high, log=True)")
        return Float(low, high, log=True)


class DiscreteUniformDistribution(metaclass=_DimMeta):
    """Deprecated: ``FloatDistribution(low, high, step=q)``."""

    _dim = Float
    _check = staticmethod(lambda d: d.step is not None)

    def __new__(cls, low: float, high: float, q: float) -> Float:  # type: ignore[misc]
        _legacy("DiscreteUniformDistribution", "FloatDistribution(low, high, step=q)")
        return Float(low, high, step=q)


class IntUniformDistribution(metaclass=_DimMeta):
    """Deprecated: ``IntDistribution(low, high, step=step)``."""

    _dim = Int
    _check = staticmethod(lambda d: not d.log)

    def __new__(cls, low: int, high: int, step: int = 1) -> Int:  # type: ignore[misc]
        _legacy("IntUniformDistribution", "IntDistribution(low, high, step=step)")
        return Int(low, high, step=step)


class IntLogUniformDistribution(metaclass=_DimMeta):
    """Deprecated: ``IntDistribution(low, high, log=True)``."""

    _dim = Int
    _check = staticmethod(lambda d: d.log)

    def __new__(cls, low: int, high: int, step: int = 1) -> Int:  # type: ignore[misc]
        _legacy("IntLogUniformDistribution", "IntDistribution(low, high, log=True)")
        return Int(low, high, log=True)


def distribution_to_json(dist: Dim) -> str:
    """Optuna's JSON of a distribution: ``{"name": "FloatDistribution", "attributes": ...}``."""
    attrs: dict[str, Any]
    if isinstance(dist, Float):
        name, attrs = "FloatDistribution", {"step": dist.step, "low": dist.low,
                                            "high": dist.high, "log": dist.log}
    elif isinstance(dist, Int):
        name, attrs = "IntDistribution", {"log": dist.log, "step": dist.step,
                                          "low": dist.low, "high": dist.high}
    elif isinstance(dist, Categorical):
        name, attrs = "CategoricalDistribution", {"choices": list(dist.choices)}
    else:
        raise TypeError(f"{dist!r} is not a distribution (tunecraft Float, Int or Categorical)")
    return json.dumps({"name": name, "attributes": attrs})


def json_to_distribution(json_str: str) -> Dim:
    """Parse Optuna's distribution JSON (current and legacy names) into a tunecraft dimension."""
    data = json.loads(json_str)
    if not isinstance(data, Mapping) or "name" not in data:
        raise ValueError(f"{json_str!r} is not an Optuna distribution JSON "
                         "({'name': ..., 'attributes': ...})")
    name, a = data["name"], dict(data.get("attributes", {}))
    if name == "FloatDistribution":
        return Float(a["low"], a["high"], log=bool(a.get("log", False)), step=a.get("step"))
    if name == "IntDistribution":
        return Int(a["low"], a["high"], log=bool(a.get("log", False)), step=a.get("step", 1))
    if name == "CategoricalDistribution":
        return Categorical(tuple(a["choices"]))
    if name == "UniformDistribution":
        return Float(a["low"], a["high"])
    if name == "LogUniformDistribution":
        return Float(a["low"], a["high"], log=True)
    if name == "DiscreteUniformDistribution":
        return Float(a["low"], a["high"], step=a["q"])
    if name == "IntUniformDistribution":
        return Int(a["low"], a["high"], step=a.get("step", 1))
    if name == "IntLogUniformDistribution":
        return Int(a["low"], a["high"], log=True)
    raise ValueError(f"unknown distribution {name!r} in {json_str!r}")


def check_distribution_compatibility(dist_old: Dim, dist_new: Dim) -> None:
    """Raise ValueError when one parameter cannot have both distributions (another kind, or
    other categorical choices); ranges may differ, as in Optuna."""
    if type(dist_old) is not type(dist_new):
        raise ValueError("Cannot set different distribution kind to the same parameter name.")
    if isinstance(dist_old, (Float, Int)) and isinstance(dist_new, (Float, Int)):
        if dist_old.log != dist_new.log:
            raise ValueError("Cannot set different log configuration to the same parameter "
                             "name.")
        return
    if isinstance(dist_old, Categorical) and isinstance(dist_new, Categorical) and \
            dist_old.choices != dist_new.choices:
        raise ValueError(f"{type(dist_old).__name__} does not support dynamic value space.")


def to_external_repr(dist: Dim, internal: float) -> Any:
    """Optuna's internal float of a value (a categorical's index) -> the value."""
    if isinstance(dist, Categorical):
        return dist.choices[int(internal)]
    if isinstance(dist, Int):
        return int(internal)
    return float(internal)


def to_internal_repr(dist: Dim, value: Any) -> float:
    """A value -> Optuna's internal float (a categorical's index)."""
    if isinstance(dist, Categorical):
        return float(dist.index(value))
    return float(value)


__all__ = [
    "BaseDistribution", "CategoricalChoice", "CategoricalDistribution",
    "DiscreteUniformDistribution", "FloatDistribution", "IntDistribution",
    "IntLogUniformDistribution", "IntUniformDistribution", "LogUniformDistribution",
    "UniformDistribution", "check_distribution_compatibility", "distribution_to_json",
    "json_to_distribution", "to_external_repr", "to_internal_repr",
]
