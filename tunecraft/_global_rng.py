"""Snapshot and exact restore of every global random generator: torch (CPU and CUDA, once
initialised), Python ``random`` and numpy.

Probing tools (``tunecraft.torch``'s LR range test and batch-size finder, ``tunecraft.keras``'s
LR range test) train for a few steps and must leave the generators where they were, so that
the training that follows draws the same numbers as without the probe. Imports torch when
called.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RNGState", "restore_rng", "take_rng"]


@dataclass(frozen=True)
class RNGState:
    """The global generators: torch CPU (and CUDA, once initialised), ``random``, numpy."""

    torch_rng: Any
    cuda_rng: Any
    python_rng: Any
    numpy_rng: Any


def take_rng() -> RNGState:
    """Copy the state of every global random generator."""
    import torch

    initialized = torch.cuda.is_initialized()  # type: ignore[no-untyped-call]
    cuda_rng = torch.cuda.get_rng_state_all() if initialized else None
    return RNGState(torch.get_rng_state(), cuda_rng, random.getstate(), np.random.get_state())


def restore_rng(state: RNGState) -> None:
    """Put the global random generators back to ``state``."""
    import torch

    torch.set_rng_state(state.torch_rng)
    if state.cuda_rng is not None:
        torch.cuda.set_rng_state_all(state.cuda_rng)
    random.setstate(state.python_rng)
    np.random.set_state(state.numpy_rng)
