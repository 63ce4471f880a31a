"""Validation metrics for :func:`tunecraft.torch.fit`: user callables, their direction, and a
few common ones (top-k accuracy, macro F1, ROC AUC, MAE, RMSE, R²) written in plain torch.

A metric is computed once per evaluation over the whole validation set, so that metrics that
do not average over batches (F1, AUC) are exact. ``fit(metrics={"f1": f1_score()})`` takes:

* a callable ``fn(outputs, targets) -> float``, called with the model's outputs (logits) and
  the targets of every validation batch concatenated along the first dimension, on the CPU;
* an object with ``update(outputs, targets)`` and ``compute()`` (and optionally ``reset()``),
  e.g. a ``torchmetrics`` metric: it is fed batch by batch and never holds every output;
* :class:`Metric`, to give either one a direction (``"max"`` or ``"min"``).

The direction of a metric without one is inferred from its name (:func:`infer_direction`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tunecraft._validation import Interval, check

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["Metric", "f1_score", "infer_direction", "mae", "r2_score", "rmse", "roc_auc",
           "top_k_accuracy"]

Direction = Literal["max", "min"]
_MAX = ("acc", "f1", "auc", "precision", "recall", "r2", "top", "map", "iou", "dice", "bleu",
        "rouge", "score", "kappa", "mcc")
_MIN = ("loss", "error", "err", "mse", "mae", "rmse", "perplexity", "ppl", "nll", "wer",
        "cer", "brier", "regret")


def infer_direction(name: str) -> Direction:
    """``"min"`` for names that read as a loss or an error (``loss``, ``mae``, ``wer``...),
    ``"max"`` for scores (``accuracy``, ``f1``, ``auc``, ``r2``, ``top5``...).

    Raises:
        ValueError: when the name says neither; give the direction explicitly.
    """
    key = name.lower()
    for word in _MIN:
        if word in key:
            return "min"
    for word in _MAX:
        if word in key:
            return "max"
    raise ValueError(f"cannot tell whether metric {name!r} is maximised or minimised; wrap "
                     f"it as Metric(fn, direction='max' or 'min'), or set "
                     "TrainConfig(direction=...)")


@dataclass(frozen=True)
class Metric:
    """A validation metric with its direction (None: inferred from its name).

    ``fn`` is a callable ``(outputs, targets) -> float`` over the concatenated validation set,
    or a streaming object with ``update``/``compute`` (see the module docstring).
    """

    fn: Any
    direction: Direction | None = None

    def __post_init__(self) -> None:
        if self.direction not in (None, "max", "min"):
            raise ValueError(f"direction={self.direction!r} must be 'max', 'min' or None")
        if not (callable(self.fn) or _streaming(self.fn)):
            raise TypeError(f"metric {self.fn!r} must be a callable (outputs, targets) -> "
                            "float or an object with update() and compute()")


def _streaming(obj: Any) -> bool:
    return callable(getattr(obj, "update", None)) and callable(getattr(obj, "compute", None))


def as_metrics(metrics: Mapping[str, Any] | None) -> dict[str, Metric]:
    """Normalise ``fit``'s ``metrics`` argument to named :class:`Metric` records."""
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics={metrics!r} must be a mapping name -> metric, e.g. "
                        "{'f1': tunecraft.torch.metrics.f1_score()}")
    out: dict[str, Metric] = {}
    for name, m in metrics.items():
        if name in ("loss", "accuracy"):
            raise ValueError(f"metric name {name!r} is built in (fit always measures it); "
                             "give yours another name")
        out[str(name)] = m if isinstance(m, Metric) else Metric(m)
    return out


# --------------------------------------------------------------------------- ready metrics
def _labels(targets: Tensor) -> Tensor:
    return targets.reshape(-1).long()


def top_k_accuracy(k: int = 5) -> Callable[[Tensor, Tensor], float]:
    """Share of samples whose class is among the ``k`` largest logits (``(N, C)`` outputs)."""
    check("k", k, Interval(int, 1))

    def top_k(outputs: Tensor, targets: Tensor) -> float:
        top = outputs.topk(min(k, outputs.shape[1]), dim=1).indices
        return float((top == _labels(targets)[:, None]).any(dim=1).float().mean())

    return top_k


def f1_score(average: Literal["macro", "micro"] = "macro") -> Callable[[Tensor, Tensor], float]:
    """F1 of the argmax class against integer labels, averaged over classes (``macro``: each
    class weighs the same, classes absent from both labels and predictions are skipped) or
    over samples (``micro``: equals accuracy for single-label data)."""
    if average not in ("macro", "micro"):
        raise ValueError(f"average={average!r} must be 'macro' or 'micro'")

    def f1(outputs: Tensor, targets: Tensor) -> float:
        import torch

        pred = outputs.argmax(dim=1)
        y = _labels(targets)
        n = int(max(outputs.shape[1], int(y.max()) + 1))
        tp = torch.bincount(y[pred == y], minlength=n).float()
        fp = torch.bincount(pred, minlength=n).float() - tp
        fn = torch.bincount(y, minlength=n).float() - tp
        if average == "micro":
            return float(2 * tp.sum() / (2 * tp.sum() + fp.sum() + fn.sum()))
        seen = (tp + fp + fn) > 0
        return float((2 * tp / (2 * tp + fp + fn).clamp(min=1))[seen].mean())

    return f1


def roc_auc(outputs: Tensor, targets: Tensor) -> float:
    """Binary ROC AUC (Mann-Whitney U with tied scores counted half) of a score per sample:
    a ``(N,)`` or ``(N, 1)`` logit, or the last column of ``(N, 2)`` logits."""
    import torch

    scores = outputs[:, -1] if outputs.ndim == 2 else outputs.reshape(-1)
    y = targets.reshape(-1) > 0.5
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        raise ValueError("roc_auc needs both classes among the validation targets")
    order = torch.argsort(scores.double())
    ranks = torch.empty_like(order, dtype=torch.float64)
    ranks[order] = torch.arange(1, len(order) + 1, dtype=torch.float64)
    _, inverse, counts = torch.unique(scores.double(), return_inverse=True,
                                      return_counts=True)
    sums = torch.zeros(len(counts), dtype=torch.float64).index_add_(0, inverse, ranks)
    ranks = (sums / counts)[inverse]  # average ranks of ties
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def mae(outputs: Tensor, targets: Tensor) -> float:
    """Mean absolute error."""
    return float((outputs.reshape(targets.shape) - targets).abs().mean())


def rmse(outputs: Tensor, targets: Tensor) -> float:
    """Root mean squared error."""
    return float(((outputs.reshape(targets.shape) - targets) ** 2).mean().sqrt())


def r2_score(outputs: Tensor, targets: Tensor) -> float:
    """Coefficient of determination, ``1 - SS_res / SS_tot`` over all outputs."""
    y = targets.double()
    residual = ((outputs.reshape(targets.shape).double() - y) ** 2).sum()
    total = ((y - y.mean()) ** 2).sum()
    return float(1.0 - residual / total) if float(total) > 0 else float("nan")
