"""Adaptive bracket choice for Hyperband: spend epochs where early rankings hold.

Hyperband (Li et al., JMLR 2018) gives every bracket the same epochs because it does not
know how far a ranking at a low rung predicts the ranking after full training: the most
aggressive bracket wins when it does, the bracket without pruning when it does not (curves
that cross, a plateau before a late drop). Hyper-Tune (Li et al., "Hyper-Tune: Towards
Efficient Hyper-parameter Tuning at Scale", VLDB 2022, Sec. 4.2, bracket selection) measures
that online and samples brackets by it; so does syne-tune's ``HyperTuneBracketDistribution``.

Here, for the first rung ``r_b`` of every bracket ``b`` but the last: over the configurations
that reached ``max_resource``, Kendall's tau-a between their values at ``r_b`` and at
``max_resource`` (ties count as neither order, so a rung where every curve is still at the
same value scores 0), shrunk towards 1 (Hyperband's own assumption) by a prior worth
``PRIOR_PAIRS`` pairs. Bracket ``b`` then gets a share of the epochs proportional to
``max(tau_b, FLOOR)``; the last bracket (first rung = ``max_resource``) has tau = 1. With
every tau = 1 this is Hyperband's equal split; ``FLOOR`` keeps every bracket alive, so a
rung judged on a few configurations can recover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tunecraft.history import History
from tunecraft.system_attrs import lineage

PRIOR_PAIRS = 3.0  # the prior tau = 1 counts as this many pairs
FLOOR = 0.1  # a bracket keeps at least this fraction of the equal share


def _values_at(history: History, steps: Sequence[int], horizon: int
               ) -> list[tuple[float, ...]]:
    """Per configuration that reported a step >= ``horizon``: its signed values at each of
    ``steps`` and at ``horizon`` (the first report at or after each; newest trial of a chain
    of resumed trials, which holds the copied earlier reports)."""
    sign = history.directions[0].sign
    newest: dict[int, tuple[int, tuple[float, ...]]] = {}
    for t in history.trials:
        ivs = t.intermediate_values
        if not ivs or max(ivs) < horizon:
            continue
        row = []
        for target in (*steps, horizon):
            v = next((v for s, v in ivs.items() if s >= target), math.nan)
            row.append(sign * v if math.isfinite(v) else math.nan)
        lin = lineage(t)
        if lin not in newest or t.number > newest[lin][0]:
            newest[lin] = (t.number, tuple(row))
    return [row for _, row in newest.values()]


def kendall_tau_a(x: Sequence[float], y: Sequence[float]) -> tuple[float, int]:
    """``(tau_a, pairs)``: (concordant - discordant) / pairs over the pairs with both values
    finite; a tie in either counts as neither. ``(nan, 0)`` without a pair."""
    pts = [(a, b) for a, b in zip(x, y, strict=True) if math.isfinite(a) and math.isfinite(b)]
    score, pairs = 0, 0
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            pairs += 1
            d = (pts[i][0] - pts[j][0]) * (pts[i][1] - pts[j][1])
            score += (d > 0) - (d < 0)
    return (score / pairs, pairs) if pairs else (math.nan, 0)


def rung_consistency(history: History, first_rungs: Sequence[int], horizon: int
                     ) -> list[tuple[float, int]]:
    """``(tau_a, pairs)`` between each first rung and ``horizon`` (see the module doc)."""
    rows = _values_at(history, first_rungs, horizon)
    final = [r[-1] for r in rows]
    return [kendall_tau_a([r[k] for r in rows], final) for k in range(len(first_rungs))]


def shrunk(tau: float, pairs: int, prior_pairs: float = PRIOR_PAIRS) -> float:
    """Tau shrunk towards 1 by ``prior_pairs`` pseudo-pairs (1 without data)."""
    if pairs == 0 or math.isnan(tau):
        return 1.0
    return (pairs * tau + prior_pairs) / (pairs + prior_pairs)


def epoch_shares(history: History, first_rungs: Sequence[int], horizon: int,
                 floor: float = FLOOR) -> tuple[float, ...]:
    """Each bracket's share of the epochs relative to Hyperband's equal split (in
    ``[floor, 1]``): ``max(shrunk tau, floor)`` for the brackets whose first rungs are
    ``first_rungs``, then 1 for the last bracket."""
    taus = rung_consistency(history, first_rungs, horizon)
    return (*(max(shrunk(t, p), floor) for t, p in taus), 1.0)


def pick(shares: Sequence[float], n: Sequence[int], counts: Sequence[int]) -> int:
    """The bracket of the next new configuration: the largest deficit of configurations
    against targets proportional to ``shares[b] * n[b]`` (Hyperband's ``n_b`` configurations
    spend equal epochs, so this splits the epochs by ``shares``); ties to the lower index."""
    weights = [s * k for s, k in zip(shares, n, strict=True)]
    total = sum(weights)
    done = sum(counts) + 1
    deficit = [w / total * done - c for w, c in zip(weights, counts, strict=True)]
    return max(range(len(deficit)), key=lambda b: (deficit[b], -b))
