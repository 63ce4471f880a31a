"""Learning-curve extrapolation by least squares: three saturating families averaged by BIC
(after Domhan et al., IJCAI 2015, with least squares in place of MCMC)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_SHAPES = np.geomspace(0.05, 20.0, 48)


@dataclass(frozen=True, slots=True)
class CurveForecast:
    """A prediction of a learning curve's value at a later step.

    Attributes:
        mean: Predicted value at the target step.
        std: Its standard deviation: the fit's own (noise and parameter) uncertainty plus
            the disagreement between curve families.
        weights: Family name -> weight in the ensemble (by BIC).
    """

    mean: float
    std: float
    weights: dict[str, float]


def _basis(family: str, x: np.ndarray, shape: float, scale: float) -> np.ndarray:
    """The curve is ``c + a * basis(x)``: linear in (c, a) for a fixed shape."""
    if family == "pow3":  # c - a x^-alpha
        return np.asarray(-(x ** -shape))
    if family == "exp3":  # c - a exp(-b x), b relative to the observed horizon
        return np.asarray(-np.exp(-shape * x / scale))
    return np.asarray(-1.0 / np.log1p(shape * x))  # "ilog2": c - a / log(1 + k x)


def forecast(steps: np.ndarray, values: np.ndarray, target: float) -> CurveForecast | None:
    """Fit three saturating families (pow3, exp3, ilog2), each by least squares over a grid
    of shapes, and predict the value at ``target``; None with fewer than 4 points."""
    x = np.asarray(steps, dtype=float) + 1.0  # steps may start at 0
    y = np.asarray(values, dtype=float)
    n = x.size
    if n < 4:
        return None
    t = float(target) + 1.0
    scale = float(x.max())
    fits: list[tuple[str, float, float, float]] = []  # family, bic, mean, var
    for family in ("pow3", "exp3", "ilog2"):
        best = (math.inf, math.nan, math.inf)  # sse, mean, var of the best shape
        for shape in _SHAPES:
            design = np.column_stack([np.ones(n), _basis(family, x, float(shape), scale)])
            coef, *_ = np.linalg.lstsq(design, y, rcond=None)
            sse = float(np.sum((design @ coef - y) ** 2))
            if sse < best[0]:
                g = np.array([1.0, float(_basis(family, np.array([t]), float(shape),
                                                scale)[0])])
                sigma2 = max(sse, 1e-12 * n) / max(n - 3, 1)
                gram = design.T @ design
                leverage = float(g @ np.linalg.pinv(gram) @ g)
                best = (sse, float(g @ coef), sigma2 * (1.0 + leverage))
        sse, mean, var = best
        bic = n * math.log(max(sse, 1e-300) / n) + 3 * math.log(n)
        fits.append((family, bic, mean, var))
    bics = np.array([f[1] for f in fits])
    w = np.exp(-(bics - bics.min()) / 2)
    w /= w.sum()
    means = np.array([f[2] for f in fits])
    mean = float(w @ means)
    var = float(w @ np.array([f[3] for f in fits]) + w @ (means - mean) ** 2)
    return CurveForecast(mean, math.sqrt(var), {f[0]: float(wi) for f, wi in zip(fits, w,
                                                                                 strict=True)})
