"""Helpers shared by the contracts: exact comparison of stored values and hypothesis strategies.

``exact`` turns a value into a structure whose equality is bit-exact for floats (``-0.0`` is
not ``0.0``, NaN equals NaN, ``1`` is not ``1.0`` or ``True``), so a round trip through a
storage can be checked for exactness with ``==``.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tunecraft.record import FrozenTrial
from tunecraft.space import Categorical, Dim, Float, Int

EXTREME_FLOATS: tuple[float, ...] = (
    0.0, -0.0, 1e-300, -1e-300, 5e-324, -5e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, -1.7976931348623157e308, 0.1, 1 / 3, 2.0**53 + 2,
)
"""Finite floats that a lossy codec gets wrong: signed zero, subnormals, the extremes."""


def contract_settings(max_examples: int) -> settings:
    """Hypothesis settings of a contract test: few examples (each may touch a database), no
    deadline, and a fixture shared by the examples of one test (each uses its own study)."""
    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow,
                                           HealthCheck.differing_executors])


def unique_name(prefix: str = "study") -> str:
    """A study name that no other test, process or concurrent session uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def exact(value: Any) -> Any:
    """A comparable image of JSON-like ``value`` whose ``==`` is exact (types and float bits)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(value))
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(k), type(k).__name__, exact(v))
                                    for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("seq", tuple(exact(v) for v in value))
    raise TypeError(f"exact() got a {type(value).__name__}, which is not JSON-like")


def trial_image(t: FrozenTrial) -> Any:
    """Every field of a trial, through :func:`exact`, for whole-record comparisons."""
    return (
        t.number, t.state, exact(dict(t.params)),
        exact({k: d.to_json() for k, d in t.distributions.items()}),
        exact(t.values), exact({str(k): v for k, v in t.intermediate_values.items()}),
        exact(t.user_attrs), exact(t.system_attrs), t.datetime_start, t.datetime_complete,
        t.fail_reason,
    )


# ---------------------------------------------------------------------- strategies
def any_floats() -> st.SearchStrategy[float]:
    """Every float, NaN and infinities included, with the awkward ones drawn often."""
    return st.floats() | st.sampled_from(EXTREME_FLOATS)


def finite_floats() -> st.SearchStrategy[float]:
    return st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(EXTREME_FLOATS)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Nested JSON data as users store it in attributes (lists, str-keyed dicts, scalars)."""
    scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
               | any_floats() | st.text(max_size=8))
    keys = st.text(max_size=6) | st.sampled_from(["__float__", "__float___", "", "0", "nan"])
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=max_leaves,
    )


def choice_values() -> st.SearchStrategy[Any]:
    """Scalars allowed as categorical choices (every type, no NaN)."""
    return (st.none() | st.booleans() | st.integers(min_value=-(2**40), max_value=2**40)
            | finite_floats() | st.floats(allow_nan=False) | st.text(max_size=6))


def _distinct(values: list[Any]) -> bool:
    try:
        Categorical(tuple(values))
    except ValueError:
        return False
    return True


@st.composite
def categoricals(draw: st.DrawFn, max_size: int = 5) -> Categorical:
    """Categorical dimensions over mixed-type choices."""
    values = draw(st.lists(choice_values(), min_size=1, max_size=max_size).filter(_distinct))
    return Categorical(tuple(values))


@st.composite
def floats_dims(draw: st.DrawFn) -> Float:
    """Float dimensions: plain, log-scaled or stepped, over modest and extreme ranges."""
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.floats(min_value=1e-12, max_value=1e6))
        high = low * draw(st.floats(min_value=1.0, max_value=1e8))
        return Float(low, high, log=True)
    if kind == "step":
        step = draw(st.sampled_from([0.1, 0.25, 0.5, 1.0, 1e-3, 3.0]))
        low = draw(st.integers(-1000, 1000)) * step
        n = draw(st.integers(0, 40))
        return Float(low, low + n * step, step=step)
    a = draw(st.floats(min_value=-1e300, max_value=1e300) | st.sampled_from(EXTREME_FLOATS))
    b = draw(st.floats(min_value=-1e300, max_value=1e300) | st.sampled_from(EXTREME_FLOATS))
    return Float(min(a, b), max(a, b))


@st.composite
def ints_dims(draw: st.DrawFn) -> Int:
    """Int dimensions: plain, log-scaled or stepped."""
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.integers(1, 10**6))
        return Int(low, low + draw(st.integers(0, 10**9)), log=True)
    step = draw(st.integers(1, 7)) if kind == "step" else 1
    low = draw(st.integers(-(10**12), 10**12))
    return Int(low, low + step * draw(st.integers(0, 10**4)), step=step)


def dims() -> st.SearchStrategy[Dim]:
    """Any dimension."""
    return floats_dims() | ints_dims() | categoricals()


def spaces(min_size: int = 1, max_size: int = 4) -> st.SearchStrategy[dict[str, Dim]]:
    """Search spaces of a few dimensions with short names."""
    return st.dictionaries(st.sampled_from("abcdefgh"), dims(), min_size=min_size,
                           max_size=max_size)


def on_grid(dim: Dim, value: Any) -> bool:
    """Whether ``value`` is legal for ``dim`` and, for categoricals, has a choice's exact type."""
    if not dim.contains(value):
        return False
    if isinstance(dim, Categorical):
        return any(type(c) is type(value) and c == value for c in dim.choices)
    if isinstance(dim, Int):
        return type(value) is int
    # a stepped value must be the canonical grid point, so equal points compare equal
    return type(value) is float and (dim.step is None or dim.snap(value) == value)
