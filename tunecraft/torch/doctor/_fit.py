"""How :func:`tunecraft.torch.fit` runs the doctor: optimizer step hooks for gradients and
updates, the step loss from the trainer's state, and the diagnosis written on the trial
(user attribute ``diagnosis``) every epoch, before the pruner is asked.

Sub-epoch decisions: a run that diverges, dies or does not learn at all shows it within its
first epoch, where an epoch-end decision would spend the whole epoch on it. So in the first
epoch the diagnosis is also written, with the training loss's progress (``"substep"``), at
:data:`SUBSTEPS` of the epoch's optimizer steps, and the trial's pruner is asked then. Before
its first report no epoch-based pruner (Hyperband's rungs, the median rule) has anything to
judge, so this adds no decision to their step accounting;
:class:`~tunecraft.pruners.DiagnosisPruner` judges these diagnoses when its
``substep_progress`` is set (``tunecraft.pruners._substep``; off by default).
"""

from __future__ import annotations

import math
from typing import Any

from tunecraft.decision import Decision
from tunecraft.torch.callbacks import Callback, TrainState
from tunecraft.torch.doctor.diagnosis import Diagnosis
from tunecraft.torch.doctor.instruments import Doctor

__all__ = ["DIAGNOSIS_ATTR", "SUBSTEPS", "FitDoctor"]

DIAGNOSIS_ATTR = "diagnosis"
"""The trial user attribute holding ``Diagnosis.to_dict()`` (read by ``DiagnosisPruner``)."""
SUBSTEPS = (0.5,)
"""Fractions of the first epoch's optimizer steps after which the pruner is asked (half:
a quarter pruned a digits MLP whose first steps rewrote its weights, which then reached
0.82, benchmarks/results/issue-15.md, section 14)."""


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
        self._trial: Any = None
        self._checks: list[int] = []
        self._per_epoch = 0
        self._losses: list[Any] = []

    def watch_first_epoch(self, trial: Any, steps_per_epoch: int) -> None:
        """Ask ``trial`` (a ``TrialAdapter``) to decide at :data:`SUBSTEPS` of the first
        epoch's ``steps_per_epoch`` optimizer steps (none for an epoch of under 4 steps)."""
        self._trial, self._per_epoch = trial, int(steps_per_epoch)
        self._checks = sorted({round(f * steps_per_epoch) for f in SUBSTEPS} - {0}) \
            if steps_per_epoch >= 4 else []

    def on_step_end(self, state: TrainState) -> None:
        """The trainer's step loss (after the optimizer step); in the first epoch, the
        sub-epoch decisions."""
        self.doctor.record_loss(state.loss)
        if not self._checks or state.epoch != 1:
            return
        self._losses.append(state.loss)
        if state.step == self._checks[0]:
            self._checks.pop(0)
            self._decide(state.step)

    def _decide(self, step: int) -> None:
        """Write the diagnosis so far, with the loss's progress, and obey the pruner."""
        import torch

        kept = [v.detach().float().reshape(()) for v in self._losses if v is not None]
        if not kept:
            return
        losses = torch.stack(kept).cpu().tolist()  # one device-to-host copy
        recent = sorted(losses[-max(1, len(losses) // 4):])  # the last quarter's median
        data = self.doctor.diagnose().to_dict()
        data["substep"] = {"step": step, "steps_per_epoch": self._per_epoch,
                           "first_loss": losses[0], "recent_loss": recent[len(recent) // 2]}
        self._trial.note(DIAGNOSIS_ATTR, data)
        if self._trial.decide() is Decision.PRUNE:  # PAUSE needs an epoch to resume from
            raise self._trial.pruned(
                f"trial {self._trial.number} pruned after {step} of the first epoch's "
                f"{self._per_epoch} steps on its diagnosis")

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
