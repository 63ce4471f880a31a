"""Output transforms: standardisation and a fitted Yeo-Johnson power transform.

Hyperparameter-tuning losses are often heavy-tailed (a few diverged runs far above the rest)
and a stationary GP fits them badly: the outliers inflate the variance and flatten the model
where the good trials are. HEBO (Cowen-Rivers et al., JAIR 2022) found output power transforms
among the most useful parts of its winning design. The transform is monotone, so the order of
trials, and hence the incumbent, is unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from tunecraft._imports import require


def standardize(y: np.ndarray) -> np.ndarray:
    """``(y - mean) / std``, with the std floored so constant outputs give zeros."""
    std = float(np.std(y))
    out: np.ndarray = (y - np.mean(y)) / (std if std > 1e-12 else 1.0)
    return out


def yeo_johnson(y: np.ndarray, lam: float) -> np.ndarray:
    """The Yeo-Johnson transform of ``y`` with parameter ``lam``."""
    out = np.empty_like(y)
    pos = y >= 0
    yp, yn = y[pos], y[~pos]
    out[pos] = np.log1p(yp) if abs(lam) < 1e-8 else np.expm1(lam * np.log1p(yp)) / lam
    out[~pos] = (-np.log1p(-yn) if abs(lam - 2) < 1e-8
                 else -np.expm1((2 - lam) * np.log1p(-yn)) / (2 - lam))
    return out


def box_cox(y: np.ndarray, lam: float) -> np.ndarray:
    """The Box-Cox transform of positive ``y`` with parameter ``lam``."""
    out: np.ndarray = np.log(y) if abs(lam) < 1e-8 else np.expm1(lam * np.log(y)) / lam
    return out


def _neg_log_likelihood(lam: float, y: np.ndarray, positive: bool, jac_sum: float) -> float:
    t = box_cox(y, lam) if positive else yeo_johnson(y, lam)
    var = float(np.var(t))
    if not math.isfinite(var) or var <= 0:
        return math.inf
    return 0.5 * y.size * math.log(var) - (lam - 1.0) * jac_sum


def power_transform(y: np.ndarray) -> np.ndarray:
    """HEBO's output warping: scale ``y`` by its standard deviation, apply Box-Cox (all
    values positive) or Yeo-Johnson (otherwise) with the maximum-likelihood parameter in
    [-2, 4], and standardise. Falls back to plain standardisation if the fit fails or leaves
    the outputs nearly constant."""
    so = require("scipy.optimize", "gp")
    std = float(np.std(y))
    if y.size < 3 or std < 1e-12 or not math.isfinite(std):
        return standardize(y)
    z = y / std
    positive = bool(np.all(z > 0))
    jac_sum = float(np.sum(np.log(z))) if positive else \
        float(np.sum(np.sign(z) * np.log1p(np.abs(z))))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        res = so.minimize_scalar(_neg_log_likelihood, bounds=(-2.0, 4.0), method="bounded",
                                 args=(z, positive, jac_sum), options={"xatol": 1e-3})
        t = box_cox(z, float(res.x)) if positive else yeo_johnson(z, float(res.x))
    if not np.all(np.isfinite(t)) or float(np.std(t)) < 1e-6:
        return standardize(y)
    return standardize(t)
