"""CmaEsSampler: CMA-ES from the ``cmaes`` package (extra ``cmaes``), for long continuous runs.

The covariance matrix adaptation evolution strategy samples a generation of ``popsize``
points from a Gaussian, then moves and reshapes the Gaussian towards the best of them. It
needs about 10 x n_params trials to get going, and then converges fast: choose it over TPE or
GP for budgets of several hundred trials and more.

- **Integers and steps**: with margin (CMAwM, Hamano et al. GECCO 2022), the distribution
  keeps a minimum probability of leaving the current integer, so it does not stall once its
  width falls below one step. Log-integers are searched as continuous (rounded) values.
- **Restarts**: ``"ipop"`` (default) doubles the population and restarts from a random mean
  when the run stops; ``"bipop"`` alternates that with small, local runs (Hansen 2009).
- **Learning-rate adaptation** (``lr_adapt=True``, Nomura et al. GECCO 2023) for noisy or
  multimodal objectives (plain CMA only: integers are then rounded without margin).
- **Warm start**: from ``source_trials`` (another study's trials), or from this study's own
  trials when it starts with at least 10 finished (e.g. after other samplers), by the
  promising distribution of Nomura et al. (AAAI 2021).
- **Categorical parameters**, and any parameter outside the joint space, are sampled by
  ``independent_sampler`` (default: univariate TPE), since CMA-ES needs a numeric space.
- **Constraints**: infeasible trials rank after every feasible one, by violation.
- **Resumable state**: each trial is tagged with its generation and the point to tell; the
  first trial of a generation carries the optimizer's state as a versioned JSON blob. The
  study writes these with the trial (``sample_joint``), so any process continues the run.

Documented budget: on the 10-D sphere over [-3, 7]^10 CMA-ES reaches f < 1e-8 within 2000
trials (about 1300 with the defaults; tests/samplers/test_cmaes.py).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from tunecraft._imports import require
from tunecraft._rng import trial_rng
from tunecraft._validation import InstanceOf, Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.samplers import _cma_state
from tunecraft.samplers._cma_index import TrialIndex, indexed
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Categorical, Dim, Float, Int, Space, is_single

GENERATION_KEY = "cmaes:generation"
X_KEY = "cmaes:x"
STATE_KEY = "cmaes:state"


_CONSTRAINTS: Spec = {
    "n_startup_trials": Interval(int, 0),
    "sigma0": [Interval(float, 0, 1, closed="right",
                        label="a number in (0, 1] (a fraction of the unit cube)"),
               Options(None, note="1/6")],
    "popsize": [Interval(int, 2), Options(None)],
    "restart_strategy": Options("ipop", "bipop", None),
    "inc_popsize": Interval(int, 1),
    "with_margin": Options(True, False),
    "lr_adapt": Options(True, False),
    "independent_sampler": [InstanceOf(BaseSampler, "a tunecraft sampler"), Options(None)],
}


class CmaEsSampler(BaseSampler):
    """CMA-ES over the numerical parameters (see the module docstring).

    Args:
        seed: Seed of the per-trial generators and the restarts.
        x0: Initial mean ``{name: value}`` (default: the centre of the space).
        sigma0: Initial step size in the unit cube (default 1/6).
        popsize: Initial population size (default ``4 + floor(3 ln n)``).
        with_margin: Use CMAwM when there are integer or stepped parameters.
        lr_adapt: Learning-rate adaptation (LRA-CMA).
        restart_strategy: ``"ipop"``, ``"bipop"`` or None (keep the stopped run).
        inc_popsize: Population growth factor of IPOP and of BIPOP's large runs.
        source_trials: Trials of a related study to warm-start from.
        independent_sampler: Samples categorical and non-joint parameters.
    """

    name = "cmaes"

    def __init__(
        self,
        *,
        seed: int | None = None,
        x0: Mapping[str, Any] | None = None,
        sigma0: float | None = None,
        popsize: int | None = None,
        with_margin: bool = True,
        lr_adapt: bool = False,
        restart_strategy: Literal["ipop", "bipop"] | None = "ipop",
        inc_popsize: int = 2,
        source_trials: Sequence[FrozenTrial] | None = None,
        independent_sampler: BaseSampler | None = None,
        n_startup_trials: int = 1,
        use_separable_cma: bool = False,
        consider_pruned_trials: bool = False,
        warn_independent_sampling: bool = True,
    ) -> None:
        super().__init__(seed)
        require("cmaes", "cmaes")
        # Optuna's arguments: startup trials sampled independently, the diagonal (separable)
        # CMA-ES of Ros & Hansen (PPSN 2008); warnings about independent sampling are not
        # emitted by tunecraft, so that flag changes nothing
        from tunecraft.samplers._optuna_args import reject_true

        validate(_CONSTRAINTS, n_startup_trials=n_startup_trials, sigma0=sigma0,
                 popsize=popsize, restart_strategy=restart_strategy, inc_popsize=inc_popsize,
                 with_margin=with_margin, lr_adapt=lr_adapt,
                 independent_sampler=independent_sampler)
        self.n_startup_trials: int = int(n_startup_trials)
        self.use_separable_cma: bool = bool(use_separable_cma)
        reject_true("CmaEsSampler", "consider_pruned_trials", consider_pruned_trials,
                    "pruned trials are not observations of CMA-ES; report the final value "
                    "of a trial you want it to learn from")
        del warn_independent_sampling
        self.x0: dict[str, Any] | None = dict(x0) if x0 else None
        self.sigma0: float = 1.0 / 6.0 if sigma0 is None else float(sigma0)
        self.popsize: int | None = None if popsize is None else int(popsize)
        self.with_margin: bool = with_margin
        self.lr_adapt: bool = lr_adapt
        self.restart_strategy: str | None = restart_strategy
        self.inc_popsize: int = int(inc_popsize)
        self.source_trials: tuple[FrozenTrial, ...] = tuple(source_trials or ())
        if independent_sampler is None:
            from tunecraft.samplers.tpe import TPESampler

            independent_sampler = TPESampler(seed=self.seed, multivariate=False)
        self.independent_sampler: BaseSampler = independent_sampler
        self._init_cache()

    def _init_cache(self) -> None:
        # Derived from the histories seen, never a source of truth (results equal a replay
        # of the history): the trial index and, per search space, the live optimizer of the
        # newest generation as (generation, number of the trial holding its state, run,
        # optimizer). They make the time per trial constant in the history's length.
        self._lock = threading.RLock()
        self._index: TrialIndex | None = None
        self._live: dict[str, tuple[int, int, dict[str, Any], Any]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # a copy (or a worker process) starts without the caches and rebuilds them
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_index", "_live")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_cache()

    def _indexed(self, history: History) -> TrialIndex | None:
        """The trial index brought up to ``history`` (None for a filtered view)."""
        with self._lock:
            self._index = indexed(self._index, history, (GENERATION_KEY, X_KEY, STATE_KEY))
            return self._index

    # ------------------------------------------------------------------ sampler API
    def joint_space(self, history: History) -> Space:
        """The numerical parameters every COMPLETE trial has (same distributions)."""
        with self._lock:
            index = self._indexed(history)
            n_complete = len(history.complete()) if index is None else index.n_complete
            if n_complete < self.n_startup_trials:
                return {}  # the first trials are sampled independently, as in Optuna
            joint = history.intersection_space() if index is None else index.intersection()
        numerical = {k: d for k, d in joint.items()
                     if not isinstance(d, Categorical) and not is_single(d)}
        # Separable CMA-ES needs two dimensions or more (cmaes.SepCMA refuses one); a
        # one-dimensional space is then sampled independently, as Optuna does.
        return {} if self.use_separable_cma and len(numerical) < 2 else numerical

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        joint = self.joint_space(history)
        todo = {k: d for k, d in space.items() if k in joint and joint[k] == d}
        rest = {k: d for k, d in space.items() if k not in todo}
        out = self.independent_sampler.sample(rest, history, rng, number) if rest else {}
        attrs: dict[str, Any] = {}
        if todo:
            with self._lock:
                values, attrs = self._cma(todo, history, rng, number)
            out.update(values)
        return {k: out[k] for k in space}, attrs

    # ------------------------------------------------------------------ CMA-ES
    def _cma(self, space: dict[str, Dim], history: History, rng: np.random.Generator,
             number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        if len(history.directions) != 1:
            raise ValueError("CmaEsSampler supports single-objective studies; use "
                             "NSGAIISampler or TPESampler for several objectives")
        key = _signature(space)
        run, gen, fresh, opt = self._current(space, key, history)
        if opt is None:  # a new state: ask from its stored form, as a later replay would
            opt = _cma_state.load(run["state"])
            self._live[key] = (gen, number, run, opt)
        opt.reseed_rng(int(rng.integers(2**31 - 1)))
        asked = opt.ask()
        x_eval, x_tell = asked if isinstance(asked, tuple) else (asked, asked)
        values = {name: dim.from_unit(float(np.clip(u, 0.0, 1.0)))
                  for (name, dim), u in zip(space.items(), x_eval, strict=True)}
        attrs: dict[str, Any] = {GENERATION_KEY: gen, X_KEY: [float(v) for v in x_tell]}
        if fresh:
            attrs[STATE_KEY] = run
        return values, attrs

    def _current(self, space: dict[str, Dim], key: str, history: History
                 ) -> tuple[dict[str, Any], int, bool, Any]:
        """The run state of the generation to sample from, its number, whether the state is
        new (not yet stored on any trial), and its live optimizer (None for a new state).

        The newest state and its generation's trials come from the trial index, so the work
        is constant in the history's length; a live optimizer is reused while its state is
        still the newest (and loaded from the blob otherwise: a new process, another study).
        """
        index = self._indexed(history)
        latest = index.latest(key) if index is not None else _scan_latest(key, history)
        if latest is None:
            return self._start(space, key, history, restarts=0, evals={}), 0, True, None
        gen, holder = latest
        live = self._live.pop(key, None)
        if live is None or live[:2] != (gen, holder):
            run = _thaw(history.trial(holder).system_attrs[STATE_KEY])
            try:
                live = (gen, holder, run, _cma_state.load(run["state"]))
            except ValueError:  # another format or cmaes version: start over, warm
                return (self._start(space, key, history, restarts=0, evals={}), gen + 1,
                        True, None)
        run, opt = live[2], live[3]
        members = None if index is None else [history.trials[n] for n in index.generation(gen)]
        told = self._told(opt.population_size, gen, history, members)
        if told is None:
            self._live[key] = live
            return run, gen, False, opt
        opt.tell(told)
        evals = dict(run.get("evals", {}))
        regime = run.get("regime", "large")
        evals[regime] = evals.get(regime, 0) + opt.population_size
        if opt.should_stop() and self.restart_strategy is not None:
            return self._start(space, key, history, restarts=int(run["restarts"]) + 1,
                               evals=evals, popsize_large=run.get("popsize_large")), gen + 1, \
                True, None
        return {**run, "state": _cma_state.dump(opt), "evals": evals}, gen + 1, True, None

    def _told(self, popsize: int, gen: int, history: History,
              members: Sequence[FrozenTrial] | None = None
              ) -> list[tuple[np.ndarray, float]] | None:
        """The first ``popsize`` finished trials of generation ``gen`` as (x, f) pairs, or
        None while fewer have finished. Infeasible trials rank after all feasible ones.
        ``members``: the trials tagged with ``gen`` (default: found by a scan)."""
        done: list[FrozenTrial] = []
        for t in history.trials if members is None else members:
            if t.system_attrs.get(GENERATION_KEY) != gen or X_KEY not in t.system_attrs:
                continue
            rankable = t.state is TrialState.COMPLETE and t.values is not None and not \
                math.isnan(t.values[0])  # infinite losses (diverged runs) count as the worst
            if rankable or (t.state.is_finished() and not t.is_feasible()):
                done.append(t)
                if len(done) == popsize:
                    break
        if len(done) < popsize:
            return None
        sign = history.directions[0].sign
        feasible = [sign * t.values[0] for t in done if t.is_feasible() and t.values
                    and math.isfinite(t.values[0])]
        worst = max(feasible, default=0.0)
        out = []
        for t in done:
            x = np.asarray(t.system_attrs[X_KEY], dtype=float)
            if t.is_feasible() and t.values is not None and math.isfinite(t.values[0]):
                f = sign * t.values[0]
            elif t.is_feasible() and t.values is not None:  # an infinite loss (diverged)
                f = worst + 1.0 if sign * t.values[0] > 0 else min(feasible, default=0.0)
            else:
                violation = sum(max(c, 0.0) for c in (t.constraints or (math.inf,)))
                f = worst + 1.0 + min(violation, 1e300)
            out.append((x, float(f)))
        return out

    def _start(self, space: dict[str, Dim], key: str, history: History, *, restarts: int,
               evals: dict[str, int], popsize_large: int | None = None) -> dict[str, Any]:
        """A new run: the first from x0 or a warm start, restarts by IPOP or BIPOP."""
        cmaes = require("cmaes", "cmaes")
        n = len(space)
        pop0 = self.popsize or 4 + math.floor(3 * math.log(n))
        mean = np.array([d.to_unit(self.x0[k]) if self.x0 and k in self.x0 else 0.5
                         for k, d in space.items()])
        sigma, cov, pop, regime = self.sigma0, None, pop0, "large"
        if restarts == 0:
            warm = self._warm_start(space, history)
            if warm is not None:
                mean, sigma, cov = warm
        else:
            rrng = trial_rng(self.seed, restarts, stream=2)
            mean = rrng.random(n)
            large = popsize_large or pop0
            if self.restart_strategy == "bipop" and evals.get("small", 0) < evals.get("large", 0):
                u = rrng.random()
                pop = max(2, math.floor(pop0 * (large * self.inc_popsize / pop0) ** (u * u)))
                sigma, regime = self.sigma0 * 10 ** (-2 * rrng.random()), "small"
            else:
                pop = large * self.inc_popsize
                popsize_large = pop
        bounds = np.tile([0.0, 1.0], (n, 1))
        steps = np.array([_step(d) for d in space.values()])
        seed = int(trial_rng(self.seed, restarts, stream=3).integers(2**31 - 1))
        mean = np.clip(mean, 1e-6, 1 - 1e-6)
        if self.use_separable_cma:  # a diagonal covariance: O(n) per update
            opt = cmaes.SepCMA(mean=mean, sigma=sigma, bounds=bounds, seed=seed,
                               population_size=pop)
        elif self.with_margin and not self.lr_adapt and np.any(steps > 0):
            lo = np.where(steps > 0, steps / 2, 0.0)
            bounds = np.stack([lo, 1.0 - lo], axis=1)
            mean = np.clip(mean, bounds[:, 0], bounds[:, 1])
            opt = cmaes.CMAwM(mean=mean, sigma=sigma, bounds=bounds, steps=steps, seed=seed,
                              population_size=pop, cov=cov)
        else:
            opt = cmaes.CMA(mean=mean, sigma=sigma, bounds=bounds, seed=seed,
                            population_size=pop, cov=cov, lr_adapt=self.lr_adapt)
        return {"space": key, "state": _cma_state.dump(opt), "restarts": restarts,
                "regime": regime, "evals": evals, "popsize_large": popsize_large or pop0}

    def _warm_start(self, space: dict[str, Dim], history: History
                    ) -> tuple[np.ndarray, float, np.ndarray] | None:
        cmaes = require("cmaes", "cmaes")
        sign = history.directions[0].sign
        solutions = []
        for t in (*self.source_trials, *history.complete()):
            if t.values is None or not t.is_feasible() or not all(
                    k in t.params and d.contains(t.params[k]) for k, d in space.items()):
                continue
            x = np.array([d.to_unit(t.params[k]) for k, d in space.items()])
            solutions.append((x, sign * float(t.values[0])))
        if len(solutions) < 10:
            return None
        mean, sigma, cov = cmaes.get_warm_start_mgd(solutions, gamma=0.1, alpha=0.1)
        if not (np.all(np.isfinite(mean)) and math.isfinite(sigma) and sigma > 0):
            return None
        return np.clip(mean, 0.0, 1.0), float(min(sigma, self.sigma0 * 2)), cov


def _step(dim: Dim) -> float:
    """The width of one cell in the unit cube for linear integer and stepped dims, else 0."""
    if isinstance(dim, Int) and not dim.log:
        return 1.0 / ((dim.high - dim.low) // dim.step + 1)
    if isinstance(dim, Float) and dim.step is not None:
        return 1.0 / (round((dim.high - dim.low) / dim.step) + 1)
    return 0.0


def _scan_latest(key: str, history: History) -> tuple[int, int] | None:
    """(generation, trial number) of the newest state blob for the space ``key``, by a scan
    (for a History the trial index cannot follow)."""
    latest: tuple[int, int] | None = None
    for t in history.trials:
        run = t.system_attrs.get(STATE_KEY)
        g = t.system_attrs.get(GENERATION_KEY)
        if isinstance(run, Mapping) and run.get("space") == key and isinstance(g, int) \
                and X_KEY in t.system_attrs and (latest is None or g > latest[0]):
            latest = (g, t.number)
    return latest


def _signature(space: Mapping[str, Dim]) -> str:
    return ";".join(f"{k}={d}" for k, d in space.items())


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value
