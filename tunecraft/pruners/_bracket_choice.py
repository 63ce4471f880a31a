"""Adaptive bracket choice for Hyperband: spend epochs where early rankings hold.

Hyperband (Li et al., JMLR 2018) gives every bracket the same epochs because it does not
know how far a ranking at a low rung predicts the ranking after full training: the most
aggressive bracket wins when it does, the bracket without pruning when it does not (curves
that cross, a plateau before a late drop). Hyper-Tune (Li et al., "Hyper-Tune: Towards
Efficient Hyper-parameter Tuning at Scale", VLDB 2022, Sec. 4.2, bracket selection) measures
that online and samples brackets by it; so does syne-tune's ``HyperTuneBracketDistribution``.

Here, for the first rung ``r_b`` of every bracket ``b`` but the last: over the configurations
of the last bracket (trained to ``max_resource`` without a rung; survivors of a rung are a
range-restricted sample, see ``_values_at``), Kendall's tau-a between their values at
``r_b`` and at ``max_resource`` (ties count as neither order, so a rung where every curve is
still at the same value scores 0), shrunk towards 1 (Hyperband's own assumption) by a prior worth
``PRIOR_PAIRS`` pairs. Bracket ``b`` then gets a share of the epochs proportional to
``max(tau_b, FLOOR)``; the last bracket (first rung = ``max_resource``) has tau = 1. With
every tau = 1 this is Hyperband's equal split, pick for pick (``pick``); ``FLOOR`` keeps
every bracket alive, so a rung judged on a few configurations can recover.

Noise at ``max_resource`` lowers every tau, though it misleads the bracket without pruning
just as much: with noisy reports every bracket would lose its share to the last one. So tau
is corrected for the attenuation by that noise (Spearman, Am. J. Psychol. 1904: ``r / sqrt(
r_yy)`` with ``r_yy`` the reliability of the criterion), ``r_yy`` measured as the agreement
of the values at ``max_resource - 1`` and ``max_resource`` (needs a report at both; else no
correction), each tau mapped to a correlation by Greiner's relation ``r = sin(pi tau / 2)``
and back. Noise-free curves have ``r_yy = 1`` and are unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tunecraft.history import History
from tunecraft.record import FrozenTrial
from tunecraft.system_attrs import budget_of, lineage

PRIOR_PAIRS = 3.0  # the prior tau = 1 counts as this many pairs
FLOOR = 0.1  # a bracket keeps at least this fraction of the equal share


def _selected(trial: FrozenTrial) -> bool:
    """Whether the trial's bracket has rungs below ``max_resource``: whether it reached the
    full budget by winning at a rung."""
    budget = budget_of(trial)
    return budget is not None and bool(budget.rungs)


def _values_at(history: History, steps: Sequence[int], horizon: int
               ) -> list[tuple[float, ...]]:
    """Per configuration that reported a step >= ``horizon`` in a bracket without rungs (the
    last one): its signed values at each of ``steps`` and at ``horizon`` (the first report at
    or after each; newest trial of a chain of resumed trials, which holds the copied earlier
    reports).

    Why only that bracket: a configuration of another bracket reached ``horizon`` because it
    ranked in the top ``1 / eta`` at its rungs, so those survivors cover a narrow band of
    the rung values, and rank agreement within a narrow band is low even for a rung that
    separates good from bad configurations well (range restriction; on the digits MLP the
    survivors gave tau = 0.3 at rung 1 where every bad configuration was bad at rung 1).
    """
    sign = history.directions[0].sign
    newest: dict[int, tuple[int, tuple[float, ...]]] = {}
    for t in history.trials:
        ivs = t.intermediate_values
        if not ivs or max(ivs) < horizon or _selected(t):
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


def reliability(history: History, horizon: int) -> tuple[float, int]:
    """``(tau, pairs)`` between the values at ``horizon - 1`` and ``horizon`` of the
    configurations trained in full: how well the final ranking agrees with itself one step
    apart (1 for noise-free curves). A pair tied at both steps agrees; a curve without a
    report at ``horizon - 1`` is compared with its value at ``horizon`` (no evidence of
    noise)."""
    rows = _values_at(history, [horizon - 1], horizon)
    pts = [r for r in rows if math.isfinite(r[0]) and math.isfinite(r[1])]
    score, pairs = 0, 0
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            a, b = pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]
            pairs += 1
            score += 1 if a * b > 0 or a == b == 0 else -1 if a * b < 0 else 0
    return (score / pairs, pairs) if pairs else (math.nan, 0)


def disattenuated(tau: float, tau_yy: float) -> float:
    """``tau`` corrected for the unreliability ``tau_yy`` of the criterion (Spearman 1904,
    via Greiner's ``r = sin(pi tau / 2)``); ``tau`` itself when ``tau_yy <= 0``."""
    r_yy = math.sin(math.pi * tau_yy / 2)
    if r_yy <= 0:
        return tau
    r = math.sin(math.pi * tau / 2) / math.sqrt(r_yy)
    return 2 / math.pi * math.asin(max(-1.0, min(1.0, r)))


def shrunk(tau: float, pairs: int, prior_pairs: float = PRIOR_PAIRS) -> float:
    """Tau shrunk towards 1 by ``prior_pairs`` pseudo-pairs (1 without data)."""
    if pairs == 0 or math.isnan(tau):
        return 1.0
    return (pairs * tau + prior_pairs) / (pairs + prior_pairs)


def epoch_shares(history: History, first_rungs: Sequence[int], horizon: int,
                 floor: float = FLOOR) -> tuple[float, ...]:
    """Each bracket's share of the epochs relative to Hyperband's equal split (in
    ``[floor, 1]``): ``max(shrunk tau, floor)`` for the brackets whose first rungs are
    ``first_rungs``, tau corrected for the noise at ``horizon`` (``disattenuated`` by the
    shrunk ``reliability``), then 1 for the last bracket."""
    taus = rung_consistency(history, first_rungs, horizon)
    tau_yy = shrunk(*reliability(history, horizon))
    return (*(max(disattenuated(shrunk(t, p), tau_yy), floor) for t, p in taus), 1.0)


def pick(shares: Sequence[float], n: Sequence[int], counts: Sequence[int]) -> int:
    """The bracket of the next new configuration: the largest deficit of configurations
    against targets proportional to ``shares[b] * n[b]`` (Hyperband's ``n_b`` configurations
    spend equal epochs, so this splits the epochs by ``shares``); ties to the lower index."""
    weights = [s * k for s, k in zip(shares, n, strict=True)]
    total = sum(weights)
    done = sum(counts) + 1
    # the deficit times ``total``: exact for integer weights, so that equal shares give
    # the smooth weighted round robin of ``bracket_choice="equal"`` pick for pick
    deficit = [w * done - c * total for w, c in zip(weights, counts, strict=True)]
    return max(range(len(deficit)), key=lambda b: (deficit[b], -b))
