"""A Keras callback that reports a monitored metric to a trial every epoch and prunes."""

from __future__ import annotations

import math
from typing import Any

from tunecraft._validation import Text, check
from tunecraft.exceptions import TrialPruned
from tunecraft.keras._load import load_keras
from tunecraft.trial import Trial

_Callback: Any = load_keras().callbacks.Callback


class TunecraftPruningCallback(_Callback):  # type: ignore[misc]
    """Report ``logs[monitor]`` to ``trial`` after each epoch; raise TrialPruned when the
    study's pruner says stop.

    The step reported is the number of epochs completed (1 after the first epoch), as in
    :func:`tunecraft.torch.fit`. ``TrialPruned`` propagates out of ``model.fit``; the study marks
    the trial PRUNED.

    Args:
        trial: The running trial.
        monitor: A key of Keras' epoch logs, e.g. ``"val_loss"`` or ``"val_accuracy"`` (give
            the model validation data for ``val_*`` keys). The study's direction must match.
    """

    def __init__(self, trial: Trial, monitor: str = "val_loss") -> None:
        super().__init__()
        check("monitor", monitor, Text("the name of a logged metric"))
        self.trial = trial
        self.monitor = monitor

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(
                f"monitor={self.monitor!r} is not in the epoch logs {sorted(logs)}; pass "
                "validation_data to fit() for val_* metrics, or monitor one of those keys"
            )
        value = float(logs[self.monitor])
        step = int(epoch) + 1
        self.trial.report(value if math.isfinite(value) else math.nan, step)
        if self.trial.should_prune():
            raise TrialPruned(f"trial {self.trial.number} pruned at epoch {step} "
                              f"({self.monitor}={value:.6g})")
