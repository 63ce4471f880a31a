"""TPE's start-up trials as one Latin hypercube (McKay, Beckman & Conover 1979, Technometrics).

Until ``n_startup_trials`` trials have finished TPE has no model and samples blindly. Drawn
independently, ten points leave whole stretches of an axis empty and pile several onto one
region (a 1..25 integer gets the same value twice in ten draws with probability 0.87). A
Latin hypercube of the start-up size puts trial ``k``'s value of each parameter in its own
``1/n`` stratum of that parameter's unit coordinate, so every axis (log-scaled, integer or
categorical) is covered evenly by the time the model starts.

Each parameter gets its own permutation of the strata, seeded by the sampler's seed and the
parameter's name (so the design needs no joint space, works define-by-run, and a parameter
added later or sampled conditionally is still stratified), and trial ``k`` takes stratum
``perm[k]`` with a uniform jitter drawn from the trial's own generator: the same seed gives
the same trials in any process and under any parallelism. Trials numbered beyond the design
(start-up trials that failed and were replaced, or a TPE that takes over a running study)
are drawn uniformly, as before.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from tunecraft.space import Dim


def startup_sample(space: Mapping[str, Dim], rng: np.random.Generator, seed: int,
                   number: int, n_startup: int) -> dict[str, Any]:
    """Trial ``number``'s start-up values: its row of the Latin hypercube of size
    ``n_startup`` when ``number < n_startup``, uniform draws otherwise."""
    out: dict[str, Any] = {}
    for name, dim in space.items():
        u = rng.random()
        if 0 <= number < n_startup:
            key = zlib.crc32(name.encode("utf-8"))
            perm = np.random.default_rng([seed % 2**63, key, n_startup]).permutation(n_startup)
            u = (int(perm[number]) + u) / n_startup
        out[name] = dim.from_unit(u)
    return out
