"""The epoch loop of one :func:`tunecraft.torch.fit` call.

Trains an epoch, evaluates, reports the monitored metric to the trial and obeys its pruner
(saving a checkpoint when the trial is paused), and stops on early stopping, a callback or
divergence; a diverged run is scored as described in :func:`~tunecraft.torch.fit`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tunecraft.decision import Decision
from tunecraft.torch._loop import Guard, Hooks, Precision, evaluate_batches, train_epoch
from tunecraft.torch._trial import TrialAdapter
from tunecraft.torch.callbacks import Callback, TrainState
from tunecraft.torch.fit_result import EpochStats
from tunecraft.torch.regularization import EarlyStopping
from tunecraft.torch.resume import dumps
from tunecraft.torch.train_config import TrainConfig

__all__ = ["FitRun"]


@dataclass
class FitRun:
    """The epoch loop of one :func:`~tunecraft.torch.fit` call and its divergence handling."""

    model: Any
    train_b: Any
    val_b: Any
    hooks: Hooks
    val_hooks: Hooks
    precision: Precision
    metrics: Mapping[str, Any]
    config: TrainConfig
    direction: str
    accumulation: int
    callbacks: Sequence[Callback]
    state: TrainState
    stopper: EarlyStopping
    trial: TrialAdapter | None
    dev: Any
    diverge_factor: float | None
    doctor: Any = None  # a doctor._fit.FitDoctor with fit(doctor=True)

    def epochs(self, resumed_at: int, max_epochs: int, use_ckpt: bool,
               saved_state: dict[str, Any]) -> tuple[str, str | None]:
        """Train; ``(stop_reason, why it diverged or None)``."""
        st, opt = self.state, self.state.optimizer
        guard = Guard(self.diverge_factor, 1 if self.dev.type == "cpu" else 16)
        if self.doctor is not None and self.trial is not None and resumed_at == 0:
            self.doctor.watch_first_epoch(self.trial, math.ceil(
                len(self.train_b) / self.accumulation))
        for epoch in range(resumed_at + 1, max_epochs + 1):
            st.epoch = epoch
            mean_train, bad = train_epoch(self.model, self.train_b, opt, st.scheduler,
                                          self.hooks, self.config.grad_clip, self.precision,
                                          self.accumulation, self.callbacks, st, guard)
            lr = float(opt.param_groups[0]["lr"])
            if bad is not None:
                st.history.append(EpochStats(epoch, math.nan, math.nan, None, lr))
                if self.doctor is not None:
                    self.doctor.on_epoch(st.history[-1], None)
                return "diverged", f"{bad} (epoch {epoch})"
            if self.val_b is None:  # a refit: nothing to evaluate, report or stop on
                st.history.append(EpochStats(epoch, mean_train, math.nan, None, lr))
                if self.doctor is not None:
                    self.doctor.on_epoch(st.history[-1], None)
                if self._callbacks_stop():
                    return "callback", None
                continue
            mean_val, accuracy, values = self.evaluate()
            metric = self.pick(mean_val, accuracy, values)
            st.history.append(EpochStats(epoch, mean_train, mean_val, accuracy, lr, values))
            if self.doctor is not None:  # before the report: the pruner reads it
                self.doctor.on_epoch(st.history[-1], self.trial)
            if not (math.isfinite(mean_val) and math.isfinite(metric)):
                return "diverged", (f"in epoch {epoch} the validation loss is {mean_val} and "
                                    f"{self.config.metric} is {metric}")
            self._report(metric, epoch, use_ckpt, saved_state)
            stopped = self.stopper.update(metric, self.model)
            if self._callbacks_stop():
                return "callback", None
            if stopped:
                return "early_stopping", None
        return "max_epochs", None

    def _callbacks_stop(self) -> bool:
        for cb in self.callbacks:
            cb.on_epoch_end(self.state)
        return self.state.stop

    def evaluate(self) -> tuple[float, float | None, dict[str, float]]:
        return evaluate_batches(self.model, self.val_b, self.val_hooks, self.precision,
                                self.metrics)

    def pick(self, mean_val: float, accuracy: float | None, values: dict[str, float]) -> float:
        """The monitored metric's value."""
        name = self.config.metric
        if name == "loss":
            return mean_val
        if name == "accuracy":
            if accuracy is None:
                raise ValueError("config.metric='accuracy' but accuracy does not apply to "
                                 "these outputs and targets (it needs class-index targets "
                                 "with logits, or loss='bce_with_logits'); use metric='loss' "
                                 "or give fit(metrics=...)")
            return accuracy
        return values[name]

    def _report(self, metric: float, epoch: int, use_ckpt: bool,
                saved_state: dict[str, Any]) -> None:
        if self.trial is None:
            return
        self.trial.report(metric, epoch)
        decision = self.trial.decide()
        if decision is Decision.CONTINUE:
            return
        paused = decision is Decision.PAUSE
        if paused and use_ckpt:
            self.trial.trial.save_checkpoint(dumps(
                epoch=epoch, history=self.state.history, config=self.config, **saved_state),
                epoch)
        raise self.trial.pruned(f"trial {self.trial.number} {'paused' if paused else 'pruned'} "
                                f"at epoch {epoch} (val {self.config.metric}={metric:.6g})")

    def diverged(self, why: str, initial: dict[str, Any], best: float) -> tuple[float, int]:
        """The value and epoch of a diverged run (see :func:`~tunecraft.torch.fit`); records
        the reason."""
        epoch = self.state.history[-1].epoch
        if self.trial is not None:
            self.trial.note("diverged", why)
        if math.isfinite(best):
            self.stopper.restore(self.model)
            return best, self.stopper.state.best_evaluation + 1
        self.model.load_state_dict(initial)
        if self.val_b is None:
            return math.nan, 0
        mean_val, accuracy, values = self.evaluate()
        try:
            value = self.pick(mean_val, accuracy, values)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):  # even the untrained model scores NaN: the worst
            value = -math.inf if self.direction == "max" else math.inf
        if self.trial is not None:
            self.trial.report(value, epoch)
        return value, 0
