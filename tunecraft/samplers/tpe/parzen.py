"""The Parzen estimator of TPE: a weighted mixture of product kernels on the unit cube.

Numerical coordinates live in [0, 1] (the dimensions' unit-cube encoding: log dimensions in
log space, stepped and integer dimensions widened by half a step on each side). Each
observation contributes one kernel: a Gaussian truncated to [0, 1] per numerical coordinate
and a smoothed one-hot distribution per categorical coordinate. A prior kernel (mean 0.5,
width 1, uniform over categories) is always appended with weight ``prior_weight``.

Discrete coordinates (stepped or integer) are evaluated as the kernel's mass over the grid
point's cell ``[left, right]``, so the density of a grid point matches how often sampling
lands on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tunecraft.samplers.tpe._normal import log_gauss_mass, truncnorm_sample

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_TINY_SIGMA = 1e-12
_FAR = 8.5  # standard deviations beyond which a normal's tail is below 1e-17
_UNIQUE_FROM = 64  # deduplicate discrete kernels from this many on
_LOG_ZERO = -1e250  # stands for log(0) where it meets a 0 in a matrix product
_BLAS_SLICE = 65536  # multiply-adds per matrix product slice (see _product)


def bandwidths(mus: np.ndarray, *, magic_clip: bool, endpoints: bool) -> np.ndarray:
    """Per-kernel widths by the neighbour rule, column by column, for means in [0, 1].

    With the bounds 0 and 1 added to each sorted column, a kernel's width is the larger of the
    distances to its two neighbours. Unless ``endpoints``, the outermost kernels use only the
    distance to their inner neighbour. The magic clip keeps widths in
    ``[1 / min(100, n + 2), 1]`` (Optuna v5 and Watanabe 2023: the best-performing rule).
    """
    n, d = mus.shape
    if n == 0:
        return np.empty_like(mus)
    cols = np.ascontiguousarray(mus.T)  # sort each column as a contiguous row
    order = np.argsort(cols, axis=1, kind="stable")
    pad = np.empty((d, n + 2))
    pad[:, 0] = 0.0
    pad[:, -1] = 1.0
    pad[:, 1:-1] = np.take_along_axis(cols, order, axis=1)
    gaps = np.diff(pad, axis=1)  # gaps[:, i] = distance between sorted i-1 and i
    sig = np.maximum(gaps[:, :-1], gaps[:, 1:])
    if not endpoints and n >= 2:
        sig[:, 0] = gaps[:, 1]
        sig[:, -1] = gaps[:, -2]
    low = 1.0 / min(100.0, n + 2.0) if magic_clip else _TINY_SIGMA
    out = np.empty_like(sig)
    np.put_along_axis(out, order, np.clip(sig, low, 1.0), axis=1)
    result: np.ndarray = out.T
    return result


def _logsumexp_rows(x: np.ndarray) -> np.ndarray:
    """Row-wise log-sum-exp; overwrites ``x``."""
    top = np.max(x, axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    x -= top[:, None]
    np.exp(x, out=x)
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(np.sum(x, axis=1)) + top
    return out


def _log_norm(mus: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """log of the mass that each kernel keeps inside [0, 1] (its truncation normaliser).

    Kernels farther than ``_FAR`` widths from both bounds keep all but 1e-17 of their mass,
    so only the others are evaluated.
    """
    a = -mus / sigmas
    b = (1.0 - mus) / sigmas
    near = (a > -_FAR) | (b < _FAR)
    out: np.ndarray = np.zeros_like(a)
    if near.any():
        out[near] = log_gauss_mass(a[near], b[near])
    return out


class ParzenEstimator:
    """A mixture of truncated-Gaussian x categorical product kernels, one per observation.

    Args:
        unit: (n, dn) numerical observations in [0, 1].
        cats: (n, dc) categorical observations as choice indices.
        n_choices: Number of choices of each categorical column.
        discrete: (dn,) mask of the numerical columns that are stepped or integer.
        weights: (n,) non-negative observation weights (not necessarily normalised).
        prior_weight: Weight of the prior kernel, relative to the observation weights.
        magic_clip: Clip widths from below by ``1 / min(100, n + 2)``.
        endpoints: Let the outermost kernels also consider their distance to the bounds.
    """

    def __init__(
        self,
        unit: np.ndarray,
        cats: np.ndarray,
        n_choices: Sequence[int],
        discrete: np.ndarray,
        weights: np.ndarray,
        *,
        prior_weight: float = 1.0,
        magic_clip: bool = True,
        endpoints: bool = False,
    ) -> None:
        n, dn = unit.shape
        self.discrete = np.asarray(discrete, dtype=bool)
        w = np.append(np.asarray(weights, dtype=float), prior_weight) if n else np.ones(1)
        self.weights = w / w.sum()
        with np.errstate(divide="ignore"):
            self.log_weights = np.log(self.weights)
        sig = bandwidths(unit, magic_clip=magic_clip, endpoints=endpoints)
        self.mus = np.concatenate([unit, np.full((1, dn), 0.5)])
        self.sigmas = np.concatenate([sig, np.ones((1, dn))])
        # Discrete columns: many kernels share (mu, sigma) (observations on the same grid
        # point), so each column keeps its unique pairs, their normalisers and the map back.
        self._discrete_cols: list[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]] = []
        for j in np.flatnonzero(self.discrete):
            mu, sg = self.mus[:, j], self.sigmas[:, j]
            inverse = None
            if mu.size >= _UNIQUE_FROM:
                pairs, inverse = np.unique(mu + 1j * sg, return_inverse=True)
                mu, sg = pairs.real.copy(), pairs.imag.copy()
                inverse = inverse.ravel()
            self._discrete_cols.append((int(j), mu, sg, inverse))
        # All truncation normalisers in one vectorised call: continuous kernels, then the
        # unique discrete ones.
        cont = ~self.discrete
        mu_c, sig_c = self.mus[:, cont], self.sigmas[:, cont]
        sizes = [c[1].size for c in self._discrete_cols]
        norms = _log_norm(np.concatenate([mu_c.ravel(), *(c[1] for c in self._discrete_cols)]),
                          np.concatenate([sig_c.ravel(), *(c[2] for c in self._discrete_cols)]))
        self._cont_const = -(np.log(sig_c) + norms[:mu_c.size].reshape(mu_c.shape)).sum(
            axis=1) - _LOG_SQRT_2PI * int(cont.sum())
        self._discrete_norms = np.split(norms[mu_c.size:], np.cumsum(sizes)[:-1])
        self.cat_log_probs: list[np.ndarray] = []
        self.cat_probs: list[np.ndarray] = []
        n_kernels = n + 1
        for k, n_cat in enumerate(n_choices):
            table = np.full((n_kernels, n_cat), prior_weight / n_kernels if n else 1.0)
            table[np.arange(n), cats[:, k]] += 1.0
            table[-1] = 1.0
            table /= table.sum(axis=1, keepdims=True)
            self.cat_probs.append(table)
            with np.errstate(divide="ignore"):
                # floored at -1e250 (exp gives 0 all the same), so 0 * it is 0 in log_pdf
                self.cat_log_probs.append(np.maximum(np.log(table), _LOG_ZERO))

    @property
    def n_kernels(self) -> int:
        return int(self.weights.shape[0])

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``size`` points: (size, dn) continuous unit coordinates, (size, dc) indices.

        Discrete coordinates are returned unsnapped; the caller rounds them to the grid.
        """
        active = rng.choice(self.n_kernels, size=size, p=self.weights)
        mu = self.mus[active]
        sigma = self.sigmas[active]
        u = rng.random(mu.shape)
        z = truncnorm_sample(-mu / sigma, (1 - mu) / sigma, u)
        unit = np.clip(mu + sigma * z, 0.0, 1.0)
        cats = np.empty((size, len(self.cat_probs)), dtype=np.int64)
        if self.cat_probs:
            q = rng.random((size, len(self.cat_probs)))
            for j, table in enumerate(self.cat_probs):
                cum = np.cumsum(table[active], axis=1)
                idx = np.sum(cum < q[:, j:j + 1] * cum[:, -1:], axis=1)
                cats[:, j] = np.minimum(idx, table.shape[1] - 1)
        return unit, cats

    def log_pdf(
        self,
        unit: np.ndarray,
        cats: np.ndarray,
        left: np.ndarray | None = None,
        right: np.ndarray | None = None,
    ) -> np.ndarray:
        """Log-density of m points (log-mass on the discrete and categorical coordinates).

        Args:
            unit: (m, dn) coordinates; read only in the continuous columns.
            cats: (m, dc) choice indices.
            left, right: (m, dn) cell bounds, read only in the discrete columns.
        """
        # Each kernel's log-density is a sum of (feature of the point) x (coefficient of the
        # kernel): x^2 and x for the quadratic form of the continuous z-scores, and one-hot
        # indicators of the point's cell or choice for the discrete and categorical columns.
        # So the (m, n_kernels) matrix is a single matrix product.
        m = unit.shape[0]
        feats: list[np.ndarray] = [np.ones((m, 1))]
        coefs: list[np.ndarray] = []
        const = self.log_weights + self._cont_const
        extra: np.ndarray | None = None
        cont = ~self.discrete
        if cont.any():
            x, mus, sigmas = unit[:, cont], self.mus[:, cont], self.sigmas[:, cont]
            if sigmas.min() >= 1e-3:
                # With widths of at least 1e-3 on [0, 1] the terms stay below 1e6, so the
                # expanded square loses less than 1e-9 to cancellation.
                inv_var = 1.0 / (sigmas * sigmas)
                feats += [x * x, x]
                coefs += [-0.5 * inv_var, mus * inv_var]
                const = const - 0.5 * np.sum(mus * mus * inv_var, axis=1)
            else:
                z = (x[:, None, :] - mus[None]) / sigmas[None]
                extra = -0.5 * np.sum(z * z, axis=2)
        if self._discrete_cols:
            if left is None or right is None:
                raise ValueError("left and right cell bounds are needed for discrete columns")
            for cell_inv, block in self._log_mass_discrete(left, right):
                feats.append(_one_hot(cell_inv, block.shape[0]))
                coefs.append(block.T)
        for j, table in enumerate(self.cat_log_probs):
            feats.append(_one_hot(cats[:, j], table.shape[1]))
            coefs.append(table)
        total = _product(np.concatenate(feats, axis=1),
                         np.concatenate([const[:, None], *coefs], axis=1))
        if extra is not None:
            total += extra
        return _logsumexp_rows(total)

    def _log_mass_discrete(
        self, left: np.ndarray, right: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per discrete column: each point's cell index and the (cells, kernels) log-masses."""
        # Points often share a cell (its left edge fixes it): evaluate each unique cell
        # against each unique kernel, all columns in one call.
        lows: list[np.ndarray] = []
        highs: list[np.ndarray] = []
        cell_maps: list[np.ndarray] = []
        for j, mu, sg, _ in self._discrete_cols:
            cells, cell_inv = np.unique(left[:, j], return_inverse=True)
            right_of = np.empty_like(cells)
            right_of[cell_inv] = right[:, j]
            lows.append(((cells[:, None] - mu) / sg).ravel())
            highs.append(((right_of[:, None] - mu) / sg).ravel())
            cell_maps.append(cell_inv.ravel())
        mass = log_gauss_mass(np.concatenate(lows), np.concatenate(highs))
        out: list[tuple[np.ndarray, np.ndarray]] = []
        start = 0
        for (_, mu, _, inverse), norm, cell_inv, low in zip(
                self._discrete_cols, self._discrete_norms, cell_maps, lows, strict=True):
            block = mass[start:start + low.size].reshape(-1, mu.size)
            start += low.size
            block -= norm
            out.append((cell_inv, block if inverse is None else block[:, inverse]))
        return out


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T``, in slices of ``b`` small enough that BLAS computes each on one thread.

    OpenBLAS threads a product above about 2.6e5 multiply-adds; for these short, wide
    products its threads cost more than they save (they keep spinning after the call), and
    a sampler usually shares the CPU with the training it tunes.
    """
    m, n_feats = a.shape
    k = b.shape[0]
    step = max(1, _BLAS_SLICE // max(1, m * n_feats))
    if k <= step:
        small: np.ndarray = a @ b.T
        return small
    out = np.empty((m, k))
    for start in range(0, k, step):
        out[:, start:start + step] = a @ b[start:start + step].T
    return out


def _one_hot(index: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((index.shape[0], size))
    out[np.arange(index.shape[0]), index] = 1.0
    return out
