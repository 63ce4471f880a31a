"""Optuna behaviours of tell, report, FrozenTrial, create_trial, copy_study and optimize that
Optuna's own tests found missing (#17, the in-scope failures of benchmarks/optuna_suite.py)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import tunecraft as optuna
from tunecraft import Float, TrialState
from tunecraft.samplers import RandomSampler
from tunecraft.trial import FrozenTrial, create_trial


def new_study(**kwargs: object) -> optuna.Study:
    return optuna.create_study(sampler=RandomSampler(seed=0), **kwargs)  # type: ignore[arg-type]


def test_a_pruned_trial_keeps_its_last_report_as_value() -> None:
    study = new_study()
    for reports, expected in [((), None), ((3.0, 2.0), 2.0), ((math.inf,), math.inf),
                              ((1.0, math.nan), None)]:
        trial = study.ask()
        for step, v in enumerate(reports):
            trial.report(v, step)
        frozen = study.tell(trial, state=TrialState.PRUNED)
        assert (frozen.state, frozen.value) == (TrialState.PRUNED, expected)

    def objective(trial: optuna.Trial) -> float:
        trial.report(0.5, 7)
        raise optuna.TrialPruned()

    study.optimize(objective, n_trials=1)
    assert study.trials[-1].value == 0.5
    with pytest.raises(ValueError, match="no COMPLETE trial"):
        study.best_trial  # noqa: B018  # a pruned trial's value is no result
    two = new_study(directions=["minimize", "minimize"])
    trial = two.ask()
    trial.report((1.0, 2.0), 0)
    assert two.tell(trial, state=TrialState.PRUNED).values is None  # one value per objective


def test_tell_with_state_complete_insists_on_valid_values() -> None:
    study = new_study()
    trial = study.ask()
    for bad in ("a", [], [1.0, 2.0], math.nan):
        with pytest.raises(ValueError, match="tell\\(state=COMPLETE\\) got invalid values"):
            study.tell(trial, bad, state=TrialState.COMPLETE)  # type: ignore[arg-type]
    assert study.trials[trial.number].state is TrialState.RUNNING  # refused untouched
    assert study.tell(trial, "a").state is TrialState.FAIL  # type: ignore[arg-type]  # logged
    with pytest.raises(ValueError, match="has no trial 5; tell\\(\\) finishes trials"):
        study.tell(5, 1.0)


def test_report_accepts_what_optuna_accepts() -> None:
    study = new_study()
    trial = study.ask()
    for step, value in enumerate([1.23, "1.5", "inf", 1, np.float32(2.5)]):
        trial.report(value, float(step) if step % 2 else np.int64(step))  # type: ignore
    assert study.trials[0].intermediate_values == {0: 1.23, 1: 1.5, 2: math.inf, 3: 1.0,
                                                   4: 2.5}
    for value in (None, "foo", [1, 2]):
        with pytest.raises(TypeError, match="report value"):
            trial.report(value, 9)  # type: ignore[arg-type]
    for bad_step in (None, "3", [1]):
        with pytest.raises(TypeError, match="must be a non-negative integer"):
            trial.report(1.0, bad_step)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number"):
        trial.report(1.0, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative"):
        trial.report(1.0, -1)


def test_frozen_trial_takes_optunas_keywords() -> None:
    t = FrozenTrial(number=0, trial_id=0, state=TrialState.COMPLETE, value=0.2,
                    params={"x": 1.0}, distributions={"x": Float(0, 10)}, user_attrs={},
                    system_attrs={}, intermediate_values={}, datetime_start=None)
    assert t.values == (0.2,) and t.value == 0.2 and t.params == {"x": 1.0}
    with pytest.raises(TypeError):
        t.params["x"] = 2.0  # type: ignore[index]  # stored read-only
    assert FrozenTrial(number=1, state=TrialState.COMPLETE, values=[0.2]).values == (0.2,)
    with pytest.raises(ValueError, match="not both"):
        FrozenTrial(number=0, state=TrialState.COMPLETE, value=0.2, values=[0.2])
    with pytest.raises(ValueError, match="not be empty"):
        FrozenTrial(number=0, state=TrialState.COMPLETE, values=[])


def test_create_trial_with_constraints() -> None:
    kw = {"value": 0.2, "params": {"x": 10}, "distributions": {"x": Float(5, 12)}}
    named = create_trial(constraints={"cost": 1.5, "limit": -2.5}, **kw)  # type: ignore[arg-type]
    assert named.constraints == (1.5, -2.5) and not named.is_feasible()
    assert create_trial(constraints=[-1.0], **kw).is_feasible()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NaN"):
        create_trial(constraints={"cost": math.nan}, **kw)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a number"):
        create_trial(constraints={"cost": "foo"}, **kw)  # type: ignore[arg-type, dict-item]
    study = new_study()
    study.add_trial(named)
    assert study.trials[0].constraints == (1.5, -2.5)


def test_copy_study_to_a_name(tmp_path: Path) -> None:
    source = new_study(study_name="foo")
    source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    target = f"sqlite:///{tmp_path / 'to.db'}"
    optuna.create_study(storage=target, study_name="foo")
    with pytest.raises(optuna.DuplicatedStudyError):
        optuna.copy_study(from_study_name="foo", from_storage=source.storage,
                          to_storage=target)
    with pytest.raises(ValueError, match="is empty"):  # not silently named "foo"
        optuna.copy_study(from_study_name="foo", from_storage=source.storage,
                          to_storage=target, to_study_name="")
    optuna.copy_study(from_study_name="foo", from_storage=source.storage, to_storage=target,
                      to_study_name="bar")
    assert len(optuna.load_study(study_name="bar", storage=target).trials) == 2


def test_nested_optimize_raises() -> None:
    study = new_study()
    seen: list[str] = []

    def objective(trial: optuna.Trial) -> float:
        with pytest.raises(RuntimeError, match="Nested optimization"):
            trial.study.optimize(lambda _: 0.0, n_trials=1)
        seen.append("raised")
        return 1.0

    study.optimize(objective, n_trials=2)
    study.optimize(lambda _: 0.0, n_trials=1)  # and optimize works again afterwards
    assert seen == ["raised", "raised"] and len(study.trials) == 3
    with ThreadPoolExecutor(max_workers=2) as pool:  # calls from two threads are not nested
        for future in [pool.submit(study.optimize, lambda _: 0.0, n_trials=2)
                       for _ in range(2)]:
            future.result()
    assert len(study.trials) == 7
