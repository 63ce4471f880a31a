"""The GP sampler's parts: Matern kernel, GP fit and posterior, log EI, output transforms,
the encoding of a space, and the sampler on Branin, with running trials, noise and priors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import tunecraft as tc
from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers.gp import GPSampler
from tunecraft.samplers.gp._encoding import Encoding
from tunecraft.samplers.gp.acquisition import log_ei, log_ei_grad, log_h, log_pof_grad
from tunecraft.samplers.gp.kernel import matern52, matern52_grad, squared_distances
from tunecraft.samplers.gp.model import fit_gp, initial_theta, neg_log_posterior
from tunecraft.samplers.gp.transform import power_transform, yeo_johnson
from tunecraft.samplers.priors import Around, Weights
from tunecraft.space import Categorical, Dim, Float, Int, is_single
from tunecraft.testing._values import contract_settings, spaces

MIN = (StudyDirection.MINIMIZE,)


# ---------------------------------------------------------------------------------- kernel
@given(st.lists(st.floats(0.0, 50.0), min_size=2, max_size=20))
def test_matern52_is_one_at_zero_positive_and_decreasing(r2: list[float]) -> None:
    r = np.sort(np.array(r2))
    k = matern52(r)
    assert matern52(np.array([0.0]))[0] == 1.0
    assert np.all(k > 0) and np.all(k <= 1.0)
    assert np.all(np.diff(k) <= 1e-15)
    assert np.all(matern52_grad(r) < 0)


def test_matern52_gradient_matches_finite_differences() -> None:
    r2 = np.linspace(1e-4, 9.0, 200)
    eps = 1e-7
    numeric = (matern52(r2 + eps) - matern52(r2 - eps)) / (2 * eps)
    np.testing.assert_allclose(matern52_grad(r2), numeric, rtol=1e-5, atol=1e-9)
    assert matern52_grad(np.array([0.0]))[0] == pytest.approx(-5 / 6)


@contract_settings(max_examples=20)
@given(seed=st.integers(0, 2**16), n=st.integers(2, 12))
def test_kernel_matrix_is_symmetric_positive_semidefinite(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    x[:, 2] = rng.integers(0, 3, n)
    is_cat = np.array([False, False, True])
    lam = rng.uniform(0.1, 30, 3)
    k = matern52(squared_distances(x, x, lam, is_cat, same=True))
    np.testing.assert_allclose(k, k.T, atol=1e-12)
    assert np.linalg.eigvalsh(k).min() > -1e-9
    assert np.all(np.diag(k) == 1.0)


def test_squared_distances_weight_numbers_and_compare_choices() -> None:
    a = np.array([[0.1, 0.2, 0.0], [0.5, 0.9, 2.0]])
    b = np.array([[0.3, 0.2, 2.0]])
    lam = np.array([2.0, 3.0, 5.0])
    r2 = squared_distances(a, b, lam, np.array([False, False, True]))
    expected = [2 * 0.2**2 + 0 + 5, 2 * 0.2**2 + 3 * 0.7**2 + 0]
    np.testing.assert_allclose(r2[:, 0], expected)


# ---------------------------------------------------------------------------------- model
def _data(seed: int, n: int = 25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    x[:, 2] = rng.integers(0, 3, n)
    y = np.sin(5 * x[:, 0]) + x[:, 1] ** 2 + 0.3 * x[:, 2]
    return x, (y - y.mean()) / y.std(), np.array([False, False, True])


@pytest.mark.parametrize("deterministic", [False, True])
def test_log_posterior_gradient_matches_finite_differences(deterministic: bool) -> None:
    x, y, is_cat = _data(0)
    theta = initial_theta(3) + np.random.default_rng(1).normal(0, 0.3, 5)
    _, grad = neg_log_posterior(theta, x, y, is_cat, deterministic)
    eps = 1e-6
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = eps
        up = neg_log_posterior(theta + e, x, y, is_cat, deterministic)[0]
        down = neg_log_posterior(theta - e, x, y, is_cat, deterministic)[0]
        assert grad[i] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-6)


def test_gp_interpolates_noiseless_data() -> None:
    x, y, is_cat = _data(2)
    gp = fit_gp(x, y, is_cat, deterministic=True)
    mean, var = gp.posterior(x)
    np.testing.assert_allclose(mean, y, atol=1e-3)
    assert var.max() < 1e-4
    far_mean, far_var = gp.posterior(np.array([[3.0, -2.0, 1.0]]))  # far from every point
    assert far_var[0] > 0.5 * gp.hyper.scale


def test_posterior_gradients_match_finite_differences() -> None:
    x, y, is_cat = _data(3)
    gp = fit_gp(x, y, is_cat)
    q = np.random.default_rng(4).random((6, 3))
    q[:, 2] = [0, 1, 2, 0, 1, 2]
    _, _, dmean, dvar = gp.posterior_grad(q)
    eps = 1e-6
    for j in range(2):
        e = np.zeros(3)
        e[j] = eps
        (mu_up, var_up), (mu_dn, var_dn) = gp.posterior(q + e), gp.posterior(q - e)
        np.testing.assert_allclose(dmean[:, j], (mu_up - mu_dn) / (2 * eps), atol=1e-5)
        np.testing.assert_allclose(dvar[:, j], (var_up - var_dn) / (2 * eps), atol=1e-5)
    assert np.all(dmean[:, 2] == 0) and np.all(dvar[:, 2] == 0)


def test_fit_recovers_noise_level_of_noisy_data() -> None:
    rng = np.random.default_rng(5)
    x = rng.random((80, 1))
    clean = np.sin(6 * x[:, 0])
    y = clean + rng.normal(0, 0.3, 80)
    std = y.std()
    gp = fit_gp(x, (y - y.mean()) / std, np.array([False]))
    noise_sd = math.sqrt(gp.hyper.noise) * std
    assert 0.15 < noise_sd < 0.5
    exact = fit_gp(x, (clean - clean.mean()) / clean.std(), np.array([False]))
    assert exact.hyper.noise < 1e-3


# ---------------------------------------------------------------------------------- log EI
def test_log_h_equals_log_of_the_direct_formula_where_that_is_finite() -> None:
    z = np.linspace(-5.0, 5.0, 2001)
    direct = np.log(stats.norm.pdf(z) + z * stats.norm.cdf(z))
    np.testing.assert_allclose(log_h(z), direct, rtol=1e-10, atol=1e-12)


def test_log_ei_equals_log_ei_for_gaussian_where_finite() -> None:
    mean = np.linspace(-2, 3, 101)
    var = np.full(101, 0.7)
    sigma = np.sqrt(var)
    z = (0.4 - mean) / sigma
    ei = sigma * (stats.norm.pdf(z) + z * stats.norm.cdf(z))
    np.testing.assert_allclose(log_ei(mean, var, 0.4), np.log(ei), rtol=1e-10)


@pytest.mark.parametrize("z", [-40.0, -300.0, -1e5, -1e9])
def test_log_ei_stays_finite_with_correct_sign_far_in_the_tail(z: float) -> None:
    value, d_mean, d_var = log_ei_grad(np.array([-z]), np.array([1.0]), 0.0)
    assert np.isfinite(value[0]) and value[0] < -0.5 * z * z + 1
    # EI grows as the mean falls below the threshold and as the uncertainty grows
    assert np.isfinite(d_mean[0]) and d_mean[0] < 0
    assert np.isfinite(d_var[0]) and d_var[0] > 0
    # and the gradient is the derivative of the value
    eps = 1e-6 * max(1.0, abs(z))
    up = log_ei(np.array([-z + eps]), np.array([1.0]), 0.0)[0]
    dn = log_ei(np.array([-z - eps]), np.array([1.0]), 0.0)[0]
    assert d_mean[0] == pytest.approx((up - dn) / (2 * eps), rel=1e-4)


@given(st.floats(-50.0, 50.0), st.floats(1e-3, 10.0))
def test_log_ei_gradients_match_finite_differences(mean: float, var: float) -> None:
    m, v = np.array([mean]), np.array([var])
    _, d_mean, d_var = log_ei_grad(m, v, 0.0)
    eps = 1e-6
    dm = (log_ei(m + eps, v, 0.0) - log_ei(m - eps, v, 0.0))[0] / (2 * eps)
    dv = (log_ei(m, v + eps, 0.0) - log_ei(m, v - eps, 0.0))[0] / (2 * eps)
    assert d_mean[0] == pytest.approx(dm, rel=1e-3, abs=1e-6)
    assert d_var[0] == pytest.approx(dv, rel=1e-3, abs=1e-6)


def test_log_probability_of_feasibility_is_finite_in_both_tails() -> None:
    value, d_mean, d_var = log_pof_grad(np.array([-50.0, 0.0, 50.0]), np.ones(3), 0.0)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(d_mean))
    assert value[0] == pytest.approx(0.0, abs=1e-12)
    assert value[1] == pytest.approx(math.log(0.5))
    assert value[2] < -1000 and np.all(d_mean <= 0) and np.all(d_mean[1:] < 0)


# ---------------------------------------------------------------------------------- transforms
@given(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=40))
def test_power_transform_is_monotone_and_standardised(values: list[float]) -> None:
    y = np.array(values)
    t = power_transform(y)
    assert np.all(np.isfinite(t))
    order = np.argsort(y, kind="stable")
    assert np.all(np.diff(t[order]) >= -1e-9)
    if np.ptp(y) > 1e-6 * max(1.0, float(np.abs(y).max())):
        assert t.mean() == pytest.approx(0.0, abs=1e-6)


def test_power_transform_tames_a_heavy_tail() -> None:
    y = np.exp(np.random.default_rng(0).normal(0.0, 2.0, 200))  # log-normal: skewed
    assert stats.skew(y) > 3
    assert abs(stats.skew(power_transform(y))) < 0.5
    assert yeo_johnson(np.array([0.0, 1.0]), 1.0).tolist() == [0.0, 1.0]  # lam=1: identity


# ---------------------------------------------------------------------------------- encoding
@contract_settings(max_examples=40)
@given(space=spaces(), u=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4))
def test_encoding_snaps_like_from_unit_and_round_trips(space: dict[str, Dim],
                                                        u: list[float]) -> None:
    space = {k: d for k, d in space.items() if not is_single(d)}  # the GP drops constants
    enc = Encoding(space)
    row = enc.from_unit(np.array(u[: enc.dim]))
    params = enc.decode(row)
    for name, dim in space.items():
        assert dim.contains(params[name]), (name, dim, params[name])
    # decoding is idempotent on values (up to an ulp: exp(log(x)) may differ from x)
    again = enc.decode(enc.encode(params))
    for name, value in params.items():
        if isinstance(value, float):
            assert again[name] == pytest.approx(value, rel=1e-12, abs=0.0), name
        else:
            assert again[name] == value and type(again[name]) is type(value), name
    # the unit coordinate itself survives only where the range holds many floats; a range
    # like [0, 5e-324] has two representable values, so u=0.5 cannot come back as 0.5
    if all(_resolvable(d) for d in space.values()):
        np.testing.assert_allclose(enc.encode(params), row, atol=1e-9)
        np.testing.assert_allclose(enc.snap(row), row, atol=1e-12)


def _resolvable(dim: Dim) -> bool:
    if isinstance(dim, Categorical) or not isinstance(dim, Float) or dim.step is not None:
        return True
    lo, hi = (math.log(dim.low), math.log(dim.high)) if dim.log else (dim.low, dim.high)
    return hi - lo > 1e-9 * max(1.0, abs(lo), abs(hi))


# ---------------------------------------------------------------------------------- sampler
def branin(x0: float, x1: float) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x1 - b * x0**2 + c * x0 - 6) ** 2 + 10 * (1 - t) * math.cos(x0) + 10


def branin_objective(trial: tc.Trial) -> float:
    return branin(trial.suggest_float("x0", -5, 10), trial.suggest_float("x1", 0, 15))


@pytest.mark.slow
def test_branin_10_random_plus_40_gp_steps_reach_small_regret() -> None:
    regrets = []
    for seed in range(5):
        study = tc.create_study(sampler=GPSampler(seed=seed, n_startup_trials=10),
                                pruner=tc.pruners.NopPruner())
        study.optimize(branin_objective, n_trials=50)
        regrets.append(study.best_value - 0.397887357729738)
    assert float(np.median(regrets)) < 1e-2, regrets


def test_gp_beats_its_startup_on_branin() -> None:
    study = tc.create_study(sampler=GPSampler(seed=0, n_startup_trials=8, n_candidates=256),
                            pruner=tc.pruners.NopPruner())
    study.optimize(branin_objective, n_trials=20)
    startup_best = min(t.value for t in study.trials[:8] if t.value is not None)
    assert study.best_value < min(startup_best, 1.0)


def _complete(number: int, params: dict[str, float], value: float,
              space: dict[str, Dim]) -> FrozenTrial:
    return FrozenTrial(number, TrialState.COMPLETE, params=params, distributions=space,
                       values=(value,))


def test_running_trials_push_batch_suggestions_apart() -> None:
    space: dict[str, Dim] = {"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}
    rng = np.random.default_rng(0)
    done = [_complete(i, {"x": float(a), "y": float(b)}, (a - 0.3) ** 2 + (b - 0.6) ** 2,
                      space) for i, (a, b) in enumerate(rng.random((12, 2)))]
    sampler = GPSampler(seed=1)
    first = sampler.sample(space, History(done, MIN), sampler.rng(12), 12)
    running = FrozenTrial(12, TrialState.RUNNING, system_attrs={"proposal": first})
    second = sampler.sample(space, History([*done, running], MIN), sampler.rng(13), 13)
    alone = sampler.sample(space, History(done, MIN), sampler.rng(13), 13)
    gap = math.dist((first["x"], first["y"]), (second["x"], second["y"]))
    assert gap > 0.02
    assert gap > math.dist((first["x"], first["y"]), (alone["x"], alone["y"]))
    ignoring = GPSampler(seed=1, consider_running_trials=False)
    assert ignoring.sample(space, History([*done, running], MIN), ignoring.rng(13), 13) == \
        ignoring.sample(space, History(done, MIN), ignoring.rng(13), 13)


def test_categorical_and_integer_parameters_are_optimised() -> None:
    def objective(trial: tc.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["bad", "good", "worse"])
        n = trial.suggest_int("n", 1, 64, log=True)
        x = trial.suggest_float("x", -1, 1, step=0.25)
        return {"bad": 1.0, "good": 0.0, "worse": 2.0}[kind] + abs(math.log2(n) - 3) + x * x

    study = tc.create_study(sampler=GPSampler(seed=3, n_startup_trials=6, n_candidates=256),
                            pruner=tc.pruners.NopPruner())
    study.optimize(objective, n_trials=25)
    assert study.best_params == {"kind": "good", "n": 8, "x": 0.0}


def test_maximisation_and_several_objectives() -> None:
    study = tc.create_study(direction="maximize",
                            sampler=GPSampler(seed=0, n_startup_trials=5, n_candidates=128))
    study.optimize(lambda t: -((t.suggest_float("x", -2, 2) - 1) ** 2), n_trials=15)
    assert study.best_params["x"] == pytest.approx(1.0, abs=0.05)
    mo = tc.create_study(directions=["minimize", "minimize"],
                         sampler=GPSampler(seed=0, n_startup_trials=5, n_candidates=128))
    mo.optimize(lambda t: (t.suggest_float("x", 0, 1) ** 2, (t.suggest_float("y", 0, 1)
                                                             - 1) ** 2 + 0.1), n_trials=15)
    assert len(mo.best_trials) >= 1


def test_prior_draws_startup_near_the_belief_and_validates() -> None:
    space: dict[str, Dim] = {"lr": Float(1e-6, 1.0, log=True), "opt": Categorical(("a", "b"))}
    sampler = GPSampler(seed=0, priors={"lr": Around(1e-3, spread=0.05),
                                        "opt": Weights({"b": 99.0})})
    history = History((), MIN)
    lrs, opts = [], []
    for n in range(40):
        p = sampler.sample(space, history, sampler.rng(n), n)
        lrs.append(math.log10(p["lr"]))
        opts.append(p["opt"])
    assert abs(float(np.median(lrs)) + 3) < 0.3 and max(abs(v + 3) for v in lrs) < 1.5
    assert opts.count("b") >= 35
    with pytest.raises(ValueError, match="outside"):
        sampler.sample({"lr": Float(0.1, 1.0, log=True)}, history, sampler.rng(0), 0)
    with pytest.raises(ValueError, match="Weights"):
        GPSampler(priors={"opt": Around(1.0)}).sample({"opt": Categorical(("a", "b"))},
                                                      history, sampler.rng(0), 0)
    with pytest.raises(ValueError, match="spread"):
        Around(1e-3, spread=0)


def test_prior_pulls_early_model_suggestions() -> None:
    space: dict[str, Dim] = {"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}
    rng = np.random.default_rng(2)
    done = [_complete(i, {"x": float(a), "y": float(b)}, float(np.sin(7 * a) + b), space)
            for i, (a, b) in enumerate(rng.random((10, 2)))]
    history = History(done, MIN)
    free = GPSampler(seed=0, n_startup_trials=5)
    believer = GPSampler(seed=0, n_startup_trials=5, prior_beta=100.0,
                         priors={"x": Around(0.9, spread=0.02), "y": Around(0.9, spread=0.02)})
    p = believer.sample(space, history, believer.rng(10), 10)
    q = free.sample(space, history, free.rng(10), 10)
    assert math.dist((p["x"], p["y"]), (0.9, 0.9)) < math.dist((q["x"], q["y"]), (0.9, 0.9))
    assert math.dist((p["x"], p["y"]), (0.9, 0.9)) < 0.1


@pytest.mark.parametrize("kwargs, match", [
    ({"n_startup_trials": -1}, "n_startup_trials"),
    ({"n_candidates": 0}, "n_candidates"),
    ({"warp_outputs": 1}, "warp_outputs"),
    ({"prior_beta": -1.0}, "prior_beta"),
    ({"priors": {"x": 3}}, "priors"),
])
def test_gp_sampler_validates_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GPSampler(**kwargs)  # type: ignore[arg-type]


def test_conditional_parameters_outside_the_joint_space_are_sampled_legally() -> None:
    def objective(trial: tc.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.suggest_categorical("branch", ["a", "b"]) == "a":
            return x + trial.suggest_int("k", 1, 5)
        return x * 2

    study = tc.create_study(sampler=GPSampler(seed=0, n_startup_trials=4, n_candidates=64))
    study.optimize(objective, n_trials=12)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert all(Int(1, 5).contains(t.params["k"]) for t in study.trials if "k" in t.params)
