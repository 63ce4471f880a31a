"""TuneSearchCV with a pruner: by epoch for partial_fit estimators, by fold for the others."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, load_iris  # noqa: E402
from sklearn.linear_model import SGDClassifier, SGDRegressor  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from tunecraft import Float, FrozenTrial, History, TrialState  # noqa: E402
from tunecraft.pruners import MedianPruner  # noqa: E402
from tunecraft.pruners.base import BasePruner, Decision  # noqa: E402
from tunecraft.samplers import GridSampler  # noqa: E402
from tunecraft.sklearn import TuneSearchCV  # noqa: E402

_digits = load_digits()
X = StandardScaler().fit_transform(_digits.data[:360])
Y = _digits.target[:360]
CV = StratifiedKFold(3)
SGD = SGDClassifier(random_state=0)
ALPHAS = [1e-4, 1e-3, 1e-2, 1e-1]


class PruneOddAtStep(BasePruner):
    """Prunes odd-numbered trials once they have reported ``step``; never the even ones."""

    def __init__(self, step: int) -> None:
        self.step = step

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        last = trial.last_step
        odd = trial.number % 2 == 1
        return Decision.PRUNE if odd and last is not None and last >= self.step \
            else Decision.CONTINUE


def manual_epochs(params: dict[str, Any], epochs: int) -> list[np.ndarray]:
    """Test accuracy per fold after each epoch of partial_fit, computed by hand."""
    classes = np.unique(Y)
    per_epoch = [np.zeros(3) for _ in range(epochs)]
    for k, (train, test) in enumerate(CV.split(X, Y)):
        model = clone(SGD).set_params(**params)
        for e in range(epochs):
            model.partial_fit(X[train], Y[train], classes=classes)
            per_epoch[e][k] = model.score(X[test], Y[test])
    return per_epoch


def test_by_epoch_reports_every_epoch_and_prunes() -> None:
    grid = {"alpha": ALPHAS}
    search = TuneSearchCV(SGD, grid, n_trials=None, sampler=GridSampler(grid, seed=0), cv=CV,
                          pruner=PruneOddAtStep(2), max_epochs=4).fit(X, Y)
    results = search.cv_results_
    for i, trial in enumerate(search.study_.trials):
        params = results["params"][i]
        assert trial.params == params
        by_hand = manual_epochs(params, 4)
        if trial.number % 2:
            assert trial.state is TrialState.PRUNED
            assert sorted(trial.intermediate_values) == [1, 2]
            assert np.isnan(results["mean_test_score"][i])
            assert results["rank_test_score"][i] == results["rank_test_score"].max()
        else:
            assert trial.state is TrialState.COMPLETE
            assert sorted(trial.intermediate_values) == [1, 2, 3, 4]
            np.testing.assert_array_equal(
                [results[f"split{k}_test_score"][i] for k in range(3)], by_hand[-1])
            assert trial.value == results["mean_test_score"][i]
        for step, value in trial.intermediate_values.items():
            assert value == pytest.approx(np.mean(by_hand[step - 1]), abs=1e-12)
    # the best estimator is trained as the scored ones were: 4 epochs of partial_fit
    ref = clone(SGD).set_params(**search.best_params_)
    for _ in range(4):
        ref.partial_fit(X, Y, classes=np.unique(Y))
    np.testing.assert_array_equal(search.best_estimator_.coef_, ref.coef_)
    assert search.best_params_ in [results["params"][i] for i in (0, 2)]


def test_median_pruner_stops_poor_trials_early() -> None:
    space = {"alpha": Float(1e-6, 1.0, log=True), "eta0": Float(1e-4, 1.0, log=True),
             "learning_rate": ["constant", "optimal", "adaptive"]}
    search = TuneSearchCV(SGD, space, n_trials=16, cv=CV, max_epochs=6, random_state=0,
                          pruner=MedianPruner(n_startup_trials=3)).fit(X, Y)
    states = [t.state for t in search.study_.trials]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    assert search.study_.trials[search.best_index_].state is TrialState.COMPLETE
    assert search.best_score_ == np.nanmax(search.cv_results_["mean_test_score"])
    pruned = [t for t in search.study_.trials if t.state is TrialState.PRUNED]
    assert all(len(t.intermediate_values) < 6 for t in pruned)


def test_by_epoch_regressor_and_mlp_with_tuple_choices() -> None:
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(120, 4))
    yr = Xr @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=120)
    reg = TuneSearchCV(SGDRegressor(random_state=0), {"alpha": Float(1e-5, 1e-1, log=True)},
                       n_trials=3, cv=3, pruner=MedianPruner(), max_epochs=3,
                       random_state=0).fit(Xr, yr)
    assert reg.best_score_ > 0.5  # R^2 after 3 epochs on 80 rows
    ref = SGDRegressor(random_state=0).set_params(**reg.best_params_)
    for _ in range(3):
        ref.partial_fit(Xr, yr)
    np.testing.assert_array_equal(reg.best_estimator_.coef_, ref.coef_)  # no classes= here

    grid: dict[str, list[Any]] = {"hidden_layer_sizes": [(8,), (16, 8)]}
    labels = GridSampler({"hidden_layer_sizes": ["(8,)", "(16, 8)"]})  # tuples by repr
    mlp = TuneSearchCV(MLPClassifier(random_state=0), grid, n_trials=None, cv=CV,
                       sampler=labels, pruner=MedianPruner(), max_epochs=3).fit(X, Y)
    assert sorted(map(str, mlp.cv_results_["param_hidden_layer_sizes"])) == \
        ["(16, 8)", "(8,)"]
    assert mlp.best_estimator_.hidden_layer_sizes in grid["hidden_layer_sizes"]
    assert all(len(t.intermediate_values) == 3 for t in mlp.study_.trials)


def test_by_fold_for_estimators_without_partial_fit() -> None:
    Xi, yi = load_iris(return_X_y=True)
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    search = TuneSearchCV(SVC(), grid, n_trials=None, sampler=GridSampler(grid, seed=0),
                          cv=CV, pruner=PruneOddAtStep(1), return_train_score=True).fit(Xi, yi)
    theirs = GridSearchCV(SVC(), grid, cv=CV, return_train_score=True).fit(Xi, yi)
    results = search.cv_results_
    assert list(results) == list(theirs.cv_results_)
    for i, trial in enumerate(search.study_.trials):
        j = theirs.cv_results_["params"].index(results["params"][i])
        if trial.number % 2:
            assert trial.state is TrialState.PRUNED and list(trial.intermediate_values) == [1]
            assert np.isnan(results["split0_test_score"][i])
            assert np.isnan(results["mean_train_score"][i])
            assert np.isnan(results["split2_test_score"][i])
            assert np.isfinite(results["split0_test_score"]).sum() == 2
        else:
            for key in ("split0_test_score", "split2_test_score", "mean_test_score",
                        "std_test_score", "mean_train_score"):
                assert results[key][i] == theirs.cv_results_[key][j], key
            assert list(trial.intermediate_values) == [1, 2, 3]
            assert trial.intermediate_values[3] == pytest.approx(results["mean_test_score"][i])
            first = theirs.cv_results_["split0_test_score"][j]
            assert trial.intermediate_values[1] == first


def test_by_fold_failures_give_error_score_and_a_warning() -> None:
    from sklearn.exceptions import FitFailedWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold

    Xi = load_iris().data[:90]
    yi = np.r_[np.zeros(60, int), np.ones(30, int)]  # the third training fold has one class
    grid = {"C": [0.5, 2.0]}
    with pytest.warns(FitFailedWarning, match="1 of 3 fits of trial"):
        ours = TuneSearchCV(LogisticRegression(), grid, n_trials=None, cv=KFold(3),
                            sampler=GridSampler(grid), pruner=PruneOddAtStep(99),
                            error_score=-1.0).fit(Xi, yi)
    with pytest.warns(FitFailedWarning):
        theirs = GridSearchCV(LogisticRegression(), grid, cv=KFold(3), error_score=-1.0)
        theirs.fit(Xi, yi)
    for i, params in enumerate(ours.cv_results_["params"]):
        j = theirs.cv_results_["params"].index(params)
        for k in range(3):
            key = f"split{k}_test_score"
            assert ours.cv_results_[key][i] == theirs.cv_results_[key][j]
    assert (ours.cv_results_["split2_test_score"] == -1.0).all()
