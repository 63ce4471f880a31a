"""Optuna's public API under the same module paths, as thin layers over tunecraft (#17)."""

from __future__ import annotations

import logging
import warnings

import pytest

import tunecraft as optuna
from tunecraft import Float, Int
from tunecraft.samplers import RandomSampler


def small_study(n: int = 12, **kwargs: object) -> optuna.Study:
    study = optuna.create_study(sampler=RandomSampler(seed=1), **kwargs)  # type: ignore[arg-type]
    study.optimize(lambda t: t.suggest_float("x", -2, 2) ** 2 + t.suggest_int("y", 0, 3),
                   n_trials=n)
    return study


def test_module_paths() -> None:
    from tunecraft.study import StudyDirection
    from tunecraft.trial import FrozenTrial, TrialState, create_trial

    assert StudyDirection is optuna.StudyDirection and TrialState is optuna.TrialState
    assert FrozenTrial is optuna.FrozenTrial and create_trial is optuna.create_trial
    assert optuna.exceptions.OptunaError is optuna.TunecraftError
    assert optuna.exceptions.UpdateFinishedTrialError is optuna.TrialFinishedError
    assert issubclass(optuna.exceptions.StorageInternalError, optuna.exceptions.OptunaError)


def test_distributions_are_tunecraft_dimensions() -> None:
    d = optuna.distributions
    assert d.FloatDistribution(1e-3, 1, log=True) == Float(1e-3, 1, log=True)
    assert d.IntDistribution(0, 10, step=2) == Int(0, 10, step=2)
    assert isinstance(Float(0, 1), d.FloatDistribution)
    assert not isinstance(Int(0, 1), d.FloatDistribution)
    assert isinstance(d.CategoricalDistribution(["a", "b"]), d.BaseDistribution)
    with pytest.warns(FutureWarning, match="removed in tunecraft 1.0"):
        assert d.LogUniformDistribution(1e-3, 1) == Float(1e-3, 1, log=True)
    for dist in (Float(0, 1, step=0.5), Int(1, 8, log=True), d.CategoricalDistribution([1, None])):
        assert d.json_to_distribution(d.distribution_to_json(dist)) == dist
    legacy = ('{"name": "DiscreteUniformDistribution", '
              '"attributes": {"low": 0, "high": 1, "q": 0.25}}')
    assert d.json_to_distribution(legacy) == Float(0, 1, step=0.25)
    with pytest.raises(ValueError, match="different distribution kind"):
        d.check_distribution_compatibility(Float(0, 1), Int(0, 1))
    d.check_distribution_compatibility(Float(0, 1), Float(0, 2))  # ranges may differ


def test_ask_with_optuna_distributions() -> None:
    study = optuna.create_study()
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    assert 0 <= trial.params["x"] <= 1
    assert trial.suggest_float("x", 0, 1) == trial.params["x"]


def test_legacy_suggest_names_warn_with_the_removal_version() -> None:
    trial = optuna.create_study().ask()
    with pytest.warns(FutureWarning, match=r"suggest_uniform is deprecated .* removed in "
                                           r"tunecraft 1\.0; use suggest_float"):
        assert 0 <= trial.suggest_uniform("a", 0, 1) <= 1
    with pytest.warns(FutureWarning, match="suggest_loguniform"):
        trial.suggest_loguniform("b", 1e-3, 1)
    with pytest.warns(FutureWarning, match="suggest_discrete_uniform"):
        assert trial.suggest_discrete_uniform("c", 0, 1, 0.5) in (0.0, 0.5, 1.0)
    assert trial.distributions["b"] == Float(1e-3, 1, log=True)
    assert trial.distributions["c"] == Float(0, 1, step=0.5)


def test_logging_verbosity() -> None:
    before = optuna.logging.get_verbosity()
    try:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        assert optuna.logging.get_verbosity() == logging.WARNING
        assert not logging.getLogger("tunecraft").isEnabledFor(logging.INFO)
        optuna.logging.disable_default_handler()
        optuna.logging.enable_propagation()
        assert optuna.logging.get_logger("x").name == "tunecraft.x"
    finally:
        optuna.logging.set_verbosity(before)
        optuna.logging.disable_default_handler()


def test_create_trial_add_trials_and_copy_study(tmp_path: object) -> None:
    study = optuna.create_study()
    trial = optuna.create_trial(
        params={"x": 0.5, "opt": "adam"},
        distributions={"x": optuna.distributions.FloatDistribution(0, 1),
                       "opt": optuna.distributions.CategoricalDistribution(["adam", "sgd"])},
        value=0.25, user_attrs={"src": "paper"}, intermediate_values={0: 1.0, 1: 0.5})
    study.add_trial(trial)
    study.add_trials([optuna.create_trial(state=optuna.TrialState.FAIL),
                      optuna.create_trial(state=optuna.TrialState.PRUNED,
                                          intermediate_values={0: 3.0})])
    first, failed, pruned = study.get_trials(deepcopy=False)
    assert first.number == 0 and first.values == (0.25,) and first.params["opt"] == "adam"
    assert first.intermediate_values == {0: 1.0, 1: 0.5} and first.user_attrs["src"] == "paper"
    assert first.datetime_start == trial.datetime_start
    assert [failed.state, pruned.state] == [optuna.TrialState.FAIL, optuna.TrialState.PRUNED]
    assert study.best_value == 0.25
    assert study.get_trials(states=(optuna.TrialState.PRUNED,)) == (pruned,)
    with pytest.raises(optuna.IncompatibleSpace):
        study.add_trial(optuna.create_trial(params={"x": 1}, value=0.0,
                                            distributions={"x": Int(0, 3)}))
    with pytest.raises(ValueError, match="needs value"):
        optuna.create_trial(params={})
    target = f"sqlite:///{tmp_path}/copy.db"
    study.set_user_attr("note", "hello")
    optuna.copy_study(from_study_name=study.study_name, from_storage=study.storage,
                      to_storage=target, to_study_name="copied")
    copied = optuna.load_study(study_name="copied", storage=target)
    assert [t.state for t in copied.trials] == [t.state for t in study.trials]
    assert copied.trials[0].params == first.params and copied.user_attrs == {"note": "hello"}
    copied.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # it continues there
    assert len(copied.trials) == 4


def test_importance_and_visualization_params() -> None:
    pytest.importorskip("sklearn")
    study = small_study()
    shares = optuna.importance.get_param_importances(study)
    assert set(shares) == {"x", "y"} and abs(sum(shares.values()) - 1) < 1e-9
    assert list(shares.values()) == sorted(shares.values(), reverse=True)
    for evaluator in (optuna.importance.MeanDecreaseImpurityImportanceEvaluator(seed=0),
                      optuna.importance.PedAnovaImportanceEvaluator(baseline_quantile=0.5)):
        raw = optuna.importance.get_param_importances(study, evaluator=evaluator,
                                                      normalize=False)
        assert set(raw) == {"x", "y"}
    pytest.importorskip("plotly")
    vis = optuna.visualization
    assert vis.is_available()
    vis.plot_contour(study, params=["x", "y"], target_name="loss")
    vis.plot_slice(study, params=["x"], target=lambda t: t.params["x"], target_name="x")
    vis.plot_parallel_coordinate(study, params=["x", "y"])
    vis.plot_optimization_history(study, target_name="loss")
    vis.plot_param_importances(study, params=["x", "y"])
    with pytest.raises(ValueError, match="one pair of parameters per figure"):
        vis.plot_contour(study, params=["x", "y", "z"])
    with pytest.raises(NotImplementedError, match="plot_rank is not available"):
        vis.plot_rank(study)


def test_sampler_constraints_func_reaches_the_study() -> None:
    def constraints(trial: optuna.FrozenTrial) -> list[float]:
        return [trial.params["x"] - 0.5]

    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=3,
                                           constraints_func=constraints))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8)
    assert all(t.constraints == (t.params["x"] - 0.5,) for t in study.trials)
    assert study.best_params["x"] <= 0.5
    with pytest.raises(ValueError, match="consider_prior=False"):
        optuna.samplers.TPESampler(consider_prior=False)


def test_cmaes_optuna_arguments() -> None:
    pytest.importorskip("cmaes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampler = optuna.samplers.CmaEsSampler(seed=0, n_startup_trials=4,
                                               use_separable_cma=True, restart_strategy=None)
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("a", -1, 1) ** 2 + t.suggest_float("b", -1, 1) ** 2,
                   n_trials=10)
    assert not any("cma:generation" in str(k) for t in study.trials[:4] for k in t.system_attrs)
    cma_trials = [t for t in study.trials[4:] if any("cma" in k for k in t.system_attrs)]
    assert cma_trials, "after the startup trials CMA-ES proposes"
    with pytest.raises(ValueError, match="consider_pruned_trials=True"):
        optuna.samplers.CmaEsSampler(consider_pruned_trials=True)
