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
from tunecraft._validation import Interval, Options, check
from tunecraft.history import History
from tunecraft.samplers import _sample_only
from tunecraft.samplers._optuna_protocol import OptunaProtocol
from tunecraft.space import Space


class BaseSampler(OptunaProtocol, ABC):
    """Base class of samplers: implement :meth:`sample_joint` (and optionally
    :meth:`joint_space`).

    At ``ask`` the study calls ``sample_joint(joint_space(history), ...)`` once; the values
    are used by ``suggest_*`` calls whose name and distribution match. Any other ``suggest_*``
    call samples its single dimension with ``sample({name: dim}, ...)``, which is
    ``sample_joint`` without the attributes: one method, so the two cannot disagree. (A
    sampler tells a joint call from a single dimension by comparing ``space`` with its
    ``joint_space``, as QMC and GP do.)

    Every sampler also answers Optuna's ``sample_relative``/``sample_independent`` calls, and a
    subclass may implement those instead of ``sample_joint`` (``_optuna_protocol``). A subclass
    that overrides only ``sample`` (the interface before ``sample_joint``) still works, with a
    ``DeprecationWarning`` (``_sample_only``).

    Args:
        seed: Seed of the per-trial generators; None draws one from the OS.
    """

    multi_fidelity: bool = False
    """True for samplers that model budgets themselves (``TPESampler(multi_fidelity=True)``):
    under a bracketed scheduler (Hyperband) they see every bracket's trials, the others only
    their own bracket's."""

    def __init__(self, seed: int | None = None) -> None:
        check("seed", seed, Interval(int, label="an int"), Options(None))
        self.seed: int = fresh_seed() if seed is None else int(seed)

    def joint_space(self, history: History) -> Space:
        """Dimensions to sample together when a trial starts; none by default."""
        return {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _sample_only.adapt(cls)  # runs before ABCMeta counts the abstract methods

    @abstractmethod
    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One legal value for every dimension of ``space`` for trial ``number``, and the
        system attributes to record with them (usually ``{}``).

        The study writes the attributes on the trial together with its joint proposal, so
        that a sampler with resumable state (CMA-ES, NSGA-II: a generation tag and a
        versioned state blob) keeps it in the study without ever writing to storage itself.
        """
        # reached only through super().sample_joint(...) from a subclass that also defines
        # sample (the default of the interface before sample_joint was the one method)
        if type(self).sample is BaseSampler.sample:
            raise NotImplementedError(f"{type(self).__name__} implements no sample_joint")
        return self.sample(space, history, rng, number), {}

    def sample(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> dict[str, Any]:
        """The values of :meth:`sample_joint`, without its attributes: what a ``suggest_*``
        call outside the trial's joint proposal gets.

        Not overridden by tunecraft's own samplers; the Optuna adapters override it to route
        a single dimension to Optuna's ``sample_independent``.
        """
        if not _sample_only.adapted(type(self)):
            return self.sample_joint(space, history, rng, number)[0]
        # reached by super().sample() from a deprecated sample-only override
        values, attrs = _sample_only.joint_method(type(self))(self, space, history, rng, number)
        _sample_only.keep_attrs(self, attrs)
        return values

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
