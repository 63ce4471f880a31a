"""TuneSearchCV against GridSearchCV: the same cv_results_ and behaviour; sklearn conventions."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

import tunecraft  # noqa: E402
from tunecraft import Categorical, Float, TrialState  # noqa: E402
from tunecraft.samplers import GridSampler, RandomSampler  # noqa: E402
from tunecraft.sklearn import TuneSearchCV  # noqa: E402
from tunecraft.sklearn._results import rank_descending  # noqa: E402

X, Y = load_iris(return_X_y=True)
GRID: dict[str, list[Any]] = {"C": [0.1, 1, 10], "gamma": [0.01, 0.1, 1.0]}
CV = StratifiedKFold(3)


def grid_search(estimator: Any, grid: dict[str, list[Any]], **kwargs: Any) -> TuneSearchCV:
    """A TuneSearchCV that runs every point of ``grid`` (in a shuffled order)."""
    return TuneSearchCV(estimator, grid, n_trials=None, sampler=GridSampler(grid, seed=1),
                        **kwargs)


def row_of(results: dict[str, Any], params: dict[str, Any]) -> int:
    return [i for i, p in enumerate(results["params"]) if p == params][0]


def assert_same_results(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Same keys in the same order; per parameter set, every score column exactly equal."""
    assert list(ours) == list(theirs)
    assert len(ours["params"]) == len(theirs["params"])
    for i, params in enumerate(theirs["params"]):
        j = row_of(ours, params)
        for key, column in theirs.items():
            if key.endswith(("_time", "params")):
                continue
            assert type(ours[key]) is type(column), key
            assert ours[key].dtype == column.dtype, key
            if key.startswith("param_"):
                assert ours[key][j] == column[i], key
            else:
                np.testing.assert_array_equal(ours[key][j], column[i], err_msg=key)
        for key in ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time"):
            assert ours[key].shape == theirs[key].shape and np.isfinite(ours[key][j])


def test_grid_parity_single_metric_with_train_scores() -> None:
    ours = grid_search(SVC(), GRID, cv=CV, return_train_score=True).fit(X, Y)
    theirs = GridSearchCV(SVC(), GRID, cv=CV, return_train_score=True).fit(X, Y)
    assert_same_results(ours.cv_results_, theirs.cv_results_)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_
    assert ours.cv_results_["params"][ours.best_index_] == theirs.best_params_
    assert ours.n_splits_ == theirs.n_splits_ == 3
    assert ours.n_trials_ == 9 and ours.multimetric_ is False
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, Y) == theirs.score(X, Y)
    assert ours.refit_time_ >= 0
    states = [t.state for t in ours.study_.trials]
    assert states == [TrialState.COMPLETE] * 9


def test_grid_parity_multi_metric_refit_by_name() -> None:
    scoring = {"acc": "accuracy", "f1": "f1_macro"}
    ours = grid_search(SVC(), GRID, cv=CV, scoring=scoring, refit="f1").fit(X, Y)
    theirs = GridSearchCV(SVC(), GRID, cv=CV, scoring=scoring, refit="f1").fit(X, Y)
    assert_same_results(ours.cv_results_, theirs.cv_results_)
    assert ours.best_params_ == theirs.best_params_ and ours.best_score_ == theirs.best_score_
    assert ours.multimetric_ and set(ours.scorer_) == {"acc", "f1"}
    assert ours.score(X, Y) == theirs.score(X, Y)
    # the study maximised the refit metric
    best = ours.study_.best_trial
    assert best.value == ours.best_score_


def test_multi_metric_list_callable_and_refit_false() -> None:
    def scorer(est: Any, X_: Any, y: Any) -> dict[str, float]:
        pred = est.predict(X_)
        return {"acc": accuracy_score(y, pred), "f1": f1_score(y, pred, average="macro")}

    ours = grid_search(SVC(), GRID, cv=CV, scoring=scorer, refit="acc").fit(X, Y)
    theirs = GridSearchCV(SVC(), GRID, cv=CV, scoring=scorer, refit="acc").fit(X, Y)
    assert_same_results(ours.cv_results_, theirs.cv_results_)
    assert ours.best_params_ == theirs.best_params_

    lst = grid_search(SVC(), GRID, cv=CV, scoring=["accuracy", "f1_macro"], refit=False)
    lst.fit(X, Y)
    assert "rank_test_f1_macro" in lst.cv_results_ and not hasattr(lst, "best_index_")
    assert not hasattr(lst, "predict") and not hasattr(lst, "best_estimator_")
    with pytest.raises(ValueError, match="must be the name of one of them"):
        TuneSearchCV(SVC(), GRID, scoring=["accuracy", "f1_macro"]).fit(X, Y)


def test_parallel_folds_give_the_same_results() -> None:
    grid = {"C": [0.1, 10.0]}
    serial = grid_search(SVC(), grid, cv=CV).fit(X, Y)
    parallel = grid_search(SVC(), grid, cv=CV, n_jobs=2).fit(X, Y)
    assert serial.cv_results_["params"] == parallel.cv_results_["params"]
    for k in range(3):
        np.testing.assert_array_equal(serial.cv_results_[f"split{k}_test_score"],
                                      parallel.cv_results_[f"split{k}_test_score"])


def test_refit_callable_and_refit_false_single_metric() -> None:
    def simplest(results: dict[str, Any]) -> int:  # lowest C within 0.02 of the best
        ok = results["mean_test_score"] >= results["mean_test_score"].max() - 0.02
        return int(np.flatnonzero(ok)[np.argmin(np.asarray(results["param_C"])[ok])])

    ours = grid_search(SVC(), GRID, cv=CV, refit=simplest).fit(X, Y)
    theirs = GridSearchCV(SVC(), GRID, cv=CV, refit=simplest).fit(X, Y)
    assert ours.best_params_ == theirs.best_params_
    assert not hasattr(ours, "best_score_") and hasattr(ours, "best_estimator_")

    no_refit = grid_search(SVC(), GRID, cv=CV, refit=False).fit(X, Y)
    assert no_refit.best_params_ == GridSearchCV(SVC(), GRID, cv=CV).fit(X, Y).best_params_
    assert not hasattr(no_refit, "predict")
    with pytest.raises(AttributeError, match="predict"):
        no_refit.predict(X)


def test_pipeline_with_step_prefixed_names() -> None:
    pipe = make_pipeline(StandardScaler(), SVC())
    space = {"svc__C": Float(1e-2, 1e3, log=True), "svc__gamma": Float(1e-4, 1.0, log=True)}
    search = TuneSearchCV(pipe, space, n_trials=8, cv=3, random_state=0).fit(X, Y)
    assert isinstance(search.best_estimator_, Pipeline)
    svc = search.best_estimator_.named_steps["svc"]
    assert svc.C == search.best_params_["svc__C"] and svc.gamma == search.best_params_[
        "svc__gamma"]
    assert set(search.cv_results_) >= {"param_svc__C", "param_svc__gamma"}
    assert 1e-2 <= np.asarray(search.cv_results_["param_svc__C"], dtype=float).min() <= 1e3
    assert search.score(X, Y) == search.best_estimator_.score(X, Y)
    assert search.classes_.tolist() == [0, 1, 2] and search.n_features_in_ == 4
    assert hasattr(search, "decision_function") and not hasattr(search, "predict_proba")
    np.testing.assert_array_equal(search.decision_function(X[:5]),
                                  search.best_estimator_.decision_function(X[:5]))


def test_error_score_numeric_matches_grid_search() -> None:
    # y sorted so that with KFold(3) the third training set holds one class only:
    # LogisticRegression fails on that fold for every C (a partial failure); and every
    # fit of SVC(gamma=-1.0) fails (gamma must be >= 0)
    X2 = X[:90]
    y2 = np.r_[np.zeros(60, int), np.ones(30, int)]
    grid = {"C": [0.5, 2.0]}
    kw: dict[str, Any] = {"cv": KFold(3), "error_score": -1.0}
    with pytest.warns(FitFailedWarning):
        ours = grid_search(LogisticRegression(), grid, **kw).fit(X2, y2)
    with pytest.warns(FitFailedWarning):
        theirs = GridSearchCV(LogisticRegression(), grid, **kw).fit(X2, y2)
    assert_same_results(ours.cv_results_, theirs.cv_results_)
    assert (ours.cv_results_["split2_test_score"] == -1.0).all()

    grid2 = {"gamma": [0.1, -1.0]}
    with pytest.warns(FitFailedWarning, match="Every fit of 1 of 2 trials failed"):
        with pytest.warns(UserWarning, match="test scores are non-finite"):
            ours = grid_search(SVC(), grid2, cv=CV).fit(X, Y)
    with pytest.warns(FitFailedWarning), pytest.warns(UserWarning, match="non-finite"):
        theirs = GridSearchCV(SVC(), grid2, cv=CV).fit(X, Y)
    assert_same_results(ours.cv_results_, theirs.cv_results_)
    assert ours.best_params_ == {"gamma": 0.1}
    failed = [t for t in ours.study_.trials if t.state is TrialState.FAIL]
    assert [t.params["gamma"] for t in failed] == [-1.0]


def test_error_score_raise_and_all_failed() -> None:
    with pytest.raises(ValueError, match="gamma"):
        grid_search(SVC(gamma=-1.0), {"C": [1.0]}, cv=CV, error_score="raise").fit(X, Y)
    with pytest.raises(ValueError, match=r"All the 6 fits failed(.|\n)*gamma"):
        grid_search(SVC(gamma=-1.0), {"C": [1.0, 2.0]}, cv=CV).fit(X, Y)


def test_clone_get_set_params_and_nesting() -> None:
    search = TuneSearchCV(SVC(), {"C": Float(0.1, 10, log=True)}, n_trials=3, cv=2,
                          random_state=0)
    params = search.get_params()
    assert params["estimator__kernel"] == "rbf" and params["n_trials"] == 3
    params = search.get_params(deep=False)
    search.set_params(estimator__kernel="linear", n_trials=2)
    assert search.estimator.kernel == "linear" and search.n_trials == 2
    copy = clone(search)
    assert copy.get_params(deep=False).keys() == params.keys()
    assert copy.estimator is not search.estimator and copy.estimator.kernel == "linear"
    # nested in an outer cross-validation, each outer fold fits its own clone
    scores = cross_val_score(search, X, Y, cv=3)
    assert scores.shape == (3,) and (scores > 0.8).all()
    assert not hasattr(search, "cv_results_")  # the original stays unfitted

    study = tunecraft.create_study(direction="maximize")
    shared = clone(TuneSearchCV(SVC(), {"C": [1.0]}, study=study))
    assert shared.study is study  # a study is a handle: clones record into the same one


def test_seeded_search_is_reproducible_and_leaves_params_untouched() -> None:
    space = {"C": Float(1e-2, 1e2, log=True), "kernel": ["rbf", "linear"]}
    sampler = RandomSampler(seed=3)
    a = TuneSearchCV(SVC(), space, n_trials=6, cv=2, random_state=7).fit(X, Y)
    b = TuneSearchCV(SVC(), space, n_trials=6, cv=2, random_state=7).fit(X, Y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    c = TuneSearchCV(SVC(), space, n_trials=4, cv=2, sampler=sampler).fit(X, Y)
    d = TuneSearchCV(SVC(), space, n_trials=4, cv=2, sampler=sampler).fit(X, Y)
    assert c.cv_results_["params"] == d.cv_results_["params"]
    assert c.study_.sampler is not sampler  # fit used a copy


def test_list_choices_of_any_object() -> None:
    weights: list[Any] = [None, "balanced", {0: 1.0, 1: 5.0, 2: 1.0}]
    space = {"class_weight": weights, "C": np.array([1.0, 10.0])}
    # the study stores a non-scalar choice under its repr: a GridSampler lists those labels
    labels = [None, "balanced", "{0: 1.0, 1: 5.0, 2: 1.0}"]
    search = TuneSearchCV(SVC(), space, n_trials=None, cv=CV, sampler=GridSampler(
        {"class_weight": labels, "C": [1.0, 10.0]})).fit(X, Y)
    theirs = GridSearchCV(SVC(), {"class_weight": weights, "C": np.array([1.0, 10.0])},
                          cv=CV).fit(X, Y)
    assert_same_results(search.cv_results_, theirs.cv_results_)
    assert search.cv_results_["param_class_weight"].dtype == object
    assert {t.params["class_weight"] for t in search.study_.trials} == set(labels)
    assert search.best_estimator_.class_weight in weights


def test_pickle_keeps_predictions_and_study(tmp_path: Path) -> None:
    search = TuneSearchCV(SVC(), {"C": Float(0.1, 10, log=True)}, n_trials=4, cv=2,
                          random_state=0).fit(X, Y)
    back = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(back.predict(X), search.predict(X))
    assert [t.params for t in back.study_.trials] == [t.params for t in search.study_.trials]
    assert back.study_.best_value == search.study_.best_value
    assert back.study_.trials[0].user_attrs == search.study_.trials[0].user_attrs

    url = f"sqlite:///{tmp_path / 'svc.db'}"
    study = tunecraft.create_study(storage=url, direction="maximize", study_name="svc")
    on_disk = TuneSearchCV(SVC(), {"C": Float(0.1, 10, log=True)}, n_trials=3, cv=2,
                           study=study).fit(X, Y)
    reopened = pickle.loads(pickle.dumps(on_disk)).study_
    assert len(reopened.trials) == 3 and reopened.storage.url == url  # type: ignore[attr-defined]


def test_study_records_trials_and_continues(tmp_path: Path) -> None:
    study = tunecraft.create_study(storage=str(tmp_path / "s.db"), direction="maximize")
    space = {"C": Float(0.1, 10, log=True)}
    first = TuneSearchCV(SVC(), space, n_trials=3, cv=2, study=study).fit(X, Y)
    second = TuneSearchCV(SVC(), space, n_trials=2, cv=2, study=study).fit(X, Y)
    assert len(study.trials) == 5
    assert second.n_trials_ == 2 and len(second.cv_results_["params"]) == 2
    assert first.study_.study_name == second.study_.study_name == study.study_name
    attrs = study.trials[0].user_attrs
    assert attrs["mean_test_score"] == first.cv_results_["mean_test_score"][0]
    assert list(attrs["split_test_score"]) == [first.cv_results_[f"split{k}_test_score"][0]
                                               for k in range(2)]
    with pytest.raises(ValueError, match="direction='maximize'"):
        TuneSearchCV(SVC(), space, study=tunecraft.create_study()).fit(X, Y)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"param_distributions": {"nope": [1]}}, ValueError, "not a parameter of the estimator"),
    ({"param_distributions": [{"C": [1]}, {"C": [2]}]}, TypeError, "list of dicts"),
    ({"param_distributions": {"C": []}}, ValueError, "empty list"),
    ({"param_distributions": {"C": "1"}}, TypeError, "neither a tunecraft dimension"),
    ({"param_distributions": {}}, ValueError, "is empty"),
    ({"n_trials": 0}, ValueError, "n_trials=0"),
    ({"n_trials": None}, ValueError, "would never stop"),
    ({"timeout": -1}, ValueError, "timeout=-1"),
    ({"error_score": "ignore"}, ValueError, "error_score='ignore'"),
    ({"sampler": "tpe"}, TypeError, "sampler='tpe'"),
    ({"refit": "f1"}, ValueError, None),
    ({"scoring": ["accuracy", "accuracy"], "refit": False}, ValueError, "twice"),
    ({"max_epochs": 0}, ValueError, "max_epochs=0"),
])
def test_bad_options_fail_at_fit(kwargs: dict[str, Any], error: type[Exception],
                                 match: str | None) -> None:
    options: dict[str, Any] = {"param_distributions": {"C": [1.0]}, "n_trials": 1, **kwargs}
    if kwargs.get("refit") == "f1":
        options["scoring"] = ["accuracy", "f1_macro"]
    search = TuneSearchCV(SVC(), **options)  # stored verbatim, checked only at fit
    assert search.get_params()["n_trials"] == options["n_trials"]
    with pytest.raises(error, match=match):
        search.fit(X, Y)


def test_scipy_distribution_names_the_fix() -> None:
    stats = pytest.importorskip("scipy.stats")
    with pytest.raises(TypeError, match=r"tunecraft.Float\(low, high, log=True\)"):
        TuneSearchCV(SVC(), {"C": stats.loguniform(1e-2, 1e2)}).fit(X, Y)


def test_timeout_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    search = TuneSearchCV(SVC(), {"C": Categorical((1.0, 2.0))}, n_trials=None, timeout=60,
                          sampler=GridSampler({"C": [1.0, 2.0]}), cv=2, verbose=1).fit(X, Y)
    out = capsys.readouterr().out
    assert "Fitting 2 folds" in out and out.count("[trial ") == 2 and search.n_trials_ == 2


@given(st.lists(st.one_of(st.sampled_from([0.1, 0.5, 0.9]), st.just(float("nan"))),
                min_size=1, max_size=12))
def test_rank_matches_scipy_and_puts_nan_last(values: list[float]) -> None:
    from scipy.stats import rankdata

    means = np.array(values)
    ranks = rank_descending(means)
    assert ranks.dtype == np.int32
    if np.isnan(means).all():
        assert (ranks == 1).all()
        return
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    np.testing.assert_array_equal(ranks, rankdata(-filled, method="min"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert ranks[np.isnan(means)].tolist() == [ranks.max()] * int(np.isnan(means).sum())


def test_example_and_benchmark_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import importlib.util

    from benchmarks import sklearn_search

    path = Path(__file__).resolve().parents[2] / "examples" / "svc_search.py"
    spec = importlib.util.spec_from_file_location("svc_search", path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(n_trials=2)
    out = capsys.readouterr().out
    assert out.count("best parameters") == 3 and "TuneSearchCV (TPE), ranges: 10 fits" in out

    runs = sklearn_search.run(["wine"], [0], n_trials=3, jobs=1)
    assert [r.method for r in runs] == ["grid", "tpe", "tpe+median"]
    assert sum(runs[0].fits) == 300 and sum(runs[1].fits) == 15
    lines, _ = sklearn_search.report(runs, 3, "test", 0.1)
    assert any(line.startswith("| wine | GridSearchCV (60 points) | 300 |") for line in lines)
