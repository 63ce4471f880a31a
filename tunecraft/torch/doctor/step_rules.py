"""The doctor's step-size rules: a learning rate too high (spikes, divergence, steps that
rewrite the weights, losses that swing) or too low, and a schedule that decayed too early.

Each reads the per-step update-to-weight ratio ``||dW|| / ||W||`` (healthy runs sit near
1e-3..1e-1) and the loss dynamics it causes (Goodfellow et al., *Deep Learning*, Sec. 8.2);
the first step's ratio, proportional to the learning rate, sizes the remedy. The rules for
the network's state (init, units, gradient flow, fit) are in :mod:`.rules`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tunecraft.torch.doctor.diagnosis import Problem
from tunecraft.torch.doctor.dynamics import metric_at_best
from tunecraft.torch.doctor.dynamics import oscillation as _oscillation

if TYPE_CHECKING:
    from tunecraft.torch.doctor.rules import _Signals

__all__ = ["divergence", "has", "has_diverged", "lr_too_high", "lr_too_low", "oscillation",
           "plateau"]


def has(found: list[Problem], *codes: str) -> bool:
    """Whether a problem of one of ``codes`` above ``info`` was found."""
    return any(p.code in codes and p.rank >= 1 for p in found)


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def lr_too_high(s: _Signals, found: list[Problem]) -> Problem | None:
    th, upd = s.th, s.upd
    big_steps = upd is not None and upd > th["update_high"] and not s.decay_driven
    diverged = has_diverged(s)
    # a diverged run whose first step moved the weights 10x more than the decay alone
    # removes (and above the blow-up share): the gradient's step, i.e. the rate, threw them
    rate_threw = diverged and s.upd0 is not None and s.upd0 > th["update_blowup"] and (
        s.upd0 > 10 * (s.obs.decay_per_step or 0.0))
    # Adagrad's first step (lr x sign(g) per weight) is its largest by design, later ones
    # shrink as 1/sqrt(t) (Duchi et al. 2011; see ``thrown``): a spike within the first two
    # steps that the run fully recovers from (loss over 90% below the untrained, as the
    # plateau rule reads "converged", and the metric at its best) is that step, not the
    # rate it keeps. Adam/RMSprop forget: their first step's size is the run's, so their
    # early spikes still count
    by_design = (s.obs.accumulating and not diverged and 0 < s.peak_at <= 2
                 and s.progress > 0.9 and metric_at_best(s.obs))
    spiked = (s._spiked() and not by_design and not _last_batch(s)) or s.blowup is not None
    # units die of the step size only where the steps were large enough to move their
    # pre-activations: weights changing by under ``update_low`` of their norm per step (a
    # VGG at N(0, 0.01): 1e-8) cannot push a unit across zero; its zeros are a vanished
    # signal's (biases and rounding), not the rate's
    killed = (s.dead is not None and s.dead0 is not None
              and s.dead > th["dead"] and s.dead - s.dead0 > 0.25
              and (upd is None or upd >= th["update_low"]))
    lost = s.progress < th["stuck_progress"]
    # a first step that moves the weights by half their norm (10x the healthy limit) throws
    # the initialisation away in one step, whatever the run reaches afterwards: the first
    # step's ratio is the learning rate's (Adam: lr x sqrt(n) / ||W||), not the data's.
    # Not under Adagrad: its first step (lr x sign(g)) is the largest it takes by design,
    # later ones shrink as the squared gradients add up, so it shows where the steps start,
    # not where they stay (its spikes, lost progress and killed units still count)
    thrown = (s.upd0 is not None and s.upd0 > th["update_blowup"] and not s.decay_driven
              and not s.obs.accumulating)
    # ReLUs alive at the start and dead later in a run that learned nothing, with no decay
    # driving the weights down: the steps pushed the units where they never fire again
    killed_all = killed and lost and not s.decay_driven
    if has(found, "exploding_gradients") or not (
            spiked or thrown or (big_steps and (lost or killed)) or killed_all):
        return None
    if (s.heavy_decay or s.heavy_dropout) and s.nan_at is None and not rate_threw and (
            s.blowup is None):
        return None  # weight decay, or dropout noise amplified 1 / (1 - p) times, rocks
        # the weights: the regularisation is the cause (see fit_rules.underfitting)
    if not spiked and not killed and s.depth is not None and (
            s.depth < th["vanishing"]):
        return None  # adaptive optimizers take big steps on vanishing gradients' noise
    parts = [s.blowup] if s.blowup is not None else []
    if s.nan_at is not None:
        parts.append(f"the loss became NaN/inf at step {s.nan_at}")
    elif s._spiked():
        parts.append(f"the loss spiked to {s.peak:.3g} at step {s.peak_at}, "
                     f"{s.peak / s.l0:.3g} x the untrained loss {s.l0:.3g}")
    if upd is not None:
        parts.append(f"steps change the weights by up to {upd:.3g} of their norm "
                     "(healthy: about 1e-3..3e-2)")
    if killed:
        parts.append(f"{100 * (s.dead or 0):.0f}% of a layer's ReLU units died during "
                     f"training ({100 * (s.dead0 or 0):.0f}% at the start)")
    parts.append(f"loss now {s.tail:.3g} vs {s.l0:.3g} untrained")
    data = {"lr_factor": 0.1 if upd is None or upd < 0.5 else 0.01}
    if s.upd0 is not None:
        parts.append(f"the first step already moved the weights by {s.upd0:.3g} of "
                     "their norm" + (f" (above {th['update_blowup']:.3g}: it threw the "
                                     "initialisation away)" if thrown else ""))
        data["update0"] = s.upd0
    if s.upd0_max is not None:
        data["update0_max"] = s.upd0_max
    # a run that learned despite a thrown first step is warned, not pruned
    severity = "error" if spiked or lost or killed else "warning"
    return Problem("lr_too_high", severity, "; ".join(parts),
                   "lower the learning rate so the first step moves the weights by the "
                   "optimizer's healthy share of their norm (Adam 2e-2, RMSprop 6e-2; SGD: "
                   "the fastest layer 8e-2 x (1 - momentum); fix() computes the factor "
                   "from the measured step) and warm it up over the first 5% of steps "
                   "(warmup_pct=0.05)",
                   data)


def _last_batch(s: _Signals) -> bool:
    """Whether the loss spike is one epoch's last step alone: every epoch has the same
    number of steps, the spike sits on the last one of an epoch after the first, and the
    steps just before and after it are below ``spike`` x the untrained loss (no other step
    is above it). A loader without ``drop_last`` ends
    each epoch with a short batch whose mean loss over a few examples is noisy; a step that
    overshoots moves the weights, so the loss stays up on the next batches too (healthy
    ConvMixer and PReLU runs spiked 3-4x at step 119 of 15-step epochs, once, between
    losses of 0.08-0.4)."""
    steps, epochs = len(s.obs.step_losses), len(s.obs.epochs)
    if s.nan_at is not None or epochs < 2 or steps % epochs or not 0 < s.peak_at < steps - 1:
        return False
    per_epoch = steps // epochs
    if (s.peak_at + 1) % per_epoch or s.peak_at < per_epoch:
        return False  # not an epoch's end, or in the first epoch (where the untrained
        # weights move the most: a spike there is the step's)
    losses, bar = s.obs.step_losses, s.th["spike"] * s.l0
    return losses[s.peak_at - 1] < bar and losses[s.peak_at + 1] < bar and sum(
        1 for x in losses[1:] if x > bar) == 1


def has_diverged(s: _Signals) -> bool:
    """Whether the loss became non-finite, or spiked and ended (its last steps' mean) above
    ``th["spike"]`` x the untrained loss: the run diverged and did not come back."""
    return s.nan_at is not None or (
        s._spiked() and math.isfinite(s.tail) and s.tail > s.th["spike"] * s.l0)


def divergence(s: _Signals, found: list[Problem]) -> Problem | None:
    """``lr_too_high`` (error) for a diverged run that no rule explained above ``info``.

    A run whose loss blew up and stayed up (``fit`` stops it, possibly after two steps,
    before any epoch a fit rule could read) is never healthy; lowering the rate is the cure
    whatever made it diverge: a weight decay that flips the weights scales with it too
    (AdamW removes lr x wd of them per step)."""
    if any(p.rank >= 1 for p in found) or not has_diverged(s):
        return None
    where = (f"the loss became NaN/inf at step {s.nan_at}" if s.nan_at is not None else
             f"the loss rose to {s.peak:.3g} at step {s.peak_at} and ended at "
             f"{s.tail:.3g}, {s.tail / s.l0:.3g} x the untrained loss {s.l0:.3g}")
    return Problem(
        "lr_too_high", "error",
        f"{where} after {len(s.obs.step_losses)} steps: the run diverged"
        + (f"; the first step moved the weights by {s.upd0:.3g} of their norm"
           if s.upd0 is not None else ""),
        "lower the learning rate (fix() sizes the factor from the measured first step, at "
        "least 3x lower) and warm it up over the first 5% of steps (warmup_pct=0.05)",
        {"lr_factor": 0.1 if s.upd0 is None or s.upd0 < 0.5 else 0.01, "diverged": 1.0,
         **s.first_steps()})


def lr_too_low(s: _Signals, found: list[Problem]) -> Problem | None:
    upd = s.upd
    if upd is None or upd >= s.th["update_low"] or any(p.rank >= 2 for p in found):
        return None
    if not upd > 0:
        return None  # no weight moved at all: their gradients are zero (units that pass
        # none back, see rule_dead), and any rate times a zero gradient is zero
    if s.progress >= 0.5 or s.decay_driven or (s.collapsed and not _low_at_peak(s)):
        return None  # decay-driven: weight decay holds the model (underfit); collapsed:
        # the schedule shrank the steps 50x during the run (a plateau), not the base LR
    factor = float(min(1e5, max(3.0, 1e-2 / max(upd, 1e-12))))
    return Problem(
        "lr_too_low", "error" if s.progress < s.th["stuck_progress"] else "warning",
        f"even the largest steps change the weights by only {upd:.3g} of their norm "
        f"(healthy: about 1e-3..3e-2); loss {s.tail:.3g} vs {s.l0:.3g} untrained "
        f"({100 * s.progress:.0f}% progress)",
        f"multiply the learning rate by about {factor:.3g}",
        {"lr_factor": factor, **s.first_steps()})


def _low_at_peak(s: _Signals) -> bool:
    """Whether the steps were too small while the rate was still at its peak: the rate held
    at least 0.9 x its peak over the first third of the steps (where ``upd_early`` is read),
    the steps there stayed under ``update_low``, and the schedule only annealed (ended above
    ``anneal_floor`` x the peak, as cosine or step decay to 1% do). The schedule cannot have
    caused steps that were already too small before it decayed them: the base rate did
    (a ConvMixer under SGD at 1e-4 of a healthy rate, annealed to 1%, read plateau)."""
    rated = [(x.step, x.lr) for x in s.obs.samples if x.lr is not None and x.lr > 0]
    if not rated or s.lr_fall is None or s.lr_fall < s.th["anneal_floor"]:
        return False
    top, last = max(lr for _, lr in rated), max(step for step, _ in rated) + 1
    early = sorted(lr for step, lr in rated if step < last / 3)
    return (bool(early) and early[len(early) // 2] >= 0.9 * top and s.upd_early is not None
            and s.upd_early < s.th["update_low"])


def plateau(s: _Signals, found: list[Problem]) -> Problem | None:
    # weights frozen by the schedule (late steps under ``frozen`` of their norm) cannot be
    # learning: a loss that still wanders a few % between epochs is noise, not progress
    # (a step decay counted in steps took the rate to 1e-5 of its peak by mid-run)
    frozen = s.collapsed and s.upd_late is not None and s.upd_late < s.th["frozen"]
    if not ((s.stalled or frozen) and s.collapsed) or any(p.rank >= 1 for p in found) or (
            _low_at_peak(s)):
        return None
    if s.progress > 0.9:
        return None
    return Problem(
        "plateau", "warning",
        f"the training loss improved {100 * (s.gain or 0):.1f}% over the last "
        f"{len(s.train) - len(s.train) // 2} epochs and sits at {s.train[-1]:.3g} "
        f"({100 * s.progress:.0f}% below the untrained {s.l0:.3g}); steps fell to "
        f"{_g(s.upd_late)} of the weights from up to {_g(s.upd)}: the learning rate "
        "decayed before the model converged",
        "use a schedule that decays late (schedule='cosine') so the learning rate stays "
        "useful, and raise the peak rate if even the first steps were below the "
        "optimizer's healthy size (fix() computes it from the measured first step)",
        {"gain": s.gain or 0.0, "collapsed": 1.0, **s.first_steps()})


def oscillation(s: _Signals, found: list[Problem]) -> Problem | None:
    if any(p.rank >= 1 for p in found) or s.heavy_decay or s.heavy_dropout:
        return None  # explained: another problem (memorisation included: a run that
        # overfits at a warning says what to change first), or regularisation
    return _oscillation(s.train, s.val, s.l0, s.th, s.first_steps())
