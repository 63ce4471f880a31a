"""The confirmation probe of the LR range test: candidates, blow-up test, pick rule, and the
torch probe (exact restore after it, errors, what the default suggestion returns)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from tunecraft.torch.lr_confirm import (
    CONFIRM_FACTORS,
    confirm_candidates,
    confirm_pick,
    probe_blew_up,
)
from tunecraft.torch.lr_rules import lr_sweep

# ----------------------------------------------------------------------------- pure rules


def _valley(lowest_at: int = 60) -> tuple[list[float], list[float]]:
    lrs = lr_sweep(1e-7, 10.0, 100).tolist()
    x = np.arange(100, dtype=float)
    return lrs, (2.0 + 0.001 * (x - lowest_at) ** 2).tolist()


def test_candidates_run_from_the_suggestion_to_the_lowest_loss_and_no_further() -> None:
    lrs, smoothed = _valley(60)
    m = lrs[60]
    rates, sentinel = confirm_candidates(lrs, smoothed, m / 3)
    assert rates == pytest.approx([m / 3, m / math.sqrt(3), m])
    assert sentinel == pytest.approx(m * math.sqrt(3))  # one step above, never picked
    # a factor past the lowest loss is capped there, and a duplicate cap is dropped
    rates, sentinel = confirm_candidates(lrs, smoothed, m / 3, (1.0, 3.0, 10.0))
    assert rates == pytest.approx([m / 3, m]) and sentinel == pytest.approx(m * 10 / 3)
    # the sentinel stops at the sweep's last rate (where the divergence stop fired)
    rates, sentinel = confirm_candidates(lrs[:62], smoothed[:62], m / 3)
    assert sentinel == pytest.approx(lrs[61])
    rates, sentinel = confirm_candidates(lrs[:61], smoothed[:61], m / 3, skip_end=0)
    assert rates[-1] == pytest.approx(m) and sentinel is None
    assert CONFIRM_FACTORS[0] == 1.0


@pytest.mark.parametrize("factors", [(), (2.0, 3.0), (1.0, 0.5), (1.0, 3.0, 2.0),
                                     (1.0, math.inf)])
def test_candidates_reject_factors_that_do_not_start_at_one_and_rise(
        factors: tuple[float, ...]) -> None:
    lrs, smoothed = _valley()
    with pytest.raises(ValueError, match="factors"):
        confirm_candidates(lrs, smoothed, 1e-3, factors)


def test_a_probe_blows_up_at_nan_or_when_it_undoes_its_descent() -> None:
    falling = [2.3 * 0.99 ** i for i in range(200)]  # down to 0.31
    assert not probe_blew_up(falling)
    assert probe_blew_up([*falling[:50], math.nan])
    # fell below half its start, then climbed back above the start: all progress undone
    assert probe_blew_up([*falling[:150], *([2.5] * 20)])
    # the same climb before the loss had halved is an oscillation, judged by the score
    assert not probe_blew_up([*falling[:30], *([2.5] * 20), *falling[30:]])
    # an early rise above the start (a catapult) with no progress yet is not a blow-up
    assert not probe_blew_up([2.3, 2.6, 3.0, 3.1, 2.9, 2.5, *falling])
    # noise at a low loss that doubles it in relative terms is not a blow-up either
    rng = np.random.default_rng(0)
    assert not probe_blew_up([*falling, *(0.3 + 0.3 * rng.random(size=50)).tolist()])


def test_pick_keeps_the_lowest_final_loss_and_prefers_the_lower_rate_on_a_near_tie() -> None:
    steps = 40

    def run(end: float) -> list[float]:
        return np.linspace(2.3, end, steps).tolist()

    k, scores = confirm_pick([run(1.0), run(0.8), run(0.5)], steps, sentinel=False)
    assert k == 2 and scores[2] < scores[1] < scores[0]
    assert scores[0] == pytest.approx(np.mean(run(1.0)[-10:]))  # last quarter
    # 1% better is a tie (margin 2%): the lower rate stays
    k, _ = confirm_pick([run(1.0), run(0.99)], steps, sentinel=False)
    assert k == 0
    assert confirm_pick([run(1.0), run(0.99)], steps, margin=0.0, sentinel=False)[0] == 1


def test_a_rate_is_picked_only_when_the_probe_a_step_above_still_trains() -> None:
    steps = 40

    def run(end: float) -> list[float]:
        return np.linspace(2.3, end, steps).tolist()

    dead = [2.3] * steps  # no progress: the rate above is past the edge
    # the last entry is the sentinel: it is scored but never picked
    k, scores = confirm_pick([run(1.0), run(0.8), run(0.5), run(0.4)], steps)
    assert k == 2 and len(scores) == 4
    # the sentinel does not train: the highest candidate has no margin, the one below has
    k, _ = confirm_pick([run(1.0), run(0.8), run(0.5), dead], steps)
    assert k == 1
    # the highest candidate blew up: the one below it loses its margin too
    k, _ = confirm_pick([run(1.0), run(0.8), [*run(0.5)[:20], math.nan], run(0.4)], steps)
    assert k == 0


def test_pick_skips_probes_that_blew_up_or_stopped_and_falls_back_to_the_first() -> None:
    steps = 40
    good = np.linspace(2.3, 1.0, steps).tolist()
    spiky = [*np.linspace(2.3, 0.2, 30).tolist(), *([2.4] * 10)]  # undid its progress
    short = np.linspace(2.3, 0.1, 25).tolist() + [math.nan]
    k, scores = confirm_pick([good, spiky, short], steps, sentinel=False)
    assert k == 0 and math.isinf(scores[1]) and math.isinf(scores[2])
    k, scores = confirm_pick([short, spiky], steps, sentinel=False)
    assert k == 0 and all(math.isinf(s) for s in scores)


def test_with_a_decayed_tail_the_pick_reads_its_end_and_the_checks_the_constant_part() -> None:
    steps, decay = 40, 20

    def run(end: float, tail_end: float) -> list[float]:
        return [*np.linspace(2.3, end, steps), *np.linspace(end, tail_end, decay)]

    low, high = run(1.0, 0.9), run(1.1, 0.5)  # the higher rate pulls ahead once decayed
    sentinel = np.linspace(2.3, 1.2, steps).tolist()  # constant steps only
    assert confirm_pick([low, high, sentinel], steps)[0] == 0  # constant-rate scores
    k, scores = confirm_pick([low, high, sentinel], steps, decay_steps=decay)
    assert k == 1 and scores[1] == pytest.approx(np.mean(high[-decay // 4:]))
    assert scores[2] == pytest.approx(np.mean(sentinel[-steps // 4:]))
    # the margin check still reads the sentinel's constant steps: a dead one vetoes
    assert confirm_pick([low, high, [2.3] * steps], steps, decay_steps=decay)[0] == 0
    # a tail cut short or non-finite disqualifies the candidate
    k, scores = confirm_pick([low, high[:-1], sentinel], steps, decay_steps=decay)
    assert k == 0 and math.isinf(scores[1])
    k, scores = confirm_pick([low, [*high[:-1], math.inf], sentinel], steps,
                             decay_steps=decay)
    assert k == 0 and math.isinf(scores[1])


# ----------------------------------------------------------------------------- torch probe

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from tunecraft.torch.lr_range import confirm_lr, lr_range_test  # noqa: E402
from tunecraft.torch.lr_rules import DEFAULT_RULE  # noqa: E402


@pytest.fixture(scope="module")
def digits() -> TensorDataset:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    return TensorDataset(torch.tensor(x[:640], dtype=torch.float32), torch.tensor(y[:640]))


def mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.Dropout(0.2), nn.ReLU(),
                         nn.Linear(32, 10))


def loader(ds: TensorDataset) -> DataLoader:
    return DataLoader(ds, batch_size=32, shuffle=True,
                      generator=torch.Generator().manual_seed(1))


def test_the_probe_restores_model_optimizer_grads_modes_and_rngs(digits: TensorDataset) -> None:
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for x, y in list(loader(digits))[:3]:  # real optimizer state and .grad values
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    opt_state = {k: {n: t.clone() for n, t in v.items()} for k, v in
                 opt.state_dict()["state"].items()}
    random.seed(3)
    np.random.seed(3)
    torch.manual_seed(3)
    rngs = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())

    res = lr_range_test(model, nn.functional.cross_entropy, loader(digits), opt,
                        num_iter=40, confirm_steps=30)

    assert res.confirmation is not None and len(res.confirmation.losses) >= 2
    assert all(len(run) == 30 for run in res.confirmation.losses)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, model.parameters(), strict=True))
    assert not model.training and not any(m.training for m in model.modules())
    assert opt.param_groups[0]["lr"] == 1e-3
    for k, v in opt.state_dict()["state"].items():
        assert all(torch.equal(t, v[n]) for n, t in opt_state[k].items())
    assert random.getstate() == rngs[0]
    assert np.array_equal(np.random.get_state()[1], rngs[1])
    assert torch.equal(torch.get_rng_state(), rngs[2])


def test_the_default_suggestion_is_the_probes_pick(digits: TensorDataset) -> None:
    res = lr_range_test(mlp(), nn.functional.cross_entropy, loader(digits), None,
                        num_iter=60, confirm_steps=40)
    conf = res.confirmation
    assert conf is not None and DEFAULT_RULE == "confirmed"
    assert conf.candidates[0] == pytest.approx(res.suggestion("minimum/3"))
    assert conf.lr in conf.candidates and res.suggestion() == conf.lr
    assert len(conf.losses) == len(conf.scores) == len(conf.candidates) + (
        conf.sentinel is not None)
    if conf.sentinel is not None:
        assert conf.sentinel > conf.candidates[-1] and conf.sentinel <= res.lrs[-1]
    k, scores = confirm_pick(conf.losses, conf.steps)
    assert conf.lr == conf.candidates[k] and tuple(scores) == conf.scores
    # without a probe, the default is the curve's minimum/3
    plain = lr_range_test(mlp(), nn.functional.cross_entropy, loader(digits), None,
                          num_iter=60, confirm_steps=0)
    assert plain.confirmation is None
    assert plain.suggestion() == plain.suggestion("minimum/3") == conf.candidates[0]
    assert plain.suggestions()["confirmed"] == plain.suggestion("minimum/3")


def test_a_rate_limited_model_is_confirmed_above_minimum_over_three(
        digits: TensorDataset) -> None:
    # Logistic regression with plain SGD on standardised digits: convex, and 120 steps are far
    # from converged, so the loss after the probe keeps falling with the rate up to the
    # lowest loss's LR; the probe must leave minimum/3 for a larger rate.
    torch.manual_seed(0)
    model = nn.Linear(64, 10)
    res = lr_range_test(model, nn.functional.cross_entropy, loader(digits), None,
                        confirm_steps=120)
    conf = res.confirmation
    assert conf is not None and len(conf.candidates) == 3
    assert all(math.isfinite(s) for s in conf.scores[:3])
    assert conf.lr > conf.candidates[0]


def test_a_decayed_tail_anneals_each_candidate_after_its_constant_steps(
        digits: TensorDataset) -> None:
    seen: list[float] = []

    class Recording(torch.optim.SGD):
        def step(self, closure=None):  # type: ignore[no-untyped-def,override]
            seen.append(self.param_groups[0]["lr"])
            return super().step(closure)

    def factory(params):  # type: ignore[no-untyped-def]
        return Recording(params, lr=1e-3)

    res = lr_range_test(mlp(), nn.functional.cross_entropy, loader(digits), factory,
                        num_iter=60, confirm_steps=0)
    plain = confirm_lr(mlp(), nn.functional.cross_entropy, loader(digits), res, factory,
                       steps=30)
    seen.clear()
    conf = confirm_lr(mlp(), nn.functional.cross_entropy, loader(digits), res, factory,
                      steps=30, decay_steps=12)
    n = len(conf.candidates)
    assert conf.decay_steps == 12 and plain.decay_steps == 0
    assert all(len(run) == 42 for run in conf.losses[:n])
    assert all(len(run) == 30 for run in conf.losses[n:])  # the sentinel: constant only
    # the first probe's constant part is the constant-rate probe itself (same start, batches)
    assert conf.losses[0][:30] == pytest.approx(plain.losses[0])
    assert len(conf.losses) == len(plain.losses)
    k, scores = confirm_pick(conf.losses, 30, decay_steps=12)
    assert conf.lr == conf.candidates[k] and tuple(scores) == conf.scores
    first = seen[:42]  # the first candidate's rates: constant, then a cosine down toward 0
    rate = conf.candidates[0]
    assert first[:30] == pytest.approx([rate] * 30)
    assert first[30:] == pytest.approx([0.5 * rate * (1 + math.cos(math.pi * j / 13))
                                        for j in range(1, 13)])
    assert all(b < a for a, b in zip(first[29:], first[30:], strict=False))
    with pytest.raises(ValueError, match="decay_steps"):
        confirm_lr(mlp(), nn.functional.cross_entropy, loader(digits), res, steps=20,
                   decay_steps=-1)


def test_probe_errors(digits: TensorDataset) -> None:
    res = lr_range_test(mlp(), nn.functional.cross_entropy, loader(digits), None,
                        num_iter=40, confirm_steps=0)
    with pytest.raises(ValueError, match="confirm_steps"):
        lr_range_test(mlp(), nn.functional.cross_entropy, loader(digits), confirm_steps=5)
    with pytest.raises(ValueError, match="steps"):
        confirm_lr(mlp(), nn.functional.cross_entropy, loader(digits), res, steps=10)
    with pytest.raises(ValueError, match="factors"):
        confirm_lr(mlp(), nn.functional.cross_entropy, loader(digits), res, steps=20,
                   factors=(3.0,))
    with pytest.raises(ValueError, match="accumulation_steps"):
        confirm_lr(mlp(), nn.functional.cross_entropy, loader(digits), res, steps=20,
                   accumulation_steps=0)
    # a sweep too short for a suggestion runs no probe instead of failing
    short = lr_range_test(mlp(), nn.functional.cross_entropy, loader(digits), None,
                          num_iter=2, confirm_steps=20)
    assert short.confirmation is None


def test_bounds_follow_the_confirmed_rate_and_stop_at_the_lowest_loss() -> None:
    from tunecraft.torch.lr_result import LRConfirmation, LRRangeResult, lr_bounds_from_range_test

    lrs, smoothed = _valley(60)
    m = lrs[60]
    base = LRRangeResult(tuple(lrs), tuple(smoothed), tuple(smoothed), "completed", lrs[0],
                         lrs[-1], len(lrs))
    assert lr_bounds_from_range_test(base) == pytest.approx((m / 30, m))
    conf = LRConfirmation(lr=m, candidates=(m / 3, m), sentinel=None,
                          losses=((1.0,), (0.5,)), scores=(1.0, 0.5), steps=20)
    res = base.with_confirmation(conf)
    assert res.suggestion() == m and res.suggestion("minimum/3") == pytest.approx(m / 3)
    assert lr_bounds_from_range_test(res) == pytest.approx((m / 10, m))
