"""Regression tests for the fixes found by Optuna's own test suite (issue #17, item 6).

Optuna's sampler protocol on tunecraft samplers (both directions), ``PatientPruner(
wrapped_pruner=)``, Optuna's step-range adjustment, the logging fixture helpers, the
``optuna.testing.storages`` counterpart, and the benchmark's shim and classification rules.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pytest

import tunecraft
from benchmarks.optuna_shim import Alias, Marker, NotInTunecraft, OptunaInternalUsed
from benchmarks.optuna_suite_rules import (
    BUG,
    DIFFERENCE,
    INTERNALS,
    MISSING,
    classify,
    source_index,
)
from tunecraft.distributions import FloatDistribution, IntDistribution
from tunecraft.pruners import MedianPruner, PatientPruner
from tunecraft.samplers import BaseSampler, RandomSampler, TPESampler
from tunecraft.testing.storages import STORAGE_MODES, StorageSupplier


class HalfwaySampler(BaseSampler):
    """Written the Optuna way against tunecraft's names; no super().__init__()."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return {}

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: Any, trial: Any, param_name: str,
                           param_distribution: Any) -> Any:
        self.seen.append((param_distribution, study.get_trials(deepcopy=False), trial))
        return (param_distribution.low + param_distribution.high) / 2


def test_optuna_style_subclass_of_base_sampler_runs_in_a_study() -> None:
    sampler = HalfwaySampler()
    study = tunecraft.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 10), n_trials=3)
    assert [t.params["x"] for t in study.trials] == [5.0, 5.0, 5.0]
    dist, trials, trial = sampler.seen[-1]
    assert isinstance(dist, FloatDistribution)  # tunecraft's own names, not Optuna's
    assert all(isinstance(t, tunecraft.trial.FrozenTrial) for t in trials)
    assert trial.number == 2
    assert isinstance(sampler.seed, int)  # no super().__init__(), still seeded


def test_builtin_samplers_answer_optunas_calls() -> None:
    study = tunecraft.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 4), n_trials=4)
    frozen = study.trials[-1]
    one = RandomSampler(seed=3).sample_independent(study, frozen, "y", FloatDistribution(2, 3))
    again = RandomSampler(seed=3).sample_independent(study, frozen, "y", FloatDistribution(2, 3))
    assert 2 <= one <= 3 and one == again  # the trial's generator: reproducible
    tpe = TPESampler(seed=0, multivariate=True, n_startup_trials=0)
    space = tpe.infer_relative_search_space(study, frozen)
    assert set(space) == {"x", "n"}
    values = tpe.sample_relative(study, frozen, space)
    assert 0 <= values["x"] <= 1 and values["n"] in (1, 2, 3, 4)
    assert tpe.sample_relative(study, frozen, {}) == {}


def test_reseed_rng_changes_the_draws() -> None:
    sampler = RandomSampler(seed=1)
    study = tunecraft.create_study(sampler=sampler)
    trial = study.ask()
    before = sampler.sample_independent(study, trial, "x", FloatDistribution(0, 1))
    sampler.reseed_rng()
    assert sampler.sample_independent(study, trial, "x", FloatDistribution(0, 1)) != before


def test_patient_pruner_takes_optunas_wrapped_pruner() -> None:
    median = MedianPruner()
    assert PatientPruner(wrapped_pruner=median, patience=2).wrapped is median
    assert PatientPruner(median, 2).wrapped is median
    assert PatientPruner(wrapped=None, patience=1).wrapped is None
    with pytest.raises(TypeError, match="once"):
        PatientPruner(median, 2, wrapped_pruner=median)
    with pytest.raises(TypeError, match="patience="):
        PatientPruner(wrapped_pruner=median)

    class OptunaStyle:
        def prune(self, study: Any, trial: Any) -> bool:
            return True

    adapted = PatientPruner(wrapped_pruner=OptunaStyle(), patience=0).wrapped
    assert type(adapted).__name__ == "OptunaPruner"


def test_step_that_does_not_divide_the_range_warns_and_lowers_high() -> None:
    trial = tunecraft.create_study().ask()
    with pytest.warns(UserWarning, match=r"replaced by \[0, 9\]"):
        assert trial.suggest_int("n", 0, 10, step=3) <= 9
    with pytest.warns(UserWarning, match=r"replaced by \[0.0, 3.0\]"):
        assert trial.suggest_float("x", 0.0, 3.4, step=1.0) <= 3.0
    with pytest.warns(UserWarning):
        assert FloatDistribution(0.0, 1.05, step=0.1).high == pytest.approx(1.0)
    with pytest.warns(UserWarning):
        assert IntDistribution(1, 10, step=2).high == 9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert FloatDistribution(0.0, 3.4, step=0.1).high == 3.4  # divides: no warning


def test_logging_reset_helpers_used_by_optunas_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    # handlers other tests left (the CLI's, run in-process) are not the library's to remove
    monkeypatch.setattr(logging.getLogger("tunecraft"), "handlers", [])
    tunecraft.logging.set_verbosity(tunecraft.logging.WARNING)
    tunecraft.logging._reset_library_root_logger()
    assert logging.getLogger("tunecraft").level == logging.NOTSET
    assert not logging.getLogger("tunecraft").handlers
    tunecraft.logging._configure_library_root_logger()
    assert len(logging.getLogger("tunecraft").handlers) == 1
    tunecraft.logging._reset_library_root_logger()


@pytest.mark.parametrize("mode", STORAGE_MODES)
def test_storage_supplier_gives_a_working_storage(mode: str) -> None:
    with StorageSupplier(mode) as storage:
        study = tunecraft.create_study(storage=storage)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        assert len(study.trials) == 2
    with pytest.raises(ValueError, match="journal"):
        StorageSupplier("journal_redis")


def test_shim_aliases_and_marks_absent_names() -> None:
    alias = Alias("optuna.trial", tunecraft.trial)
    assert alias.TrialState is tunecraft.TrialState
    absent = alias.NoSuchPublicName
    assert isinstance(absent, Marker)
    with pytest.raises(NotInTunecraft, match="optuna.trial.NoSuchPublicName"):
        absent()
    with pytest.raises(OptunaInternalUsed):
        hash(alias._private_helper)


def test_rules_classify_by_source_table_and_exception(tmp_path: Path) -> None:
    file = tmp_path / "test_x.py"
    file.write_text(
        "from optuna.study._tell import _tell_with_warning\n"
        "def test_private():\n    study._storage.get_trial(0)\n"
        "def test_imported():\n    _tell_with_warning()\n"
        "def test_public():\n    optuna.create_study()\n")
    src = source_index(file)
    assert classify("f.py", "test_private", "failed", "", src).klass == INTERNALS
    assert classify("f.py", "test_imported[a]", "passed", "", src).excluded
    missing = classify("f.py", "test_public", "failed", "NotInTunecraft: x", src)
    assert (missing.excluded, missing.klass) == (False, MISSING)
    assert classify("f.py", "test_public", "failed", "AssertionError", src).klass == BUG
    parallel = classify("study_tests/test_study.py", "test_optimize_parallel[sqlite]", "failed",
                        "TypeError: the objective cannot be sent to worker processes", src)
    assert (parallel.excluded, parallel.klass) == (True, DIFFERENCE)


class AlwaysPrune(tunecraft.pruners.BasePruner):
    """Written the Optuna way against tunecraft's names: prune(), no decide()."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def prune(self, study: Any, trial: Any) -> bool:
        self.seen.append(trial)
        return True


def test_optuna_style_subclass_of_base_pruner_prunes() -> None:
    pruner = AlwaysPrune()
    study = tunecraft.create_study(pruner=pruner)
    trial = study.ask()
    trial.report(1.0, 0)
    assert trial.should_prune()
    assert isinstance(pruner.seen[-1], tunecraft.trial.FrozenTrial)


def test_builtin_pruner_answers_optunas_prune() -> None:
    study = tunecraft.create_study(pruner=MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    for value in (1.0, 2.0):
        t = study.ask()
        t.report(value, 0)
        study.tell(t, value)
    worse = study.ask()
    worse.report(5.0, 0)
    study.tell(worse, state=tunecraft.TrialState.PRUNED)
    assert MedianPruner(n_startup_trials=1).prune(study, study.trials[-1])
    assert not MedianPruner(n_startup_trials=1).prune(study, study.trials[0])


def test_separable_cmaes_samples_a_one_dimensional_space_independently() -> None:
    sampler = tunecraft.samplers.CmaEsSampler(seed=0, n_startup_trials=0,
                                              use_separable_cma=True)
    study = tunecraft.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
    assert len(study.trials) == 5
    assert sampler.joint_space(study.history()) == {}


def test_study_metric_names_and_is_multi_objective() -> None:
    study = tunecraft.create_study(directions=["minimize", "maximize"])
    assert study._is_multi_objective()
    assert study.metric_names is None
    study.set_metric_names(["loss", "acc"])
    assert study.metric_names == ["loss", "acc"]
    with pytest.raises(ValueError, match="one per direction"):
        study.set_metric_names(["loss"])
    assert not tunecraft.create_study()._is_multi_objective()


class CountingSampler(RandomSampler):
    def __init__(self, fail: bool = False) -> None:
        super().__init__(seed=0)
        self.calls: list[tuple[int, Any, Any]] = []
        self.fail = fail

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self.calls.append((trial.number, state, values))
        if self.fail:
            raise NotImplementedError("hook failed")


def test_sampler_after_trial_is_called_at_tell() -> None:
    sampler = CountingSampler()
    study = tunecraft.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + 1.0, n_trials=2)
    assert sampler.calls == [(0, tunecraft.TrialState.COMPLETE, [1.0]),
                             (1, tunecraft.TrialState.COMPLETE, [1.0])]


def test_failing_after_trial_fails_the_trial_and_propagates() -> None:
    study = tunecraft.create_study(sampler=CountingSampler(fail=True))
    with pytest.raises(NotImplementedError, match="hook failed"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3,
                       catch=(Exception,))
    assert [t.state for t in study.trials] == [tunecraft.TrialState.FAIL]


def test_telling_a_finished_trial_raises_optunas_value_error() -> None:
    study = tunecraft.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(ValueError):
        study.tell(trial, 1.0)
    with pytest.raises(RuntimeError):
        study.tell(trial, 1.0)
    study.tell(trial, 1.0, skip_if_finished=True)


@pytest.mark.parametrize("pruner", [MedianPruner(0, 0),
                                    tunecraft.pruners.PercentilePruner(25.0, 0, 0)])
def test_nan_only_trial_is_pruned_once_a_trial_has_completed(pruner: Any) -> None:
    study = tunecraft.create_study(pruner=pruner)
    first = study.ask()
    first.report(float("nan"), 1)
    assert not first.should_prune()  # no finished trial to compare with yet, as in Optuna
    study.tell(first, -1)
    second = study.ask()
    second.report(float("nan"), 1)
    assert second.should_prune()  # diverged: pruned even though the others are NaN too
    study.tell(second, -1)
    third = study.ask()
    third.report(1, 1)
    assert not third.should_prune()  # the others' values at step 1 are all NaN


def test_grid_sampler_is_exhausted() -> None:
    sampler = tunecraft.samplers.GridSampler({"a": [0, 50]})
    study = tunecraft.create_study(sampler=sampler)
    assert not sampler.is_exhausted(study)
    study.optimize(lambda t: t.suggest_categorical("a", [0, 50]), n_trials=1)
    assert not sampler.is_exhausted(study)
    study.optimize(lambda t: t.suggest_categorical("a", [0, 50]))
    assert sampler.is_exhausted(study)


def test_partial_fixed_sampler_fixes_some_parameters() -> None:
    base = RandomSampler(seed=0)
    study = tunecraft.create_study(sampler=tunecraft.samplers.PartialFixedSampler({"y": 1},
                                                                                 base))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("y", -1, 1),
                   n_trials=4)
    assert {t.params["y"] for t in study.trials} == {1}
    assert len({t.params["x"] for t in study.trials}) == 4
    with pytest.warns(UserWarning, match="out of range"):
        out = tunecraft.samplers.PartialFixedSampler({"y": 5}, base).sample(
            {"y": tunecraft.Int(-1, 1)}, study.history(), base.rng(9), 9)
    assert out == {"y": 5}
