"""Cross-validate one trial's estimator: all folds at once, fold by fold, or epoch by epoch.

* :func:`all_folds` is one call of scikit-learn's ``cross_validate`` over the fixed splits, so
  the scores are exactly GridSearchCV's for the same parameters and splits.
* :func:`by_fold` (a pruner is set, the estimator has no ``partial_fit``) runs the folds in
  order and reports the mean score of the folds done so far at step = number of folds done.
* :func:`by_epoch` (a pruner is set, the estimator has ``partial_fit``) trains one model per
  fold with ``partial_fit``, all folds in lockstep, and reports the mean validation score over
  the folds at step = number of epochs done.

A pruned trial has no full-budget score: its test (and train) scores are NaN.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunecraft._imports import require
from tunecraft.sklearn._scoring import Scorers, score
from tunecraft.trial import Trial

Split = tuple[np.ndarray, np.ndarray]


@dataclass
class CVSetup:
    """What every trial of one ``fit`` shares: the data, the fixed splits, and the options."""

    X: Any
    y: Any
    splits: list[Split]
    scoring: Any
    scorers: Scorers
    fit_params: dict[str, Any]
    n_jobs: int | None
    error_score: Any
    return_train_score: bool
    verbose: int
    metric_names: list[str] | None  # None until a callable scoring has returned once

    def names(self) -> list[str]:
        return self.metric_names or ["score"]


@dataclass
class TrialScores:
    """One trial's results per split (arrays of length n_splits), as cv_results_ needs them."""

    test: dict[str, np.ndarray]
    train: dict[str, np.ndarray] | None
    fit_time: np.ndarray
    score_time: np.ndarray
    all_failed: bool = False  # every fit raised (scores are error_score)
    errors: tuple[str, ...] = ()  # why, when every fit raised
    pruned: bool = False
    steps: int = 0  # folds or epochs done; 0 when all folds ran in one go

    def mean(self, metric: str) -> float:
        """Mean test score of ``metric`` (NaN when a trial whose fits all failed lacks it)."""
        return float(np.mean(self.test[metric])) if metric in self.test else math.nan


def _filled(names: list[str], n: int, value: float, train: bool) -> tuple[
        dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    test = {m: np.full(n, value, dtype=float) for m in names}
    return test, ({m: np.full(n, value, dtype=float) for m in names} if train else None)


def fit_failed_warning(message: str) -> None:
    exceptions = require("sklearn.exceptions", "sklearn")
    warnings.warn(message, exceptions.FitFailedWarning, stacklevel=3)


def _cross_validate(estimator: Any, setup: CVSetup, splits: list[Split]) -> TrialScores:
    """``cross_validate`` on ``splits``; when every fit fails, scores are ``error_score``."""
    model_selection = require("sklearn.model_selection", "sklearn")
    kwargs: dict[str, Any] = {"params": setup.fit_params} if setup.fit_params else {}
    start = time.perf_counter()
    try:
        out = model_selection.cross_validate(
            estimator, setup.X, setup.y, cv=splits, scoring=setup.scoring,
            n_jobs=setup.n_jobs, verbose=max(setup.verbose - 1, 0),
            return_train_score=setup.return_train_score, error_score=setup.error_score,
            **kwargs)
    except ValueError as exc:
        # cross_validate raises when all its fits failed; GridSearchCV records error_score for
        # such a candidate instead, and raises only when every fit of the search failed (the
        # search warns about such trials once, at the end: see TuneSearchCV._finish)
        if setup.error_score == "raise" or "fits failed" not in str(exc):
            raise
        test, train = _filled(setup.names(), len(splits), float(setup.error_score),
                              setup.return_train_score)
        # the fit times are unknown: the call's wall time, shared among the folds
        fit_time = np.full(len(splits), (time.perf_counter() - start) / len(splits))
        return TrialScores(test, train, fit_time, np.zeros(len(splits)), all_failed=True,
                           errors=(str(exc),))
    test = {k[5:]: np.asarray(v, dtype=float) for k, v in out.items() if k.startswith("test_")}
    train = ({k[6:]: np.asarray(v, dtype=float) for k, v in out.items()
              if k.startswith("train_")} if setup.return_train_score else None)
    return TrialScores(test, train, np.asarray(out["fit_time"], dtype=float),
                       np.asarray(out["score_time"], dtype=float))


def all_folds(estimator: Any, setup: CVSetup) -> TrialScores:
    """Every fold in one ``cross_validate`` call (folds in parallel with ``n_jobs``)."""
    return _cross_validate(estimator, setup, setup.splits)


def _pruned(setup: CVSetup, fit_time: np.ndarray, score_time: np.ndarray,
            steps: int) -> TrialScores:
    test, train = _filled(setup.names(), len(setup.splits), math.nan, setup.return_train_score)
    return TrialScores(test, train, fit_time, score_time, pruned=True, steps=steps)


def by_fold(trial: Trial, estimator: Any, setup: CVSetup, target: str | None) -> TrialScores:
    """Fold after fold; after fold k, report the mean ``target`` score (None: the first metric)
    of folds 1..k at step k and stop when the pruner says so."""
    n = len(setup.splits)
    done: list[TrialScores] = []
    fit_time, score_time = np.full(n, np.nan), np.full(n, np.nan)
    for k, split in enumerate(setup.splits):
        fold = _cross_validate(estimator, setup, [split])
        done.append(fold)
        fit_time[k], score_time[k] = fold.fit_time[0], fold.score_time[0]
        metric = target or next(iter(fold.test))
        trial.report(float(np.mean([f.test[metric][0] if metric in f.test else np.nan
                                    for f in done])), k + 1)
        if k + 1 < n and trial.should_prune():
            return _pruned(setup, fit_time, score_time, k + 1)
    names = list(next((f for f in done if not f.all_failed), done[-1]).test)
    test = {m: np.array([f.test[m][0] if m in f.test else np.nan for f in done])
            for m in names}
    train = ({m: np.array([f.train[m][0] if f.train and m in f.train else np.nan
                           for f in done]) for m in names}
             if setup.return_train_score else None)
    failed = all(f.all_failed for f in done)
    errors = [e for f in done for e in f.errors]
    if errors and not failed:  # all failed: the search warns or raises at the end
        fit_failed_warning(
            f"{len(errors)} of {n} fits of trial {trial.number} failed; their scores are set "
            f"to error_score={setup.error_score}. First error: {errors[0]}")
    return TrialScores(test, train, fit_time, score_time, all_failed=failed,
                       errors=tuple(errors) if failed else (),
                       steps=n)


def _n_samples(value: Any) -> int | None:
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if hasattr(value, "__len__") and not isinstance(value, (str, bytes, Mapping)):
        return len(value)
    return None


def _index(value: Any, rows: np.ndarray, n_samples: int) -> Any:
    """Rows of a sample-aligned value (array, list, frame); other values pass unchanged."""
    utils = require("sklearn.utils", "sklearn")
    return utils._safe_indexing(value, rows) if _n_samples(value) == n_samples else value


def _partial_fit(estimator: Any, X: Any, y: Any, fit_params: Mapping[str, Any],
                 classes: Any) -> None:
    if classes is None:
        estimator.partial_fit(X, y, **fit_params)
    else:
        estimator.partial_fit(X, y, classes=classes, **fit_params)


def partial_fit_epochs(estimator: Any, X: Any, y: Any, fit_params: Mapping[str, Any],
                       classes: Any, epochs: int) -> Any:
    """``epochs`` calls of ``partial_fit`` on the whole of ``(X, y)``: the refit of a search
    that trained by epochs, so that the refitted model is trained as the scored ones were."""
    for _ in range(epochs):
        _partial_fit(estimator, X, y, fit_params, classes)
    return estimator


@dataclass
class _Fold:
    """One fold's model and data in :func:`by_epoch`."""

    model: Any
    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any
    params: dict[str, Any]
    fit_time: float = 0.0
    score_time: float = 0.0
    error: str | None = None

    def epoch(self, scorers: Scorers, target: str | None, classes: Any) -> float:
        """One ``partial_fit`` pass, then the ``target`` score on the test rows."""
        t0 = time.perf_counter()
        _partial_fit(self.model, self.X_train, self.y_train, self.params, classes)
        t1 = time.perf_counter()
        values = score(scorers, self.model, self.X_test, self.y_test, target)
        value = values[target] if target is not None else next(iter(values.values()))
        self.fit_time += t1 - t0
        self.score_time += time.perf_counter() - t1
        return value


def _folds(estimator: Any, setup: CVSetup) -> list[_Fold]:
    base = require("sklearn.base", "sklearn")
    utils = require("sklearn.utils", "sklearn")
    n_samples = _n_samples(setup.X) or 0
    return [_Fold(base.clone(estimator),
                  utils._safe_indexing(setup.X, train), utils._safe_indexing(setup.y, train),
                  utils._safe_indexing(setup.X, test), utils._safe_indexing(setup.y, test),
                  {k: _index(v, train, n_samples) for k, v in setup.fit_params.items()})
            for train, test in setup.splits]


def by_epoch(trial: Trial, estimator: Any, setup: CVSetup, target: str | None, epochs: int,
             classes: Any) -> TrialScores:
    """One model per fold, trained with ``partial_fit`` one epoch at a time, the folds in
    lockstep; after epoch e, report the mean ``target`` score over the folds at step e and
    stop when the pruner says so."""
    folds = _folds(estimator, setup)
    n = len(folds)
    last = np.full(n, np.nan)
    failed = np.nan if setup.error_score == "raise" else float(setup.error_score)
    for epoch in range(1, epochs + 1):
        for k, fold in enumerate(folds):
            if fold.error is not None:
                continue
            try:
                last[k] = fold.epoch(setup.scorers, target, classes)
            except Exception as exc:
                if setup.error_score == "raise":
                    raise
                fold.error, last[k] = f"{type(exc).__name__}: {exc}", failed
        if all(f.error is not None for f in folds):
            break
        trial.report(float(np.mean(last)), epoch)
        if epoch < epochs and trial.should_prune():
            return _pruned(setup, np.array([f.fit_time for f in folds]),
                           np.array([f.score_time for f in folds]), epoch)
    rows: list[tuple[dict[str, float] | None, dict[str, float] | None]] = []
    for fold in folds:
        if fold.error is not None:
            rows.append((None, None))
            continue
        t0 = time.perf_counter()
        test_row = score(setup.scorers, fold.model, fold.X_test, fold.y_test)
        fold.score_time += time.perf_counter() - t0
        train_row = (score(setup.scorers, fold.model, fold.X_train, fold.y_train)
                     if setup.return_train_score else None)
        rows.append((test_row, train_row))
    names = next((list(t) for t, _ in rows if t is not None), setup.names())
    test = {m: np.array([failed if t is None else t[m] for t, _ in rows]) for m in names}
    train = ({m: np.array([failed if t is None else t[m] for _, t in rows]) for m in names}
             if setup.return_train_score else None)
    errors = [f.error for f in folds if f.error is not None]
    if errors and len(errors) < n:  # all failed: the search warns or raises at the end
        fit_failed_warning(
            f"{len(errors)} of {n} fits of trial {trial.number} failed; their scores are set "
            f"to error_score={setup.error_score}. First error: {errors[0]}")
    return TrialScores(test, train, np.array([f.fit_time for f in folds]),
                       np.array([f.score_time for f in folds]), all_failed=len(errors) == n,
                       errors=tuple(errors) if len(errors) == n else (), steps=epochs)
