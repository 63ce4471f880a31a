"""Scores of the broad suite: normalised scores, ranks and Wilcoxon signed-rank tests.

- **Normalised score** (as in bayesmark): ``100 * (random_median - loss) / (random_median -
  best_known)`` per problem, where ``best_known`` is the lowest loss any optimiser reached on
  that problem in the pooled runs and ``random_median`` the median over seeds of random
  search's final loss: 100 is the best known, 0 random search's median (negative is worse).
  Scores are clipped below at -100 so that one diverging run cannot dominate a mean.
- **Rank**: per (problem, seed), optimisers ranked by final loss (1 = best, ties averaged),
  then averaged.
- **Significance**: a two-sided Wilcoxon signed-rank test over the paired (problem, seed)
  scores of two optimisers (Wilcoxon 1945; ``scipy.stats.wilcoxon``, zero differences
  dropped by the Pratt-free default ``zero_method="wilcox"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

#: results[problem][optimizer] = final loss per seed (same seeds, same order, for every one)
Results = Mapping[str, Mapping[str, Sequence[float]]]
RANDOM = "tunecraft-random"


def scores(results: Results, random: str = RANDOM) -> dict[str, dict[str, np.ndarray]]:
    """problem -> optimiser -> normalised score per seed."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for problem, by_opt in results.items():
        pooled = [v for vals in by_opt.values() for v in vals if math.isfinite(v)]
        if not pooled or random not in by_opt:
            continue
        best = min(pooled)
        ref = float(np.median(by_opt[random]))
        span = ref - best
        out[problem] = {}
        for opt, vals in by_opt.items():
            arr = np.asarray(vals, dtype=float)
            s = 100.0 * (ref - arr) / span if span > 0 else np.where(arr <= best, 100.0, 0.0)
            out[problem][opt] = np.clip(np.nan_to_num(s, nan=-100.0), -100.0, 100.0)
    return out


def ranks(results: Results) -> dict[str, float]:
    """Optimiser -> mean rank over (problem, seed) (1 = best)."""
    from scipy.stats import rankdata

    total: dict[str, list[float]] = {}
    for by_opt in results.values():
        opts = list(by_opt)
        table = np.array([np.nan_to_num(np.asarray(by_opt[o], dtype=float), nan=np.inf)
                          for o in opts])
        for seed in range(table.shape[1]):
            for o, r in zip(opts, rankdata(table[:, seed]), strict=True):
                total.setdefault(o, []).append(float(r))
    return {o: float(np.mean(r)) for o, r in total.items()}


def wilcoxon(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value that paired samples ``a`` and ``b`` differ (1.0 when all equal)."""
    from scipy.stats import wilcoxon as test

    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if np.all(diff == 0) or len(diff) < 2:
        return 1.0
    return float(test(diff).pvalue)


def summary(results: Results, random: str = RANDOM) -> dict[str, dict[str, float]]:
    """Optimiser -> {"score": mean over problems of the median score over seeds, "rank"}."""
    sc = scores(results, random)
    rk = ranks(results)
    opts = sorted({o for by in sc.values() for o in by})
    return {o: {"score": float(np.mean([np.median(sc[p][o]) for p in sc if o in sc[p]])),
                "rank": rk.get(o, math.nan)} for o in opts}


def paired(results: Results, a: str, b: str, random: str = RANDOM) -> tuple[float, float]:
    """(mean score difference a - b, Wilcoxon p-value) over every (problem, seed)."""
    sc = scores(results, random)
    xa = [v for p in sc if a in sc[p] and b in sc[p] for v in sc[p][a]]
    xb = [v for p in sc if a in sc[p] and b in sc[p] for v in sc[p][b]]
    if not xa:
        return math.nan, math.nan
    return float(np.mean(xa) - np.mean(xb)), wilcoxon(xa, xb)
