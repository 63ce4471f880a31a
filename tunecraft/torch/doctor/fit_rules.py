"""The doctor's fit rules: overfitting (validation loss rising while training loss falls) and
underfitting (a training loss stuck far above where the model could go). The other rules are
in :mod:`.rules` (init, units, gradient flow) and :mod:`.step_rules` (step size).
"""

from __future__ import annotations

import math
import statistics
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from tunecraft.torch.doctor import step_rules as step
from tunecraft.torch.doctor.diagnosis import Problem
from tunecraft.torch.doctor.dynamics import metric_held, metric_kept

if TYPE_CHECKING:
    from tunecraft.torch.doctor.rules import _Signals

__all__ = ["overfitting", "underfitting"]

_REGULARISE = ("regularise: weight_decay=0.05 (x10 if set; at most 0.5% of the weights per "
               "step, 1e-3 as Adam's coupled L2), dropout=0.3 where the model has dropout, "
               "and early stopping (patience=3)")
"""The overfitting remedy as both overfitting rules state it (``remedies._overfitting``)."""


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def overfitting(s: _Signals, found: list[Problem]) -> Problem | None:
    """The validation loss rose clearly above its minimum while the training loss kept below it."""
    val, train = s.val, s.train
    if len(val) < 4 or not train:
        return None
    best = int(np.argmin(val))
    after = val[best + 1:]
    sev = "info" if s.obs.early_stopping else "warning"
    memorised = math.isfinite(s.l0) and train[-1] < s.th["memorised"] * val[-1] and (
        val[-1] - train[-1]) > s.th["memorised_gap"] * s.l0
    if any(p.rank >= 2 for p in found) and not memorised:
        return None  # a rise of the validation loss may be the error's doing; a training
        # loss 20x below the validation loss is capacity, which no cure of it removes
    if memorised:
        errors = [p.code for p in found if p.rank >= 2]
        # beside an error the regulariser waits: its cure changes how fast the model
        # fits (a lower rate plus decay and early stopping underfit), heal's next round
        # regularises if the cured run still memorises
        later = (f" (beside {errors[0]}: fix() cures that first; regularise if the "
                 "cured run still memorises)" if errors else "")
        return Problem(
            "overfitting", sev,
            f"the training loss {train[-1]:.3g} is {val[-1] / max(train[-1], 1e-12):.0f} x "
            f"below the validation loss {val[-1]:.3g}: the model memorised its training "
            f"set{later}", f"{_REGULARISE}, or more training data",
            {"gap": val[-1] - train[-1], "best_epoch": best + 1,
             **({"deferred": 1.0} if errors else {})})
    if len(after) < 2:
        return None  # the minimum is recent: one bad epoch is noise, not a trend
    rise = (statistics.fmean(after[-2:]) - val[best]) / max(abs(val[best]), 1e-12)
    if rise < s.th["overfit_rise"] or train[-1] >= val[best] or min(after[-2:]) <= (
            val[best] * (1 + s.th["overfit_rise"] / 2)):
        return None  # memorising fits the training set beyond what generalised: its
        # loss falls below the validation minimum; a training loss still above it (a
        # LayerNorm MLP under plain SGD: 0.48 vs 0.47, validation swinging 0.47 -> 1.07)
        # leaves the rise to the steps' noise, not to a gap that opened
    if math.isfinite(s.l0) and (statistics.fmean(after[-2:]) - val[best]) <= (
            s.th["overfit_floor"] * abs(s.l0)):
        return None  # a minimum near 0 inflates the relative rise: a GRU at 97% whose
        # loss went 0.078 -> 0.11 (42%) lost 2% of its untrained 1.42 to a few
        # confident errors; memorising shows in the gap rule above, not here
    tail = (" (early stopping keeps the best epoch's weights)" if s.obs.early_stopping
            else "")
    kept = metric_kept(s.obs, len(val), best)
    if kept is not None:
        sev = "info"  # the loss grew on examples already wrong (over-confidence); the
        # metric the run is judged by has not fallen since the loss minimum
        tail += (f"; the validation metric has not fallen since that epoch ({kept[0]:.4g} "
                 f"then, {kept[1]:.4g} now): over-confidence, not yet lost accuracy")
    elif (held := metric_held(s.obs, len(val))) is not None:
        sev = "info"  # the metric the run is judged by is within its epoch-to-epoch
        # noise of its best: the loss grew on confidence, not on accuracy
        tail += (f"; the metric holds at {held[0]:.4g}, best {held[1]:.4g} (within "
                 f"{held[2]:.2g}, twice its epoch-to-epoch spread): over-confidence, "
                 "not yet lost accuracy")
    since = train[best:] if len(train) == len(val) else []
    jump = max(((b - a, (b - a) / max(a, 1e-12)) for a, b in pairwise(since)),
               key=lambda j: j[1], default=(0.0, 0.0))
    if jump[1] > s.th["overfit_rise"] / 2 and jump[0] > 0.02 * abs(s.l0):
        sev = "info"  # memorising drives the training loss down every epoch; here it
        # rose too: both losses swing with the step size (instability, not overfitting)
        tail += (f"; but the training loss also rose {100 * jump[1]:.0f}% within one "
                 "epoch since then: the losses oscillate, which memorising does not do")
    rate = step.has(found, "lr_too_high")
    if rate:  # steps that overshoot also raise the validation loss: lower them first
        tail += ("; beside lr_too_high, whose steps also raise the validation loss: "
                 "fix() lowers the rate first")
    return Problem(
        "overfitting", sev,
        f"the validation loss rose {100 * rise:.0f}% above its minimum {val[best]:.3g} "
        f"(epoch {best + 1}) to {val[-1]:.3g}, while the training loss fell to "
        f"{train[-1]:.3g}{tail}",
        _REGULARISE,
        {"rise": rise, "best_epoch": best + 1, **({"deferred": 1.0} if rate else {})})

def underfitting(s: _Signals, found: list[Problem]) -> Problem | None:
    """The training loss stopped far above where the model could reach."""
    val, train = s.val, s.train
    if not val or not train or any(p.rank >= 1 for p in found) or s.progress >= 0.5:
        return None
    gap = (val[-1] - train[-1]) / max(abs(train[-1]), 1e-12)
    if gap > 0.2 and not (s.heavy_decay or s.heavy_dropout):
        return None
    dropped = s.heavy_dropout
    if s.heavy_decay:
        why = (f"weight decay alone removes {100 * (s.obs.decay_per_step or 0):.3g}% "
               "of the weights every step (learning rate x weight decay, / (1 - "
               "momentum) for SGD): it outweighs the gradient")
    elif s.decay_driven or (s.shrink is not None and s.shrink < 0.5):
        why = (f"updates shrink the weights (update/weight cosine {_g(s.cos)}, weights "
               f"now {_g(s.shrink)} x their initial norm): weight decay outweighs the "
               "gradient")
    elif dropped:
        p = s.obs.dropout_rate
        why = (f"dropout p={p:.2g} keeps {100 * (1 - p):.0f}% "
               f"of the units and scales them {1 / (1 - p):.3g} x: its "
               f"noise drowns the signal (training-mode loss {train[-1]:.3g}, evaluation-"
               f"mode {val[-1]:.3g})")
    elif val[-1] < 0.9 * train[-1]:
        why = (f"the training-mode loss is {train[-1] / val[-1]:.2f} x the evaluation-mode "
               "loss: " + ("dropout noise drowns the signal" if s.obs.dropout_rate > 0
                           else "the model has no dropout, so the epoch's mean loss lags "
                           "weights that still change within the epoch"))
    else:
        why = f"steps change the weights by up to {_g(s.upd)} of their norm"
    # a training-mode loss above the evaluation-mode one holds the model back only
    # through dropout; without any, the epoch's mean merely lags a model still learning
    noisy = val[-1] < 0.9 * train[-1] and s.obs.dropout_rate > 0
    held = (s.decay_driven or (s.shrink is not None and s.shrink < 0.5)
            or noisy or dropped)
    if not (s.stalled or s.val_stalled or held):
        return Problem(
            "underfitting", "info",
            f"the training loss {train[-1]:.3g} is {100 * s.progress:.0f}% below the "
            f"untrained {s.l0:.3g} and still falling", "train for more epochs",
            {"progress": s.progress})
    return Problem(
        "underfitting", "warning",
        f"the training loss stopped at {train[-1]:.3g}, only {100 * s.progress:.0f}% "
        f"below the untrained {s.l0:.3g}, and the validation loss {val[-1]:.3g} is no "
        f"higher: the model does not fit even its training data; {why}",
        "weaken regularisation (weight_decay / 100, dropout <= 0.1); without any, raise "
        "the learning rate to the optimizer's healthy step size or give the model more "
        "capacity", {"progress": s.progress, "decay_driven": float(s.decay_driven),
                     **s.first_steps()})

