"""The inner loops of :func:`tunecraft.torch.fit`: one training epoch (gradient accumulation,
mixed precision, clipping, callbacks, a divergence check on the raw loss) and one evaluation
(loss, accuracy and user metrics over the whole validation set)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunecraft.torch.batches import batch_size_of, logits_of, model_loss
from tunecraft.torch.callbacks import Callback, TrainState
from tunecraft.torch.metrics import Metric
from tunecraft.torch.regularization import clip_gradients

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass(frozen=True)
class Hooks:
    """How to read a batch, call the model and compute the loss.

    ``loss_fn`` is None for the model's own loss (``outputs.loss``); ``kind`` is the loss's
    name (``cross_entropy``, ``bce_with_logits``, ``mse``, ``model``, ``custom``, or ``auto``:
    the model's own loss when its output has one, else ``loss_fn``), which also decides how
    accuracy is read.
    """

    unpack: Callable[[Any], tuple[Any, Any]]
    forward: Callable[[nn.Module, Any], Any]
    loss_fn: Callable[[Any, Any], torch.Tensor] | None
    kind: str

    def kind_for(self, outputs: Any) -> str:
        """The loss kind for this output: ``auto`` (``loss=None``) is ``model`` when the
        output carries its own loss, ``cross_entropy`` otherwise."""
        if self.kind == "auto":
            return "model" if model_loss(outputs) is not None else "cross_entropy"
        return self.kind

    def loss(self, outputs: Any, targets: Any) -> torch.Tensor:
        if self.kind == "auto":
            own = model_loss(outputs)
            if own is not None:
                return own
        if self.loss_fn is None:
            own = model_loss(outputs)
            if own is None:
                raise TypeError(
                    "loss='model' (or loss=None with a model whose outputs carry a loss) but "
                    f"the model returned {type(outputs).__name__} without a 'loss'; put the "
                    "labels in the inputs (Hugging Face models compute the loss then) or pass "
                    "fit(loss='cross_entropy' or a loss module)")
            return own
        return self.loss_fn(logits_of(outputs), targets)


@dataclass(frozen=True)
class Precision:
    """Autocast settings: ``dtype`` None trains in float32; ``scaler`` is float16's
    GradScaler (bfloat16 needs none: it has float32's exponent range)."""

    name: str  # "fp32", "fp16" or "bf16"
    device_type: str
    dtype: torch.dtype | None
    scaler: Any

    def autocast(self) -> Any:
        import torch

        return torch.autocast(self.device_type, dtype=self.dtype, enabled=self.dtype is not None)


class Guard:
    """Decides divergence on the raw training loss of optimizer steps: NaN/inf, or above
    ``factor`` times the run's first step loss (a run whose loss rose that far has blown up,
    even while it stays finite, e.g. a ReLU network whose units all died)."""

    def __init__(self, factor: float | None, every: int) -> None:
        self.factor = factor
        self.every = every
        self.first = 0.0
        self.limit: float | None = None

    def diverged(self, step: int, loss: torch.Tensor | None) -> str | None:
        """Why the run diverged at this step, or None (checked every ``every`` steps: each
        check is a host sync on accelerators)."""
        if loss is None or (step % self.every != 0 and step != 1):
            return None
        value = float(loss)
        if not math.isfinite(value):
            return f"the training loss became {value} at step {step}"
        if self.limit is None:
            if self.factor is not None and value > 0:
                self.first, self.limit = value, self.factor * value
            return None
        if value > self.limit:
            return (f"the training loss {value:.4g} at step {step} is more than "
                    f"{self.factor:g} times the first step's {self.first:.4g}")
        return None


def train_epoch(model: nn.Module, batches: Any, opt: torch.optim.Optimizer, scheduler: Any,
                hooks: Hooks, grad_clip: float | None, precision: Precision,
                accumulation_steps: int, callbacks: Sequence[Callback], state: TrainState,
                guard: Guard) -> tuple[float, str | None]:
    """One pass over ``batches``: ``(sample-weighted mean training loss, why it diverged)``.

    With ``accumulation_steps = k`` the optimizer steps after every ``k`` batches (the last
    group of an epoch may be shorter), each batch's loss divided by its group's size, so a
    step sees the mean gradient of its group. The raw loss of the steps is checked by
    ``guard``, and the epoch's mean at the end.
    """
    import torch

    model.train()
    n_batches = len(batches)
    total: torch.Tensor | float = 0.0
    count = 0
    step_loss: torch.Tensor | float = 0.0
    scaler = precision.scaler
    opt.zero_grad(set_to_none=True)
    for i, batch in enumerate(batches):
        first = (i // accumulation_steps) * accumulation_steps
        group = min(accumulation_steps, n_batches - first)
        inputs, targets = hooks.unpack(batch)
        with precision.autocast():
            loss = hooks.loss(hooks.forward(model, inputs), targets)
        part = loss.float() / group
        torch.autograd.backward(part if scaler is None else scaler.scale(part))
        n = batch_size_of(targets, inputs)
        total = total + loss.detach().float() * n
        count += n
        step_loss = step_loss + part.detach()
        if i - first + 1 < group:
            continue
        _step(model, opt, scheduler, grad_clip, scaler)
        opt.zero_grad(set_to_none=True)
        state.step += 1
        state.loss = step_loss if isinstance(step_loss, torch.Tensor) else None
        step_loss = 0.0
        for cb in callbacks:
            cb.on_step_end(state)
        why = guard.diverged(state.step, state.loss)
        if why is not None:
            return math.nan, why
        if state.stop:
            break
    mean = float(total) / max(count, 1)
    return mean, None if math.isfinite(mean) else f"the mean training loss is {mean}"


def _step(model: nn.Module, opt: torch.optim.Optimizer, scheduler: Any,
          grad_clip: float | None, scaler: Any) -> None:
    """Clip, step the optimizer, and step the schedule unless float16's scaler skipped it."""
    if scaler is None:
        if grad_clip is not None:
            clip_gradients(model, max_norm=grad_clip)
        opt.step()
        scheduler.step()
        return
    if grad_clip is not None:
        scaler.unscale_(opt)
        clip_gradients(model, max_norm=grad_clip)
    before = scaler.get_scale()
    scaler.step(opt)
    scaler.update()
    if scaler.get_scale() >= before:  # a lowered scale means a skipped step
        scheduler.step()


def correct(logits: torch.Tensor, targets: Any, kind: str
            ) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(correct, counted)`` for the built-in accuracy, or None when it does not apply.

    Class indices (an integer target with one dimension less than the logits): the argmax
    over the class dimension (dimension 1 as torch's losses; the last one for a model's own
    loss, as Hugging Face models lay out ``(batch, sequence, vocabulary)``), ignoring targets
    of -100 (torch's and Hugging Face's ``ignore_index``). ``bce_with_logits``: logit > 0
    against target > 0.5 per element. Regression: None.
    """
    import torch

    if not isinstance(targets, torch.Tensor):
        return None
    if kind == "bce_with_logits":
        return ((logits > 0) == (targets > 0.5)).sum(), torch.tensor(targets.numel())
    if targets.is_floating_point() or targets.dtype == torch.bool or (
            logits.ndim != targets.ndim + 1):
        return None
    pred = logits.argmax(dim=-1 if kind == "model" else 1)
    keep = targets != -100
    return ((pred == targets) & keep).sum(), keep.sum()


def evaluate_batches(model: nn.Module, batches: Iterable[Any], hooks: Hooks,
                     precision: Precision, metrics: Mapping[str, Metric]
                     ) -> tuple[float, float | None, dict[str, float]]:
    """Mean loss, accuracy (None if it does not apply) and each metric, in eval mode."""
    import torch

    model.eval()
    loss_sum: torch.Tensor | float = 0.0
    hits: torch.Tensor | float = 0.0
    units: torch.Tensor | float = 0.0
    count = 0
    whole = {k: m for k, m in metrics.items() if not _streams(m.fn)}
    streams = {k: m.fn for k, m in metrics.items() if _streams(m.fn)}
    for fn in streams.values():
        if callable(getattr(fn, "reset", None)):
            fn.reset()
    outs: list[torch.Tensor] = []
    tgts: list[Any] = []
    scored = True
    with torch.no_grad(), precision.autocast():
        for batch in batches:
            inputs, targets = hooks.unpack(batch)
            out = hooks.forward(model, inputs)
            n = batch_size_of(targets, inputs)
            loss_sum = loss_sum + hooks.loss(out, targets).float() * n
            count += n
            logits = logits_of(out).float()
            got = correct(logits, targets, hooks.kind_for(out))
            scored = scored and got is not None
            if got is not None:
                hits, units = hits + got[0], units + got[1]
            for fn in streams.values():
                fn.update(logits, targets)
            if whole:
                outs.append(logits.detach().cpu())
                tgts.append(targets.detach().cpu() if hasattr(targets, "detach") else targets)
    if count == 0:
        raise ValueError("the validation data yields no batches; give it data")
    values = {k: float(fn.compute()) for k, fn in streams.items()}
    if whole:
        all_out = torch.cat(outs)
        all_tgt = torch.cat(tgts) if isinstance(tgts[0], torch.Tensor) else tgts
        values.update({k: float(m.fn(all_out, all_tgt)) for k, m in whole.items()})
    accuracy = float(hits) / float(units) if scored and float(units) > 0 else None
    return float(loss_sum) / count, accuracy, {k: values[k] for k in metrics}


def _streams(fn: Any) -> bool:
    return callable(getattr(fn, "update", None)) and callable(getattr(fn, "compute", None))
