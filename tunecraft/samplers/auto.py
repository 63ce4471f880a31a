"""AutoSampler: picks the sampler that suits the problem at each trial.

The choice is a function of the study's history only (so every worker makes the same one):

========================================  ====================================================
problem                                   sampler
========================================  ====================================================
several objectives, < ``mo_switch``        multi-objective TPE (sample-efficient early)
several objectives, later                 NSGA-II (2 objectives) or NSGA-III (3 or more)
conditional space (parameters that only   TPE: its group decomposition models each branch on
appear in some trials), or more than      the trials that have it, and it stays cheap in many
``max_gp_params`` parameters              dimensions
one objective, the first ``n_startup``    quasi-random (Sobol) points, or draws from the
                                          ``priors``
up to ``gp_max_trials`` finished trials    GP with log EI: the most sample-efficient
later, numerical parameters only          CMA-ES, warm-started from the trials so far: it
                                          scales to long runs where the GP's cubic cost grows
later, with categorical parameters        TPE
========================================  ====================================================

The benchmark (benchmarks/bo.py, results in benchmarks/results/issue-5.md) supports these
thresholds: see docs/samplers.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from tunecraft._validation import Interval, validate
from tunecraft.history import History
from tunecraft.samplers.base import BaseSampler
from tunecraft.samplers.priors import Prior
from tunecraft.space import Categorical, Space

logger = logging.getLogger("tunecraft")


class AutoSampler(BaseSampler):
    """The sampler for when you do not want to choose one (see the module docstring).

    Args:
        seed: Seed shared by every sampler it delegates to.
        n_startup_trials: Quasi-random trials before any model (single objective).
        gp_max_trials: Finished trials after which the GP hands over (to CMA-ES for numerical
            spaces, TPE otherwise).
        max_gp_params: More parameters than this go to TPE from the start.
        mo_switch: Finished trials after which several objectives go to NSGA-II/III.
        priors: User beliefs (``tunecraft.samplers.priors``), used by the start-up and the GP.
    """

    name = "auto"

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        gp_max_trials: int = 300,
        max_gp_params: int = 20,
        mo_switch: int = 300,
        priors: Mapping[str, Prior] | None = None,
    ) -> None:
        super().__init__(seed)
        count = Interval(int, 0)
        validate(dict.fromkeys(("n_startup_trials", "gp_max_trials", "max_gp_params",
                                "mo_switch"), count),
                 n_startup_trials=n_startup_trials, gp_max_trials=gp_max_trials,
                 max_gp_params=max_gp_params, mo_switch=mo_switch)
        self.n_startup_trials = int(n_startup_trials)
        self.gp_max_trials = int(gp_max_trials)
        self.max_gp_params = int(max_gp_params)
        self.mo_switch = int(mo_switch)
        self.priors = dict(priors or {})
        self._samplers: dict[str, BaseSampler] = {}

    def _get(self, name: str) -> BaseSampler:
        """The delegate called ``name``, built on first use.

        The GP needs the ``gp`` extra (SciPy) and CMA-ES the ``cmaes`` extra. Without them
        the auto sampler is still the default of every study, so it uses TPE in their place
        and says so once in the log.
        """
        sampler = self._samplers.get(name)
        if sampler is None:
            try:
                sampler = self._build(name)
            except ImportError as exc:
                logger.info("AutoSampler uses TPE instead of %s: %s", name, exc)
                sampler = self._get("tpe")
            self._samplers[name] = sampler
        return sampler

    def _build(self, name: str) -> BaseSampler:
        if name == "tpe":
            from tunecraft.samplers.tpe import TPESampler

            return TPESampler(seed=self.seed, n_startup_trials=self.n_startup_trials)
        if name == "gp":
            from tunecraft.samplers.gp import GPSampler

            return GPSampler(seed=self.seed, n_startup_trials=self.n_startup_trials,
                             priors=self.priors)
        if name == "cmaes":
            from tunecraft.samplers.cmaes import CmaEsSampler

            return CmaEsSampler(seed=self.seed)
        if name == "nsga2":
            from tunecraft.samplers.nsga2 import NSGAIISampler

            return NSGAIISampler(seed=self.seed)
        from tunecraft.samplers.nsga3 import NSGAIIISampler

        return NSGAIIISampler(seed=self.seed)

    # ------------------------------------------------------------------ the choice
    def choose(self, history: History) -> str:
        """The name of the delegate for the next trial: ``"tpe"``, ``"gp"``, ``"cmaes"``,
        ``"nsga2"`` or ``"nsga3"``."""
        finished = len(history.complete())
        if len(history.directions) > 1:
            if finished < self.mo_switch:
                return "tpe"
            return "nsga2" if len(history.directions) == 2 else "nsga3"
        space = history.intersection_space()
        if _conditional(history, space) or len(space) > self.max_gp_params:
            return "tpe"
        if finished < self.gp_max_trials:
            return "gp"
        if any(isinstance(d, Categorical) for d in space.values()):
            return "tpe"
        return "cmaes"

    # ------------------------------------------------------------------ sampler API
    def joint_space(self, history: History) -> Space:
        return self._get(self.choose(history)).joint_space(history)

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        return self._get(self.choose(history)).sample_joint(space, history, rng, number)


def _conditional(history: History, space: Space) -> bool:
    """Whether some finished trial has a parameter that not every one has."""
    for t in history.complete():
        if len(t.distributions) != len(space) and any(k not in space for k in t.distributions):
            return True
    return False
