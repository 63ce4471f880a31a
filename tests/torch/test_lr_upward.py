"""The upward probe (issue #14): when a range test never left its plateau, probe down from the
sweep's last rate and raise the pick to a rate that trains clearly better."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from tunecraft.torch.lr_result import LRConfirmation, LRRangeResult
from tunecraft.torch.lr_upward import (
    probe_upward,
    relative_fall,
    sweep_flat,
    upward_needed,
    upward_rates,
)

STEPS = 40


def _result(smoothed: list[float], end: float = 10.0) -> LRRangeResult:
    lrs = tuple(float(v) for v in np.geomspace(1e-7, end, len(smoothed)))
    return LRRangeResult(lrs=lrs, losses=tuple(smoothed), smoothed=tuple(smoothed),
                         stop_reason="completed", start_lr=1e-7, end_lr=end,
                         num_iter=len(smoothed))


def _flat(level: float = 1.386) -> list[float]:
    return [level + 0.001 * math.sin(k) for k in range(STEPS)]


def _falling(start: float = 1.386, end: float = 0.3) -> list[float]:
    return list(np.geomspace(start, end, STEPS))


def _blown() -> list[float]:
    return [1.386, 3.0, float("nan")]


def _confirmation(runs: list[list[float]], candidates: tuple[float, ...] = (1e-5, 1.7e-5, 3e-5),
                  sentinel: float | None = 5.2e-5) -> LRConfirmation:
    return LRConfirmation(lr=candidates[0], candidates=candidates, sentinel=sentinel,
                          losses=tuple(tuple(r) for r in runs), scores=(0.0,) * len(runs),
                          steps=STEPS, confirmed=False)


FLAT_SWEEP = _result([1.39] * 100)
FALLING_SWEEP = _result(list(np.linspace(2.3, 0.4, 100)))


def test_a_sweep_that_stays_on_its_plateau_is_flat_and_a_falling_one_is_not() -> None:
    assert sweep_flat(FLAT_SWEEP)
    assert not sweep_flat(FALLING_SWEEP)


def test_relative_fall_reads_the_probe_and_is_minus_inf_for_a_blow_up() -> None:
    assert relative_fall(_flat(), STEPS) == pytest.approx(0.0, abs=0.01)
    assert relative_fall(_falling(), STEPS) > 0.5
    assert relative_fall(_blown(), STEPS) == -math.inf


def test_fires_on_a_flat_sweep_or_flat_probes_only() -> None:
    trained = _confirmation([_falling()] * 4)
    flat = _confirmation([_flat()] * 4)
    assert upward_needed(FLAT_SWEEP, trained)
    assert upward_needed(FALLING_SWEEP, flat)
    assert not upward_needed(FALLING_SWEEP, trained)


def test_rates_step_down_by_three_from_the_sweeps_last_rate_above_the_probes() -> None:
    flat = _confirmation([_flat()] * 4)
    assert upward_rates(FLAT_SWEEP, flat) == pytest.approx([10 / 3, 10 / 9, 10 / 27, 10 / 81])
    high = _confirmation([_flat()] * 4, candidates=(0.1, 0.17, 0.3), sentinel=0.5)
    assert upward_rates(FLAT_SWEEP, high) == pytest.approx([10 / 3, 10 / 9])


def _probe(edge: float) -> tuple[list[float], object]:
    """A fake probe: blows up above ``edge``, trains below it; records the rates asked for."""
    asked: list[float] = []

    def probe(rate: float) -> list[float]:
        asked.append(rate)
        return _blown() if rate > edge else _falling()

    return asked, probe


def test_raises_a_flat_pick_to_the_first_rate_that_trains_below_a_stable_one() -> None:
    flat = _confirmation([_flat()] * 4)
    asked, probe = _probe(edge=2.0)
    out = probe_upward(FLAT_SWEEP, flat, probe)  # type: ignore[arg-type]
    # 10/3 blew up (not stable), 10/9 trains but nothing stable above it, 10/27 is kept
    assert asked == pytest.approx([10 / 3, 10 / 9, 10 / 27])
    assert out.lr == pytest.approx(10 / 27)
    assert out.raised_from == flat.lr and out.confirmed
    assert out.upper == pytest.approx(tuple(asked)) and len(out.upper_losses) == 3
    assert out.note.startswith("raised")


def test_the_rate_below_the_sweeps_last_step_is_never_picked() -> None:
    flat = _confirmation([_flat()] * 4)
    asked, probe = _probe(edge=100.0)  # every rate trains
    out = probe_upward(FLAT_SWEEP, flat, probe)  # type: ignore[arg-type]
    assert out.lr == pytest.approx(10 / 9)
    assert asked == pytest.approx([10 / 3, 10 / 9])


def test_keeps_the_default_when_the_upward_rate_is_not_clearly_better() -> None:
    default = _falling(1.386, 0.32)  # trains nearly as well as the upward rate (0.3)
    conf = LRConfirmation(lr=1e-5, candidates=(1e-5, 1.7e-5, 3e-5), sentinel=5.2e-5,
                          losses=(tuple(default),) * 4, scores=(0.0,) * 4, steps=STEPS)
    _, probe = _probe(edge=2.0)
    out = probe_upward(FLAT_SWEEP, conf, probe)  # type: ignore[arg-type]
    assert out.lr == 1e-5 and out.raised_from is None
    assert out.upper == pytest.approx((10 / 3, 10 / 9, 10 / 27))  # recorded all the same


def test_does_nothing_when_the_sweep_and_the_probes_fell() -> None:
    trained = _confirmation([_falling()] * 4)
    asked, probe = _probe(edge=2.0)
    assert probe_upward(FALLING_SWEEP, trained, probe) is trained  # type: ignore[arg-type]
    assert asked == []


def test_keeps_the_default_when_no_upward_rate_trains() -> None:
    flat = _confirmation([_flat()] * 4)
    out = probe_upward(FLAT_SWEEP, flat, lambda rate: _flat())
    assert out.lr == flat.lr and not out.confirmed and len(out.upper) == 4


def test_confirm_lr_by_default_raises_the_pick_of_a_model_whose_sweep_was_flat() -> None:
    torch = pytest.importorskip("torch")
    from tunecraft.torch import confirm_lr

    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [1.5]])
    batches = [(x, y)]
    model = torch.nn.Linear(4, 1)
    before = [p.detach().clone() for p in model.parameters()]
    flat = _result([1.39] * 100, end=1.0)  # a sweep that never left its start, up to 1
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        plain = confirm_lr(model, torch.nn.MSELoss(), batches, flat, steps=20, upward=False)
        up = confirm_lr(model, torch.nn.MSELoss(), batches, flat, steps=20)  # the default
    assert not plain.confirmed and plain.lr < 1e-5  # the default's tiny rates do not train
    assert any("unconfirmed" in str(w.message) for w in seen)
    assert up.confirmed and up.raised_from == plain.lr
    assert up.lr == pytest.approx(1 / 9)  # 1/3 trains and is stable, so 1/9 is the pick
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_the_range_test_and_so_the_cli_and_the_bounds_go_through_the_upward_probe(
        monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    from tunecraft.torch import lr_range, lr_range_test

    seen: list[tuple[LRRangeResult, LRConfirmation]] = []

    def spy(result: LRRangeResult, conf: LRConfirmation, probe: object) -> LRConfirmation:
        seen.append((result, conf))
        return conf

    monkeypatch.setattr(lr_range, "probe_upward", spy)
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    batches = [(x, x @ torch.ones(4, 1))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = lr_range_test(torch.nn.Linear(4, 1), torch.nn.MSELoss(), batches,
                               num_iter=40, confirm_steps=20)
    assert len(seen) == 1 and seen[0][1] == result.confirmation
    assert seen[0][0].lrs == result.lrs
