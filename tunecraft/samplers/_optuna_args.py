"""Checks for the constructor arguments that samplers accept for Optuna's signatures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tunecraft.record import FrozenTrial

ConstraintsFunc = Callable[[FrozenTrial], Sequence[float]]


def check_count(name: str, value: Any) -> int:
    """``value`` as an int >= 0, or ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}={value!r} must be an integer >= 0")
    return value


def reject_true(sampler: str, name: str, value: Any, why: str) -> None:
    """Raise for an Optuna option that tunecraft does not implement, saying why and what to do."""
    if value:
        raise ValueError(f"{sampler}({name}=True) is not supported by tunecraft: {why}")


def check_constraints_func(func: ConstraintsFunc | None) -> ConstraintsFunc | None:
    """Optuna passes constraints to the sampler; tunecraft's study evaluates them (the study
    takes the sampler's ``constraints_func`` when ``create_study`` was given none)."""
    if func is not None and not callable(func):
        raise TypeError(f"constraints_func={func!r} must be a function of a FrozenTrial "
                        "returning constraint values (<= 0: satisfied)")
    return func


def reject_false(name: str, value: Any) -> None:
    """Raise for ``consider_prior=False``-style options that Optuna itself deprecated."""
    if value is not True:
        raise ValueError(f"{name}={value!r}: only True is supported (Optuna deprecated "
                         f"{name}=False in 4.3); leave it out")
