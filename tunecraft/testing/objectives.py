"""Importable objectives for tests of worker processes, Dask and Ray.

Workers in other processes import the objective by name, so it must live in a module they can
import; these live in the package so that any worker that has tunecraft has them. Each one
records where it ran (pid, ``CUDA_VISIBLE_DEVICES``, start and end times) as user attributes,
flushed at once, so a test can watch a trial from outside and kill its process.
"""

from __future__ import annotations

import os
import time

from tunecraft.record import FrozenTrial
from tunecraft.trial import Trial


def _mark(trial: Trial) -> None:
    trial.set_user_attr("pid", os.getpid())
    trial.set_user_attr("device", os.environ.get("CUDA_VISIBLE_DEVICES"))
    trial.set_user_attr("start", time.time())
    trial.flush()


def quadratic(trial: Trial) -> float:
    """Instant: two parameters, no reports."""
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_int("y", 0, 9)
    return (x - 0.5) ** 2 + y


def x_below_zero(trial: FrozenTrial) -> list[float]:
    """A constraint for :func:`quadratic`: feasible when ``x <= 0`` (violation ``x``)."""
    return [float(trial.params["x"])]


def reporting(trial: Trial) -> float:
    """Instant, with ten reports (per-epoch reporting)."""
    x = trial.suggest_float("x", -2.0, 2.0)
    for step in range(10):
        trial.report((x - 0.5) ** 2 + 1.0 / (step + 1), step)
    return (x - 0.5) ** 2


def sleepy(trial: Trial) -> float:
    """Marks where it runs, then sleeps ``TUNECRAFT_TEST_SLEEP`` seconds (default 0.5)."""
    x = trial.suggest_float("x", -2.0, 2.0)
    _mark(trial)
    time.sleep(float(os.environ.get("TUNECRAFT_TEST_SLEEP", "0.5")))
    trial.set_user_attr("end", time.time())
    return (x - 0.5) ** 2


def one_second(trial: Trial) -> float:
    """A one-second trial, for parallel-efficiency measurements."""
    x = trial.suggest_float("x", -2.0, 2.0)
    time.sleep(1.0)
    return x * x


def pruned_when_told(trial: Trial) -> float:
    """Reports every 0.05 s until ``should_prune()`` says stop (or 200 steps)."""
    from tunecraft.exceptions import TrialPruned

    _mark(trial)
    for step in range(200):
        trial.report(float(step), step)
        if trial.should_prune():
            raise TrialPruned()
        time.sleep(0.05)
    return 0.0
