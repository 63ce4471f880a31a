"""PyTorch toolkit: schedules, optimizers, init, regularisation, LR and batch-size finders.

Install with ``pip install 'tunecraft[torch]'``. Names are loaded lazily (PEP 562), so
``import tunecraft.torch`` does not import torch; the pure parts (schedules, plateau and early
stopping rules, init gains) never need it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunecraft.torch._seed import seed_everything
    from tunecraft.torch.batch_size import find_max_batch_size, scale_lr
    from tunecraft.torch.callbacks import Callback, TrainState
    from tunecraft.torch.diagnostics import InitReport, LayerStats, init_report
    from tunecraft.torch.doctor import Diagnosis, Doctor, Problem, heal
    from tunecraft.torch.init import LSUVLayer, gain, initialize, lsuv
    from tunecraft.torch.lr_range import LRRangeResult, lr_bounds_from_range_test, lr_range_test
    from tunecraft.torch.metrics import Metric
    from tunecraft.torch.optimizers import (
        OptimizerConfig,
        make_optimizer,
        param_groups,
        suggest_optimizer,
    )
    from tunecraft.torch.plateau import PlateauState, ReduceOnPlateau
    from tunecraft.torch.regularization import (
        EarlyStopping,
        ModelSpaceMismatch,
        RegularizationConfig,
        StopRule,
        StopState,
        clip_gradients,
        make_loss,
        set_dropout,
        suggest_regularization,
    )
    from tunecraft.torch.schedules import (
        Schedule,
        constant,
        cosine,
        cosine_restarts,
        cycled_momentum,
        exponential,
        linear_decay,
        multi_step,
        one_cycle,
        polynomial,
        schedule_from_config,
        step_decay,
        suggest_schedule,
        to_torch,
        warmup,
    )
    from tunecraft.torch.search_space import suggest_training_config
    from tunecraft.torch.trainer import Evaluation, FitResult, TrainConfig, evaluate, fit

_LAZY: dict[str, str] = {
    # schedules (pure; to_torch imports torch when called)
    **dict.fromkeys((
        "Schedule", "constant", "cosine", "cosine_restarts", "cycled_momentum", "exponential",
        "linear_decay", "multi_step", "one_cycle", "polynomial", "schedule_from_config",
        "step_decay", "suggest_schedule", "to_torch", "warmup"), "schedules"),
    **dict.fromkeys(("PlateauState", "ReduceOnPlateau"), "plateau"),
    **dict.fromkeys(("OptimizerConfig", "make_optimizer", "param_groups", "suggest_optimizer"),
                    "optimizers"),
    **dict.fromkeys(("LSUVLayer", "gain", "initialize", "lsuv"), "init"),
    **dict.fromkeys(("InitReport", "LayerStats", "init_report"), "diagnostics"),
    **dict.fromkeys(("Diagnosis", "Doctor", "Problem", "heal"), "doctor"),
    **dict.fromkeys((
        "EarlyStopping", "ModelSpaceMismatch", "RegularizationConfig", "StopRule", "StopState",
        "clip_gradients", "make_loss", "set_dropout", "suggest_regularization"),
        "regularization"),
    **dict.fromkeys(("Callback", "TrainState"), "callbacks"),
    "Metric": "metrics",
    "seed_everything": "_seed",
    # LR range test, batch size, trainer, ready search space
    **dict.fromkeys(("LRRangeResult", "lr_bounds_from_range_test", "lr_range_test"),
                    "lr_range"),
    **dict.fromkeys(("find_max_batch_size", "scale_lr"), "batch_size"),
    **dict.fromkeys(("Evaluation", "FitResult", "TrainConfig", "evaluate", "fit"), "trainer"),
    "suggest_training_config": "search_space",
}

__all__ = [
    "Callback", "Diagnosis", "Doctor", "EarlyStopping", "Evaluation", "FitResult",
    "InitReport", "LRRangeResult",
    "LSUVLayer", "LayerStats", "Metric", "ModelSpaceMismatch", "OptimizerConfig", "PlateauState",
    "Problem", "ReduceOnPlateau", "RegularizationConfig", "Schedule", "StopRule", "StopState",
    "TrainConfig", "TrainState", "clip_gradients", "constant", "cosine", "cosine_restarts",
    "cycled_momentum", "evaluate", "exponential", "find_max_batch_size", "fit", "gain", "heal",
    "init_report", "initialize", "linear_decay", "lr_bounds_from_range_test", "lr_range_test",
    "lsuv", "make_loss", "make_optimizer", "multi_step", "one_cycle", "param_groups", "polynomial",
    "scale_lr", "schedule_from_config", "seed_everything", "set_dropout", "step_decay",
    "suggest_optimizer", "suggest_regularization", "suggest_schedule", "suggest_training_config",
    "to_torch", "warmup",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tunecraft.torch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tunecraft.torch.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
