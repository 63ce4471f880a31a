"""scikit-learn's own estimator checks pass on TuneSearchCV around simple estimators.

The instances mirror those scikit-learn checks GridSearchCV with (``cv=2``, a regressor, a
classifier, a pipeline), plus one with the default ``error_score=nan``. The search carries the
estimator's tags (including ``allow_nan`` and the target tags, which GridSearchCV leaves out
and so lists ``check_supervised_y_2d`` and ``check_requires_y_none`` as expected failures),
so those pass. The expected failures below come from this repository's pytest setting
``filterwarnings = error``, which turns a warning that scikit-learn emits before the expected
error into the failure; GridSearchCV fails them the same way under that setting.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("sklearn")

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import Ridge, RidgeClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from tunecraft import Float, Int  # noqa: E402
from tunecraft.sklearn import TuneSearchCV  # noqa: E402

ESTIMATORS = [
    TuneSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2, n_trials=2, error_score="raise"),
    TuneSearchCV(RidgeClassifier(), {"alpha": Float(0.1, 10.0, log=True)}, cv=2, n_trials=2,
                 error_score="raise"),
    TuneSearchCV(Pipeline([("pca", PCA()), ("ridge", Ridge())]),
                 {"ridge__alpha": [0.1, 1.0]}, cv=2, n_trials=2, error_score="raise"),
    # default error_score (NaN): failing fits become scores, and a search whose fits all
    # fail raises ValueError with their messages, as the checks expect
    TuneSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": Int(1, 4)}, cv=2,
                 n_trials=2),
]


def expected_failed_checks(estimator: Any) -> dict[str, str]:
    failures = {}
    if type(estimator.estimator) in (RidgeClassifier, DecisionTreeClassifier):
        failures["check_supervised_y_no_nan"] = (
            "for a classifier, check_cv's type_of_target(y) casts the y with inf to int and "
            "numpy emits a RuntimeWarning before the estimator raises the expected ValueError")
    if estimator.error_score != "raise":
        failures["check_dtype_object"] = (
            "with error_score=nan a fold that fails gives scikit-learn's FitFailedWarning (as "
            "in GridSearchCV) before the refit raises the expected TypeError")
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)
