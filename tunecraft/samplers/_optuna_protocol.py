"""Optuna's sampler protocol on tunecraft's ``BaseSampler``, in both directions.

1. Every tunecraft sampler answers Optuna's calls: ``infer_relative_search_space(study,
   trial)``, ``sample_relative(study, trial, search_space)``, ``sample_independent(study,
   trial, name, distribution)``, ``reseed_rng()``, ``before_trial``/``after_trial``. So an
   Optuna-style sampler that delegates to a built-in one (``self._random =
   RandomSampler(); self._random.sample_independent(...)``, common in OptunaHub samplers)
   works. Each call reads the study's history and samples as the study would.
2. A subclass of ``tunecraft.samplers.BaseSampler`` written the Optuna way (it defines
   ``sample_independent`` and neither ``sample_joint`` nor ``sample``, as code written for
   ``import tunecraft as optuna`` does) gets tunecraft's ``joint_space``/``sample_joint``/
   ``sample`` from those methods, as ``tunecraft.plugins.OptunaSampler`` gives an Optuna
   sampler, except that it sees tunecraft's own records and distributions (the names it
   imported).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tunecraft._rng import fresh_seed

if TYPE_CHECKING:
    import numpy as np

    from tunecraft.history import History
    from tunecraft.space import Space

_OPTUNA_METHODS = ("infer_relative_search_space", "sample_relative", "sample_independent")


class OptunaProtocol:
    """Optuna's sampler methods for tunecraft samplers (module docstring)."""

    seed: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [k for k in cls.__mro__ if k is not OptunaProtocol and k.__module__ !=
               "tunecraft.samplers.base"]
        optuna_style = any("sample_independent" in k.__dict__ for k in own)
        if optuna_style and not any(m in k.__dict__ for k in own
                                    for m in ("sample", "sample_joint")):
            # Set before ABCMeta counts abstract methods, so the class can be instantiated.
            cls.joint_space = _native_joint_space  # type: ignore[attr-defined]
            cls.sample_joint = _native_sample_joint  # type: ignore[attr-defined]
            cls.sample = _native_sample  # type: ignore[attr-defined]
            if "seed" not in cls.__dict__:  # Optuna subclasses rarely call super().__init__()
                cls.seed = property(_get_seed, _set_seed)  # type: ignore[assignment]

    # --- tunecraft sampler answering Optuna's calls ---------------------------------------

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        """Optuna's name for ``joint_space``: the dimensions sampled together."""
        from tunecraft._optuna_bridge import history_of

        return dict(self.joint_space(history_of(study)))  # type: ignore[attr-defined]

    def sample_relative(self, study: Any, trial: Any, search_space: Mapping[str, Any]
                        ) -> dict[str, Any]:
        """Optuna's name for a joint sample of ``search_space`` for ``trial``."""
        if not search_space:
            return {}
        from tunecraft._optuna_bridge import from_optuna_distribution, history_of

        space = {k: from_optuna_distribution(d) for k, d in search_space.items()}
        number = int(trial.number)
        return dict(self.sample(space, history_of(study),  # type: ignore[attr-defined]
                                self.rng(number), number))  # type: ignore[attr-defined]

    def sample_independent(self, study: Any, trial: Any, param_name: str,
                           param_distribution: Any) -> Any:
        """Optuna's name for sampling one parameter alone for ``trial``."""
        from tunecraft._optuna_bridge import from_optuna_distribution, history_of

        dim = from_optuna_distribution(param_distribution)
        number = int(trial.number)
        values = self.sample({param_name: dim}, history_of(study),  # type: ignore[attr-defined]
                             self.rng(number), number)  # type: ignore[attr-defined]
        return values[param_name]

    def reseed_rng(self) -> None:
        """Draw a new seed from the OS (Optuna calls this in each ``n_jobs`` worker)."""
        self.seed = fresh_seed()

    def before_trial(self, study: Any, trial: Any) -> None:
        """Optuna's hook; tunecraft samplers keep no per-trial state, so nothing to do."""

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        """Optuna's hook; tunecraft samplers keep no per-trial state, so nothing to do."""


# --- an Optuna-style subclass run as a tunecraft sampler --------------------------------------


def _native_joint_space(self: Any, history: History) -> Space:
    from tunecraft._optuna_bridge import optuna_joint_space

    return optuna_joint_space(self, history, native=True)


def _native_sample_joint(self: Any, space: Space, history: History, rng: np.random.Generator,
                         number: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from tunecraft._optuna_bridge import optuna_sample_joint

    return optuna_sample_joint(self, space, history, number, native=True)


def _native_sample(self: Any, space: Space, history: History, rng: np.random.Generator,
                   number: int) -> dict[str, Any]:
    from tunecraft._optuna_bridge import optuna_sample

    return optuna_sample(self, space, history, number, native=True)


def _get_seed(self: Any) -> int:
    seed: int = self.__dict__.setdefault("_tunecraft_seed", fresh_seed())
    return seed


def _set_seed(self: Any, value: int) -> None:
    self.__dict__["_tunecraft_seed"] = value
