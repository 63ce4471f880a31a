"""The peak memory of one training step: measured (CUDA, Linux CPU) or estimated.

:func:`step_memory_bytes` estimates it from what autograd saves (a lower bound);
:class:`StepMeter` measures it where it can (``torch.cuda.max_memory_allocated``, or the
process's resident high-water mark on Linux CPUs) and predicts, on CPU, which batch size would
not fit before running it. Both serve :func:`~tunecraft.torch.batch_size.find_max_batch_size`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tunecraft._imports import require
from tunecraft.torch._memory import RssMeter, available_bytes

if TYPE_CHECKING:
    import torch

    from tunecraft.torch.batch_size import BatchSizeTrial

__all__ = ["StepMeter", "step_memory_bytes"]


def _nbytes(t: torch.Tensor) -> int:
    return int(t.numel() * t.element_size())


def step_memory_bytes(model: torch.nn.Module, loss_fn: Callable[[Any, Any], torch.Tensor],
                      inputs: Any, targets: Any,
                      optimizer: torch.optim.Optimizer | None = None) -> int:
    """Estimate the peak bytes of one training step (forward, backward) on this batch.

    Counts parameters, their gradients, the optimizer's state tensors, the batch, and each
    storage autograd saves for backward (once, excluding storages of parameters and buffers).
    A lower bound of the real peak: temporaries freed inside the step, the backward pass's
    own buffers, oneDNN workspaces and allocator overhead are not seen (on an MLP and a CNN
    the measured peak was 2.6-3.7 times this), so :func:`find_max_batch_size` uses it only
    where it cannot measure. Leaves gradients in ``.grad``; callers that care restore them.
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


class StepMeter:
    """Measures the peak bytes of one training step on the model's device (used by
    :func:`~tunecraft.torch.batch_size.find_max_batch_size`).

    ``kind`` says how: ``cuda-peak``, ``rss-peak`` or ``estimate`` (see
    :attr:`~tunecraft.torch.batch_size.BatchSizeResult.measure`).
    """

    def __init__(self, dev: torch.device, *, estimate: bool) -> None:
        self.dev = dev
        self.rss = RssMeter()
        self.base = self.static = 0
        if estimate:
            self.kind = "estimate"
        elif dev.type == "cuda":
            self.kind = "cuda-peak"
        elif dev.type == "cpu" and self.rss.available:
            self.kind = "rss-peak"
        else:
            self.kind = "estimate"

    def too_big(self, size: int, trials: Sequence[BatchSizeTrial]) -> str | None:
        """Why ``size`` would not fit, predicted before running it, or None.

        On CPU running out of memory rarely raises: the kernel's OOM killer ends the
        process, and under an address-space cap oneDNN leaks what a failed primitive
        allocated, so every failure leaves less room. So a size is skipped when the memory
        it would add, extrapolated linearly from the two largest sizes that fit, exceeds 80%
        of what the process can still take (:func:`~tunecraft.torch._memory.available_bytes`).
        """
        if self.kind != "rss-peak":
            return None
        fits = sorted((t.batch_size, t.peak_bytes) for t in trials
                      if t.fits and t.peak_bytes is not None and t.batch_size < size)
        room = available_bytes()
        if len(fits) < 2 or room is None:
            return None
        (s1, p1), (s2, p2) = fits[-2], fits[-1]
        slope = max(0.0, (p2 - p1) / (s2 - s1)) if s2 > s1 else 0.0
        # what the size adds to the process now: its peak less what is resident already
        adds = p2 - self.static + slope * (size - s2)
        if adds <= 0.8 * (room + max(0, self.rss.rss() - self.base)):
            return None
        return (f"predicted: adds {adds / 2**20:.0f} MiB, more than 80% of the "
                f"{room / 2**20:.0f} MiB this process can still take")

    def start(self, model: torch.nn.Module, opt: torch.optim.Optimizer) -> None:
        """Before an attempt (memory released): what is resident and belongs to training.

        The resident size now is the base: later growth that outlives a step (allocator
        caches, oneDNN's primitive cache) belongs to no step. The weights, buffers and the
        optimizer's state are resident already and are added back, so that the peak counts
        what CUDA's ``max_memory_allocated`` counts.
        """
        if self.kind != "rss-peak":
            return
        self.base = self.rss.rss()
        resident = [*model.parameters(), *model.buffers()]
        resident += [v for st in opt.state.values() for v in st.values()
                     if hasattr(v, "untyped_storage")]
        storages = {t.untyped_storage().data_ptr(): int(t.untyped_storage().nbytes())
                    for t in resident if t.device.type == "cpu"}
        self.static = sum(storages.values())

    def step(self, model: torch.nn.Module, loss_fn: Callable[[Any, Any], torch.Tensor],
             opt: torch.optim.Optimizer, inputs: Any, targets: Any) -> int:
        """Run one training step; its peak bytes."""
        import torch

        if self.kind == "estimate":
            peak = step_memory_bytes(model, loss_fn, inputs, targets, opt)
            opt.step()
            return peak
        if self.kind == "cuda-peak":
            torch.cuda.reset_peak_memory_stats(self.dev)
        else:
            self.rss.reset()
        loss = loss_fn(model(inputs), targets)
        torch.autograd.backward(loss)
        opt.step()
        del loss
        if self.kind == "cuda-peak":
            return int(torch.cuda.max_memory_allocated(self.dev))
        return self.static + max(0, self.rss.peak() - self.base)
