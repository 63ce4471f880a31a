"""Hypervolume: exact on closed-form fronts, agreement of 2-D/3-D/WFG and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunecraft.hypervolume import _front, _hv2, _hv3, _wfg, hypervolume


def test_two_points_and_a_dominated_third() -> None:
    assert hypervolume([[1.0, 2.0], [2.0, 1.0]], [3.0, 3.0]) == 3.0
    assert hypervolume([[1.0, 2.0], [2.0, 1.0], [2.5, 2.5]], [3.0, 3.0]) == 3.0


def test_zdt1_front() -> None:
    x = np.linspace(0.0, 1.0, 200_001)
    front = np.c_[x, 1 - np.sqrt(x)]
    assert hypervolume(front, [1.0, 1.0]) == pytest.approx(2 / 3, abs=1e-4)
    # with (1.1, 1.1): 2/3 + the two 0.1 strips (0.1 + 0.1 * 1.1) = 0.8767
    assert hypervolume(front, [1.1, 1.1]) == pytest.approx(2 / 3 + 0.21, abs=1e-4)
    assert 2 / 3 + 0.21 == pytest.approx(0.8767, abs=1e-4)


def test_dtlz2_three_objective_front() -> None:
    # the positive octant of the unit sphere, on a fine grid of angles
    a, b = np.meshgrid(np.linspace(0, math.pi / 2, 300), np.linspace(0, math.pi / 2, 300))
    pts = np.c_[(np.cos(a) * np.cos(b)).ravel(), (np.cos(a) * np.sin(b)).ravel(),
                np.sin(a).ravel()]
    assert hypervolume(pts, [1.0, 1.0, 1.0]) == pytest.approx(1 - math.pi / 6, abs=3e-3)
    assert hypervolume(pts, [1.1, 1.1, 1.1]) == pytest.approx(1.331 - math.pi / 6, abs=3e-3)


def _sphere_points(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    p = np.abs(rng.normal(size=(n, m)))
    return p / np.linalg.norm(p, axis=1, keepdims=True)


@pytest.mark.parametrize("m", [4, 5])
def test_wfg_agrees_with_monte_carlo(m: int) -> None:
    rng = np.random.default_rng(m)
    pts = _sphere_points(rng, 30, m)
    ref = np.full(m, 1.1)
    exact = hypervolume(pts, ref)
    n = 400_000
    samples = rng.random((n, m)) * 1.1
    dominated = np.zeros(n, dtype=bool)
    for p in pts:
        dominated |= np.all(samples >= p, axis=1)
    share = dominated.mean()
    estimate = share * 1.1**m
    sigma = math.sqrt(share * (1 - share) / n) * 1.1**m
    assert abs(exact - estimate) < 3 * sigma + 1e-12


@given(st.integers(0, 2**16), st.integers(1, 25))
def test_wfg_agrees_with_the_exact_sweeps(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    for m, exact in ((2, _hv2), (3, _hv3)):
        front = _front(_sphere_points(rng, n, m))
        ref = np.full(m, 1.2)
        assert _wfg(front, ref) == pytest.approx(exact(front, ref), rel=1e-9)


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
                min_size=1, max_size=12), st.integers(0, 100))
def test_invariant_to_order_duplicates_and_dominated_points(rows: list[tuple[float, ...]],
                                                           seed: int) -> None:
    pts = np.array(rows)
    ref = np.full(4, 1.5)
    hv = hypervolume(pts, ref)
    shuffled = np.random.default_rng(seed).permutation(pts)
    assert hypervolume(shuffled, ref) == pytest.approx(hv, rel=1e-9, abs=1e-12)
    assert hypervolume(np.vstack([pts, pts[:1], np.minimum(pts[:1] + 0.1, 1.5)]),
                       ref) == pytest.approx(hv, rel=1e-9, abs=1e-12)
    assert 0 <= hv <= 1.5**4


def test_points_outside_the_reference_add_nothing_and_bad_input_is_refused() -> None:
    assert hypervolume([[2.0, 0.0]], [1.0, 1.0]) == 0.0
    assert hypervolume(np.empty((0, 2)), [1.0, 1.0]) == 0.0
    with pytest.raises(ValueError, match="shape"):
        hypervolume([[1.0, 2.0, 3.0]], [4.0, 4.0])
    with pytest.raises(ValueError, match="NaN"):
        hypervolume([[float("nan"), 1.0]], [2.0, 2.0])
