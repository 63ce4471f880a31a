"""GPSampler: Bayesian optimisation with a Gaussian process and log expected improvement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tunecraft._imports import require
from tunecraft._validation import Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.samplers._optuna_args import ConstraintsFunc, check_constraints_func
from tunecraft.samplers.base import BaseSampler
from tunecraft.samplers.gp._data import Observations, observations
from tunecraft.samplers.gp._encoding import Encoding
from tunecraft.samplers.gp._threads import single_thread
from tunecraft.samplers.gp.acquisition import Acquisition, PriorFn
from tunecraft.samplers.gp.model import GP, fit_gp
from tunecraft.samplers.gp.optim import maximize
from tunecraft.samplers.gp.transform import power_transform, standardize
from tunecraft.samplers.priors import Prior, check_priors
from tunecraft.samplers.random import RandomSampler
from tunecraft.space import Dim, Space, is_single, split_constants

_CONSTRAINTS: Spec = {
    "n_startup_trials": Interval(int, 0),
    "n_candidates": Interval(int, 1),
    "n_local_search": Interval(int, 1),
    "deterministic_objective": Options(True, False),
    "warp_outputs": Options(True, False),
    "consider_running_trials": Options(True, False),
    "prior_beta": Interval(float, 0),
}


class GPSampler(BaseSampler):
    """Gaussian-process Bayesian optimisation: the most sample-efficient choice for small
    budgets (tens to a few hundred trials) of up to about 20 numerical or categorical
    parameters.

    Each suggestion fits a GP (Matern-5/2 kernel with one length-scale per parameter, fitted
    by MAP) to the trials so far, in the unit cube (log parameters in log space, integers and
    steps on their cells, categorical parameters compared as same/different), and returns the
    point that maximises the log expected improvement over the best trial. See
    ``tunecraft.samplers.gp`` for the model, the acquisition and its optimisation.

    - **Parallel workers**: RUNNING trials are added to the GP at its own prediction there
      (the "kriging believer"), which removes the expected improvement around them without
      changing the model elsewhere, so concurrent suggestions spread out.
    - **Noise**: the noise variance is fitted (unless ``deterministic_objective``) and the
      incumbent is the best posterior mean at the observed points, not the luckiest value.
    - **No repeats**: a configuration already evaluated or running is never proposed again
      (the best new point of the acquisition search instead; see ``gp.optim``), unless every
      point scored is one (a small discrete space, fully explored).
    - **Constraints** (``create_study(constraints_func=...)`` or ``trial.set_constraint``):
      one GP per constraint, and the acquisition is multiplied by the probability that
      every constraint holds. Until a feasible trial exists it seeks feasibility alone.
    - **Several objectives**: each suggestion minimises a random augmented Chebyshev
      scalarisation of the normalised objectives (ParEGO, Knowles 2006).
    - **Priors** (piBO): ``priors={"lr": Around(1e-3)}`` multiplies the acquisition by
      ``prior ** (prior_beta / n)`` at the n-th model-based suggestion, and start-up trials
      are drawn from the prior.

    Args:
        seed: Seed of the per-trial generators.
        n_startup_trials: Trials drawn quasi-randomly (Sobol) before the GP is used.
        deterministic_objective: The objective has no noise: fix the GP's noise at 1e-6.
        warp_outputs: Apply a fitted Yeo-Johnson power transform to the objective values
            before the GP (monotone; helps with heavy-tailed losses).
        n_candidates: Quasi-random points scored before the local search.
        n_local_search: Local searches per suggestion.
        consider_running_trials: Use RUNNING trials as fantasies (kriging believer).
        priors: ``{name: Around(value) | Weights({...})}`` beliefs about good values.
        prior_beta: Strength of the priors; they weigh as ``beta / n`` after n suggestions.

    Raises:
        ValueError: on an invalid argument.
    """

    name = "gp"
    _avoid_repeats: bool = True  # False only to measure the rule (benchmarks/broad)

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        deterministic_objective: bool = False,
        warp_outputs: bool = True,
        n_candidates: int = 2048,
        n_local_search: int = 10,
        consider_running_trials: bool = True,
        priors: Mapping[str, Prior] | None = None,
        prior_beta: float = 10.0,
        constraints_func: ConstraintsFunc | None = None,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
    ) -> None:
        super().__init__(seed)
        # Optuna's arguments: constraints go to the study (see create_study); the GP models
        # every parameter itself, so an independent sampler has nothing to sample
        self.constraints_func = check_constraints_func(constraints_func)
        if independent_sampler is not None:
            raise ValueError("GPSampler(independent_sampler=...) is not supported: tunecraft's "
                             "GP models categorical and conditional parameters itself")
        del warn_independent_sampling
        validate(_CONSTRAINTS, n_startup_trials=n_startup_trials, n_candidates=n_candidates,
                 n_local_search=n_local_search, deterministic_objective=deterministic_objective,
                 warp_outputs=warp_outputs, consider_running_trials=consider_running_trials,
                 prior_beta=prior_beta)
        require("scipy.optimize", "gp")
        self.n_startup_trials: int = int(n_startup_trials)
        self.deterministic_objective: bool = deterministic_objective
        self.warp_outputs: bool = warp_outputs
        self.n_candidates: int = int(n_candidates)
        self.n_local_search: int = int(n_local_search)
        self.consider_running_trials: bool = consider_running_trials
        self.priors: dict[str, Prior] = check_priors(priors)
        self.prior_beta: float = float(prior_beta)
        self._random: RandomSampler = RandomSampler(seed=self.seed)

    # ------------------------------------------------------------------ sampler API
    def joint_space(self, history: History) -> Space:
        """The parameters every COMPLETE trial has (same distributions), minus constants."""
        return {k: d for k, d in history.intersection_space().items() if not is_single(d)}

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        out, todo = split_constants(space)
        for name, dim in todo.items():
            if name in self.priors:
                self.priors[name].check(name, dim)
        if todo:
            with single_thread():
                out.update(self._sample(todo, history, rng, number))
        return {name: out[name] for name in space}, {}

    # ------------------------------------------------------------------ internals
    def _independent(self, space: Space, history: History, rng: np.random.Generator,
                     number: int) -> dict[str, Any]:
        """Random values, or draws from the user's priors where given."""
        out: dict[str, Any] = self._random.sample(space, history, rng, number)
        for name, dim in space.items():
            if name in self.priors:
                out[name] = self.priors[name].sample(dim, rng)
        return out

    def _sample(self, space: dict[str, Dim], history: History, rng: np.random.Generator,
                number: int) -> dict[str, Any]:
        if len(space) == 1 and next(iter(space)) not in self.joint_space(history):
            return self._independent(space, history, rng, number)
        enc = Encoding(space)
        obs = observations(history, enc, number)
        if obs.n < max(self.n_startup_trials, 2):
            return self._startup(space, history, rng, number)
        acq, extra = self._acquisition(enc, obs, rng, obs.n)
        # never a configuration already evaluated or running (optim.py, step 4)
        avoid = np.vstack([obs.x, obs.x_running]) if self._avoid_repeats else None
        row, _ = maximize(acq, enc, rng, n_candidates=self.n_candidates,
                          n_local=self.n_local_search, extra=extra, avoid=avoid)
        return enc.decode(row)

    def _startup(self, space: dict[str, Dim], history: History, rng: np.random.Generator,
                 number: int) -> dict[str, Any]:
        from tunecraft.samplers.qmc import QMCSampler

        out = QMCSampler(space, seed=self.seed).sample(space, history, rng, number)
        for name, dim in space.items():
            if name in self.priors:
                out[name] = self.priors[name].sample(dim, rng)
        return out

    def _acquisition(self, enc: Encoding, obs: Observations, rng: np.random.Generator,
                     n: int) -> tuple[Acquisition, np.ndarray]:
        objective: GP | None = None
        tau = 0.0
        extra: list[np.ndarray] = []
        feasible = obs.feasible
        if obs.x.shape[0] >= 2:
            y = _scalarize(obs.values, rng)
            y = power_transform(y) if self.warp_outputs else standardize(y)
            objective = fit_gp(obs.x, y, enc.is_cat,
                               deterministic=self.deterministic_objective)
            if feasible.any():
                mean, _ = objective.posterior(obs.x[feasible])
                tau = float(np.min(mean))
                order = np.argsort(np.where(feasible, y, np.inf))[:5]
                extra.append(_around(obs.x[order], enc, rng))
            else:
                objective = None  # nothing feasible yet: seek feasibility alone
            if objective is not None and self.consider_running_trials \
                    and obs.x_running.shape[0]:
                # the kriging believer: running trials as data at the model's prediction,
                # which also count for the incumbent (else a predicted improvement there
                # keeps its expected improvement however sure the model is of it)
                believed, _ = objective.posterior(obs.x_running)
                objective = objective.condition_on(obs.x_running, believed)
                tau = min(tau, float(np.min(believed)))
        constraints: list[tuple[GP, float]] = []
        if obs.con.shape[0] >= 2 and obs.con.shape[1] > 0:
            for k in range(obs.con.shape[1]):
                c = _finite(obs.con[:, k])
                mu, sd = float(np.mean(c)), float(np.std(c))
                sd = sd if sd > 1e-12 else 1.0
                gp = fit_gp(obs.x_con, (c - mu) / sd, enc.is_cat)
                constraints.append((gp, -mu / sd))
        prior = _prior_fn(enc, self.priors) if self.priors else None
        weight = self.prior_beta / max(1, n - self.n_startup_trials + 1)
        acq = Acquisition(objective, tau, constraints, prior, weight)
        return acq, np.vstack(extra) if extra else np.empty((0, enc.dim))


def _finite(c: np.ndarray) -> np.ndarray:
    """Infinite constraint values replaced by a value above every finite one."""
    ok = np.isfinite(c)
    if ok.all():
        return c
    top = float(np.max(c[ok])) if ok.any() else 0.0
    bottom = float(np.min(c[ok])) if ok.any() else 0.0
    big = top + max(1.0, top - bottom)
    out: np.ndarray = np.where(ok, c, np.where(c > 0, big, bottom - max(1.0, top - bottom)))
    return out


def _scalarize(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One objective column as is; several as a random augmented Chebyshev scalarisation of
    the objectives normalised to [0, 1] (ParEGO)."""
    if values.shape[1] == 1:
        out: np.ndarray = values[:, 0].copy()
        return out
    lo, hi = values.min(axis=0), values.max(axis=0)
    f = (values - lo) / np.where(hi > lo, hi - lo, 1.0)
    w = rng.dirichlet(np.ones(values.shape[1]))
    out = np.max(w * f, axis=1) + 0.05 * (f @ w)
    return out


def _around(x: np.ndarray, enc: Encoding, rng: np.random.Generator,
            per_point: int = 20) -> np.ndarray:
    """Perturbations of good rows (Gaussian, sd 0.05 of the cube; categorical columns
    redrawn with probability 1/d), to start the search close to the best trials."""
    rep = np.repeat(x, per_point, axis=0)
    noise = rng.normal(0.0, 0.05, size=rep.shape)
    moved = rep + np.where(enc.is_cat, 0.0, noise)
    flip = rng.random(rep.shape) < 1.0 / max(enc.dim, 1)
    for j in np.flatnonzero(enc.is_cat):
        draws = rng.integers(0, enc.n_choices[j], size=rep.shape[0])
        moved[:, j] = np.where(flip[:, j], draws, rep[:, j])
    return np.vstack([x, enc.snap(moved)])


def _prior_fn(enc: Encoding, priors: Mapping[str, Prior]) -> PriorFn:
    items = [(j, name, priors[name]) for j, name in enumerate(enc.names) if name in priors]

    def fn(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        total = np.zeros(x.shape[0])
        grad = np.zeros_like(x)
        for j, name, prior in items:
            v, g = prior.log_density(enc.space[name], x[:, j])
            total += v
            grad[:, j] = g
        return total, grad

    return fn
