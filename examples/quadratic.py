"""A tiny objective for ``tunecraft run examples/quadratic.yaml`` (and the CLI tests)."""

from __future__ import annotations

import tunecraft


def objective(trial: tunecraft.Trial) -> float:
    """A quadratic bowl whose minimum is at x=2, y=-1; ``kind`` adds a constant penalty.

    ``x``, ``y`` and ``kind`` come from the config's ``space`` (already suggested, so they
    are in ``trial.params``); ``scale`` exists only when kind is "scaled".
    """
    p = trial.params
    value = (p["x"] - 2.0) ** 2 + (p["y"] + 1) ** 2
    if p["kind"] == "scaled":
        value *= p["scale"]
    elif p["kind"] == "shifted":
        value += 1.0
    for step in range(3):  # intermediate values let the pruner work
        trial.report(value + (2 - step), step)
        if trial.should_prune():
            raise tunecraft.TrialPruned()
    return float(value)
