"""One call to seed every global random generator a training run draws from."""

from __future__ import annotations

import random

import numpy as np

from tunecraft._imports import require
from tunecraft._validation import Interval, check

__all__ = ["seed_everything"]


def seed_everything(seed: int, *, deterministic: bool = False) -> None:
    """Seeds Python's ``random``, numpy's legacy global generator and torch (CPU and CUDA).

    ``deterministic=True`` also asks torch for deterministic kernels
    (``torch.use_deterministic_algorithms(True, warn_only=True)`` and cuDNN's deterministic
    mode without benchmarking): slower, but repeatable on GPU. It is process-wide; it is not
    undone when the run ends.
    """
    check("seed", seed, Interval(int, 0, 2**32, closed="left", label="an integer in [0, 2**32)"))
    random.seed(seed)
    np.random.seed(seed)
    torch = require("torch")
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
