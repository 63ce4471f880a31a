"""The confirmation probe's decisions: which rates to probe after a range test, whether a probe
blew up or trained, which one to keep, and when to step below the candidates.

Pure numpy on the probes' raw losses (the torch side, :func:`tunecraft.torch.confirm_lr`, only
runs the probes), so every decision can be tested on hand-made loss curves. Why a probe at all:
the range test's lowest loss ``m`` sits just below the edge of stability, but ~100 sweep steps
cannot tell a run that converges below the edge (best near ``m/3``) from one that stays
rate-limited up to it (best near ``m``); see ``benchmarks/results/issue-14.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tunecraft.torch.lr_rules import FloatArray, minimum

CONFIRM_FACTORS: tuple[float, ...] = (1.0, math.sqrt(3.0), 3.0)
"""Multiples of the ``minimum/3`` suggestion that the confirmation probe may pick: ``m/3``,
``m/sqrt(3)`` and ``m``, with ``m`` the LR of the lowest smoothed loss."""
CONFIRM_STEPS = 300
"""Mini-batches per rate of the confirmation probe (``lr_range_test(confirm_steps=...)``)."""


def confirm_candidates(lrs: Sequence[float], smoothed: Sequence[float], suggestion: float,
                       factors: Sequence[float] = CONFIRM_FACTORS, *, skip_start: int = 10,
                       skip_end: int = 2) -> tuple[list[float], float | None]:
    """The rates to probe and the sentinel rate above them.

    Rates: ``suggestion * f`` for each factor, capped at the LR of the lowest smoothed loss
    (read with the rules' skips), without duplicates. Sentinel: the next step up (the last
    rate times the last factor ratio, ``sqrt(3)`` by default), capped at the sweep's last LR
    (where the divergence stop fired) and None when that is not above the last rate; it is
    probed but never picked (see :func:`confirm_pick`).
    """
    fs = [float(f) for f in factors]
    if not fs or fs[0] != 1.0 or any(not (math.isfinite(f) and f >= 1.0) for f in fs) or any(
            b <= a for a, b in zip(fs, fs[1:], strict=False)):
        raise ValueError(f"factors={tuple(factors)!r} must start at 1 and rise (the "
                         "suggestion, then larger multiples of it)")
    cap = max(minimum(lrs, smoothed, skip_start=skip_start, skip_end=skip_end, divide=1.0),
              suggestion)
    out: list[float] = []
    for f in fs:
        rate = min(suggestion * f, cap)
        if not out or rate > out[-1] * (1.0 + 1e-9):
            out.append(float(rate))
    step = fs[-1] / fs[-2] if len(fs) > 1 else math.sqrt(3.0)
    sentinel = min(out[-1] * step, float(lrs[-1]))
    return out, (float(sentinel) if sentinel > out[-1] * (1.0 + 1e-9) else None)


def probe_blew_up(losses: Sequence[float] | FloatArray) -> bool:
    """Whether a probe at a constant rate blew up: a NaN/inf loss, or its running median of 5
    losses climbed back above its first value after it had fallen below half of it (all the
    progress undone). Oscillations on the way down, and an early rise before any progress
    (the catapult of a large rate, Lewkowycz et al. 2020), are not blow-ups: the probe's
    score, its final loss, judges them.
    """
    x = np.asarray(losses, dtype=np.float64)
    if not np.isfinite(x).all():
        return True
    if len(x) < 5:
        return False
    med = np.array([np.median(x[i - 4:i + 1]) for i in range(4, len(x))])
    low = np.minimum.accumulate(med)
    return bool(((low < 0.5 * med[0]) & (med > med[0])).any())


PROGRESS_Z = 3.0
"""How many standard errors of batch noise a probe's fall must exceed to count as progress."""
PROGRESS_FLOOR = 0.01
"""The smallest relative fall that counts as progress, whatever the noise (see
:func:`probe_progress`)."""
STEP_DOWN = math.sqrt(3.0)
"""The factor between successive rates probed below the candidates when every candidate blew
up (the same step as between the candidates)."""
MAX_STEP_DOWNS = 4
"""At most this many rates below the first candidate are probed (down to ``m/3 / 9``)."""


def probe_progress(losses: Sequence[float] | FloatArray, steps: int) -> bool:
    """Whether a probe's loss clearly fell: its last-quarter mean ``e`` lies below its first
    running median of 5, ``s0``, by more than batch noise and more than 1% of ``s0``.

    Noise: with ``sd`` the standard deviation of the last quarter's ``q`` raw losses (batch
    to batch, at a level the probe has settled on), a probe that made no progress still shows
    ``s0 - e`` of standard error ``sd * sqrt(pi / (2 * 5) + 1 / q)`` (a median of 5 has
    ``pi / 2`` times the variance of a mean); the fall must exceed :data:`PROGRESS_Z` (3) of
    them. On a plateau with near-uniform outputs (an LSTM at ``ln 4``) the batch noise is
    tiny, so a drift of 0.2% would pass that test; :data:`PROGRESS_FLOOR` (1%) asks for a
    fall that matters.
    """
    fall, tolerance = _fall(losses, steps)
    return fall > tolerance


def _fall(losses: Sequence[float] | FloatArray, steps: int) -> tuple[float, float]:
    """How far a probe's loss fell (first running median of 5 minus last-quarter mean) and the
    tolerance it must exceed (:func:`probe_progress`); ``(-inf, 0)`` for a short or non-finite
    probe."""
    x = np.asarray(losses, dtype=np.float64)
    q = max(2, steps // 4)
    if len(x) < max(5, q) or not np.isfinite(x).all():
        return -math.inf, 0.0
    start, tail = float(np.median(x[:5])), x[len(x) - q:]
    noise = float(tail.std(ddof=1)) * math.sqrt(math.pi / 10.0 + 1.0 / q)
    return start - float(tail.mean()), max(PROGRESS_Z * noise, PROGRESS_FLOOR * abs(start))


def probe_stable(losses: Sequence[float] | FloatArray, steps: int) -> bool:
    """Whether a probe ran all ``steps`` without blowing up (:func:`probe_blew_up`) and ended
    below where it started (the mean loss of its last quarter under its first running median
    of 5): the margin check of :func:`confirm_pick` on the rate one step above a candidate.
    Stable is not the same as training: a plateau passes by a hair (:func:`probe_trains`)."""
    x = np.asarray(losses, dtype=np.float64)
    if len(x) < max(steps, 5) or probe_blew_up(x):
        return False
    return bool(x[-max(1, steps // 4):].mean() < np.median(x[:5]))


def probe_trains(losses: Sequence[float] | FloatArray, steps: int) -> bool:
    """Whether a probe ran all ``steps`` without blowing up (:func:`probe_blew_up`) and made
    progress (:func:`probe_progress`): a rate that still trains. A probe that ends where it
    started (a plateau, or a rate too small to move the model) does not."""
    x = np.asarray(losses, dtype=np.float64)
    if len(x) < max(steps, 5) or probe_blew_up(x):
        return False
    return probe_progress(x[:steps], steps)


def all_diverged(losses: Sequence[Sequence[float]], steps: int) -> bool:
    """Whether every probe in ``losses`` stopped early, blew up (:func:`probe_blew_up`) or
    ended with its running median of 5 above twice its first (the mirror of the blow-up
    test's "below half": a rate past the edge that grows the loss from the first step
    without a NaN). Then the rates are too high from the start weights, and the probe steps
    below them; a flat probe (a plateau) has not diverged, and stepping down would not help
    it."""
    for run in losses:
        x = np.asarray(run[:steps], dtype=np.float64)
        if len(x) < max(steps, 5) or probe_blew_up(x):
            continue
        if not np.median(x[-5:]) > 2.0 * np.median(x[:5]):
            return False
    return True


def confirm_pick(losses: Sequence[Sequence[float]], steps: int, *, margin: float = 0.02,
                 sentinel: bool = True, decay_steps: int = 0) -> tuple[int, list[float]]:
    """Which probe to keep (the index into the candidates, lowest rate first) and the scores.

    A probe's score is its mean loss over the last quarter of ``steps``, or ``inf`` when it
    stopped early or blew up (:func:`probe_blew_up`). Near the edge of stability a run blows
    up by chance (one batch order trains, another does not), so a rate above the first is
    eligible only when the probe one step higher stays stable (:func:`probe_stable`): a
    margin of one step (``sqrt(3)``) from the edge. With ``sentinel`` the last entry of
    ``losses`` is that step above the highest candidate, probed but never picked; without
    it no margin is asked. Going up from the first candidate, an eligible rate replaces the
    kept one only when its score is lower by more than ``margin`` (relative), so a near tie
    keeps the lower, safer rate. The first candidate is kept when no other qualifies.

    With ``decay_steps``, a candidate's probe goes on that many steps with its rate annealed
    to 0 (cosine) and is scored on the decayed tail's last quarter; checks read ``steps``.
    """
    scores: list[float] = []
    for i, run in enumerate(losses):
        x = np.asarray(run, dtype=np.float64)
        n = steps if sentinel and i == len(losses) - 1 else steps + decay_steps
        bad = len(x) < n or probe_blew_up(x[:steps]) or not np.isfinite(x[:n]).all()
        tail = max(1, (n - steps or steps) // 4)
        scores.append(math.inf if bad else float(x[n - tail:n].mean()))
    picks = len(losses) - 1 if sentinel else len(losses)
    keep = 0
    for i in range(1, picks):
        safe = not sentinel or probe_stable(losses[i + 1][:steps], steps)
        if safe and scores[i] < scores[keep] * (1.0 - margin):
            keep = i
    return keep, scores
