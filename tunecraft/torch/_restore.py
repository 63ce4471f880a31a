"""Snapshot and exact restore of a model, its optimizer and every random generator.

Probing tools (LR range test, batch-size finder) train for a few steps and must leave no trace:
parameters and buffers come back bit-identical, the optimizer's state_dict equal, ``.grad``
tensors and train/eval flags as they were, and the torch (CPU and CUDA), Python ``random`` and
numpy global generators where they were, so that the training that follows is unaffected.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunecraft._global_rng import RNGState, restore_rng, take_rng

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Snapshot:
    """Everything :func:`restore` puts back (tensors are private clones)."""

    model_state: dict[str, Any]
    training: tuple[bool, ...]
    grads: tuple[Any, ...]
    optimizer_state: dict[str, Any] | None
    rng: RNGState


def take(model: torch.nn.Module, optimizer: torch.optim.Optimizer | None) -> Snapshot:
    """Copy the state of ``model``, ``optimizer`` (if any) and the global RNGs."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grads = tuple(None if p.grad is None else p.grad.detach().clone()
                  for p in model.parameters())
    return Snapshot(
        model_state=state,
        training=tuple(m.training for m in model.modules()),
        grads=grads,
        optimizer_state=None if optimizer is None else copy.deepcopy(optimizer.state_dict()),
        rng=take_rng(),
    )


def restore(snap: Snapshot, model: torch.nn.Module,
            optimizer: torch.optim.Optimizer | None) -> None:
    """Put back what :func:`take` copied (in place, so references to parameters stay valid)."""
    model.load_state_dict(snap.model_state)
    for module, flag in zip(model.modules(), snap.training, strict=True):
        module.training = flag
    for param, grad in zip(model.parameters(), snap.grads, strict=True):
        param.grad = grad
    if optimizer is not None and snap.optimizer_state is not None:
        optimizer.load_state_dict(copy.deepcopy(snap.optimizer_state))
    restore_rng(snap.rng)
