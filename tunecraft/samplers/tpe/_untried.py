"""Which TPE candidates are configurations no trial has tried yet, on all-discrete spaces.

On a space of integers, steps and categories (a k-NN's ``n_neighbors`` x ``p`` x ``weights``
has 200 configurations) TPE's density l(x) concentrates on the few best grid points, so the
argmax of ``log l - log g`` over the candidates is often a configuration already evaluated:
on the broad suite's k-NN problems about one suggestion in six repeated an earlier trial at
50 trials (``benchmarks/results/issue-18.md``). A repeat teaches the model nothing about a
deterministic objective (and little about a noisy one), so the sampler takes the best
candidate that is new, and keeps a repeat only when every candidate is one. This is the
"do not re-evaluate" rule of SMAC's and HEBO's acquisition optimisers (Hutter et al. 2011,
LION; Cowen-Rivers et al. 2022, JAIR), applied to TPE's candidate set. Spaces with a
continuous parameter never repeat a configuration in practice and are left alone.
"""

from __future__ import annotations

import numpy as np

from tunecraft.samplers.tpe._encoding import Columns

_MAX_CODES = 2**62  # mixed-radix codes above this would overflow int64: skip the check


def untried(cols: Columns, cand_values: np.ndarray, cand_cats: np.ndarray,
            seen_unit: np.ndarray, seen_cats: np.ndarray) -> np.ndarray | None:
    """(m,) mask of the candidates whose configuration no seen row has, or None when the
    space has a continuous column (or too many grid points to code).

    Args:
        cols: The columns of the space sampled (the whole space of the trial).
        cand_values: (m, dn) candidate values, snapped to the grid (``Columns.snap``).
        cand_cats: (m, dc) candidate choice indices.
        seen_unit: (n, dn) unit coordinates of the trials so far (running ones included).
        seen_cats: (n, dc) their choice indices.
    """
    if not np.all(cols.discrete):
        return None
    sizes = [int(round((h - lo) / s)) + 1
             for lo, h, s in zip(cols.low, cols.high, cols.step, strict=True)]
    sizes += list(cols.n_choices)
    if float(np.prod(np.asarray(sizes, dtype=float))) >= _MAX_CODES:
        return None
    seen = _codes(cols, cols.snap(seen_unit), seen_cats, sizes)
    cand = _codes(cols, cand_values, cand_cats, sizes)
    fresh: np.ndarray = ~np.isin(cand, seen)
    return fresh


def _codes(cols: Columns, values: np.ndarray, cats: np.ndarray, sizes: list[int]) -> np.ndarray:
    """One int64 per row: the mixed-radix number of its grid indices and choice indices."""
    idx = np.rint((values - cols.low) / np.where(cols.step > 0, cols.step, 1.0))
    digits = np.concatenate([idx.astype(np.int64), cats.astype(np.int64)], axis=1)
    digits = np.clip(digits, 0, np.asarray(sizes, dtype=np.int64) - 1)
    code = np.zeros(digits.shape[0], dtype=np.int64)
    for j, size in enumerate(sizes):
        code = code * size + digits[:, j]
    return code
