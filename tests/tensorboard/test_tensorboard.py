"""TensorBoardCallback: every trial is a run with an HParams session and its curves, read back
with TensorBoard's own event reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing import event_accumulator  # noqa: E402
from tensorboard.plugins.hparams import api_pb2, metadata  # noqa: E402

import tunecraft  # noqa: E402
from tests._pruners import PruneThirdTrials  # noqa: E402
from tunecraft import TrialState  # noqa: E402
from tunecraft.samplers import RandomSampler  # noqa: E402
from tunecraft.tensorboard import TensorBoardCallback  # noqa: E402


def objective(trial: tunecraft.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    act = trial.suggest_categorical("activation", [None, "relu", "tanh"])
    layers = trial.suggest_int("layers", 1, 4)
    if trial.number % 3 == 2:
        raise RuntimeError("diverged")
    for step in range(1, 5):
        trial.report(x * x / step + layers, step)
        if trial.should_prune():
            raise tunecraft.TrialPruned()
    return x * x + layers + (act is None)


def read(run_dir: Path) -> Any:
    acc = event_accumulator.EventAccumulator(str(run_dir), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def test_every_trial_is_a_run_with_hparams_and_curves(tmp_path: Path) -> None:
    callback = TensorBoardCallback(tmp_path / "tb")
    study = tunecraft.create_study(pruner=PruneThirdTrials(), sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=6, callbacks=[callback], catch=(RuntimeError,))
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL] * 2

    runs = sorted(p.name for p in (tmp_path / "tb").iterdir())
    assert runs == [f"trial-{n:04d}" for n in range(6)]
    for trial in study.trials:
        acc = read(tmp_path / "tb" / f"trial-{trial.number:04d}")
        content = acc.PluginTagToContent(metadata.PLUGIN_NAME)
        start = metadata.parse_session_start_info_plugin_data(
            content[metadata.SESSION_START_INFO_TAG])
        hparams = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind"))
                   for k, v in start.hparams.items()}
        assert hparams["x"] == pytest.approx(trial.params["x"])
        assert hparams["layers"] == trial.params["layers"]
        assert hparams["activation"] == str(trial.params["activation"])  # mixed choices
        assert start.group_name == f"trial-{trial.number}"
        end = metadata.parse_session_end_info_plugin_data(content[metadata.SESSION_END_INFO_TAG])
        assert end.status == {TrialState.COMPLETE: api_pb2.Status.STATUS_SUCCESS,
                              TrialState.PRUNED: api_pb2.Status.STATUS_UNKNOWN,
                              TrialState.FAIL: api_pb2.Status.STATUS_FAILURE}[trial.state]

        curve = [(e.step, e.value) for e in acc.Scalars("intermediate_value")] if (
            trial.intermediate_values) else []
        assert curve == [(s, pytest.approx(v)) for s, v in
                         sorted(trial.intermediate_values.items())]
        tags = acc.Tags()["scalars"]
        if trial.state is TrialState.COMPLETE:
            (final,) = acc.Scalars("value")
            assert (final.step, final.value) == (4, pytest.approx(trial.value))
        elif trial.value is not None:  # PRUNED keeps its last report as its value (as in Optuna)
            assert trial.state is TrialState.PRUNED
            (final,) = acc.Scalars("value")
            assert final.value == pytest.approx(trial.value)
        else:
            assert "value" not in tags
        if trial.state is TrialState.FAIL:
            assert tags == []  # no report, no value: the session alone


def test_multi_objective_names_each_value_and_curve(tmp_path: Path) -> None:
    def two(trial: tunecraft.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.report((x, 1 - x), 1)
        return x, 1 - x

    callback = TensorBoardCallback(tmp_path, metric_names=["accuracy", "latency"])
    study = tunecraft.create_study(directions=["maximize", "minimize"],
                                   sampler=RandomSampler(seed=0))
    study.optimize(two, n_trials=2, callbacks=[callback])
    acc = read(Path(callback.run_dir(1)))
    assert sorted(acc.Tags()["scalars"]) == ["accuracy", "intermediate_value_0",
                                             "intermediate_value_1", "latency"]
    x = study.trials[1].params["x"]
    assert acc.Scalars("latency")[0].value == pytest.approx(1 - x)
    with pytest.raises(ValueError, match="3 names but the study has 2 objectives"):
        TensorBoardCallback(tmp_path, metric_names=["a", "b", "c"])(study, study.trials[0])
