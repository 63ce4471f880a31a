"""Type checks for configuration values that raise ConfigError naming the file, line and key."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from tunecraft._validation import Constraint, Interval, describe
from tunecraft.config.source import KeyPath, Source


def _got(value: Any) -> str:
    return f"got {value!r}" if not isinstance(value, (dict, list)) else (
        f"got a {'mapping' if isinstance(value, dict) else 'list'}")


def number(value: Any, path: KeyPath, source: Source) -> float:
    """A finite real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise source.error(path, f"must be a number, {_got(value)}")
    if not math.isfinite(value):
        raise source.error(path, f"must be a finite number, {_got(value)}")
    return float(value)


def integer(value: Any, path: KeyPath, source: Source) -> int:
    """An integer (a float with an integral value, such as ``16.0``, is accepted)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise source.error(path, f"must be an integer, {_got(value)}")
    return int(value)


def constrained(value: Any, path: KeyPath, source: Source, *constraints: Constraint) -> Any:
    """``value`` if any of the declared ``constraints`` holds (see tunecraft._validation),
    else ConfigError at its line: ``must be A or B, got X``."""
    if not any(c.holds(value) for c in constraints):
        raise source.error(path, f"must be {describe(constraints)}, {_got(value)}")
    return value


def boolean(value: Any, path: KeyPath, source: Source) -> bool:
    if not isinstance(value, bool):
        raise source.error(path, f"must be true or false, {_got(value)}")
    return value


def string(value: Any, path: KeyPath, source: Source) -> str:
    if not isinstance(value, str) or not value.strip():
        raise source.error(path, f"must be a non-empty string, {_got(value)}")
    return value


def mapping(value: Any, path: KeyPath, source: Source, example: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise source.error(path, f"must be a mapping such as {example}, {_got(value)}")
    return value


def optional_positive_int(value: Any, path: KeyPath, source: Source) -> int | None:
    if value is None:
        return None
    return int(constrained(integer(value, path, source), path, source, Interval(int, 0)))


def optional_positive_number(value: Any, path: KeyPath, source: Source) -> float | None:
    if value is None:
        return None
    return float(constrained(number(value, path, source), path, source, Interval(
        float, 0, closed="neither", label="a positive number of seconds")))
