"""A Hugging Face ``TrainerCallback`` that reports every evaluation during training to a trial
and stops the Trainer when the study's pruner says so."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunecraft._imports import require
from tunecraft._validation import InstanceOf, Text, check
from tunecraft.exceptions import TrialPruned
from tunecraft.trial import Trial

_TrainerCallback: Any = require("transformers", "transformers").TrainerCallback

Metric = str | Callable[[Mapping[str, float]], "float | Sequence[float]"]


class PruningCallback(_TrainerCallback):  # type: ignore[misc]
    """Report ``metrics[metric]`` of each evaluation run during ``trainer.train()`` to
    ``trial`` at step ``state.global_step``, and stop pruned trials.

    When the pruner says stop, the callback sets ``control.should_training_stop``: the
    Trainer leaves its loop after this evaluation and finishes as usual (final logs, best
    model loading, every callback's ``on_train_end``, so reporting integrations close their
    runs). Then, in its own ``on_train_end``, the callback raises ``TrialPruned`` and the
    study records the trial PRUNED. Callbacks passed to ``Trainer(callbacks=[...])`` run
    after the built-in ones, so only callbacks added after this one miss ``on_train_end``;
    pass ``raise_pruned=False`` and call :meth:`check_pruned` after ``trainer.train()`` to
    let every callback finish first.

    Evaluations outside ``train()`` (a final ``trainer.evaluate()``) are not reported.

    Args:
        trial: The running trial.
        metric: A key of the evaluation metrics (``"eval_loss"``, or ``"eval_" + name`` for
            what ``compute_metrics`` returns), or a function of the metrics dict returning the
            value to report (one value per objective in a multi-objective study).
        raise_pruned: Raise ``TrialPruned`` at the end of a pruned ``train()``; with False,
            only stop training and leave the raise to :meth:`check_pruned`.
    """

    def __init__(self, trial: Trial, metric: Metric = "eval_accuracy", *,
                 raise_pruned: bool = True) -> None:
        super().__init__()
        check("trial", trial, InstanceOf(Trial, "the tunecraft.Trial given to the objective"))
        check("metric", metric, Text("the name of an evaluation metric (e.g. 'eval_accuracy')"),
              InstanceOf(Callable, "a function of the metrics dict"))
        self.trial = trial
        self.metric = metric
        self.raise_pruned = bool(raise_pruned)
        self.pruned_at: int | None = None
        self.last_value: float | Sequence[float] | None = None
        self._training = False

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if getattr(args, "world_size", 1) > 1:
            raise RuntimeError(
                "tunecraft.transformers.PruningCallback reports from the one process that "
                f"runs the study, but this Trainer has world_size={args.world_size}; tune "
                "with one process per trial (one or more GPUs through DataParallel)")
        self.pruned_at = None
        self.last_value = None
        self._training = True

    def on_evaluate(self, args: Any, state: Any, control: Any,
                    metrics: Mapping[str, float] | None = None, **kwargs: Any) -> None:
        if not self._training:
            return
        value = self._value(metrics or {})
        step = int(state.global_step)
        self.last_value = value
        resumed = self.trial.resumed_from
        if resumed is not None and step <= resumed.step:
            return
        self.trial.report(value, step)
        if self.trial.should_prune():
            self.pruned_at = step
            control.should_training_stop = True

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._training = False
        if self.raise_pruned:
            self.check_pruned()

    def check_pruned(self) -> None:
        """Raise ``TrialPruned`` if the last ``train()`` was stopped by the pruner."""
        if self.pruned_at is not None:
            raise TrialPruned(f"trial {self.trial.number} pruned at step {self.pruned_at}")

    def _value(self, metrics: Mapping[str, float]) -> float | Sequence[float]:
        value: Any
        if callable(self.metric):
            value = self.metric(metrics)
        elif self.metric in metrics:
            value = metrics[self.metric]
        else:
            raise ValueError(
                f"metric={self.metric!r} is not among the evaluation metrics {sorted(metrics)}; "
                "names from compute_metrics get the 'eval_' prefix (e.g. 'eval_accuracy')")
        if isinstance(value, (list, tuple)):
            return [_finite(v) for v in value]
        return _finite(value)


def _finite(value: Any) -> float:
    f = float(value)
    return f if math.isfinite(f) else math.nan
