"""Optuna's ``optuna.importance`` API over :mod:`tunecraft.analysis`.

``get_param_importances(study)`` returns ``{name: importance}``, most important first and
summing to 1 (``normalize=True``), as in Optuna. The evaluators pick the method: fANOVA
(default; Hutter et al. 2014, variance of each parameter's marginal in a random forest),
mean decrease in impurity (the forest's own ``feature_importances_``; Breiman 2001) and
PED-ANOVA (Watanabe et al. 2023). tunecraft's richer result (spread across trees, trial count)
is :func:`tunecraft.analysis.param_importances`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunecraft._imports import require
from tunecraft.analysis import fanova, ped_anova
from tunecraft.analysis.design import check_enough, design
from tunecraft.analysis.result import Importance, ranked
from tunecraft.history import as_history
from tunecraft.record import FrozenTrial

Target = Callable[[FrozenTrial], float]


class BaseImportanceEvaluator:
    """An importance method: ``evaluate(study, params, target=...) -> {name: importance}``."""

    def importance(self, study: Any, params: Sequence[str] | None,
                   target: Target | None) -> Importance:
        """tunecraft's ranked :class:`~tunecraft.analysis.result.Importance`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement importance()")

    def evaluate(self, study: Any, params: Sequence[str] | None = None, *,
                 target: Target | None = None) -> dict[str, float]:
        """Raw importances by name, most important first."""
        imp = self.importance(study, params, target)
        return dict(zip(imp.names, imp.values, strict=True))


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """fANOVA on a random forest (Optuna's default evaluator and defaults)."""

    def __init__(self, n_trees: int = 64, max_depth: int = 64, *,
                 seed: int | None = None) -> None:
        self.n_trees, self.max_depth, self.seed = n_trees, max_depth, seed

    def importance(self, study: Any, params: Sequence[str] | None,
                   target: Target | None) -> Importance:
        return fanova(study, params=params, target=target, n_trees=self.n_trees,
                      max_depth=self.max_depth, seed=self.seed)


class MeanDecreaseImpurityImportanceEvaluator(BaseImportanceEvaluator):
    """Mean decrease in impurity of a random forest fitted to the completed trials."""

    def __init__(self, n_trees: int = 64, max_depth: int = 64, *,
                 seed: int | None = None) -> None:
        self.n_trees, self.max_depth, self.seed = n_trees, max_depth, seed

    def importance(self, study: Any, params: Sequence[str] | None,
                   target: Target | None) -> Importance:
        data = design(as_history(study), params=params, target=target)
        check_enough(data, 2, "mean decrease impurity")
        ensemble = require("sklearn.ensemble", "importance")
        forest = ensemble.RandomForestRegressor(
            n_estimators=self.n_trees, max_depth=self.max_depth, min_samples_split=2,
            min_samples_leaf=1, random_state=self.seed)
        forest.fit(data.x, data.y)
        values = [float(v) for v in np.asarray(forest.feature_importances_)]
        return ranked("mean-decrease-impurity", data.names, values, None, len(data.y))


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA: how differently the top trials are spread than the others."""

    def __init__(self, *, baseline_quantile: float = 0.1,
                 evaluate_on_local: bool = True) -> None:
        self.baseline_quantile, self.evaluate_on_local = baseline_quantile, evaluate_on_local

    def importance(self, study: Any, params: Sequence[str] | None,
                   target: Target | None) -> Importance:
        return ped_anova(study, params=params, target=target,
                         target_quantile=self.baseline_quantile,
                         evaluate_on_local=self.evaluate_on_local)


def get_param_importances(
    study: Any,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    target: Target | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter, most important first; shares summing to 1 by default.

    A multi-objective study needs ``target`` (a trial -> one number), as in Optuna.
    """
    imp = (evaluator or FanovaImportanceEvaluator()).importance(study, params, target)
    if normalize:
        return imp.shares()
    return dict(zip(imp.names, imp.values, strict=True))


__all__ = [
    "BaseImportanceEvaluator", "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator", "PedAnovaImportanceEvaluator",
    "get_param_importances",
]
