"""The upward probe: when a range test never left its initial plateau, look for the rate that
trains below the point where the sweep diverged.

A 100-step sweep can end before the model leaves the plateau of its initial loss (an LSTM at
``ln 4`` for its first few hundred steps): its lowest smoothed loss is then a noise dip at a
rate far too low, and every confirmation probe from ``minimum/3`` up stays flat
(``benchmarks/results/issue-14.md``, the LSTM with momentum 0.8, seed 0). What the sweep does
show is where the loss blew up. So: probe down from there in steps of 3 and keep the first rate
that trains with the rate above it still stable (the margin of :func:`~tunecraft.torch.
lr_confirm.confirm_pick`), but only when it trains clearly better than the default's pick.

Torch-free: the rates are probed through a ``probe(rate) -> losses`` callable (the torch side,
:func:`tunecraft.torch.confirm_lr` with ``upward=True``, passes one that trains from the
range test's start), so every decision can be tested on hand-made loss curves.

The climb (:func:`probe_climb`): when the probes did train, the candidates still stop at the
sweep's lowest loss ``m``; on a rate-limited run (plain SGD at batch 256 for 160 steps) the
sweep's loss turns up at ``m`` through a large rate's first transient rise, not at the edge,
and the sentinel one step above trains better than every candidate. Then the pick climbs one
step at a time while the step above keeps winning and the rate above it runs stable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from tunecraft.torch.lr_confirm import probe_stable, probe_trains
from tunecraft.torch.lr_result import LRConfirmation, LRRangeResult

PLATEAU_FRACTION = 0.9
"""The sweep never left its plateau when its lowest smoothed loss (after the rules' skips)
stays above this fraction of the smoothed loss at the first point read."""
FLAT_FALL = 0.1
"""The candidate probes made little progress when none fell by this fraction of its start."""
UP_STEP = 3.0
"""The factor between the rates probed down from the sweep's last rate."""
UP_PROBES = 4
"""At most this many rates are probed (``d/3`` down to ``d/81``)."""
UP_GAIN = 0.9
"""The upward pick is kept only when its score is below this fraction of the default's."""


def sweep_flat(result: LRRangeResult, *, skip_start: int | None = None, skip_end: int = 2
               ) -> bool:
    """Whether the sweep never left its initial plateau: its lowest smoothed loss between the
    skips lies above :data:`PLATEAU_FRACTION` of the smoothed loss at the first point read."""
    start = result.num_iter // 10 if skip_start is None else skip_start
    curve = np.asarray(result.smoothed, dtype=np.float64)
    read = curve[start:max(start, len(curve) - skip_end)]
    read = read[np.isfinite(read)]
    if len(read) < 2:
        return False
    return bool(read.min() > PLATEAU_FRACTION * read[0])


def relative_fall(losses: Sequence[float], steps: int) -> float:
    """How far a probe fell, as a fraction of its start: its first running median of 5 minus
    the mean of the last quarter of ``steps``, over the former; ``-inf`` for a probe that
    stopped early or turned non-finite."""
    x = np.asarray(losses[:steps], dtype=np.float64)
    if len(x) < max(steps, 5) or not np.isfinite(x).all():
        return -math.inf
    start = float(np.median(x[:5]))
    return (start - float(x[-max(1, steps // 4):].mean())) / abs(start) if start else -math.inf


def upward_needed(result: LRRangeResult, confirmation: LRConfirmation) -> bool:
    """Whether to probe upward: the sweep never left its plateau (:func:`sweep_flat`), or no
    candidate probe fell by :data:`FLAT_FALL` of its start (:func:`relative_fall`)."""
    falls = [relative_fall(run, confirmation.steps)
             for run in confirmation.losses[:len(confirmation.candidates)]]
    return sweep_flat(result) or max(falls, default=-math.inf) < FLAT_FALL


def upward_rates(result: LRRangeResult, confirmation: LRConfirmation) -> list[float]:
    """The rates to probe, highest first: the sweep's last rate ``d`` (where the divergence
    stop fired, else the end of the sweep) divided by 3, 9, 27 and 81, keeping those above the
    highest rate the default's probes tried."""
    top = max((*confirmation.candidates, *(() if confirmation.sentinel is None else
                                           (confirmation.sentinel,))))
    d = float(result.lrs[-1])
    rates = [d / UP_STEP ** k for k in range(1, UP_PROBES + 1)]
    return [r for r in rates if r > top * (1.0 + 1e-9)]


def _score(losses: Sequence[float], steps: int) -> float:
    """The mean loss over the last quarter of ``steps``; ``inf`` for a probe that did not
    train (:func:`~tunecraft.torch.lr_confirm.probe_trains`)."""
    if not probe_trains(losses, steps):
        return math.inf
    return float(np.mean(np.asarray(losses[:steps], dtype=np.float64)[-max(1, steps // 4):]))


def _default_losses(confirmation: LRConfirmation) -> Sequence[float]:
    """The constant-rate losses of the default's pick (a candidate or a rate stepped down to)."""
    if confirmation.lower:
        return confirmation.lower_losses[-1]
    return confirmation.losses[confirmation.candidates.index(confirmation.lr)]


def probe_upward(result: LRRangeResult, confirmation: LRConfirmation,
                 probe: Callable[[float], Sequence[float]]) -> LRConfirmation:
    """The default's confirmation, raised to a rate probed down from the sweep's last rate when
    the sweep or the probes were flat and that rate trains clearly better.

    When :func:`upward_needed`, probe the :func:`upward_rates` in turn (highest first) with
    ``probe(rate) -> raw losses`` (``confirmation.steps`` constant-rate steps from the range
    test's start) and stop at the first rate that trains
    (:func:`~tunecraft.torch.lr_confirm.probe_trains`) while the rate probed just above it ran
    stable (:func:`~tunecraft.torch.lr_confirm.probe_stable`): a margin of one step (3) from
    where probes stop training. ``d/3`` is never picked (nothing above it was probed). That
    rate replaces the default's pick only when its score (last-quarter mean loss) is below
    :data:`UP_GAIN` (0.9) of the default pick's score (``inf`` when the default's probe did
    not train), and it is then confirmed. The rates probed and their losses are recorded in
    ``upper`` and ``upper_losses`` either way; the default's pick stays in ``raised_from``.

    When neither was flat, the pick may instead climb above the candidates' cap
    (:func:`probe_climb`).
    """
    if not upward_needed(result, confirmation):
        return probe_climb(result, confirmation, probe)
    steps = confirmation.steps
    rates: list[float] = []
    runs: list[tuple[float, ...]] = []
    found: float | None = None
    above_stable = False
    for rate in upward_rates(result, confirmation):
        losses = tuple(float(v) for v in probe(rate))
        rates.append(rate)
        runs.append(losses)
        if above_stable and probe_trains(losses, steps):
            found = rate
            break
        above_stable = probe_stable(losses, steps)
    out = replace(confirmation, upper=tuple(rates), upper_losses=tuple(runs))
    if found is None:
        return out
    base = _score(_default_losses(confirmation), steps)
    if not _score(runs[-1], steps) < UP_GAIN * base:
        return out
    return replace(out, lr=found, confirmed=True, raised_from=confirmation.lr)


CLIMB_STEP = math.sqrt(3.0)
"""The factor between the rates probed above the sentinel (the candidates' own step)."""
MAX_CLIMBS = 3
"""At most this many rates are probed above the sentinel."""
CLIMB_MARGIN = 0.02
"""A rate above the pick replaces it only when its score is lower by more than this fraction
(the margin of :func:`~tunecraft.torch.lr_confirm.confirm_pick`)."""


def probe_climb(result: LRRangeResult, confirmation: LRConfirmation,
                probe: Callable[[float], Sequence[float]]) -> LRConfirmation:
    """The default's pick, raised past the lowest-loss cap while the rate above keeps winning.

    The candidates stop at the LR of the sweep's lowest loss ``m``, but on a rate-limited run
    (plain SGD, a large batch, a short run) the sweep's loss turns up at ``m`` because of the
    first, catapult-like rise of a large rate, not at the edge of stability: a constant-rate
    probe one step above (the sentinel) then trains to a lower loss than the pick. So: while
    the sentinel's probe trains (:func:`~tunecraft.torch.lr_confirm.probe_trains`) with a score
    (last-quarter mean loss) below the pick's by more than :data:`CLIMB_MARGIN`, probe the
    rate :data:`CLIMB_STEP` above it (not past the sweep's last rate, at most
    :data:`MAX_CLIMBS` times); when that probe runs stable, the sentinel becomes the pick and
    the new rate its sentinel, else the climb stops (the margin of one step from the edge that
    :func:`~tunecraft.torch.lr_confirm.confirm_pick` keeps). Not tried when the default
    stepped down, was raised, or compared its candidates on decayed tails (``decay_steps``:
    the climb compares constant-rate scores). Rates probed go to ``upper``; ``raised_from``
    stays None (its note speaks of a flat sweep), so a climbed pick is an ``lr`` that is not
    among the candidates.
    Measured on the 46 settings of ``benchmarks/results/issue-14.md`` (2026-12-08, helper H8).
    """
    if (confirmation.sentinel is None or confirmation.lower or confirmation.upper
            or confirmation.decay_steps or not confirmation.confirmed or len(confirmation.losses)
            <= len(confirmation.candidates)):
        return confirmation
    steps = confirmation.steps
    top, top_losses = confirmation.sentinel, confirmation.losses[-1]
    kept, kept_score = confirmation.lr, _score(_default_losses(confirmation), steps)
    rates: list[float] = []
    runs: list[tuple[float, ...]] = []
    while len(rates) < MAX_CLIMBS and _score(top_losses, steps) < kept_score * (
            1.0 - CLIMB_MARGIN):
        above = top * CLIMB_STEP
        if above > float(result.lrs[-1]) * (1.0 + 1e-9):
            break
        losses = tuple(float(v) for v in probe(above))
        rates.append(above)
        runs.append(losses)
        if not probe_stable(losses, steps):
            break
        kept, kept_score = top, _score(top_losses, steps)
        top, top_losses = above, losses
    if not rates:
        return confirmation
    return replace(confirmation, lr=kept, upper=tuple(rates), upper_losses=tuple(runs))
