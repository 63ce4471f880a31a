"""A study callback that records each finished trial as one MLflow run."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tunecraft import _tracking
from tunecraft._imports import require
from tunecraft._validation import Options, Text, check
from tunecraft.record import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tunecraft.study.study import Study

_STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.PRUNED: "KILLED",
           TrialState.FAIL: "FAILED"}
STUDY_TAG, TRIAL_TAG, STATE_TAG, ROLE_TAG = ("tunecraft.study", "tunecraft.trial",
                                             "tunecraft.state", "tunecraft.role")
_PARENT_TAG = "mlflow.parentRunId"
_BATCH = 100  # MLflow takes at most 100 params, 1000 metrics per log_batch call


def _ms(when: Any) -> int | None:
    return None if when is None else int(when.timestamp() * 1000)


class MLflowCallback:
    """Record every finished trial as one MLflow run: ``study.optimize(..., callbacks=[cb])``.

    A run holds the trial's parameters, its final value(s) as metrics, its reports as the
    step metric ``intermediate_value`` (one point per ``trial.report`` step), tags naming the
    study, the trial number and its state, the trial's user attributes (tags
    ``user_attr.<key>``) and its fail reason, and the trial's start and end times. The run's
    status is FINISHED for COMPLETE trials, KILLED for PRUNED ones and FAILED for FAIL ones.
    The study is the experiment (created when missing); with ``parent_run=True`` the trials
    are also nested under one parent run per study, found again by its tags when the study
    is continued later or from another process.

    The callback runs where ``optimize`` collects results (the driver process for worker
    processes, Dask and Ray), talks to MLflow through an ``MlflowClient`` (never the global
    active run, so it does not disturb runs the objective starts itself), and is safe to
    share between threads. An MLflow error propagates and stops ``optimize``; the trials
    already finished stay in the study's storage.

    Args:
        tracking_uri: Where MLflow records: ``"sqlite:///mlruns.db"``, ``"http://host:5000"``
            (a tracking server), ...; None for MLflow's default (``MLFLOW_TRACKING_URI``).
        experiment: The experiment's name; default the study's name.
        metric_names: Name of the final value; one name per objective, or one name that is
            suffixed ``_0``, ``_1``... in a multi-objective study.
        parent_run: Nest the trials' runs under one run for the study.
        tags: Extra tags for every trial's run.
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str | None = None, *,
                 metric_names: str | Sequence[str] = "value", parent_run: bool = False,
                 tags: Mapping[str, str] | None = None) -> None:
        check("experiment", experiment, Text("a non-empty name"),
              Options(None, note="the study's name"))
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.metric_names = _tracking.check_metric_names(metric_names)
        self.parent_run = bool(parent_run)
        self.tags = {str(k): str(v) for k, v in (tags or {}).items()}
        self._lock = threading.Lock()
        self._client: Any = None
        self._experiments: dict[str, str] = {}  # experiment name -> id
        self._parents: dict[str, str] = {}  # study name -> parent run id

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            self._record(study, trial)

    # ------------------------------------------------------------------ MLflow calls
    def _record(self, study: Study, trial: FrozenTrial) -> None:
        entities = require("mlflow.entities", "mlflow")
        client = self.client
        experiment_id = self._experiment_id(self.experiment or study.study_name)
        tags = {**self.tags, STUDY_TAG: study.study_name, TRIAL_TAG: str(trial.number),
                STATE_TAG: trial.state.name,
                "tunecraft.direction": ",".join(d.name for d in study.directions)}
        if self.parent_run:
            tags[_PARENT_TAG] = self._parent_id(experiment_id, study.study_name)
        tags.update({f"user_attr.{k}": _text(v) for k, v in trial.user_attrs.items()})
        if trial.fail_reason:
            tags["tunecraft.fail_reason"] = _text(trial.fail_reason)
        run = client.create_run(experiment_id, start_time=_ms(trial.datetime_start), tags=tags,
                                run_name=f"trial-{trial.number}")
        run_id = run.info.run_id
        end = _ms(trial.datetime_complete) or int(time.time() * 1000)
        metrics = [entities.Metric(name, value, end, step)
                   for name, points in _tracking.curves(trial, len(study.directions)).items()
                   for step, value in points]
        if trial.values is not None:
            names = _tracking.value_names(self.metric_names, len(trial.values))
            step = _tracking.final_step(trial)
            metrics += [entities.Metric(n, float(v), end, step)
                        for n, v in zip(names, trial.values, strict=True)]
        params = [entities.Param(k, _text(v, 6000)) for k, v in trial.params.items()]
        for i in range(0, max(len(params), len(metrics)), _BATCH):
            client.log_batch(run_id, metrics=metrics[i:i + _BATCH],
                             params=params[i:i + _BATCH])
        client.set_terminated(run_id, status=_STATUS.get(trial.state, "FAILED"), end_time=end)
        if self.parent_run:  # the study's run ends with its latest trial
            client.set_terminated(tags[_PARENT_TAG], status="FINISHED", end_time=end)

    @property
    def client(self) -> Any:
        """The ``mlflow.MlflowClient`` the callback records with (made on first use)."""
        if self._client is None:
            mlflow = require("mlflow", "mlflow")
            self._client = mlflow.MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def _experiment_id(self, name: str) -> str:
        if name not in self._experiments:
            found = self.client.get_experiment_by_name(name)
            if found is None:
                try:
                    self._experiments[name] = self.client.create_experiment(name)
                except Exception:  # created meanwhile by another process: use that one
                    found = self.client.get_experiment_by_name(name)
                    if found is None:
                        raise
            if found is not None:
                self._experiments[name] = found.experiment_id
        return self._experiments[name]

    def _parent_id(self, experiment_id: str, study_name: str) -> str:
        if study_name not in self._parents:
            runs = self.client.search_runs(
                [experiment_id], max_results=1, order_by=["attributes.start_time ASC"],
                filter_string=f"tags.`{ROLE_TAG}` = 'study' and "
                              f"tags.`{STUDY_TAG}` = '{_quoted(study_name)}'")
            if runs:
                self._parents[study_name] = runs[0].info.run_id
            else:
                run = self.client.create_run(experiment_id, run_name=study_name,
                                             tags={ROLE_TAG: "study", STUDY_TAG: study_name})
                self._parents[study_name] = run.info.run_id
        return self._parents[study_name]

    def __repr__(self) -> str:
        return (f"MLflowCallback(tracking_uri={self.tracking_uri!r}, "
                f"experiment={self.experiment!r}, parent_run={self.parent_run})")


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _text(value: Any, limit: int = 8000) -> str:
    """``value`` as MLflow stores tags and params: a string, cut to the length it accepts."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
