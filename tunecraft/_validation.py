"""Declared argument constraints, checked in one place with one message format.

In the spirit of scikit-learn's ``utils/_param_validation.py``: a constructor declares what
each argument may be, once, and :func:`validate` checks the values against it. Every failure
reads ``name=value must be <what it may be>[; <how to fix it>]``, e.g.
``n_warmup_steps=-1 must be an integer >= 0``::

    _CONSTRAINTS: Spec = {
        "percentile": Interval(float, 0, 100),
        "n_warmup_steps": Interval(int, 0),
        "kind": Options("mean", "ema"),
        "max_resource": [Interval(int, 1), Options(None)],   # any one of them
    }

    validate(_CONSTRAINTS, percentile=percentile, n_warmup_steps=n_warmup_steps, ...)

``int`` intervals take Python and NumPy integers, ``float`` intervals any real number (ints
included); neither takes a bool, and a NaN is inside no interval. :class:`Text` is a non-empty
string, :class:`InstanceOf` an instance of a class (``collections.abc.Callable`` for a
function).

A failed check raises :class:`InvalidArgument`, a ValueError that is also a TypeError (as
scikit-learn's ``InvalidParameterError``): a wrong value and a wrong type read the same and
are caught by either name.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar

T = TypeVar("T")


class InvalidArgument(ValueError, TypeError):
    """An argument outside its declared constraints (the message says what it may be)."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A number of ``kind`` (int or float) between ``low`` and ``high`` (None: unbounded).

    ``closed`` says which ends are included; ``finite=False`` lets an unbounded float
    interval contain infinities; ``label`` replaces the generated description (e.g. ``a
    positive integer``).
    """

    kind: type[int] | type[float]
    low: float | None = None
    high: float | None = None
    closed: Literal["both", "left", "right", "neither"] = "both"
    finite: bool = True
    label: str = ""

    def holds(self, value: object) -> bool:
        """Whether ``value`` is such a number (see the module docstring for types)."""
        if isinstance(value, bool):
            return False
        whole = isinstance(value, numbers.Integral)
        if not (whole or (self.kind is float and isinstance(value, numbers.Real))):
            return False
        x = float(value)  # type: ignore[arg-type]
        if math.isnan(x) or (self.finite and math.isinf(x)):
            return False
        if self.low is not None and not (x >= self.low if self.closed in ("both", "left")
                                         else x > self.low):
            return False
        return self.high is None or (x <= self.high if self.closed in ("both", "right")
                                     else x < self.high)

    def describe(self) -> str:
        """The interval in words: ``an integer >= 1``, ``a number in (0, 1]``."""
        if self.label:
            return self.label
        noun = "an integer" if self.kind is int else (
            "a finite number" if self.finite and self.low is not None and self.high is None
            else "a number")
        if self.low is None and self.high is None:
            return noun
        if self.high is None:
            return f"{noun} {'>=' if self.closed in ('both', 'left') else '>'} {_num(self.low)}"
        if self.low is None:
            return f"{noun} {'<=' if self.closed in ('both', 'right') else '<'} {_num(self.high)}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"{noun} in {left}{_num(self.low)}, {_num(self.high)}{right}"


class Options:
    """One of the given values (compared with ``==`` and of the same type, so ``1`` is not
    ``True``); ``note`` says what they mean, e.g. ``Options(-1, note="all cores")``."""

    __slots__ = ("note", "values")

    def __init__(self, *values: object, note: str = "") -> None:
        self.values = values
        self.note = note

    def holds(self, value: object) -> bool:
        """Whether ``value`` is one of the options."""
        return any(type(value) is type(v) and value == v for v in self.values)

    def describe(self) -> str:
        """``'mean' or 'ema'``, ``True or False``, ``None``."""
        shown = [repr(v) for v in self.values]
        text = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True, slots=True)
class InstanceOf:
    """An instance of ``cls``, described as ``what`` (e.g. ``a tunecraft pruner``); ``cls``
    may be an abstract class such as ``collections.abc.Callable``."""

    cls: Any
    what: str

    def holds(self, value: object) -> bool:
        """Whether ``value`` is an instance of ``cls``."""
        return isinstance(value, self.cls)

    def describe(self) -> str:
        """The description given."""
        return self.what


@dataclass(frozen=True, slots=True)
class Text:
    """A non-empty string, described as ``what`` (e.g. ``the name of a logged metric``)."""

    what: str = "a non-empty string"

    def holds(self, value: object) -> bool:
        """Whether ``value`` is a string other than ``""``."""
        return isinstance(value, str) and value != ""

    def describe(self) -> str:
        """The description given."""
        return self.what


Constraint: TypeAlias = Interval | Options | InstanceOf | Text
Spec: TypeAlias = Mapping[str, Constraint | Sequence[Constraint]]
"""Argument name -> its constraint, or a list of constraints of which any one suffices."""


def _num(x: float | None) -> str:
    return str(int(x)) if x is not None and float(x).is_integer() else str(x)


def describe(constraints: Sequence[Constraint]) -> str:
    """What a value may be, in words: ``an integer >= 1 or 'auto'``."""
    return " or ".join(c.describe() for c in constraints)


def message(name: str, value: object, constraints: Sequence[Constraint], fix: str = "") -> str:
    """The one error format: ``name=value must be A or B[; fix]``."""
    return f"{name}={value!r} must be {describe(constraints)}" + (f"; {fix}" if fix else "")


def check(name: str, value: T, *constraints: Constraint, fix: str = "") -> T:
    """``value`` unchanged if any constraint holds; else InvalidArgument in the one format."""
    if not any(c.holds(value) for c in constraints):
        raise InvalidArgument(message(name, value, constraints, fix))
    return value


def validate(spec: Spec, **values: Any) -> None:
    """Check each keyword argument against its declared constraint(s) in ``spec``."""
    for name, value in values.items():
        declared = spec[name]  # KeyError: the caller forgot to declare the argument
        options = (declared,) if isinstance(declared, (Interval, Options, InstanceOf, Text)) \
            else tuple(declared)
        check(name, value, *options)
