"""Column encoding of a search space for TPE: parameter values <-> unit-cube arrays.

Numerical dimensions map to [0, 1] exactly as ``Dim.to_unit`` does (log dimensions in log
space; stepped and integer dimensions widened by half a step on each side, so every grid
point owns an equal share), but for whole columns of trials at once. Categorical dimensions
map to choice indices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunecraft.space import Categorical, Dim, Float, Int

_NUMBER_TYPES = frozenset({int, float, np.float64, np.float32, np.int64, np.int32})
_MISSING = object()  # hashable, equal to nothing: a missing param


def transformed_bounds(dim: Float | Int) -> tuple[float, float]:
    """The interval that ``dim`` spans in the (log, widened) coordinate of its unit encoding."""
    if isinstance(dim, Float):
        if dim.log:
            return math.log(dim.low), math.log(dim.high)
        half = dim.step / 2 if dim.step is not None else 0.0
        return dim.low - half, dim.high + half
    if dim.log:
        return math.log(dim.low - 0.5), math.log(dim.high + 0.5)
    return dim.low - dim.step / 2, dim.high + dim.step / 2


def _choice_key(value: Any) -> tuple[bool, Any]:
    # True == 1 and hash(True) == hash(1), but a bool choice must not match an int one.
    return (isinstance(value, bool), value)


class Columns:
    """The numerical and categorical columns of a space, in the space's order.

    Args:
        space: Dimensions to encode; none may be single-valued.
    """

    def __init__(self, space: Mapping[str, Dim]) -> None:
        self.space = dict(space)
        self.num_names: list[str] = []
        self.num_dims: list[Float | Int] = []
        self.cat_names: list[str] = []
        self.cat_dims: list[Categorical] = []
        for name, dim in space.items():
            if isinstance(dim, Categorical):
                self.cat_names.append(name)
                self.cat_dims.append(dim)
            else:
                self.num_names.append(name)
                self.num_dims.append(dim)
        bounds = [transformed_bounds(d) for d in self.num_dims]
        self.lo = np.array([b[0] for b in bounds], dtype=float)
        self.hi = np.array([b[1] for b in bounds], dtype=float)
        self.scale = np.array([_scale(b[0], b[1]) for b in bounds], dtype=float)
        self.span = self.scale * self.hi - self.scale * self.lo
        if np.any(self.span <= 0):
            raise ValueError("TPE columns cannot encode a degenerate numerical dimension")
        self.log = np.array([d.log for d in self.num_dims], dtype=bool)
        self.step = np.array([_step(d) for d in self.num_dims], dtype=float)
        self.low = np.array([d.low for d in self.num_dims], dtype=float)
        self.high = np.array([d.high for d in self.num_dims], dtype=float)
        self.discrete = self.step > 0
        self.n_choices = [len(d.choices) for d in self.cat_dims]

    def snap(self, unit: np.ndarray) -> np.ndarray:
        """Values (m, dn) of unit coordinates, rounded to the grid on discrete columns."""
        x = self.lo * (1.0 - unit) + self.hi * unit
        if self.log.any():
            x[:, self.log] = np.exp(x[:, self.log])
        d = self.discrete
        if d.any():
            low, step = self.low[d], self.step[d]
            x[:, d] = low + np.round((x[:, d] - low) / step) * step
        out: np.ndarray = np.clip(x, self.low, self.high)
        return out

    def cells(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit-coordinate bounds of each value's grid cell (meaningful on discrete columns)."""
        half = np.where(self.discrete, self.step / 2, 0.0)
        left, right = values - half, values + half
        if self.log.any():  # log columns have low >= 1 (Int) or > 0 (Float, no step)
            left[:, self.log] = np.log(left[:, self.log])
            right[:, self.log] = np.log(right[:, self.log])
        lo = self.scale * self.lo
        return (self.scale * left - lo) / self.span, (self.scale * right - lo) / self.span

    def decode(self, unit: np.ndarray, values: np.ndarray, cats: np.ndarray) -> dict[str, Any]:
        """One parameter dict from a row of unit coordinates, snapped values and indices."""
        out: dict[str, Any] = {}
        for j, (name, dim) in enumerate(zip(self.num_names, self.num_dims, strict=True)):
            if self.discrete[j]:
                out[name] = dim.snap(float(values[j]))
            else:
                out[name] = dim.from_unit(float(unit[j]))
        for j, (name, cdim) in enumerate(zip(self.cat_names, self.cat_dims, strict=True)):
            out[name] = cdim.choices[int(cats[j])]
        return {name: out[name] for name in self.space}


def encode_column(dim: Dim, name: str,
                  params: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Encode param ``name`` of each row for dimension ``dim``.

    Returns:
        ``(ok, data)``: ``ok`` marks rows holding a legal value (rows missing the param, or
        holding a value outside ``dim``, are not ok); ``data`` is the unit coordinate of
        numerical dimensions and the choice index (-1 when not ok) of categorical ones.
    """
    if isinstance(dim, Categorical):
        index = {_choice_key(c): i for i, c in enumerate(dim.choices)}
        column = [p.get(name, _MISSING) for p in params]
        try:
            idx = np.array([index.get((v.__class__ is bool, v), -1) for v in column],
                           dtype=np.int64)
        except TypeError:  # an unhashable value somewhere: it is no choice
            idx = np.array([_lookup(index, v) for v in column], dtype=np.int64)
        return idx >= 0, idx.reshape(len(column))
    values = [p.get(name) for p in params]
    if _NUMBER_TYPES.issuperset(set(map(type, values)) - {type(None)}):
        x = np.array(values, dtype=float).reshape(len(values))  # None (missing) -> NaN
    else:  # a param recorded with other types in some trials (e.g. categorical)
        x = np.array([v if type(v) in _NUMBER_TYPES else math.nan for v in values],
                     dtype=float).reshape(len(values))
    with np.errstate(invalid="ignore"):
        ok = (x >= dim.low) & (x <= dim.high)
    x = np.where(ok, x, dim.high)  # any legal filler: rows not ok are never read
    lo, hi = transformed_bounds(dim)
    if dim.log:
        x = np.log(x)
    scale = _scale(lo, hi)
    span = scale * hi - scale * lo
    if span <= 0:
        return ok, np.full_like(x, 0.5)
    unit: np.ndarray = np.clip((scale * x - scale * lo) / span, 0.0, 1.0)
    return ok, unit


def _scale(lo: float, hi: float) -> float:
    """1, or 0.5 where ``hi - lo`` overflows: ``(s*x - s*lo) / (s*hi - s*lo)`` is then exact
    for every range, from subnormal widths up to the whole float line."""
    return 1.0 if math.isfinite(hi - lo) else 0.5


def _step(dim: Float | Int) -> float:
    if isinstance(dim, Int):
        return float(dim.step)
    return dim.step if dim.step is not None else 0.0


def _lookup(index: Mapping[tuple[bool, Any], int], value: Any) -> int:
    try:
        return index.get(_choice_key(value), -1)
    except TypeError:  # an unhashable value cannot be a choice
        return -1
