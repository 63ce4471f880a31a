"""Prediction methods of a fitted search, delegated to ``best_estimator_`` (as GridSearchCV).

A method exists (``hasattr``) only when ``refit`` is set and the estimator has it, so
``hasattr(search, "predict_proba")`` answers as for the estimator itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tunecraft._imports import require

_metaestimators = require("sklearn.utils.metaestimators", "sklearn")
_validation = require("sklearn.utils.validation", "sklearn")

F = TypeVar("F", bound=Callable[..., Any])


def _available_if(check: Callable[[Any], bool]) -> Callable[[F], F]:
    """scikit-learn's ``available_if``, typed: the method exists when ``check`` passes."""
    decorator: Callable[[F], F] = _metaestimators.available_if(check)
    return decorator


def _has(attr: str) -> Callable[[Any], bool]:
    """available_if check: refit is set and the (fitted, else given) estimator has ``attr``."""

    def check(self: Any) -> bool:
        if not self.refit:
            raise AttributeError(
                f"{type(self).__name__} was created with refit=False, so it has no {attr}; "
                "fit an estimator on best_params_ yourself, or set refit=True"
            )
        getattr(getattr(self, "best_estimator_", self.estimator), attr)  # AttributeError
        return True

    return check


class DelegateMixin:
    """predict, predict_proba, predict_log_proba, decision_function, score_samples, transform,
    inverse_transform and score of the refitted best estimator."""

    best_estimator_: Any
    scorer_: Any
    refit: Any

    @_available_if(_has("predict"))
    def predict(self, X: Any) -> Any:
        """``best_estimator_.predict(X)``."""
        _validation.check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @_available_if(_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_proba(X)``; columns in the order of ``classes_``."""
        _validation.check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @_available_if(_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        """``best_estimator_.predict_log_proba(X)``."""
        _validation.check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @_available_if(_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """``best_estimator_.decision_function(X)``."""
        _validation.check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @_available_if(_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        """``best_estimator_.score_samples(X)``."""
        _validation.check_is_fitted(self)
        return self.best_estimator_.score_samples(X)

    @_available_if(_has("transform"))
    def transform(self, X: Any) -> Any:
        """``best_estimator_.transform(X)``."""
        _validation.check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @_available_if(_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """``best_estimator_.inverse_transform(X)``."""
        _validation.check_is_fitted(self)
        return self.best_estimator_.inverse_transform(X)

    def score(self, X: Any, y: Any = None) -> float:
        """The refit metric of ``best_estimator_`` on ``(X, y)`` (its ``score`` method if
        ``scoring`` is None)."""
        _validation.check_is_fitted(self)
        if not self.refit:
            raise AttributeError(f"{type(self).__name__} was created with refit=False, so it "
                                 "cannot score; set refit=True")
        scorer = self.scorer_
        if isinstance(scorer, dict):
            if not isinstance(self.refit, str) or self.refit not in scorer:
                raise ValueError("with several metrics, score() uses the refit metric; set "
                                 "refit to one of " f"{sorted(scorer)}")
            scorer = scorer[self.refit]
        value = scorer(self.best_estimator_, X, y)
        if isinstance(value, Mapping):
            value = value[self.refit] if isinstance(self.refit, str) else next(
                iter(value.values()))
        return float(value)

    @property
    def classes_(self) -> Any:
        """The class labels of the refitted classifier."""
        _has("classes_")(self)
        return self.best_estimator_.classes_

    @property
    def n_features_in_(self) -> int:
        """Number of features seen during ``fit`` (only with ``refit``)."""
        try:
            _validation.check_is_fitted(self)
        except Exception as exc:
            raise AttributeError(
                f"{type(self).__name__} is not fitted, so it has no n_features_in_"
            ) from exc
        return int(self.best_estimator_.n_features_in_)
