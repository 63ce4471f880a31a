"""Turn ``param_distributions`` (tunecraft dimensions or GridSearchCV-style lists) into a space.

A list becomes a :class:`~tunecraft.Categorical`. Choices that a study cannot store (tuples,
dicts, estimators, NumPy scalars) are stored under a label and handed to the estimator as the
original object, so ``{"hidden_layer_sizes": [(50,), (100,)]}`` and
``{"clf": [SVC(), LogisticRegression()]}`` work as they do in GridSearchCV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunecraft.space import Categorical, Dim, Float, Int
from tunecraft.trial import Trial

_SCALARS = (type(None), bool, int, float, str)


@dataclass(frozen=True)
class Param:
    """One searched parameter: its dimension, and for lists the original object per choice."""

    name: str
    dim: Dim
    originals: tuple[Any, ...] | None = None  # Categorical only: originals[i] <-> choices[i]

    def value(self, stored: Any) -> Any:
        """The estimator's value for a value of ``dim`` (a label becomes its object)."""
        if self.originals is None or not isinstance(self.dim, Categorical):
            return stored
        return self.originals[self.dim.index(stored)]


def _labels(name: str, choices: Sequence[Any]) -> tuple[Any, ...]:
    """Storable labels: scalars as themselves, NumPy scalars as Python ones, others by repr
    (numbered instead when two reprs collide)."""
    labels = []
    for c in choices:
        if isinstance(c, np.generic) and np.ndim(c) == 0:
            c = c.item()
        labels.append(c if isinstance(c, _SCALARS) else repr(c))
    try:
        return Categorical(tuple(labels)).choices
    except ValueError:
        if all(isinstance(c, _SCALARS) for c in choices):
            raise ValueError(
                f"param_distributions[{name!r}] lists a value twice: {list(choices)!r}; list "
                "each value once"
            ) from None
        return tuple(range(len(choices)))


def _param(name: Any, spec: Any) -> Param:
    if not isinstance(name, str) or not name:
        raise TypeError(
            f"param_distributions keys must be parameter names such as 'C' or 'svc__C', "
            f"got {name!r}"
        )
    if isinstance(spec, (Float, Int, Categorical)):
        return Param(name, spec)
    if isinstance(spec, np.ndarray):
        if spec.ndim != 1:
            raise ValueError(
                f"param_distributions[{name!r}] is an array of shape {spec.shape}; give a "
                "1-D array or list of values"
            )
        spec = list(spec)
    if isinstance(spec, (str, bytes)) or not isinstance(spec, Sequence):
        hint = (" (scipy.stats distributions are not supported: use tunecraft.Float(low, high, "
                "log=True) or tunecraft.Int(low, high))") if hasattr(spec, "rvs") else ""
        raise TypeError(
            f"param_distributions[{name!r}] = {spec!r} is neither a tunecraft dimension "
            f"(tunecraft.Float, Int, Categorical) nor a list of values{hint}"
        )
    if len(spec) == 0:
        raise ValueError(
            f"param_distributions[{name!r}] is an empty list; give at least one value"
        )
    labels = _labels(name, spec)
    return Param(name, Categorical(labels), tuple(spec))


@dataclass(frozen=True)
class SearchSpace:
    """The searched parameters, sorted by name."""

    params: tuple[Param, ...]

    @classmethod
    def parse(cls, param_distributions: Any, valid_names: Sequence[str]) -> SearchSpace:
        """Validate ``param_distributions`` against the estimator's parameter names."""
        if isinstance(param_distributions, Sequence) and not isinstance(
                param_distributions, (str, bytes)) and all(
                isinstance(p, Mapping) for p in param_distributions):
            raise TypeError(
                "param_distributions is a list of dicts (alternative grids); TuneSearchCV "
                "searches one space: merge them into one dict, or run one TuneSearchCV per "
                "grid"
            )
        if not isinstance(param_distributions, Mapping):
            raise TypeError(
                f"param_distributions must be a dict of parameter name -> tunecraft dimension "
                f"or list of values, got {type(param_distributions).__name__}"
            )
        if not param_distributions:
            raise ValueError(
                "param_distributions is empty; name at least one parameter to search, e.g. "
                "{'C': tunecraft.Float(1e-3, 1e3, log=True)}"
            )
        # sorted by name, as GridSearchCV's and RandomizedSearchCV's candidates are, so that
        # cv_results_ has its param_* keys and params dicts in the same order
        params = tuple(_param(k, v) for k, v in sorted(param_distributions.items(),
                                                         key=lambda kv: str(kv[0])))
        known = set(valid_names)
        for p in params:
            if p.name not in known:
                raise ValueError(
                    f"param_distributions names {p.name!r}, which is not a parameter of the "
                    f"estimator; valid names: {sorted(known)}"
                )
        return cls(params)

    def suggest(self, trial: Trial) -> dict[str, Any]:
        """Ask ``trial`` for every parameter; return the estimator's values."""
        out: dict[str, Any] = {}
        for p in self.params:
            dim = p.dim
            if isinstance(dim, Float):
                stored: Any = trial.suggest_float(p.name, dim.low, dim.high, log=dim.log,
                                                  step=dim.step)
            elif isinstance(dim, Int):
                stored = trial.suggest_int(p.name, dim.low, dim.high, log=dim.log,
                                           step=dim.step)
            else:
                stored = trial.suggest_categorical(p.name, dim.choices)
            out[p.name] = p.value(stored)
        return out
