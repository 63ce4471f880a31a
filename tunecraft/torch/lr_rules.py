"""Pure maths of the learning-rate range test: the LR sweep, loss smoothing and suggestion rules.

numpy only, so that the rules can be tested on hand-made curves and shared by the torch and
Keras adapters. The rules follow fastai's ``callback/schedule.py`` (``valley``, ``minimum``,
``slide``, ``steep``) and torch-lr-finder's ``plot`` (steepest descent after trimming both ends).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

Rule: TypeAlias = Literal["steepest", "valley", "minimum", "slide"]
RULES: tuple[Rule, ...] = ("steepest", "valley", "minimum", "slide")
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
            skip_end: int = 5) -> float:
    """fastai's ``minimum``: the LR of the lowest loss, divided by 10."""
    x, y = _window(lrs, losses, skip_start, skip_end, need=1)
    return float(x[int(np.argmin(y))] / 10.0)


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
    """Apply one of :data:`RULES` by name to a (smoothed) loss curve."""
    funcs = {"steepest": steepest, "valley": valley, "minimum": minimum, "slide": slide}
    if rule not in funcs:
        raise ValueError(f"rule={rule!r} is not one of {RULES}")
    return funcs[rule](lrs, losses, skip_start=skip_start, skip_end=skip_end)
