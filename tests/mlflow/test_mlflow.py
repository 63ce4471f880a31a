"""MLflowCallback against real MLflow backends: a SQLite backend store, and a tracking server
process started (and stopped) by the test."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

import tunecraft  # noqa: E402
from tests._pruners import PruneThirdTrials  # noqa: E402
from tunecraft import TrialState  # noqa: E402
from tunecraft.mlflow import MLflowCallback  # noqa: E402
from tunecraft.samplers import RandomSampler  # noqa: E402

# MLflow's SQL store uses an option SQLAlchemy 2.1 deprecates: theirs to fix, not ours
pytestmark = pytest.mark.filterwarnings(
    "ignore:The ``noload`` loader strategy is deprecated:DeprecationWarning")

STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.PRUNED: "KILLED",
          TrialState.FAIL: "FAILED"}


def objective(trial: tunecraft.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    trial.set_user_attr("device", "cpu")
    if trial.number % 3 == 2:
        raise RuntimeError("diverged")
    for step in range(1, 5):
        trial.report(math.log10(lr) / step, step)
        if trial.should_prune():
            raise tunecraft.TrialPruned()
    return -math.log10(lr) + (optimizer == "sgd")


def run_study(callback: MLflowCallback, name: str) -> tunecraft.Study:
    study = tunecraft.create_study(study_name=name, pruner=PruneThirdTrials(),
                                   sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=6, callbacks=[callback], catch=(RuntimeError,))
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL] * 2
    return study


def check_runs(client: Any, study: tunecraft.Study, experiment: str) -> list[Any]:
    """Every trial is one run of the experiment, with its params, values, curve and state."""
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=100)
    trial_runs = {int(r.data.tags["tunecraft.trial"]): r for r in runs
                  if "tunecraft.trial" in r.data.tags}
    assert sorted(trial_runs) == [t.number for t in study.trials]
    for trial in study.trials:
        run = trial_runs[trial.number]
        assert run.info.run_name == f"trial-{trial.number}"
        assert run.info.status == STATUS[trial.state]
        assert run.data.tags["tunecraft.state"] == trial.state.name
        assert run.data.tags["tunecraft.study"] == study.study_name
        assert run.data.tags["user_attr.device"] == "cpu"
        assert run.data.params == {"lr": repr(trial.params["lr"]),
                                   "optimizer": trial.params["optimizer"]}
        history = client.get_metric_history(run.info.run_id, "intermediate_value")
        assert [(m.step, m.value) for m in history] == [
            (s, pytest.approx(v)) for s, v in sorted(trial.intermediate_values.items())]
        if trial.value is not None:  # COMPLETE, or PRUNED with its last report (as in Optuna)
            assert trial.state in (TrialState.COMPLETE, TrialState.PRUNED)
            assert run.data.metrics["value"] == pytest.approx(trial.value)
        else:
            assert "value" not in run.data.metrics
        if trial.state is TrialState.FAIL:
            assert "diverged" in run.data.tags["tunecraft.fail_reason"]
        assert run.info.start_time <= run.info.end_time
    return list(runs)


def test_every_trial_is_a_run_in_a_sqlite_backend_store(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    callback = MLflowCallback(tracking_uri=uri)
    study = run_study(callback, "sqlite-study")
    client = mlflow.MlflowClient(tracking_uri=uri)
    runs = check_runs(client, study, "sqlite-study")  # the study is the experiment
    assert len(runs) == 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """A real ``mlflow server`` on a free port, stopped (its whole process group) at exit."""
    port = free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed in finally
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--default-artifact-root", str(tmp_path / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a generous bound for a loaded machine
        while True:
            if server.poll() is not None:
                pytest.fail(f"mlflow server exited with {server.returncode}: "
                            f"{(tmp_path / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("mlflow server did not answer /health; log: "
                            f"{(tmp_path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_every_trial_is_a_nested_run_on_a_tracking_server(tmp_path: Path) -> None:
    with mlflow_server(tmp_path) as url:
        callback = MLflowCallback(tracking_uri=url, experiment="tuning", parent_run=True)
        study = run_study(callback, "server-study")
        client = mlflow.MlflowClient(tracking_uri=url)
        runs = check_runs(client, study, "tuning")
        parents = [r for r in runs if r.data.tags.get("tunecraft.role") == "study"]
        assert len(parents) == 1 and parents[0].info.run_name == "server-study"
        nested = [r for r in runs if "tunecraft.trial" in r.data.tags]
        assert {r.data.tags["mlflow.parentRunId"] for r in nested} == {parents[0].info.run_id}
        # a later session of the same study finds the same parent run
        again = MLflowCallback(tracking_uri=url, experiment="tuning", parent_run=True)
        study.optimize(objective, n_trials=1, callbacks=[again], catch=(RuntimeError,))
        latest = client.search_runs([parents[0].info.experiment_id],
                                    filter_string="tags.`tunecraft.trial` = '6'")
        assert latest[0].data.tags["mlflow.parentRunId"] == parents[0].info.run_id
