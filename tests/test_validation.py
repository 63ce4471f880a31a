"""Declarative argument checks: constraints, the one message format, the pruners using it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tunecraft._validation import (
    InstanceOf,
    Interval,
    InvalidArgument,
    Options,
    Spec,
    Text,
    check,
    message,
    validate,
)
from tunecraft.pruners import (
    CurveExtrapolationPruner,
    HyperbandPruner,
    MedianPruner,
    ParetoPruner,
    PatientPruner,
    PercentilePruner,
    PopulationBasedTraining,
    SmoothedPruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)


@pytest.mark.parametrize("constraint, inside, outside", [
    (Interval(int, 1), [1, 7, np.int64(3)], [0, -1, 1.0, True, "2", None]),
    (Interval(float, 0, 1), [0, 0.5, 1, 1.0, np.float32(0.25)], [-0.1, 1.01, math.nan, False]),
    (Interval(float, 0, 1, closed="neither"), [0.5], [0, 1, 0.0]),
    (Interval(float, 0, 1, closed="left"), [0.0], [1.0]),
    (Interval(float, 0, 0.5, closed="right"), [0.5], [0.0]),
    (Interval(float, 0), [0, 1e300], [math.inf, math.nan, -1e-300]),
    (Interval(float, 0, finite=False), [math.inf], [math.nan, -math.inf]),
    (Options("mean", "ema"), ["mean", "ema"], ["median", None, 1]),
    (Options(True, False), [True, False], [1, 0, "yes"]),
    (Options(None), [None], [0, ""]),
    (InstanceOf(str, "a name"), ["x"], [1]),
    (InstanceOf(Callable, "a function"), [len, lambda: 0, int], [1, "f", None]),
    (Text(), ["x", " "], ["", None, 1, b"x"]),
])
def test_constraints_hold_exactly_for_their_values(constraint: Any, inside: list[Any],
                                                  outside: list[Any]) -> None:
    assert all(constraint.holds(v) for v in inside), inside
    assert not any(constraint.holds(v) for v in outside), outside


@pytest.mark.parametrize("constraints, text", [
    ((Interval(int, 0),), "an integer >= 0"),
    ((Interval(int, 1, 9),), "an integer in [1, 9]"),
    ((Interval(float, 0, 100),), "a number in [0, 100]"),
    ((Interval(float, 0, 1, closed="neither"),), "a number in (0, 1)"),
    ((Interval(float, 0),), "a finite number >= 0"),
    ((Interval(float, 0, finite=False),), "a number >= 0"),
    ((Interval(float, None, 0.5, closed="left"),), "a number < 0.5"),
    ((Interval(float, 0.25, 1),), "a number in [0.25, 1]"),
    ((Interval(int, 1), Options("auto")), "an integer >= 1 or 'auto'"),
    ((Options(True, False),), "True or False"),
    ((Options("a", "b", "c"),), "'a', 'b' or 'c'"),
    ((Interval(int, 1), Options(-1, note="all cores")), "an integer >= 1 or -1 (all cores)"),
])
def test_one_message_format(constraints: tuple[Any, ...], text: str) -> None:
    assert message("x", -3, constraints) == f"x=-3 must be {text}"
    assert message("x", -3, constraints, "fix it") == f"x=-3 must be {text}; fix it"


def test_check_returns_the_value_or_raises_naming_the_fix() -> None:
    assert check("n", 3, Interval(int, 1)) == 3
    with pytest.raises(ValueError, match=r"^n=0 must be an integer >= 1; use 1 for none$"):
        check("n", 0, Interval(int, 1), fix="use 1 for none")


def test_a_failed_check_is_both_a_value_and_a_type_error() -> None:
    """Checks that raised TypeError for a wrong type and ValueError for a wrong value before
    they were declared still raise what their callers catch."""
    for wrong in (0, "3", None):
        with pytest.raises(InvalidArgument) as info:
            check("n", wrong, Interval(int, 1))
        assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    with pytest.raises(TypeError, match=r"^name='' must be the name of a metric$"):
        check("name", "", Text("the name of a metric"))


def test_validate_checks_each_declared_argument() -> None:
    spec: Spec = {"a": Interval(int, 0), "b": [Interval(float, 0), Options(None)]}
    validate(spec, a=1, b=None)
    validate(spec, a=0, b=2.5)
    with pytest.raises(ValueError, match=r"^b='x' must be a finite number >= 0 or None$"):
        validate(spec, a=1, b="x")
    with pytest.raises(KeyError):
        validate(spec, c=1)  # an undeclared argument is a bug in the caller


@pytest.mark.parametrize("make, match", [
    (lambda: MedianPruner(n_startup_trials=-1), r"n_startup_trials=-1 must be an integer >= 0"),
    (lambda: MedianPruner(n_startup_trials=True), r"n_startup_trials=True must be an integer"),
    (lambda: PercentilePruner(101.0), r"percentile=101.0 must be a number in \[0, 100\]"),
    (lambda: PercentilePruner(True), r"percentile=True must be a number"),
    (lambda: PercentilePruner(50.0, margin=math.inf), r"margin=inf must be a finite number"),
    (lambda: ThresholdPruner(lower=math.nan), r"lower=nan must be a number or None"),
    (lambda: PatientPruner(None, 1, min_delta=-1.0), r"min_delta=-1.0 must be a number >= 0"),
    (lambda: SmoothedPruner(MedianPruner(), kind="median"), r"kind='median' must be 'mean'"),
    (lambda: SuccessiveHalvingPruner("all"), r"min_resource='all' must be an integer >= 1 "
                                             r"or 'auto'"),
    (lambda: SuccessiveHalvingPruner(pause=1), r"pause=1 must be True or False"),
    (lambda: HyperbandPruner(reduction_factor=1), r"reduction_factor=1 must be an integer >= 2"),
    (lambda: HyperbandPruner(4, 2), r"max_resource=2 must be an integer >= 4"),
    (lambda: PopulationBasedTraining(quantile_fraction=0.6),
     r"quantile_fraction=0.6 must be a number in \(0, 0.5\]"),
    (lambda: PopulationBasedTraining(seed=1.5), r"seed=1.5 must be an integer or None"),
    (lambda: CurveExtrapolationPruner(confidence=0.5), r"confidence=0.5 must be a number in "
                                                       r"\(0.5, 1\)"),
    (lambda: ParetoPruner(fraction=1.0), r"fraction=1.0 must be a number in \[0, 1\)"),
    (lambda: WilcoxonPruner(n_startup_steps=0), r"n_startup_steps=0 must be an integer >= 1"),
])
def test_pruners_validate_through_the_helper(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_numpy_integers_are_integers() -> None:
    assert MedianPruner(n_startup_trials=np.int64(2)).n_startup_trials == 2
