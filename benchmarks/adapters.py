"""One thin adapter per optimiser: run a problem for ``n_trials`` with a seed, record everything.

Every adapter translates the problem's tunecraft space into its library's own space, runs the
library's usual loop (``study.optimize`` or ``hyperopt.fmin``) with in-memory storage, and
records, for each trial in order, the loss and the times at which the evaluation started and
ended. The time between the end of one evaluation and the start of the next is the library's
overhead for that trial (tell, ask, sampling, suggest calls, bookkeeping); the evaluation itself
is excluded. Libraries are imported when an adapter runs, so this module imports none of them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.problems import Problem
from tunecraft.space import Categorical, Dim, Float, Int


@dataclass(frozen=True)
class Run:
    """The record of one optimisation run.

    Attributes:
        values: Loss of each trial, in trial order (NaN where the evaluation failed).
        eval_start: ``perf_counter`` when each evaluation started (after the suggest calls).
        eval_end: ``perf_counter`` when each evaluation returned.
        t_begin: ``perf_counter`` just before the library's loop started.
        params: The parameters of each trial, in trial order.
    """

    values: np.ndarray
    eval_start: np.ndarray
    eval_end: np.ndarray
    t_begin: float
    params: tuple[dict[str, Any], ...]

    def best_so_far(self) -> np.ndarray:
        """Running minimum of the losses (failed trials count as +inf)."""
        return np.minimum.accumulate(np.where(np.isnan(self.values), np.inf, self.values))

    def overhead(self) -> np.ndarray:
        """Seconds each trial spent outside the evaluation: from the previous end to its start."""
        previous_end = np.concatenate([[self.t_begin], self.eval_end[:-1]])
        return np.asarray(self.eval_start - previous_end)


class _Recorder:
    """Wraps ``problem.evaluate``: times each evaluation and keeps its loss and parameters."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.values: list[float] = []
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.params: list[dict[str, Any]] = []
        self.t_begin = 0.0
        self.error: Exception | None = None

    def begin(self) -> None:
        self.t_begin = time.perf_counter()

    def __call__(self, params: Mapping[str, Any]) -> float:
        start = time.perf_counter()
        try:
            value = float(self.problem.evaluate(params))
        except Exception as exc:  # the library must go on; run() raises it afterwards
            value = math.nan
            self.error = self.error or exc
        self.ends.append(time.perf_counter())
        self.starts.append(start)
        self.values.append(value)
        self.params.append(dict(params))
        return value

    def run(self) -> Run:
        if self.error is not None:
            raise RuntimeError(f"problem {self.problem.name!r} raised during an evaluation: "
                               f"{self.error!r}; fix the problem (it must not raise)"
                               ) from self.error
        return Run(np.array(self.values, dtype=float), np.array(self.starts),
                   np.array(self.ends), self.t_begin, tuple(self.params))


# ---------------------------------------------------------------------------------- define-by-run
def suggest_all(trial: Any, space: Mapping[str, Dim]) -> dict[str, Any]:
    """Suggest every dimension of ``space`` on a tunecraft or Optuna trial (same method names)."""
    params: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, Float):
            params[name] = trial.suggest_float(name, dim.low, dim.high, log=dim.log)
        elif isinstance(dim, Int):
            params[name] = trial.suggest_int(name, dim.low, dim.high, log=dim.log)
        else:
            params[name] = trial.suggest_categorical(name, list(dim.choices))
    return params


def _run_tunecraft(sampler: Any, problem: Problem, n_trials: int) -> Run:
    import tunecraft

    rec = _Recorder(problem)
    study = tunecraft.create_study(sampler=sampler, pruner=tunecraft.pruners.NopPruner())
    rec.begin()
    study.optimize(lambda trial: rec(suggest_all(trial, problem.space)), n_trials=n_trials)
    return rec.run()


def tunecraft_tpe(problem: Problem, seed: int, n_trials: int) -> Run:
    """tunecraft's TPESampler with its default settings."""
    from tunecraft.samplers import TPESampler

    return _run_tunecraft(TPESampler(seed=seed), problem, n_trials)


def tunecraft_random(problem: Problem, seed: int, n_trials: int) -> Run:
    """tunecraft's RandomSampler."""
    from tunecraft.samplers import RandomSampler

    return _run_tunecraft(RandomSampler(seed=seed), problem, n_trials)


def tunecraft_qmc(problem: Problem, seed: int, n_trials: int) -> Run:
    """tunecraft's QMCSampler (scrambled Sobol) over the problem's space."""
    from tunecraft.samplers import QMCSampler

    return _run_tunecraft(QMCSampler(dict(problem.space), seed=seed), problem, n_trials)


# ---------------------------------------------------------------------------------- Optuna
def _run_optuna(make_sampler: Callable[[Any], Any], problem: Problem, n_trials: int) -> Run:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rec = _Recorder(problem)
    study = optuna.create_study(sampler=make_sampler(optuna.samplers),
                                pruner=optuna.pruners.NopPruner())
    rec.begin()
    study.optimize(lambda trial: rec(suggest_all(trial, problem.space)), n_trials=n_trials)
    return rec.run()


def optuna_tpe(problem: Problem, seed: int, n_trials: int) -> Run:
    """Optuna's TPESampler(multivariate=True), other settings at their defaults."""
    return _run_optuna(lambda s: s.TPESampler(seed=seed, multivariate=True), problem, n_trials)


def optuna_tpe_default(problem: Problem, seed: int, n_trials: int) -> Run:
    """Optuna's TPESampler with every setting at its default (v5: multivariate, single-obj.)."""
    return _run_optuna(lambda s: s.TPESampler(seed=seed), problem, n_trials)


def optuna_tpe_univariate(problem: Problem, seed: int, n_trials: int) -> Run:
    """Optuna's TPESampler(multivariate=False): the independent TPE, Optuna 4's default."""
    return _run_optuna(lambda s: s.TPESampler(seed=seed, multivariate=False), problem, n_trials)


def optuna_random(problem: Problem, seed: int, n_trials: int) -> Run:
    """Optuna's RandomSampler."""
    return _run_optuna(lambda s: s.RandomSampler(seed=seed), problem, n_trials)


# ---------------------------------------------------------------------------------- Hyperopt
def _hyperopt() -> Any:
    import hyperopt  # type: ignore[import-untyped,unused-ignore]

    return hyperopt


def hyperopt_space(space: Mapping[str, Dim]) -> dict[str, Any]:
    """The Hyperopt space of ``space``: uniform/loguniform, (log-)integers, choice."""
    hp = _hyperopt().hp

    out: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, Float):
            out[name] = (hp.loguniform(name, math.log(dim.low), math.log(dim.high)) if dim.log
                         else hp.uniform(name, dim.low, dim.high))
        elif isinstance(dim, Int):
            out[name] = (hp.qloguniform(name, math.log(dim.low), math.log(dim.high), 1)
                         if dim.log else hp.uniformint(name, dim.low, dim.high))
        elif isinstance(dim, Categorical):
            out[name] = hp.choice(name, list(dim.choices))
    return out


def _from_hyperopt(space: Mapping[str, Dim], params: Mapping[str, Any]) -> dict[str, Any]:
    fixed = dict(params)
    for name, dim in space.items():
        if isinstance(dim, Int):
            fixed[name] = min(max(int(round(float(fixed[name]))), dim.low), dim.high)
    return fixed


def hyperopt_tpe(problem: Problem, seed: int, n_trials: int) -> Run:
    """Hyperopt's TPE (``tpe.suggest``, its defaults) through ``fmin``."""
    ho = _hyperopt()
    rec = _Recorder(problem)

    def objective(params: dict[str, Any]) -> dict[str, Any]:
        value = rec(_from_hyperopt(problem.space, params))
        return {"loss": value,
                "status": ho.STATUS_OK if math.isfinite(value) else ho.STATUS_FAIL}

    rec.begin()
    try:
        ho.fmin(objective, hyperopt_space(problem.space), algo=ho.tpe.suggest,
                max_evals=n_trials, trials=ho.Trials(), rstate=np.random.default_rng(seed),
                show_progressbar=False, verbose=False)
    except ho.exceptions.AllTrialsFailed:
        pass  # every loss was NaN: the run (or the recorded error) says so, as for the others
    return rec.run()


Adapter = Callable[[Problem, int, int], Run]

ADAPTERS: dict[str, Adapter] = {
    "tunecraft-tpe": tunecraft_tpe,
    "tunecraft-random": tunecraft_random,
    "tunecraft-qmc": tunecraft_qmc,
    "optuna-tpe": optuna_tpe,
    "optuna-tpe-default": optuna_tpe_default,
    "optuna-tpe-univariate": optuna_tpe_univariate,
    "optuna-random": optuna_random,
    "hyperopt-tpe": hyperopt_tpe,
}

#: The optimisers compared for sample efficiency (Optuna 5's default TPE is the multivariate
#: one for a single objective, so ``optuna-tpe-default`` would repeat ``optuna-tpe``).
EFFICIENCY_ADAPTERS = ("tunecraft-tpe", "tunecraft-random", "tunecraft-qmc", "optuna-tpe",
                       "optuna-random", "hyperopt-tpe")
#: The optimisers whose per-trial overhead is measured.
OVERHEAD_ADAPTERS = ("tunecraft-tpe", "optuna-tpe", "optuna-tpe-default",
                     "optuna-tpe-univariate", "hyperopt-tpe", "tunecraft-random",
                     "optuna-random")
REFERENCE = "optuna-tpe"


def tunecraft_tpe_available() -> bool:
    """Whether ``tunecraft.samplers.TPESampler`` can be imported yet."""
    try:
        from tunecraft.samplers import TPESampler  # noqa: F401
    except ImportError:
        return False
    return True


def run_adapter(name: str, problem: Problem, seed: int, n_trials: int) -> Run:
    """Run the adapter called ``name`` (a key of ADAPTERS)."""
    if name not in ADAPTERS:
        raise ValueError(f"adapter={name!r} is unknown; use one of {sorted(ADAPTERS)}")
    return ADAPTERS[name](problem, seed, n_trials)
