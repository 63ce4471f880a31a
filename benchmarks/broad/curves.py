"""Simulated learning-curve families for the multi-fidelity part of the broad suite.

A configuration (learning rate and weight decay on log scales, a log-integer width, dropout)
has an asymptotic error ``e(x)`` (a smooth bowl with its optimum inside the box, different
per task seed) and a curve shape per family, at epochs 1..R (R = 27):

- ``power``: ``e + a t^-b`` (Domhan et al. 2015's pow3 family), ``b`` grows with the LR;
- ``exp``: ``e + a exp(-t / tau)``;
- ``crossing``: power laws where the better asymptotes converge more slowly, so early
  rankings mislead (curves cross);
- ``noisy``: ``power`` plus Gaussian noise (sd 0.03) per (configuration, epoch);
- ``diverging``: ``power``, but configurations with a large LR diverge after an epoch that
  shrinks with the LR, their error rising to 1 (chance).

``HOLDOUT`` families are kept out of the default run, to check that a change tuned on the
five above is general (run them with ``--curve-families``):

- ``sigmoid``: a plateau at chance, then a drop (Weibull-like), later for small LRs: the
  first epochs say nothing;
- ``overfit``: ``power`` whose error rises again after a minimum, sooner for little weight
  decay and much width;
- ``noisy-early``: ``exp`` plus noise that shrinks with the epoch (sd 0.08 / sqrt(t)).

The last two were added (2026-12-07, second pass) after the bracket choice had been designed
on the others, and first run in the table that reports it:

- ``warmup``: ``power`` plus a bump in the first epochs that grows with the LR (an unstable
  start before the LR warm-up ends, peaking at epoch 2);
- ``step-decay``: a step schedule: until epoch 18 a large LR keeps the error up (``+0.25
  speed``), after the LR decay 90% of that is gone.

Three more were written (2026-12-07, late session) to decide whether the adaptive bracket
choice should be the default, before any method was run on them:

- ``two-phase``: ``power`` plus a second drop of 0.3 at an epoch between 6 and 18 that comes
  later for little weight decay (a second learning phase): mid rungs rank by the timing;
- ``late-overfit``: ``power`` whose error rises after epoch 10 by up to 0.3, most for large
  LRs, the fast starters (the ranking flips late);
- ``heavy-noise``: ``power`` plus Gaussian noise of sd 0.1 per (configuration, epoch).

``FRESH`` (2026-12-08 session): three more, written before any method ran on them, to
judge a change to the multi-fidelity sampler on shapes nobody tuned for:

- ``double-descent``: ``power`` plus a bump of up to 0.25 centred between epochs 8 and 12
  (later for small LRs), highest for wide networks with little weight decay (epoch-wise
  double descent): rung 9 ranks the wide networks in their bump;
- ``hetero-noise``: ``power`` plus noise whose sd grows with the LR (0.01 to 0.13): the
  fast starters are also the noisiest, so low rungs promote lucky draws;
- ``mixed-shape``: ``exp`` curves whose time constant grows with the dropout (1 to 13
  epochs), not the LR: early rungs rank by another dimension than the bowl's.

Methods run until the same budget of epochs is spent (``n_random * R``: what random search
with full training spends on ``n_random`` trials). A configuration's score is its
noise-free error at epoch R, what full training reaches (not the asymptote ``e``, which
no method observes and which a diverging curve never reaches). Reported per run: the best
score among the configurations trained to R, after each finished trial.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

R = 27
ETA = 3
FAMILIES = ("power", "exp", "crossing", "noisy", "diverging")
HOLDOUT = ("sigmoid", "overfit", "noisy-early", "warmup", "step-decay")
UNSEEN = ("two-phase", "late-overfit", "heavy-noise")
FRESH = ("double-descent", "hetero-noise", "mixed-shape")
METHODS = ("tc-tpe-hyperband", "tc-tpe-hyperband-pause", "tc-tpe-hyperband-forecast",
           "tc-tpe-hyperband-adaptive", "tc-tpe-hyperband-stop-adaptive",
           "optuna-tpe-hyperband", "random-full")
DESCRIPTIONS = {
    "tc-tpe-hyperband": "TPESampler(multi_fidelity=True) + HyperbandPruner(1, 27, 3): trials "
                        "stop for good at a rung (Optuna's protocol)",
    "tc-tpe-hyperband-pause": "the same with pause=True: a trial waits at its rung and is "
                              "promoted (resumed from its step) once it ranks in the top 1/3",
    "tc-tpe-hyperband-forecast": "the same with rank_by='forecast': rungs rank curves "
                                 "extrapolated to epoch 27",
    "tc-tpe-hyperband-adaptive": "pause=True with bracket_choice='adaptive': brackets get "
                                 "epochs by how well their first rung's ranking agrees with "
                                 "epoch 27's (Kendall tau, measured online)",
    "tc-tpe-hyperband-stop-adaptive": "pause=False (Optuna's protocol) with "
                                      "bracket_choice='adaptive'",
    "optuna-tpe-hyperband": "optuna TPESampler(seed) + HyperbandPruner(1, 27, 3)",
    "dehb": "DEHB(min_fidelity=1, max_fidelity=27, eta=3), its defaults (no resume: an "
            "evaluation at fidelity b costs b epochs)",
    "synetune-asha": "syne-tune baselines.ASHA(grace_period=1, reduction_factor=3, max_t=27): "
                     "random search + ASHA stopping",
    "synetune-bohb": "syne-tune baselines.BOHB(grace_period=1, reduction_factor=3, max_t=27): "
                     "KDE + ASHA stopping",
    "random-full": "tunecraft RandomSampler, every trial trained for 27 epochs",
}


def available_methods() -> tuple[str, ...]:
    """``METHODS`` plus the peers of ``curve_peers.PEERS`` whose package is installed."""
    from importlib.util import find_spec

    from benchmarks.broad.curve_peers import PEERS

    have = {"dehb": find_spec("dehb") is not None,
            "synetune-asha": find_spec("syne_tune") is not None}
    have["synetune-bohb"] = have["synetune-asha"]
    return METHODS + tuple(p for p in PEERS if have[p])


def suggest(trial: Any) -> tuple[float, ...]:
    """The configuration, with the same calls on tunecraft's and Optuna's trials."""
    return (trial.suggest_float("lr", 1e-4, 1.0, log=True),
            trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            float(trial.suggest_int("width", 16, 512, log=True)),
            trial.suggest_float("dropout", 0.0, 0.8))


def final_error(x: tuple[float, ...], task_seed: int) -> float:
    """The configuration's asymptotic error ``e(x)``, a bowl in the log-scaled box."""
    # the optimum, in unit terms
    c: np.ndarray = np.random.default_rng(task_seed).uniform(0.25, 0.75, 4)
    lr, wd, width, dropout = x
    u = np.array([(math.log10(lr) + 4) / 4, (math.log10(wd) + 6) / 4,
                  (math.log2(width) - 4) / 5, dropout / 0.8])
    dist = float(((u - c) ** 2).sum())
    return 0.05 + 0.6 * (1 - math.exp(-4 * dist))


def _noise(x: tuple[float, ...], t: int, task_seed: int) -> float:
    key = hash((round(x[0], 12), round(x[1], 12), x[2], round(x[3], 12), t, task_seed))
    return float(np.random.default_rng(key & 0xFFFFFFFF).normal())


def error(family: str, x: tuple[float, ...], t: int, task_seed: int, *,
          noise: bool = True) -> float:
    """The validation error of configuration ``x`` after epoch ``t`` in ``family`` (without
    its noise when ``noise`` is False)."""
    e = final_error(x, task_seed)
    speed = (math.log10(x[0]) + 4) / 4  # in [0, 1]: larger learning rates learn faster
    if family in ("exp", "noisy-early"):
        value = e + 0.5 * math.exp(-t / (1 + 8 * (1 - speed)))
        if noise and family == "noisy-early":
            value += 0.08 / math.sqrt(t) * _noise(x, t, task_seed)
        return float(value)
    if family == "mixed-shape":
        tau = 1 + 12 * x[3] / 0.8  # dropout, not the LR, sets the speed
        return float(e + (0.6 - 0.3 * speed) * math.exp(-t / tau))
    if family == "crossing":
        b = 0.2 + 2.5 * (e - 0.05)  # good final errors converge slowly
        return e + (0.8 - e) * math.pow(t, -b)
    if family == "sigmoid":
        onset = 2 + 14 * (1 - speed)  # epochs at chance before the drop
        return float(e + (0.9 - e) * math.exp(-((t / onset) ** 2)))
    if family == "step-decay":
        return float(e + 0.3 / math.sqrt(t) + 0.25 * speed * (1.0 if t < 18 else 0.1))
    value = e + 0.5 * math.pow(t, -(0.3 + 1.2 * speed))
    if family == "two-phase":
        drop_at = 6 + 12 * (1 - (math.log10(x[1]) + 6) / 4)  # little weight decay: later
        return float(value + 0.3 / (1 + math.exp((t - drop_at) / 1.5)))
    if family == "late-overfit":
        return float(value + 0.3 * speed**2 * (max(t - 10, 0) / (R - 10)) ** 2)
    if family == "double-descent":
        wide = (math.log2(x[2]) - 4) / 5 * (1 - (math.log10(x[1]) + 6) / 4)
        centre = 8 + 4 * (1 - speed)
        return float(value + 0.25 * wide * math.exp(-(((t - centre) / 3) ** 2)))
    if family == "hetero-noise":
        sd = 0.01 + 0.12 * speed**2
        return float(value + (sd * _noise(x, t, task_seed) if noise else 0.0))
    if family == "heavy-noise":
        return float(value + (0.1 * _noise(x, t, task_seed) if noise else 0.0))
    if family == "warmup":
        return float(value + 0.4 * speed * math.exp(-((t - 2) ** 2) / 4))
    if family == "noisy" and noise:
        value += 0.03 * _noise(x, t, task_seed)
    elif family == "diverging" and x[0] > 0.05:
        onset = 2 + 20 * (1 - x[0]) ** 2  # the larger the LR, the earlier it diverges
        if t > onset:
            value = min(1.0, value + 0.1 * (t - onset) ** 1.5)
    elif family == "overfit":
        # little regularisation (weight decay, dropout) and much width overfit sooner
        reg = ((math.log10(x[1]) + 6) / 4 + x[3] / 0.8) / 2 - (math.log2(x[2]) - 4) / 10
        turn = 4 + 30 * max(reg, 0.0)
        if t > turn:
            value += 0.004 * (t - turn) ** 1.3
    return float(value)


def score(family: str, x: tuple[float, ...], task_seed: int) -> float:
    """What full training of ``x`` reaches: its noise-free error at epoch R."""
    return error(family, x, R, task_seed, noise=False)


@lru_cache(maxsize=64)
def _random_scores(family: str, task_seed: int, n: int) -> np.ndarray:
    """Scores of ``n`` configurations drawn like random search draws them (sorted)."""
    from tunecraft.space import Float, Int

    dims: tuple[Float | Int, ...] = (Float(1e-4, 1.0, log=True), Float(1e-6, 1e-2, log=True),
                                     Int(16, 512, log=True), Float(0.0, 0.8))
    u = np.random.default_rng([task_seed, 12345]).random((n, 4))
    out = [score(family, tuple(float(d.from_unit(v)) for d, v in zip(dims, row, strict=True)),
                 task_seed) for row in u]
    return np.sort(np.asarray(out))


def random_epochs(family: str, task_seed: int, target: float, n: int = 20_000) -> float:
    """The epochs random search with full training needs on average to reach ``target``:
    ``R / p`` with ``p`` the chance that a random configuration scores ``<= target`` (the
    mean of a geometric number of trials; ``p`` by Monte Carlo over ``n`` draws).

    Why not the epochs at which a seed's random search reached its own best: that best is
    the minimum of the run, so it is reached by construction, on average halfway through
    the budget; an independent random search needs far more to reach that level.
    """
    scores = _random_scores(family, task_seed, n)
    hits = int(np.searchsorted(scores, target + 1e-12, side="right"))
    return math.inf if hits == 0 else R * n / hits


@dataclass
class MFRun:
    """One method on one family and seed: cumulative epochs and the best score."""

    family: str
    method: str
    seed: int
    epochs: list[int] = field(default_factory=list)
    best: list[float] = field(default_factory=list)  # best score among full trainings so far

    def best_at(self, budget: int) -> float:
        """The best score once ``budget`` epochs were spent (inf if none finished)."""
        vals = [b for e, b in zip(self.epochs, self.best, strict=True) if e <= budget]
        return vals[-1] if vals else math.inf

    def epochs_to(self, target: float) -> float:
        """Epochs spent when the best score first reached ``target`` (inf if never)."""
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
    if family not in FAMILIES + HOLDOUT + UNSEEN + FRESH:
        raise ValueError(f"family={family!r} is unknown; use one of "
                         f"{FAMILIES + HOLDOUT + UNSEEN + FRESH}")
    run = MFRun(family, method, seed)
    ledger = _Ledger(run, n_random * R)

    def curve(x: tuple[float, ...], t: int) -> float:
        return error(family, x, t, seed)

    if method.startswith("optuna"):
        _optuna(method, curve, ledger, seed)
    elif method in ("dehb", "synetune-asha", "synetune-bohb"):
        from benchmarks.broad.curve_peers import run_peer

        run_peer(method, curve, ledger, seed, R, ETA, lambda x: score(family, x, seed))
    else:
        _tunecraft(method, curve, ledger, seed, n_random)
    return run


def _train(trial: Any, curve: Callable[[tuple[float, ...], int], float], ledger: _Ledger,
           prune: Callable[[], bool], pruned: type[BaseException], stop: Callable[[], None]
           ) -> float:
    x = suggest(trial)
    resumed = getattr(trial, "resumed_from", None)  # a promotion goes on from its step
    first = resumed.step + 1 if resumed is not None and resumed.step >= 0 else 1
    value = math.nan
    for t in range(first, R + 1):
        value = curve(x, t)
        trial.report(value, t)
        if t < R and prune():
            if ledger.finish(t - first + 1, None):
                stop()
            raise pruned()
    if ledger.finish(R - first + 1, score(ledger.run.family, x, ledger.run.seed)):
        stop()
    return value


def _tunecraft(method: str, curve: Callable[[tuple[float, ...], int], float], ledger: _Ledger,
               seed: int, n_random: int) -> None:
    import tunecraft
    from tunecraft.pruners import BasePruner, HyperbandPruner, NopPruner
    from tunecraft.samplers import RandomSampler, TPESampler
    from tunecraft.samplers.base import BaseSampler

    sampler: BaseSampler
    pruner: BasePruner
    if method == "random-full":
        sampler, pruner = RandomSampler(seed=seed), NopPruner()
    elif method in ("tc-tpe-hyperband", "tc-tpe-hyperband-pause", "tc-tpe-hyperband-forecast",
                    "tc-tpe-hyperband-adaptive", "tc-tpe-hyperband-stop-adaptive"):
        sampler = TPESampler(seed=seed, multi_fidelity=True)
        pruner = HyperbandPruner(
            1, R, ETA, pause=method not in ("tc-tpe-hyperband", "tc-tpe-hyperband-stop-adaptive"),
            rank_by="forecast" if method.endswith("-forecast") else "value",
            bracket_choice="adaptive" if method.endswith("-adaptive") else "equal")
    else:
        raise ValueError(f"method={method!r} is unknown; use one of {METHODS}")
    study = tunecraft.create_study(sampler=sampler, pruner=pruner)
    study.optimize(lambda t: _train(t, curve, ledger, t.should_prune, tunecraft.TrialPruned,
                                    study.stop), n_trials=n_random if method == "random-full"
                   else None)


def _optuna(method: str, curve: Callable[[tuple[float, ...], int], float], ledger: _Ledger,
            seed: int) -> None:
    import optuna

    if method != "optuna-tpe-hyperband":
        raise ValueError(f"method={method!r} is unknown; use one of {METHODS}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # a fixed name: Optuna's Hyperband assigns brackets by crc32(f"{study_name}_{number}"),
    # so the generated (random) default name would make every run draw other brackets
    study = optuna.create_study(study_name=f"curves-{ledger.run.family}-{seed}",
                                sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.HyperbandPruner(1, R, ETA))
    study.optimize(lambda t: _train(t, curve, ledger, t.should_prune, optuna.TrialPruned,
                                    study.stop))
