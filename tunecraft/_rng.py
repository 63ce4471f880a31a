"""Per-trial random generators, derived from the study seed and the trial number.

A trial's generator depends only on ``(seed, number)``, never on which process or thread runs
it, so seeded studies draw the same values whatever the degree of parallelism.
"""

from __future__ import annotations

import secrets

import numpy as np


def fresh_seed() -> int:
    """A random 63-bit seed, for samplers created without one."""
    return secrets.randbits(63)


def trial_rng(seed: int, number: int, stream: int = 0) -> np.random.Generator:
    """The generator of trial ``number`` in a study seeded with ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([seed, number, stream]))
