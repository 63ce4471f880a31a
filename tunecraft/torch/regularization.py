"""Regularisation knobs: dropout rate, label smoothing, gradient clipping, early stopping.

Weight decay lives in the optimizer (:func:`tunecraft.torch.optimizers.make_optimizer`).
Early stopping is a pure rule over a frozen :class:`StopState`; :class:`EarlyStopping` adds the
copy of the best weights. :func:`suggest_regularization` searches the tunable ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tunecraft._imports import require
from tunecraft._validation import Interval, Options, check
from tunecraft.exceptions import IncompatibleSpace
from tunecraft.torch._types import SuggestTrial
from tunecraft.torch.declared_space import (
    DROPOUT_RANGE,
    LABEL_SMOOTHING_RANGE,
    RegularizationSpace,
)
from tunecraft.torch.knobs import Range

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["EarlyStopping", "ModelSpaceMismatch", "RegularizationConfig", "StopRule",
           "StopState", "clip_gradients", "has_dropout", "make_loss", "set_dropout",
           "suggest_regularization"]


class ModelSpaceMismatch(IncompatibleSpace):
    """The search space sets a knob the model does not have (a dropout rate for a model
    without dropout modules).

    An :class:`~tunecraft.exceptions.IncompatibleSpace`: every trial would fail the same way,
    so ``study.optimize`` stops at the first one (even with ``catch=(Exception,)``) instead of
    recording a FAIL per trial.
    """


def has_dropout(model: nn.Module) -> bool:
    """Whether ``model`` has a dropout module whose rate :func:`set_dropout` would set."""
    require("torch")
    from torch import nn

    return any(isinstance(m, nn.modules.dropout._DropoutNd) for m in model.modules())


def set_dropout(model: nn.Module, p: float) -> int:
    """Sets the rate of every dropout module (Dropout, Dropout1d/2d/3d, AlphaDropout...).

    Returns how many modules were changed, so a model without dropout is noticed.
    """
    check("p", p, Interval(float, 0, 1, closed="left", label="a dropout rate in [0, 1)"))
    require("torch")
    from torch import nn

    count = 0
    for module in model.modules():
        if isinstance(module, nn.modules.dropout._DropoutNd):
            module.p = float(p)
            count += 1
    return count


def make_loss(
    label_smoothing: float = 0.0, *,
    kind: Literal["cross_entropy", "bce_with_logits", "mse"] = "cross_entropy",
) -> nn.Module:
    """A loss module; label smoothing uses torch's ``CrossEntropyLoss(label_smoothing=...)``.

    Smoothing mixes the one-hot target with the uniform distribution: ``(1 - e) * y + e / K``.
    It only applies to ``kind="cross_entropy"``; other kinds need ``label_smoothing=0``.
    """
    check("label_smoothing", label_smoothing, Interval(float, 0, 1, closed="left"))
    require("torch")
    from torch import nn

    if kind == "cross_entropy":
        loss: nn.Module = nn.CrossEntropyLoss(label_smoothing=float(label_smoothing))
        return loss
    if kind not in ("bce_with_logits", "mse"):
        raise ValueError(f"kind={kind!r} must be 'cross_entropy', 'bce_with_logits' or 'mse'")
    if label_smoothing:
        raise ValueError(f"label_smoothing={label_smoothing!r} needs kind='cross_entropy'; "
                         f"set it to 0 for kind={kind!r}")
    return nn.BCEWithLogitsLoss() if kind == "bce_with_logits" else nn.MSELoss()


def clip_gradients(
    model_or_params: nn.Module | Iterable[Tensor], max_norm: float | None = None,
    max_value: float | None = None, *, norm_type: float = 2.0,
) -> float:
    """Clips gradients in place and returns their total norm *before* clipping.

    ``max_value`` first clamps every gradient entry to ``[-max_value, max_value]``; then
    ``max_norm`` rescales all gradients together so their total ``norm_type``-norm is at most
    ``max_norm``. The returned norm may be inf or NaN (a diverging step): log it, skip the step.
    """
    require("torch")
    import torch

    for name, limit in (("max_norm", max_norm), ("max_value", max_value)):
        check(name, limit, Interval(float, 0, closed="neither", finite=False), Options(None))
    params = [p for p in _as_params(model_or_params) if p.grad is not None]
    if not params:
        return 0.0
    grads = [p.grad for p in params if p.grad is not None]
    total = float(torch.nn.utils.get_total_norm(grads, norm_type))
    if max_value is not None:
        torch.nn.utils.clip_grad_value_(params, float(max_value))
    if max_norm is not None:
        torch.nn.utils.clip_grad_norm_(params, float(max_norm), norm_type)
    return total


def _as_params(source: nn.Module | Iterable[Tensor]) -> list[Tensor]:
    from torch import nn

    return list(source.parameters() if isinstance(source, nn.Module) else source)


# --------------------------------------------------------------------------- early stopping
@dataclass(frozen=True, slots=True)
class StopState:
    """Where an early-stopping rule stands after ``evaluations`` metric values."""

    best: float = math.nan
    best_evaluation: int = -1
    bad_evaluations: int = 0
    evaluations: int = 0
    stopped: bool = False


@dataclass(frozen=True, slots=True)
class StopRule:
    """Stop after ``patience`` evaluations in a row without an improvement over ``min_delta``.

    An improvement is ``metric < best - min_delta`` (``mode="min"``) or ``metric > best +
    min_delta`` (``"max"``). A NaN or infinite metric stops at once (training diverged).
    """

    patience: int
    min_delta: float = 0.0
    mode: Literal["min", "max"] = "min"

    def __post_init__(self) -> None:
        check("patience", self.patience, Interval(int, 0))
        check("min_delta", self.min_delta, Interval(float, 0, finite=False))
        check("mode", self.mode, Options("min", "max"))

    def improves(self, metric: float, best: float) -> bool:
        """Whether ``metric`` beats ``best`` by more than ``min_delta``."""
        if math.isnan(best):
            return math.isfinite(metric)
        if self.mode == "min":
            return metric < best - self.min_delta
        return metric > best + self.min_delta

    def step(self, state: StopState, metric: float) -> StopState:
        """The state after one more evaluation; pure. A stopped state stays stopped."""
        if state.stopped:
            return state
        metric, n = float(metric), state.evaluations
        if not math.isfinite(metric):
            return StopState(state.best, state.best_evaluation, state.bad_evaluations + 1,
                             n + 1, True)
        if self.improves(metric, state.best):
            return StopState(metric, n, 0, n + 1, False)
        bad = state.bad_evaluations + 1
        return StopState(state.best, state.best_evaluation, bad, n + 1, bad >= self.patience)


class EarlyStopping:
    """Early stopping with a CPU copy of the best weights, restored when it stops.

    ``update(metric, model)`` returns True when training should stop; with ``restore_best``
    the best weights seen are then loaded back into ``model`` (call :meth:`restore` yourself
    when training ends without stopping). ``state`` is the frozen :class:`StopState`;
    ``state_dict``/``load_state_dict`` checkpoint it together with the best weights.
    ``patience`` counts evaluations without improvement (as in Keras and Lightning): with
    ``patience=2`` the run stops at the second evaluation in a row that fails to improve.
    """

    def __init__(self, patience: int, min_delta: float = 0.0, mode: Literal["min", "max"] =
                 "min", restore_best: bool = True) -> None:
        self.rule = StopRule(patience, min_delta, mode)
        self.restore_best = bool(restore_best)
        self.state = StopState()
        self.best_state_dict: dict[str, Any] | None = None

    @property
    def best(self) -> float:
        """The best metric so far (NaN before the first finite one)."""
        return self.state.best

    @property
    def stopped(self) -> bool:
        """Whether the rule has fired."""
        return self.state.stopped

    def update(self, metric: float, model: nn.Module | None = None) -> bool:
        """Records one evaluation; returns True when training should stop."""
        before = self.state
        self.state = self.rule.step(before, metric)
        if model is not None and self.restore_best:
            if self.state.best_evaluation != before.best_evaluation:
                self.best_state_dict = {k: v.detach().to("cpu", copy=True)
                                        for k, v in model.state_dict().items()}
            if self.state.stopped and not before.stopped:
                self.restore(model)
        return self.state.stopped

    def restore(self, model: nn.Module) -> bool:
        """Loads the best weights into ``model``; False if none were kept."""
        if self.best_state_dict is None:
            return False
        model.load_state_dict(self.best_state_dict)
        return True

    def state_dict(self) -> dict[str, Any]:
        """The rule's state and the best weights, for checkpoints."""
        from dataclasses import asdict

        return {"state": asdict(self.state), "best_state_dict": self.best_state_dict}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restores what :meth:`state_dict` saved."""
        self.state = StopState(**state["state"])
        self.best_state_dict = state["best_state_dict"]


# --------------------------------------------------------------------------- search
@dataclass(frozen=True, slots=True)
class RegularizationConfig:
    """Regularisation chosen for a trial; ``max_grad_norm=None`` means no clipping."""

    dropout: float = 0.0
    label_smoothing: float = 0.0
    weight_decay: float = 0.0
    max_grad_norm: float | None = None


def suggest_regularization(
    trial: SuggestTrial, *, dropout: Range = DROPOUT_RANGE,
    label_smoothing: Range = LABEL_SMOOTHING_RANGE, weight_decay: Range = None,
    max_grad_norm: Range = None, prefix: str = "reg",
) -> RegularizationConfig:
    """Asks ``trial`` for the regularisation knobs given as ``(low, high)`` ranges.

    A number fixes a knob, None leaves it at its default (0, or no clipping). Names:
    ``{prefix}_dropout`` and ``{prefix}_label_smoothing`` (linear), ``{prefix}_weight_decay``
    and ``{prefix}_max_grad_norm`` (log). Weight decay is off by default because
    :func:`~tunecraft.torch.optimizers.suggest_optimizer` already searches it. The knobs are
    declared in :mod:`tunecraft.torch.declared_space` (:class:`RegularizationSpace`).
    """
    space = RegularizationSpace(dropout, label_smoothing, weight_decay, max_grad_norm, prefix)
    return RegularizationConfig(**space.ask(trial))
