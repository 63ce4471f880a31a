"""Build ``cv_results_`` with the keys, dtypes and order of GridSearchCV's.

Keys: ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``, ``std_score_time``, one masked
array ``param_<name>`` per parameter, ``params``, then per metric ``split<k>_test_<metric>``,
``mean_test_<metric>``, ``std_test_<metric>``, ``rank_test_<metric>`` and, with
``return_train_score``, ``split<k>_train_<metric>``, ``mean_train_<metric>`` and
``std_train_<metric>``. One metric is called ``score``. Rows are trials, in the order they ran.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunecraft.sklearn._evaluate import TrialScores


def rank_descending(means: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest mean, ties share their lowest rank; NaN ranks last (tied)."""
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    ascending = np.sort(filled)
    # rank of x = 1 + how many are greater than x
    greater = len(filled) - np.searchsorted(ascending, filled, side="right")
    return (greater + 1).astype(np.int32)


def _infers_dtypes() -> bool:
    """scikit-learn >= 1.5 gives param_* columns the values' dtype; older ones use object."""
    from tunecraft._imports import require

    version = require("sklearn", "sklearn").__version__.split(".")
    return (int(version[0]), int(version[1])) >= (1, 5)


def _param_arrays(params: Sequence[dict[str, Any]]) -> dict[str, np.ma.MaskedArray]:
    """One masked array per parameter name; masked where a trial lacks the parameter."""
    n = len(params)
    names = list(dict.fromkeys(name for p in params for name in p))
    infer = _infers_dtypes()
    out = {}
    for name in names:
        values = [p[name] for p in params if name in p]
        try:
            inferred = np.array(values)
            dtype = inferred.dtype if infer and inferred.ndim == 1 and \
                inferred.dtype.kind != "U" else np.dtype(object)
        except ValueError:  # ragged sequences
            dtype = np.dtype(object)
        arr = np.ma.MaskedArray(np.empty(n, dtype=dtype), mask=True)
        for i, p in enumerate(params):
            if name in p:
                arr[i] = p[name]
        out[f"param_{name}"] = arr
    return out


def _store(results: dict[str, Any], key: str, table: np.ndarray, *, splits: bool = False,
           rank: bool = False, warn_rows: np.ndarray | None = None) -> None:
    """Split columns, mean, std (and rank) of a (trials, splits) table, as GridSearchCV."""
    if splits:
        for k in range(table.shape[1]):
            results[f"split{k}_{key}"] = table[:, k]
    means = np.average(table, axis=1)
    results[f"mean_{key}"] = means
    if warn_rows is not None and not np.isfinite(means[warn_rows]).all():
        warnings.warn(f"One or more of the {key.split('_')[0]} scores are non-finite: "
                      f"{means[warn_rows]}", UserWarning, stacklevel=4)
    results[f"std_{key}"] = np.sqrt(np.average((table - means[:, np.newaxis]) ** 2, axis=1))
    if rank:
        results[f"rank_{key}"] = rank_descending(means)


def metric_names(scores: Sequence[TrialScores]) -> list[str]:
    """The metrics, from the first trial whose fits did not all fail."""
    return list(next((s for s in scores if not s.all_failed), scores[0]).test)


def cv_results(params: Sequence[dict[str, Any]], scores: Sequence[TrialScores],
               error_score: Any, return_train_score: bool) -> dict[str, Any]:
    """``cv_results_`` for trials with these parameters and scores.

    Non-finite mean scores of trials that were not pruned give GridSearchCV's UserWarning.
    """
    names = metric_names(scores)
    fill = np.nan if isinstance(error_score, str) else float(error_score)
    n_splits = len(scores[0].fit_time)
    finished = np.array([not s.pruned for s in scores])

    def table(rows: list[np.ndarray | None]) -> np.ndarray:
        return np.array([r if r is not None else np.full(n_splits, fill) for r in rows],
                        dtype=np.float64).reshape(len(scores), n_splits)

    results: dict[str, Any] = {}
    _store(results, "fit_time", table([s.fit_time for s in scores]))
    _store(results, "score_time", table([s.score_time for s in scores]))
    results.update(_param_arrays(params))
    results["params"] = list(params)
    for m in names:
        _store(results, f"test_{m}", table([s.test.get(m) for s in scores]), splits=True,
               rank=True, warn_rows=finished)
        if return_train_score:
            _store(results, f"train_{m}",
                   table([s.train.get(m) if s.train is not None else None for s in scores]),
                   splits=True, warn_rows=finished)
    return results
