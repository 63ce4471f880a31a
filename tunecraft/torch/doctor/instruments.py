"""``Doctor(model)``: hooks that watch a training loop and turn what they see into a diagnosis.

The loop calls :meth:`Doctor.after_backward` (loss and gradients), :meth:`Doctor.after_step`
(update sizes) and :meth:`Doctor.end_epoch` (train/validation losses); :meth:`Doctor.diagnose`
applies :mod:`~tunecraft.torch.doctor.rules`. The per-step cost is one detached loss tensor;
the expensive statistics (per-layer gradient and weight norms, weight snapshots for update
ratios, activation dead/saturated fractions, as Cockpit's instruments, Schneider et al. 2021)
are sampled on the first 3 steps, the first step of every epoch, and every ``every`` steps
while they have taken at most ``budget`` (3%) of the run's wall time (overhead under 5%).
A small model pays per kernel launch and per hook, not per value, so a sampled step uses
batched kernels (``torch._foreach_*``) and one device->host copy, and the activation hooks
are attached only while a sampled step is due. Every hook is removed by :meth:`Doctor.close`
(or the ``with`` block, also on errors).

A recurrent module (``nn.RNN``, ``nn.GRU``, ``nn.LSTM``) applies its nonlinearities inside
one module, where no activation hook sees them; on sampled steps a hook on the module itself
recomputes its gates (:func:`_gate_outputs`) and records them as a pseudo-layer
``<module>.gates`` with the same saturation cut-offs as a tanh/sigmoid module.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from tunecraft._imports import require
from tunecraft._validation import Interval, Options, check
from tunecraft.torch.doctor.diagnosis import Diagnosis
from tunecraft.torch.doctor.gates import _GATES, _gate_outputs, gate_hook  # noqa: F401
from tunecraft.torch.doctor.observations import (
    ActivationSample,
    EpochRecord,
    Observations,
    StepSample,
)
from tunecraft.torch.doctor.optim_facts import (
    accumulates,
    decay_per_step,
    dropout_rate,
    learning_rate,
    output_width,
)
from tunecraft.torch.doctor.tensor_stats import _norms, _num, _to_floats, _weighted_layers

if TYPE_CHECKING:
    import torch
    from torch import nn

__all__ = ["Doctor"]

_RELU = {"ReLU": "relu", "ReLU6": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu",
         "GELU": "gelu", "SiLU": "silu", "Mish": "mish", "SELU": "selu", "PReLU": "prelu"}
_SAT = {"Tanh": "tanh", "Hardtanh": "tanh", "Sigmoid": "sigmoid", "Hardsigmoid": "sigmoid"}
_DEAD_KINDS = ("relu",)  # exact zeros mean a dead unit only for the plain ReLU family
_FIRST_STEPS = 3  # always sample the first steps: the untrained model's gradients


class Doctor:
    """Instruments a PyTorch model during training and diagnoses what goes wrong.

    Example::

        with Doctor(model) as doctor:
            for epoch in range(epochs):
                for x, y in loader:
                    loss = loss_fn(model(x), y)
                    opt.zero_grad(); loss.backward()
                    doctor.after_backward(loss)
                    opt.step()
                    doctor.after_step()
                doctor.end_epoch(train_loss=..., val_loss=..., val_metric=...)
        print(doctor.diagnose())

    Args:
        model: The module being trained.
        every: Sample the per-layer statistics every this many optimizer steps (and on the
            first 3 steps). Larger is cheaper; the default keeps the overhead under 5%.
        metric_mode: ``max`` (accuracy) or ``min`` (a loss-like metric) for ``val_metric``.
        early_stopping: The run returns its best epoch's weights (overfitting is then only
            reported as ``info``).
        optimizer: The torch optimizer, optional: its learning rate, momentum and weight
            decay tell the doctor how much of the weights decay removes per step, and the
            rate at each sampled step whether a schedule lowered it.
        budget: The largest share of the run's wall time the sampled statistics may take:
            a due sample is skipped while they took more (the first 3 steps, and one step
            an epoch, are always sampled: late signals such as a collapsed step size stay
            measured). None samples every ``every`` steps whatever it costs (repeatable).
    """

    def __init__(self, model: nn.Module, *, every: int = 10, metric_mode: str = "max",
                 early_stopping: bool = False, optimizer: Any = None,
                 budget: float | None = 0.03) -> None:
        require("torch")
        import torch

        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
        check("every", every, Interval(int, 1),
              fix="the layer statistics are sampled every this many steps")
        check("metric_mode", metric_mode, Options("max", "min"))
        self.model = model
        self.every = every
        self.metric_mode = metric_mode
        self.early_stopping = bool(early_stopping)
        check("budget", budget, Interval(float, 0, 1, closed="right",
                                         label="a share of the run's time in (0, 1]"),
              Options(None, note="sample every `every` steps"))
        self.budget = budget
        self._spent = 0.0
        self._t0 = time.perf_counter()
        self.optimizer = optimizer
        self.step = 0
        self._layers = _weighted_layers(model)
        sizes = [len(params) for _, params in self._layers]
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self._index = [range(s, s + n) for s, n in zip(starts, sizes, strict=True)]
        self._before_w2: list[float] = []
        self._losses: list[Any] = []
        self._samples: list[StepSample] = []
        self._acts: list[ActivationSample] = []
        self._epochs: list[EpochRecord] = []
        self._bad_grads: list[int] = []
        self._before: list[Any] | None = None
        self._pending: StepSample | None = None
        self._sampling, self._closed, self._epoch_start = True, False, 0
        self._params = [p for _, params in self._layers for p in params]
        # float32 weights: deltas by one batched subtraction (else in float32, one by one)
        self._f32 = all(p.dtype == torch.float32 for p in self._params)
        self._handles: list[Any] = []
        self._kinds: list[str] = []
        self._act_pending: list[tuple[int, str, str, list[Any], int, int]] = []
        self._has_dropout = any(isinstance(m, torch.nn.modules.dropout._DropoutNd)
                                for m in model.modules())
        self._recurrent = any(isinstance(m, torch.nn.RNNBase) for m in model.modules())
        self._act_modules: list[tuple[Any, Any, bool]] = []  # module, hook, with kwargs
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.RNNBase) and module.mode in _GATES:
                label = name or type(module).__name__
                self._act_modules.append((module, gate_hook(self, label), True))
                continue
            kind = _RELU.get(type(module).__name__) or _SAT.get(type(module).__name__)
            if kind is None:
                continue
            self._kinds.append(kind)
            self._act_modules.append((module, self._act_hook(name, kind), False))
        self._arm()

    # ------------------------------------------------------------------ the loop's calls
    def after_backward(self, loss: torch.Tensor | float) -> None:
        """Record the step's loss and, on sampled steps, the gradients (call before
        ``optimizer.step()``, after ``loss.backward()``)."""
        self.record_loss(loss)
        self.record_gradients()

    def record_loss(self, loss: torch.Tensor | float | None) -> None:
        """Record the step's training loss only (``after_backward`` does it for you)."""
        if loss is None:
            return
        self._losses.append(loss.detach() if hasattr(loss, "detach") else float(loss))

    def record_gradients(self) -> None:
        """On sampled steps, read each layer's gradient and weight norms and snapshot the
        weights for the update ratio (``after_backward`` does it for you)."""
        if self._closed or not self._sampling:
            return
        import torch

        started = time.perf_counter()
        if self.step == 0:
            self._t0 = started  # the run's clock starts at its first step
        if not self._layers:
            self._flush_activations()
            self._spent += time.perf_counter() - started
            return
        n = len(self._params)
        with torch.no_grad():
            grads = [p.grad if p.grad is not None else torch.zeros_like(p)
                     for p in self._params]
            # one batched norm over weights and gradients, and one device->host copy for
            # them and this step's activation statistics (not one per tensor or module)
            values = self._flush_activations(_norms(self._params + grads))
            snapshot = list(torch._foreach_mul(self._params, 1.0))  # a copy, one kernel
        w_sq = [v * v for v in values[:n]]
        g_sq = [v * v for v in values[n:]]
        norms, rel, layer_w2 = [], [], []
        for idx in self._index:
            g2, w2 = sum(g_sq[i] for i in idx), sum(w_sq[i] for i in idx)
            g, w = math.sqrt(g2), math.sqrt(w2)
            norms.append(g)
            rel.append(g / w if w > 0 else math.inf)
            layer_w2.append(w2)
        if not all(math.isfinite(g) for g in norms):
            self._bad_grads.append(self.step)
        self._pending = StepSample(self.step, tuple(norms), tuple(rel),
                                   lr=learning_rate(self.optimizer))
        self._before = snapshot
        self._before_w2 = layer_w2
        self._spent += time.perf_counter() - started

    def after_step(self) -> None:
        """Measure the update-to-weight ratio of sampled steps and count the step (call
        after ``optimizer.step()``)."""
        started = time.perf_counter()
        if self._pending is not None and self._before is not None:
            import torch

            ratios, cosines = [], []
            n = len(self._params)
            with torch.no_grad():
                before = self._before
                if self._f32:  # batched: one kernel per list, not one per tensor
                    deltas = list(torch._foreach_sub(self._params, before))
                else:
                    deltas = [p.detach().float() - b.float()
                              for p, b in zip(self._params, before, strict=True)]
                    before = [b.float() for b in before]
                dots = [d.sum() for d in torch._foreach_mul(deltas, before)]
                values = _to_floats(_norms(deltas) + dots)
            d_sq = [v * v for v in values[:n]]
            dots_v = values[n:]
            for idx, w2 in zip(self._index, self._before_w2, strict=True):
                d2, dw = sum(d_sq[i] for i in idx), sum(dots_v[i] for i in idx)
                ratios.append(math.sqrt(d2) / math.sqrt(w2) if w2 > 0 else math.inf)
                cosines.append(dw / math.sqrt(d2 * w2) if d2 * w2 > 0 else 0.0)
            self._samples.append(StepSample(self._pending.step, self._pending.grad_norms,
                                            self._pending.grad_rel, tuple(ratios),
                                            tuple(cosines), self._pending.lr))
        elif self._pending is not None:
            self._samples.append(self._pending)
        sampled = self._sampling
        self._pending, self._before = None, None
        self.step += 1
        self._sampling = self._sampled(self.step)
        if sampled or self._sampling:  # a sampled step, or the next one: arm/disarm hooks
            self._flush_activations()
            self._arm()
            self._spent += time.perf_counter() - started

    def end_epoch(self, *, train_loss: float | None = None, val_loss: float | None = None,
                  val_metric: float | None = None) -> None:
        """Record an epoch's mean training loss, validation loss and metric (any may be None;
        the training loss defaults to the mean of this epoch's step losses)."""
        if train_loss is None:
            losses = [v for v in self._loss_values()[self._epoch_start:] if math.isfinite(v)]
            train_loss = sum(losses) / len(losses) if losses else None
        self._epoch_start = len(self._losses)
        self._epochs.append(EpochRecord(_num(train_loss), _num(val_loss), _num(val_metric)))
        last = self._samples[-1].step if self._samples else -self.every
        self._sampling |= self.step - last >= self.every  # >= 1 sample an epoch, >= every apart
        self._arm()

    # ------------------------------------------------------------------ results
    def observations(self) -> Observations:
        """What was measured so far, as plain numbers (see :class:`Observations`)."""
        self._flush_activations()
        return Observations(
            step_losses=tuple(self._loss_values()), samples=tuple(self._samples),
            activations=tuple(self._acts), epochs=tuple(self._epochs),
            layers=tuple(name for name, _ in self._layers),
            activation_kinds=tuple(dict.fromkeys(self._kinds)),
            has_dropout=self._has_dropout, early_stopping=self.early_stopping,
            dropout_rate=dropout_rate(self.model),
            decay_per_step=decay_per_step(self.optimizer),
            metric_mode=self.metric_mode, non_finite_grad_steps=tuple(self._bad_grads),
            recurrent=self._recurrent, accumulating=accumulates(self.optimizer),
            output_width=output_width(self.model))

    def diagnose(self) -> Diagnosis:
        """The diagnosis of the run so far (never raises for odd runs: a run with no step
        yet gets an ``info`` problem saying so)."""
        from tunecraft.torch.doctor.rules import diagnose

        return diagnose(self.observations())

    def close(self) -> None:
        """Remove every hook (idempotent); measurements are kept for ``diagnose``."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._before = None
        self._closed = True

    def __enter__(self) -> Doctor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # never leave hooks on a model that outlives its doctor
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown; nothing to clean then
            pass

    def __repr__(self) -> str:
        return (f"Doctor(layers={len(self._layers)}, activations={len(self._kinds)}, "
                f"every={self.every}, steps={self.step}, epochs={len(self._epochs)})")

    # ------------------------------------------------------------------ internals
    def _sampled(self, step: int) -> bool:
        """The first steps always; then every ``every`` steps while the time the sampled
        statistics took stays within ``budget`` of the run's wall time so far."""
        if step < _FIRST_STEPS:
            return True
        if step % self.every:
            return False
        return self.budget is None or self._spent <= self.budget * (
            time.perf_counter() - self._t0)

    def _loss_values(self) -> list[float]:
        if any(not isinstance(v, float) for v in self._losses):
            import torch

            tensors = [i for i, v in enumerate(self._losses) if not isinstance(v, float)]
            values = torch.stack([self._losses[i].float().reshape(()) for i in tensors])
            for i, v in zip(tensors, values.cpu().tolist(), strict=True):
                self._losses[i] = float(v)
        return [float(v) for v in self._losses]

    def _act_hook(self, name: str, kind: str) -> Any:
        def hook(module: nn.Module, args: object, out: object) -> None:
            if not self._sampling or not module.training:
                return
            import torch

            if not isinstance(out, torch.Tensor) or out.ndim < 2 or out.shape[0] < 2:
                return
            step = self.step
            if any(p[0] == step and p[1] == name for p in self._act_pending) or any(
                    a.step == step and a.name == name for a in self._acts[-8:]):
                return  # a module called twice in one step (weight sharing): keep the first
            started = time.perf_counter()
            with torch.no_grad():  # few kernels: small models pay per kernel, not per value
                flat = out if out.dtype == torch.float32 else out.float()
                flat = flat.reshape(out.shape[0], -1)
                stats = [flat.square().mean()]  # mean square: rms = its root
                if kind in _DEAD_KINDS:  # dead: zero (ReLU never negative) for every example
                    stats.append(torch.count_nonzero(flat.amax(dim=0)))  # units alive
                # saturated: the derivative is under 10% of its peak (tanh' = 1 - y^2 < 0.1;
                # sigmoid' = y(1 - y) < 0.025); the mean slope over its peak (tanh' = 1 - y^2
                # -> 1 - mean(y^2); sigmoid' / 0.25 = 4 y (1 - y) -> 4 (mean(y) - mean(y^2)))
                if kind == "tanh":
                    stats.append(torch.count_nonzero(flat.abs() > 0.95))
                elif kind == "sigmoid":
                    stats.append(torch.count_nonzero((flat - 0.5).abs() > 0.474))
                    stats.append(flat.mean())
            # read on the host with the step's gradient norms (one copy, one sync a step)
            self._act_pending.append((step, name, kind, stats, flat.shape[1], flat.numel()))
            self._spent += time.perf_counter() - started
        return hook

    def _flush_activations(self, extra: list[Any] | None = None) -> list[float]:
        """Turn the pending activation statistics (0-dim tensors) into
        :class:`ActivationSample` records, reading ``extra`` 0-dim tensors in the same
        device->host copy; returns the values of ``extra``."""
        pending, self._act_pending = self._act_pending, []
        extra = extra or []
        values = _to_floats(extra + [t for *_, stats, _, _ in pending for t in stats])
        pos = len(extra)
        for step, name, kind, stats, width, numel in pending:
            got = values[pos:pos + len(stats)]
            pos += len(stats)
            mean_sq = got[0]
            dead = sat = slope = None
            if kind == "gates":  # [mean square, saturated count, summed slope over peak]
                sat, slope = got[1] / numel, got[2] / numel
            elif kind in _DEAD_KINDS:
                dead = (width - got[1]) / width
            elif kind == "tanh":
                sat, slope = got[1] / numel, 1.0 - mean_sq
            elif kind == "sigmoid":
                sat, slope = got[1] / numel, 4.0 * (got[2] - mean_sq)
            rms = math.sqrt(mean_sq) if mean_sq >= 0 else math.nan
            self._acts.append(ActivationSample(step, name, kind, dead, sat, rms, slope,
                                               recurrent=kind == "gates"))
        return values[:len(extra)]

    def _arm(self) -> None:
        """Hook the activation modules only while a sampled step is due: any forward hook,
        even one that returns at once, takes every call of its module off PyTorch's fast
        path (``Module._call_impl``), which costs small models about 5% of a step."""
        if self._closed:
            return
        if self._sampling and not self._handles:
            self._handles = [m.register_forward_hook(h, with_kwargs=kw)
                             for m, h, kw in self._act_modules]
        elif not self._sampling and self._handles:
            for handle in self._handles:
                handle.remove()
            self._handles = []
