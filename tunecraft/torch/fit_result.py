"""What :func:`tunecraft.torch.fit` returns: each epoch's statistics and the run's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EpochStats", "FitResult"]


@dataclass(frozen=True, slots=True)
class EpochStats:
    """One epoch: mean training loss, validation loss and accuracy, the learning rate at its
    end and the user metrics (``val_accuracy`` is None when accuracy does not apply, e.g.
    ``loss="mse"``; without ``val`` data, ``val_loss`` is NaN and ``val_accuracy`` None)."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float | None
    lr: float
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        model: The trained model, holding the weights of its best epoch (the untrained
            weights when the run diverged before any finite epoch).
        metric: The monitored metric's name (``config.metric``).
        best_metric: Its best validation value; return it from the objective. Finite for a
            run that diverged (see :func:`fit`); NaN only without validation data.
        best_epoch: The epoch (1-based) of ``best_metric``; 0 when there is none.
        epochs: Epochs run.
        stop_reason: ``max_epochs``, ``early_stopping``, ``diverged`` or ``callback``.
        history: Per-epoch statistics.
        device: Where it trained; ``mixed_precision``: whether autocast was on.
        seconds: Wall-clock time of the run.
        resumed_at: Epochs loaded from the checkpoint of a paused trial (0: trained from the
            start); ``epochs - resumed_at`` were trained in this call.
        precision: ``fp32``, ``fp16`` or ``bf16``.
        direction: ``max`` or ``min``: how ``best_metric`` is compared.
        diverged: Why the run stopped as diverged (None when it did not).
        diagnosis: With ``fit(doctor=True)``, the training doctor's
            :class:`~tunecraft.torch.doctor.Diagnosis` of the run (else None).
    """

    model: Any
    metric: str
    best_metric: float
    best_epoch: int
    epochs: int
    stop_reason: str
    history: tuple[EpochStats, ...]
    device: str
    mixed_precision: bool
    seconds: float
    resumed_at: int = 0
    precision: str = "fp32"
    direction: str = "max"
    diverged: str | None = None
    diagnosis: Any = None  # a tunecraft.torch.doctor.Diagnosis with fit(doctor=True)
