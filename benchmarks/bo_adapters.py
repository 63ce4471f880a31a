"""Adapters and multi-objective problems of the sample-efficient-search benchmark (bo.py).

Each single-objective adapter runs a problem of ``benchmarks.problems`` for ``n_trials``
trials with one seed and returns the loss of every trial and the overhead before each trial
(the time outside the objective: tell, ask, sampling, suggest calls). Multi-objective
adapters return the objective vectors instead. Libraries are imported when an adapter runs.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.adapters import suggest_all
from benchmarks.problems import Problem
from tunecraft.space import Dim, Float


@dataclass(frozen=True)
class Trace:
    """One run: each trial's values (n, m) (NaN where it failed) and overhead (seconds)."""

    values: np.ndarray
    overhead: np.ndarray


class _Timer:
    """Wraps an evaluation: records values and the time spent outside evaluations."""

    def __init__(self, evaluate: Callable[[dict[str, Any]], Any]) -> None:
        self.evaluate = evaluate
        self.values: list[tuple[float, ...]] = []
        self.overhead: list[float] = []
        self.last = time.perf_counter()

    def __call__(self, params: dict[str, Any]) -> Any:
        start = time.perf_counter()
        self.overhead.append(start - self.last)
        try:
            out = self.evaluate(params)
        except Exception:
            out = math.nan
        vec = tuple(float(v) for v in np.atleast_1d(out))
        self.values.append(vec)
        self.last = time.perf_counter()
        return out

    def trace(self) -> Trace:
        width = max((len(v) for v in self.values), default=1)
        vals = np.array([v if len(v) == width else (math.nan,) * width for v in self.values])
        return Trace(vals.reshape(len(self.values), width), np.array(self.overhead))


# ---------------------------------------------------------------------------------- MO problems
@dataclass(frozen=True)
class MOProblem:
    """A multi-objective problem: every objective minimised, with a reference point for HV."""

    name: str
    space: Mapping[str, Dim]
    evaluate: Callable[[Mapping[str, Any]], tuple[float, ...]]
    reference: tuple[float, ...]
    description: str


def _zdt1(p: Mapping[str, Any]) -> tuple[float, ...]:
    x = np.array([p[f"x{i}"] for i in range(6)])
    g = 1 + 9 * x[1:].mean()
    return float(x[0]), float(g * (1 - math.sqrt(x[0] / g)))


def _dtlz2(p: Mapping[str, Any]) -> tuple[float, ...]:
    x = np.array([p[f"x{i}"] for i in range(6)])
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return ((1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a))


MO_PROBLEMS = {
    "zdt1": MOProblem("zdt1", {f"x{i}": Float(0.0, 1.0) for i in range(6)}, _zdt1, (1.1, 1.1),
                      "ZDT1 6-D, 2 objectives, HV with reference (1.1, 1.1); optimum 0.8767"),
    "dtlz2": MOProblem("dtlz2", {f"x{i}": Float(0.0, 1.0) for i in range(6)}, _dtlz2,
                       (1.1, 1.1, 1.1), "DTLZ2 6-D, 3 objectives, HV with reference 1.1^3; "
                       "optimum 1.331 - pi/6 = 0.8074"),
}


# ---------------------------------------------------------------------------------- runners
def _tunecraft(make: Callable[[int], Any], space: Mapping[str, Dim],
               evaluate: Callable[[dict[str, Any]], Any], n_trials: int, seed: int,
               n_objectives: int) -> Trace:
    import tunecraft

    timer = _Timer(evaluate)
    study = tunecraft.create_study(sampler=make(seed), pruner=tunecraft.pruners.NopPruner(),
                                   directions=["minimize"] * n_objectives)
    timer.last = time.perf_counter()
    study.optimize(lambda t: timer(suggest_all(t, space)), n_trials=n_trials)
    return timer.trace()


def _optuna(make: Callable[[Any, int], Any], space: Mapping[str, Dim],
            evaluate: Callable[[dict[str, Any]], Any], n_trials: int, seed: int,
            n_objectives: int) -> Trace:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    timer = _Timer(evaluate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(sampler=make(optuna.samplers, seed),
                                    directions=["minimize"] * n_objectives)
        timer.last = time.perf_counter()
        study.optimize(lambda t: timer(suggest_all(t, space)), n_trials=n_trials)
    return timer.trace()


def _tc(name: str, **kwargs: Any) -> Callable[[int], Any]:
    def make(seed: int) -> Any:
        import tunecraft.samplers as s

        return getattr(s, name)(seed=seed, **kwargs)

    return make


TUNECRAFT: dict[str, Callable[[int], Any]] = {
    "tunecraft-gp": _tc("GPSampler"),
    "tunecraft-auto": _tc("AutoSampler"),
    "tunecraft-cmaes": _tc("CmaEsSampler"),
    "tunecraft-tpe": _tc("TPESampler"),
    "tunecraft-nsga2": _tc("NSGAIISampler"),
    "tunecraft-nsga3": _tc("NSGAIIISampler"),
}
OPTUNA: dict[str, Callable[[Any, int], Any]] = {
    "optuna-gp": lambda s, seed: s.GPSampler(seed=seed),
    "optuna-cmaes": lambda s, seed: s.CmaEsSampler(seed=seed),
    "optuna-tpe": lambda s, seed: s.TPESampler(seed=seed, multivariate=True),
    "optuna-nsga2": lambda s, seed: s.NSGAIISampler(seed=seed),
    "optuna-nsga3": lambda s, seed: s.NSGAIIISampler(seed=seed),
}
SINGLE = ("tunecraft-gp", "tunecraft-auto", "tunecraft-cmaes", "tunecraft-tpe", "optuna-gp",
          "optuna-cmaes", "optuna-tpe")
MULTI = ("tunecraft-auto", "tunecraft-tpe", "tunecraft-nsga2", "optuna-tpe", "optuna-nsga2")


def run(adapter: str, problem: Problem | MOProblem, seed: int, n_trials: int) -> Trace:
    """Run ``adapter`` on ``problem``: a Problem (one objective) or an MOProblem."""
    m = len(problem.reference) if isinstance(problem, MOProblem) else 1
    evaluate: Callable[[dict[str, Any]], Any] = problem.evaluate
    if adapter in TUNECRAFT:
        return _tunecraft(TUNECRAFT[adapter], problem.space, evaluate, n_trials, seed, m)
    if adapter in OPTUNA:
        return _optuna(OPTUNA[adapter], problem.space, evaluate, n_trials, seed, m)
    raise ValueError(f"adapter={adapter!r} is unknown; use one of "
                     f"{sorted(TUNECRAFT) + sorted(OPTUNA)}")


def gp_overhead(library: str, n: int = 200, d: int = 10, repeats: int = 3) -> float:
    """Median seconds of one GP suggestion (ask + suggest) after ``n`` random trials in ``d``
    dimensions (Rosenbrock values)."""
    rng = np.random.default_rng(0)
    space = {f"x{i}": Float(-5.0, 10.0) for i in range(d)}
    xs = rng.uniform(-5, 10, (n, d))
    ys = [float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)) for x in xs]
    times = []
    if library == "tunecraft":
        import tunecraft

        study = tunecraft.create_study(sampler=tunecraft.samplers.GPSampler(seed=0))
        for x, y in zip(xs, ys, strict=True):
            study.enqueue_trial({f"x{i}": float(v) for i, v in enumerate(x)})
            trial = study.ask()
            suggest_all(trial, space)
            study.tell(trial, y)
        for _ in range(repeats):
            t0 = time.perf_counter()
            trial = study.ask()
            suggest_all(trial, space)
            times.append(time.perf_counter() - t0)
            study.tell(trial, state=tunecraft.TrialState.FAIL)
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            optuna_study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
            for x, y in zip(xs, ys, strict=True):
                optuna_study.enqueue_trial({f"x{i}": float(v) for i, v in enumerate(x)})
                optuna_trial = optuna_study.ask()
                suggest_all(optuna_trial, space)
                optuna_study.tell(optuna_trial, y)
            for _ in range(repeats):
                t0 = time.perf_counter()
                optuna_trial = optuna_study.ask()
                suggest_all(optuna_trial, space)
                times.append(time.perf_counter() - t0)
                optuna_study.tell(optuna_trial, state=optuna.trial.TrialState.FAIL)
    return float(np.median(times))
