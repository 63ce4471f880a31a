"""A study callback that writes each finished trial as a TensorBoard run: an HParams session
with the trial's parameters, and its learning curve and final value(s) as scalars."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tunecraft import _tracking
from tunecraft._imports import require
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Categorical

if TYPE_CHECKING:
    from tunecraft.study.study import Study

_HPARAM_TYPES = (bool, int, float, str)


def _seconds(when: Any) -> float:
    return time.time() if when is None else float(when.timestamp())


def hparam_values(trial: FrozenTrial) -> dict[str, bool | int | float | str]:
    """The trial's parameters as HParams values: categorical choices that are not all of one
    bool/int/float/str type (``[None, "relu"]``, ``[1, "a"]``) become strings, so one
    hyperparameter never mixes types across sessions."""
    out: dict[str, bool | int | float | str] = {}
    for name, value in trial.params.items():
        dim = trial.distributions.get(name)
        if isinstance(dim, Categorical):
            kinds = {type(c) for c in dim.choices}
            if len(kinds) != 1 or not kinds <= set(_HPARAM_TYPES):
                out[name] = str(value)
                continue
        out[name] = value if isinstance(value, _HPARAM_TYPES) else repr(value)
    return out


class TensorBoardCallback:
    """Write every finished trial under ``log_dir/trial-<number>``: ``study.optimize(...,
    callbacks=[cb])``, then ``tensorboard --logdir log_dir``.

    Each trial's run holds an HParams plugin session (its parameters, start and end times,
    and status: SUCCESS for COMPLETE, FAILURE for FAIL, UNKNOWN for PRUNED, which the HParams
    dashboard can filter on), the scalar ``intermediate_value`` at every reported step (its
    learning curve; ``intermediate_value_<i>`` per objective in a multi-objective study) and
    the final value(s) under ``metric_names`` at the last step. The HParams dashboard lists
    the sessions with both scalars as metric columns, so pruned trials are compared on their
    curves. The hyperparameters' domains are inferred by TensorBoard from the sessions, so
    a define-by-run space may grow during the study. Only TensorBoard's own protobufs and
    event writer are used: no TensorFlow, no torch.

    Args:
        log_dir: Directory of the runs (created when missing).
        metric_names: Name of the final value; one name per objective, or one name suffixed
            ``_0``, ``_1``... in a multi-objective study.
    """

    def __init__(self, log_dir: str | os.PathLike[str], *,
                 metric_names: str | Sequence[str] = "value") -> None:
        self.log_dir = os.fspath(log_dir)
        self.metric_names = _tracking.check_metric_names(metric_names)
        self._lock = threading.Lock()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            self._write(trial, len(study.directions))

    def run_dir(self, number: int) -> str:
        """The directory of trial ``number``'s run."""
        return os.path.join(self.log_dir, f"trial-{number:04d}")

    def _write(self, trial: FrozenTrial, n_objectives: int) -> None:
        require("tensorboard", "tensorboard")
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2, summary_v2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        start, end = _seconds(trial.datetime_start), _seconds(trial.datetime_complete)
        events = [event_pb2.Event(wall_time=start, step=0, summary=summary_v2.hparams_pb(
            hparam_values(trial), trial_id=f"trial-{trial.number}", start_time_secs=start))]
        points = _tracking.curves(trial, n_objectives)
        if trial.values is not None:
            names = _tracking.value_names(self.metric_names, len(trial.values))
            step = _tracking.final_step(trial)
            for name, value in zip(names, trial.values, strict=True):
                points.setdefault(name, []).append((step, float(value)))
        for tag, series in points.items():
            events += [event_pb2.Event(wall_time=end, step=step, summary=summary_pb2.Summary(
                value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]))
                for step, value in series]
        status = {TrialState.COMPLETE: api_pb2.Status.STATUS_SUCCESS,
                  TrialState.FAIL: api_pb2.Status.STATUS_FAILURE}.get(
            trial.state, api_pb2.Status.STATUS_UNKNOWN)
        end_info = plugin_data_pb2.HParamsPluginData(
            session_end_info=plugin_data_pb2.SessionEndInfo(status=status, end_time_secs=end))
        end_summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag=metadata.SESSION_END_INFO_TAG, tensor=metadata.NULL_TENSOR,
            metadata=metadata.create_summary_metadata(end_info))])
        events.append(event_pb2.Event(wall_time=end, step=0, summary=end_summary))
        writer = EventFileWriter(self.run_dir(trial.number))
        try:
            for event in events:
                writer.add_event(event)
        finally:
            writer.close()

    def __repr__(self) -> str:
        return f"TensorBoardCallback({self.log_dir!r})"
