"""The framework-free LR range test: the sweep loop over a ``step(lr) -> loss`` function and its
frozen result, with suggestions, a plot, and log bounds for a learning-rate search dimension.

The torch adapter (:mod:`tunecraft.torch.lr_range`) and the Keras adapter (:mod:`tunecraft.keras`)
both run this loop; each only knows how to take one training step at a given learning rate and
how to restore its model afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from os import PathLike
from typing import TYPE_CHECKING, Literal

import numpy as np

from tunecraft._imports import require
from tunecraft.torch.lr_rules import (
    CONFIRMED,
    CURVE_DEFAULT,
    DEFAULT_RULE,
    RULES,
    Mode,
    RawStop,
    lr_sweep,
    suggest,
    trend,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

StopReason = Literal["completed", "diverged", "nan"]


@dataclass(frozen=True, slots=True)
class LRConfirmation:
    """What the confirmation probe of the range test measured and picked.

    Attributes:
        lr: The confirmed learning rate: one of ``candidates``; below them when the probe
            stepped down (``lower``); above them when the upward probe raised it
            (``raised_from``) or the climb found the sentinel training better
            (:func:`~tunecraft.torch.lr_upward.probe_climb`; then ``lr`` is the sentinel or a
            rate climbed to, and the rates probed above it are in ``upper``).
        candidates: The rates that may be picked, lowest first: the ``minimum/3`` suggestion,
            then larger multiples of it, capped at the LR of the lowest smoothed loss.
        sentinel: The rate one step above the last candidate, probed to check that the
            candidates keep a margin from the edge, never picked (None when the sweep ended
            below it; the last candidate then serves as the sentinel).
        losses: Per probe (the candidates, then the sentinel), the raw training loss of each
            step (shorter when the loss turned NaN/inf).
        scores: Per probe, the mean loss of the last quarter, ``inf`` for a probe that blew
            up (:func:`~tunecraft.torch.lr_confirm.confirm_pick`).
        steps: Mini-batches per probe at a constant rate.
        decay_steps: Mini-batches that followed in each candidate's probe with the rate
            annealed to 0 (its score read there); 0 for constant-rate probes.
        lower: The rates probed below the candidates, highest first, because every
            candidate blew up (each ``sqrt(3)`` below the last, until one trains); ``lr`` is
            then the last of them. Empty when no step down was needed.
        lower_losses: Per rate of ``lower``, the raw loss of each step of its probe.
        confirmed: Whether the probe of ``lr`` trained (ran all ``steps`` without blowing
            up, its loss clearly below where it started). False when no probe made progress
            (``lr`` is then the conservative ``minimum/3``, or the lowest rate stepped down
            to): see :attr:`note`.
        upper: The rates probed down from the sweep's last rate because the sweep or the
            probes were flat (:func:`~tunecraft.torch.lr_upward.probe_upward`), highest
            first, or the rates the climb probed above the sentinel, lowest first; empty when
            neither ran.
        upper_losses: Per rate of ``upper``, the raw loss of each step of its probe.
        raised_from: The pick before the upward probe replaced it (``lr`` is then the last
            of ``upper``); None when it did not.
    """

    lr: float
    candidates: tuple[float, ...]
    sentinel: float | None
    losses: tuple[tuple[float, ...], ...]
    scores: tuple[float, ...]
    steps: int
    decay_steps: int = 0
    lower: tuple[float, ...] = ()
    lower_losses: tuple[tuple[float, ...], ...] = ()
    confirmed: bool = True
    upper: tuple[float, ...] = ()
    upper_losses: tuple[tuple[float, ...], ...] = ()
    raised_from: float | None = None

    @property
    def stepped_down(self) -> bool:
        """Whether the pick lies below the candidates (every candidate blew up)."""
        return bool(self.lower)

    @property
    def note(self) -> str:
        """One line on how ``lr`` was confirmed, with the fix when it was not."""
        if not self.confirmed:
            where = (f"every candidate from {self.candidates[0]:.3g} up blew up and none of "
                     f"{len(self.lower)} rate(s) below, down to {self.lr:.3g}, trained"
                     if self.lower else "no probe made progress (each ended where it "
                     f"started after {self.steps} steps)")
            return (f"unconfirmed: {where}; {self.lr:.3g} is a guess. Run a longer sweep "
                    "(num_iter) or more probe steps (confirm_steps), and check the model and "
                    "the data (labels, input scale, a loss that can fall)")
        if self.raised_from is not None:
            return (f"raised: the sweep or the probes stayed flat; {self.lr:.3g}, probed "
                    f"down from the sweep's last rate, trains clearly better than "
                    f"{self.raised_from:.3g}")
        if self.lower:
            return (f"stepped down: every candidate from {self.candidates[0]:.3g} up blew up; "
                    f"{self.lr:.3g} ({len(self.lower)} step(s) of sqrt(3) below) trains")
        if self.candidates and self.lr > self.candidates[-1] * (1.0 + 1e-9):
            return (f"climbed: {self.lr:.3g}, above the lowest-loss rate "
                    f"{self.candidates[-1]:.3g}, trains to a lower loss and the rate above "
                    "it stays stable")
        return f"confirmed: the probe at {self.lr:.3g} trains"


@dataclass(frozen=True, slots=True)
class LRRangeResult:
    """What an LR range test recorded: one entry per iteration actually run.

    Attributes:
        lrs: The learning rate of each iteration.
        losses: The raw loss of each iteration (training loss, or validation loss when a
            validation loader was given).
        smoothed: The zero-lag curve the rules read (:func:`~tunecraft.torch.lr_rules.trend`:
            losses capped at ``diverge_factor`` times their best running median, then a
            symmetric exponential kernel of factor ``smooth_beta``; NaN from a NaN on).
        stop_reason: ``"completed"`` (all ``num_iter`` ran), ``"diverged"`` (the running
            median of 5 raw losses above ``diverge_factor`` times its lowest) or ``"nan"``
            (a non-finite loss).
        start_lr, end_lr, num_iter, mode, smooth_beta, diverge_factor: The settings used.
        confirmation: The confirmation probe's record (``lr_range_test(confirm_steps=...)``),
            or None when no probe ran.
    """

    lrs: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    stop_reason: StopReason
    start_lr: float
    end_lr: float
    num_iter: int
    mode: Mode = "exp"
    smooth_beta: float = 0.5
    diverge_factor: float | None = 4.0
    confirmation: LRConfirmation | None = None

    def with_confirmation(self, confirmation: LRConfirmation) -> LRRangeResult:
        """A copy of this result that carries ``confirmation``."""
        return replace(self, confirmation=confirmation)

    def _skips(self, skip_start: int | None, skip_end: int) -> tuple[int, int]:
        return (self.num_iter // 10 if skip_start is None else skip_start), skip_end

    def suggestion(self, rule: str = DEFAULT_RULE, *, skip_start: int | None = None,
                   skip_end: int = 2) -> float:
        """A learning rate picked by ``rule``.

        Rules: ``confirmed`` (the default: the rate the confirmation probe kept, see
        :func:`~tunecraft.torch.lr_range.lr_range_test`; ``minimum/3`` when no probe ran),
        ``minimum/3`` (the LR of the lowest smoothed loss / 3), ``steepest``
        (fastest fall of the loss per unit of log LR), ``valley`` (fastai's: inside the
        longest decreasing stretch), ``minimum`` (fastai's: LR of the lowest loss / 10) and
        ``slide`` (fastai's interval slide). The first ``num_iter // 10`` points are ignored
        (fastai's ``skip_start``), and the last 2 (``skip_end``: the stop fires one or two
        points into a blow-up; fastai skips 5 of its lagging curve). The curve is cut at its
        first NaN. Raises ValueError when too few points remain. The skips do not apply to
        ``confirmed`` when a probe ran (its candidates were read with the default skips).
        """
        if rule == CONFIRMED:
            if self.confirmation is not None:
                return self.confirmation.lr
            rule = CURVE_DEFAULT
        start, end = self._skips(skip_start, skip_end)
        return suggest(rule, self.lrs, self.smoothed, skip_start=start, skip_end=end)

    def suggestions(self, *, skip_start: int | None = None, skip_end: int = 2
                    ) -> dict[str, float]:
        """Every rule's suggestion, by rule name (rules that lack points are left out)."""
        out: dict[str, float] = {}
        for rule in RULES:
            try:
                out[rule] = self.suggestion(rule, skip_start=skip_start, skip_end=skip_end)
            except ValueError:
                continue
        return out

    def plot(self, path: str | PathLike[str] | None = None, ax: Axes | None = None, *,
             rules: tuple[str, ...] = (DEFAULT_RULE, "valley")) -> Axes:
        """Draw loss against learning rate (log axis for an exponential sweep).

        The raw losses are drawn faint, the smoothed curve solid, each of ``rules`` as a marker.
        Pass ``ax`` to draw into your own figure; pass ``path`` to save the figure as an image
        (PNG by suffix). Needs matplotlib (``pip install 'tunecraft[plot]'``).
        """
        require("matplotlib", "plot")
        from matplotlib.figure import Figure

        if ax is None:
            fig = Figure(figsize=(6.4, 4.2), layout="constrained")
            ax = fig.subplots()
        lrs = np.asarray(self.lrs)
        ax.plot(lrs, self.losses, color="tab:blue", alpha=0.25, lw=1, label="loss")
        ax.plot(lrs, self.smoothed, color="tab:blue", lw=2, label="smoothed loss")
        found = self.suggestions()
        markers: dict[str, str] = dict(zip(RULES, ("*", "P", "o", "s", "^", "D"), strict=True))
        for rule in rules:
            if rule in found:
                lr = found[rule]
                y = float(np.interp(np.log(lr), np.log(lrs), np.asarray(self.smoothed)))
                ax.plot([lr], [y], marker=markers.get(rule, "o"), ls="none", ms=8,
                        label=f"{rule}: {lr:.2e}")
        if self.mode == "exp":
            ax.set_xscale("log")
        both = np.concatenate([np.asarray(self.smoothed), np.asarray(self.losses)])
        finite = both[np.isfinite(both)]
        if finite.size:
            low, high, first = float(finite.min()), float(finite.max()), float(self.losses[0])
            top = high if first <= low else min(high, 2.0 * first - low)  # clip the blow-up
            pad = 0.05 * (top - low or 1.0)
            ax.set_ylim(low - pad, top + pad)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(f"LR range test ({len(self.lrs)} iterations, {self.stop_reason})")
        ax.legend(loc="best")
        if path is not None:
            ax.get_figure(root=True).savefig(path, dpi=120)  # type: ignore[union-attr]
        return ax


def run_range_test(
    step: Callable[[float], float],
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    mode: Mode = "exp",
    smooth_beta: float = 0.5,
    diverge_factor: float | None = 4.0,
) -> LRRangeResult:
    """Sweep the learning rate, calling ``step(lr) -> loss`` once per iteration.

    Stops early when the loss is NaN/inf (``"nan"``) or when the running median of the last
    5 raw losses exceeds ``diverge_factor`` times its lowest value so far (``"diverged"``;
    see :class:`~tunecraft.torch.lr_rules.RawStop`; ``None`` never stops). The stopping
    point is kept in the record. Losses are assumed positive (as cross-entropy and MSE are).
    """
    sweep = lr_sweep(start_lr, end_lr, num_iter, mode)
    if diverge_factor is not None and not (
            isinstance(diverge_factor, (int, float)) and not isinstance(diverge_factor, bool)
            and diverge_factor > 1.0):
        raise ValueError(f"diverge_factor={diverge_factor!r} must be a number > 1, or None")
    if isinstance(smooth_beta, bool) or not isinstance(smooth_beta, (int, float)) or not (
            0.0 <= smooth_beta < 1.0):
        raise ValueError(f"smooth_beta={smooth_beta!r} must be in [0, 1); 0 turns smoothing "
                         "off")
    stop = RawStop(diverge_factor)
    lrs: list[float] = []
    raw: list[float] = []
    reason: StopReason = "completed"
    for lr in sweep:
        loss = float(step(float(lr)))
        lrs.append(float(lr))
        raw.append(loss)
        if stop.update(loss):
            reason = "diverged" if math.isfinite(loss) else "nan"
            break
    smoothed = trend(raw, smooth_beta, diverge_factor)
    return LRRangeResult(
        lrs=tuple(lrs), losses=tuple(raw), smoothed=tuple(float(v) for v in smoothed),
        stop_reason=reason, start_lr=float(start_lr), end_lr=float(end_lr), num_iter=num_iter,
        mode=mode, smooth_beta=float(smooth_beta),
        diverge_factor=None if diverge_factor is None else float(diverge_factor),
    )


def lr_bounds_from_range_test(result: LRRangeResult, *, rule: str = DEFAULT_RULE,
                              widen: float = 10.0) -> tuple[float, float]:
    """A ``(low, high)`` learning-rate range for a log-scaled search dimension.

    ``low = s / widen`` and ``high = min(s * widen, m)`` around ``s = result.suggestion(rule)``,
    where ``m`` is the LR of the lowest smoothed loss: past it the loss climbs toward
    divergence, so the range never reaches into the divergent zone. With the default rule
    ``confirmed``, ``s`` is usually ``m / 3``, ``m / sqrt(3)`` or ``m`` (the probe's pick;
    ``m / 3`` without a probe), so the default range is ``s / 10 .. m``; when the upward
    probe or the climb picked a rate above ``m``, the range is ``s / 10 .. s``. Both ends stay
    inside the LRs the test covered. Use it as ``trial.suggest_float("lr", low, high,
    log=True)`` instead of a blind ``1e-6..1``.
    """
    if isinstance(widen, bool) or not isinstance(widen, (int, float)) or not widen > 1.0:
        raise ValueError(f"widen={widen!r} must be a number > 1 (e.g. 10: a decade each side)")
    s = result.suggestion(rule)
    smoothed = np.asarray(result.smoothed)
    finite = np.isfinite(smoothed)
    lrs = np.asarray(result.lrs)
    lr_best = float(lrs[finite][int(np.argmin(smoothed[finite]))])
    high = min(s * widen, max(lr_best, s))
    low = max(s / widen, result.lrs[0])
    high = min(high, result.lrs[-1])
    if not high > low:
        raise ValueError(
            f"the range test gives an empty range ({low:.3g}, {high:.3g}) for rule={rule!r}; "
            "run it over a wider start_lr..end_lr or use a larger widen"
        )
    return float(low), float(high)
