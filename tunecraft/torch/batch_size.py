"""Find the largest batch that fits in memory (Lightning's ``scale_batch_size``), and rescale the
learning rate when the batch size changes (linear rule of Goyal et al., square-root rule for Adam).

A size does not fit when any allocator fails during its steps (CUDA, the CPU allocator,
oneDNN primitives, MPS: see :mod:`tunecraft.torch._memory`) or when its measured peak exceeds
``memory_limit_bytes``. Memory of every attempt is released before the next (references
dropped, the device cache emptied, the C heap trimmed), and the size finally recommended is run
again to confirm that it trains in this process. The peak of a step is measured: on CUDA with
``torch.cuda.max_memory_allocated``; on Linux CPUs from the process's resident-memory
high-water mark (reset before each step), counting the model's weights and buffers; elsewhere
it is *estimated* by :func:`step_memory_bytes` (a lower bound: see its docstring).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tunecraft._imports import require
from tunecraft._validation import Interval, Options, Spec, check, validate
from tunecraft.torch import _restore
from tunecraft.torch._memory import is_oom, release_memory
from tunecraft.torch.lr_range import model_device, move_to
from tunecraft.torch.lr_scaling import scale_lr
from tunecraft.torch.step_memory import StepMeter, step_memory_bytes

if TYPE_CHECKING:
    import torch

__all__ = ["BatchSizeResult", "BatchSizeTrial", "find_max_batch_size", "scale_lr",
           "step_memory_bytes"]


@dataclass(frozen=True, slots=True)
class BatchSizeTrial:
    """One batch size tried: whether it fit, its throughput and its peak bytes (see
    :attr:`BatchSizeResult.measure`; None when it did not fit)."""

    batch_size: int
    fits: bool
    samples_per_s: float | None
    peak_bytes: int | None
    error: str | None = None  # why it did not fit: the allocator's message, or the cap


@dataclass(frozen=True, slots=True)
class BatchSizeResult:
    """The outcome of :func:`find_max_batch_size`.

    Attributes:
        max_batch_size: The recommended size: the largest that fit, less ``margin`` when an
            out-of-memory boundary was bisected (binsearch mode), run again at the end to
            confirm it (lowered further if that run failed).
        largest_fit: The largest size that ran without running out of memory.
        trials: Every size tried, in order (the confirmation runs last).
        mode, margin, memory_limit_bytes: The settings used.
        measure: ``"cuda-peak"`` (``max_memory_allocated``), ``"rss-peak"`` (CPU on Linux:
            resident high-water mark of each step, plus the weights and buffers that were
            already resident) or ``"estimate"`` (:func:`step_memory_bytes`).
        confirmed: Whether ``max_batch_size`` trained again without running out of memory.
    """

    max_batch_size: int
    largest_fit: int
    trials: tuple[BatchSizeTrial, ...]
    mode: str
    margin: float
    memory_limit_bytes: int | None
    measure: str
    confirmed: bool = True

    @property
    def throughput(self) -> dict[int, float]:
        """Samples per second of each size that fit."""
        return {t.batch_size: t.samples_per_s for t in self.trials
                if t.fits and t.samples_per_s is not None}


class _OutOfMemory(Exception):
    """A step needed more memory than the cap allows."""


_CONSTRAINTS: Spec = {
    "start": Interval(int, 1), "max_size": Interval(int, 1),
    "steps_per_trial": Interval(int, 1), "max_trials": Interval(int, 1),
    "mode": Options("binsearch", "power"),
    "margin": Interval(float, 0, 1, closed="left"),
}


def _check(start: int, max_size: int, steps_per_trial: int, max_trials: int, mode: str,
           margin: float, memory_limit_bytes: int | None) -> None:
    validate(_CONSTRAINTS, start=start, max_size=max_size, steps_per_trial=steps_per_trial,
             max_trials=max_trials)
    if start > max_size:
        raise ValueError(f"start={start} must not exceed max_size={max_size}")
    validate(_CONSTRAINTS, mode=mode, margin=margin)
    check("memory_limit_bytes", memory_limit_bytes, Interval(int, 1), Options(None),
          fix="a number of bytes, or None for no budget")


def find_max_batch_size(
    model: torch.nn.Module,
    make_batch: Callable[[int], tuple[Any, Any]],
    loss_fn: Callable[[Any, Any], torch.Tensor],
    *,
    optimizer: torch.optim.Optimizer | None = None,
    start: int = 2,
    max_size: int = 8192,
    mode: Literal["binsearch", "power"] = "binsearch",
    steps_per_trial: int = 3,
    margin: float = 0.05,
    max_trials: int = 25,
    device: str | torch.device | None = None,
    memory_limit_bytes: int | None = None,
    measure: Literal["auto", "estimate"] = "auto",
) -> BatchSizeResult:
    """The largest batch size that trains without running out of memory (Lightning defaults).

    Doubles the size from ``start`` until a step runs out of memory (or ``max_size``). ``power``
    mode stops there and keeps the last size that fit; ``binsearch`` bisects between the last
    fit and the first failure until they are 1 apart, then takes ``margin`` (5%) off for
    headroom. Each size runs ``steps_per_trial`` steps on ``make_batch(size)``; throughput is
    timed over the steps after the first. Memory is released after every size, and the size
    recommended is rehearsed at the end: the model and optimizer restored, then at least 5
    steps; if that fails it is lowered (to 90%, 75%, 50%, ... of it) until one runs. The
    model, ``optimizer`` and the RNGs are restored.

    Args:
        model: The network; with ``device`` set it is moved there first (and stays).
        make_batch: ``make_batch(size) -> (inputs, targets)`` (random data is fine).
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``.
        optimizer: Stepped each step so that its state counts (default: SGD with lr 0, which
            keeps no state and never changes the weights).
        memory_limit_bytes: Treat a step whose measured peak (weights, gradients, optimizer
            state, batch and activations; see :attr:`BatchSizeResult.measure`) exceeds this
            as out of memory: a budget below the device's size.
        measure: ``"auto"`` measures the peak where it can (CUDA, Linux CPUs);
            ``"estimate"`` always uses :func:`step_memory_bytes` (deterministic, a lower
            bound: for tests of the search itself, not for a real budget).

    Raises:
        RuntimeError: when even ``start`` does not fit.
    """
    require("torch")
    import torch

    _check(start, max_size, steps_per_trial, max_trials, mode, margin, memory_limit_bytes)
    check("measure", measure, Options("auto", "estimate"))
    if device is not None:
        model.to(device)
    dev = model_device(model)
    opt = optimizer if optimizer is not None else torch.optim.SGD(model.parameters(), lr=0.0)
    snap = _restore.take(model, optimizer)
    opt.zero_grad(set_to_none=True)
    meter = StepMeter(dev, estimate=measure == "estimate")
    trials: list[BatchSizeTrial] = []

    def run(size: int, steps: int = steps_per_trial) -> bool:
        predicted = meter.too_big(size, trials)
        if predicted is not None:  # on CPU, never run into the wall (see StepMeter.too_big)
            trials.append(BatchSizeTrial(size, False, None, None, predicted))
            return False
        speed, peak, error = _attempt(model, make_batch, loss_fn, opt, size, dev, steps,
                                      memory_limit_bytes, meter)
        release_memory(dev)  # after the attempt's frames (and any traceback) are gone
        trials.append(BatchSizeTrial(size, error is None, speed, peak, error))
        return error is None

    try:
        if not run(start):
            raise RuntimeError(
                f"batch size start={start} already runs out of memory; lower start, shrink "
                "the model or raise memory_limit_bytes"
            )
        low, high = start, None
        while low < max_size and len(trials) < max_trials:
            size = min(2 * low, max_size)
            if run(size):
                low = size
            else:
                high = size
                break
        if mode == "binsearch" and high is not None:
            while high - low > 1 and len(trials) < max_trials:
                mid = (low + high) // 2
                if run(mid):
                    low = mid
                else:
                    high = mid
        best = low
        if mode == "binsearch" and high is not None:
            best = max(1, int(low * (1.0 - margin)))
        # A rehearsal of the caller's training: from the restored model and optimizer (whose
        # state is then allocated afresh, in whatever room the failed attempts left), for
        # at least 5 steps (the C heap's fragmentation grows over a size's first steps).
        def rehearse(size: int) -> bool:
            _restore.restore(snap, model, optimizer)
            opt.zero_grad(set_to_none=True)
            release_memory(dev)
            return run(size, max(5, steps_per_trial))

        confirmed = rehearse(best)
        top = best
        for factor in (0.9, 0.75, 0.5, 0.25, 0.125, 0.0625):  # then back off quickly
            if confirmed or best <= 1:
                break
            best = max(1, min(best - 1, int(top * factor)))
            confirmed = rehearse(best)
    finally:
        opt.zero_grad(set_to_none=True)
        _restore.restore(snap, model, optimizer)
        release_memory(dev)
    return BatchSizeResult(
        max_batch_size=best, largest_fit=low, trials=tuple(trials), mode=mode,
        margin=float(margin), memory_limit_bytes=memory_limit_bytes, measure=meter.kind,
        confirmed=confirmed,
    )


def _attempt(model: torch.nn.Module, make_batch: Callable[[int], tuple[Any, Any]],
             loss_fn: Callable[[Any, Any], torch.Tensor], opt: torch.optim.Optimizer,
             size: int, dev: torch.device, steps: int, cap: int | None,
             meter: StepMeter) -> tuple[float | None, int | None, str | None]:
    """``(samples per second, peak bytes, None)`` of ``steps`` steps at ``size``, or
    ``(None, None, why)`` when an allocator failed or the peak exceeded ``cap``; any other
    error propagates. Returning (not raising) lets the failed step's frames go at once."""
    try:
        speed, peak = _probe(model, make_batch, loss_fn, opt, size, dev, steps, cap, meter)
    except Exception as exc:
        if not (isinstance(exc, _OutOfMemory) or is_oom(exc)):
            raise
        lines = str(exc).strip().splitlines()
        return None, None, f"{type(exc).__name__}: {lines[0] if lines else ''}"[:200]
    finally:
        opt.zero_grad(set_to_none=True)
    return speed, peak, None


def _probe(model: torch.nn.Module, make_batch: Callable[[int], tuple[Any, Any]],
           loss_fn: Callable[[Any, Any], torch.Tensor], opt: torch.optim.Optimizer,
           size: int, dev: torch.device, steps: int, cap: int | None,
           meter: StepMeter) -> tuple[float, int]:
    """Run ``steps`` training steps at ``size``: (samples per second, peak bytes)."""
    import torch

    cuda = dev.type == "cuda"
    meter.start(model, opt)
    inputs, targets = make_batch(size)
    inputs, targets = move_to(inputs, dev), move_to(targets, dev)
    model.train()
    peak = 0
    started = 0.0
    for i in range(steps):
        if i == min(1, steps - 1):
            if cuda:
                torch.cuda.synchronize(dev)
            started = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        peak = max(peak, meter.step(model, loss_fn, opt, inputs, targets))
        if cap is not None and peak > cap:
            raise _OutOfMemory(f"step at batch size {size} needs {peak} bytes > {cap}")
    if cuda:
        torch.cuda.synchronize(dev)
    elapsed = time.perf_counter() - started
    timed = steps - 1 if steps > 1 else 1
    return (size * timed / elapsed if elapsed > 0 else math.inf), peak
