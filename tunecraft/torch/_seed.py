"""One call to seed every global random generator a training run draws from."""

from __future__ import annotations

import random

import numpy as np

from tunecraft._imports import require

__all__ = ["seed_everything"]


def seed_everything(seed: int, *, deterministic: bool = False) -> None:
    """Seeds Python's ``random``, numpy's legacy global generator and torch (CPU and CUDA).

    ``deterministic=True`` also asks torch for deterministic kernels
    (``torch.use_deterministic_algorithms(True, warn_only=True)`` and cuDNN's deterministic
    mode without benchmarking): slower, but repeatable on GPU. It is process-wide; it is not
    undone when the run ends.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed={seed!r} must be an int in [0, 2**32)")
    random.seed(seed)
    np.random.seed(seed)
    torch = require("torch")
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
