"""How :func:`tunecraft.torch.fit` runs the doctor: optimizer step hooks for gradients and
updates, the step loss from the trainer's state, and the diagnosis written on the trial
(user attribute ``diagnosis``) every epoch, before the pruner is asked."""

from __future__ import annotations

import math
from typing import Any

from tunecraft.torch.callbacks import Callback, TrainState
from tunecraft.torch.doctor.diagnosis import Diagnosis
from tunecraft.torch.doctor.instruments import Doctor

__all__ = ["DIAGNOSIS_ATTR", "FitDoctor"]

DIAGNOSIS_ATTR = "diagnosis"
"""The trial user attribute holding ``Diagnosis.to_dict()`` (read by ``DiagnosisPruner``)."""


class FitDoctor(Callback):
    """A :class:`Doctor` attached to ``fit``'s model and optimizer (and, as a callback, to
    its steps); ``close`` detaches it."""

    def __init__(self, model: Any, optimizer: Any, *, metric_mode: str,
                 early_stopping: bool, every: int = 10) -> None:
        self.doctor = Doctor(model, every=every, metric_mode=metric_mode, optimizer=optimizer,
                             early_stopping=early_stopping)
        self._handles = [
            optimizer.register_step_pre_hook(lambda *_: self.doctor.record_gradients()),
            optimizer.register_step_post_hook(lambda *_: self.doctor.after_step()),
        ]

    def on_step_end(self, state: TrainState) -> None:
        """The trainer's step loss (after the optimizer step)."""
        self.doctor.record_loss(state.loss)

    def on_epoch(self, stats: Any, trial: Any) -> Diagnosis | None:
        """Record an epoch (``EpochStats``) and write the diagnosis on the trial (without a
        trial nothing reads it before ``close``: no diagnosis is computed)."""
        metric = stats.val_accuracy if self.doctor.metric_mode == "max" else stats.val_loss
        if stats.metrics and not (metric is not None and math.isfinite(metric)):
            metric = next(iter(stats.metrics.values()))
        self.doctor.end_epoch(train_loss=_finite(stats.train_loss),
                              val_loss=_finite(stats.val_loss), val_metric=_finite(metric))
        if trial is None:
            return None
        diagnosis = self.doctor.diagnose()
        trial.note(DIAGNOSIS_ATTR, diagnosis.to_dict())
        return diagnosis

    def close(self) -> Diagnosis:
        """Remove every hook and return the final diagnosis."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.doctor.close()
        return self.doctor.diagnose()


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
