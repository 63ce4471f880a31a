"""Per-layer health check at initialisation: do signals and gradients survive the depth?

:func:`init_report` runs one forward and one backward pass on a batch with hooks, and reports
for each layer the activation mean/std, the *signal* std (how much the output still varies
across the examples of the batch), the fraction of exact zeros (dead ReLUs) and of saturated
units (tanh/sigmoid), the weight-gradient norm and gradient/weight ratio, and flags layers
where the signal or the gradient vanishes or explodes. The statistics are pure numpy
(:func:`activation_stats`, :func:`flag_layer`); the model's parameters, gradients and buffers
are left exactly as they were, and no hook remains.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from tunecraft._imports import require

if TYPE_CHECKING:
    import torch
    from numpy.typing import ArrayLike
    from torch import nn

    from tunecraft.torch.init_advice import InitAdvice

__all__ = ["DEFAULT_THRESHOLDS", "ActivationStats", "InitReport", "LayerStats",
           "activation_stats", "flag_layer", "init_report"]

DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType({
    "vanishing": 1e-2,       # signal std / input signal std below this: the signal is lost
    "exploding": 1e2,        # ... above this: the signal blows up
    "dead": 0.9,             # fraction of exact zeros above this: dead units
    "saturated": 0.5,        # fraction of saturated tanh/sigmoid outputs above this
    "vanishing_grad": 1e-3,  # weight-grad norm / last layer's below this
    "exploding_grad": 1e3,   # ... above this
})
"""Flag thresholds used by :func:`init_report` (override any with ``thresholds=``)."""


@dataclass(frozen=True, slots=True)
class ActivationStats:
    """Summary of one activation tensor whose first axis is the batch."""

    mean: float
    std: float
    signal_std: float
    zero_frac: float
    saturated_frac: float | None


def activation_stats(values: ArrayLike, saturation: str | None = None) -> ActivationStats:
    """Mean, std, signal std, exact-zero and saturated fractions of a ``(batch, ...)`` array.

    ``signal_std`` is ``sqrt(mean over units of the variance across the batch)``: it falls to
    zero when every example produces the same output, even if the units differ from each other
    (a plain std would then still look healthy). ``saturation`` is ``"tanh"`` (|y| > 0.99),
    ``"sigmoid"`` (y < 0.01 or y > 0.99) or None (not measured).
    """
    a = np.asarray(values, dtype=np.float64)
    if a.ndim < 1 or a.shape[0] < 2:
        raise ValueError(f"values of shape {a.shape} need a batch axis of >= 2 examples")
    flat = a.reshape(a.shape[0], -1)
    if saturation == "tanh":
        sat: float | None = float(np.mean(np.abs(flat) > 0.99))
    elif saturation == "sigmoid":
        sat = float(np.mean((flat < 0.01) | (flat > 0.99)))
    elif saturation is None:
        sat = None
    else:
        raise ValueError(f"saturation={saturation!r} must be 'tanh', 'sigmoid' or None")
    with np.errstate(all="ignore"):
        return ActivationStats(
            mean=float(flat.mean()), std=float(flat.std()),
            signal_std=float(np.sqrt(flat.var(axis=0).mean())),
            zero_frac=float(np.mean(flat == 0.0)), saturated_frac=sat)


def flag_layer(
    stats: ActivationStats, input_signal_std: float, grad_ratio_to_last: float | None,
    thresholds: Mapping[str, float] = DEFAULT_THRESHOLDS,
) -> tuple[str, ...]:
    """Flags for one layer: vanishing/exploding signal or gradient, dead, saturated, non-finite.

    ``grad_ratio_to_last`` is this layer's weight-gradient norm over the last weighted
    layer's (None for layers without weights).
    """
    th = {**DEFAULT_THRESHOLDS, **thresholds}
    flags: list[str] = []
    if not all(math.isfinite(v) for v in (stats.mean, stats.std)):
        flags.append("non_finite")
    elif input_signal_std > 0:
        ratio = stats.signal_std / input_signal_std
        if ratio < th["vanishing"]:
            flags.append("vanishing")
        elif ratio > th["exploding"]:
            flags.append("exploding")
    if stats.zero_frac > th["dead"]:
        flags.append("dead")
    if stats.saturated_frac is not None and stats.saturated_frac > th["saturated"]:
        flags.append("saturated")
    if grad_ratio_to_last is not None:
        if not math.isfinite(grad_ratio_to_last):
            flags.append("non_finite_grad")
        elif grad_ratio_to_last < th["vanishing_grad"]:
            flags.append("vanishing_grad")
        elif grad_ratio_to_last > th["exploding_grad"]:
            flags.append("exploding_grad")
    return tuple(flags)


@dataclass(frozen=True, slots=True)
class LayerStats:
    """One row of an :class:`InitReport` (a leaf module with weights, or an activation)."""

    name: str
    kind: str
    shape: tuple[int, ...]
    mean: float
    std: float
    signal_std: float
    zero_frac: float
    saturated_frac: float | None
    weight_norm: float | None
    grad_norm: float | None
    grad_ratio: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InitReport:
    """Per-layer statistics in forward order; ``str()`` is a table, ``to_dict()`` plain data."""

    layers: tuple[LayerStats, ...]
    input_signal_std: float
    loss: float | None
    thresholds: Mapping[str, float] = field(default_factory=lambda: DEFAULT_THRESHOLDS)
    recommendation: InitAdvice | None = None
    """The initialisation the model's activations call for (see
    :func:`~tunecraft.torch.init_advice.recommend_init`)."""

    def flagged(self) -> tuple[LayerStats, ...]:
        """The layers with at least one flag."""
        return tuple(r for r in self.layers if r.flags)

    @property
    def healthy(self) -> bool:
        """True when no layer is flagged."""
        return not self.flagged()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``input_signal_std``, ``loss``, ``thresholds``, ``layers``."""
        return {"input_signal_std": self.input_signal_std, "loss": self.loss,
                "thresholds": dict(self.thresholds),
                "layers": [{**asdict(r), "shape": list(r.shape), "flags": list(r.flags)}
                           for r in self.layers],
                "recommendation": None if self.recommendation is None else asdict(
                    self.recommendation)}

    def __str__(self) -> str:
        def num(v: float | None, fmt: str = ".3g") -> str:
            return "-" if v is None else format(v, fmt)

        head = ("layer", "kind", "mean", "std", "signal", "zero%", "sat%", "|grad|",
                "grad/w", "flags")
        rows = [head] + [(
            r.name or "(model)", r.kind, num(r.mean), num(r.std), num(r.signal_std),
            num(100 * r.zero_frac, ".1f"),
            num(None if r.saturated_frac is None else 100 * r.saturated_frac, ".1f"),
            num(r.grad_norm), num(r.grad_ratio), ",".join(r.flags)) for r in self.layers]
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                 for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        summary = (f"input signal std {self.input_signal_std:.3g}; "
                   f"{len(self.flagged())} of {len(self.layers)} layers flagged")
        advice = [] if self.recommendation is None else [
            f"recommended initialisation: {self.recommendation}"]
        return "\n".join([*lines, *advice, summary])


def _saturation_kind(module: nn.Module) -> str | None:
    name = type(module).__name__
    if name in ("Tanh", "Hardtanh"):
        return "tanh"
    if name in ("Sigmoid", "Hardsigmoid"):
        return "sigmoid"
    return None


def init_report(
    model: nn.Module, batch: torch.Tensor | tuple[torch.Tensor, ...], *,
    loss_fn: Callable[..., torch.Tensor] | None = None, target: torch.Tensor | None = None,
    thresholds: Mapping[str, float] | None = None, seed: int = 0,
) -> InitReport:
    """Runs ``model`` once forward and once backward on ``batch`` and reports each layer.

    Rows are leaf modules that own parameters or are torch activations, in the order they first
    run (a module called twice reports its first call). Gradients are ``d loss / d weight``
    with ``loss = loss_fn(output, target)`` (or ``loss_fn(output)`` without target); without
    ``loss_fn`` a fixed random cotangent (unit-variance, ``/ batch size``, seeded by ``seed``)
    is back-propagated, so gradient norms measure backward signal flow alone. The model runs
    in its current mode; buffers (BatchNorm statistics) are restored afterwards, gradients
    are computed with ``torch.autograd.grad`` so ``.grad`` is untouched.
    """
    require("torch")
    import torch

    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    unknown = sorted(set(th) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise ValueError(f"unknown thresholds {unknown}; known: {list(DEFAULT_THRESHOLDS)}")
    if target is not None and loss_fn is None:
        raise ValueError("target= needs loss_fn= (e.g. torch.nn.CrossEntropyLoss())")
    inputs = batch if isinstance(batch, (tuple, list)) else (batch,)
    names = {m: n for n, m in model.named_modules()}
    act_module = "torch.nn.modules.activation"
    watched = [m for m in names if not any(True for _ in m.children()) and (
        any(True for _ in m.parameters(recurse=False)) or type(m).__module__ == act_module)]
    outputs: dict[nn.Module, torch.Tensor] = {}

    def hook(mod: nn.Module, args: object, out: object) -> None:
        if mod not in outputs and isinstance(out, torch.Tensor):
            outputs[mod] = out.detach().clone()  # clone: a later in-place op must not alter it

    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    handles = [m.register_forward_hook(hook) for m in watched]
    try:
        with torch.enable_grad():
            out = model(*inputs)
            loss_value, weights, grads = _backward(out, outputs, loss_fn, target, seed)
    finally:
        for h in handles:
            h.remove()
        with torch.no_grad():
            for n, b in model.named_buffers():
                if n in buffers:
                    b.copy_(buffers[n])
    first = inputs[0]
    input_signal = activation_stats(first.detach().double().cpu().numpy()).signal_std
    grad_norms = {m: None if g is None else float(g.detach().double().norm())
                  for m, g in grads.items()}
    last_norm = next((v for v in reversed(grad_norms.values()) if v is not None), None)
    rows = []
    for m, value in outputs.items():
        stats = activation_stats(value.detach().double().cpu().numpy(), _saturation_kind(m))
        w = weights.get(m)
        w_norm = None if w is None else float(w.detach().double().norm())
        g_norm = grad_norms.get(m)
        ratio = None if g_norm is None or not w_norm else g_norm / w_norm
        rel = None if g_norm is None or not last_norm else g_norm / last_norm
        rows.append(LayerStats(
            names[m], type(m).__name__, tuple(value.shape), stats.mean, stats.std,
            stats.signal_std, stats.zero_frac, stats.saturated_frac, w_norm, g_norm, ratio,
            flag_layer(stats, input_signal, rel, th)))
    from tunecraft.torch.init_advice import recommend_for_model

    unstable = any(f in r.flags for r in rows for f in (
        "vanishing_grad", "exploding_grad", "non_finite_grad", "vanishing", "exploding"))
    return InitReport(tuple(rows), input_signal, loss_value, MappingProxyType(th),
                      recommend_for_model(model, unstable=unstable))


def _backward(
    out: Any, outputs: Mapping[nn.Module, torch.Tensor],
    loss_fn: Callable[..., torch.Tensor] | None, target: torch.Tensor | None, seed: int,
) -> tuple[float | None, dict[nn.Module, torch.Tensor], dict[nn.Module, torch.Tensor | None]]:
    """Weight gradients of the watched modules, via autograd.grad (``.grad`` untouched)."""
    require("torch")
    import torch

    weights: dict[nn.Module, torch.Tensor] = {
        m: w for m in outputs
        if isinstance(w := getattr(m, "weight", None), torch.nn.Parameter) and w.requires_grad}
    loss_value: float | None = None
    if loss_fn is not None:
        loss = loss_fn(out) if target is None else loss_fn(out, target)
        loss_value = float(loss.detach())
    if not weights:
        return loss_value, weights, {}
    if loss_fn is not None:
        got = torch.autograd.grad(loss, list(weights.values()), allow_unused=True)
    else:
        if not isinstance(out, torch.Tensor):
            raise TypeError("the model returned a non-tensor; pass loss_fn= to reduce its "
                            "output to a scalar")
        gen = torch.Generator(device=out.device).manual_seed(seed)
        cot = torch.randn(out.shape, generator=gen, device=out.device, dtype=out.dtype)
        got = torch.autograd.grad(out, list(weights.values()),
                                  grad_outputs=cot / max(out.shape[0], 1), allow_unused=True)
    return loss_value, weights, dict(zip(weights, got, strict=True))
