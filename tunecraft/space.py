"""Search-space dimensions (Float, Int, Categorical) with validation and unit-cube encoding.

Every dimension is an immutable value. Model-based samplers work in the unit cube: ``to_unit``
maps a value to [0, 1] and ``from_unit`` maps back, handling ``log`` and ``step`` so that each
grid point of a stepped dimension owns an equal share of the cube.
"""

from __future__ import annotations

import decimal
import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

CategoricalChoice: TypeAlias = None | bool | int | float | str
_CHOICE_TYPES = (type(None), bool, int, float, str)


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _lerp(lo: float, hi: float, u: float) -> float:
    """``lo + u * (hi - lo)`` for ``u`` in [0, 1]: exact at both ends, and no overflow when
    ``hi - lo`` exceeds the largest float (e.g. ``Float(-1e308, 1e308)``)."""
    if u <= 0.0:
        return lo
    if u >= 1.0:
        return hi
    span = hi - lo
    return lo + u * span if math.isfinite(span) else lo * (1.0 - u) + hi * u


def _unlerp(lo: float, hi: float, x: float) -> float:
    """Inverse of :func:`_lerp`, clipped to [0, 1]."""
    span = hi - lo
    if math.isfinite(span):
        u = (x - lo) / span
    else:  # halve everything: exact for such large numbers, and the difference fits
        u = (x / 2 - lo / 2) / (hi / 2 - lo / 2)
    return min(max(u, 0.0), 1.0)


def _decimals(x: float) -> int:
    """Decimal places in the shortest repr of ``x``: 1 for 0.1, 5 for 1e-05, 0 for 20.0."""
    exponent = decimal.Decimal(repr(x)).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _fits_grid(span: float, step: float) -> bool:
    n = round(span / step)
    return math.isclose(n * step, span, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True, slots=True)
class Float:
    """A real-valued dimension on ``[low, high]``, optionally log-scaled or on a step grid."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            v = getattr(self, name)
            if not _is_number(v) or not math.isfinite(v):
                raise ValueError(f"Float {name}={v!r} must be a finite number.")
            object.__setattr__(self, name, float(v))
        if self.low > self.high:
            raise ValueError(
                f"Float low={self.low} is greater than high={self.high}; swap them."
            )
        if self.step is not None:
            if not _is_number(self.step) or not self.step > 0 or not math.isfinite(self.step):
                raise ValueError(f"Float step={self.step!r} must be a positive number.")
            object.__setattr__(self, "step", float(self.step))
        if self.log and self.step is not None:
            raise ValueError(
                "Float cannot have both log=True and a step; drop one of them."
            )
        if self.log and self.low <= 0:
            raise ValueError(
                f"Float with log=True needs low > 0, got low={self.low}; "
                "use a positive lower bound such as 1e-8."
            )
        if self.step is not None and not _fits_grid(self.high - self.low, self.step):
            n = math.floor((self.high - self.low) / self.step + 1e-9)
            fixed = self.low + n * self.step
            raise ValueError(
                f"Float step={self.step} does not fit the range [{self.low}, {self.high}]: "
                f"(high - low) must be a multiple of step; use high={fixed:.12g}."
            )

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a legal value of this dimension (on the grid, if stepped)."""
        if not _is_number(value) or not math.isfinite(value):
            return False
        if not self.low <= value <= self.high:
            return False
        if self.step is not None:
            return _fits_grid(value - self.low, self.step)
        return True

    def to_unit(self, value: Any) -> float:
        """Map a value of this dimension to [0, 1]."""
        lo, hi = self._unit_bounds()
        if hi == lo:
            return 0.5
        return _unlerp(lo, hi, math.log(value) if self.log else float(value))

    def from_unit(self, u: float) -> float:
        """Map ``u`` in [0, 1] to a value of this dimension (rounded to the grid if stepped).

        The corners of the cube map to ``low`` and ``high`` exactly.
        """
        u = min(max(float(u), 0.0), 1.0)
        lo, hi = self._unit_bounds()
        if self.log:
            if u in (0.0, 1.0):  # exp(log(x)) can miss x by an ulp
                return self.low if u == 0.0 else self.high
            return min(max(math.exp(_lerp(lo, hi, u)), self.low), self.high)
        return self.snap(_lerp(lo, hi, u))

    def snap(self, x: float) -> float:
        """Clip ``x`` into the range and round it to the step grid.

        Grid points are written as a person would: ``Float(0, 1, step=0.1)`` has 0.3, not
        ``3 * 0.1 == 0.30000000000000004``, so sampled, enqueued and grid values of one point
        compare equal; the last point is ``high`` itself.
        """
        x = min(max(float(x), self.low), self.high)
        if self.step is None:
            return x
        k = round((x - self.low) / self.step)
        if k >= round((self.high - self.low) / self.step):
            return self.high
        digits = max(_decimals(self.low), _decimals(self.step))
        return min(max(round(self.low + k * self.step, digits), self.low), self.high)

    def _unit_bounds(self) -> tuple[float, float]:
        if self.log:
            return math.log(self.low), math.log(self.high)
        if self.step is None:
            return self.low, self.high
        return self.low - self.step / 2, self.high + self.step / 2

    def to_json(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log,
                "step": self.step}

    def __str__(self) -> str:
        extra = ", log" if self.log else f", step={self.step:g}" if self.step else ""
        return f"Float({self.low:g}, {self.high:g}{extra})"


@dataclass(frozen=True, slots=True)
class Int:
    """An integer dimension on ``[low, high]``, optionally log-scaled or on a step grid."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        for name in ("low", "high", "step"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                else:
                    raise ValueError(f"Int {name}={v!r} must be an integer.")
            object.__setattr__(self, name, int(v))
        if self.low > self.high:
            raise ValueError(f"Int low={self.low} is greater than high={self.high}; swap them.")
        if self.step < 1:
            raise ValueError(f"Int step={self.step} must be >= 1.")
        if self.log and self.step != 1:
            raise ValueError("Int cannot have both log=True and step > 1; drop one of them.")
        if self.log and self.low < 1:
            raise ValueError(
                f"Int with log=True needs low >= 1, got low={self.low}; use low=1 or log=False."
            )
        if (self.high - self.low) % self.step:
            fixed = self.low + (self.high - self.low) // self.step * self.step
            raise ValueError(
                f"Int step={self.step} does not fit the range [{self.low}, {self.high}]: "
                f"(high - low) must be a multiple of step; use high={fixed}."
            )

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            return False
        v = int(value)
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def to_unit(self, value: Any) -> float:
        lo, hi = self._unit_bounds()
        return _unlerp(lo, hi, math.log(value) if self.log else float(value))

    def from_unit(self, u: float) -> int:
        lo, hi = self._unit_bounds()
        x = _lerp(lo, hi, min(max(float(u), 0.0), 1.0))
        return self.snap(math.exp(x) if self.log else x)

    def snap(self, x: float) -> int:
        """Clip ``x`` into the range and round it to the nearest legal integer."""
        x = min(max(float(x), self.low), self.high)
        k = round((x - self.low) / self.step)
        return min(self.low + int(k) * self.step, self.high)

    def _unit_bounds(self) -> tuple[float, float]:
        # Widen by half a step (in log space for log dims) so that every integer owns an
        # equal share of the cube; the end points are no less likely than the inner ones.
        if self.log:
            return math.log(self.low - 0.5), math.log(self.high + 0.5)
        return self.low - self.step / 2, self.high + self.step / 2

    def to_json(self) -> dict[str, Any]:
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log,
                "step": self.step}

    def __str__(self) -> str:
        extra = ", log" if self.log else f", step={self.step}" if self.step != 1 else ""
        return f"Int({self.low}, {self.high}{extra})"


@dataclass(frozen=True, slots=True)
class Categorical:
    """A dimension over a finite tuple of choices (None, bool, int, float or str)."""

    choices: tuple[CategoricalChoice, ...]

    def __post_init__(self) -> None:
        choices = self.choices
        if isinstance(choices, (str, bytes)) or not isinstance(choices, (Sequence, tuple)):
            raise ValueError(
                f"Categorical choices must be a list or tuple, got {type(choices).__name__}."
            )
        choices = tuple(choices)
        if not choices:
            raise ValueError("Categorical needs at least one choice; got an empty list.")
        for c in choices:
            if not isinstance(c, _CHOICE_TYPES):
                raise ValueError(
                    f"Categorical choice {c!r} has type {type(c).__name__}; choices must be "
                    "None, bool, int, float or str. Map other objects to names and look "
                    "them up in your objective."
                )
            if isinstance(c, float) and math.isnan(c):
                raise ValueError("Categorical choice nan is not allowed (nan != nan).")
        for i, a in enumerate(choices):
            for b in choices[i + 1:]:
                if a == b:
                    raise ValueError(
                        f"Categorical choices contain duplicates: {a!r} and {b!r} compare "
                        "equal; every choice must be distinct."
                    )
        object.__setattr__(self, "choices", choices)

    def index(self, value: Any) -> int:
        """Position of ``value`` among the choices (type-aware: True is not 1)."""
        for i, c in enumerate(self.choices):
            if type(c) is type(value) and c == value:
                return i
        for i, c in enumerate(self.choices):  # int vs float of equal value, e.g. 1 and 1.0
            if _is_number(c) and _is_number(value) and c == value:
                return i
        raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}.")

    def contains(self, value: Any) -> bool:
        if not isinstance(value, _CHOICE_TYPES):
            return False
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> CategoricalChoice:
        i = min(int(min(max(float(u), 0.0), 1.0) * len(self.choices)), len(self.choices) - 1)
        return self.choices[i]

    def to_json(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}

    def __str__(self) -> str:
        return f"Categorical({list(self.choices)!r})"


Dim: TypeAlias = Float | Int | Categorical
Space: TypeAlias = Mapping[str, Dim]


def dim_from_json(data: Mapping[str, Any]) -> Dim:
    """Rebuild a dimension from ``Dim.to_json()`` output."""
    kind = data.get("type")
    if kind == "float":
        return Float(data["low"], data["high"], log=bool(data.get("log", False)),
                     step=data.get("step"))
    if kind == "int":
        return Int(data["low"], data["high"], log=bool(data.get("log", False)),
                   step=data.get("step", 1))
    if kind == "categorical":
        return Categorical(tuple(data["choices"]))
    raise ValueError(f"Unknown dimension type {kind!r}; expected float, int or categorical.")


def is_single(dim: Dim) -> bool:
    """Whether the dimension is a constant: one legal value, or a range so narrow that its
    unit-cube coordinate has zero width (``Float(9.0, 9.000000000000002, log=True)`` has
    equal log bounds). Samplers take its ``single_value`` and model nothing."""
    if isinstance(dim, Categorical):
        return len(dim.choices) == 1
    if dim.low == dim.high:
        return True
    lo, hi = dim._unit_bounds()
    return not hi - lo > 0


def single_value(dim: Dim) -> Any:
    """The value of a dimension that ``is_single``: its one choice, or its lower bound."""
    return dim.choices[0] if isinstance(dim, Categorical) else dim.snap(dim.low)


def split_constants(space: Space) -> tuple[dict[str, Any], dict[str, Dim]]:
    """``space`` split into the values of its constant dimensions (``is_single``), which a
    sampler sets without modelling, and the dimensions left to sample."""
    constants: dict[str, Any] = {}
    rest: dict[str, Dim] = {}
    for name, dim in space.items():
        if is_single(dim):
            constants[name] = single_value(dim)
        else:
            rest[name] = dim
    return constants, rest


def grid_values(dim: Dim) -> tuple[Hashable, ...]:
    """All legal values of a finite dimension (Int, stepped Float, Categorical)."""
    if isinstance(dim, Categorical):
        return dim.choices
    if isinstance(dim, Int):
        return tuple(range(dim.low, dim.high + 1, dim.step))
    if dim.step is None:
        raise ValueError(f"{dim} is continuous; give it a step or list the grid values.")
    n = round((dim.high - dim.low) / dim.step)
    return tuple(dim.snap(dim.low + k * dim.step) for k in range(n + 1))


def encode(space: Space, params: Mapping[str, Any]) -> np.ndarray:
    """Encode ``params`` (one value per dimension of ``space``) as a point of the unit cube."""
    return np.array([dim.to_unit(params[name]) for name, dim in space.items()], dtype=float)


def decode(space: Space, point: Sequence[float] | np.ndarray) -> dict[str, Any]:
    """Decode a point of the unit cube into one legal value per dimension of ``space``."""
    if len(point) != len(space):
        raise ValueError(f"point has {len(point)} coordinates but the space has {len(space)}.")
    return {name: dim.from_unit(u) for (name, dim), u in zip(space.items(), point, strict=True)}


def validate_value(name: str, dim: Dim, value: Any) -> None:
    """Raise ValueError if ``value`` is not a legal value of ``dim``."""
    if not dim.contains(value):
        raise ValueError(f"Parameter {name!r}: value {value!r} is not in {dim}.")
