"""A compact, tunable training loop: ``fit(model_factory, train, val, config, trial)``.

Builds the optimizer (:func:`~tunecraft.torch.optimizers.make_optimizer`), the per-batch
schedule with warm-up (:func:`~tunecraft.torch.schedules.schedule_from_config` +
:func:`~tunecraft.torch.schedules.to_torch`), the loss with label smoothing, gradient clipping
and early stopping from the torch toolkit; reports the validation metric to the trial after
every epoch and raises :class:`~tunecraft.TrialPruned` when the pruner says stop. On CUDA it
trains in mixed precision (float16 autocast with a GradScaler); on CPU, the same config and seed
give bit-identical metrics.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tunecraft._imports import require
from tunecraft.exceptions import TrialPruned
from tunecraft.pruners.base import Decision
from tunecraft.torch._data import Data, as_batches
from tunecraft.torch._seed import seed_everything
from tunecraft.torch.init import initialize
from tunecraft.torch.optimizers import make_optimizer
from tunecraft.torch.regularization import EarlyStopping, clip_gradients, make_loss, set_dropout
from tunecraft.torch.resume import dumps, loads, make_schedule, restore
from tunecraft.torch.schedules import to_torch
from tunecraft.torch.train_config import TrainConfig

if TYPE_CHECKING:
    import torch

    from tunecraft.trial import Trial

__all__ = ["EpochStats", "Evaluation", "FitResult", "TrainConfig", "evaluate", "fit"]

LossKind = Literal["cross_entropy", "bce_with_logits", "mse"]
_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "GELU": "gelu",
                "SiLU": "silu", "SELU": "selu", "LeakyReLU": "leaky_relu"}


@dataclass(frozen=True, slots=True)
class EpochStats:
    """One epoch: mean training loss, validation loss and accuracy, and the learning rate at
    its end (``val_accuracy`` is None for ``loss="mse"``; without ``val`` data, ``val_loss`` is
    NaN and ``val_accuracy`` None)."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float | None
    lr: float


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        model: The trained model, holding the weights of its best epoch.
        metric: The config's metric (``accuracy`` or ``loss``).
        best_metric: Its best validation value (NaN when no epoch gave a finite one); return it
            from the objective.
        best_epoch: The epoch (1-based) of ``best_metric``; 0 when there is none.
        epochs: Epochs run.
        stop_reason: ``max_epochs``, ``early_stopping`` or ``diverged`` (a NaN/inf metric).
        history: Per-epoch statistics.
        device: Where it trained; ``mixed_precision``: whether float16 autocast was on.
        seconds: Wall-clock time of the run.
        resumed_at: Epochs loaded from the checkpoint of a paused trial (0: trained from the
            start); ``epochs - resumed_at`` were trained in this call.
    """

    model: Any
    metric: str
    best_metric: float
    best_epoch: int
    epochs: int
    stop_reason: str
    history: tuple[EpochStats, ...]
    device: str
    mixed_precision: bool
    seconds: float
    resumed_at: int = 0


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"``: the first CUDA device if there is one, else CPU; anything else as given."""
    require("torch")
    import torch

    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _nonlinearity(model: torch.nn.Module) -> tuple[str, float | None]:
    """The gain name of the model's first activation module (``linear`` if none)."""
    for module in model.modules():
        name = _ACTIVATIONS.get(type(module).__name__)
        if name is not None:
            return name, getattr(module, "negative_slope", None)
    return "linear", None


def _check_epochs(max_epochs: int) -> None:
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
        raise ValueError(f"max_epochs={max_epochs!r} must be a positive integer")


def fit(
    model_factory: Callable[[TrainConfig], torch.nn.Module],
    train: Data,
    val: Data | None,
    config: TrainConfig,
    trial: Trial | None = None,
    *,
    max_epochs: int = 20,
    device: str | torch.device = "auto",
    loss: LossKind = "cross_entropy",
    mixed_precision: bool | None = None,
    checkpoints: bool = True,
    horizon: Literal["max_epochs", "rungs"] = "max_epochs",
) -> FitResult:
    """Train a fresh model with ``config``; report to and obey ``trial`` every epoch.

    Steps: seed everything with ``config.seed``; build the model with
    ``model_factory(config)``; set every dropout module to ``config.dropout``; initialise
    Linear/Conv weights with ``config.init`` (gain of the model's first activation); train for
    up to ``max_epochs`` epochs, stepping the schedule after every batch; after each epoch,
    evaluate on ``val``, call ``trial.report(metric, epoch)`` and raise TrialPruned if
    ``trial.should_prune()``; stop early after ``config.patience`` epochs without improvement,
    or at once when the metric is NaN/inf. The returned model holds its best epoch's weights.

    With ``val=None`` it trains for exactly ``max_epochs`` and returns the last epoch's model
    (``best_metric`` NaN, ``best_epoch`` 0): the final refit of a chosen config on train +
    validation, to be scored once on held-out data with :func:`evaluate`.

    Args:
        model_factory: ``config -> nn.Module`` (e.g. :func:`~tunecraft.torch.suggest_mlp`'s).
        train, val: DataLoaders of ``(inputs, targets)``, ``(X, y)`` arrays or tensors (batched
            with ``config.batch_size``, training order shuffled from ``config.seed``), or a
            factory ``batch_size -> DataLoader`` (so the batch size can be tuned). ``val``
            may be None (no evaluation; needs ``trial=None`` and ``config.patience=None``).
        config: The :class:`TrainConfig`.
        trial: The running trial, or None to train without reporting.
        max_epochs: Epochs at most; the schedule spans all of them.
        device: ``"auto"`` (CUDA if available), or a torch device.
        loss: ``cross_entropy`` (class indices), ``bce_with_logits`` or ``mse``.
        mixed_precision: float16 autocast + GradScaler; None turns it on exactly on CUDA.
        checkpoints: When the trial's scheduler PAUSEs it, save the whole training state
            in the study's artifact store before stopping, and when the trial continues a
            paused one, resume from that state (bit-identical on CPU) instead of training
            from the start (see :mod:`tunecraft.torch.resume`).
        horizon: ``"max_epochs"``: one schedule over all epochs. ``"rungs"``: the schedule
            restarts at each rung of the trial's budget (successive halving, Hyperband), so
            that every rung is judged at the end of a full decay.

    Raises:
        TrialPruned: when the trial's pruner stops the run.
        ValueError: bad settings (e.g. ``dropout > 0`` for a model without dropout modules).
    """
    require("torch")
    import torch

    _check_epochs(max_epochs)
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if val is None and trial is not None:
        raise ValueError(f"val=None: there is no metric to report to trial {trial.number}; "
                         "pass validation data, or trial=None for a final refit")
    if val is None and config.patience is not None:
        raise ValueError(f"val=None: early stopping (config.patience={config.patience}) needs "
                         "validation data; pass val, or config.replace(patience=None)")
    if loss == "mse" and config.metric == "accuracy":
        raise ValueError("metric='accuracy' needs a classification loss; use "
                         "TrainConfig(metric='loss') with loss='mse'")
    if horizon not in ("max_epochs", "rungs"):
        raise ValueError(f"horizon={horizon!r} must be 'max_epochs' or 'rungs'")
    dev = resolve_device(device)
    amp = dev.type == "cuda" if mixed_precision is None else bool(mixed_precision)
    if amp and dev.type != "cuda":
        raise ValueError(f"mixed_precision=True needs a CUDA device, got device={dev}")
    started = time.perf_counter()
    seed_everything(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    train_b = as_batches(train, config.batch_size, shuffle=True, generator=gen, device=dev,
                         what="train")
    val_b = None if val is None else as_batches(val, max(config.batch_size, 1024),
                                                shuffle=False, generator=None, device=dev,
                                                what="val")
    model = _build_model(model_factory, config, train_b)
    model.to(dev)
    opt = make_optimizer(model, config.optimizer_config())
    budget = None if trial is None else trial.budget
    restarts = budget.rungs if horizon == "rungs" and budget is not None else ()
    # fastai cycles momentum against the rate (one-cycle)
    schedule, momentum = make_schedule(config, len(train_b), max_epochs, restarts)
    scheduler = to_torch(opt, schedule, momentum=momentum)
    train_loss = make_loss(config.label_smoothing, kind=loss)
    val_loss = make_loss(0.0, kind=loss)
    scaler = torch.amp.GradScaler("cuda") if amp else None
    stopper = EarlyStopping(config.patience or max_epochs, config.min_delta, config.mode)
    history: list[EpochStats] = []
    reason = "max_epochs"
    state: dict[str, Any] = dict(model=model, optimizer=opt, scheduler=scheduler,
                                 stopper=stopper, generator=gen, scaler=scaler)
    blob = trial.load_checkpoint() if trial is not None and checkpoints else None
    resumed_at = 0
    if blob is not None:  # continue a paused trial where it stopped
        saved = loads(blob)
        resumed_at = restore(saved, config=config, **state)
        history = [EpochStats(*h) for h in saved["history"]]
    for epoch in range(resumed_at + 1, max_epochs + 1):
        mean_train = _train_epoch(model, train_b, opt, scheduler, train_loss, config, scaler)
        if val_b is None:  # a refit: nothing to evaluate, report or stop on
            history.append(EpochStats(epoch, mean_train, math.nan, None,
                                      float(opt.param_groups[0]["lr"])))
            continue
        mean_val, accuracy = _evaluate(model, val_b, val_loss, loss, amp)
        metric = mean_val if config.metric == "loss" or accuracy is None else accuracy
        if not math.isfinite(mean_val):
            metric = math.nan  # diverged: the accuracy of NaN outputs means nothing
        history.append(EpochStats(epoch, mean_train, mean_val, accuracy,
                                  float(opt.param_groups[0]["lr"])))
        if trial is not None:
            trial.report(metric if math.isfinite(metric) else math.nan, epoch)
            decision = trial.decide()
            if decision is not Decision.CONTINUE:
                paused = decision is Decision.PAUSE
                if paused and checkpoints:
                    trial.save_checkpoint(dumps(epoch=epoch, history=history, config=config,
                                                **state), epoch)
                raise TrialPruned(f"trial {trial.number} {'paused' if paused else 'pruned'} "
                                  f"at epoch {epoch} (val {config.metric}={metric:.6g})")
        if stopper.update(metric, model):
            reason = "early_stopping" if math.isfinite(metric) else "diverged"
            break
    else:
        stopper.restore(model)
    return FitResult(
        model=model, metric=config.metric, best_metric=float(stopper.best),
        best_epoch=stopper.state.best_evaluation + 1, epochs=len(history), stop_reason=reason,
        history=tuple(history), device=str(dev), mixed_precision=amp,
        seconds=time.perf_counter() - started, resumed_at=resumed_at,
    )


def _build_model(model_factory: Callable[[TrainConfig], torch.nn.Module], config: TrainConfig,
                 train_b: Any) -> torch.nn.Module:
    """Call the factory, set dropout rates and initialise the weights."""
    require("torch")
    import torch

    model = model_factory(config)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model_factory returned {type(model).__name__}, not a torch nn.Module")
    if set_dropout(model, config.dropout) == 0 and config.dropout > 0:
        raise ValueError(f"config.dropout={config.dropout} but the model has no dropout "
                         "module; add nn.Dropout layers (fit sets their rate) or use dropout=0")
    if config.init != "torch_default":
        name, slope = _nonlinearity(model)
        batch = None
        if config.init == "lsuv":
            batch = next(iter(train_b))[0]
            batch = batch.cpu() if isinstance(batch, torch.Tensor) else batch
        initialize(model, config.init, nonlinearity=name, negative_slope=slope, batch=batch)
    return model


def _train_epoch(model: torch.nn.Module, batches: Any, opt: torch.optim.Optimizer,
                 scheduler: Any, loss_fn: Callable[[Any, Any], torch.Tensor],
                 config: TrainConfig, scaler: Any) -> float:
    """One pass over ``batches``; returns the sample-weighted mean training loss."""
    require("torch")
    import torch

    model.train()
    total: torch.Tensor | float = 0.0
    count = 0
    for x, y in batches:
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16, enabled=scaler is not None):
            batch_loss = loss_fn(model(x), y)
        if scaler is None:
            torch.autograd.backward(batch_loss)
            if config.grad_clip is not None:
                clip_gradients(model, max_norm=config.grad_clip)
            opt.step()
            stepped = True
        else:
            torch.autograd.backward(scaler.scale(batch_loss))
            if config.grad_clip is not None:
                scaler.unscale_(opt)
                clip_gradients(model, max_norm=config.grad_clip)
            before = scaler.get_scale()
            scaler.step(opt)
            scaler.update()
            stepped = scaler.get_scale() >= before  # a lowered scale means a skipped step
        if stepped:
            scheduler.step()
        n = len(y)
        total = total + batch_loss.detach().float() * n
        count += n
    return float(total) / max(count, 1)


def _evaluate(model: torch.nn.Module, batches: Any, loss_fn: Callable[[Any, Any], torch.Tensor],
              kind: str, amp: bool) -> tuple[float, float | None]:
    """Mean validation loss and accuracy (None for regression) in eval mode."""
    require("torch")
    import torch

    model.eval()
    loss_sum: torch.Tensor | float = 0.0
    correct: torch.Tensor | float = 0.0
    count = 0
    units = 0
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16, enabled=amp):
        for x, y in batches:
            out = model(x).float()
            n = len(y)
            loss_sum = loss_sum + loss_fn(out, y).float() * n
            count += n
            if kind == "cross_entropy":
                correct = correct + (out.argmax(dim=1) == y).sum()
                units += n
            elif kind == "bce_with_logits":
                correct = correct + ((out > 0) == (y > 0.5)).sum()
                units += y.numel()
    if count == 0:
        raise ValueError("the validation data yields no batches; give it data")
    accuracy = float(correct) / units if units else None
    return float(loss_sum) / count, accuracy


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What :func:`evaluate` measures: mean loss, and accuracy (None for ``loss="mse"``)."""

    loss: float
    accuracy: float | None


def evaluate(model: torch.nn.Module, data: Data, *, loss: LossKind = "cross_entropy",
             batch_size: int = 1024) -> Evaluation:
    """Score a trained model once on held-out data (e.g. a :func:`fit` refit on the test set).

    Runs in eval mode without gradients, in float32, on the device of the model's parameters;
    ``data`` is anything :func:`fit` takes as ``val``. Accuracy is measured as in ``fit``.
    """
    require("torch")
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer")
    param = next(model.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    batches = as_batches(data, batch_size, shuffle=False, generator=None, device=dev,
                         what="data")
    mean_loss, accuracy = _evaluate(model, batches, make_loss(0.0, kind=loss), loss, False)
    return Evaluation(mean_loss, accuracy)
