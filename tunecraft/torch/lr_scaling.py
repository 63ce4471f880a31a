"""Rescale the learning rate when the batch size changes: the linear and square-root rules.

Pure arithmetic (no torch), so the search space can scale a searched rate to the chosen batch
size (``suggest_training_config(trial, lr_scaling="sqrt")``); the public home is
:mod:`tunecraft.torch.batch_size`.
"""

from __future__ import annotations

import math
from typing import Literal

from tunecraft._validation import Interval, Spec, validate

_CONSTRAINTS: Spec = {
    "lr": Interval(float, 0, closed="neither"),
    "old_batch": Interval(int, 1), "new_batch": Interval(int, 1),
}

__all__ = ["scale_lr"]


def scale_lr(lr: float, old_batch: int, new_batch: int,
             rule: Literal["linear", "sqrt", "none"] = "linear") -> float:
    """The learning rate to use after changing the batch size from ``old_batch`` to ``new_batch``.

    ``linear``: ``lr * new/old`` (Goyal et al. 2017, for SGD; pair it with warm-up).
    ``sqrt``: ``lr * sqrt(new/old)`` (Malladi et al. 2022; the usual choice for Adam/AdamW).
    ``none``: unchanged.
    """
    validate(_CONSTRAINTS, lr=lr, old_batch=old_batch, new_batch=new_batch)
    ratio = new_batch / old_batch
    if rule == "linear":
        return float(lr * ratio)
    if rule == "sqrt":
        return float(lr * math.sqrt(ratio))
    if rule == "none":
        return float(lr)
    raise ValueError(f"rule={rule!r} must be 'linear', 'sqrt' or 'none'")
