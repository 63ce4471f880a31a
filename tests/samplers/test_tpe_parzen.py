"""TPE numerics: the normal functions, the Parzen estimator (bandwidths, prior, densities that
integrate to one, sampling that matches the density) and the good/bad split."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from tunecraft.samplers.tpe import _normal
from tunecraft.samplers.tpe._encoding import Columns, encode_column
from tunecraft.samplers.tpe._split import (
    COMPLETE,
    PRUNED,
    RUNNING,
    _contributions_2d,
    default_gamma,
    default_gamma_multiobjective,
    default_weights,
    hyperopt_gamma,
    hypervolume_greedy,
    split,
)
from tunecraft.samplers.tpe.parzen import ParzenEstimator, bandwidths
from tunecraft.space import Categorical, Dim, Float, Int, grid_values


def fit(dim: Dim, values: list[Any], **kw: Any) -> tuple[Columns, ParzenEstimator]:
    """A one-dimensional estimator on ``values`` of ``dim`` (all weights 1)."""
    cols = Columns({"x": dim})
    ok, data = encode_column(dim, "x", [{"x": v} for v in values])
    assert ok.all()
    n = len(values)
    if isinstance(dim, Categorical):
        unit, cats = np.empty((n, 0)), data.reshape(n, 1)
    else:
        unit, cats = data.reshape(n, 1), np.empty((n, 0), dtype=np.int64)
    pe = ParzenEstimator(unit, cats, cols.n_choices, cols.discrete, np.ones(n), **kw)
    return cols, pe


# ---------------------------------------------------------------------- normal functions
def test_normal_functions_match_scipy() -> None:
    z = np.concatenate([np.linspace(-40, 40, 4001), [-1e4, -300.0, 1e-300, 0.0]])
    np.testing.assert_allclose(_normal.ndtr(z), special.ndtr(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(_normal.log_ndtr(z), special.log_ndtr(z), rtol=1e-13, atol=1e-15)
    x = np.concatenate([np.linspace(0, 30, 3001), np.geomspace(1e-10, 1e50, 200)])
    np.testing.assert_allclose(_normal.erfcx(x), special.erfcx(x), rtol=2e-15)
    p = np.concatenate([np.geomspace(1e-300, 0.5, 500), 1 - np.geomspace(1e-15, 0.5, 200)])
    np.testing.assert_allclose(_normal.ndtri(p), special.ndtri(p), rtol=1e-13, atol=1e-13)


def test_log_gauss_mass_matches_scipy_in_every_regime() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(-30, 30, 5000)
    b = a + 10 ** rng.uniform(-6, 1.5, 5000)
    # scipy's log of the difference of survival or cdf values, whichever side is exact
    with np.errstate(divide="ignore"):  # where scipy's difference underflows to 0
        ref = np.where(a > 0, np.log(special.ndtr(-a) - special.ndtr(-b)),
                       np.log(special.ndtr(b) - special.ndtr(a)))
    fine = np.isfinite(ref) & (np.abs(ref) < 300)
    np.testing.assert_allclose(_normal.log_gauss_mass(a, b)[fine], ref[fine], rtol=1e-7,
                               atol=1e-12)
    # far tails stay finite, where the plain difference of CDFs underflows to zero
    assert np.isfinite(_normal.log_gauss_mass(np.array([40.0, -60.0]), np.array([41.0, -59.0]))
                       ).all()
    assert _normal.log_gauss_mass(np.array([1.0]), np.array([1.0]))[0] == -np.inf


@settings(max_examples=60, deadline=None)
@given(a=st.floats(-50, 50), width=st.floats(1e-6, 60), seed=st.integers(0, 2**32 - 1))
def test_truncated_normal_draws_stay_inside(a: float, width: float, seed: int) -> None:
    u = np.random.default_rng(seed).random(64)
    x = _normal.truncnorm_sample(np.full(64, a), np.full(64, a + width), u)
    assert np.all((x >= a) & (x <= a + width))


def test_truncated_normal_draws_follow_the_distribution() -> None:
    u = np.random.default_rng(1).random(200_000)
    for a, b in [(-0.5, 2.0), (3.0, 4.0), (-6.0, -5.5), (-1.0, 40.0)]:
        x = _normal.truncnorm_sample(np.full(u.size, a), np.full(u.size, b), u)
        dist = stats.truncnorm(a, b)
        assert abs(x.mean() - dist.mean()) < 5 * dist.std() / math.sqrt(u.size)


# ---------------------------------------------------------------------- bandwidths and prior
def test_bandwidths_neighbour_rule_with_magic_clip() -> None:
    """[0, 10] with observations {1, 4}: sigma (3, 3), clip [10/4, 10]; prior sigma 10."""
    _, pe = fit(Float(0, 10), [1, 4])
    np.testing.assert_allclose(pe.mus[:, 0] * 10, [1, 4, 5])
    np.testing.assert_allclose(pe.sigmas[:, 0] * 10, [3, 3, 10])
    _, close = fit(Float(0, 10), [1, 1.5])  # raw sigma 0.5 -> clipped to 10 / 4
    np.testing.assert_allclose(close.sigmas[:, 0] * 10, [2.5, 2.5, 10])
    _, unclipped = fit(Float(0, 10), [1, 1.5], magic_clip=False)
    np.testing.assert_allclose(unclipped.sigmas[:, 0] * 10, [0.5, 0.5, 10])
    _, ends = fit(Float(0, 10), [1, 4], endpoints=True)  # the bounds count as neighbours
    np.testing.assert_allclose(ends.sigmas[:, 0] * 10, [3, 6, 10])
    _, single = fit(Float(0, 10), [1])  # one kernel: the larger distance to a bound
    np.testing.assert_allclose(single.sigmas[:, 0] * 10, [9, 10])


def test_bandwidths_are_computed_per_column_and_follow_the_input_order() -> None:
    mus = np.array([[0.9, 0.1], [0.1, 0.5], [0.5, 0.2]])
    sig = bandwidths(mus, magic_clip=False, endpoints=True)
    np.testing.assert_allclose(sig[:, 0], [0.4, 0.4, 0.4])  # sorted 0.1 .5 .9
    np.testing.assert_allclose(sig[:, 1], [0.1, 0.5, 0.3])  # sorted 0.1 .2 .5


def test_without_data_the_estimator_is_the_prior() -> None:
    cols, pe = fit(Float(0, 10), [])
    assert pe.n_kernels == 1
    x = np.linspace(0, 1, 11)[:, None]
    expected = stats.truncnorm(-0.5, 0.5, loc=0.5, scale=1.0).logpdf(x[:, 0])
    np.testing.assert_allclose(pe.log_pdf(x, np.empty((11, 0), dtype=np.int64)), expected,
                               rtol=1e-12)
    _, cat = fit(Categorical(("a", "b", "c", "d")), [])
    np.testing.assert_allclose(np.exp(cat.log_pdf(np.empty((4, 0)), np.arange(4)[:, None])),
                               0.25)


def test_categorical_kernel_spreads_the_prior_weight() -> None:
    """Each observation: prior_weight / n_kernels on every choice, +1 on its own."""
    _, pe = fit(Categorical(("a", "b", "c")), ["a", "a", "c"])
    row = np.array([1 + 1 / 4, 1 / 4, 1 / 4])
    np.testing.assert_allclose(pe.cat_probs[0][0], row / row.sum())
    np.testing.assert_allclose(pe.cat_probs[0][-1], [1 / 3] * 3)  # the prior kernel
    weights = np.array([1, 1, 1, 1]) / 4
    probs = np.exp(pe.log_pdf(np.empty((3, 0)), np.arange(3)[:, None]))
    np.testing.assert_allclose(probs, weights @ pe.cat_probs[0])
    assert probs.sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------- densities
@pytest.mark.parametrize("dim", [Int(1, 10), Int(1, 100, log=True), Float(0, 1, step=0.1),
                                 Int(-20, 20, step=4)])
def test_discrete_probabilities_sum_to_one_and_match_sampling(dim: Int | Float) -> None:
    grid = np.array(grid_values(dim), dtype=float)[:, None]
    observed = [float(grid[i, 0]) for i in (0, 1, 1, len(grid) // 2)]
    cols, pe = fit(dim, observed)
    left, right = cols.cells(grid)
    probs = np.exp(pe.log_pdf(grid, np.empty((len(grid), 0), dtype=np.int64), left, right))
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    unit, _ = pe.sample(np.random.default_rng(3), 40_000)
    drawn = cols.snap(unit)[:, 0]
    freq = np.array([np.mean(np.isclose(drawn, g)) for g in grid[:, 0]])
    np.testing.assert_allclose(freq, probs, atol=0.012)


def test_continuous_density_integrates_to_one() -> None:
    for dim in (Float(-3, 7), Float(1e-4, 1, log=True)):
        cols, pe = fit(dim, [float(dim.from_unit(u)) for u in (0.0, 0.02, 0.5, 0.9, 1.0)])
        x = np.linspace(0, 1, 20001)[:, None]
        dens = np.exp(pe.log_pdf(x, np.empty((len(x), 0), dtype=np.int64)))
        assert np.trapezoid(dens, x[:, 0]) == pytest.approx(1.0, abs=1e-6)


def test_joint_density_is_the_weighted_mixture_of_products() -> None:
    cols = Columns({"a": Float(0, 1), "b": Int(0, 4), "c": Categorical(("x", "y"))})
    unit = np.array([[0.2, 0.1], [0.7, 0.9]])
    cats = np.array([[0], [1]])
    pe = ParzenEstimator(unit, cats, cols.n_choices, cols.discrete, np.array([1.0, 3.0]))
    point = np.array([[0.3, 0.5]])
    values = cols.snap(point)
    left, right = cols.cells(values)
    got = np.exp(pe.log_pdf(point, np.array([[1]]), left, right))[0]
    expected = 0.0
    for k in range(3):
        mu, sg = pe.mus[k], pe.sigmas[k]
        cont = stats.truncnorm(-mu[0] / sg[0], (1 - mu[0]) / sg[0], mu[0], sg[0]).pdf(0.3)
        d = stats.truncnorm(-mu[1] / sg[1], (1 - mu[1]) / sg[1], mu[1], sg[1])
        disc = d.cdf(right[0, 1]) - d.cdf(left[0, 1])
        expected += pe.weights[k] * cont * disc * pe.cat_probs[0][k, 1]
    assert got == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(pe.weights, np.array([1, 3, 1]) / 5)


def test_columns_encode_like_the_dimensions_unit_map() -> None:
    dims: dict[str, Float | Int] = {"f": Float(-2, 6), "l": Float(1e-3, 10, log=True),
                                    "s": Float(0, 1, step=0.25), "i": Int(3, 9),
                                    "il": Int(1, 1000, log=True), "is": Int(0, 20, step=5)}
    rng = np.random.default_rng(0)
    rows = [{k: d.from_unit(rng.random()) for k, d in dims.items()} for _ in range(50)]
    for name, dim in dims.items():
        ok, unit = encode_column(dim, name, rows)
        assert ok.all()
        np.testing.assert_allclose(unit, [dim.to_unit(r[name]) for r in rows], atol=1e-12)
    cols = Columns(dims)
    unit = rng.random((200, len(dims)))
    snapped = cols.snap(unit)
    for j, dim in enumerate(dims.values()):
        expected = [dim.from_unit(u) for u in unit[:, j]]
        np.testing.assert_allclose(snapped[:, j], expected, rtol=1e-12)


def test_encoding_drops_missing_foreign_and_out_of_range_values() -> None:
    rows: list[dict[str, Any]] = [{"x": 0.5}, {}, {"x": "a"}, {"x": 7.0}, {"x": None},
                                  {"x": True}, {"x": 1}]
    ok, _ = encode_column(Float(0, 1), "x", rows)
    assert ok.tolist() == [True, False, False, False, False, False, True]
    ok, idx = encode_column(Categorical((1, "a", None)), "x",
                            [{"x": 1.0}, {"x": "a"}, {"x": None}, {}, {"x": True}, {"x": [1]}])
    assert ok.tolist() == [True, True, True, False, False, False]
    assert idx[:3].tolist() == [0, 1, 2]


# ---------------------------------------------------------------------- split
def test_default_gamma_and_weights() -> None:
    assert [default_gamma(n) for n in (0, 1, 10, 11, 249, 1000)] == [0, 1, 1, 2, 25, 25]
    assert default_gamma_multiobjective(1000) == 100  # no cap with several objectives
    assert hyperopt_gamma(100) == 3
    assert default_weights(3).tolist() == [1, 1, 1]
    w = default_weights(40)
    assert w.shape == (40,) and w[0] == pytest.approx(1 / 40) and np.all(w[-25:] == 1)
    assert np.all(np.diff(w) >= 0)


def test_split_ranks_complete_then_pruned_and_never_takes_running() -> None:
    kind = np.array([PRUNED, COMPLETE, RUNNING, PRUNED, COMPLETE, PRUNED, PRUNED, PRUNED])
    values = np.array([[np.nan], [3.0], [np.nan], [np.nan], [1.0], [np.nan], [np.nan],
                       [np.nan]])
    key = np.array([[-5, 0.2], [np.inf, np.inf], [np.inf, np.inf], [-9, 0.7], [np.inf, np.inf],
                    [-9, np.inf], [np.inf, np.inf], [-9, 0.1]])
    order: list[int] = []
    for k in range(1, 8):
        new = set(np.flatnonzero(split(kind, values, key, k)).tolist()) - set(order)
        assert len(new) == 1  # one more row each time: a strict ranking
        order.extend(new)
    # complete by value; pruned deepest first, then by value, NaN last; no report last.
    assert order == [4, 1, 7, 3, 5, 0, 6]
    assert not split(kind, values, key, 100)[2]


def test_multiobjective_split_takes_whole_fronts_first() -> None:
    rng = np.random.default_rng(0)
    losses = rng.random((60, 2))
    kind = np.full(60, COMPLETE)
    key = np.full((60, 2), np.inf)
    for n_below in (1, 5, 12, 30):
        below = split(kind, losses, key, n_below)
        assert below.sum() == n_below
        rank = _ranks(losses)
        assert rank[below].max() <= rank[~below].min()  # never skips a better front


def _ranks(losses: np.ndarray) -> np.ndarray:
    """Non-domination ranks by brute force: peel off the non-dominated rows repeatedly."""
    rank = np.full(len(losses), -1)
    r = 0
    while (rank < 0).any():
        rest = np.flatnonzero(rank < 0)
        for i in rest:
            others = losses[rest]
            if not np.any(np.all(others <= losses[i], axis=1)
                          & np.any(others < losses[i], axis=1)):
                rank[i] = r
        r += 1
    return rank


def _area(points: np.ndarray, ref: float, grid: int = 600) -> float:
    xs = (np.arange(grid) + 0.5) / grid * ref
    xx, yy = np.meshgrid(xs, xs)
    covered = np.zeros_like(xx, dtype=bool)
    for p in points:
        covered |= (xx >= p[0]) & (yy >= p[1])
    return float(covered.mean() * ref * ref)


def test_two_objective_contributions_are_exact() -> None:
    rng = np.random.default_rng(4)
    x = np.sort(rng.random(7))
    pts = np.stack([x, 1 - np.sqrt(x)], axis=1)  # a front: f2 falls as f1 rises
    picked = np.zeros(7, dtype=bool)
    picked[[1, 4]] = True
    contrib = _contributions_2d(pts, picked, 1.1)
    base = _area(pts[picked], 1.1)
    for i in np.flatnonzero(~picked):
        gain = _area(pts[picked | (np.arange(7) == i)], 1.1) - base
        assert contrib[i] == pytest.approx(gain, abs=5e-3)


def test_hypervolume_greedy_prefers_spread_points() -> None:
    front = np.array([[0.0, 1.0], [0.5, 0.5], [0.52, 0.48], [1.0, 0.0]])
    first_two = hypervolume_greedy(front, 2).tolist()
    assert first_two[0] == 1  # the knee has the largest box
    assert 2 not in first_two  # its near-duplicate adds almost nothing
    three = hypervolume_greedy(np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0], [0.3, 0.3, 0.3],
                                         [0.31, 0.3, 0.3]]), 2).tolist()
    assert three[0] == 3 and 4 not in three
