"""The LR range test and the batch-size finder of :mod:`tunecraft.torch`, run on a
LightningModule through its own ``training_step`` and ``configure_optimizers``."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tunecraft._validation import InstanceOf, check
from tunecraft.lightning._load import load_lightning

if TYPE_CHECKING:
    import torch

    from tunecraft.torch.batch_size import BatchSizeResult
    from tunecraft.torch.lr_range import LRRangeResult

# what LightningModule.log says outside a Trainer: expected here, so not shown
_LOG_OUTSIDE_TRAINER = r"You are trying to `self\.log\(\)`"


def _step_loss_module(module: Any) -> torch.nn.Module:
    """A module whose ``forward(batch)`` is ``module.training_step(batch, i)``'s loss, so the
    torch tools (which call ``loss_fn(model(inputs), targets)``) drive a LightningModule."""
    import torch

    class StepLoss(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.module = module
            self.calls = 0

        def forward(self, batch: Any) -> torch.Tensor:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=_LOG_OUTSIDE_TRAINER)
                out = self.module.training_step(batch, self.calls)
            self.calls += 1
            loss = out.get("loss") if isinstance(out, Mapping) else out
            if not isinstance(loss, torch.Tensor):
                raise TypeError(
                    f"training_step returned {type(out).__name__}, not a loss tensor or a "
                    "dict with 'loss'; the range test and batch-size finder need the loss of "
                    "every batch")
            return loss

    return StepLoss()


def _loss_of(outputs: torch.Tensor, _: Any) -> torch.Tensor:
    return outputs


class _Pairs:
    """Re-iterable ``(batch, None)`` pairs: the torch tools split batches into inputs and
    targets, and here the whole batch is the input of ``training_step``."""

    def __init__(self, loader: Iterable[Any]) -> None:
        self.loader = loader

    def __iter__(self) -> Iterator[tuple[Any, None]]:
        return ((batch, None) for batch in self.loader)


def _first_optimizer(conf: Any) -> torch.optim.Optimizer | None:
    """The first optimizer in any shape ``configure_optimizers`` may return."""
    import torch

    if isinstance(conf, torch.optim.Optimizer):
        return conf
    if isinstance(conf, Mapping):
        return _first_optimizer(conf.get("optimizer"))
    if isinstance(conf, (list, tuple)) and conf:
        return _first_optimizer(conf[0])
    return None


def configured_optimizer(module: Any) -> torch.optim.Optimizer:
    """A fresh optimizer from ``module.configure_optimizers()`` (the first one)."""
    try:
        conf = module.configure_optimizers()
    except RuntimeError as exc:
        raise RuntimeError(
            f"{type(module).__name__}.configure_optimizers() failed outside a Trainer ({exc}); "
            "pass optimizer= (an optimizer over module.parameters()) instead") from exc
    optimizer = _first_optimizer(conf)
    if optimizer is None:
        raise TypeError(f"configure_optimizers() returned {type(conf).__name__} with no "
                        "torch optimizer; pass optimizer= instead")
    return optimizer


@contextlib.contextmanager
def _detached(module: Any) -> Iterator[None]:
    """Check the module and run without its Trainer (``self.log`` then does nothing)."""
    pl = load_lightning()
    check("module", module, InstanceOf(pl.LightningModule, "a LightningModule"))
    if not module.automatic_optimization:
        raise ValueError("the module uses manual optimization (automatic_optimization=False), "
                         "whose training_step steps its own optimizers; use "
                         "tunecraft.torch.lr_range_test with a loss function instead")
    trainer = module._trainer
    module.trainer = None
    try:
        yield
    finally:
        module.trainer = trainer


def lightning_lr_range_test(
    module: Any,
    train_loader: Iterable[Any] | None = None,
    *,
    optimizer: torch.optim.Optimizer | Callable[[Any], torch.optim.Optimizer] | None = None,
    **options: Any,
) -> LRRangeResult:
    """Run :func:`tunecraft.torch.lr_range_test` on a LightningModule and restore it.

    Each iteration runs the module's own ``training_step`` on the next batch of
    ``train_loader`` (default: ``module.train_dataloader()``) and steps the optimizer from
    ``configure_optimizers()`` (the first one; its schedulers are not used: the test sets the
    rate). The weights, the optimizer given and the RNGs are put back afterwards, as in the
    torch version. ``self.log`` calls in ``training_step`` are skipped (there is no Trainer).

    Args:
        module: A LightningModule with automatic optimization.
        train_loader: Batches in the format ``training_step`` takes, with the training batch
            size (the curve depends on it).
        optimizer: An optimizer over ``module.parameters()`` (its state is restored) or a
            factory of one; default: a fresh one from ``configure_optimizers()``.
        **options: ``start_lr``, ``end_lr``, ``num_iter``, ``mode``, ``smooth_beta``,
            ``diverge_factor``, ``accumulation_steps``, ``confirm_steps`` (the confirmation
            probe; 0 skips it): as in :func:`tunecraft.torch.lr_range_test`.

    Returns:
        The frozen :class:`~tunecraft.torch.LRRangeResult`.
    """
    from tunecraft.torch import lr_range_test

    if "val_loader" in options:
        raise TypeError("val_loader is not supported for a LightningModule: the range test "
                        "records the training_step loss")
    with _detached(module):
        loader = module.train_dataloader() if train_loader is None else train_loader
        opt = optimizer if optimizer is not None else (
            lambda _: configured_optimizer(module))
        return lr_range_test(_step_loss_module(module), _loss_of, _Pairs(loader), opt,
                             **options)


def lightning_find_max_batch_size(
    module: Any,
    make_batch: Callable[[int], Any],
    *,
    optimizer: torch.optim.Optimizer | None = None,
    **options: Any,
) -> BatchSizeResult:
    """Run :func:`tunecraft.torch.find_max_batch_size` on a LightningModule's
    ``training_step``.

    Args:
        module: A LightningModule with automatic optimization.
        make_batch: ``make_batch(size)`` -> one batch of ``size`` samples in the format
            ``training_step`` takes (random data is fine).
        optimizer: The optimizer whose state counts in the memory measured; default the one
            from ``configure_optimizers()`` (Adam's two moments take twice the weights' memory,
            so measuring with plain SGD would overestimate the batch size).
        **options: ``start``, ``max_size``, ``mode``, ``steps_per_trial``, ``margin``,
            ``max_trials``, ``device``, ``memory_limit_bytes``: as in
            :func:`tunecraft.torch.find_max_batch_size`.

    Returns:
        The :class:`~tunecraft.torch.batch_size.BatchSizeResult`; the module and optimizer are
        restored.
    """
    from tunecraft.torch import find_max_batch_size

    with _detached(module):
        opt = configured_optimizer(module) if optimizer is None else optimizer
        return find_max_batch_size(_step_loss_module(module), lambda n: (make_batch(n), None),
                                   _loss_of, optimizer=opt, **options)
