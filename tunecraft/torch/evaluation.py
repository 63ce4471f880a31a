"""Score a trained model once on held-out data: :func:`evaluate` and its :class:`Evaluation`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tunecraft._imports import require
from tunecraft.torch._fit_setup import LossArg, check_count, make_hooks
from tunecraft.torch._loop import Precision, evaluate_batches
from tunecraft.torch.data import Data, as_batches
from tunecraft.torch.metrics import as_metrics
from tunecraft.torch.train_config import TrainConfig

if TYPE_CHECKING:
    import torch

__all__ = ["Evaluation", "evaluate"]


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
    check_count("batch_size", batch_size)
    param = next(model.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    batches = as_batches(data, batch_size, shuffle=False, generator=None, device=dev,
                         what="data")
    hooks = make_hooks(loss, TrainConfig(), unpack, forward, train=False)
    mean_loss, accuracy, values = evaluate_batches(
        model, batches, hooks, Precision("fp32", dev.type, None, None), as_metrics(metrics))
    return Evaluation(mean_loss, accuracy, values)
