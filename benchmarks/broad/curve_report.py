"""The multi-fidelity table of the broad suite: best score at the budget per family, each
tunecraft method against Optuna's and against the best of the peers (DEHB, syne-tune), and
epochs to random search's best."""

from __future__ import annotations

import numpy as np

from benchmarks.broad import curves, stats
from benchmarks.broad.curve_peers import PEERS

OPTUNA = "optuna-tpe-hyperband"


def mf_table(runs: list[curves.MFRun], n_random: int) -> list[str]:
    """Per family: the median best score at the budget; each tunecraft method over Optuna's
    and over the peer (DEHB or syne-tune) with the lowest median in that family (ratio of
    medians, paired Wilcoxon p over seeds); and, for every method, the median over seeds of
    the epochs it needs to reach random search's best of the seed, over the epochs random
    search needs on average to reach it (``curves.random_epochs``; "inf" when not reached)."""
    budget = n_random * curves.R
    methods = list(dict.fromkeys(r.method for r in runs))
    tc = [m for m in methods if m.startswith("tc-")]
    peers = [m for m in methods if m in PEERS]
    others = [m for m in methods if m != "random-full"]
    head = [*methods, *(f"{m} / optuna (p)" for m in tc if OPTUNA in methods),
            *(f"{m} / best peer (p)" for m in tc if peers)]
    if peers:
        head.append("best peer")
    lines = [f"### curves: best score (error at epoch {curves.R}) at {budget} epochs, median "
             "over seeds", "", "| family | " + " | ".join(head) + " |",
             "|---|" + "---|" * len(head)]
    epochs = ["", "### curves: epochs to random search's best / random search's (median "
              "over seeds)", "", "| family | " + " | ".join(others) + " |",
              "|---|" + "---|" * len(others)]
    for fam in dict.fromkeys(r.family for r in runs):
        by = {m: sorted((r for r in runs if r.family == fam and r.method == m),
                        key=lambda r: r.seed) for m in methods}
        best = {m: [r.best_at(budget) for r in by[m]] for m in methods}
        med = {m: float(np.median(best[m])) for m in methods}
        cells = [f"{med[m]:.4f}" for m in methods]
        if OPTUNA in methods:
            cells += [f"{med[m] / med[OPTUNA]:.2f} ({stats.wilcoxon(best[m], best[OPTUNA]):.2g})"
                      for m in tc]
        if peers:
            top = min(peers, key=lambda m: med[m])
            cells += [f"{med[m] / med[top]:.2f} ({stats.wilcoxon(best[m], best[top]):.2g})"
                      for m in tc]
            cells.append(top)
        lines.append(f"| {fam} | " + " | ".join(cells) + " |")
        if "random-full" in methods:
            row = []
            for m in others:
                ratio = [t.epochs_to(r.best[-1]) / curves.random_epochs(fam, r.seed, r.best[-1])
                         for t, r in zip(by[m], by["random-full"], strict=True)]
                row.append(f"{np.median(ratio):.2f}")
            epochs.append(f"| {fam} | " + " | ".join(row) + " |")
    return [*lines, *(epochs if "random-full" in methods else []), ""]
