"""Pure maths of the learning-rate range test: the LR sweep, loss smoothing, the divergence stop
and suggestion rules.

numpy only, so that the rules can be tested on hand-made curves and shared by the torch and
Keras adapters. ``steepest``, ``valley``, ``minimum`` and ``slide`` follow fastai's
``callback/schedule.py`` and torch-lr-finder's ``plot``; ``minimum/3`` was chosen by the
benchmark of issue #14 (``benchmarks/lr_find.py``): over MLPs, CNNs and a GRU trained with SGD,
Adam and AdamW on digits, MNIST-1D and synthetic data, it was the curve rule whose suggestion
trained closest to a grid's best accuracy, with no run at chance (``steepest``, the previous
default, ended at chance in 5 of 24 runs). The default, ``confirmed`` (:data:`DEFAULT_RULE`),
checks it with a short training probe at ``m/3``, ``m/sqrt(3)`` and ``m``
(:mod:`tunecraft.torch.lr_confirm`), which fixes the one setting where
``minimum/3`` was too low (plain SGD on an under-trained MLP; ``benchmarks/results/issue-14.md``).

Smoothing does not lag. fastai's debiased EMA (beta 0.98) trails the raw loss by about 49
iterations, four decades of a 100-point sweep, so its curve keeps falling after the raw loss
has blown up and every rule read on it picks too high. Here decisions use the raw loss (the
stop) or a symmetric kernel (the suggestions).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

Rule: TypeAlias = Literal["confirmed", "minimum/3", "steepest", "valley", "minimum", "slide"]
RULES: tuple[Rule, ...] = ("confirmed", "minimum/3", "steepest", "valley", "minimum", "slide")
CONFIRMED: Rule = "confirmed"
"""The rule that returns the confirmation probe's pick (``minimum/3`` when no probe ran)."""
CURVE_DEFAULT: Rule = "minimum/3"
"""The best rule read from the curve alone (the probe's first candidate)."""
DEFAULT_RULE: Rule = "confirmed"
"""The rule of ``LRRangeResult.suggestion()``, ``lr_bounds_from_range_test`` and
``tunecraft lr-find`` (chosen by measurement: see the module docstring)."""
Mode: TypeAlias = Literal["exp", "linear"]

FloatArray: TypeAlias = npt.NDArray[np.float64]


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"{name}={value!r} must be a positive finite number")
    return float(value)


def lr_at(i: int, start_lr: float, end_lr: float, num_iter: int, mode: Mode = "exp") -> float:
    """The learning rate of iteration ``i`` (0-based) of a sweep from ``start_lr`` to ``end_lr``.

    ``exp``: ``start * (end / start) ** (i / (num_iter - 1))`` (torch-lr-finder's formula, so
    the first iteration uses ``start_lr`` and the last ``end_lr``); ``linear``: evenly spaced.
    """
    r = i / (num_iter - 1)
    if mode == "exp":
        return float(start_lr * (end_lr / start_lr) ** r)
    return float(start_lr + r * (end_lr - start_lr))


def lr_sweep(start_lr: float, end_lr: float, num_iter: int, mode: Mode = "exp") -> FloatArray:
    """All ``num_iter`` learning rates of a sweep (see :func:`lr_at`), checked."""
    start_lr = _positive("start_lr", start_lr)
    end_lr = _positive("end_lr", end_lr)
    if end_lr <= start_lr:
        raise ValueError(f"end_lr={end_lr!r} must be greater than start_lr={start_lr!r}")
    if isinstance(num_iter, bool) or not isinstance(num_iter, int) or num_iter < 2:
        raise ValueError(f"num_iter={num_iter!r} must be an integer >= 2")
    if mode not in ("exp", "linear"):
        raise ValueError(f"mode={mode!r} must be 'exp' or 'linear'")
    return np.array([lr_at(i, start_lr, end_lr, num_iter, mode) for i in range(num_iter)])


class DebiasedEMA:
    """fastai's smoothed loss: ``avg = beta*avg + (1-beta)*loss``, divided by ``1 - beta**t``.

    The division removes the pull toward zero of the first steps, so the smoothed curve starts
    at the first loss instead of near 0 (torch-lr-finder has no such correction).
    """

    def __init__(self, beta: float = 0.98) -> None:
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0.0 <= beta < 1.0:
            raise ValueError(f"smooth_beta={beta!r} must be in [0, 1); 0 turns smoothing off")
        self.beta = float(beta)
        self._avg = 0.0
        self._t = 0

    def update(self, loss: float) -> float:
        """Add one raw loss; return the smoothed value after it."""
        self._t += 1
        self._avg = self.beta * self._avg + (1.0 - self.beta) * loss
        return self._avg / (1.0 - self.beta ** self._t)


def smooth(losses: Sequence[float], beta: float = 0.98) -> FloatArray:
    """The debiased exponential moving average of ``losses`` (see :class:`DebiasedEMA`)."""
    ema = DebiasedEMA(beta)
    return np.array([ema.update(float(v)) for v in losses], dtype=np.float64)


def smooth_centered(losses: Sequence[float], beta: float = 0.9) -> FloatArray:
    """Zero-lag smoothing: ``s_t = sum_i beta**|i-t| * x_i / sum_i beta**|i-t|``.

    A symmetric exponential kernel, so a falling or rising stretch is not shifted toward
    later iterations as a one-sided EMA shifts it (fastai's ``beta = 0.98`` EMA lags about
    ``beta / (1 - beta) = 49`` iterations, four decades of a 100-point sweep over 8). Each
    side is normalised by its own weights, so the ends are one-sided averages. Computed in
    O(n) with one pass each way. Non-finite values must be cut off first.
    """
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0.0 <= beta < 1.0:
        raise ValueError(f"smooth_beta={beta!r} must be in [0, 1); 0 turns smoothing off")
    x = np.asarray(losses, dtype=np.float64)
    n = len(x)
    fwd, fwd_w = np.empty(n), np.empty(n)
    bwd, bwd_w = np.empty(n), np.empty(n)
    acc = acc_w = 0.0
    for i in range(n):
        acc, acc_w = beta * acc + x[i], beta * acc_w + 1.0
        fwd[i], fwd_w[i] = acc, acc_w
    acc = acc_w = 0.0
    for i in range(n - 1, -1, -1):
        acc, acc_w = beta * acc + x[i], beta * acc_w + 1.0
        bwd[i], bwd_w[i] = acc, acc_w
    return np.asarray((fwd + bwd - x) / (fwd_w + bwd_w - 1.0), dtype=np.float64)


class RawStop:
    """The divergence stop, decided on the raw loss without smoothing lag.

    Fires when the running median of the last ``window`` raw losses (two steps of delay; two
    noisy batches cannot trigger it) exceeds ``factor`` times the lowest running median so
    far, or at a NaN/inf loss. fastai and Lightning compare their lagging EMA with 4x its best,
    which fires dozens of iterations after the raw loss has blown up, or never.
    """

    def __init__(self, factor: float | None, window: int = 5) -> None:
        self.factor = factor
        self.window = window
        self.best = math.inf
        self._recent: list[float] = []

    def update(self, loss: float) -> bool:
        """Add one raw loss; True when the sweep has diverged."""
        if not math.isfinite(loss):
            return True
        self._recent = [*self._recent[-(self.window - 1):], float(loss)] if self.window > 1 \
            else [float(loss)]
        level = float(np.median(self._recent))
        if len(self._recent) == self.window or not math.isfinite(self.best):
            self.best = min(self.best, level)  # a lucky first batch alone sets no floor
        return self.factor is not None and level > self.factor * self.best


def divergence_index(losses: Sequence[float], factor: float, window: int = 5) -> int | None:
    """The first iteration at which :class:`RawStop` fires, or None."""
    stop = RawStop(factor, window)
    for i, loss in enumerate(losses):
        if stop.update(float(loss)):
            return i
    return None


def trend(losses: Sequence[float], beta: float = 0.5, diverge_factor: float | None = 4.0
          ) -> FloatArray:
    """The curve the suggestion rules read: zero-lag smoothing of the raw losses.

    Each raw loss is first capped at ``diverge_factor`` times the lowest 3-point running
    median so far (the level the divergence stop compares with), so that the huge losses of
    a blow-up cannot leak backward through the symmetric kernel of :func:`smooth_centered`
    and hide the valley before it. Values from the first non-finite loss on are NaN.
    """
    x = np.asarray(losses, dtype=np.float64)
    out = np.full(len(x), math.nan)
    bad = np.flatnonzero(~np.isfinite(x))
    n = int(bad[0]) if bad.size else len(x)
    if n == 0:
        return out
    y = x[:n].copy()
    if diverge_factor is not None:
        level = np.array([np.median(y[max(0, i - 2):i + 1]) for i in range(n)])
        y = np.minimum(y, diverge_factor * np.minimum.accumulate(level))
    out[:n] = smooth_centered(y, beta)
    return out


def _window(lrs: Sequence[float], losses: Sequence[float], skip_start: int,
            skip_end: int, need: int) -> tuple[FloatArray, FloatArray]:
    """Trim ``skip_start``/``skip_end`` points and cut at the first non-finite loss."""
    x = np.asarray(lrs, dtype=np.float64)
    y = np.asarray(losses, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"lrs and losses must be 1-D of equal length, got {x.shape}, {y.shape}")
    for name, v in (("skip_start", skip_start), ("skip_end", skip_end)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name}={v!r} must be a non-negative integer")
    x = x[skip_start:len(x) - skip_end]
    y = y[skip_start:len(y) - skip_end]
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        x, y = x[:bad[0]], y[:bad[0]]
    if len(y) < need:
        raise ValueError(
            f"only {len(y)} usable point(s) remain after skip_start={skip_start}, "
            f"skip_end={skip_end} and cutting at the first NaN; {need} are needed. Run the "
            "range test with more iterations (num_iter) or a lower start_lr, or lower the skips"
        )
    return x, y


def steepest(lrs: Sequence[float], losses: Sequence[float], *, skip_start: int = 10,
             skip_end: int = 5) -> float:
    """The learning rate where the (smoothed) loss falls fastest per unit of ``log(lr)``.

    ``argmin`` of ``np.gradient(losses, log(lrs))`` after trimming: on an exponential sweep the
    log-LR spacing is uniform, so this is exactly torch-lr-finder's pick; on a linear sweep the
    rule stays the same (a derivative against the linear LR, as Lightning takes, divides by
    ``lr`` and so shifts the pick toward the smallest rates).
    """
    x, y = _window(lrs, losses, skip_start, skip_end, need=2)
    grad = np.gradient(y, np.log(x))
    return float(x[int(np.argmin(grad))])


def valley(lrs: Sequence[float], losses: Sequence[float], *, skip_start: int = 10,
           skip_end: int = 5) -> float:
    """fastai's ``valley``: the LR 1/2 of the way into the longest decreasing run of the loss.

    An O(n^2) longest-decreasing-subsequence; with ``max_end`` its last point and ``lds`` its
    length, ``start = max_end - lds``, ``L = max_end - start`` and the pick is
    ``start + int(L/3) + int(L/3/2)`` (fastai's exact indexing).
    """
    x, y = _window(lrs, losses, skip_start, skip_end, need=1)
    n = len(y)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if y[i] < y[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(x[idx])


def minimum(lrs: Sequence[float], losses: Sequence[float], *, skip_start: int = 10,
            skip_end: int = 5, divide: float = 10.0) -> float:
    """fastai's ``minimum``: the LR of the lowest loss, divided by ``divide`` (10)."""
    x, y = _window(lrs, losses, skip_start, skip_end, need=1)
    return float(x[int(np.argmin(y))] / divide)


def minimum_third(lrs: Sequence[float], losses: Sequence[float], *, skip_start: int = 10,
                  skip_end: int = 5) -> float:
    """``minimum/3``, the curve's default and the probe's first candidate: the LR of the lowest
    (zero-lag smoothed) loss, divided by 3.

    The lowest loss of a short sweep sits just below the edge of stability (on a quadratic,
    ``2 / lambda_max``), and a third of it leaves the margin that a long run at a fixed peak
    rate needs; Smith (2017, section 3.3) likewise sets the base rate 3-4 times below the
    maximum. Read on a lagging curve the lowest point moves to the edge itself, which is why
    fastai divides by 10.

    The divisor does not depend on the optimizer or the run's length, by measurement: the
    range test sees about 100 steps and cannot tell a run that converges (the best rate is a
    third to a half of the lowest loss's LR for plain SGD as for momentum 0.9) from a short,
    under-trained one (the best rate at the edge). Dividing plain SGD's by 1 fixed the
    under-trained MNIST-1D MLP but ended converging plain-SGD runs at chance (digits MLP and
    CNN); dividing by 2 did not fix it (``benchmarks/results/issue-14.md``, 2026-12-07). The
    confirmation probe (rule ``confirmed``) asks the model instead.
    """
    return minimum(lrs, losses, skip_start=skip_start, skip_end=skip_end, divide=3.0)


def slide(lrs: Sequence[float], losses: Sequence[float], *, skip_start: int = 10,
          skip_end: int = 5, lr_diff: int = 15, thresh: float = 0.005,
          adjust_value: float = 1.0) -> float:
    """fastai's ``slide``: walk two points ``lr_diff`` apart leftward from the end until the
    loss gradients there differ by at most ``thresh``; return the left point's LR.
    """
    x, y = _window(lrs, losses, skip_start, skip_end, need=lr_diff + 1)
    grad = np.gradient(y) if len(y) > 1 else np.zeros(1)
    r_idx = -1
    l_idx = r_idx - lr_diff
    local_min_lr = x[l_idx]
    while l_idx >= -len(y) and abs(grad[r_idx] - grad[l_idx]) > thresh:
        local_min_lr = x[l_idx]
        r_idx -= 1
        l_idx -= 1
    return float(local_min_lr * adjust_value)


def suggest(rule: str, lrs: Sequence[float], losses: Sequence[float], *,
            skip_start: int = 10, skip_end: int = 5) -> float:
    """Apply one of :data:`RULES` by name to a (smoothed) loss curve (``confirmed``, which
    needs a probe, reads as ``minimum/3`` on a curve alone)."""
    funcs = {"confirmed": minimum_third, "minimum/3": minimum_third, "steepest": steepest,
             "valley": valley, "minimum": minimum, "slide": slide}
    if rule not in funcs:
        raise ValueError(f"rule={rule!r} is not one of {RULES}")
    return funcs[rule](lrs, losses, skip_start=skip_start, skip_end=skip_end)
