"""Population-based training (Jaderberg et al. 2017): exploit the best members, explore nearby.

A member trains in intervals: at the end of each, the scheduler PAUSEs it (the trial saves a
checkpoint and stops) and, when a worker asks for a trial, continues the least advanced
paused member in a new trial. A member in the bottom quantile of the population first
*exploits*: it takes the weights (checkpoint) and hyperparameters of a random top-quantile
member, then *explores*: each hyperparameter is resampled from its distribution with
``resample_probability``, or else multiplied by a random perturbation factor (a categorical
moves to a neighbouring choice). The chain of trials of a member records the hyperparameter
schedule it followed (:func:`pbt_schedule`), which :func:`params_at` replays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunecraft._rng import fresh_seed, trial_rng
from tunecraft._validation import Interval, Options, Spec, check, validate
from tunecraft.history import History
from tunecraft.pruners import _rungs
from tunecraft.pruners.base import BasePruner, Decision, Resume
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Categorical, Dim, Float, Int
from tunecraft.system_attrs import (
    PBT_KEY,
    checkpoint_of,
    lineage,
    newest_per_lineage,
    paused_step,
    resume_info,
    superseded,
)

Schedule = list[tuple[int, dict[str, Any]]]


def quantile_size(n: int, fraction: float) -> int:
    """Members in each of the bottom and top quantiles: ``ceil(n * fraction)``, at most
    ``floor(n / 2)`` (Ray's rule; 8 members at 0.25 give 2 and 2)."""
    k = math.ceil(n * fraction)
    return n // 2 if k > n / 2 else k


def explore(params: Mapping[str, Any], dists: Mapping[str, Dim], rng: np.random.Generator,
            names: Sequence[str] | None = None, *, resample_probability: float = 0.25,
            perturbation_factors: Sequence[float] = (1.2, 0.8),
            noise: float | None = None) -> dict[str, Any]:
    """Perturb ``params`` (those in ``names``, default all): resample from the distribution
    with ``resample_probability``; otherwise multiply a number by a random factor (or, with
    ``noise``, add Gaussian noise of that standard deviation in the unit box, where a log
    dimension's value moves multiplicatively and a zero can move), clipped to its range,
    rounded for integers, snapped to its step; a categorical moves to a random neighbouring
    choice."""
    out = dict(params)
    for name in (names if names is not None else list(params)):
        if name not in params or name not in dists:
            continue
        dim, value = dists[name], params[name]
        if isinstance(dim, Categorical):
            if rng.random() < resample_probability or not dim.contains(value):
                out[name] = dim.from_unit(float(rng.random()))
            else:
                i = dim.index(value) + int(rng.choice([-1, 1]))
                out[name] = dim.choices[min(max(i, 0), len(dim.choices) - 1)]
        elif rng.random() < resample_probability:
            out[name] = dim.from_unit(float(rng.random()))
        elif noise is not None:
            u = dim.to_unit(value) + noise * float(rng.standard_normal())
            out[name] = _clip(dim, float(dim.from_unit(min(max(u, 0.0), 1.0))))
        else:
            x = float(value) * float(rng.choice(np.asarray(perturbation_factors)))
            out[name] = _clip(dim, x)
    return out


def _clip(dim: Float | Int, x: float) -> float | int:
    x = min(max(x, float(dim.low)), float(dim.high))
    return dim.snap(x)


def pbt_schedule(trial: FrozenTrial) -> Schedule:
    """The hyperparameter schedule a member followed up to this trial: ``[(step, params)]``
    where ``params`` are used for the steps after ``step``."""
    raw = trial.system_attrs.get(PBT_KEY)
    if raw is None:
        return [(0, dict(trial.params))]
    return [(int(step), dict(p)) for step, p in raw["schedule"]]


def params_at(schedule: Schedule, step: int) -> dict[str, Any]:
    """The parameters in effect for training step ``step`` (>= 1) of a schedule."""
    current = schedule[0][1]
    for start, params in schedule:
        if start < step:
            current = params
    return dict(current)


_CONSTRAINTS: Spec = {
    "population_size": Interval(int, 2),
    "interval": Interval(int, 1),
    "burn_in": Interval(int, 0),
    "max_resource": [Interval(int, 1), Options(None)],
    "quantile_fraction": Interval(float, 0, 0.5, closed="right"),
    "resample_probability": Interval(float, 0, 1),
    "seed": [Interval(int), Options(None)],
}


class PopulationBasedTraining(BasePruner):
    """Population-based training as a scheduler: pass it as the study's ``pruner``.

    The first ``population_size`` trials are the initial members, sampled by the study's
    sampler. Each member is paused every ``interval`` steps (after ``burn_in``) and continued
    in a new trial by the next worker that asks; so a study of ``population_size`` members
    trained for ``T`` steps runs about ``population_size * T / interval`` trials. Set
    ``n_trials`` (or a :class:`~tunecraft.study.callbacks.MaxTrialsCallback`) accordingly.

    Args:
        population_size: Number of members (with more workers than members, the extra
            workers start extra members).
        interval: Steps between exploit/explore decisions (steps, not seconds, so that
            runs are reproducible).
        burn_in: No member is paused before this step.
        quantile_fraction: Share of the population in the bottom (replaced) and the top
            (cloned) quantile, in (0, 0.5].
        resample_probability: Chance that explore resamples a hyperparameter instead of
            perturbing it.
        perturbation_factors: Factors a numeric hyperparameter is multiplied by.
        perturbation_noise: Instead of factors, add Gaussian noise of this standard
            deviation to a numeric hyperparameter in the unit box (the paper's toy example;
            unlike a factor it moves a value of 0).
        hyperparams: Names of the hyperparameters to explore; default all of a trial's
            parameters (those that shape the model, e.g. its width, must be left out).
        max_resource: Steps of a full run; members are not paused at or after it.
        exploit: False gives the "explore only" ablation: every member perturbs its own
            hyperparameters at every interval and never copies another's weights.
        copy_hyperparams: Exploit copies the donor's weights and hyperparameters (True, as
            in Ray), or its weights only, the member then exploring around its own
            hyperparameters (the paper's toy example, where members with complementary
            hyperparameters take turns on the same weights).
        seed: Seed of the exploit/explore draws (per paused trial, so reproducible).
    """

    name = "pbt"

    def __init__(
        self,
        population_size: int = 8,
        interval: int = 1,
        *,
        burn_in: int = 0,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
        perturbation_factors: Sequence[float] = (1.2, 0.8),
        perturbation_noise: float | None = None,
        hyperparams: Sequence[str] | None = None,
        max_resource: int | None = None,
        exploit: bool = True,
        copy_hyperparams: bool = True,
        seed: int | None = None,
    ) -> None:
        validate(_CONSTRAINTS, population_size=population_size, interval=interval,
                 burn_in=burn_in, max_resource=max_resource, quantile_fraction=quantile_fraction,
                 resample_probability=resample_probability, seed=seed)
        factors = tuple(perturbation_factors)
        if not factors or not all(isinstance(f, (int, float)) and f > 0 for f in factors):
            raise ValueError(f"perturbation_factors={perturbation_factors!r} must be positive "
                             "numbers, e.g. (1.2, 0.8)")
        check("perturbation_noise", perturbation_noise, Interval(float, 0, 1, closed="right"),
              Options(None), fix="it is a standard deviation in the unit box")
        if hyperparams is not None and (isinstance(hyperparams, str)
                                        or not all(isinstance(h, str) for h in hyperparams)):
            raise ValueError(f"hyperparams={hyperparams!r} must be a list of parameter names")
        self.population_size = population_size
        self.interval = interval
        self.burn_in = burn_in
        self.quantile_fraction = float(quantile_fraction)
        self.resample_probability = float(resample_probability)
        self.perturbation_factors = factors
        self.perturbation_noise = None if perturbation_noise is None else float(
            perturbation_noise)
        self.hyperparams = None if hyperparams is None else tuple(hyperparams)
        self.max_resource = max_resource
        self.exploit = bool(exploit)
        self.copy_hyperparams = bool(copy_hyperparams)
        self.seed = fresh_seed() if seed is None else seed

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        _rungs.single_objective(history, type(self).__name__)
        step = trial.last_step
        if step is None or (self.max_resource is not None and step >= self.max_resource):
            return Decision.CONTINUE
        info = resume_info(trial)
        start = 0 if info is None else info.step
        return Decision.PAUSE if step >= max(start + self.interval, self.burn_in) else \
            Decision.CONTINUE

    def ranking(self, history: History, step: int | None = None) -> list[int]:
        """Members (lineages) from best to worst: by the value they trained to at ``step``
        (not the copy a member made when it cloned another there; members that have not
        reached it are left out), or by their latest report when ``step`` is None (members
        without one last). NaN ranks last; ties go by lineage."""
        sign = history.directions[0].sign
        score: dict[int, tuple[int, int, float]] = {}  # lineage -> (step, number, value)
        for t in history.trials:
            if step is not None:
                info = resume_info(t)
                v = t.intermediate_values.get(step)
                if v is not None and (info is None or step > info.step):
                    score[lineage(t)] = (step, t.number, v)  # trained there, not copied
                continue
            if not t.intermediate_values:
                continue
            s, v = max(t.intermediate_values.items())
            lin = lineage(t)
            if lin not in score or (s, t.number) > score[lin][:2]:
                score[lin] = (s, t.number, v)
        members = {lineage(t) for t in history.trials if t.state is not TrialState.WAITING}
        if step is not None:
            members &= set(score)

        def key(lin: int) -> tuple[float, int]:
            v = score.get(lin, (0, 0, math.nan))[2]
            return (math.inf if math.isnan(v) else sign * v, lin)

        return sorted(members, key=key)

    def promote(self, history: History) -> Resume | None:
        _rungs.single_objective(history, type(self).__name__)
        population = {lineage(t) for t in history.trials if t.state is not TrialState.WAITING}
        if len(population) < self.population_size:
            return None  # the study samples a new member
        gone = superseded(history.trials)
        paused = [t for t in history.trials
                  if (s := paused_step(t)) is not None and t.number not in gone
                  and (self.max_resource is None or s < self.max_resource)]
        if not paused:
            return None
        # The least advanced member first, ranked against the others at the same step; among
        # equals the worst first, so that it clones a donor paused at that very step
        # (synchronous PBT when workers are few).
        step = min(int(paused_step(t) or 0) for t in paused)
        members = self.ranking(history, step)
        rank = {lin: i for i, lin in enumerate(members)}
        head = min((t for t in paused if paused_step(t) == step),
                   key=lambda t: (-rank.get(lineage(t), -1), lineage(t)))
        rng = trial_rng(self.seed, head.number, 1)
        k = quantile_size(len(members), self.quantile_fraction)
        source, source_step = head, step
        if self.exploit and lineage(head) in members[len(members) - k:]:
            donors = [d for lin in members[:k] if (d := self._latest_checkpoint(history, lin))]
            if donors:
                source, source_step = donors[int(rng.integers(len(donors)))]
        changed = source is not head or not self.exploit
        params = dict(source.params if self.copy_hyperparams else head.params)
        if changed:
            params = explore(params, source.distributions, rng, self.hyperparams,
                             resample_probability=self.resample_probability,
                             perturbation_factors=self.perturbation_factors,
                             noise=self.perturbation_noise)
        schedule = [(s, p) for s, p in pbt_schedule(source) if s < source_step] or \
            pbt_schedule(source)[:1]
        if changed:
            schedule.append((source_step, params))
        attrs = {PBT_KEY: {"member": lineage(head), "source_member": lineage(source),
                           "schedule": [[s, p] for s, p in schedule]}}
        return Resume(head.number, source.number, source_step, params, attrs)

    def keep_checkpoints(self, history: History) -> set[int]:
        """The default, plus each member's newest checkpoint, which other members may clone
        (so these stay when the study ends: they hold the members' latest weights)."""
        keep = super().keep_checkpoints(history)
        for member in {lineage(t) for t in history.trials}:
            found = self._latest_checkpoint(history, member)
            if found is not None:
                keep.add(found[0].number)
        return keep

    @staticmethod
    def _latest_checkpoint(history: History, member: int) -> tuple[FrozenTrial, int] | None:
        """The member's newest checkpoint: its paused head's, or the one its running trial
        started from."""
        newest = newest_per_lineage(t for t in history.trials
                                    if t.state is not TrialState.WAITING).get(member)
        if newest is None:
            return None
        ckpt = checkpoint_of(newest)
        if ckpt is not None and paused_step(newest) is not None:
            return newest, ckpt[1]
        info = resume_info(newest)
        if info is not None and info.checkpoint is not None:
            return history.trial(info.source), info.step
        return None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(population_size={self.population_size}, "
                f"interval={self.interval}, burn_in={self.burn_in}, "
                f"quantile_fraction={self.quantile_fraction}, "
                f"resample_probability={self.resample_probability}, "
                f"perturbation_factors={self.perturbation_factors}, exploit={self.exploit})")
