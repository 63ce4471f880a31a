"""Simulated learning curves for scheduler tests, with checkpoints (a JSON blob of the step).

``loss(x, step) = (1 - x) + 1 / step``: curves never cross, so the configuration with the
largest ``x`` is the best at every step. The objective resumes from its checkpoint when it
continues a paused trial, and counts the steps it really trained in ``TRAINED``.
"""

from __future__ import annotations

import json

import tunecraft
from tunecraft.exceptions import TrialPruned
from tunecraft.pruners import Decision

TRAINED: list[int] = []  # steps trained, one entry per trial run in this process


def loss(x: float, step: int) -> float:
    return (1.0 - x) + 1.0 / step


def make_objective(max_steps: int, *, checkpoints: bool = True):  # type: ignore[no-untyped-def]
    """An objective that reports ``loss(x, step)`` for steps 1..max_steps."""

    def objective(trial: tunecraft.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        start = 1
        blob = trial.load_checkpoint() if checkpoints else None
        if blob is not None:
            start = int(json.loads(blob)["step"]) + 1
        trained = 0
        try:
            for step in range(start, max_steps + 1):
                trained += 1
                trial.report(loss(x, step), step)
                decision = trial.decide()
                if decision is Decision.PAUSE and checkpoints:
                    trial.save_checkpoint(json.dumps({"step": step}).encode(), step)
                if decision is not Decision.CONTINUE:
                    raise TrialPruned()
        finally:
            TRAINED.append(trained)
        return loss(x, max_steps)

    return objective
