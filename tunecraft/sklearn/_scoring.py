"""Scoring for TuneSearchCV: metric names, scorers, the refit rule, and which metric to tune."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tunecraft._imports import require

Scorers = Callable[..., Any] | dict[str, Callable[..., Any]]


def metric_names(scoring: Any) -> list[str] | None:
    """The metrics that ``scoring`` computes: ``["score"]`` for one metric, the names for
    several, None for a callable (it may return a dict; known after its first call)."""
    if scoring is None or isinstance(scoring, str):
        return ["score"]
    if callable(scoring):
        return None
    if isinstance(scoring, Mapping):
        if not scoring or not all(isinstance(k, str) for k in scoring):
            raise ValueError(
                f"scoring={scoring!r}: a dict of scorers needs at least one entry, keyed by "
                "metric names (strings)"
            )
        return list(scoring)
    if isinstance(scoring, (list, tuple)):
        if not scoring or not all(isinstance(s, str) for s in scoring):
            raise ValueError(
                f"scoring={scoring!r}: a list of scorers must hold scorer names such as "
                "['accuracy', 'f1_macro']; use a dict to name callables"
            )
        if len(set(scoring)) != len(scoring):
            raise ValueError(f"scoring={scoring!r} names a metric twice; list each once")
        return list(scoring)
    raise TypeError(
        f"scoring={scoring!r} must be None, a scorer name, a callable, or a list or dict of "
        "scorers"
    )


def check_refit(refit: Any, names: list[str] | None) -> None:
    """Check ``refit`` against the metrics, as GridSearchCV does: with several metrics it must
    be False, a metric name, or a callable; with one, any true value refits."""
    if not (isinstance(refit, (bool, str)) or callable(refit)):
        raise TypeError(
            f"refit={refit!r} must be True, False, the name of a metric, or a callable "
            "cv_results_ -> best index"
        )
    multi = names is not None and names != ["score"]
    if multi and refit is not False and not callable(refit) and refit not in (names or []):
        raise ValueError(
            f"with several metrics {names}, refit={refit!r} must be the name of one of them "
            "(the one to select the best parameters by), a callable, or False"
        )


def target_metric(refit: Any, names: list[str]) -> str:
    """The metric the study maximises: the refit metric, else the first one."""
    if isinstance(refit, str) and not isinstance(refit, bool) and refit in names:
        return refit
    return names[0]


def build_scorers(estimator: Any, scoring: Any) -> Scorers:
    """One scorer (single metric or a callable) or a dict of scorers by metric name."""
    metrics = require("sklearn.metrics", "sklearn")
    if scoring is None or isinstance(scoring, str):
        scorer: Callable[..., Any] = metrics.check_scoring(estimator, scoring)
        return scorer
    if callable(scoring):
        return scoring  # type: ignore[no-any-return]
    items = scoring.items() if isinstance(scoring, Mapping) else ((s, s) for s in scoring)
    return {name: metrics.check_scoring(estimator, s) for name, s in items}


def score(scorers: Scorers, estimator: Any, X: Any, y: Any,
          only: str | None = None) -> dict[str, float]:
    """Every metric (or just ``only``) of ``estimator`` on ``(X, y)``."""
    if isinstance(scorers, dict):
        chosen = {only: scorers[only]} if only is not None else scorers
        return {name: float(s(estimator, X, y)) for name, s in chosen.items()}
    out = scorers(estimator, X, y)
    if isinstance(out, Mapping):
        values = {str(k): float(v) for k, v in out.items()}
        return {only: values[only]} if only is not None else values
    return {"score": float(out)}
