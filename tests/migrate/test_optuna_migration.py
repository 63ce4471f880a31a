"""Optuna plug-ins run in tunecraft, and ``tunecraft import-optuna`` copies studies written by
the real Optuna (RDB and journal) so that they continue in tunecraft (#17)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import tunecraft as tc
from tunecraft import TrialState
from tunecraft.plugins import OptunaPruner, OptunaSampler

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.ERROR)


def objective(trial: Any) -> float:
    x = trial.suggest_float("x", -3, 3)
    return (x - 1) ** 2 + (trial.suggest_categorical("c", ["a", "b"]) == "a")


class BestSoFar(optuna.samplers.BaseSampler):  # a user's custom Optuna sampler
    def __init__(self) -> None:
        self.random = optuna.samplers.RandomSampler(seed=0)

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        return optuna.search_space.intersection_search_space(done)

    def sample_relative(self, study: Any, trial: Any, space: dict[str, Any]) -> dict[str, Any]:
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if len(done) < 3:
            return {}
        best = min(done, key=lambda t: t.value)
        return {k: best.params[k] for k in space}

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        return self.random.sample_independent(study, trial, name, dist)


def test_a_custom_optuna_sampler_and_pruner_run_in_a_tunecraft_study() -> None:
    study = tc.create_study(sampler=BestSoFar(),
                            pruner=optuna.pruners.ThresholdPruner(upper=2.0))
    assert isinstance(study.sampler, OptunaSampler) and isinstance(study.pruner, OptunaPruner)

    def with_reports(trial: tc.Trial) -> float:
        value = objective(trial)
        trial.report(value, 0)
        if trial.should_prune():
            raise tc.TrialPruned()
        return value

    study.optimize(with_reports, n_trials=10)
    done = [t for t in study.trials if t.state is TrialState.COMPLETE]
    assert all(t.values[0] <= 2.0 for t in done)  # the Optuna pruner pruned the others
    assert any(t.state is TrialState.PRUNED for t in study.trials) or len(done) == 10
    later = [t.params for t in study.trials[3:] if t.state is TrialState.COMPLETE]
    assert later and all(p == later[0] for p in later)  # sample_relative's choice was used


@pytest.mark.parametrize("make", [lambda: optuna.samplers.TPESampler(seed=0, n_startup_trials=4),
                                  lambda: optuna.samplers.QMCSampler(seed=0),
                                  lambda: optuna.samplers.NSGAIISampler(seed=0)])
def test_optuna_own_samplers_run_in_a_tunecraft_study(make: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = tc.create_study(sampler=make())
        study.optimize(objective, n_trials=12)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 12


def write_optuna_study(storage: Any) -> Any:
    study = optuna.create_study(storage=storage, study_name="src", direction="minimize")
    study.set_user_attr("owner", "me")

    def obj(t: Any) -> float:
        x = t.suggest_float("x", 0, 1)
        t.suggest_int("n", 1, 64, log=True)
        t.suggest_categorical("opt", ["adam", "sgd"])
        t.set_user_attr("note", t.number)
        if hasattr(t, "set_constraint"):  # Optuna 5: named constraints
            t.set_constraint("memory", x - 0.8)
        else:  # Optuna 4: the list its samplers' constraints_func records
            t.storage.set_trial_system_attr(t._trial_id, "constraints", [x - 0.8])
        for s in range(3):
            t.report(x * (s + 1), s)
        if t.number == 3:
            raise optuna.TrialPruned()
        if t.number == 4:
            raise RuntimeError("boom")
        return x

    study.optimize(obj, n_trials=6, catch=(RuntimeError,))
    study.ask()  # left RUNNING
    study.enqueue_trial({"x": 0.25})  # left WAITING
    return study


def check_copy(source: Any, study: tc.Study) -> None:
    trials = study.trials
    assert [t.state.name for t in trials] == ["COMPLETE"] * 3 + ["PRUNED", "FAIL", "COMPLETE",
                                                                 "FAIL", "WAITING"]
    for mine, theirs in zip(trials[:6], source.trials[:6], strict=True):
        assert dict(mine.params) == theirs.params
        assert mine.intermediate_values == theirs.intermediate_values
        assert dict(mine.user_attrs) == theirs.user_attrs
        assert mine.datetime_start == theirs.datetime_start
        assert (mine.values is None) == (theirs.values is None or theirs.state.name != "COMPLETE")
    assert trials[0].distributions["n"] == tc.Int(1, 64, log=True)
    assert trials[0].constraints == (trials[0].params["x"] - 0.8,)
    assert study.user_attrs == {"owner": "me"}
    assert "RUNNING in the Optuna study" in (trials[6].fail_reason or "")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)  # it continues here
    assert study.trials[7].state is TrialState.COMPLETE and study.trials[7].params["x"] == 0.25
    assert len(study.trials) == 9


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tunecraft", *args], capture_output=True,
                          text=True, timeout=120)


def test_import_an_rdb_study_with_the_cli(tmp_path: Path) -> None:
    source = write_optuna_study(f"sqlite:///{tmp_path}/optuna.db")
    out = cli("import-optuna", "--from", f"sqlite:///{tmp_path}/optuna.db", "--study", "src")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "optuna.tunecraft.db").exists()
    check_copy(source, tc.load_study(study_name="src", storage=str(tmp_path /
                                                                    "optuna.tunecraft.db")))
    bad = cli("import-optuna", "--from", f"sqlite:///{tmp_path}/optuna.db", "--study", "nope")
    assert bad.returncode == 2 and "nope" in bad.stderr


def test_import_a_journal_study(tmp_path: Path) -> None:
    from tunecraft.migrate import import_optuna

    path = str(tmp_path / "optuna.log")
    backend = optuna.storages.journal.JournalFileBackend(path)
    source = write_optuna_study(optuna.storages.JournalStorage(backend))
    name = import_optuna(path, "src", f"sqlite:///{tmp_path}/tc.db", to_study_name="moved")
    check_copy(source, tc.load_study(study_name=name, storage=f"sqlite:///{tmp_path}/tc.db"))
