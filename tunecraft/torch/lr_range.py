"""The learning-rate range test for torch models (Smith 2017; fastai's ``lr_find``).

Train for ``num_iter`` mini-batches while the learning rate grows from ``start_lr`` to ``end_lr``,
record the loss, then put the model, the optimizer and every random generator back exactly as
they were. The suggestion rules and smoothing live in the torch-free
:mod:`tunecraft.torch.lr_rules`; the loop and the result in :mod:`tunecraft.torch.lr_result`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

from tunecraft._imports import require
from tunecraft.torch import _restore
from tunecraft.torch.lr_result import LRRangeResult, lr_bounds_from_range_test, run_range_test
from tunecraft.torch.lr_rules import Mode

if TYPE_CHECKING:
    import torch

__all__ = ["LRRangeResult", "lr_bounds_from_range_test", "lr_range_test"]

OptimizerArg: TypeAlias = "torch.optim.Optimizer | Callable[[Any], torch.optim.Optimizer] | None"


def move_to(obj: Any, device: torch.device) -> Any:
    """Move a tensor, or tensors nested in tuples/lists/dicts, to ``device``."""
    if hasattr(obj, "to"):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(move_to(o, device) for o in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(move_to(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: move_to(v, device) for k, v in obj.items()}
    return obj


def split_batch(batch: Any) -> tuple[Any, Any]:
    """``(inputs, targets)`` from a loader's batch (its first two entries)."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(
            f"each batch must be an (inputs, targets, ...) tuple or list, got "
            f"{type(batch).__name__}; wrap your dataset so that it yields (x, y) pairs"
        )
    return batch[0], batch[1]


class _Cycle:
    """Endless iteration over a re-iterable loader, starting a new pass when one ends."""

    def __init__(self, loader: Iterable[Any]) -> None:
        self._loader = loader
        self._it: Iterator[Any] = iter(loader)

    def __next__(self) -> Any:
        try:
            return next(self._it)
        except StopIteration:
            self._it = iter(self._loader)
            try:
                return next(self._it)
            except StopIteration:
                raise ValueError("train_loader yields no batches; give it data") from None


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU if it has none)."""
    import torch

    for t in (*model.parameters(), *model.buffers()):
        return t.device
    return torch.device("cpu")


def _make_optimizer(model: torch.nn.Module, optimizer: Any, lr: float) -> tuple[Any, bool]:
    """The optimizer to sweep, and whether the caller owns it (so it must be restored)."""
    import torch

    if optimizer is None:
        return torch.optim.SGD(model.parameters(), lr=lr), False
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer, True
    if callable(optimizer):
        made = optimizer(model.parameters())
        if not isinstance(made, torch.optim.Optimizer):
            raise TypeError(
                f"optimizer factory returned {type(made).__name__}, not a torch optimizer; "
                "pass e.g. functools.partial(torch.optim.AdamW, weight_decay=0.01)"
            )
        return made, False
    raise TypeError(
        f"optimizer={optimizer!r} must be None (SGD), a torch.optim.Optimizer, or a factory "
        "called with model.parameters()"
    )


def lr_range_test(
    model: torch.nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    train_loader: Iterable[Any],
    optimizer: OptimizerArg = None,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    mode: Mode = "exp",
    smooth_beta: float = 0.5,
    diverge_factor: float | None = 4.0,
    val_loader: Iterable[Any] | None = None,
    accumulation_steps: int = 1,
) -> LRRangeResult:
    """Run the LR range test on ``model`` and restore everything afterwards.

    Each iteration sets the learning rate of every parameter group to the sweep's value,
    runs ``accumulation_steps`` mini-batches (loss divided by ``accumulation_steps``), steps the
    optimizer and records the summed loss, or the mean validation loss over ``val_loader`` when
    given (slower, smoother; Smith's original uses validation accuracy). The loader is cycled
    when it runs out. Batches move to the model's device.

    Args:
        model: The network, in the state you will train it from.
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``.
        train_loader: A DataLoader (or any re-iterable) of ``(inputs, targets)`` batches, with
            the batch size you will train with: the curve depends on it.
        optimizer: ``None`` for plain SGD, your optimizer (its state is restored afterwards), or
            a factory called with ``model.parameters()``.
        start_lr, end_lr, num_iter, mode: The sweep; ``exp`` is geometric (the default of
            fastai and torch-lr-finder), ``linear`` is Smith's original.
        smooth_beta: Factor of the zero-lag (symmetric exponential) smoothing the rules read:
            a point ``d`` iterations away weighs ``smooth_beta ** d`` (0.5: about 3 points;
            fastai's one-sided EMA of 0.98 lags ~49 iterations).
        diverge_factor: Stop when the running median of 5 raw losses exceeds this multiple of
            its lowest (fastai and Lightning compare their smoothed loss with 4x its best;
            torch-lr-finder 5x). ``None`` runs all iterations.
        val_loader: Optional loader whose mean loss replaces the training loss.
        accumulation_steps: Mini-batches per optimizer step (gradient accumulation).

    Returns:
        A frozen :class:`LRRangeResult`; ``result.suggestion()`` picks a rate with the
        default rule ``minimum/3`` (see :mod:`tunecraft.torch.lr_rules`).
    """
    require("torch")
    import torch

    if isinstance(accumulation_steps, bool) or not isinstance(accumulation_steps, int) or (
            accumulation_steps < 1):
        raise ValueError(f"accumulation_steps={accumulation_steps!r} must be an integer >= 1")
    device = model_device(model)
    opt, owned = _make_optimizer(model, optimizer, start_lr)
    snap = _restore.take(model, opt if owned else None)
    batches = _Cycle(train_loader)

    def step(lr: float) -> float:
        model.train()
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for _ in range(accumulation_steps):
            inputs, targets = split_batch(next(batches))
            inputs, targets = move_to(inputs, device), move_to(targets, device)
            loss = loss_fn(model(inputs), targets) / accumulation_steps
            torch.autograd.backward(loss)
            total += float(loss.item())
        opt.step()
        if val_loader is None:
            return total
        return _mean_loss(model, loss_fn, val_loader, device)

    try:
        return run_range_test(step, start_lr=start_lr, end_lr=end_lr, num_iter=num_iter,
                              mode=mode, smooth_beta=smooth_beta,
                              diverge_factor=diverge_factor)
    finally:
        _restore.restore(snap, model, opt if owned else None)


def _mean_loss(model: torch.nn.Module, loss_fn: Callable[[Any, Any], torch.Tensor],
               loader: Iterable[Any], device: torch.device) -> float:
    """Sample-weighted mean loss over ``loader`` in eval mode, without gradients."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in loader:
            inputs, targets = split_batch(batch)
            n = len(targets)
            loss = loss_fn(model(move_to(inputs, device)), move_to(targets, device))
            total += float(loss.item()) * n
            count += n
    model.train()
    if count == 0:
        raise ValueError("val_loader yields no batches; give it data or pass None")
    return total / count
