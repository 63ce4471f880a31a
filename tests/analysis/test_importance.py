"""Parameter importance: fANOVA's exact per-tree decomposition and PED-ANOVA, on known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests._viz_studies import trial, uniform_history
from tunecraft.analysis import Importance, fanova, param_importances, ped_anova
from tunecraft.analysis.importance import tree_main_effects
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.space import Categorical, Float, Int


# ------------------------------------------------------------------ the per-tree decomposition
def test_one_split_explains_everything_along_its_axis() -> None:
    lo = np.array([[0.0, 0.0], [0.5, 0.0]])
    hi = np.array([[0.5, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(tree_main_effects(lo, hi, np.array([0.0, 1.0])), [1.0, 0.0])


def test_pure_interaction_has_no_main_effect() -> None:
    # XOR on a 2x2 checkerboard: each marginal is constant
    lo = np.array([[0, 0], [0.5, 0], [0, 0.5], [0.5, 0.5]])
    hi = lo + 0.5
    np.testing.assert_allclose(tree_main_effects(lo, hi, np.array([0.0, 1, 1, 0])), [0, 0],
                               atol=1e-12)


def test_constant_tree_has_no_variance() -> None:
    assert tree_main_effects(np.zeros((1, 2)), np.ones((1, 2)), np.array([3.0])) is None


@st.composite
def additive_grids(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A grid partition with leaf values f(x-cell) + g(y-cell), and V_x / V computed by hand."""
    cx = sorted(set(draw(st.lists(st.floats(0.05, 0.95), min_size=1, max_size=4))))
    cy = sorted(set(draw(st.lists(st.floats(0.05, 0.95), min_size=1, max_size=4))))
    ex, ey = np.array([0.0, *cx, 1.0]), np.array([0.0, *cy, 1.0])
    fx = np.array(draw(st.lists(st.floats(-5, 5), min_size=len(ex) - 1, max_size=len(ex) - 1)))
    gy = np.array(draw(st.lists(st.floats(-5, 5), min_size=len(ey) - 1, max_size=len(ey) - 1)))
    lo, hi, val = [], [], []
    for i in range(len(ex) - 1):
        for j in range(len(ey) - 1):
            lo.append([ex[i], ey[j]])
            hi.append([ex[i + 1], ey[j + 1]])
            val.append(fx[i] + gy[j])
    wx, wy = np.diff(ex), np.diff(ey)
    var_f = float(wx @ (fx - wx @ fx) ** 2)
    var_g = float(wy @ (gy - wy @ gy) ** 2)
    share = var_f / (var_f + var_g) if var_f + var_g > 1e-9 else math.nan
    return np.array(lo), np.array(hi), np.array(val), share


@given(additive_grids())
def test_additive_leaves_split_the_variance_exactly(grid: tuple) -> None:
    lo, hi, val, share = grid
    out = tree_main_effects(lo, hi, val)
    if math.isnan(share):
        return
    assert out is not None
    assert out[0] == pytest.approx(share, abs=1e-9)
    assert out.sum() == pytest.approx(1.0, abs=1e-9)


# ------------------------------------------------------------------ fANOVA on synthetic studies
def test_fanova_function_of_x_only() -> None:
    h = uniform_history(lambda x, y, z: math.sin(6 * x) + x, 300)
    imp = fanova(h, n_trees=32)
    assert imp.names[0] == "x" and imp["x"] > 0.9
    assert imp.shares()["x"] > 0.9
    assert imp.spread is not None and all(s >= 0 for s in imp.spread)


def test_fanova_additive_shares_match_the_known_variances() -> None:
    # Var(2x) = 4/12 and Var(2y^2) = 4 * 4/45 for x, y uniform on [0, 1]
    var_x, var_y = 4 / 12, 16 / 45
    h = uniform_history(lambda x, y, z: 2 * x + 2 * y * y, 400)
    shares = fanova(h, n_trees=32).shares()
    assert shares["x"] == pytest.approx(var_x / (var_x + var_y), abs=0.05)
    assert shares["y"] == pytest.approx(var_y / (var_x + var_y), abs=0.05)
    assert shares["z"] < 0.02


def test_fanova_ranks_10x_plus_y_plus_0z() -> None:
    imp = fanova(uniform_history(lambda x, y, z: 10 * x + y, 400), n_trees=32)
    assert imp.names == ("x", "y", "z")
    assert imp["x"] == pytest.approx(100 / 101, abs=0.03)


def test_fanova_measures_log_dimensions_in_log_space() -> None:
    dims = {"lr": Float(1e-5, 1.0, log=True), "noise": Float(0.0, 1.0)}
    h = uniform_history(lambda lr, noise: math.log10(lr), 200, dims=dims)
    assert fanova(h, n_trees=16)["lr"] > 0.95


def test_fanova_handles_categorical_and_int() -> None:
    dims = {"opt": Categorical(("adam", "sgd", "rmsprop")), "layers": Int(1, 8)}
    h = uniform_history(lambda opt, layers: {"adam": 0, "sgd": 3, "rmsprop": 1}[opt], 200,
                        dims=dims)
    imp = fanova(h, n_trees=16)
    assert imp.names[0] == "opt" and imp["opt"] > 0.9


def test_fanova_is_deterministic_for_a_seed_and_subsets_big_studies() -> None:
    h = uniform_history(lambda x, y, z: x + 0.5 * y, 150)
    assert fanova(h, n_trees=8, seed=3) == fanova(h, n_trees=8, seed=3)
    small = fanova(h, n_trees=8, max_trials=60)
    assert small.n_trials == 60 and small.names[0] == "x"


def test_constant_objective_gives_zero_importance() -> None:
    imp = fanova(uniform_history(lambda x, y, z: 1.0, 30), n_trees=4)
    assert imp.values == (0.0, 0.0, 0.0)
    assert imp.shares() == pytest.approx({"x": 1 / 3, "y": 1 / 3, "z": 1 / 3})


def test_fanova_rejects_bad_input() -> None:
    h = uniform_history(lambda x, y, z: x, 20)
    with pytest.raises(ValueError, match="n_trees"):
        fanova(h, n_trees=0)
    with pytest.raises(ValueError, match="not shared"):
        fanova(h, params=["nope"])
    with pytest.raises(ValueError, match="at least 2"):
        fanova(uniform_history(lambda x, y, z: x, 1))
    two = History(h.trials, [StudyDirection.MINIMIZE, StudyDirection.MINIMIZE])
    with pytest.raises(ValueError, match="target="):
        fanova(two)
    with pytest.raises(TypeError, match="History or a Study"):
        fanova(object())


def test_target_explains_any_number() -> None:
    dims = {"x": Float(0, 1), "y": Float(0, 1)}
    trials = [trial(i, {"x": i / 50, "y": (i * 7 % 50) / 50}, dims, (i / 50, (i * 7 % 50) / 50))
              for i in range(50)]
    h = History(trials, [StudyDirection.MINIMIZE, StudyDirection.MINIMIZE])
    assert fanova(h, target=lambda t: t.values[1], n_trees=8).names[0] == "y"
    assert ped_anova(h, target=lambda t: t.values[0], target_quantile=0.2).names[0] == "x"


# ------------------------------------------------------------------ PED-ANOVA
def test_ped_anova_function_of_x_only() -> None:
    imp = ped_anova(uniform_history(lambda x, y, z: (x - 0.3) ** 2, 500))
    assert imp.names[0] == "x" and imp.shares()["x"] > 0.9
    assert imp.spread is None and imp.method == "ped-anova"


def test_ped_anova_ranks_10x_plus_y_plus_0z_and_follows_the_direction() -> None:
    imp = ped_anova(uniform_history(lambda x, y, z: 10 * x + y, 1000))
    assert imp.names == ("x", "y", "z")
    up = ped_anova(uniform_history(lambda x, y, z: 10 * x + y, 1000, direction="maximize"))
    assert up.names[0] == "x"


def test_ped_anova_global_mode_and_categorical() -> None:
    dims = {"opt": Categorical(("a", "b", "c", "d")), "w": Float(0, 1)}
    h = uniform_history(lambda opt, w: 0.0 if opt == "b" else 1.0 + w, 400, dims=dims)
    for local in (True, False):
        imp = ped_anova(h, evaluate_on_local=local)
        assert imp.names[0] == "opt"


def test_ped_anova_needs_five_top_trials() -> None:
    h = uniform_history(lambda x, y, z: x, 40)
    with pytest.raises(ValueError, match="at least 5 trials in the top"):
        ped_anova(h)  # 10% of 40 = 4
    assert ped_anova(h, target_quantile=0.2).n_trials == 40
    with pytest.raises(ValueError, match="target_quantile"):
        ped_anova(h, target_quantile=0.5, region_quantile=0.4)


def test_param_importances_dispatches_and_serialises() -> None:
    h = uniform_history(lambda x, y, z: x, 100)
    for method in ("fanova", "ped-anova"):
        imp = param_importances(h, method, **({"n_trees": 4} if method == "fanova" else {}))
        assert isinstance(imp, Importance)
        doc = imp.to_dict()
        assert doc["params"][0]["name"] == "x"
        assert sum(p["share"] for p in doc["params"]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="method"):
        param_importances(h, "shap")
