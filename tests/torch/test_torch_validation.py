"""The torch toolkit's public arguments are checked through the declared constraints of
``tunecraft._validation``: one message format (``name=value must be ...[; fix]``) and one
error class, a ValueError that is also a TypeError."""

from __future__ import annotations

from typing import Any

import pytest

from tunecraft._validation import InvalidArgument
from tunecraft.pruners import DiagnosisPruner
from tunecraft.torch import OptimizerConfig, TrainConfig
from tunecraft.torch.decays import Warmup
from tunecraft.torch.doctor.instruments import Doctor
from tunecraft.torch.init import initialize
from tunecraft.torch.lr_scaling import scale_lr
from tunecraft.torch.metrics import top_k_accuracy
from tunecraft.torch.mlp import MLPSpec
from tunecraft.torch.named_schedules import schedule_from_config
from tunecraft.torch.one_cycle_schedule import OneCycle
from tunecraft.torch.plateau import ReduceOnPlateau
from tunecraft.torch.regularization import EarlyStopping, set_dropout


@pytest.mark.parametrize("make, message", [
    (lambda: TrainConfig(batch_size=0), "batch_size=0 must be an integer >= 1"),
    (lambda: TrainConfig(warmup_pct=1.0), r"warmup_pct=1.0 must be a number in [0, 1)"),
    (lambda: TrainConfig(grad_clip=0.0), "grad_clip=0.0 must be a finite number > 0 or None"),
    (lambda: TrainConfig(seed=-1), "seed=-1 must be an integer in [0, 2**32)"),
    (lambda: TrainConfig(direction="up"), "direction='up' must be 'max', 'min' or None"),
    (lambda: TrainConfig(optim="sgd"),  # type: ignore[arg-type]
     "optim='sgd' must be an OptimizerConfig; or give the optimizer's keywords instead: "
     "lr=..., optimizer='sgd'"),
    (lambda: OptimizerConfig("adam", 0.0), "lr=0.0 must be a finite number > 0"),
    (lambda: OptimizerConfig("adam", 1e-3, betas=(0.9, 1.0)),
     "betas[1]=1.0 must be a number in [0, 1)"),
    (lambda: ReduceOnPlateau(factor=1.0),
     "factor=1.0 must be a number in (0, 1); it multiplies the lr"),
    (lambda: ReduceOnPlateau(cooldown=-1), "cooldown=-1 must be an integer >= 0"),
    (lambda: schedule_from_config("cosine", 100, warmup_steps=100),
     "warmup_steps=100 must be an integer in [0, total_steps=100)"),
    (lambda: OneCycle(100, div=0.5),
     "div=0.5 must be a finite number >= 1; it divides the peak lr"),
    (lambda: Warmup(-1), "steps=-1 must be an integer >= 0"),
    (lambda: Warmup(2, then=0.5),  # type: ignore[arg-type]
     "then=0.5 must be a schedule (a callable step -> float)"),
    (lambda: EarlyStopping(patience=-1), "patience=-1 must be an integer >= 0"),
    (lambda: set_dropout(None, 1.0), "p=1.0 must be a dropout rate in [0, 1)"),  # type: ignore[arg-type]
    (lambda: scale_lr(0.1, 32, 0), "new_batch=0 must be an integer >= 1"),
    (lambda: top_k_accuracy(0), "k=0 must be an integer >= 1"),
    (lambda: MLPSpec(4, 2, depth=-1), "depth=-1 must be an integer >= 0"),
    (lambda: initialize(None, "orthogonal", mode="fan"),  # type: ignore[arg-type]
     "mode='fan' must be 'fan_in' or 'fan_out'"),
    (lambda: DiagnosisPruner(min_epochs=0), "min_epochs=0 must be an integer >= 1"),
    (lambda: DiagnosisPruner(wrapped="median"),  # type: ignore[arg-type]
     "wrapped='median' must be a tunecraft pruner or None"),
])
def test_arguments_are_checked_in_the_one_format(make: Any, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        make()
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TypeError)


def test_doctor_budget_keeps_its_meaning() -> None:
    import torch

    with pytest.raises(ValueError, match=r"^budget=2 must be a share of the run's time in "
                                         r"\(0, 1\] or None \(sample every `every` steps\)$"):
        Doctor(torch.nn.Linear(2, 1), budget=2)
    with pytest.raises(ValueError, match=r"^every=0 must be an integer >= 1; "):
        Doctor(torch.nn.Linear(2, 1), every=0)
