"""LR range-test maths on hand-made curves with known answers (numpy only, no torch)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunecraft.torch.lr_result import LRRangeResult, lr_bounds_from_range_test, run_range_test
from tunecraft.torch.lr_rules import (
    DEFAULT_RULE,
    RULES,
    DebiasedEMA,
    lr_sweep,
    minimum,
    slide,
    smooth,
    steepest,
    suggest,
    valley,
)

NO_SKIP = {"skip_start": 0, "skip_end": 0}


def test_exp_sweep_is_geometric_from_start_to_end() -> None:
    lrs = lr_sweep(1e-7, 10.0, 100, "exp")
    assert lrs[0] == pytest.approx(1e-7, rel=1e-12)
    assert lrs[-1] == pytest.approx(10.0, rel=1e-12)
    ratios = lrs[1:] / lrs[:-1]
    np.testing.assert_allclose(ratios, (1e8) ** (1 / 99), rtol=1e-9)


def test_linear_sweep_is_evenly_spaced() -> None:
    lrs = lr_sweep(0.01, 1.0, 34, "linear")
    assert lrs[0] == 0.01 and lrs[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(np.diff(lrs), 0.99 / 33, rtol=1e-9)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"start_lr": 0.0}, "start_lr"),
    ({"end_lr": 1e-9}, "end_lr"),
    ({"num_iter": 1}, "num_iter"),
    ({"mode": "cosine"}, "mode"),
])
def test_sweep_rejects_bad_settings(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"start_lr": 1e-7, "end_lr": 10.0, "num_iter": 100, "mode": "exp"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        lr_sweep(**args)  # type: ignore[arg-type]


def test_debiased_ema_matches_the_formula() -> None:
    values = [3.0, 1.0, 4.0, 1.0, 5.0]
    beta = 0.9
    avg, expected = 0.0, []
    for t, v in enumerate(values, start=1):
        avg = beta * avg + (1 - beta) * v
        expected.append(avg / (1 - beta ** t))
    np.testing.assert_allclose(smooth(values, beta), expected, rtol=1e-12)
    assert smooth(values, 0.0).tolist() == values


@given(st.floats(0.01, 100.0), st.floats(0.0, 0.999), st.integers(1, 50))
def test_debiased_ema_of_a_constant_is_that_constant(c: float, beta: float, n: int) -> None:
    np.testing.assert_allclose(smooth([c] * n, beta), c, rtol=1e-9)


def test_ema_rejects_beta_of_one() -> None:
    with pytest.raises(ValueError, match="smooth_beta"):
        DebiasedEMA(1.0)


def _tanh_curve(center: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    lrs = lr_sweep(1e-7, 10.0, n, "exp")
    return lrs, 2.0 - np.tanh(np.log(lrs) - math.log(center))


def test_steepest_finds_the_inflection_of_a_tanh_drop() -> None:
    lrs, losses = _tanh_curve(1e-3)
    step = lrs[1] / lrs[0]
    got = steepest(lrs, losses)
    assert 1e-3 / step <= got <= 1e-3 * step


def test_steepest_uses_log_lr_so_a_linear_sweep_agrees() -> None:
    lrs = lr_sweep(1e-3, 1.0, 400, "linear")
    losses = 2.0 - np.tanh(np.log(lrs) - math.log(0.05))
    got = steepest(lrs, losses)
    spacing = lrs[1] - lrs[0]
    assert abs(got - 0.05) <= spacing
    # the derivative against the linear LR divides by lr and so favours the smallest rates
    linear_pick = lrs[10 + int(np.argmin(np.gradient(losses[10:-5], lrs[10:-5])))]
    assert linear_pick < 0.05 / 1.5


def test_valley_on_a_hand_made_list() -> None:
    # longest decreasing subsequence 5,4,3,2,1 ends at index 5 with length 5; fastai takes
    # start = 5 - 5 = 0, L = 5, idx = 0 + int(5/3) + int(5/3/2) = 1
    lrs = 10.0 ** np.arange(8)
    assert valley(lrs, [5, 4, 6, 3, 2, 1, 7, 8], **NO_SKIP) == 10.0


def test_valley_of_a_u_shaped_curve_is_half_way_down() -> None:
    losses = np.r_[np.linspace(3, 1, 60), np.linspace(1.1, 5, 40)]
    lrs = np.arange(100.0) + 1.0
    # max_end = 59, lds = 60, start = -1, L = 60: idx = -1 + 20 + 10 = 29
    assert valley(lrs, losses, **NO_SKIP) == lrs[29]


def test_minimum_is_the_argmin_over_ten() -> None:
    lrs = np.array([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert minimum(lrs, [3.0, 2.0, 0.5, 0.7, 9.0], **NO_SKIP) == pytest.approx(1e-3)


def test_slide_walks_left_until_the_gradients_agree() -> None:
    i = np.arange(100)
    losses = 1.0 + np.where(i < 50, 0.0, 0.02 * (i - 50.0) ** 2)
    lrs = i + 1.0
    # gradients 15 apart differ by more than 0.005 while the right point is at index >= 50;
    # the last left point visited is index 35
    assert slide(lrs, losses, **NO_SKIP) == lrs[35]


def test_rules_cut_at_the_first_nan_and_honour_the_skips() -> None:
    lrs = np.arange(1.0, 31.0)
    losses = np.r_[np.linspace(5, 1, 20), [np.nan], np.linspace(0.1, 0.01, 9)]
    assert minimum(lrs, losses, skip_start=0, skip_end=0) == pytest.approx(2.0)  # 20 / 10
    assert minimum(lrs, losses, skip_start=0, skip_end=15) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="usable point"):
        steepest(lrs, losses, skip_start=19, skip_end=0)


def test_suggest_rejects_unknown_rules() -> None:
    with pytest.raises(ValueError, match="rule='fastest'"):
        suggest("fastest", [1.0, 2.0], [1.0, 0.5])


def _noisy_quadratic_step(lam: float, seed: int):  # type: ignore[no-untyped-def]
    """Mini-batch SGD on 0.5*lam*(w - xi)^2, a fresh batch of 16 xi each step: diverges for
    lr > 2/lam. (Since issue #14 the stop reads the raw loss, a running median of 5; a
    batch of one xi makes the raw loss swing more than the 4x factor between windows, so the
    toy now averages a mini-batch, as a training loss does.)"""
    rng = np.random.default_rng(seed)
    w = [1.0]

    def step(lr: float) -> float:
        xi = rng.normal(size=16)
        loss = float(np.mean(0.5 * lam * (w[0] - xi) ** 2)) + 0.5 * lam  # plus a floor
        w[0] -= lr * lam * float(np.mean(w[0] - xi))
        return loss

    return step


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_divergence_on_a_quadratic_appears_near_two_over_lambda(seed: int) -> None:
    lam = 10.0
    result = run_range_test(_noisy_quadratic_step(lam, seed), start_lr=1e-4, end_lr=100.0,
                            num_iter=300)
    assert result.stop_reason == "diverged"
    assert 2.0 / lam <= result.lrs[-1] <= 1.6 * 2.0 / lam
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) < 300


def test_a_nan_loss_stops_the_sweep_and_is_kept() -> None:
    calls: list[float] = []

    def step(lr: float) -> float:
        calls.append(lr)
        return math.nan if len(calls) == 7 else 1.0

    result = run_range_test(step, num_iter=50)
    assert result.stop_reason == "nan" and len(result.lrs) == 7
    assert math.isnan(result.losses[-1]) and math.isnan(result.smoothed[-1])


def test_without_divergence_factor_every_iteration_runs() -> None:
    result = run_range_test(lambda lr: 1.0 + lr, start_lr=1e-3, end_lr=1e3, num_iter=40,
                            diverge_factor=None)
    assert result.stop_reason == "completed" and len(result.lrs) == 40
    with pytest.raises(ValueError, match="diverge_factor"):
        run_range_test(lambda lr: 1.0, diverge_factor=0.5)


def _result(lrs: np.ndarray, losses: np.ndarray) -> LRRangeResult:
    return LRRangeResult(tuple(lrs), tuple(losses), tuple(losses), "completed",
                         float(lrs[0]), float(lrs[-1]), len(lrs))


def test_bounds_centre_on_the_suggestion_and_stop_at_the_minimum() -> None:
    lrs = lr_sweep(1e-6, 10.0, 141, "exp")  # 20 points a decade
    x = np.log10(lrs)
    losses = 2.0 - np.tanh(2.0 * (x + 3.0)) + np.where(x > -2.5, 3.0 * (x + 2.5) ** 2, 0.0)
    res = _result(lrs, losses)
    s = res.suggestion("steepest")
    best = lrs[int(np.argmin(losses))]
    assert best < 10 * s  # the minimum is less than a decade above the steepest point
    low, high = lr_bounds_from_range_test(res, rule="steepest", widen=10.0)
    assert low == pytest.approx(s / 10) and high == pytest.approx(best)
    low, high = lr_bounds_from_range_test(res, rule="minimum", widen=3.0)
    assert low == pytest.approx(best / 30) and high == pytest.approx(best * 0.3)
    with pytest.raises(ValueError, match="widen"):
        lr_bounds_from_range_test(res, widen=1.0)


def test_suggestions_leave_out_rules_that_lack_points() -> None:
    lrs = lr_sweep(1e-4, 1.0, 20, "exp")
    res = _result(lrs, np.linspace(3.0, 1.0, 20))
    # skip_end is 2 since issue #14 (the stop reads the raw loss, 2 steps into a blow-up;
    # fastai skipped 5 of its lagging curve): 16 points remain, just enough for slide
    found = res.suggestions()
    assert set(found) == {"confirmed", "minimum/3", "steepest", "valley", "minimum", "slide"}
    assert found["confirmed"] == found["minimum/3"]  # no probe ran: the curve's default
    assert found["minimum"] == pytest.approx(lrs[17] / 10)  # last point before skip_end=2
    assert found["minimum/3"] == pytest.approx(lrs[17] / 3)
    assert "slide" not in res.suggestions(skip_end=5)  # 13 points: too few for slide


def test_one_default_rule_is_shared_by_the_api_the_bounds_and_the_command_line() -> None:
    import argparse
    import inspect

    from tunecraft.cli.commands import lr_find as cli

    # the measured default (benchmarks/results/issue-14.md): minimum/3 confirmed by a probe
    assert DEFAULT_RULE == "confirmed"
    assert inspect.signature(LRRangeResult.suggestion).parameters["rule"].default == DEFAULT_RULE
    assert inspect.signature(lr_bounds_from_range_test).parameters["rule"].default == \
        DEFAULT_RULE
    assert inspect.signature(cli.lr_find).parameters["rule"].default == DEFAULT_RULE
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["lr-find", "x.yaml"])
    assert args.rule == DEFAULT_RULE
    with pytest.raises(SystemExit):  # every rule the API knows, nothing else
        parser.parse_args(["lr-find", "x.yaml", "--rule", "fastest"])
    for rule in RULES:
        assert parser.parse_args(["lr-find", "x.yaml", "--rule", rule]).rule == rule


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_default_is_a_third_of_the_valley_of_a_curve_without_lag(seed: int) -> None:
    # A valley at lr = 0.1 on a 100-point sweep from 1e-7 to 10, then a blow-up. The zero-lag
    # curve keeps its lowest point at or below the valley (its steep right wall pulls a little
    # left), so minimum/3 lies a third below it; fastai's one-sided EMA (beta 0.98) moves the
    # lowest point past the valley, into the rise toward divergence.
    lrs = lr_sweep(1e-7, 10.0, 100, "exp")
    x = np.log10(lrs)
    noise = 0.01 * np.random.default_rng(seed).normal(size=100)
    losses = 2.3 - 2.0 / (1.0 + np.exp(-3.0 * (x + 3.0))) + np.where(
        x > -1.0, 40.0, 0.1) * (x + 1.0) ** 2 + noise
    valley_lr = float(lrs[int(np.argmin(np.abs(x + 1.0)))])
    replay = iter(losses.tolist())
    res = run_range_test(lambda lr: next(replay), num_iter=100)
    assert res.stop_reason == "diverged" and res.lrs[-1] < 10 * valley_lr
    pick = res.suggestion()
    assert pick == res.suggestion("minimum/3")
    assert valley_lr / 2.5 <= 3 * pick <= valley_lr
    assert lrs[int(np.argmin(smooth(res.losses, 0.98)))] > valley_lr
    low, high = lr_bounds_from_range_test(res)  # m/30 .. m: never past the lowest loss
    assert low == pytest.approx(pick / 10) and high == pytest.approx(3 * pick)
