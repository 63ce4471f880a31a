"""TPESampler: the Tree-structured Parzen Estimator, multivariate and group-aware by default."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tunecraft._validation import Constraint, InstanceOf, Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.samplers._optuna_args import (
    ConstraintsFunc,
    check_constraints_func,
    reject_false,
)
from tunecraft.samplers.base import BaseSampler
from tunecraft.samplers.tpe._encoding import Columns
from tunecraft.samplers.tpe._fidelity import budget_view
from tunecraft.samplers.tpe._observations import TrialTable
from tunecraft.samplers.tpe._split import (
    RUNNING,
    default_gamma,
    default_gamma_multiobjective,
    default_weights,
    split,
)
from tunecraft.samplers.tpe._startup import startup_sample
from tunecraft.samplers.tpe._untried import untried
from tunecraft.samplers.tpe.parzen import ParzenEstimator
from tunecraft.space import Categorical, Dim, Space, split_constants

_FLAG = Options(True, False)
_FUNCTION: list[Constraint] = [InstanceOf(Callable, "a function of the number of trials"),
             Options(None, note="the default")]
_CONSTRAINTS: Spec = {
    "n_startup_trials": Interval(int, 0),
    "n_ei_candidates": Interval(int, 1),
    "multivariate": Options(True, False, None),
    "group": Options(True, False, None),
    "constant_liar": _FLAG,
    "consider_magic_clip": _FLAG,
    "consider_endpoints": _FLAG,
    "multi_fidelity": _FLAG,
    "gamma": _FUNCTION,
    "weights": _FUNCTION,
    "prior_weight": Interval(float, 0, label="a finite number >= 0 (1.0 is the usual choice)"),
    "min_budget_observations": [Interval(int, 1), Options(None)],
    "max_observations": [Interval(int, 2), Options(None, note="unbounded")],
}


class TPESampler(BaseSampler):
    """Tree-structured Parzen Estimator: proposes where good trials are dense and others sparse.

    Trials are split into a good fraction ("below", density l) and the rest ("above", density
    g); each density is a weighted mixture of one kernel per trial plus a prior kernel. A
    suggestion is the best of ``n_ei_candidates`` draws from l by ``log l(x) - log g(x)``,
    which ranks candidates like expected improvement; on a space of only integers, steps and
    categories it is the best candidate that no trial has tried yet, while there is one
    (``_untried``). With constraints (``constraints_func``
    or ``trial.set_constraint``), trials that violate one, FAIL ones included, are good only
    after every feasible trial, by total violation (Optuna's rule), so TPE learns to avoid
    infeasible regions. The defaults follow Optuna v5: the
    multivariate (product-kernel) TPE with the neighbour bandwidth rule and the magic clip,
    found best by Watanabe (2023, arXiv:2304.11127), and the constant liar on. The keyword
    names are Optuna's, so switching is a change of import.

    Args:
        seed: Seed of the per-trial generators; the same seed and history give the same
            suggestion, whatever process or thread asks.
        n_startup_trials: Sample at random until this many trials are COMPLETE or PRUNED
            (the first ``n_startup_trials`` trials form a Latin hypercube: ``_startup``).
        n_ei_candidates: Candidates drawn from l(x) per suggestion.
        multivariate: Fit the parameters sampled together at ``ask`` with one joint product
            kernel, which captures their interactions (Optuna's ``multivariate=True``). When
            False every parameter is fitted alone (independent TPE). The default (None) is
            True for one objective and False for several, as in Optuna v5: on DTLZ2
            (3 objectives, 6-D, 100 trials, 5 seeds) the independent kernels reached a median
            hypervolume of 0.556 against 0.436 for the joint one.
        group: Decompose the space into groups of parameters that always occur together and
            fit each group on the trials that contain it. The default (None) means True when
            the kernel is multivariate. Conditional spaces are the usual case in deep learning (the
            momentum of SGD, the betas of Adam, the width of layer 3 only when there are 3
            layers); without groups their parameters fall outside the joint space and are
            fitted one at a time. On a space without conditions there is one group, the
            whole space, so the default costs nothing there. Each group's split into good
            and bad trials is taken among the trials that contain the group, so a
            conditional parameter is modelled on its own branch even while another branch
            is better overall.
        constant_liar: Count RUNNING trials (at their flushed params and published joint
            proposal) as bad, so that parallel workers do not propose the same point.
        gamma: ``n -> n_below``, how many of ``n`` trials are good; default
            ``min(ceil(0.1 n), 25)``, or ``ceil(0.1 n)`` with several objectives.
        weights: ``n -> (n,) weights`` of the trials in number order (for l and g; with
            several objectives l is uniform); default down-weights trials older than the
            last 25.
        prior_weight: Weight of the prior kernel (mean at the centre, width the whole range,
            uniform over categories) relative to one trial's weight.
        consider_magic_clip: Keep kernel widths at least ``range / min(100, n + 2)``.
        consider_endpoints: Let the outermost kernels also widen towards the bounds.
        multi_fidelity: BOHB-style: under Hyperband or successive halving, fit on the
            largest step (budget) at which ``min_budget_observations`` configurations
            reported, using their values there, instead of on final values; the study then
            shows this sampler every bracket's trials (see ``_fidelity``).
        min_budget_observations: Configurations needed at a budget; default the number of
            parameters + 3 (BOHB's ``N_min + 2`` with ``N_min = d + 1``, its Algorithm 2).
        max_observations: The most bad trials the density g(x) is fitted on (None: all).
            Beyond it, g is fitted on the newest ``max_observations`` of them, at the weights
            they have among all, so the cost of a suggestion stops growing with the history
            (fitting and evaluating g is most of it). The good trials (at most 25 with one
            objective) are always all used. Why the newest: candidates are drawn from l(x),
            next to the good trials, so g only matters there, and there the recent trials,
            which TPE itself placed next to the good ones, describe it; the trials left out
            are the ones the default weights count least. Representing the old trials by an
            even, re-weighted subsample instead was worse: sparse narrow kernels make g
            spiky and the ranking of candidates noisy. On five test functions over 2,000
            trials (10 seeds; ``benchmarks/results/issue-12-scale.md``) the default bound
            did as well as no bound (geometric mean of the regret ratios 0.98), and bounds
            of 250 and 100, which keep 12% and 5% of the bad trials by the end as 1,000
            does at 8,000 and 20,000 trials, were 7% and 12% worse on average, not
            significantly (p = 0.08 and 0.19). Pass None for the unbounded TPE.

    Raises:
        ValueError: on an invalid argument (the message names it and the fix).

    Example:
        >>> import tunecraft as tc
        >>> study = tc.create_study(sampler=TPESampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=40)
        >>> study.best_value < 0.01
        True
    """

    name = "tpe"

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool | None = None,
        group: bool | None = None,
        constant_liar: bool = True,
        gamma: Callable[[int], int] | None = None,
        weights: Callable[[int], Any] | None = None,
        prior_weight: float = 1.0,
        consider_magic_clip: bool = True,
        consider_endpoints: bool = False,
        multi_fidelity: bool = False,
        min_budget_observations: int | None = None,
        max_observations: int | None = 1000,
        constraints_func: ConstraintsFunc | None = None,
        consider_prior: bool = True,
        warn_independent_sampling: bool = True,
    ) -> None:
        super().__init__(seed)
        # Optuna's arguments: constraints go to the study (which evaluates them, see
        # create_study); the prior is always considered (Optuna deprecated turning it off)
        self.constraints_func = check_constraints_func(constraints_func)
        reject_false("consider_prior", consider_prior)
        del warn_independent_sampling
        validate(_CONSTRAINTS, n_startup_trials=n_startup_trials,
                 n_ei_candidates=n_ei_candidates, multivariate=multivariate,
                 constant_liar=constant_liar, consider_magic_clip=consider_magic_clip,
                 consider_endpoints=consider_endpoints, group=group, gamma=gamma,
                 weights=weights, prior_weight=prior_weight, multi_fidelity=multi_fidelity,
                 min_budget_observations=min_budget_observations,
                 max_observations=max_observations)
        if group and multivariate is False:
            raise ValueError("group=True needs multivariate=True; set multivariate=True or "
                             "leave group unset")
        self.n_startup_trials: int = int(n_startup_trials)
        self.n_ei_candidates: int = int(n_ei_candidates)
        self.multivariate: bool | None = multivariate
        self.group: bool | None = group
        self.constant_liar: bool = constant_liar
        self.gamma: Callable[[int], int] | None = gamma
        self.weights: Callable[[int], Any] | None = weights
        self.prior_weight: float = float(prior_weight)
        self.consider_magic_clip: bool = consider_magic_clip
        self.consider_endpoints: bool = consider_endpoints
        self.multi_fidelity = multi_fidelity
        self.min_budget_observations: int | None = min_budget_observations
        self.max_observations: int | None = max_observations
        self._view: tuple[History, History] | None = None
        self._table: TrialTable | None = None

    def __getstate__(self) -> dict[str, Any]:
        # the caches are derived from histories and rebuilt on the next sample; a copy (or a
        # worker process) starts without them
        return {**self.__dict__, "_view": None, "_table": None}

    def _fidelity_view(self, history: History) -> History:
        if not self.multi_fidelity:
            return history
        cached = self._view
        if cached is not None and cached[0] is history:
            return cached[1]
        view = budget_view(history, self.min_budget_observations)
        self._view = (history, view)
        return view

    def _table_of(self, history: History) -> TrialTable:
        # The table of the last History seen: joint_space and each sample call of a trial get
        # the same History, and the next trial's History mostly holds the same trial objects,
        # so the new table reuses the old one's rows. Results never depend on this cache.
        history = self._fidelity_view(history)
        table = self._table
        if table is None or table.history is not history:
            table = self._table = TrialTable(history, table)
        return table

    # ------------------------------------------------------------------ sampler API
    def joint_space(self, history: History) -> Space:
        """The groups' union (``group``), the intersection space, or nothing (univariate).

        Nothing is sampled jointly during the random startup.
        """
        multivariate, group = self._kernel(history)
        if not multivariate:
            return {}
        table = self._table_of(history)
        if table.n_finished() < self.n_startup_trials:
            return {}
        if group:
            return {k: d for g in table.groups() for k, d in g.items()}
        return table.intersection()

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        out, todo = split_constants(space)
        if todo:
            table = self._table_of(history)
            if table.n_finished() < self.n_startup_trials:  # a Latin hypercube: _startup
                out.update(startup_sample(todo, rng, self.seed, number, self.n_startup_trials))
            else:
                usable = table.usable(number, self.constant_liar)
                parts = self._partition(todo, table, *self._kernel(history))
                for part in parts:
                    out.update(self._sample_part(part, table, usable, rng,
                                                 whole=len(parts) == 1))
        return {name: out[name] for name in space}, {}

    # ------------------------------------------------------------------ internals
    def _kernel(self, history: History) -> tuple[bool, bool]:
        """(multivariate, group) in effect for this study: the defaults depend on how many
        objectives it has."""
        multivariate = self.multivariate
        if multivariate is None:
            multivariate = bool(self.group) or len(history.directions) == 1
        return multivariate, multivariate if self.group is None else self.group

    def _partition(self, space: dict[str, Dim], table: TrialTable, multivariate: bool,
                   group: bool) -> list[dict[str, Dim]]:
        if len(space) == 1 or not multivariate:
            return [{k: d} for k, d in space.items()]
        if not group:
            return [space]
        parts: list[dict[str, Dim]] = []
        seen: set[str] = set()
        for g in table.groups():
            part = {k: space[k] for k in g if k in space}
            if part:
                parts.append(part)
                seen.update(part)
        parts.extend({k: d} for k, d in space.items() if k not in seen)
        return parts

    def _sample_part(
        self, space: dict[str, Dim], table: TrialTable, usable: np.ndarray,
        rng: np.random.Generator, whole: bool = False,
    ) -> dict[str, Any]:
        cols = Columns(space)
        ok = usable.copy()
        num: list[np.ndarray] = []
        cat: list[np.ndarray] = []
        for name, dim in space.items():
            col_ok, data = table.column(name, dim)
            ok &= col_ok
            (cat if isinstance(dim, Categorical) else num).append(data)
        rows = np.flatnonzero(ok)
        unit = np.stack(num, axis=1)[rows] if num else np.empty((rows.size, 0))
        cats = (np.stack(cat, axis=1)[rows] if cat
                else np.empty((rows.size, 0), dtype=np.int64))
        kind = table.kind[rows]
        n = int(np.count_nonzero(kind != RUNNING))
        if n == 0:  # no finished trial has this part: l = g = prior, so draw uniformly
            return _random(space, rng)
        multi = len(table.directions) > 1
        gamma = self.gamma or (default_gamma_multiobjective if multi else default_gamma)
        n_below = _call_gamma(gamma, n)
        below = split(kind, table.values[rows], table.pruned_key[rows], n_below,
                      table.violation[rows])
        b, a = np.flatnonzero(below), np.flatnonzero(~below)
        w_below = np.ones(b.size) if multi else self._weights(b.size)
        w_above = self._weights(a.size)
        if self.max_observations is not None and a.size > self.max_observations:
            # the newest, at the weights they have among all: see ``max_observations``
            a, w_above = a[-self.max_observations:], w_above[-self.max_observations:]
        opts: dict[str, Any] = dict(prior_weight=self.prior_weight,
                                    magic_clip=self.consider_magic_clip,
                                    endpoints=self.consider_endpoints)
        lpe = ParzenEstimator(unit[b], cats[b], cols.n_choices, cols.discrete, w_below, **opts)
        gpe = ParzenEstimator(unit[a], cats[a], cols.n_choices, cols.discrete, w_above, **opts)
        cand_unit, cand_cats = lpe.sample(rng, self.n_ei_candidates)
        values = cols.snap(cand_unit)
        left, right = cols.cells(values)
        with np.errstate(invalid="ignore"):  # -inf - -inf: impossible under both
            score = (lpe.log_pdf(cand_unit, cand_cats, left, right)
                     - gpe.log_pdf(cand_unit, cand_cats, left, right))
        score = np.where(np.isnan(score), -np.inf, score)
        fresh = untried(cols, values, cand_cats, unit, cats) if whole else None
        if fresh is not None and fresh.any():  # the best new configuration (see _untried)
            score = np.where(fresh, score, -np.inf)
        best = int(np.argmax(score))
        return cols.decode(cand_unit[best], values[best], cand_cats[best])

    def _weights(self, n: int) -> np.ndarray:
        if self.weights is None:
            return default_weights(n)
        w: np.ndarray = np.asarray(self.weights(n), dtype=np.float64)
        if w.shape != (n,):
            raise ValueError(f"weights({n}) returned shape {w.shape}; it must return {n} "
                             "weights, one per trial in number order")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or (n and w.sum() <= 0):
            raise ValueError(f"weights({n}) returned {w!r}; weights must be finite, "
                             ">= 0 and not all zero")
        return w


def _random(space: Mapping[str, Dim], rng: np.random.Generator) -> dict[str, Any]:
    return {name: dim.from_unit(rng.random()) for name, dim in space.items()}


def _call_gamma(gamma: Callable[[int], int], n: int) -> int:
    k = gamma(n)
    if (isinstance(k, bool) or not isinstance(k, numbers.Real) or not math.isfinite(k)
            or k != int(k) or k < 0):
        raise ValueError(f"gamma({n}) returned {k!r}; it must return an integer >= 0, the "
                         "number of good trials")
    return min(int(k), n)
