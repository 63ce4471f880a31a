"""PyTorch toolkit: schedules, optimizers, init, regularisation, LR and batch-size finders.

Install with ``pip install 'tunecraft[torch]'``. Names are loaded lazily (PEP 562), so
``import tunecraft.torch`` does not import torch; the pure parts (schedules, plateau and early
stopping rules, init gains) never need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunecraft._lazy import LazyExports

if TYPE_CHECKING:  # the same names, for type checkers (tests/test_lazy.py keeps them equal)
    from tunecraft.torch._seed import seed_everything as seed_everything
    from tunecraft.torch.batch_size import find_max_batch_size as find_max_batch_size
    from tunecraft.torch.batch_size import scale_lr as scale_lr
    from tunecraft.torch.callbacks import Callback as Callback
    from tunecraft.torch.callbacks import TrainState as TrainState
    from tunecraft.torch.diagnostics import InitReport as InitReport
    from tunecraft.torch.diagnostics import LayerStats as LayerStats
    from tunecraft.torch.diagnostics import init_report as init_report
    from tunecraft.torch.doctor import Diagnosis as Diagnosis
    from tunecraft.torch.doctor import Doctor as Doctor
    from tunecraft.torch.doctor import Problem as Problem
    from tunecraft.torch.doctor import heal as heal
    from tunecraft.torch.init import LSUVLayer as LSUVLayer
    from tunecraft.torch.init import gain as gain
    from tunecraft.torch.init import initialize as initialize
    from tunecraft.torch.init import lsuv as lsuv
    from tunecraft.torch.lr_range import LRConfirmation as LRConfirmation
    from tunecraft.torch.lr_range import LRRangeResult as LRRangeResult
    from tunecraft.torch.lr_range import confirm_lr as confirm_lr
    from tunecraft.torch.lr_range import lr_bounds_from_range_test as lr_bounds_from_range_test
    from tunecraft.torch.lr_range import lr_range_test as lr_range_test
    from tunecraft.torch.metrics import Metric as Metric
    from tunecraft.torch.optimizers import OptimizerConfig as OptimizerConfig
    from tunecraft.torch.optimizers import make_optimizer as make_optimizer
    from tunecraft.torch.optimizers import param_groups as param_groups
    from tunecraft.torch.optimizers import suggest_optimizer as suggest_optimizer
    from tunecraft.torch.plateau import PlateauState as PlateauState
    from tunecraft.torch.plateau import ReduceOnPlateau as ReduceOnPlateau
    from tunecraft.torch.regularization import EarlyStopping as EarlyStopping
    from tunecraft.torch.regularization import ModelSpaceMismatch as ModelSpaceMismatch
    from tunecraft.torch.regularization import RegularizationConfig as RegularizationConfig
    from tunecraft.torch.regularization import StopRule as StopRule
    from tunecraft.torch.regularization import StopState as StopState
    from tunecraft.torch.regularization import clip_gradients as clip_gradients
    from tunecraft.torch.regularization import make_loss as make_loss
    from tunecraft.torch.regularization import set_dropout as set_dropout
    from tunecraft.torch.regularization import suggest_regularization as suggest_regularization
    from tunecraft.torch.schedules import Schedule as Schedule
    from tunecraft.torch.schedules import constant as constant
    from tunecraft.torch.schedules import cosine as cosine
    from tunecraft.torch.schedules import cosine_restarts as cosine_restarts
    from tunecraft.torch.schedules import cycled_momentum as cycled_momentum
    from tunecraft.torch.schedules import exponential as exponential
    from tunecraft.torch.schedules import linear_decay as linear_decay
    from tunecraft.torch.schedules import multi_step as multi_step
    from tunecraft.torch.schedules import one_cycle as one_cycle
    from tunecraft.torch.schedules import polynomial as polynomial
    from tunecraft.torch.schedules import schedule_from_config as schedule_from_config
    from tunecraft.torch.schedules import step_decay as step_decay
    from tunecraft.torch.schedules import suggest_schedule as suggest_schedule
    from tunecraft.torch.schedules import to_torch as to_torch
    from tunecraft.torch.schedules import warmup as warmup
    from tunecraft.torch.search_space import suggest_training_config as suggest_training_config
    from tunecraft.torch.trainer import Evaluation as Evaluation
    from tunecraft.torch.trainer import FitResult as FitResult
    from tunecraft.torch.trainer import TrainConfig as TrainConfig
    from tunecraft.torch.trainer import evaluate as evaluate
    from tunecraft.torch.trainer import fit as fit

_BY_MODULE: dict[str, tuple[str, ...]] = {
    # schedules (pure; to_torch imports torch when called)
    "schedules": (
        "Schedule", "constant", "cosine", "cosine_restarts", "cycled_momentum", "exponential",
        "linear_decay", "multi_step", "one_cycle", "polynomial", "schedule_from_config",
        "step_decay", "suggest_schedule", "to_torch", "warmup",),
    "plateau": ("PlateauState", "ReduceOnPlateau"),
    "optimizers": ("OptimizerConfig", "make_optimizer", "param_groups", "suggest_optimizer"),
    "init": ("LSUVLayer", "gain", "initialize", "lsuv"),
    "diagnostics": ("InitReport", "LayerStats", "init_report"),
    "doctor": ("Diagnosis", "Doctor", "Problem", "heal"),
    "regularization": (
        "EarlyStopping", "ModelSpaceMismatch", "RegularizationConfig", "StopRule", "StopState",
        "clip_gradients", "make_loss", "set_dropout", "suggest_regularization",),
    "callbacks": ("Callback", "TrainState"),
    "metrics": ("Metric",),
    "_seed": ("seed_everything",),
    # LR range test, batch size, trainer, ready search space
    "lr_range": ("LRConfirmation", "LRRangeResult", "confirm_lr", "lr_bounds_from_range_test",
                 "lr_range_test"),
    "batch_size": ("find_max_batch_size", "scale_lr"),
    "trainer": ("Evaluation", "FitResult", "TrainConfig", "evaluate", "fit"),
    "search_space": ("suggest_training_config",),
}
_EXPORTS = LazyExports(__name__, {name: f"{__name__}.{module}"
                                  for module, names in _BY_MODULE.items() for name in names})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
