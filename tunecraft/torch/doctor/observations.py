"""What the doctor measured during a run: plain numbers, no torch objects.

An :class:`Observations` record is what :mod:`~tunecraft.torch.doctor.rules` reads, so the
rules are pure functions that tests (and the zoo benchmark) can drive without training.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ActivationSample", "EpochRecord", "Observations", "StepSample"]


@dataclass(frozen=True, slots=True)
class StepSample:
    """Per-layer gradient and update statistics at one sampled optimizer step.

    Attributes:
        step: The optimizer step (0 = the first).
        grad_norms: ``||g||`` of each layer's weights, first layer first.
        grad_rel: ``||g|| / ||w||`` of each layer (scale-free, comparable across layers).
        update_rel: ``||w_after - w_before|| / ||w_before||`` of each layer, or None when
            ``after_step`` was not called for this step.
        update_cos: The cosine between each layer's update and its weights: near -1 when
            the step mostly shrinks the weights (weight decay dominates the gradient).
        lr: The optimizer's (largest) learning rate at this step, or None when the doctor
            was given no optimizer.
    """

    step: int
    grad_norms: tuple[float, ...]
    grad_rel: tuple[float, ...]
    update_rel: tuple[float, ...] | None = None
    update_cos: tuple[float, ...] | None = None
    lr: float | None = None


@dataclass(frozen=True, slots=True)
class ActivationSample:
    """Dead and saturated fractions of one activation module at one sampled step.

    ``dead`` is the fraction of units that are exactly zero for every example of the batch
    (ReLU family), ``saturated`` the fraction of outputs where the derivative is under 10% of
    its peak (tanh: |y| > 0.95; sigmoid: y < 0.026 or y > 0.974); None where the statistic
    does not apply. ``rms`` is the root mean square of the outputs (its growth across depth
    shows exploding signals). ``slope`` is the mean derivative over its peak (tanh:
    ``1 - y^2``; sigmoid: ``4 y (1 - y)``), read from the outputs: the share of the gradient
    the layer passes back on average (Glorot-scaled tanh: about 0.6; None for other kinds).

    Kind ``gates`` is a pseudo-layer ``<module>.gates`` for a recurrent module (``nn.RNN``
    with tanh, ``nn.GRU``, ``nn.LSTM``), whose nonlinearities are no modules a hook could
    watch: ``saturated`` and ``slope`` pool its sigmoid gates and tanh candidate (or the tanh
    RNN's outputs) with the same cut-offs, ``rms`` is their outputs' (see
    :class:`~tunecraft.torch.doctor.instruments.Doctor`). ``recurrent`` marks such a
    pseudo-layer: it is no step in the network's depth, so the depth statistics (signal
    growth, gain per layer, the count of activation modules) leave it out.
    """

    step: int
    name: str
    kind: str
    dead: float | None
    saturated: float | None
    rms: float = 1.0
    slope: float | None = None
    recurrent: bool = False


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """One ``end_epoch`` call: losses and metric (None when not given)."""

    train_loss: float | None
    val_loss: float | None
    val_metric: float | None


@dataclass(frozen=True, slots=True)
class Observations:
    """Everything one run showed the doctor.

    Attributes:
        step_losses: The training loss of every optimizer step (NaN/inf kept as they came).
        samples: Gradient/update statistics at the sampled steps.
        activations: Activation statistics at the sampled steps.
        epochs: The ``end_epoch`` records.
        layers: Names of the instrumented layers, first to last.
        activation_kinds: The kinds of activation modules found (``relu``, ``tanh``, ...).
        has_dropout: Whether the model has a dropout module (``fix`` only sets dropout then).
        dropout_rate: The largest dropout probability in the model (training-mode dropout
            scales kept units by ``1 / (1 - p)``, which inflates the activation RMS).
        decay_per_step: The share of the weights weight decay removes per step (SGD:
            ``lr * wd / (1 - momentum)``, AdamW: ``lr * wd``), when the optimizer is known.
        early_stopping: Whether the run keeps its best epoch's weights (``fit`` with patience).
        metric_mode: ``max`` or ``min`` for ``val_metric``.
        non_finite_grad_steps: Sampled steps whose gradients held NaN/inf.
        recurrent: Whether the model has a recurrent module (RNN, LSTM, GRU): it applies
            its weights once per time step inside one module, where no activation hook
            sees the signal grow.
        accumulating: Whether the optimizer divides by the sum of all past squared
            gradients (Adagrad): its first step is the largest it takes, by design.
        output_width: The width of the model's last ``nn.Linear`` (a classifier's classes:
            an untrained cross-entropy starts near ``ln(width)``), or None.
    """

    step_losses: tuple[float, ...]
    samples: tuple[StepSample, ...]
    activations: tuple[ActivationSample, ...]
    epochs: tuple[EpochRecord, ...]
    layers: tuple[str, ...]
    activation_kinds: tuple[str, ...] = ()
    has_dropout: bool = False
    early_stopping: bool = False
    metric_mode: str = "max"
    non_finite_grad_steps: tuple[int, ...] = ()
    dropout_rate: float = 0.0
    decay_per_step: float | None = None
    recurrent: bool = False
    accumulating: bool = False
    output_width: int | None = None

    # ------------------------------------------------------------------ derived signals
    def initial_loss(self) -> float:
        """The first finite step loss: the loss of the untrained model (a later step may
        already show the blow-up that the rules compare against it)."""
        return next((v for v in self.step_losses[:10] if math.isfinite(v)), math.nan)

    def first_non_finite(self) -> int | None:
        """The first step whose loss is NaN/inf, or None."""
        for i, v in enumerate(self.step_losses):
            if not math.isfinite(v):
                return i
        return None

    def tail_loss(self, frac: float = 0.2) -> float:
        """Mean finite loss over the last ``frac`` of the steps (at least 5 steps)."""
        losses = _finite(self.step_losses)
        if not losses.size:
            return math.nan
        n = max(5, int(len(losses) * frac))
        return float(losses[-n:].mean())

    def depth_ratio(self) -> float | None:
        """Median over samples of first-layer ``||g||/||w||`` divided by the last layer's."""
        ratios = [s.grad_rel[0] / s.grad_rel[-1] for s in self.samples
                  if len(s.grad_rel) >= 2 and s.grad_rel[-1] > 0
                  and math.isfinite(s.grad_rel[0]) and math.isfinite(s.grad_rel[-1])]
        return float(_median(ratios)) if ratios else None

    def update_ratio(self, part: str = "all") -> float | None:
        """Per-step update-to-weight ratio (median over layers), summarised over samples:
        the median (``part``: ``all``, ``early`` = first third of the steps, ``late`` = last
        third) or the 90th percentile (``peak``)."""
        samples = [s for s in self.samples if s.update_rel is not None]
        if not samples:
            return None
        last = max(s.step for s in samples) + 1
        if part == "early":
            samples = [s for s in samples if s.step < last / 3] or samples[:1]
        elif part == "late":
            samples = [s for s in samples if s.step >= 2 * last / 3] or samples[-1:]
        values = [float(_median(s.update_rel)) for s in samples if s.update_rel]
        values = [v for v in values if math.isfinite(v)]
        if not values:
            return None
        return float(np.percentile(values, 90) if part == "peak" else _median(values))

    def lr_fall(self) -> float | None:
        """The median learning rate over the last third of the sampled steps divided by the
        largest one sampled: 1 for a constant rate, well below 1 once a schedule decayed it
        (None when no rate was recorded). It separates a schedule that shrank the steps
        from steps that shrank for another reason (units that died, a flat loss)."""
        rated = [(s.step, s.lr) for s in self.samples if s.lr is not None and s.lr > 0]
        if not rated:
            return None
        last = max(step for step, _ in rated) + 1
        late = [lr for step, lr in rated if step >= 2 * last / 3] or [rated[-1][1]]
        return float(_median(late)) / max(lr for _, lr in rated)

    def first_update(self) -> float | None:
        """The layers' median ``||dW|| / ||W||`` at the first optimizer step: the step size
        the learning rate gives the untrained weights, before any blow-up feeds back into it
        (proportional to the learning rate for SGD and Adam alike)."""
        first = next((s for s in self.samples if s.update_rel), None)
        if first is None or first.update_rel is None or first.step >= 3:
            return None
        value = float(_median(first.update_rel))
        return value if math.isfinite(value) and value > 0 else None

    def first_update_max(self) -> float | None:
        """The largest layer ``||dW|| / ||W||`` at the first optimizer step: the layer that
        moves fastest relative to its size (usually the output layer). Plain SGD applies one
        learning rate to every layer, so this layer sets how far the function moves per step
        and where the step size turns unstable, whatever the others do (an LSTM's recurrent
        weights get first gradients 20x smaller than its head's, which drags the median)."""
        first = next((s for s in self.samples if s.update_rel), None)
        if first is None or first.update_rel is None or first.step >= 3:
            return None
        values = [v for v in first.update_rel if math.isfinite(v)]
        value = max(values, default=math.nan)
        return value if math.isfinite(value) and value > 0 else None

    def update_cosine(self) -> float | None:
        """Median cosine between update and weights over the first third of the sampled
        steps: near -1 when weight decay, not the gradient, drives the updates."""
        samples = [s for s in self.samples if s.update_cos]
        if not samples:
            return None
        early = samples[:max(1, len(samples) // 3)]
        return float(_median([_median(s.update_cos or (0.0,)) for s in early]))

    def initial_gradient(self) -> float | None:
        """The largest layer ``||g||/||w||`` at the first sampled step: above 1, one unit
        step would more than replace the weights (the untrained network amplifies)."""
        if not self.samples or not self.samples[0].grad_rel:
            return None
        values = [v for v in self.samples[0].grad_rel if math.isfinite(v)]
        return max(values) if values else math.inf

    def weight_shrink(self) -> float | None:
        """Median over layers of the weight norm at the last sample over the first
        (``||w|| = ||g|| / (||g||/||w||)``): well below 1 when decay shrinks the model."""
        usable = [s for s in self.samples if s.grad_rel and all(
            r > 0 and math.isfinite(r) for r in s.grad_rel)]
        if len(usable) < 2:
            return None
        first, last = usable[0], usable[-1]
        ratios = [(g1 / r1) / (g0 / r0) for g0, r0, g1, r1 in zip(
            first.grad_norms, first.grad_rel, last.grad_norms, last.grad_rel, strict=True)
            if g0 > 0 and g1 > 0]
        return float(_median(ratios)) if ratios else None

    def signal_growth(self) -> float | None:
        """RMS of the last activation module's output over the first one's, at the first
        sampled step (forward signal growth across depth; None with < 2 modules)."""
        rms = self._first_rms()
        if len(rms) < 2 or rms[0] <= 0:
            return None
        return rms[-1] / rms[0]

    def layer_gain(self) -> float | None:
        """Geometric mean growth of the activation RMS per module across depth at the first
        sampled step, ``growth ** (1 / (modules - 1))``: about 1 for a variance-preserving
        initialisation (He/Glorot), above 1.15 when every layer amplifies its input. The
        training-mode inflation by dropout, ``1 / sqrt(1 - p)`` per layer, is taken out."""
        rms = self._first_rms()
        if len(rms) < 2 or rms[0] <= 0 or not math.isfinite(rms[-1]) or rms[-1] <= 0:
            return None
        per_layer = float((rms[-1] / rms[0]) ** (1.0 / (len(rms) - 1)))
        return per_layer * math.sqrt(max(1.0 - self.dropout_rate, 1e-6))

    def activation_modules(self) -> int:
        """Activation modules seen at the first sampled step."""
        return len(self._first_rms())

    def _first_rms(self) -> list[float]:
        """The activation modules' RMS at the first sampled step, first to last (recurrent
        gate pseudo-layers left out: they are no layer of the depth)."""
        depth = [a for a in self.activations if not a.recurrent]
        if not depth:
            return []
        first_step = depth[0].step
        return [a.rms for a in depth if a.step == first_step]

    def initial_slope(self) -> float | None:
        """The smallest mean slope (see :class:`ActivationSample`) of a tanh/sigmoid module
        (or a recurrent module's gates) at the first sampled step: how much of the gradient
        the most saturated layer passes back before any update (None without tanh/sigmoid
        modules)."""
        if not self.activations:
            return None
        first_step = self.activations[0].step
        values = [a.slope for a in self.activations
                  if a.step == first_step and a.slope is not None and math.isfinite(a.slope)]
        return min(values) if values else None

    def max_grad_norm(self) -> float | None:
        """The largest finite layer gradient norm seen."""
        values = [g for s in self.samples for g in s.grad_norms if math.isfinite(g)]
        return max(values) if values else None

    def activation_series(self, stat: str) -> dict[str, list[tuple[int, float]]]:
        """``name -> [(step, value)]`` for ``stat`` = ``dead`` or ``saturated``."""
        out: dict[str, list[tuple[int, float]]] = {}
        for a in self.activations:
            value = getattr(a, stat)
            if value is not None:
                out.setdefault(a.name, []).append((a.step, value))
        return out


def _median(values: Sequence[float]) -> float:
    """The median of a short list (statistics.median: numpy's costs 0.3 ms a call, and the
    rules take ~30 per diagnosis, which runs every epoch)."""
    return float(statistics.median(values))


def _finite(values: Sequence[float]) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    return a[np.isfinite(a)]
