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
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tunecraft._imports import require
from tunecraft.pruners.base import Decision
from tunecraft.torch._data import Data, as_batches
from tunecraft.torch._fit_setup import (
    build_model,
    direction_of,
    make_hooks,
    make_optimization,
    make_precision,
)
from tunecraft.torch._loop import Guard, Hooks, Precision, evaluate_batches, train_epoch
from tunecraft.torch._seed import seed_everything
from tunecraft.torch._trial import TrialAdapter
from tunecraft.torch.callbacks import Callback, TrainState
from tunecraft.torch.metrics import as_metrics
from tunecraft.torch.regularization import EarlyStopping
from tunecraft.torch.resume import dumps, loads, restore
from tunecraft.torch.train_config import TrainConfig

if TYPE_CHECKING:
    import torch

__all__ = ["EpochStats", "Evaluation", "FitResult", "TrainConfig", "evaluate", "fit"]

LossKind = Literal["cross_entropy", "bce_with_logits", "mse", "model"]
LossArg = Any  # LossKind | None | a loss module / callable (outputs, targets) -> tensor


@dataclass(frozen=True, slots=True)
class EpochStats:
    """One epoch: mean training loss, validation loss and accuracy, the learning rate at its
    end and the user metrics (``val_accuracy`` is None when accuracy does not apply, e.g.
    ``loss="mse"``; without ``val`` data, ``val_loss`` is NaN and ``val_accuracy`` None)."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float | None
    lr: float
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        model: The trained model, holding the weights of its best epoch (the untrained
            weights when the run diverged before any finite epoch).
        metric: The monitored metric's name (``config.metric``).
        best_metric: Its best validation value; return it from the objective. Finite for a
            run that diverged (see :func:`fit`); NaN only without validation data.
        best_epoch: The epoch (1-based) of ``best_metric``; 0 when there is none.
        epochs: Epochs run.
        stop_reason: ``max_epochs``, ``early_stopping``, ``diverged`` or ``callback``.
        history: Per-epoch statistics.
        device: Where it trained; ``mixed_precision``: whether autocast was on.
        seconds: Wall-clock time of the run.
        resumed_at: Epochs loaded from the checkpoint of a paused trial (0: trained from the
            start); ``epochs - resumed_at`` were trained in this call.
        precision: ``fp32``, ``fp16`` or ``bf16``.
        direction: ``max`` or ``min``: how ``best_metric`` is compared.
        diverged: Why the run stopped as diverged (None when it did not).
        diagnosis: With ``fit(doctor=True)``, the training doctor's
            :class:`~tunecraft.torch.doctor.Diagnosis` of the run (else None).
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
    precision: str = "fp32"
    direction: str = "max"
    diverged: str | None = None
    diagnosis: Any = None  # a tunecraft.torch.doctor.Diagnosis with fit(doctor=True)


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"``: the first CUDA device if there is one, else CPU; anything else as given."""
    require("torch")
    import torch

    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _check_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")


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

    _check_int("max_epochs", max_epochs)
    _check_int("accumulation_steps", accumulation_steps)
    if diverge_factor is not None and not (
            isinstance(diverge_factor, (int, float)) and diverge_factor > 1):
        raise ValueError(f"diverge_factor={diverge_factor!r} must be a number > 1, or None "
                         "to stop only on NaN/inf losses")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
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
    if horizon not in ("max_epochs", "rungs"):
        raise ValueError(f"horizon={horizon!r} must be 'max_epochs' or 'rungs'")
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
    run = _Run(model, train_b, val_b, hooks, val_hooks, precision, named, config, direction,
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


@dataclass
class _Run:
    """The epoch loop of one :func:`fit` call and its divergence handling."""

    model: Any
    train_b: Any
    val_b: Any
    hooks: Hooks
    val_hooks: Hooks
    precision: Precision
    metrics: Mapping[str, Any]
    config: TrainConfig
    direction: str
    accumulation: int
    callbacks: Sequence[Callback]
    state: TrainState
    stopper: EarlyStopping
    trial: TrialAdapter | None
    dev: Any
    diverge_factor: float | None
    doctor: Any = None  # a doctor._fit.FitDoctor with fit(doctor=True)

    def epochs(self, resumed_at: int, max_epochs: int, use_ckpt: bool,
               saved_state: dict[str, Any]) -> tuple[str, str | None]:
        """Train; ``(stop_reason, why it diverged or None)``."""
        st, opt = self.state, self.state.optimizer
        guard = Guard(self.diverge_factor, 1 if self.dev.type == "cpu" else 16)
        for epoch in range(resumed_at + 1, max_epochs + 1):
            st.epoch = epoch
            mean_train, bad = train_epoch(self.model, self.train_b, opt, st.scheduler,
                                          self.hooks, self.config.grad_clip, self.precision,
                                          self.accumulation, self.callbacks, st, guard)
            lr = float(opt.param_groups[0]["lr"])
            if bad is not None:
                st.history.append(EpochStats(epoch, math.nan, math.nan, None, lr))
                if self.doctor is not None:
                    self.doctor.on_epoch(st.history[-1], None)
                return "diverged", f"{bad} (epoch {epoch})"
            if self.val_b is None:  # a refit: nothing to evaluate, report or stop on
                st.history.append(EpochStats(epoch, mean_train, math.nan, None, lr))
                if self.doctor is not None:
                    self.doctor.on_epoch(st.history[-1], None)
                if self._callbacks_stop():
                    return "callback", None
                continue
            mean_val, accuracy, values = self.evaluate()
            metric = self.pick(mean_val, accuracy, values)
            st.history.append(EpochStats(epoch, mean_train, mean_val, accuracy, lr, values))
            if self.doctor is not None:  # before the report: the pruner reads it
                self.doctor.on_epoch(st.history[-1], self.trial)
            if not (math.isfinite(mean_val) and math.isfinite(metric)):
                return "diverged", (f"in epoch {epoch} the validation loss is {mean_val} and "
                                    f"{self.config.metric} is {metric}")
            self._report(metric, epoch, use_ckpt, saved_state)
            stopped = self.stopper.update(metric, self.model)
            if self._callbacks_stop():
                return "callback", None
            if stopped:
                return "early_stopping", None
        return "max_epochs", None

    def _callbacks_stop(self) -> bool:
        for cb in self.callbacks:
            cb.on_epoch_end(self.state)
        return self.state.stop

    def evaluate(self) -> tuple[float, float | None, dict[str, float]]:
        return evaluate_batches(self.model, self.val_b, self.val_hooks, self.precision,
                                self.metrics)

    def pick(self, mean_val: float, accuracy: float | None, values: dict[str, float]) -> float:
        """The monitored metric's value."""
        name = self.config.metric
        if name == "loss":
            return mean_val
        if name == "accuracy":
            if accuracy is None:
                raise ValueError("config.metric='accuracy' but accuracy does not apply to "
                                 "these outputs and targets (it needs class-index targets "
                                 "with logits, or loss='bce_with_logits'); use metric='loss' "
                                 "or give fit(metrics=...)")
            return accuracy
        return values[name]

    def _report(self, metric: float, epoch: int, use_ckpt: bool,
                saved_state: dict[str, Any]) -> None:
        if self.trial is None:
            return
        self.trial.report(metric, epoch)
        decision = self.trial.decide()
        if decision is Decision.CONTINUE:
            return
        paused = decision is Decision.PAUSE
        if paused and use_ckpt:
            self.trial.trial.save_checkpoint(dumps(
                epoch=epoch, history=self.state.history, config=self.config, **saved_state),
                epoch)
        raise self.trial.pruned(f"trial {self.trial.number} {'paused' if paused else 'pruned'} "
                                f"at epoch {epoch} (val {self.config.metric}={metric:.6g})")

    def diverged(self, why: str, initial: dict[str, Any], best: float) -> tuple[float, int]:
        """The value and epoch of a diverged run (see :func:`fit`); records the reason."""
        epoch = self.state.history[-1].epoch
        if self.trial is not None:
            self.trial.note("diverged", why)
        if math.isfinite(best):
            self.stopper.restore(self.model)
            return best, self.stopper.state.best_evaluation + 1
        self.model.load_state_dict(initial)
        if self.val_b is None:
            return math.nan, 0
        mean_val, accuracy, values = self.evaluate()
        try:
            value = self.pick(mean_val, accuracy, values)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):  # even the untrained model scores NaN: the worst
            value = -math.inf if self.direction == "max" else math.inf
        if self.trial is not None:
            self.trial.report(value, epoch)
        return value, 0


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What :func:`evaluate` measures: mean loss, accuracy (None when it does not apply) and
    the user metrics."""

    loss: float
    accuracy: float | None
    metrics: dict[str, float] = field(default_factory=dict)


def evaluate(model: torch.nn.Module, data: Data, *, loss: LossArg = "cross_entropy",
             batch_size: int = 1024, metrics: Mapping[str, Any] | None = None,
             unpack: Callable[[Any], tuple[Any, Any]] | None = None,
             forward: Callable[[torch.nn.Module, Any], Any] | None = None) -> Evaluation:
    """Score a trained model once on held-out data (e.g. a :func:`fit` refit on the test set).

    Runs in eval mode without gradients, in float32, on the device of the model's parameters;
    ``data`` is anything :func:`fit` takes as ``val``, read with the same hooks. Accuracy and
    metrics are measured as in ``fit``.
    """
    require("torch")
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
    _check_int("batch_size", batch_size)
    param = next(model.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    batches = as_batches(data, batch_size, shuffle=False, generator=None, device=dev,
                         what="data")
    hooks = make_hooks(loss, TrainConfig(), unpack, forward, train=False)
    mean_loss, accuracy, values = evaluate_batches(
        model, batches, hooks, Precision("fp32", dev.type, None, None), as_metrics(metrics))
    return Evaluation(mean_loss, accuracy, values)
