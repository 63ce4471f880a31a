"""The sampler interface: given a space, the study's history and a generator, propose values.

Samplers are pure in their inputs: they never write to storage and hold no per-study state,
so one sampler object serves many threads, and a seeded study draws the same values whatever
process runs a trial (each trial's generator comes from ``(seed, trial number)``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunecraft._rng import fresh_seed, trial_rng
from tunecraft.history import History
from tunecraft.samplers._optuna_protocol import OptunaProtocol
from tunecraft.space import Space


class BaseSampler(OptunaProtocol, ABC):
    """Base class of samplers.

    At ``ask`` the study calls ``sample(joint_space(history), ...)`` once; the values are
    used by ``suggest_*`` calls whose name and distribution match. Any other ``suggest_*``
    call samples its single dimension with ``sample({name: dim}, ...)``.

    Every sampler also answers Optuna's ``sample_relative``/``sample_independent`` calls, and a
    subclass may implement those instead of ``sample`` (``_optuna_protocol``).

    Args:
        seed: Seed of the per-trial generators; None draws one from the OS.
    """

    multi_fidelity: bool = False
    """True for samplers that model budgets themselves (``TPESampler(multi_fidelity=True)``):
    under a bracketed scheduler (Hyperband) they see every bracket's trials, the others only
    their own bracket's."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed={seed!r} must be an int or None")
        self.seed: int = fresh_seed() if seed is None else seed

    def joint_space(self, history: History) -> Space:
        """Dimensions to sample together when a trial starts; none by default."""
        return {}

    @abstractmethod
    def sample(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> dict[str, Any]:
        """Return one legal value for every dimension of ``space``, for trial ``number``."""

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The joint sample of trial ``number`` and the system attributes to record with it.

        The study calls this (not ``sample``) for the joint space at ``ask`` and writes the
        attributes on the trial together with its proposal, so that a sampler with
        resumable state (CMA-ES, NSGA-II: a generation tag and a versioned state blob) keeps
        it in the study without ever writing to storage itself. The values must equal
        ``sample(space, history, rng, number)``. Default: no attributes.
        """
        return self.sample(space, history, rng, number), {}

    def initial_trials(self) -> Sequence[Mapping[str, Any]] | None:
        """Parameter sets to enqueue once per study; the study then stops when they are done.

        Finite samplers (grid) return their points here, which lets the storage hand each
        point to exactly one worker. Other samplers return None.
        """
        return None

    def rng(self, number: int) -> np.random.Generator:
        """The generator of trial ``number``."""
        return trial_rng(self.seed, number)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed})"
