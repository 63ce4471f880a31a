"""The confirmation probe never returns a rate that its own probes showed does not train: it
steps down when every candidate blew up, and flags (and warns) when no probe made progress."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunecraft.torch.lr_confirm import (
    MAX_STEP_DOWNS,
    STEP_DOWN,
    all_diverged,
    probe_progress,
    probe_trains,
)
from tunecraft.torch.lr_rules import lr_sweep, trend

STEPS = 60

# ----------------------------------------------------------------------------- pure checks


def test_a_flat_probe_is_not_progress_even_when_its_tail_is_a_hair_lower() -> None:
    rng = np.random.default_rng(0)
    # an LSTM on its ln(4) plateau: the last quarter ends 0.2% below the start, batch noise tiny
    plateau = (math.log(4.0) * np.linspace(1.002, 1.0, STEPS)
               + 1e-4 * rng.standard_normal(STEPS))
    assert plateau[-STEPS // 4:].mean() < np.median(plateau[:5])  # the old check passed it
    assert not probe_progress(plateau, STEPS) and not probe_trains(plateau, STEPS)
    # pure batch noise around a level: no progress whatever the draw
    for seed in range(20):
        noisy = 1.0 + 0.2 * np.random.default_rng(seed).standard_normal(STEPS)
        assert not probe_trains(noisy, STEPS)


def test_a_falling_probe_trains_through_batch_noise() -> None:
    rng = np.random.default_rng(1)
    falling = 0.3 + 2.0 * np.exp(-np.arange(STEPS) / 15) + 0.1 * rng.standard_normal(STEPS)
    assert probe_progress(falling, STEPS) and probe_trains(falling, STEPS)
    assert not probe_trains(falling[:-1], STEPS)  # stopped early
    assert not probe_trains([*falling[:-1], math.nan], STEPS)


def test_all_diverged_needs_every_probe_to_blow_up() -> None:
    falling = list(2.0 * np.exp(-np.arange(STEPS) / 15) + 0.3)
    assert all_diverged([falling[:10], [*falling[:20], math.inf]], STEPS)
    assert not all_diverged([falling[:10], falling], STEPS)


# ----------------------------------------------------------------------------- torch probe

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from tunecraft.torch.lr_range import confirm_lr  # noqa: E402
from tunecraft.torch.lr_result import LRRangeResult  # noqa: E402


def _result(lowest_at: float) -> LRRangeResult:
    """A range test whose lowest smoothed loss lies at ``lowest_at`` (a clean valley)."""
    lrs = lr_sweep(1e-4, 100.0, 100)
    losses = 1.0 + 0.1 * (np.log(lrs) - math.log(lowest_at)) ** 2
    return LRRangeResult(lrs=tuple(lrs.tolist()), losses=tuple(losses.tolist()),
                         smoothed=tuple(trend(losses).tolist()), stop_reason="completed",
                         start_lr=1e-4, end_lr=100.0, num_iter=100)


def _regression(noise_only: bool) -> DataLoader:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2048, 4, generator=gen)
    y = torch.randn(2048, 1, generator=gen) if noise_only else x @ torch.ones(4, 1)
    return DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=gen)


def _linear() -> nn.Module:
    model = nn.Linear(4, 1)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    return model


def test_when_every_candidate_blows_up_the_probe_steps_down_to_a_rate_that_trains() -> None:
    # least squares on unit-variance inputs: plain SGD blows up above lr ~ 1 (2 / lambda_max)
    model, data = _linear(), _regression(noise_only=False)
    result = _result(lowest_at=4.0)  # m/3 = 1.33, past the edge: the late-sweep trap
    conf = confirm_lr(model, nn.functional.mse_loss, data, result, steps=STEPS)
    assert all_diverged(conf.losses, STEPS)  # m/3, m/sqrt(3), m and the sentinel
    assert conf.stepped_down and conf.confirmed
    assert 1 <= len(conf.lower) <= MAX_STEP_DOWNS and conf.lr == conf.lower[-1]
    assert conf.lr == pytest.approx(conf.candidates[0] / STEP_DOWN ** len(conf.lower))
    assert probe_trains(conf.lower_losses[-1], STEPS)
    assert "stepped down" in conf.note
    # and a run at the pick, from the same start, really trains
    torch.manual_seed(0)
    opt = torch.optim.SGD(model.parameters(), lr=conf.lr)
    batches = list(data)
    first = nn.functional.mse_loss(model(batches[0][0]), batches[0][1]).item()
    for xb, yb in batches:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
    assert math.isfinite(loss.item()) and loss.item() < 0.1 * first


def test_when_no_probe_makes_progress_the_pick_is_flagged_unconfirmed_and_warns() -> None:
    # targets independent of the inputs and a model already at their mean: nothing to learn
    model, data = _linear(), _regression(noise_only=True)
    result = _result(lowest_at=0.1)
    with pytest.warns(UserWarning, match="unconfirmed") as seen:
        conf = confirm_lr(model, nn.functional.mse_loss, data, result, steps=STEPS)
    text = str(seen[0].message)
    assert "longer sweep" in text and "probe steps" in text and "check the model" in text
    assert not conf.confirmed and not conf.stepped_down
    assert conf.lr == conf.candidates[0]  # the conservative minimum/3
    assert not any(probe_trains(run, STEPS) for run in conf.losses[:len(conf.candidates)])
    assert conf.note.startswith("unconfirmed")
