"""The doctor's rules: from :class:`Observations` to problems, each from its mechanism.

Every rule reads a signal that the cause produces, not a symptom several causes share
(AutoTrainer, Zhang et al. ICSE 2021, Sec. III; BTTackler, Pei et al. 2026, Table 1):

- step size: the per-step update-to-weight ratio ``||dW|| / ||W||`` (healthy runs sit
  near 1e-3..1e-1; Karpathy's rule of thumb) and loss spikes above the untrained (first)
  loss; the first step's ratio, proportional to the learning rate, sizes the remedy;
- signal growth: the activation RMS grows by a factor per layer at initialisation (He et
  al. 2015: 1 for a variance-preserving init), which makes gradients explode;
- gradient flow: the ratio of the first layer's relative gradient ``||g||/||w||`` to the
  last layer's (a 15-layer sigmoid MLP: 1e-12 against 0.5);
- units: the share of ReLU units that are zero for a whole batch, and of tanh/sigmoid
  outputs in the flat tails, at initialisation and later;
- loss dynamics: progress from the untrained loss, the train/validation gap, the rise of
  the validation loss above its minimum, the last epochs' improvement.

Thresholds live in :data:`THRESHOLDS`; a healthy run gets no problem above ``info``. This
module holds the signals and the rules for the network's state (init, units, gradient flow,
fit); the step-size rules are in :mod:`tunecraft.torch.doctor.step_rules`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping

import numpy as np

from tunecraft.torch.doctor import fit_rules
from tunecraft.torch.doctor import step_rules as step
from tunecraft.torch.doctor.diagnosis import Diagnosis, Problem
from tunecraft.torch.doctor.dynamics import first_step_blowup, loud_init
from tunecraft.torch.doctor.observations import Observations
from tunecraft.torch.doctor.thresholds import THRESHOLDS

__all__ = ["THRESHOLDS", "diagnose"]


def diagnose(obs: Observations, thresholds: Mapping[str, float] | None = None) -> Diagnosis:
    """Apply every rule to ``obs``; never raises for short or odd runs."""
    th = {**THRESHOLDS, **(thresholds or {})}
    context = {"has_dropout": obs.has_dropout, "activations": list(obs.activation_kinds),
               "layers": len(obs.layers), "early_stopping": obs.early_stopping}
    steps, epochs = len(obs.step_losses), len(obs.epochs)
    if steps == 0:
        return Diagnosis((Problem("no_data", "info", "no optimizer step was recorded yet",
                                  "call doctor.after_backward(loss) and doctor.after_step() "
                                  "in the training loop, then diagnose()"),), 0, epochs,
                         context)
    s = _Signals(obs, th)
    found: list[Problem] = []
    for rule in (_Signals.rule_exploding, step.lr_too_high, _Signals.rule_dead,
                 _Signals.rule_saturated, _Signals.rule_vanishing, step.lr_too_low,
                 step.plateau, fit_rules.overfitting, step.oscillation,
                 fit_rules.underfitting, step.divergence):
        p = rule(s, found)
        if p is not None:
            found.append(p)
    if not epochs:
        found.append(Problem("no_data", "info", f"{steps} steps but end_epoch was never "
                             "called", "call doctor.end_epoch(train_loss=..., val_loss=...) "
                             "after each epoch to check over- and underfitting"))
    return Diagnosis(tuple(found), steps, epochs, context)


def _g(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


class _Signals:
    """The derived signals of one run and one method per rule."""

    def __init__(self, obs: Observations, th: Mapping[str, float]) -> None:
        self.obs, self.th = obs, th
        self.l0 = obs.initial_loss()
        self.tail = obs.tail_loss()
        self.progress = ((self.l0 - self.tail) / abs(self.l0)
                         if math.isfinite(self.l0) and self.l0 != 0 and math.isfinite(self.tail)
                         else 0.0)
        self.nan_at = obs.first_non_finite()
        losses = np.asarray(obs.step_losses, dtype=np.float64)
        finite = losses[np.isfinite(losses)]
        self.peak = float(finite.max()) if finite.size else math.nan
        self.peak_at = int(np.argmax(np.where(np.isfinite(losses), losses, -np.inf))
                           ) if finite.size else 0
        self.depth = obs.depth_ratio()
        self.g0 = obs.initial_gradient()
        self.growth = obs.signal_growth()
        self.gain_per_layer = obs.layer_gain()
        self.upd0 = obs.first_update()
        self.upd0_max = obs.first_update_max()
        self.blowup = first_step_blowup(obs, self.l0, self.upd0, self.g0, th)
        self.upd = obs.update_ratio("peak")
        self.upd_early, self.upd_late = obs.update_ratio("early"), obs.update_ratio("late")
        self.cos = obs.update_cosine()
        decay = obs.decay_per_step
        self.heavy_decay = decay is not None and decay >= th["decay_step"]
        self.decay_driven = (self.cos is not None and self.cos < -0.5) or self.heavy_decay
        # training-mode dropout multiplies kept units by 1 / (1 - p): at p >= 0.5 the noise
        # it injects (and amplifies through depth) can swamp the gradient signal
        self.heavy_dropout = obs.dropout_rate >= th["heavy_dropout"]
        self.dead0, self.dead = self._units("dead")
        self.sat0, self.sat = self._units("saturated")
        self.slope0 = obs.initial_slope()
        train = [e.train_loss for e in obs.epochs if e.train_loss is not None
                 and math.isfinite(e.train_loss)]
        self.train = train
        self.val = [e.val_loss for e in obs.epochs if e.val_loss is not None
                    and math.isfinite(e.val_loss)]
        half = len(train) // 2
        self.gain = ((min(train[:half]) - min(train[half:])) / max(abs(min(train[:half])),
                                                                    1e-12)
                     if len(train) >= 4 else None)
        self.stalled = self.gain is not None and self.gain < th["plateau_gain"]
        vhalf = len(self.val) // 2
        self.val_stalled = len(self.val) >= 4 and (
            min(self.val[:vhalf]) - min(self.val[vhalf:])) < th["plateau_gain"] * abs(
            min(self.val[:vhalf]))
        self.shrink = obs.weight_shrink()
        # the schedule collapsed the step size: the steps shrank 50x during the run while
        # the recorded rate fell (or the rate itself fell 50x, even where the steps were
        # too small to read); with the rate recorded and constant the steps shrank for
        # another reason (a step size that killed the units, a flat loss)
        self.lr_fall = obs.lr_fall()
        steps_fell = (self.upd is not None and self.upd_late is not None
                      and self.upd_late < th["collapse"] * self.upd)
        self.collapsed = (steps_fell and (self.lr_fall is None
                                          or self.lr_fall < th["schedule_fell"])) or (
            self.lr_fall is not None and self.lr_fall < th["collapse"])

    def _units(self, stat: str) -> tuple[float | None, float | None]:
        """The worst activation module's share at the first sample, and over the second
        half of the samples (one dead or saturated layer blocks the gradient of all below)."""
        series = self.obs.activation_series(stat)
        if not series:
            return None, None
        first = max(v[0][1] for v in series.values())
        later = max(statistics.fmean([x for _, x in v[len(v) // 2:]]) for v in series.values())
        return first, later

    def first_steps(self) -> dict[str, float]:
        """The first step's update ratios (median and fastest layer) that size a remedy."""
        return {k: v for k, v in (("update0", self.upd0), ("update0_max", self.upd0_max))
                if v}

    def _spiked(self) -> bool:
        return (self.nan_at is not None or (
            math.isfinite(self.l0) and self.l0 > 0 and self.peak > self.th["spike"] * self.l0
            and self.peak_at > 0))

    # ------------------------------------------------------------------ rules
    def rule_exploding(self, found: list[Problem]) -> Problem | None:
        th, gain, grow = self.th, self.gain_per_layer, self.growth
        bad = self.obs.non_finite_grad_steps
        modules = self.obs.activation_modules()
        # forward growth explodes the gradients only where they grew with it: a residual
        # block adds its branch to its input (variance x2, about 1.4 x per block at any
        # variance-preserving init), yet its gradient stays below the weights and the run
        # trains (cured residual nets: 0.16-0.21 x; sick runs 2.2-5e4 x); growth with
        # gradients under ``grad_amplify`` x the weights counts only in a run that did not
        # learn. Progress from a loud start says little (19 -> 1.06 is 94%), and a clipped
        # gradient is recorded after clipping: a classifier learned only below its chance
        # loss (ReLU RNNs with 12 x recurrent weights, clipped, ended at 1.06 vs ln 2)
        width = self.obs.output_width
        beat_chance = (width is None or width < 2 or self.obs.metric_mode != "max"
                       or (math.isfinite(self.tail) and self.tail < math.log(width)))
        # little learned is harm only where the steps were not too small to learn: growth
        # with the gradients below their weights and steps under ``update_low`` of the
        # weights is a run the rate holds back (a residual BatchNorm ConvMixer at 1e-5 of
        # a healthy rate grew 3.1-3.5 x and learned slowly: lr_too_low, not explosion)
        crawled = self.upd is not None and 0 < self.upd < th["update_low"]
        # (ending above chance still counts after a loud start, crawling or not: the
        # clipped ReLU RNNs went 19 -> 1.06 at 5e-5 steps; from a start at chance, steps
        # too small to move leave the loss there whatever the init)
        loud_start = (width is not None and width >= 2 and math.isfinite(self.l0)
                      and self.l0 > th["init_loss"] * math.log(width))
        amplified = (self.g0 is None or self.g0 > th["grad_amplify"] or bool(bad)
                     or (self.progress < 0.5 and not crawled)
                     or (not beat_chance and (loud_start or not crawled)))
        if (gain is not None and grow is not None and modules >= 3 and amplified
                and gain > th["exploding_gain"] and grow > th["exploding_signal"]):
            return Problem(
                "exploding_gradients", "error",
                f"before any update the activations grow {gain:.3g} x per layer "
                f"(variance-preserving init: about 1), {grow:.3g} x from the first of "
                f"{modules} activation layers to the last, and gradients grow with them "
                f"(largest layer gradient {_g(self.g0)} x its weights): the initial weights "
                f"amplify what passes through them; the first step moved them by "
                f"{_g(self.upd0)} of their norm",
                "re-initialise with a variance-preserving scheme (init='kaiming_normal' for "
                "ReLU, 'xavier_normal' for tanh), clip the gradient norm (grad_clip=1.0), and "
                "lower the rate if first step x gain exceeds the optimizer's healthy share",
                {"gain_per_layer": gain, "growth": grow, **self.first_steps()})
        if self.obs.recurrent and self.g0 is not None and self.g0 > th["grad_explode"]:
            # a recurrent layer amplifies through time inside one module, where no forward
            # growth can be read: the gradient before any update, relative to the weights,
            # shows it (only there: in a feed-forward net a large ratio also comes from
            # small weights, e.g. LSUV on unstandardised inputs)
            return Problem(
                "exploding_gradients", "error" if self.progress < 0.5 else "warning",
                f"before any update the largest layer gradient is {self.g0:.3g} x its "
                f"weights (a variance-preserving init: about 1 or less): the initial weights "
                f"amplify the signal (in a recurrent layer, through time); the first step "
                f"moved them by {_g(self.upd0)} of their norm",
                "clip the gradient norm (grad_clip=1.0) and size the rate from the first "
                "step (fix() does both); TrainConfig.init re-draws Linear/Conv layers only: "
                "give a recurrent layer orthogonal recurrent weights in the model "
                "(torch.nn.init.orthogonal_ on weight_hh)",
                {"initial_gradient": self.g0, **self.first_steps()})
        loud = loud_init(self.obs, self.l0, self.progress, th, self.first_steps())
        # read before any step: the spikes after it are the init's (not where the gradients
        # stayed below the weights in a run that learned: the first steps undid the scale)
        if loud is not None and amplified:
            return loud
        if bad and bad[0] < 3 and self.blowup is None:  # else: the step size (lr_too_high)
            return Problem(
                "exploding_gradients", "error",
                f"gradients are NaN/inf from step {bad[0]}, before any large update",
                "re-initialise (init='kaiming_normal') and clip gradients (grad_clip=1.0)",
                {"step": float(bad[0]), **self.first_steps()})
        return None

    def rule_dead(self, found: list[Problem]) -> Problem | None:
        th = self.th
        if (self.upd is not None and self.upd == 0.0 and self.g0 is not None
                and self.g0 == 0.0 and self.progress < th["stuck_progress"]
                and not step.has(found, "lr_too_high", "exploding_gradients")):
            # no weight ever received any gradient: every path back runs through units of
            # zero slope (Hardswish under -3, ...), which no rate moves (not lr_too_low)
            return Problem(
                "dead_units", "error",
                "the weights received zero gradient from the first step on and never moved "
                f"(loss {self.tail:.3g} vs {self.l0:.3g} untrained): the units output a "
                "constant with zero slope for every example, so they pass no gradient",
                "re-initialise with init='kaiming_normal' (zero biases, He-scaled weights); "
                "if it persists use LeakyReLU/GELU in the model",
                {"dead": 1.0, "dead_layer": 1.0, "zero_gradient": 1.0})
        if self.dead0 is None or self.dead0 <= th["dead"] or step.has(found, "lr_too_high"):
            return None
        if self.dead is None or self.dead <= th["dead"]:
            return None  # the units revived (e.g. an LSTM's small outputs leave half of a
            # ReLU head below zero at the start): dead at init is not dead for good
        if (self.dead0 < th["dead_layer"] and self.upd is not None
                and 0 < self.upd < th["update_low"]):
            return None  # part of a layer is dead and the weights barely move: the step size
            # keeps them dead (see rule_lr_too_low); a dead layer passes no gradient at all
        whole = self.dead0 >= th["dead_layer"]  # no gradient reaches the layers below
        return Problem(
            "dead_units", "error" if self.progress < 0.5 else "warning",
            f"{100 * self.dead0:.0f}% of a layer's ReLU units output 0 for the whole batch "
            f"from the start (later {100 * (self.dead or 0):.0f}%); they pass no gradient",
            "re-initialise with init='kaiming_normal' (zero biases, He-scaled weights); if it "
            "persists use LeakyReLU/GELU in the model" + (
                "; with SGD also warm the rate up (warmup_pct=0.05) and clip gradients "
                "(grad_clip=1.0): a dead layer passed no gradient, so the rate was never "
                "tried on a live network" if whole else ""),
            {"dead": self.dead0, "dead_layer": float(whole), **self.first_steps()})

    def rule_saturated(self, found: list[Problem]) -> Problem | None:
        sat, slope, th = self.sat0, self.slope0, self.th
        flat = sat is not None and sat > th["saturated"]
        steep_lost = slope is not None and slope < th["slope"]
        if not (flat or steep_lost) or step.has(found, "lr_too_high"):
            return None
        # the mean slope is what the layer does to the gradient (a share of outputs in the
        # tails is not: a layer with 22% there still passes half of it back)
        passes = (f"the most saturated tanh/sigmoid layer passes back {100 * slope:.0f}% of "
                  "the gradient its units would at their steepest (mean slope over peak; "
                  "Glorot-scaled: about 60%); " if slope is not None else "")
        return Problem(
            "saturated_units", "error" if self.progress < 0.5 else "warning",
            f"{passes}{100 * (sat or 0):.0f}% of a layer's tanh/sigmoid outputs sit where the "
            f"slope is under 10% of its peak at the start (later {100 * (self.sat or 0):.0f}%)",
            ("standardise the inputs (zero mean, unit variance per feature) or scale the "
             "recurrent module's input weights down: its gates saturate on the input's scale, "
             "and init= re-draws only Linear/Conv layers") if self._saturated_in_gates() else
            "re-initialise with init='xavier_normal' (Glorot: keeps pre-activations near 0)",
            {"saturated": sat or 0.0, **({"slope": slope} if slope is not None else {})})

    def _saturated_in_gates(self) -> bool:
        """Whether the most saturated layer at the first sample (least mean slope, else the
        largest saturated share) is a recurrent module's gates, where an init cannot reach."""
        acts = self.obs.activations
        if not acts:
            return False
        at = [a for a in acts if a.step == acts[0].step]
        sloped = [a for a in at if a.slope is not None and math.isfinite(a.slope)]
        if sloped:
            return min(sloped, key=lambda a: a.slope or 0.0).recurrent
        shares = [a for a in at if a.saturated is not None]
        return bool(shares) and max(shares, key=lambda a: a.saturated or 0.0).recurrent

    def _initial_depth_ratio(self) -> float | None:
        """First-layer ``||g||/||w||`` over the last layer's at the first sampled step."""
        first = self.obs.samples[0].grad_rel if self.obs.samples else ()
        if len(first) < 2 or not first[-1] > 0 or not all(math.isfinite(g) for g in first):
            return None
        return first[0] / first[-1]

    def rule_vanishing(self, found: list[Problem]) -> Problem | None:
        d, th = self.depth, self.th
        d0 = self._initial_depth_ratio()
        # Adam/RMSprop divide each weight's step by its own gradient scale, so the early
        # layers move even on a vanished gradient and the median ratio recovers (a tanh MLP
        # at 0.3 x its init: 5e-7 at the start, 0.1 later) while the run learns under half
        # its loss; a start this far below ``vanishing_init`` is the init's, whatever the
        # optimizer hides later
        initial = (d is not None and d >= th["vanishing"] and d0 is not None
                   and d0 < th["vanishing_init"] and self.progress < 0.5)
        if initial:
            d = d0
        if d is None or d >= th["vanishing"] or step.has(
                found, "dead_units", "lr_too_high", "exploding_gradients", "saturated_units"):
            return None
        shrunk = self.decay_driven and self.shrink is not None and self.shrink < 0.5
        if self.heavy_decay or shrunk:
            return None  # decay shrinking the weights starves the early layers: underfitting
            # (coupled L2 under Adam/RMSprop has no per-step share: its updates point
            # against the weights, cosine < -0.5, and the weights lose half their norm)
        sev = "error" if self.progress < 0.5 else "info"
        at = " before any update" if initial else ""
        return Problem(
            "vanishing_gradients", sev,
            f"the first layer's gradient/weight ratio is {d:.3g} x the last layer's{at} "
            f"(healthy: 0.01..10); the early layers do not learn; loss {self.tail:.3g} vs "
            f"{self.l0:.3g} untrained",
            "re-initialise layer by layer to unit variance (init='lsuv'); if it persists use "
            "ReLU/GELU activations, residual connections or normalisation layers",
            {"depth_ratio": d})
