"""A compact, tunable training loop: ``fit(model_factory, train, val, config, trial)``.

Builds the optimizer (:func:`~tunecraft.torch.optimizers.make_optimizer`), the per-batch
schedule with warm-up (:func:`~tunecraft.torch.schedules.schedule_from_config` +
:func:`~tunecraft.torch.schedules.to_torch`), the loss with label smoothing, gradient clipping
and early stopping from the torch toolkit; reports the validation metric to the trial after
every epoch and raises the trial's pruning exception when its pruner says stop. Batches of any
shape go through the ``unpack``/``forward`` hooks of :mod:`tunecraft.torch.batches`; metrics,
callbacks, gradient accumulation, float16/bfloat16 autocast, any loss and user optimizer or
scheduler factories are keywords. On CPU, the same config and seed give bit-identical metrics.

A run whose loss turns NaN/inf stops at once and never hands NaN to the study: its
``best_metric`` is the best finite epoch's value, or, when it diverged before any, the
untrained model's (see :func:`fit`).

This module sets a run up and returns its result; the epoch loop is
:mod:`tunecraft.torch._fit_run`, the result records :mod:`tunecraft.torch.fit_result` and the
one-off scoring :mod:`tunecraft.torch.evaluation` (their names are re-exported here).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from tunecraft._imports import require
from tunecraft._validation import InstanceOf, Interval, Options, check
from tunecraft.torch._fit_run import FitRun
from tunecraft.torch._fit_setup import (
    LossArg,
    LossKind,
    build_model,
    check_count,
    direction_of,
    make_hooks,
    make_optimization,
    make_precision,
)
from tunecraft.torch._seed import seed_everything
from tunecraft.torch._trial import TrialAdapter
from tunecraft.torch.callbacks import Callback, TrainState
from tunecraft.torch.data import Data, as_batches
from tunecraft.torch.evaluation import Evaluation, evaluate
from tunecraft.torch.fit_result import EpochStats, FitResult
from tunecraft.torch.metrics import as_metrics
from tunecraft.torch.regularization import EarlyStopping
from tunecraft.torch.resume import loads, restore
from tunecraft.torch.train_config import TrainConfig

if TYPE_CHECKING:
    import torch

__all__ = ["EpochStats", "Evaluation", "FitResult", "LossKind", "TrainConfig", "evaluate", "fit",
           "resolve_device"]


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"``: the first CUDA device if there is one, else CPU; anything else as given."""
    require("torch")
    import torch

    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def fit(
    model_factory: Callable[[TrainConfig], torch.nn.Module],
    train: Data,
    val: Data | None,
    config: TrainConfig,
    trial: Any = None,
    *,
    max_epochs: int = 20,
    device: str | torch.device = "auto",
    loss: LossArg = None,
    mixed_precision: bool | Literal["fp16", "bf16"] | None = None,
    checkpoints: bool = True,
    horizon: Literal["max_epochs", "rungs"] = "max_epochs",
    metrics: Mapping[str, Any] | None = None,
    unpack: Callable[[Any], tuple[Any, Any]] | None = None,
    forward: Callable[[torch.nn.Module, Any], Any] | None = None,
    callbacks: Sequence[Callback] = (),
    accumulation_steps: int = 1,
    optimizer: Callable[[torch.nn.Module, TrainConfig], torch.optim.Optimizer] | None = None,
    scheduler: Callable[[torch.optim.Optimizer, int, TrainConfig], Any] | None = None,
    diverge_factor: float | None = 100.0,
    doctor: bool = False,
) -> FitResult:
    """Train a fresh model with ``config``; report to and obey ``trial`` every epoch.

    Seeds everything with ``config.seed``; builds the model with ``model_factory(config)``,
    sets its dropout rates and initialises it (``config.init``); trains up to ``max_epochs``
    epochs, stepping the schedule after every optimizer step; after each epoch evaluates on
    ``val``, reports the monitored metric (``config.metric``) to the trial and stops when its
    pruner says so, or after ``config.patience`` epochs without improvement. The returned
    model holds its best epoch's weights. With ``val=None`` it trains exactly
    ``max_epochs`` epochs (a final refit; no trial, no patience).

    Divergence: a raw training loss that is NaN/inf or above ``diverge_factor`` times the
    first step's (checked at every optimizer step on CPU, every 16 on accelerators), or a
    NaN/inf validation loss or metric, stops the run (``stop_reason="diverged"``, the reason
    in ``diverged`` and in the trial's user attribute ``"diverged"``). Its ``best_metric`` is
    the best finite epoch's value when there was one; otherwise the untrained model's
    validation value (e.g. chance accuracy), which is also reported for that epoch, and the
    model is returned untrained. So ``return
    fit(...).best_metric`` records the trial COMPLETE with a finite, poor value: samplers
    (TPE, and the GP that AutoSampler uses, which ignores PRUNED trials) learn to avoid the
    region, where a NaN would make it FAIL and teach them nothing.

    Args:
        model_factory: ``config -> nn.Module`` (e.g. :class:`~tunecraft.torch.mlp.MLPSpec`).
        train, val: DataLoaders (any batch: see ``unpack``), ``(X, y)`` arrays or tensors
            (batched with ``config.batch_size``, order shuffled from ``config.seed``), or a
            factory ``batch_size -> DataLoader``.
        config: The :class:`TrainConfig`.
        trial: A tunecraft trial, an Optuna trial, anything with ``report`` and
            ``should_prune`` (see :mod:`tunecraft.torch._trial`), or None.
        max_epochs: Epochs at most; the schedule spans all of them.
        device: ``"auto"`` (CUDA if available), or a torch device.
        loss: None (the model's own loss when its output has one, e.g. a Hugging Face model
            given ``labels``; else cross-entropy with ``config.label_smoothing``),
            ``"cross_entropy"``, ``"bce_with_logits"``, ``"mse"``, ``"model"``, or any loss
            module or callable ``(logits, targets) -> scalar``.
        mixed_precision: None (float16 on CUDA, float32 elsewhere), True/``"fp16"`` (float16
            autocast with a GradScaler, CUDA only), ``"bf16"`` (bfloat16 autocast, CPU or
            CUDA, no scaler) or False.
        checkpoints: Save the training state when the trial's scheduler pauses it and resume
            a promoted trial from it (tunecraft trials; see :mod:`tunecraft.torch.resume`).
        horizon: ``"max_epochs"``: one schedule over all epochs; ``"rungs"``: restart it at
            each rung of the trial's budget.
        metrics: Named validation metrics (:mod:`tunecraft.torch.metrics`); name one in
            ``config.metric`` to report, early-stop and return it.
        unpack, forward: Batch hooks (:mod:`tunecraft.torch.batches`).
        callbacks: :class:`~tunecraft.torch.callbacks.Callback` objects.
        accumulation_steps: Batches per optimizer step (gradient accumulation).
        optimizer: ``optimizer(model, config) -> Optimizer`` instead of the config's.
        scheduler: ``scheduler(optimizer, total_steps, config)`` -> an LR scheduler stepped
            after every optimizer step, instead of the config's schedule.
        diverge_factor: A step loss this many times the first step's is divergence (100:
            never reached by a run that learns; None: only NaN/inf count).
        doctor: Run the training doctor (:class:`~tunecraft.torch.doctor.Doctor`): the
            result's ``diagnosis`` says what went wrong and how to fix it; with a trial, the
            diagnosis so far is stored every epoch, before the pruner decides, as the user
            attribute ``"diagnosis"`` (for ``DiagnosisPruner``, the report and the CLI).

    Raises:
        TrialPruned: (or ``optuna.TrialPruned`` for an Optuna trial) when the pruner stops it.
        ValueError: bad settings, each naming its fix.
    """
    require("torch")
    import torch

    check_count("max_epochs", max_epochs)
    check_count("accumulation_steps", accumulation_steps)
    check("diverge_factor", diverge_factor, Interval(float, 1, closed="neither", finite=False),
          Options(None), fix="None stops only on NaN/inf losses")
    check("config", config, InstanceOf(TrainConfig, "a TrainConfig"))
    run_trial = None if trial is None else TrialAdapter(trial)
    named = as_metrics(metrics)
    direction = direction_of(config, named)
    if val is None and run_trial is not None:
        raise ValueError(f"val=None: there is no metric to report to trial {run_trial.number}; "
                         "pass validation data, or trial=None for a final refit")
    if val is None and config.patience is not None:
        raise ValueError(f"val=None: early stopping (config.patience={config.patience}) needs "
                         "validation data; pass val, or config.replace(patience=None)")
    if loss == "mse" and config.metric == "accuracy":
        raise ValueError("metric='accuracy' needs a classification loss; use "
                         "TrainConfig(metric='loss') with loss='mse'")
    check("horizon", horizon, Options("max_epochs", "rungs"))
    dev = resolve_device(device)
    precision = make_precision(mixed_precision, dev)
    hooks = make_hooks(loss, config, unpack, forward, train=True)
    val_hooks = make_hooks(loss, config, unpack, forward, train=False)
    started = time.perf_counter()
    seed_everything(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    train_b = as_batches(train, config.batch_size, shuffle=True, generator=gen, device=dev,
                         what="train")
    val_b = None if val is None else as_batches(val, max(config.batch_size, 1024),
                                                shuffle=False, generator=None, device=dev,
                                                what="val")
    model = build_model(model_factory, config, lambda: hooks.unpack(next(iter(train_b)))[0])
    model.to(dev)
    initial = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    steps_per_epoch = -(-len(train_b) // accumulation_steps)
    budget = None if run_trial is None else run_trial.budget
    restarts = budget.rungs if horizon == "rungs" and budget is not None else ()
    opt, sched = make_optimization(model, config, steps_per_epoch, max_epochs, restarts,
                                   optimizer, scheduler)
    stopper = EarlyStopping(config.patience or max_epochs, config.min_delta, direction)
    state = TrainState(model, opt, sched, config, trial=trial)
    saved_state: dict[str, Any] = dict(model=model, optimizer=opt, scheduler=sched,
                                       stopper=stopper, generator=gen, scaler=precision.scaler)
    use_ckpt = checkpoints and run_trial is not None and run_trial.checkpoints
    blob = run_trial.trial.load_checkpoint() if use_ckpt and run_trial is not None else None
    resumed_at = 0
    if blob is not None:  # continue a paused trial where it stopped
        saved = loads(blob)
        resumed_at = restore(saved, config=config, **saved_state)
        state.history = [EpochStats(*h) for h in saved["history"]]
        state.step = resumed_at * steps_per_epoch
    for cb in callbacks:
        cb.on_train_begin(state)
    fit_doctor = None
    if doctor:
        from tunecraft.torch.doctor._fit import FitDoctor

        fit_doctor = FitDoctor(model, opt, metric_mode=direction,
                               early_stopping=config.patience is not None)
        callbacks = (*callbacks, fit_doctor)
    run = FitRun(model, train_b, val_b, hooks, val_hooks, precision, named, config, direction,
               accumulation_steps, callbacks, state, stopper, run_trial, dev, diverge_factor,
               fit_doctor)
    diagnosis = None
    try:
        reason, why = run.epochs(resumed_at, max_epochs, use_ckpt, saved_state)
    finally:
        if run.doctor is not None:
            diagnosis = run.doctor.close()
    if diagnosis is not None and run_trial is not None and why is not None:
        run_trial.note("diagnosis", diagnosis.to_dict())
    best, best_epoch = float(stopper.best), stopper.state.best_evaluation + 1
    if why is not None:
        best, best_epoch = run.diverged(why, initial, best)
    elif reason != "early_stopping":
        stopper.restore(model)
    for cb in callbacks:
        cb.on_train_end(state)
    return FitResult(
        model=model, metric=config.metric, best_metric=best, best_epoch=best_epoch,
        epochs=len(state.history), stop_reason=reason, history=tuple(state.history),
        device=str(dev), mixed_precision=precision.dtype is not None,
        seconds=time.perf_counter() - started, resumed_at=resumed_at,
        precision=precision.name, direction=direction, diverged=why, diagnosis=diagnosis,
    )
