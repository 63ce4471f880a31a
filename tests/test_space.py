"""Search-space dimensions: validation, membership, unit-cube encoding, grids and JSON."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunecraft.space import (
    Categorical,
    Dim,
    Float,
    Int,
    decode,
    dim_from_json,
    encode,
    grid_values,
    is_single,
    validate_value,
)
from tunecraft.testing import exact, on_grid, spaces
from tunecraft.testing._values import categoricals, dims, floats_dims, ints_dims

MAX = 1.7976931348623157e308


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, match", [
    ({"low": 2.0, "high": 1.0}, r"low=2.0 is greater than high=1.0; swap"),
    ({"low": float("nan"), "high": 1.0}, "low=nan must be a finite number"),
    ({"low": 0.0, "high": float("inf")}, "high=inf must be a finite number"),
    ({"low": "0", "high": 1.0}, "low='0' must be a finite number"),
    ({"low": True, "high": 2.0}, "low=True must be a finite number"),
    ({"low": 0.0, "high": 1.0, "step": 0.0}, "step=0.0 must be a positive number"),
    ({"low": 0.0, "high": 1.0, "step": -0.5}, "step=-0.5 must be a positive number"),
    ({"low": 0.0, "high": 1.0, "step": float("nan")}, "step=nan must be a positive"),
    ({"low": 0.0, "high": 1.0, "step": True}, "step=True must be a positive number"),
    ({"low": 1.0, "high": 2.0, "log": True, "step": 0.5}, "both log=True and a step"),
    ({"low": 0.0, "high": 1.0, "log": True}, r"log=True needs low > 0, got low=0.0"),
    ({"low": -1.0, "high": 1.0, "log": True}, r"needs low > 0, got low=-1.0"),
    ({"low": 0.0, "high": 1.0, "step": 0.3}, r"step=0.3 does not fit .* use high=0.9"),
])
def test_float_rejects_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Float(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"low": 5, "high": 1}, r"low=5 is greater than high=1; swap"),
    ({"low": 0.5, "high": 3}, "low=0.5 must be an integer"),
    ({"low": True, "high": 3}, "low=True must be an integer"),
    ({"low": 0, "high": False}, "high=False must be an integer"),
    ({"low": 0, "high": "3"}, "high='3' must be an integer"),
    ({"low": 0, "high": 4, "step": 0}, "step=0 must be >= 1"),
    ({"low": 0, "high": 4, "step": 1.5}, "step=1.5 must be an integer"),
    ({"low": 1, "high": 9, "log": True, "step": 2}, "both log=True and step > 1"),
    ({"low": 0, "high": 9, "log": True}, r"log=True needs low >= 1, got low=0"),
    ({"low": 0, "high": 10, "step": 3}, r"step=3 does not fit .* use high=9"),
])
def test_int_rejects_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Int(**kwargs)


@pytest.mark.parametrize("choices, match", [
    ((), "at least one choice"),
    ([], "at least one choice"),
    ("abc", "must be a list or tuple, got str"),
    ({"a", "b"}, "must be a list or tuple, got set"),
    (("a", "b", "a"), "duplicates: 'a' and 'a'"),
    ((1, 1.0), "duplicates: 1 and 1.0"),
    ((True, 1), "duplicates: True and 1"),  # they compare equal, so a user could not tell
    ((0.0, -0.0), "duplicates"),
    ((1.0, float("nan")), "nan is not allowed"),
    (([1, 2],), "has type list"),
    ((object(),), "has type object"),
    ((b"x",), "has type bytes"),
])
def test_categorical_rejects_bad_choices(choices: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Categorical(choices)


def test_arguments_are_normalised() -> None:
    f = Float(np.float64(0.25), 1)
    assert (f.low, f.high) == (0.25, 1.0) and type(f.low) is float and type(f.high) is float
    i = Int(np.int64(2), 8.0, step=np.int64(2))
    assert (i.low, i.high, i.step) == (2, 8, 2) and all(type(v) is int for v in (i.low, i.high))
    assert Categorical(["a", None]).choices == ("a", None)
    assert Float(0, 1, step=1) == Float(0.0, 1.0, step=1.0)


def test_dimensions_are_frozen_values() -> None:
    d = Float(0.0, 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.low = 0.5  # type: ignore[misc]
    assert {Float(0, 1), Float(0.0, 1.0), Int(0, 1), Categorical((0, 1))} == {
        Float(0.0, 1.0), Int(0, 1), Categorical((0, 1))}


# ---------------------------------------------------------------------- membership
@pytest.mark.parametrize("dim, inside, outside", [
    (Float(-1.0, 1.0), [-1.0, 0, 1, -0.0, 0.5, np.float64(0.2), 5e-324],
     [1.0000001, float("nan"), float("inf"), True, "0.5", None]),
    (Float(0.0, 1.0, step=0.25), [0.0, 0.25, 0.75, 1, 0.5000000000001],
     [0.3, 1.25, -0.25, False]),
    (Float(1e-3, 1e3, log=True), [1e-3, 1.0, 999.9, 1000], [0.0, -1.0, 1000.1]),
    (Int(-5, 5), [-5, 0, 5, np.int64(3)], [6, -6, 1.0, 2.5, True, "1", None]),
    (Int(0, 10, step=5), [0, 5, 10], [1, 4, 15]),
    (Int(1, 1024, log=True), [1, 2, 1000, 1024], [0, 1025]),
    (Categorical((None, True, 3, 2.5, "a")), [None, True, 3, 3.0, 2.5, "a"],
     [False, 1, 4, "b", "A", 2.50001, [3], float("nan")]),
])
def test_contains(dim: Dim, inside: list[Any], outside: list[Any]) -> None:
    for v in inside:
        assert dim.contains(v), v
        validate_value("p", dim, v)
    for v in outside:
        assert not dim.contains(v), v
        with pytest.raises(ValueError, match="Parameter 'p': value .* is not in"):
            validate_value("p", dim, v)


def test_categorical_index_tells_bool_from_int() -> None:
    c = Categorical((0, False, "0")) if False else Categorical((False, 2, "x"))
    assert c.index(False) == 0 and c.index(2) == 1 and c.index(2.0) == 1
    with pytest.raises(ValueError, match="0 is not one of the choices"):
        c.index(0)
    ints = Categorical((1, 2))
    assert not ints.contains(True) and ints.contains(1.0)
    assert not Categorical((True, False)).contains(1)


# ---------------------------------------------------------------------- encoding
@given(dim=dims(), data=st.data())
def test_decode_of_encode_round_trips(dim: Dim, data: st.DataObject) -> None:
    value = data.draw(legal_values(dim))
    u = dim.to_unit(value)
    assert 0.0 <= u <= 1.0
    back = dim.from_unit(u)
    assert on_grid(dim, back)
    if isinstance(dim, Float) and dim.step is None:
        width = dim.high - dim.low if math.isfinite(dim.high - dim.low) else MAX
        assert math.isclose(back, value, rel_tol=1e-9, abs_tol=1e-12 * width)
    else:
        assert exact(back) == exact(value)


@given(dim=dims(), u=st.floats(min_value=0.0, max_value=1.0))
def test_every_unit_point_decodes_to_a_legal_value(dim: Dim, u: float) -> None:
    value = dim.from_unit(u)
    assert on_grid(dim, value), value
    assert 0.0 <= dim.to_unit(value) <= 1.0


@given(dim=floats_dims() | ints_dims())
def test_cube_corners_decode_to_the_bounds(dim: Float | Int) -> None:
    assert exact(dim.from_unit(0.0)) == exact(dim.low)
    assert exact(dim.from_unit(1.0)) == exact(dim.high)
    assert exact(dim.from_unit(-3.0)) == exact(dim.low)  # clipped into the cube
    assert exact(dim.from_unit(7.0)) == exact(dim.high)


@given(dim=st.sampled_from([Int(0, 3), Int(1, 4, log=True), Int(0, 30, step=10),
                            Float(0.0, 1.5, step=0.5), Categorical(("a", "b", "c", "d"))]))
def test_every_grid_point_owns_an_equal_share_of_the_cube(dim: Dim) -> None:
    points = grid_values(dim)
    us = np.linspace(0.0, 1.0, 4001)
    counts = {exact(p): 0 for p in points}
    for u in us:
        counts[exact(dim.from_unit(float(u)))] += 1
    share = np.array(list(counts.values())) / len(us)
    if isinstance(dim, Int) and dim.log:
        assert np.all(np.diff(share) < 0)  # log: the small integers take a larger share
    else:
        assert np.allclose(share, 1 / len(points), atol=2e-3), share


def test_wide_float_ranges_do_not_overflow() -> None:
    d = Float(-MAX, MAX)
    assert d.from_unit(0.0) == -MAX and d.from_unit(1.0) == MAX
    assert d.from_unit(0.5) == 0.0
    assert d.to_unit(0.0) == 0.5 and d.to_unit(MAX) == 1.0 and d.to_unit(-MAX) == 0.0
    assert 0.0 < d.to_unit(1e307) < 1.0


@given(space=spaces(), data=st.data())
def test_encode_decode_spaces(space: dict[str, Dim], data: st.DataObject) -> None:
    params = {k: data.draw(legal_values(d)) for k, d in space.items()}
    point = encode(space, params)
    assert point.shape == (len(space),) and point.dtype == float
    assert np.all((point >= 0) & (point <= 1))
    decoded = decode(space, point)
    assert list(decoded) == list(space)
    for k, d in space.items():
        assert on_grid(d, decoded[k])


def test_decode_checks_the_point_length() -> None:
    with pytest.raises(ValueError, match="point has 1 coordinates but the space has 2"):
        decode({"a": Float(0, 1), "b": Int(0, 1)}, [0.5])


def test_single_point_dimensions() -> None:
    for d in (Float(2.0, 2.0), Int(7, 7), Categorical(("x",)), Float(1.0, 1.0, step=0.1)):
        assert is_single(d)
        assert d.from_unit(0.0) == d.from_unit(0.7) == d.from_unit(1.0)
        assert d.to_unit(d.from_unit(0.3)) == 0.5
    assert not is_single(Float(0, 1e-300)) and not is_single(Categorical((1, 2)))


def test_snap() -> None:
    assert Float(0.0, 1.0, step=0.25).snap(0.3) == 0.25
    assert Float(0.0, 1.0, step=0.25).snap(7.0) == 1.0
    assert Float(0.0, 1.0).snap(-3.0) == 0.0
    assert Int(0, 10, step=5).snap(7.4) == 5 and Int(0, 10, step=5).snap(7.6) == 10
    assert type(Int(0, 10).snap(3.2)) is int


# ---------------------------------------------------------------------- grids and JSON
def test_grid_values() -> None:
    assert grid_values(Int(0, 10, step=5)) == (0, 5, 10)
    assert grid_values(Int(3, 3)) == (3,)
    assert grid_values(Float(0.0, 0.3, step=0.1)) == (0.0, 0.1, 0.2, 0.3)
    # points as a person writes them, not 3 * 0.1 == 0.30000000000000004
    assert grid_values(Float(0.0, 1.0, step=0.1)) == tuple(i / 10 for i in range(11))
    assert grid_values(Float(0.0, 0.9, step=0.3)) == (0.0, 0.3, 0.6, 0.9)
    assert grid_values(Float(1e-5, 4e-5, step=1e-5)) == (1e-5, 2e-5, 3e-5, 4e-5)
    assert Float(0.0, 1.0, step=0.1).from_unit(0.33) == 0.3
    assert grid_values(Categorical(("a", None))) == ("a", None)
    with pytest.raises(ValueError, match="continuous; give it a step"):
        grid_values(Float(0.0, 1.0))


@given(dim=floats_dims() | ints_dims() | categoricals())
def test_grid_values_are_legal_and_distinct(dim: Dim) -> None:
    if isinstance(dim, Float) and dim.step is None:
        return
    if isinstance(dim, (Float, Int)) and (dim.high - dim.low) / dim.step > 10_000:
        dim = type(dim)(dim.low, dim.low + 10_000 * dim.step, step=dim.step)
    points = grid_values(dim)
    assert all(on_grid(dim, p) for p in points)
    assert len({exact(p) for p in points}) == len(points)
    if not isinstance(dim, Categorical):
        assert points[0] == dim.low and points[-1] == dim.high


@given(dim=dims())
def test_json_round_trip(dim: Dim) -> None:
    import json

    back = dim_from_json(json.loads(json.dumps(dim.to_json())))
    assert back == dim and exact(back.to_json()) == exact(dim.to_json())


def test_dim_from_json_rejects_unknown_types() -> None:
    with pytest.raises(ValueError, match="Unknown dimension type 'uniform'"):
        dim_from_json({"type": "uniform", "low": 0, "high": 1})


def test_str() -> None:
    assert str(Float(0.001, 1.0, log=True)) == "Float(0.001, 1, log)"
    assert str(Float(0.0, 1.0, step=0.25)) == "Float(0, 1, step=0.25)"
    assert str(Int(1, 9, step=2)) == "Int(1, 9, step=2)"
    assert str(Int(1, 9, log=True)) == "Int(1, 9, log)"
    assert str(Categorical(("a", None))) == "Categorical(['a', None])"


# ---------------------------------------------------------------------- helpers
@st.composite
def legal_values(draw: st.DrawFn, dim: Dim) -> Any:
    """A legal value of ``dim``: a choice, a grid point, or any float in range."""
    if isinstance(dim, Categorical):
        return draw(st.sampled_from(dim.choices))
    if isinstance(dim, Int):
        return dim.low + dim.step * draw(st.integers(0, (dim.high - dim.low) // dim.step))
    if dim.step is not None:
        return dim.snap(dim.low + dim.step * draw(
            st.integers(0, round((dim.high - dim.low) / dim.step))))
    value = draw(st.floats(min_value=dim.low, max_value=dim.high)
                 | st.sampled_from([dim.low, dim.high]))
    return value + 0.0  # -0.0 and 0.0 encode alike; keep the value the range holds
