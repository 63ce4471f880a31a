"""A Gaussian-process regressor with MAP-fitted kernel hyperparameters and exact gradients.

``fit_gp(x, y, is_cat)`` fits ``k(x, x') = scale * matern52(r2) + noise * [x == x']`` to
standardised outputs by maximising the log marginal likelihood plus log priors with L-BFGS-B
on the logs of the hyperparameters, with analytic gradients (NumPy and SciPy only: at a few
hundred trials this is faster than an autograd framework, whose per-operation overhead
dominates on such small matrices, and it keeps torch out of the sampler).

Priors (on standardised outputs in the unit cube):

- length-scales: LogNormal(sqrt(2) + log(d) / 2, sqrt(3)), the dimension-scaled prior of
  Hvarfner et al. (ICML 2024) that BoTorch uses, so that longer length-scales are expected in
  more dimensions; length-scales are kept in [0.025, 1000];
- scale: Gamma(2, 1) (mode 1, the variance of standardised outputs);
- noise: Gamma(1.1, 30) above a floor of 1e-6 (Optuna's), or exactly the floor when the
  objective is declared deterministic.

The fit always starts from the same point, so it is a pure function of the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tunecraft._imports import require
from tunecraft.samplers.gp.kernel import (
    matern52,
    matern52_grad,
    squared_distances,
    weighted_pair_sums,
)

NOISE_FLOOR = 1e-6
_LS_MIN, _LS_MAX = 0.025, 1000.0
_LOG_SCALE_BOUNDS = (math.log(1e-2), math.log(1e2))
_LOG_NOISE_BOUNDS = (math.log(1e-9), math.log(2.0))
_LS_SIGMA = math.sqrt(3.0)


@dataclass(frozen=True)
class Hyper:
    """Kernel hyperparameters: inverse squared length-scales (d,), scale and noise variance."""

    lam: np.ndarray
    scale: float
    noise: float


class GP:
    """The posterior of a zero-mean GP given ``x`` (n, d) and ``y`` (n,) and hyperparameters.

    Numerical columns of ``x`` lie in [0, 1]; categorical columns (``is_cat``) hold indices.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, is_cat: np.ndarray, hyper: Hyper) -> None:
        self.x, self.y, self.is_cat, self.hyper = x, y, is_cat, hyper
        k = hyper.scale * matern52(squared_distances(x, x, hyper.lam, is_cat, same=True))
        self.chol = _cholesky(k, hyper.noise)
        self.alpha = _cho_solve(self.chol, y)

    def posterior(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance (m,) at query rows ``q`` (m, d)."""
        mean, var, _, _ = self._posterior(q, grad=False)
        return mean, var

    def posterior_grad(
        self, q: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients (m, d) with respect to ``q``'s numerical
        columns (categorical columns get 0)."""
        mean, var, dmean, dvar = self._posterior(q, grad=True)
        assert dmean is not None and dvar is not None
        return mean, var, dmean, dvar

    def _posterior(
        self, q: np.ndarray, grad: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        sl = require("scipy.linalg", "gp")
        h = self.hyper
        r2 = squared_distances(q, self.x, h.lam, self.is_cat)
        k = h.scale * matern52(r2)
        mean = k @ self.alpha
        v = sl.solve_triangular(self.chol, k.T, lower=True, check_finite=False)
        var = np.maximum(h.scale - (v * v).sum(0), 1e-12)
        if not grad:
            return mean, var, None, None
        w = sl.solve_triangular(self.chol.T, v, lower=False, check_finite=False)  # K^-1 k
        g = h.scale * matern52_grad(r2)
        lam2 = 2.0 * np.where(self.is_cat, 0.0, h.lam)
        b_mean = g * self.alpha[None, :]
        b_var = g * w.T
        dmean = lam2 * (q * b_mean.sum(1)[:, None] - b_mean @ self.x)
        dvar = -2.0 * lam2 * (q * b_var.sum(1)[:, None] - b_var @ self.x)
        return mean, var, dmean, dvar

    def condition_on(self, x_new: np.ndarray, y_new: np.ndarray) -> GP:
        """The GP with extra observations, same hyperparameters (for fantasies)."""
        return GP(np.vstack([self.x, x_new]), np.concatenate([self.y, y_new]), self.is_cat,
                  self.hyper)


def _cholesky(k: np.ndarray, noise: float) -> np.ndarray:
    """Lower Cholesky factor of ``k + noise * I``, adding jitter if ``k`` is not positive
    definite in floating point (duplicated rows with a tiny noise)."""
    sl = require("scipy.linalg", "gp")
    n = k.shape[0]
    jitter = 0.0
    for attempt in range(8):
        try:
            a = k.copy()
            a[np.diag_indices(n)] += noise + jitter
            chol: np.ndarray = sl.cholesky(a, lower=True, check_finite=False)
            return chol
        except np.linalg.LinAlgError:
            jitter = 1e-9 * 10.0**attempt * max(float(np.mean(np.diag(k))), 1e-12)
    raise np.linalg.LinAlgError("kernel matrix is not positive definite even with jitter")


def _cho_solve(chol: np.ndarray, b: np.ndarray) -> np.ndarray:
    sl = require("scipy.linalg", "gp")
    out: np.ndarray = sl.cho_solve((chol, True), b, check_finite=False)
    return out


def _inverse(chol: np.ndarray) -> np.ndarray:
    """``K^-1`` from the lower Cholesky factor of ``K`` (LAPACK potri, symmetrised)."""
    sl = require("scipy.linalg", "gp")
    inv, info = sl.lapack.dpotri(chol, lower=True)
    if info != 0:
        return _cho_solve(chol, np.eye(chol.shape[0]))
    lower = np.tril(inv)
    out: np.ndarray = lower + np.tril(inv, -1).T
    return out


# ---------------------------------------------------------------------------------- fitting
def _ls_mu(d: int) -> float:
    return math.sqrt(2.0) + 0.5 * math.log(max(d, 1))


def log_prior(theta: np.ndarray, d: int, deterministic: bool) -> tuple[float, np.ndarray]:
    """Log prior density of the raw parameters ``[log lam (d), log scale, log noise_raw]``
    and its gradient."""
    u = theta[:d]
    mu = _ls_mu(d)
    log_ls = -0.5 * u
    # LogNormal density on the length-scale ell = lam ** -1/2, written in terms of log lam
    lp = float(np.sum(-log_ls - (log_ls - mu) ** 2 / (2 * _LS_SIGMA**2)))
    grad = np.zeros_like(theta)
    grad[:d] = 0.5 + (log_ls - mu) / (2 * _LS_SIGMA**2)
    scale = math.exp(theta[d])
    lp += math.log(scale) - scale  # Gamma(2, 1)
    grad[d] = 1.0 - scale
    if not deterministic:
        raw = math.exp(theta[d + 1])
        noise = NOISE_FLOOR + raw
        lp += 0.1 * math.log(noise) - 30.0 * noise  # Gamma(1.1, 30)
        grad[d + 1] = (0.1 / noise - 30.0) * raw
    return lp, grad


def neg_log_posterior(
    theta: np.ndarray, x: np.ndarray, y: np.ndarray, is_cat: np.ndarray, deterministic: bool
) -> tuple[float, np.ndarray]:
    """Minus (log marginal likelihood + log prior) and its gradient in ``theta``."""
    n, d = x.shape
    lam = np.exp(theta[:d])
    scale = math.exp(theta[d])
    noise = NOISE_FLOOR + (0.0 if deterministic else math.exp(theta[d + 1]))
    r2 = squared_distances(x, x, lam, is_cat, same=True)
    m = matern52(r2)
    try:
        chol = _cholesky(scale * m, noise)
    except np.linalg.LinAlgError:
        return 1e25, np.zeros_like(theta)
    alpha = _cho_solve(chol, y)
    k_inv = _inverse(chol)
    mll = -0.5 * float(y @ alpha) - float(np.log(np.diag(chol)).sum()) \
        - 0.5 * n * math.log(2 * math.pi)
    w = np.outer(alpha, alpha) - k_inv  # d mll = 1/2 tr(W dK)
    grad = np.zeros_like(theta)
    a_mat = w * (scale * matern52_grad(r2))
    grad[:d] = 0.5 * lam * weighted_pair_sums(a_mat, x, is_cat)
    grad[d] = 0.5 * float((w * (scale * m)).sum())
    if not deterministic:
        grad[d + 1] = 0.5 * float(np.trace(w)) * math.exp(theta[d + 1])
    lp, lp_grad = log_prior(theta, d, deterministic)
    return -(mll + lp), -(grad + lp_grad)


def initial_theta(d: int) -> np.ndarray:
    """The fixed starting point of the fit: length-scales of 0.2 sqrt(d) (clipped to 1),
    scale 1, noise 1e-2."""
    ell = min(0.2 * math.sqrt(max(d, 1)), 1.0)
    return np.concatenate([np.full(d, -2.0 * math.log(ell)), [0.0, math.log(1e-2)]])


def fit_gp(
    x: np.ndarray, y: np.ndarray, is_cat: np.ndarray, *, deterministic: bool = False,
    theta0: np.ndarray | None = None,
) -> GP:
    """Fit the hyperparameters by MAP and return the posterior GP.

    Args:
        x: (n, d) inputs (unit cube, or choice indices in the ``is_cat`` columns).
        y: (n,) outputs, standardised.
        is_cat: (d,) which columns are categorical.
        deterministic: Fix the noise at its floor (1e-6) instead of fitting it.
        theta0: Starting point of the fit (default :func:`initial_theta`).
    """
    so = require("scipy.optimize", "gp")
    d = x.shape[1]
    theta = initial_theta(d) if theta0 is None else np.asarray(theta0, dtype=float)
    ls_bounds = (-2.0 * math.log(_LS_MAX), -2.0 * math.log(_LS_MIN))
    bounds = [ls_bounds] * d + [_LOG_SCALE_BOUNDS, _LOG_NOISE_BOUNDS]
    theta = np.clip(theta, [b[0] for b in bounds], [b[1] for b in bounds])
    with np.errstate(over="ignore", under="ignore"):
        res = so.minimize(neg_log_posterior, theta, args=(x, y, is_cat, deterministic),
                          jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": 200, "gtol": 1e-3})
    best = res.x if np.all(np.isfinite(res.x)) and res.fun < 1e24 else theta
    hyper = Hyper(lam=np.exp(best[:d]), scale=float(math.exp(best[d])),
                  noise=NOISE_FLOOR + (0.0 if deterministic else float(math.exp(best[d + 1]))))
    return GP(x, y, is_cat, hyper)
