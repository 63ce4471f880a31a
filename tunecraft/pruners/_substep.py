"""Whether a first-epoch diagnosis is enough to stop a trial before its first report.

``fit(..., doctor=True)`` writes the diagnosis on the trial at a few points of the first
epoch (``tunecraft.torch.doctor._fit.SUBSTEPS``) with the training loss's progress so far
(``"substep"``: the first step's loss, which is the untrained model's, and the median loss
of the last quarter of the steps since). There is no validation metric yet, so the metric
check that confirms an epoch-end diagnosis (``DiagnosisPruner(confirm=True)``) cannot apply;
the training loss stands in for it. A run is stopped when the doctor finds a problem of
:data:`SUBSTEP_CODES` *and* its loss has not fallen (progress under :data:`MIN_PROGRESS`),
or when its loss is no longer finite: a diverged or dead network does not lower its loss,
while a run whose first steps looked violent but that learns has lowered it by half an epoch.
This is BTTackler's premise (Pei et al. 2026: training problems are visible in the first
iterations) with the loss as the guard against false alarms.

``vanishing_gradients`` and ``lr_too_low`` are left to the epoch-end rules: a GRU with
vanishing gradients and a flat loss over half an epoch went on to 0.50 accuracy, 7th of 40
random configurations (audit seq_gru-0, benchmarks/results/issue-15.md, section 14), and
slow runs are judged on their curve (``_hopeless``). Decided on the audits of digits-0 and
seq_gru-0 (seen); the other tasks checked after.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["MIN_PROGRESS", "SUBSTEP_CODES", "substep_reason"]

MIN_PROGRESS = 0.05
"""The least fall of the training loss (1 - recent / first) that shows a run learns."""
SUBSTEP_CODES = frozenset({"lr_too_high", "exploding_gradients", "dead_units"})
"""The unrecoverable codes that a loss that has not fallen confirms within the first epoch
(each still at the pruner's least severity for it)."""


def substep_reason(data: Mapping[str, Any], fatal: list[Mapping[str, Any]],
                   min_progress: float = MIN_PROGRESS) -> str | None:
    """Why a first-epoch diagnosis ``data`` stops the trial, or None.

    Args:
        data: ``Diagnosis.to_dict()`` with the ``"substep"`` entry fit adds in epoch 1.
        fatal: Its problems that are unrecoverable (the pruner's table); only those of
            :data:`SUBSTEP_CODES` count.
        min_progress: The least fall of the training loss that shows the run learns.
    """
    sub = data.get("substep")
    if not isinstance(sub, Mapping):
        return None
    try:
        first, recent = float(sub["first_loss"]), float(sub["recent_loss"])
        where = f"after {int(sub['step'])} of {int(sub['steps_per_epoch'])} steps of epoch 1"
    except (KeyError, TypeError, ValueError):
        return None
    if not math.isfinite(recent):
        return f"the training loss became {recent} {where}"
    fatal = [p for p in fatal if p.get("code") in SUBSTEP_CODES]
    if not fatal or not math.isfinite(first) or first <= 0:
        return None
    progress = 1.0 - recent / first
    if progress >= min_progress:
        return None
    return (f"{fatal[0].get('code')}: {fatal[0].get('evidence', '')}; {where} the training "
            f"loss is {recent:.4g} vs {first:.4g} at the first step ({100 * progress:.0f}% "
            f"progress, under {100 * min_progress:.0f}%)")
