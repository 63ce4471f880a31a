"""Declare failures as constraint violations, so that samplers learn to avoid their region.

A deep-learning trial that runs out of memory (a batch too large for the GPU, a model too
wide) fails without a value. Marked FAIL alone, it teaches the sampler nothing, and the next
trials may well run out of memory in the same place. Wrapped with :func:`oom_as_infeasible`,
the trial records the violated constraint ``[1.0]`` before failing: it stays FAIL (and is never
the best trial), but constraint-aware samplers (TPE, GP, NSGA-II, CMA-ES) treat it as an
infeasible observation and steer away from it.

Example:
    >>> import tunecraft as tc
    >>> from tunecraft.constraints import oom_as_infeasible
    >>> @oom_as_infeasible
    ... def objective(trial):
    ...     batch = trial.suggest_int("batch", 16, 4096, log=True)
    ...     if batch > 1024:
    ...         raise MemoryError("CUDA out of memory")  # what training would raise
    ...     return 1.0 / batch
    >>> study = tc.create_study()
    >>> study.optimize(objective, n_trials=20)
    >>> all(t.state.name == "COMPLETE" or t.constraints == (1.0,) for t in study.trials)
    True
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from tunecraft.trial import Trial

R = TypeVar("R")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` reports running out of memory: ``MemoryError``, torch's
    ``OutOfMemoryError`` (CUDA or other devices), or a RuntimeError saying "out of memory"
    (older torch, cuDNN, XLA)."""
    if isinstance(exc, MemoryError):
        return True
    if any(cls.__name__ == "OutOfMemoryError" for cls in type(exc).__mro__):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def infeasible_on(
    predicate: Callable[[BaseException], bool], violation: float = 1.0
) -> Callable[[Callable[[Trial], R]], Callable[[Trial], R]]:
    """A decorator for objectives: when an exception for which ``predicate`` is true escapes,
    record ``trial.set_constraint([violation])`` and re-raise (the trial is FAIL)."""
    if not violation > 0:
        raise ValueError(f"violation={violation!r} must be > 0 (a violated constraint)")

    def wrap(objective: Callable[[Trial], R]) -> Callable[[Trial], R]:
        @functools.wraps(objective)
        def run(trial: Trial, *args: Any, **kwargs: Any) -> R:
            try:
                return objective(trial, *args, **kwargs)
            except BaseException as exc:
                if predicate(exc):
                    trial.set_constraint([violation])
                raise

        return run

    return wrap


def oom_as_infeasible(objective: Callable[[Trial], R]) -> Callable[[Trial], R]:
    """Wrap an objective so that out-of-memory failures are recorded as violated
    constraints (see the module docstring)."""
    return infeasible_on(is_out_of_memory)(objective)
