"""Simulated learning-curve families for the multi-fidelity part of the broad suite.

A configuration (learning rate and weight decay on log scales, a log-integer width, dropout)
has a final error ``e(x)`` (a smooth bowl with its optimum inside the box, different per
task seed) and a curve shape per family, at epochs 1..R (R = 27):

- ``power``: ``e + a t^-b`` (Domhan et al. 2015's pow3 family), ``b`` grows with the LR;
- ``exp``: ``e + a exp(-t / tau)``;
- ``crossing``: power laws where the better final errors converge more slowly, so early
  rankings mislead (curves cross);
- ``noisy``: ``power`` plus Gaussian noise (sd 0.03) per (configuration, epoch);
- ``diverging``: ``power``, but configurations with a large LR diverge after an epoch that
  shrinks with the LR, their error rising to 1 (chance).

Methods run until the same budget of epochs is spent (``n_random * R``: what random search
with full training spends on ``n_random`` trials). Reported per run: the best noise-free
final error among the configurations trained to R, and the epochs spent when the best so far
first reached random search's median best.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

R = 27
ETA = 3
FAMILIES = ("power", "exp", "crossing", "noisy", "diverging")
METHODS = ("tc-tpe-hyperband", "optuna-tpe-hyperband", "random-full")


def suggest(trial: Any) -> tuple[float, ...]:
    """The configuration, with the same calls on tunecraft's and Optuna's trials."""
    return (trial.suggest_float("lr", 1e-4, 1.0, log=True),
            trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            float(trial.suggest_int("width", 16, 512, log=True)),
            trial.suggest_float("dropout", 0.0, 0.8))


def final_error(x: tuple[float, ...], task_seed: int) -> float:
    """The configuration's error after R epochs, noise-free: a bowl in the log-scaled box."""
    # the optimum, in unit terms
    c: np.ndarray = np.random.default_rng(task_seed).uniform(0.25, 0.75, 4)
    lr, wd, width, dropout = x
    u = np.array([(math.log10(lr) + 4) / 4, (math.log10(wd) + 6) / 4,
                  (math.log2(width) - 4) / 5, dropout / 0.8])
    dist = float(((u - c) ** 2).sum())
    return 0.05 + 0.6 * (1 - math.exp(-4 * dist))


def error(family: str, x: tuple[float, ...], t: int, task_seed: int) -> float:
    """The validation error of configuration ``x`` after epoch ``t`` in ``family``."""
    e = final_error(x, task_seed)
    speed = (math.log10(x[0]) + 4) / 4  # in [0, 1]: larger learning rates learn faster
    if family == "exp":
        return e + 0.5 * math.exp(-t / (1 + 8 * (1 - speed)))
    if family == "crossing":
        b = 0.2 + 2.5 * (e - 0.05)  # good final errors converge slowly
        return e + (0.8 - e) * math.pow(t, -b)
    value = e + 0.5 * math.pow(t, -(0.3 + 1.2 * speed))
    if family == "noisy":
        key = hash((round(x[0], 12), round(x[1], 12), x[2], round(x[3], 12), t, task_seed))
        value += 0.03 * float(np.random.default_rng(key & 0xFFFFFFFF).normal())
    elif family == "diverging" and x[0] > 0.05:
        onset = 2 + 20 * (1 - x[0]) ** 2  # the larger the LR, the earlier it diverges
        if t > onset:
            value = min(1.0, value + 0.1 * (t - onset) ** 1.5)
    return float(value)


@dataclass
class MFRun:
    """One method on one family and seed: cumulative epochs and the best final error."""

    family: str
    method: str
    seed: int
    epochs: list[int] = field(default_factory=list)
    best: list[float] = field(default_factory=list)  # best noise-free final error so far

    def best_at(self, budget: int) -> float:
        """The best final error once ``budget`` epochs were spent (inf if none finished)."""
        vals = [b for e, b in zip(self.epochs, self.best, strict=True) if e <= budget]
        return vals[-1] if vals else math.inf

    def epochs_to(self, target: float) -> float:
        """Epochs spent when the best final error first reached ``target`` (inf if never)."""
        for e, b in zip(self.epochs, self.best, strict=True):
            if b <= target + 1e-12:
                return float(e)
        return math.inf


class _Ledger:
    def __init__(self, run: MFRun, budget: int) -> None:
        self.run, self.budget, self.total = run, budget, 0

    def finish(self, trained: int, final: float | None) -> bool:
        self.total += trained
        prev = self.run.best[-1] if self.run.best else math.inf
        self.run.epochs.append(self.total)
        self.run.best.append(min(prev, final) if final is not None else prev)
        return self.total >= self.budget


def run_mf(family: str, method: str, seed: int, n_random: int) -> MFRun:
    """Run ``method`` on the curve ``family`` (task seed = ``seed``) for ``n_random * R``
    epochs."""
    run = MFRun(family, method, seed)
    ledger = _Ledger(run, n_random * R)

    def curve(x: tuple[float, ...], t: int) -> float:
        return error(family, x, t, seed)

    if method.startswith("optuna"):
        _optuna(method, curve, ledger, seed)
    else:
        _tunecraft(method, curve, ledger, seed, n_random)
    return run


def _train(trial: Any, curve: Callable[[tuple[float, ...], int], float], ledger: _Ledger,
           prune: Callable[[], bool], pruned: type[BaseException], stop: Callable[[], None]
           ) -> float:
    x = suggest(trial)
    value = math.nan
    for t in range(1, R + 1):
        value = curve(x, t)
        trial.report(value, t)
        if t < R and prune():
            if ledger.finish(t, None):
                stop()
            raise pruned()
    if ledger.finish(R, final_error(x, ledger.run.seed)):
        stop()
    return value


def _tunecraft(method: str, curve: Callable[[tuple[float, ...], int], float], ledger: _Ledger,
               seed: int, n_random: int) -> None:
    import tunecraft
    from tunecraft.pruners import HyperbandPruner, NopPruner
    from tunecraft.samplers import RandomSampler, TPESampler

    if method == "random-full":
        study = tunecraft.create_study(sampler=RandomSampler(seed=seed), pruner=NopPruner())
    elif method == "tc-tpe-hyperband":
        study = tunecraft.create_study(sampler=TPESampler(seed=seed, multi_fidelity=True),
                                       pruner=HyperbandPruner(1, R, ETA))
    else:
        raise ValueError(f"method={method!r} is unknown; use one of {METHODS}")
    study.optimize(lambda t: _train(t, curve, ledger, t.should_prune, tunecraft.TrialPruned,
                                    study.stop), n_trials=n_random if method == "random-full"
                   else None)


def _optuna(method: str, curve: Callable[[tuple[float, ...], int], float], ledger: _Ledger,
            seed: int) -> None:
    import optuna

    if method != "optuna-tpe-hyperband":
        raise ValueError(f"method={method!r} is unknown; use one of {METHODS}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.HyperbandPruner(1, R, ETA))
    study.optimize(lambda t: _train(t, curve, ledger, t.should_prune, optuna.TrialPruned,
                                    study.stop))
