"""Acquisition functions in log space: log expected improvement and log probability of
feasibility, with gradients, numerically stable far into the tails.

Expected improvement below a threshold ``tau`` for a Gaussian ``N(mu, sigma^2)`` is
``sigma * h(z)`` with ``z = (tau - mu) / sigma`` and ``h(z) = phi(z) + z Phi(z)``. Computing
``log h`` naively underflows to ``-inf`` once ``z < -38`` (and loses all precision well before
that), which leaves the acquisition flat and its gradient zero over most of the space late in
a run. :func:`log_h` follows Ament et al. (NeurIPS 2023, "Unexpected improvements to expected
improvement"): a direct formula for ``z > -1``, a rewrite through the scaled complementary error
function ``erfcx`` down to ``z = -1/sqrt(eps)``, and the asymptotic expansion beyond.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType

import numpy as np

from tunecraft._imports import require
from tunecraft.samplers.gp.model import GP

_C1 = 0.5 * math.log(2 * math.pi)
_C2 = 0.5 * math.log(math.pi / 2)
_TAIL = -1.0 / math.sqrt(np.finfo(float).eps)  # about -6.7e7


def _special() -> ModuleType:
    return require("scipy.special", "gp")


def log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x < 0``, accurate near 0 and far below it."""
    x = np.asarray(x, dtype=float)
    out: np.ndarray = np.where(x > -math.log(2.0),
                               np.log(-np.expm1(np.minimum(x, -1e-300))),
                               np.log1p(-np.exp(np.minimum(x, 0.0))))
    return out


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z * Phi(z))``, finite for every finite ``z``."""
    sp = _special()
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    big = z > -1.0
    if big.any():
        zb = z[big]
        out[big] = np.log(np.exp(-0.5 * zb * zb - _C1) + zb * sp.ndtr(zb))
    mid = (~big) & (z > _TAIL)
    if mid.any():
        zm = z[mid]
        inner = np.log(sp.erfcx(-zm / math.sqrt(2.0)) * np.abs(zm)) + _C2
        out[mid] = -0.5 * zm * zm - _C1 + log1mexp(inner)
    tail = ~(big | mid)
    if tail.any():
        zt = z[tail]
        out[tail] = -0.5 * zt * zt - _C1 - 2.0 * np.log(np.abs(zt))
    return out


def _log_phi(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = -0.5 * z * z - _C1
    return out


def _log_cdf_over_pdf(z: np.ndarray) -> np.ndarray:
    """``log(Phi(z) / phi(z))``: through erfcx below 0, where both logs are huge and close."""
    sp = _special()
    neg = z < 0
    out = np.empty_like(z)
    out[neg] = np.log(sp.erfcx(-z[neg] / math.sqrt(2.0))) + _C2
    out[~neg] = sp.log_ndtr(z[~neg]) - _log_phi(z[~neg])
    return out


def _log_h_over_pdf(z: np.ndarray) -> np.ndarray:
    """``log(h(z) / phi(z))``, the same branches as :func:`log_h` without the huge common
    term ``log phi(z)``, so that ratios with it stay accurate far in the tail."""
    sp = _special()
    out = np.empty_like(z)
    big = z > -1.0
    out[big] = log_h(z[big]) - _log_phi(z[big])
    mid = (~big) & (z > _TAIL)
    zm = z[mid]
    out[mid] = log1mexp(np.log(sp.erfcx(-zm / math.sqrt(2.0)) * np.abs(zm)) + _C2)
    tail = ~(big | mid)
    out[tail] = -2.0 * np.log(np.abs(z[tail]))
    return out


def log_ei(mean: np.ndarray, var: np.ndarray, tau: float) -> np.ndarray:
    """log E[max(tau - f, 0)] for ``f ~ N(mean, var)`` (minimisation)."""
    sigma = np.sqrt(var)
    out: np.ndarray = np.log(sigma) + log_h((tau - mean) / sigma)
    return out


def log_ei_grad(
    mean: np.ndarray, var: np.ndarray, tau: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log EI and its partial derivatives with respect to ``mean`` and ``var``.

    With ``z = (tau - mean) / sigma``: ``d/dmean = -(Phi/h) / sigma`` and
    ``d/dsigma = (phi/h) / sigma``; both ratios are formed in log space, so they stay finite
    (and of the right sign) where ``h`` itself underflows.
    """
    sigma = np.sqrt(var)
    z = np.atleast_1d((tau - mean) / sigma)
    value = np.log(sigma) + log_h(z)
    h_over_pdf = _log_h_over_pdf(z)
    d_mean = -np.exp(_log_cdf_over_pdf(z) - h_over_pdf) / sigma
    d_sigma = np.exp(-h_over_pdf) / sigma
    return value, d_mean, d_sigma / (2.0 * sigma)


def log_pof_grad(
    mean: np.ndarray, var: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log P(c <= threshold) for ``c ~ N(mean, var)`` and its derivatives in mean and var."""
    sp = _special()
    sigma = np.sqrt(var)
    z = np.atleast_1d((threshold - mean) / sigma)
    value = sp.log_ndtr(z)
    ratio = np.exp(-_log_cdf_over_pdf(z))  # phi / Phi, accurate in both tails
    d_mean = -ratio / sigma
    d_sigma = -ratio * z / sigma
    return value, d_mean, d_sigma / (2.0 * sigma)


PriorFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``x -> (log density (m,), gradient (m, d))`` of a prior over encoded rows."""


class Acquisition:
    """The function the GP sampler maximises, in log space: log EI of the objective, plus
    log P(feasible) of each constraint, plus a decaying user prior (piBO).

    Args:
        objective: The objective's GP (outputs minimised), or None to seek feasibility only
            (no trial is feasible yet).
        tau: EI threshold: the best (feasible) posterior mean at the observed points.
        constraints: ``(gp, threshold)`` pairs: each constraint's GP and the value of its
            standardised output that means 0 (satisfied at or below it).
        prior: ``x -> (log density, gradient)`` of the user's prior over encoded rows.
        prior_weight: The prior's exponent (``beta / n`` in piBO).
    """

    def __init__(self, objective: GP | None, tau: float,
                 constraints: list[tuple[GP, float]] | None = None,
                 prior: PriorFn | None = None, prior_weight: float = 0.0) -> None:
        self.objective, self.tau = objective, tau
        self.constraints = constraints or []
        self.prior, self.prior_weight = prior, prior_weight

    def value(self, x: np.ndarray) -> np.ndarray:
        """Acquisition at rows ``x`` (m, d)."""
        total = np.zeros(x.shape[0])
        if self.objective is not None:
            mean, var = self.objective.posterior(x)
            total += log_ei(mean, var, self.tau)
        for gp, threshold in self.constraints:
            mean, var = gp.posterior(x)
            total += _special().log_ndtr((threshold - mean) / np.sqrt(var))
        if self.prior is not None and self.prior_weight > 0:
            total += self.prior_weight * self.prior(x)[0]
        return total

    def value_grad(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Acquisition and its gradient (m, d) in the numerical columns."""
        total = np.zeros(x.shape[0])
        grad = np.zeros_like(x)
        parts: list[tuple[GP, Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]], float]]
        parts = [(gp, log_pof_grad, t) for gp, t in self.constraints]
        if self.objective is not None:
            parts.append((self.objective, log_ei_grad, self.tau))
        for gp, fn, t in parts:
            mean, var, dmean, dvar = gp.posterior_grad(x)
            v, dm, dv = fn(mean, var, t)
            total += v
            grad += dm[:, None] * dmean + dv[:, None] * dvar
        if self.prior is not None and self.prior_weight > 0:
            pv, pg = self.prior(x)
            total += self.prior_weight * pv
            grad += self.prior_weight * pg
        return total, grad

