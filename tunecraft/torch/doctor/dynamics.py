"""Loss-dynamics signals the rules share: a blow-up caused by the first step, an untrained
loss far above chance, epoch-level oscillation, and whether the validation metric held since
the loss minimum.

Each reads a mechanism of the step size (Goodfellow et al., *Deep Learning*, Sec. 8.2: a
rate above the curvature's stability limit makes the loss rise and swing, and a first step
far larger than the weights throws them where the gradients overflow).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from tunecraft.torch.doctor.diagnosis import Problem
from tunecraft.torch.doctor.observations import Observations

__all__ = ["first_step_blowup", "loud_init", "metric_at_best", "metric_held", "metric_kept",
           "oscillation"]


def first_step_blowup(obs: Observations, l0: float, upd0: float | None,
                      g0: float | None, th: Mapping[str, float]) -> str | None:
    """Why the step size, not the weights, made the gradients non-finite, or None.

    Gradients NaN/inf within the first steps after (a) a first update of more than
    ``th["update_blowup"]`` of the weights' norm (the learning rate threw them far), or
    (b) a finite loss after the first step above ``th["spike"]`` x the untrained loss;
    both only while the untrained gradients were at most ``th["grad_blowup"]`` x the
    weights (larger ones mean the initialisation amplifies: exploding gradients)."""
    bad = obs.non_finite_grad_steps
    if not bad or bad[0] >= 3 or (g0 is not None and g0 > th["grad_blowup"]):
        return None
    why = []
    if upd0 is not None and upd0 > th["update_blowup"]:
        why.append(f"the first step moved the weights by {upd0:.3g} of their norm "
                   f"({upd0 / th['update_high']:.3g} x the healthy limit "
                   f"{th['update_high']:.3g})")
    losses = obs.step_losses
    if len(losses) > 1 and math.isfinite(l0) and l0 > 0 and math.isfinite(losses[1]) and (
            losses[1] > th["spike"] * l0):
        why.append(f"the loss went from {l0:.3g} to {losses[1]:.3g} in one step")
    if not why:
        return None
    grad = f" (untrained gradients {g0:.3g} x the weights)" if g0 is not None else ""
    return (f"gradients became NaN/inf at step {bad[0]} right after {' and '.join(why)}"
            f"{grad}: the step size blew the weights up")


def loud_init(obs: Observations, l0: float, progress: float, th: Mapping[str, float],
              first_steps: Mapping[str, float]) -> Problem | None:
    """``exploding_gradients`` when the untrained loss is more than ``th["init_loss"]`` x
    the chance loss ``ln(classes)`` of the model's output (``obs.output_width``, a model
    whose metric rises: a classifier), else None.

    A classifier whose logits are all near 0 starts at the cross-entropy ``ln(classes)``
    (Karpathy, "A recipe for training neural networks": verify loss @ init); a
    variance-preserving init stays near it. Far above it, the initial weights amplify the
    input into huge logits, and the gradients with them: the spikes and killed units of the
    first steps are the init's scale showing, not the rate's. Read before any step, so it
    holds whatever the steps did afterwards."""
    width = obs.output_width
    # a metric that rises (accuracy) marks a classifier; a regression's squared error has
    # no chance level, and unscaled targets make it large at any init
    if width is None or width < 2 or obs.metric_mode != "max" or not math.isfinite(l0):
        return None
    chance = math.log(width)
    if l0 <= th["init_loss"] * chance:
        return None
    upd0 = first_steps.get("update0")
    moved = f"; the first step moved the weights by {upd0:.3g} of their norm" if upd0 else ""
    return Problem(
        "exploding_gradients", "error" if progress < 0.5 else "warning",
        f"the untrained loss {l0:.3g} is {l0 / chance:.3g} x the chance loss ln({width}) = "
        f"{chance:.3g} of the {width}-way output (a variance-preserving init starts near "
        f"it): before any update the weights amplify the input into huge logits, and the "
        f"gradients with them{moved}",
        "re-initialise with a variance-preserving scheme (init='kaiming_normal' for ReLU, "
        "'xavier_normal' for tanh) and clip the gradient norm (grad_clip=1.0)",
        {"init_loss_ratio": l0 / chance, **first_steps})


def _swing(values: Sequence[float], scale: float, rise: float, floor: float
           ) -> tuple[int, float, float, float] | None:
    """The first epoch-to-epoch rise by more than ``rise`` (relative) and ``floor x scale``
    (absolute) that a later epoch undoes by falling as much: ``(epoch, before, peak,
    later low)`` (epochs 1-based), or None."""
    for i in range(1, len(values)):
        a, b = values[i - 1], values[i]
        if not (b > (1 + rise) * a and b - a > floor * scale):
            continue
        low = min(values[i + 1:], default=math.inf)
        if low < b / (1 + rise) and b - low > floor * scale:
            return i + 1, a, b, low
    return None


def oscillation(train: Sequence[float], val: Sequence[float], l0: float,
                th: Mapping[str, float], first_steps: Mapping[str, float]) -> Problem | None:
    """``lr_too_high`` (warning) when the epoch training loss rises by more than
    ``th["swing"]`` of itself and a later epoch falls back as far: the loss the optimizer
    descends does not go up and down by such amounts at a stable step size (memorising
    makes it fall every epoch).

    The validation loss is not read: it swings without any unstable step (healthy
    recurrent and attention runs of the unseen zoo went 0.50 -> 1.13 -> 0.36 while their
    training loss moved under 16%), as a boundary moving past a cluster of held-out
    examples makes a few of them confidently wrong; ``val`` only completes the evidence."""
    if not math.isfinite(l0) or l0 <= 0:
        return None
    swing = _swing(train, l0, th["swing"], th["swing_floor"])
    if swing is None:
        return None
    e, a, b, low = swing
    # a step above the stability limit overshoots again and again while the rate stays: one
    # rise the next epochs undo, in a run that then descends to a new low, is one bad epoch
    # (a boundary moving past a cluster, a hard run of batches), not oscillation; healthy
    # runs of the ninth and tenth zoos swung once (0.098 -> 0.534 -> 0.099), never twice
    if _swing(train[e:], l0, th["swing"], th["swing_floor"]) is None:
        return None
    held = (f"; validation loss {val[e - 1]:.3g} at that epoch" if len(val) == len(train)
            else "")
    return Problem(
        "lr_too_high", "warning",
        f"the training loss rose from {a:.3g} to {b:.3g} ({b / max(a, 1e-12):.3g} x) at "
        f"epoch {e} and fell back to {low:.3g} later{held} (untrained loss {l0:.3g}): the "
        "loss the optimizer descends swings between epochs, as it does when the steps "
        "overshoot the minimum",
        "lower the learning rate (fix() sizes the factor from the measured first step, "
        "at least 3x lower) and warm it up over the first 5% of steps (warmup_pct=0.05)",
        {"lr_factor": 0.3, "swing": b / max(a, 1e-12), **first_steps})


def _metrics(obs: Observations, n_val: int) -> list[float] | None:
    """The validation metric of every epoch with a finite validation loss, or None."""
    metrics = [e.val_metric for e in obs.epochs if e.val_loss is not None
               and math.isfinite(e.val_loss)]
    if len(metrics) != n_val or any(m is None or not math.isfinite(m) for m in metrics):
        return None
    return [float(m or 0.0) for m in metrics]


def metric_kept(obs: Observations, n_val: int, best: int) -> tuple[float, float] | None:
    """``(metric at the validation-loss minimum, last metric)`` when the last is at least
    as good (``obs.metric_mode``), else None (also without a metric every epoch)."""
    metrics = _metrics(obs, n_val)
    if metrics is None:
        return None
    then, now = float(metrics[best] or 0.0), float(metrics[-1] or 0.0)
    better = now >= then if obs.metric_mode == "max" else now <= then
    return (then, now) if better else None


def metric_held(obs: Observations, n_val: int) -> tuple[float, float, float] | None:
    """``(last metric, best metric, noise)`` when the last epoch's metric is within noise of
    the run's best, else None. The noise is twice the standard deviation of the
    epoch-to-epoch metric changes over the second half of the run (their mean, a trend, is
    left out): the best of ten noisy epochs sits about that far above a typical one, so a
    smaller gap is no lost accuracy; a metric that keeps falling has a small spread and a
    large gap. Needs at least 3 changes."""
    metrics = _metrics(obs, n_val)
    if metrics is None:
        return None
    tail = metrics[len(metrics) // 2:]
    changes = [b - a for a, b in zip(tail, tail[1:], strict=False)]
    if len(changes) < 3:
        return None
    noise = 2.0 * statistics.pstdev(changes)
    best = max(metrics) if obs.metric_mode == "max" else min(metrics)
    now = metrics[-1]
    return (now, best, noise) if abs(best - now) <= noise else None


def metric_at_best(obs: Observations) -> bool:
    """Whether the last epoch's validation metric is the run's best (``obs.metric_mode``),
    or within its epoch-to-epoch noise of it (:func:`metric_held`); False without a
    finite metric every epoch."""
    n_val = sum(1 for e in obs.epochs if e.val_loss is not None and math.isfinite(e.val_loss))
    metrics = _metrics(obs, n_val)
    if not metrics:
        return False
    best = max(metrics) if obs.metric_mode == "max" else min(metrics)
    return metrics[-1] == best or metric_held(obs, n_val) is not None
