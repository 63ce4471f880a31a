"""Small tensor helpers of the doctor's instruments: the weighted layers, batched norms and one
host copy per sampled step."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

def _weighted_layers(model: nn.Module) -> list[tuple[str, list[Any]]]:
    """Leaf-ish modules owning a weight matrix/kernel (not embeddings or norms), in
    registration order (first layer first), with those weights."""
    import torch

    layers = []
    for name, module in model.named_modules():
        if isinstance(module, (torch.nn.Embedding, torch.nn.EmbeddingBag)):
            continue
        params = [p for p in module.parameters(recurse=False)
                  if p.requires_grad and p.ndim >= 2]
        if params:
            layers.append((name or type(module).__name__, params))
    if not layers:
        warnings.warn("Doctor: the model has no trainable weight matrix or kernel; gradient "
                      "and update statistics are not measured (only the losses are)",
                      RuntimeWarning, stacklevel=3)
    return layers


def _norms(tensors: list[Any]) -> list[Any]:
    """The L2 norm of each tensor as 0-dim tensors, batched (``torch._foreach_norm``, as
    ``clip_grad_norm_`` uses) when the tensors allow it."""
    import torch

    if not tensors:
        return []
    try:
        return list(torch._foreach_norm(tensors))
    except (RuntimeError, TypeError, AttributeError, NotImplementedError):
        return [torch.linalg.vector_norm(t.float()) for t in tensors]


def _to_floats(tensors: list[Any]) -> list[float]:
    """0-dim tensors as Python floats with one host copy when they share a device."""
    import torch

    if not tensors:
        return []
    try:
        if all(t.ndim == 0 and t.dtype in (torch.float32, torch.int64) for t in tensors):
            # float32 values and counts (below 2**24) are exact in the stacked float32
            return [float(v) for v in torch.stack(tensors).tolist()]
        return [float(v) for v in torch.stack([t.float().reshape(()) for t in tensors]
                                              ).double().cpu().tolist()]
    except RuntimeError:  # tensors on several devices
        return [float(t) for t in tensors]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"end_epoch values must be numbers or None, got {value!r}") from None
