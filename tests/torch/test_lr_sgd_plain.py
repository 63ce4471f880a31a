"""The climb above the lowest-loss cap (issue #14, plain SGD at batch 256): while the probe one
step above the pick trains clearly better, and the rate above it runs stable, raise the pick."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from tunecraft.torch.lr_result import LRConfirmation, LRRangeResult
from tunecraft.torch.lr_upward import (
    CLIMB_STEP,
    MAX_CLIMBS,
    probe_climb,
    probe_upward,
    upward_needed,
)

STEPS = 40
M = 0.06  # the LR of the sweep's lowest loss: the last candidate


def _sweep(end: float = 0.9) -> LRRangeResult:
    smoothed = tuple(float(v) for v in np.linspace(1.5, 1.3, 90))
    lrs = tuple(float(v) for v in np.geomspace(1e-7, end, 90))
    return LRRangeResult(lrs=lrs, losses=smoothed, smoothed=smoothed, stop_reason="diverged",
                         start_lr=1e-7, end_lr=10.0, num_iter=100)


def _falls_to(end: float) -> list[float]:
    return [float(v) for v in np.geomspace(1.4, end, STEPS)]


def _blown() -> list[float]:
    return [1.4, 3.0, float("nan")]


def _conf(ends: list[float], pick: int) -> LRConfirmation:
    """Candidates m/3, m/sqrt3, m and the sentinel m*sqrt3, each probe falling to ``ends``."""
    rates = (M / 3, M / math.sqrt(3), M)
    return LRConfirmation(lr=rates[pick], candidates=rates, sentinel=M * math.sqrt(3),
                          losses=tuple(tuple(_falls_to(e)) for e in ends),
                          scores=tuple(ends), steps=STEPS, confirmed=True)


def _probe(curve: Callable[[float], list[float]]) -> tuple[list[float], Callable[[float],
                                                                                  list[float]]]:
    asked: list[float] = []

    def probe(rate: float) -> list[float]:
        asked.append(rate)
        return curve(rate)

    return asked, probe


def test_a_sentinel_that_trains_better_becomes_the_pick_when_the_rate_above_is_stable() -> None:
    # the miss's seed 0: m/sqrt3 kept on a near tie, the sentinel clearly better
    conf = _conf([0.45, 0.30, 0.32, 0.256], pick=1)
    asked, probe = _probe(lambda r: _falls_to(0.41) if r < 0.3 else _blown())
    out = probe_climb(_sweep(), conf, probe)
    assert asked == pytest.approx([M * 3.0])  # one step above the sentinel, then no gain
    assert out.lr == pytest.approx(M * math.sqrt(3)) and out.lr not in conf.candidates
    assert out.upper == pytest.approx((M * 3.0,)) and out.confirmed
    assert out.raised_from is None and out.note.startswith("climbed")  # not "raised" (flat)


def test_no_climb_when_the_sentinel_is_not_clearly_better() -> None:
    conf = _conf([0.45, 0.34, 0.262, 0.309], pick=2)  # the miss's seed 1
    asked, probe = _probe(lambda r: _falls_to(0.1))
    out = probe_climb(_sweep(), conf, probe)
    assert asked == [] and out is conf


def test_no_climb_when_the_rate_above_the_sentinel_blows_up() -> None:
    conf = _conf([0.45, 0.34, 0.32, 0.26], pick=2)
    asked, probe = _probe(lambda r: _blown())
    out = probe_climb(_sweep(), conf, probe)
    assert len(asked) == 1 and out.lr == conf.lr and out.raised_from is None
    assert out.upper == pytest.approx(tuple(asked))  # recorded, not picked


def test_the_climb_goes_on_while_each_step_wins_but_not_past_the_sweep_or_the_limit() -> None:
    conf = _conf([0.45, 0.34, 0.32, 0.26], pick=2)
    asked, probe = _probe(lambda r: _falls_to(0.26 * (0.9 ** math.log(r / M, CLIMB_STEP))))
    out = probe_climb(_sweep(end=10.0), conf, probe)
    assert len(asked) == MAX_CLIMBS
    assert out.lr == pytest.approx(M * CLIMB_STEP ** MAX_CLIMBS)
    # the sweep stopped at 0.2: the rate above 0.18 would lie past it, so it is not probed
    asked, probe = _probe(lambda r: _falls_to(0.26 * (0.9 ** math.log(r / M, CLIMB_STEP))))
    out = probe_climb(_sweep(end=0.2), conf, probe)
    assert asked == pytest.approx([M * 3.0]) and out.lr == pytest.approx(M * math.sqrt(3))


def test_no_climb_after_a_step_down_or_without_a_sentinel() -> None:
    conf = _conf([0.45, 0.34, 0.32, 0.26], pick=2)
    for changed in ({"sentinel": None, "losses": conf.losses[:3]},
                    {"lower": (M / 9,), "lower_losses": (tuple(_falls_to(0.5)),)},
                    {"confirmed": False}):
        other = replace(conf, **changed)
        asked, probe = _probe(lambda r: _falls_to(0.1))
        assert probe_climb(_sweep(), other, probe) is other and asked == []


def test_the_default_upward_step_climbs_when_nothing_was_flat() -> None:
    conf = _conf([0.45, 0.30, 0.32, 0.256], pick=1)
    assert not upward_needed(_sweep(), conf)  # the sweep fell and the probes trained
    _, probe = _probe(lambda r: _falls_to(0.41) if r < 0.3 else _blown())
    assert probe_upward(_sweep(), conf, probe).lr == pytest.approx(M * math.sqrt(3))
