"""The pieces :func:`tunecraft.torch.fit` builds before its first epoch: the loss and batch
hooks, the precision, the model (dropout, initialisation), the optimizer and the schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from tunecraft._validation import Interval, Options, check
from tunecraft.torch._loop import Hooks, Precision
from tunecraft.torch.batches import default_forward, default_unpack
from tunecraft.torch.init import initialize
from tunecraft.torch.metrics import Metric, infer_direction
from tunecraft.torch.optimizers import make_optimizer
from tunecraft.torch.regularization import ModelSpaceMismatch, make_loss, set_dropout
from tunecraft.torch.resume import make_schedule
from tunecraft.torch.schedules import to_torch
from tunecraft.torch.train_config import TrainConfig

if TYPE_CHECKING:
    import torch

LOSS_KINDS = ("cross_entropy", "bce_with_logits", "mse")
LossKind = Literal["cross_entropy", "bce_with_logits", "mse", "model"]
LossArg = Any  # LossKind | None | a loss module / callable (outputs, targets) -> tensor
_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "GELU": "gelu",
                "SiLU": "silu", "SELU": "selu", "LeakyReLU": "leaky_relu"}


def check_count(name: str, value: int) -> None:
    """Raise unless ``value`` is a positive int (epochs, batch sizes, accumulation steps)."""
    check(name, value, Interval(int, 1))


def make_hooks(loss: Any, config: TrainConfig, unpack: Any, forward: Any,
               *, train: bool) -> Hooks:
    """The batch hooks and the loss (label smoothing only in training, only built in)."""
    unpack = default_unpack if unpack is None else unpack
    forward = default_forward if forward is None else forward
    for name, hook in (("unpack", unpack), ("forward", forward)):
        if not callable(hook):
            raise TypeError(f"{name}={hook!r} must be callable (see tunecraft.torch.batches)")
    smoothing = config.label_smoothing if train else 0.0
    if loss in (None, "model"):
        if smoothing and loss == "model":
            raise ValueError(_no_smoothing("loss='model'"))
        fallback = make_loss(smoothing, kind="cross_entropy")
        return Hooks(unpack, forward, None if loss == "model" else fallback,
                     "model" if loss == "model" else "auto")
    if isinstance(loss, str):
        if loss not in LOSS_KINDS:
            raise ValueError(f"loss={loss!r} must be one of {list(LOSS_KINDS)}, 'model', None "
                             "or a loss module / callable (outputs, targets) -> tensor")
        return Hooks(unpack, forward, make_loss(smoothing if loss == "cross_entropy" else 0.0,
                                                kind=loss), loss)  # type: ignore[arg-type]
    if not callable(loss):
        raise TypeError(f"loss={loss!r} must be a name, None or a callable")
    if smoothing:
        raise ValueError(_no_smoothing("a custom loss"))
    return Hooks(unpack, forward, loss, "custom")


def _no_smoothing(what: str) -> str:
    return (f"config.label_smoothing is only applied by the built-in cross-entropy, not by "
            f"{what}; set TrainConfig(label_smoothing=0) (suggest_training_config("
            "label_smoothing=None)) or put the smoothing in your loss")


def make_precision(mixed_precision: bool | str | None, dev: torch.device) -> Precision:
    """``None``: float16 on CUDA, float32 elsewhere; ``True``/``"fp16"``: float16 autocast with
    a GradScaler (CUDA only); ``"bf16"``: bfloat16 autocast (CPU or CUDA); False: float32."""
    import torch

    check("mixed_precision", mixed_precision, Options(None, True, False, "fp32", "fp16", "bf16"))
    choice = ("fp16" if dev.type == "cuda" else "fp32") if mixed_precision is None else (
        "fp16" if mixed_precision is True else "fp32" if mixed_precision is False
        else mixed_precision)
    if choice == "fp16" and dev.type != "cuda":
        raise ValueError(f"mixed_precision=True (float16 with a GradScaler) needs a CUDA "
                         f"device, got device={dev}; use mixed_precision='bf16' on CPU")
    if choice == "fp32":
        return Precision("fp32", dev.type, None, None)
    if choice == "bf16":
        return Precision("bf16", dev.type, torch.bfloat16, None)
    return Precision("fp16", dev.type, torch.float16, torch.amp.GradScaler("cuda"))


def direction_of(config: TrainConfig, metrics: dict[str, Metric]) -> Literal["max", "min"]:
    """The monitored metric's direction: the config's, the Metric's, or from its name."""
    name = config.metric
    if name not in ("accuracy", "loss") and name not in metrics:
        raise ValueError(f"config.metric={name!r} is not measured: give fit(metrics={{"
                         f"{name!r}: fn}}) or use TrainConfig(metric='accuracy' or 'loss')")
    if config.direction is not None:
        return config.direction
    given = metrics[name].direction if name in metrics else None
    return given if given is not None else infer_direction(name)


def build_model(model_factory: Callable[[TrainConfig], torch.nn.Module], config: TrainConfig,
                first_inputs: Callable[[], Any]) -> torch.nn.Module:
    """Call the factory, set dropout rates and initialise the weights."""
    import torch

    model = model_factory(config)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model_factory returned {type(model).__name__}, not a torch nn.Module")
    if set_dropout(model, config.dropout) == 0 and config.dropout > 0:
        raise ModelSpaceMismatch(
            f"config.dropout={config.dropout} but the model has no dropout module; add "
            "nn.Dropout layers (fit sets their rate), use dropout=0, or let the search space "
            "see the model: suggest_training_config(trial, model=...) asks for no dropout then")
    if config.init != "torch_default":
        name, slope = nonlinearity(model)
        batch = None
        if config.init == "lsuv":
            batch = first_inputs()
            batch = batch.cpu() if isinstance(batch, torch.Tensor) else batch
        initialize(model, config.init, nonlinearity=name, negative_slope=slope, batch=batch)
    return model


def nonlinearity(model: torch.nn.Module) -> tuple[str, float | None]:
    """The gain name of the model's first activation module (``linear`` if none)."""
    for module in model.modules():
        name = _ACTIVATIONS.get(type(module).__name__)
        if name is not None:
            return name, getattr(module, "negative_slope", None)
    return "linear", None


def make_optimization(model: torch.nn.Module, config: TrainConfig, steps_per_epoch: int,
                      max_epochs: int, restarts: Any, optimizer: Any, scheduler: Any
                      ) -> tuple[torch.optim.Optimizer, Any]:
    """The optimizer (the config's, or ``optimizer(model, config)``) and the per-step
    scheduler (the config's schedule with warm-up, or ``scheduler(opt, total_steps,
    config)``)."""
    import torch

    if optimizer is None:
        opt = make_optimizer(model, config.optim)
    else:
        opt = optimizer(model, config)
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError(f"optimizer factory returned {type(opt).__name__}; it must "
                            "return a torch.optim.Optimizer (called as optimizer(model, "
                            "config))")
    if scheduler is not None:
        sched = scheduler(opt, steps_per_epoch * max_epochs, config)
        if not callable(getattr(sched, "step", None)):
            raise TypeError(f"scheduler factory returned {type(sched).__name__}, which has "
                            "no step(); return a torch LR scheduler (called as "
                            "scheduler(optimizer, total_steps, config), stepped per step)")
        return opt, sched
    # fastai cycles momentum against the rate (one-cycle); only for the config's optimizers
    schedule, momentum = make_schedule(config, steps_per_epoch, max_epochs, restarts)
    return opt, to_torch(opt, schedule, momentum=momentum if optimizer is None else None)
