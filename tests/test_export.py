"""Trials as tables: pandas DataFrames, CSV and JSON files."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import tunecraft
from tunecraft import TrialPruned, TrialState, create_study
from tunecraft.export import trial_dict, trial_row
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.study import Study


def finished_study(directions: tuple[str, ...] = ("minimize",)) -> Study:
    study = create_study(sampler=RandomSampler(seed=0), pruner=NopPruner(),
                         directions=list(directions), study_name="exported")

    def objective(trial: tunecraft.Trial) -> Any:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("meta", {"tags": ["a", "b"], "n": trial.number})
        if trial.number == 1:
            trial.suggest_categorical("opt", [None, "adam"])
            if len(directions) == 1:
                trial.report(float("nan"), step=0)
                trial.report(0.5, step=3)
            raise TrialPruned()
        if trial.number == 2:
            raise ValueError("exploded")
        return x if len(directions) == 1 else (x, -x)

    study.optimize(objective, n_trials=4, catch=(ValueError,))
    study.ask()  # one trial still RUNNING
    return study


def test_trials_dataframe() -> None:
    study = finished_study()
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == 5
    assert list(df.columns) == ["number", "value", "datetime_start", "datetime_complete",
                                "duration", "params_x", "user_attrs_meta", "state",
                                "fail_reason", "params_opt"]
    assert df["number"].tolist() == list(range(5))
    assert df["state"].tolist() == ["COMPLETE", "PRUNED", "FAIL", "COMPLETE", "RUNNING"]
    assert df.loc[0, "value"] == study.trials[0].values[0]  # type: ignore[index]
    assert df.loc[2, "fail_reason"] == "ValueError: exploded"
    assert df.loc[0, "user_attrs_meta"] == {"tags": ["a", "b"], "n": 0}
    assert df["duration"].iloc[:4].notna().all() and pd.isna(df.loc[4, "duration"])
    assert pd.isna(df.loc[0, "params_opt"])
    assert df.loc[1, "params_opt"] == study.trials[1].params["opt"]


def test_dataframe_attrs_and_multi_objective() -> None:
    df = finished_study().trials_dataframe(attrs=("number", "intermediate_values"))
    assert list(df.columns) == ["number", "intermediate_0", "intermediate_3"]
    assert math.isnan(df.loc[1, "intermediate_0"]) and df.loc[1, "intermediate_3"] == 0.5
    study = finished_study(("minimize", "maximize"))
    df = study.trials_dataframe(attrs=("number", "values"))
    assert list(df.columns) == ["number", "values_0", "values_1"]
    assert df.loc[0, "values_1"] == -df.loc[0, "values_0"]
    assert df["values_0"].isna().tolist() == [False, True, True, False, True]
    with pytest.raises(ValueError, match="unknown trial attribute 'colour'"):
        study.trials_dataframe(attrs=("number", "colour"))


def test_csv_export(tmp_path: Path) -> None:
    study = finished_study()
    path = tmp_path / "trials.csv"
    study.export(str(path))
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = study.trials_dataframe()
    assert len(rows) == 5 and list(rows[0]) == list(expected.columns)
    for row, t in zip(rows, study.trials, strict=True):
        assert int(row["number"]) == t.number and row["state"] == t.state.name
        if t.state is TrialState.RUNNING:  # asked, nothing suggested yet
            assert row["params_x"] == row["user_attrs_meta"] == row["datetime_complete"] == ""
            continue
        assert float(row["params_x"]) == t.params["x"]  # floats are written exactly
        assert json.loads(row["user_attrs_meta"]) == {"tags": ["a", "b"], "n": t.number}
        if t.values:
            assert float(row["value"]) == t.values[0]
        else:
            assert row["value"] == ""
    assert rows[0]["datetime_start"] == study.trials[0].datetime_start.isoformat()  # type: ignore[union-attr]
    assert rows[2]["fail_reason"] == "ValueError: exploded"


def test_json_export(tmp_path: Path) -> None:
    study = finished_study()
    path = tmp_path / "out.data"
    study.export(str(path), format="JSON")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["study_name"] == "exported" and doc["directions"] == ["minimize"]
    assert doc["trials"] == [json.loads(json.dumps(trial_dict(t))) for t in study.trials]
    pruned = doc["trials"][1]
    assert pruned["state"] == "PRUNED" and pruned["values"] == [0.5]  # last report, as Optuna
    assert math.isnan(pruned["intermediate_values"]["0"])
    assert pruned["distributions"]["opt"] == {"type": "categorical", "choices": [None, "adam"]}
    assert doc["trials"][4]["datetime_complete"] is None


@pytest.mark.parametrize("name, fmt", [("trials.parquet", None), ("trials", None),
                                       ("trials.csv", "xml")])
def test_export_rejects_unknown_formats(tmp_path: Path, name: str, fmt: str | None) -> None:
    with pytest.raises(ValueError, match="is not supported; use csv or json"):
        finished_study().export(str(tmp_path / name), format=fmt)
    assert not (tmp_path / name).exists()


def test_trial_row_of_every_state() -> None:
    study = finished_study()
    for t in study.trials:
        row = trial_row(t, 1)
        assert row["state"] == t.state.name
        assert (row["value"] is None) == (t.values is None)  # PRUNED: its last report
