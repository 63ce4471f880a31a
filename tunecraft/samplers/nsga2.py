"""NSGAIISampler: the elitist non-dominated sorting genetic algorithm (Deb et al., 2002).

A generation of ``population_size`` trials is bred from a parent population: two parents are
picked by binary tournament (lower rank, then larger crowding distance, wins), crossed over
and mutated. Once ``population_size`` trials of a generation have finished, the next parents
are the best ``population_size`` of the old parents and those trials: whole fronts of
constrained non-domination rank (feasible before infeasible, less violation first), the last
front cut by crowding distance.

The sampler holds no state. Each trial it proposes is tagged with its generation, and the
first trial of a generation records the parents' trial numbers; the study writes both on the
trial (``sample_joint``), so any process resumes from the stored trials. If workers race to
start a generation, the parents recorded by the lowest-numbered trial of it count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from tunecraft._validation import Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.record import FrozenTrial
from tunecraft.samplers._dominance import constrained_ranks, crowding_distance, total_violation
from tunecraft.samplers._optuna_args import ConstraintsFunc, check_constraints_func
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Categorical, Dim, Space, is_single

GENERATION_KEY = "nsga:generation"
PARENTS_KEY = "nsga:parents"


_PROBABILITY = Interval(float, 0, 1, label="a probability in [0, 1]")
_CONSTRAINTS: Spec = {
    "population_size": Interval(int, 2),
    "mutation_prob": [_PROBABILITY, Options(None, note="1 / the number of parameters")],
    "crossover_prob": _PROBABILITY,
    "swapping_prob": _PROBABILITY,
    "crossover": Options("uniform", "sbx"),
}


class NSGAIISampler(BaseSampler):
    """NSGA-II for multi-objective (and constrained) studies with large budgets.

    Prefer it over multi-objective TPE from a few hundred trials on; with 3 or more
    objectives prefer :class:`NSGAIIISampler`. The defaults are Optuna's: uniform crossover
    (each parameter from either parent, which also works for categorical parameters) and
    mutation that redraws a parameter at random.

    Args:
        population_size: Trials per generation (and parents kept).
        mutation_prob: Probability of redrawing each parameter; default ``1 / n_params``.
        crossover: ``"uniform"`` or ``"sbx"`` (simulated binary crossover, eta 20, on the
            numerical parameters in the unit cube; uniform on categorical ones).
        crossover_prob: Probability that a child is a crossover of two parents rather than
            a copy of the first.
        swapping_prob: In uniform crossover, probability of taking each parameter from the
            second parent.
        seed: Seed of the per-trial generators.
    """

    name = "nsga2"

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation_prob: float | None = None,
        crossover: Literal["uniform", "sbx"] = "uniform",
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: ConstraintsFunc | None = None,
    ) -> None:
        super().__init__(seed)
        # Optuna's argument: constraints go to the study (constrained domination, Deb 2002,
        # is applied to the constraints the study records; see create_study)
        self.constraints_func = check_constraints_func(constraints_func)
        validate(_CONSTRAINTS, population_size=population_size, mutation_prob=mutation_prob,
                 crossover_prob=crossover_prob, swapping_prob=swapping_prob,
                 crossover=crossover)
        self.population_size: int = int(population_size)
        self.mutation_prob: float | None = None if mutation_prob is None else float(mutation_prob)
        self.crossover: str = crossover
        self.crossover_prob: float = float(crossover_prob)
        self.swapping_prob: float = float(swapping_prob)

    # ------------------------------------------------------------------ sampler API
    def joint_space(self, history: History) -> Space:
        """Parameters every COMPLETE trial has with the same distribution, minus constants."""
        return {k: d for k, d in history.intersection_space().items() if not is_single(d)}

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        values = {k: _random(d, rng) for k, d in space.items()}
        todo = {k: d for k, d in space.items() if not is_single(d)}
        if not todo or (len(todo) == 1 and next(iter(todo)) not in self.joint_space(history)):
            return values, {}
        generation, parents = self._generation(todo, history)
        attrs: dict[str, Any] = {GENERATION_KEY: generation}
        if parents:
            if not any(t.system_attrs.get(GENERATION_KEY) == generation
                       and PARENTS_KEY in t.system_attrs for t in history.trials):
                attrs[PARENTS_KEY] = [t.number for t in parents]
            values.update(self._breed(todo, parents, history, rng))
        return values, attrs

    # ------------------------------------------------------------------ generations
    def _generation(self, space: Mapping[str, Dim], history: History
                    ) -> tuple[int, list[FrozenTrial]]:
        """The generation to sample from and its parents (empty for generation 0)."""
        by_gen: dict[int, list[FrozenTrial]] = {}
        untagged: list[FrozenTrial] = []
        recorded: dict[int, list[int]] = {}
        for t in history.trials:
            g = t.system_attrs.get(GENERATION_KEY)
            if isinstance(g, int) and not isinstance(g, bool):
                by_gen.setdefault(g, []).append(t)
                p = t.system_attrs.get(PARENTS_KEY)
                if p is not None and g not in recorded:
                    recorded[g] = [int(v) for v in p]
            else:
                untagged.append(t)
        gen = max(by_gen, default=0)
        if gen == 0:
            pool = [t for t in untagged + by_gen.get(0, []) if _usable(t, space)]
            parents: list[FrozenTrial] = []
        else:
            parents = [history.trial(n) for n in recorded.get(gen, [])]
            pool = [t for t in by_gen[gen] if _usable(t, space)]
        if len(pool) < self.population_size:
            return gen, parents
        seen = {t.number for t in parents}
        candidates = parents + [t for t in pool if t.number not in seen]
        return gen + 1, self._select(candidates, history, gen + 1)

    def _select(self, trials: list[FrozenTrial], history: History, generation: int
                ) -> list[FrozenTrial]:
        """The best ``population_size`` of ``trials``: whole fronts, then the last front by
        crowding distance (largest first; ties by trial number)."""
        losses, violation = _objectives(trials, history)
        ranks = constrained_ranks(losses, violation)
        chosen: list[int] = []
        for r in np.unique(ranks):
            front = np.flatnonzero(ranks == r)
            room = self.population_size - len(chosen)
            if front.size <= room:
                chosen.extend(front.tolist())
            else:
                chosen.extend(self._cut(front, room, losses, violation, chosen, generation))
            if len(chosen) >= self.population_size:
                break
        return [trials[i] for i in chosen]

    def _cut(self, front: np.ndarray, room: int, losses: np.ndarray, violation: np.ndarray,
             chosen: list[int], generation: int) -> list[int]:
        """Pick ``room`` rows of the last front that does not fit."""
        crowd = _crowding(front, losses, violation)
        order = np.lexsort((front, -crowd))
        out: list[int] = front[order[:room]].tolist()
        return out

    # ------------------------------------------------------------------ breeding
    def _breed(self, space: Mapping[str, Dim], parents: Sequence[FrozenTrial],
               history: History, rng: np.random.Generator) -> dict[str, Any]:
        losses, violation = _objectives(list(parents), history)
        ranks = constrained_ranks(losses, violation)
        crowd = np.zeros(len(parents))
        for r in np.unique(ranks):
            front = np.flatnonzero(ranks == r)
            crowd[front] = _crowding(front, losses, violation)

        def tournament() -> FrozenTrial:
            i, j = rng.integers(0, len(parents), size=2)
            better = (ranks[i], -crowd[i]) <= (ranks[j], -crowd[j])
            return parents[int(i) if better else int(j)]

        a, b = tournament(), tournament()
        child = dict(a.params)
        if rng.random() < self.crossover_prob:
            child = self._cross(space, a.params, b.params, rng)
        p_mut = self.mutation_prob if self.mutation_prob is not None else 1.0 / len(space)
        out: dict[str, Any] = {}
        for name, dim in space.items():
            value = child[name]
            if rng.random() < p_mut or not dim.contains(value):
                value = _random(dim, rng)
            out[name] = value
        return out

    def _cross(self, space: Mapping[str, Dim], a: Mapping[str, Any], b: Mapping[str, Any],
               rng: np.random.Generator) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, dim in space.items():
            if self.crossover == "sbx" and not isinstance(dim, Categorical):
                u = _sbx(dim.to_unit(a[name]), dim.to_unit(b[name]), rng)
                out[name] = dim.from_unit(u)
            else:
                out[name] = b[name] if rng.random() < self.swapping_prob else a[name]
        return out


def _random(dim: Dim, rng: np.random.Generator) -> Any:
    return dim.from_unit(rng.random())


def _usable(t: FrozenTrial, space: Mapping[str, Dim]) -> bool:
    """A finished observation holding every parameter of ``space``: COMPLETE with finite
    values, or finished with a violated constraint (e.g. a FAIL out of memory)."""
    if not (t.is_finite_complete() or (t.state.is_finished() and not t.is_feasible())):
        return False
    return all(t.distributions.get(k) == d for k, d in space.items())


def _objectives(trials: Sequence[FrozenTrial], history: History
                ) -> tuple[np.ndarray, np.ndarray]:
    """Minimised objective values (NaN for infeasible trials without values) and total
    constraint violations of ``trials``."""
    sign = np.array([d.sign for d in history.directions], dtype=float)
    m = sign.size
    losses = np.array([np.asarray(t.values, dtype=float) * sign if t.values is not None
                       else np.full(m, np.nan) for t in trials]).reshape(len(trials), m)
    width = max((len(t.constraints or ()) for t in trials), default=0)
    cons = np.zeros((len(trials), max(width, 1)))
    for i, t in enumerate(trials):
        c = t.constraints or ()
        cons[i, :len(c)] = c
    return losses, total_violation(cons)


def _crowding(front: np.ndarray, losses: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Crowding distance of a feasible front; 0 for an infeasible one (its members tie)."""
    if np.any(violation[front] > 0) or np.isnan(losses[front]).any():
        return np.zeros(front.size)
    return crowding_distance(losses[front])


def _sbx(x1: float, x2: float, rng: np.random.Generator, eta: float = 20.0) -> float:
    """One child of simulated binary crossover of two coordinates in [0, 1]."""
    u = rng.random()
    beta = (2 * u) ** (1 / (eta + 1)) if u <= 0.5 else (1 / (2 * (1 - u))) ** (1 / (eta + 1))
    child = 0.5 * ((1 + beta) * x1 + (1 - beta) * x2) if rng.random() < 0.5 \
        else 0.5 * ((1 - beta) * x1 + (1 + beta) * x2)
    return float(np.clip(child, 0.0, 1.0))
