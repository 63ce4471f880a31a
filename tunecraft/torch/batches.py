"""How :func:`tunecraft.torch.fit` reads a batch, calls the model and finds the loss and logits.

Three small hooks, each replaceable by a keyword of ``fit``:

* ``unpack(batch) -> (inputs, targets)``. The default (:func:`default_unpack`) takes a pair
  ``(inputs, targets)``; a mapping with a ``"labels"`` key (Hugging Face style) as
  ``(the whole mapping, batch["labels"])``; anything else (longer tuples such as
  ``(x, mask, y)``, other mappings, custom objects) is refused with a message asking for an
  ``unpack``, because guessing which parts are the target silently trains the wrong thing.
* ``forward(model, inputs) -> outputs``. The default (:func:`default_forward`) calls
  ``model(**inputs)`` for a mapping, ``model(*inputs)`` for a tuple or list, and
  ``model(inputs)`` otherwise.
* The outputs: a tensor (the logits), or an object or mapping with ``loss`` and ``logits``
  (``transformers``' ``ModelOutput``) or a tuple whose first entry is the logits.
  :func:`logits_of` and :func:`model_loss` read them; ``fit(loss=None)`` uses the model's own
  loss when its outputs carry one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["batch_size_of", "default_forward", "default_unpack", "logits_of", "model_loss"]


def default_unpack(batch: Any) -> tuple[Any, Any]:
    """``(inputs, targets)`` of a pair or of a Hugging Face-style mapping with ``"labels"``."""
    if isinstance(batch, Mapping):
        if "labels" in batch:
            return batch, batch["labels"]
        raise TypeError(
            f"a mapping batch with keys {sorted(map(str, batch))} has no 'labels' key; pass "
            "fit(..., unpack=lambda b: (inputs, targets)), e.g. "
            "unpack=lambda b: ({'x': b['x']}, b['y'])")
    if isinstance(batch, (tuple, list)):
        if len(batch) == 2:
            return batch[0], batch[1]
        raise TypeError(
            f"a batch of {len(batch)} entries is ambiguous: which are inputs, which the "
            "target? Pass fit(..., unpack=...), e.g. unpack=lambda b: ((b[0], b[1]), b[2]) "
            "for (x, mask, y), which calls model(x, mask)")
    raise TypeError(
        f"fit cannot read a batch of type {type(batch).__name__}; pass "
        "fit(..., unpack=lambda batch: (inputs, targets)) and, if the model takes the "
        "inputs another way, forward=lambda model, inputs: model(...)")


def default_forward(model: nn.Module, inputs: Any) -> Any:
    """``model(**inputs)`` for a mapping, ``model(*inputs)`` for a tuple/list, else
    ``model(inputs)``."""
    if isinstance(inputs, Mapping):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def _field(outputs: Any, name: str) -> Any:
    if isinstance(outputs, Mapping):
        return outputs.get(name)
    return getattr(outputs, name, None)


def model_loss(outputs: Any) -> Tensor | None:
    """The loss the model computed itself (``outputs.loss`` or ``outputs["loss"]``), if any."""
    import torch

    loss = _field(outputs, "loss")
    return loss if isinstance(loss, torch.Tensor) else None


def logits_of(outputs: Any) -> Tensor:
    """The predictions in ``outputs``: the tensor itself, its ``logits`` field, or the first
    entry of a tuple."""
    import torch

    if isinstance(outputs, torch.Tensor):
        return outputs
    logits = _field(outputs, "logits")
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(outputs, (tuple, list)) and outputs and isinstance(outputs[0], torch.Tensor):
        return outputs[0]
    raise TypeError(
        f"cannot find the predictions in a model output of type {type(outputs).__name__}; "
        "return a tensor, a mapping or object with 'logits', or pass fit(forward=...) that "
        "returns one")


def batch_size_of(targets: Any, inputs: Any) -> int:
    """Samples in a batch: the length of the targets (or of the first tensor in the inputs)."""
    import torch

    for t in (targets, inputs):
        if isinstance(t, torch.Tensor) and t.ndim > 0:
            return int(t.shape[0])
        if isinstance(t, Mapping):
            for v in t.values():
                if isinstance(v, torch.Tensor) and v.ndim > 0:
                    return int(v.shape[0])
        if isinstance(t, (tuple, list)):
            for v in t:
                if isinstance(v, torch.Tensor) and v.ndim > 0:
                    return int(v.shape[0])
    return 1
