"""Find the largest batch that fits in memory (Lightning's ``scale_batch_size``), and rescale the
learning rate when the batch size changes (linear rule of Goyal et al., square-root rule for Adam).

Out-of-memory is detected in three ways: a CUDA ``OutOfMemoryError``, torch's CPU allocator
failing, or a memory cap (``memory_limit_bytes``) exceeded by the measured peak. On CUDA the peak
is ``torch.cuda.max_memory_allocated`` over the step. On CPU torch exposes no allocator statistics
and process RSS is too noisy to bisect on (the allocator caches freed blocks, and ``ru_maxrss``
can never go down), so the peak is *estimated*: parameters + gradients + optimizer state + the
batch + every tensor autograd saves for the backward pass (counted once per storage, through
``saved_tensors_hooks``). That estimate is exact for what grows with the batch, deterministic, and
makes the search testable on CPU.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tunecraft._imports import require
from tunecraft.torch import _restore
from tunecraft.torch.lr_range import model_device, move_to

if TYPE_CHECKING:
    import torch

__all__ = ["BatchSizeResult", "BatchSizeTrial", "find_max_batch_size", "scale_lr",
           "step_memory_bytes"]


@dataclass(frozen=True, slots=True)
class BatchSizeTrial:
    """One batch size tried: whether it fit, its throughput and its (estimated) peak bytes."""

    batch_size: int
    fits: bool
    samples_per_s: float | None
    peak_bytes: int | None


@dataclass(frozen=True, slots=True)
class BatchSizeResult:
    """The outcome of :func:`find_max_batch_size`.

    Attributes:
        max_batch_size: The recommended size: the largest that fit, less ``margin`` when an
            out-of-memory boundary was bisected (binsearch mode).
        largest_fit: The largest size that ran without running out of memory.
        trials: Every size tried, in order.
        mode, margin, memory_limit_bytes: The settings used.
        measure: ``"cuda-peak"`` (allocator statistics) or ``"estimate"`` (CPU; see module doc).
    """

    max_batch_size: int
    largest_fit: int
    trials: tuple[BatchSizeTrial, ...]
    mode: str
    margin: float
    memory_limit_bytes: int | None
    measure: str

    @property
    def throughput(self) -> dict[int, float]:
        """Samples per second of each size that fit."""
        return {t.batch_size: t.samples_per_s for t in self.trials
                if t.fits and t.samples_per_s is not None}


class _OutOfMemory(Exception):
    """A step needed more memory than the cap allows (or the allocator failed)."""


_OOM_TEXT = ("out of memory", "can't allocate memory", "not enough memory",
             "CUDNN_STATUS_NOT_SUPPORTED", "CUDNN_STATUS_ALLOC_FAILED")


def _is_oom(exc: BaseException) -> bool:
    require("torch")
    import torch

    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(exc, RuntimeError) and any(s in str(exc) for s in _OOM_TEXT)


def scale_lr(lr: float, old_batch: int, new_batch: int,
             rule: Literal["linear", "sqrt", "none"] = "linear") -> float:
    """The learning rate to use after changing the batch size from ``old_batch`` to ``new_batch``.

    ``linear``: ``lr * new/old`` (Goyal et al. 2017, for SGD; pair it with warm-up).
    ``sqrt``: ``lr * sqrt(new/old)`` (Malladi et al. 2022; the usual choice for Adam/AdamW).
    ``none``: unchanged.
    """
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (
            math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr={lr!r} must be a positive finite number")
    for name, b in (("old_batch", old_batch), ("new_batch", new_batch)):
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise ValueError(f"{name}={b!r} must be a positive integer")
    ratio = new_batch / old_batch
    if rule == "linear":
        return float(lr * ratio)
    if rule == "sqrt":
        return float(lr * math.sqrt(ratio))
    if rule == "none":
        return float(lr)
    raise ValueError(f"rule={rule!r} must be 'linear', 'sqrt' or 'none'")


def _nbytes(t: torch.Tensor) -> int:
    return int(t.numel() * t.element_size())


def step_memory_bytes(model: torch.nn.Module, loss_fn: Callable[[Any, Any], torch.Tensor],
                      inputs: Any, targets: Any,
                      optimizer: torch.optim.Optimizer | None = None) -> int:
    """Estimate the peak bytes of one training step (forward, backward) on this batch.

    Counts parameters, their gradients, the optimizer's state tensors, the batch, and each
    storage autograd saves for backward (once, excluding storages of parameters and buffers).
    Leaves gradients in ``.grad``; callers that care restore them.
    """
    require("torch")
    import torch

    static = {p.untyped_storage().data_ptr() for p in model.parameters()}
    static |= {b.untyped_storage().data_ptr() for b in model.buffers()}
    seen: dict[int, int] = {}

    def count(t: Any) -> None:
        if isinstance(t, torch.Tensor):
            st = t.untyped_storage()
            if st.data_ptr() not in static:
                seen[st.data_ptr()] = int(st.nbytes())
        elif isinstance(t, (tuple, list)):
            for o in t:
                count(o)
        elif isinstance(t, dict):
            for o in t.values():
                count(o)

    def pack(t: torch.Tensor) -> torch.Tensor:
        count(t)
        return t

    count(inputs)
    count(targets)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = loss_fn(model(inputs), targets)
    count(loss)
    torch.autograd.backward(loss)
    params = [p for p in model.parameters()]
    total = sum(_nbytes(p) for p in params)
    total += sum(_nbytes(p) for p in params if p.requires_grad)
    if optimizer is not None:
        for state in optimizer.state.values():
            total += sum(_nbytes(v) for v in state.values() if isinstance(v, torch.Tensor))
    return total + sum(seen.values())


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
) -> BatchSizeResult:
    """The largest batch size that trains without running out of memory (Lightning defaults).

    Doubles the size from ``start`` until a step runs out of memory (or ``max_size``). ``power``
    mode stops there and keeps the last size that fit; ``binsearch`` bisects between the last
    fit and the first failure until they are 1 apart, then takes ``margin`` (5%) off for
    headroom. Each size runs ``steps_per_trial`` steps on ``make_batch(size)``; throughput is
    timed over the steps after the first. The model, ``optimizer`` and the RNGs are restored.

    Args:
        model: The network; with ``device`` set it is moved there first (and stays).
        make_batch: ``make_batch(size) -> (inputs, targets)`` (random data is fine).
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``.
        optimizer: Stepped each step so that its state counts (default: SGD with lr 0, which
            keeps no state and never changes the weights).
        memory_limit_bytes: Treat a step whose peak exceeds this as out of memory: a budget
            below the device's size, and the way to test the search on CPU.

    Raises:
        RuntimeError: when even ``start`` does not fit.
    """
    require("torch")
    import torch

    for name, v, low in (("start", start, 1), ("max_size", max_size, 1),
                         ("steps_per_trial", steps_per_trial, 1), ("max_trials", max_trials, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"{name}={v!r} must be an integer >= {low}")
    if start > max_size:
        raise ValueError(f"start={start} must not exceed max_size={max_size}")
    if mode not in ("binsearch", "power"):
        raise ValueError(f"mode={mode!r} must be 'binsearch' or 'power'")
    if not (isinstance(margin, (int, float)) and 0.0 <= margin < 1.0):
        raise ValueError(f"margin={margin!r} must be in [0, 1)")
    if memory_limit_bytes is not None and (
            isinstance(memory_limit_bytes, bool) or not isinstance(memory_limit_bytes, int)
            or memory_limit_bytes < 1):
        raise ValueError(f"memory_limit_bytes={memory_limit_bytes!r} must be a positive int")
    if device is not None:
        model.to(device)
    dev = model_device(model)
    cuda = dev.type == "cuda"
    opt = optimizer if optimizer is not None else torch.optim.SGD(model.parameters(), lr=0.0)
    snap = _restore.take(model, optimizer)
    trials: list[BatchSizeTrial] = []

    def run(size: int) -> bool:
        try:
            speed, peak = _probe(model, make_batch, loss_fn, opt, size, dev, steps_per_trial,
                                 memory_limit_bytes)
        except Exception as exc:
            if not (isinstance(exc, _OutOfMemory) or _is_oom(exc)):
                raise
            trials.append(BatchSizeTrial(size, False, None, None))
            gc.collect()
            if cuda:
                torch.cuda.empty_cache()
            return False
        finally:
            opt.zero_grad(set_to_none=True)
        trials.append(BatchSizeTrial(size, True, speed, peak))
        return True

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
    finally:
        _restore.restore(snap, model, optimizer)
    return BatchSizeResult(
        max_batch_size=best, largest_fit=low, trials=tuple(trials), mode=mode,
        margin=float(margin), memory_limit_bytes=memory_limit_bytes,
        measure="cuda-peak" if cuda else "estimate",
    )


def _probe(model: torch.nn.Module, make_batch: Callable[[int], tuple[Any, Any]],
           loss_fn: Callable[[Any, Any], torch.Tensor], opt: torch.optim.Optimizer,
           size: int, dev: torch.device, steps: int, cap: int | None) -> tuple[float, int]:
    """Run ``steps`` training steps at ``size``: (samples per second, peak bytes)."""
    require("torch")
    import torch

    cuda = dev.type == "cuda"
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
        if cuda:
            torch.cuda.reset_peak_memory_stats(dev)
            loss = loss_fn(model(inputs), targets)
            torch.autograd.backward(loss)
            opt.step()
            peak = max(peak, int(torch.cuda.max_memory_allocated(dev)))
        else:
            peak = max(peak, step_memory_bytes(model, loss_fn, inputs, targets, opt))
            opt.step()
        if cap is not None and peak > cap:
            raise _OutOfMemory(f"step at batch size {size} needs {peak} bytes > {cap}")
    if cuda:
        torch.cuda.synchronize(dev)
    elapsed = time.perf_counter() - started
    timed = steps - 1 if steps > 1 else 1
    return (size * timed / elapsed if elapsed > 0 else math.inf), peak
