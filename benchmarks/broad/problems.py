"""Problems of the broad suite: the 24 BBOB functions and bayesmark-style scikit-learn tuning.

- **BBOB** (Hansen et al., "Real-parameter black-box optimization benchmarking 2009: noiseless
  functions definitions", INRIA RR-6829), from the ``coco-experiment`` package (``cocoex``):
  functions 1-24 at 2, 5 and 10 dimensions, instance 1, on their domain [-5, 5]^d. Named
  ``bbob-f<function>-d<dim>``.
- **scikit-learn** problems in the style of bayesmark (Turner et al., "Bayesian optimization is
  superior to random search for machine learning hyperparameter tuning", NeurIPS 2020
  competition): a model x a bundled data set x a metric, 3-fold cross-validated, with the
  model's usual log-scaled and integer hyperparameters. Named ``<model>-<data>-<metric>``.
- **PyTorch** tasks (the ``dl`` family, ``torch_tasks.py``): a CNN on digits, a 1-D CNN on
  simulated signals and a GRU on token sequences, a few epochs each. Named ``torch-*``.

Every problem is a ``benchmarks.problems.Problem`` (the adapters of ``bo_adapters`` run it).
Data sets are subsampled to at most 600 rows so that one evaluation takes milliseconds.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.broad.torch_tasks import torch_problems
from benchmarks.problems import Params, Problem
from tunecraft.space import Categorical, Dim, Float, Int

BBOB_FUNCTIONS = tuple(range(1, 25))
BBOB_DIMS = (2, 5, 10)
BBOB_NAMES = {1: "sphere", 2: "ellipsoid", 3: "rastrigin", 4: "bueche-rastrigin",
              5: "linear-slope", 6: "attractive-sector", 7: "step-ellipsoid", 8: "rosenbrock",
              9: "rosenbrock-rotated", 10: "ellipsoid-rotated", 11: "discus", 12: "bent-cigar",
              13: "sharp-ridge", 14: "different-powers", 15: "rastrigin-rotated",
              16: "weierstrass", 17: "schaffer-f7", 18: "schaffer-f7-ill", 19: "griewank-"
              "rosenbrock", 20: "schwefel", 21: "gallagher-101", 22: "gallagher-21",
              23: "katsuura", 24: "lunacek"}


@functools.cache
def _bbob(function: int, dim: int) -> Any:
    from tunecraft._imports import require

    cocoex = require("cocoex", "bench")
    suite = cocoex.Suite("bbob", "", f"function_indices:{function} dimensions:{dim} "
                                     "instance_indices:1")
    return suite.get_problem_by_function_dimension_instance(function, dim, 1)


def bbob(function: int, dim: int) -> Problem:
    """BBOB function ``function`` (1-24) in ``dim`` dimensions, instance 1."""
    if function not in BBOB_FUNCTIONS or dim < 2:
        raise ValueError(f"bbob function={function}, dim={dim}: use a function in 1-24 and "
                         "dim >= 2")

    def evaluate(params: Params) -> float:
        x = np.array([params[f"x{i}"] for i in range(dim)], dtype=float)
        return float(_bbob(function, dim)(x))

    space: dict[str, Dim] = {f"x{i}": Float(-5.0, 5.0) for i in range(dim)}
    return Problem(f"bbob-f{function}-d{dim}", "bbob", space, evaluate, None,
                   f"BBOB f{function} ({BBOB_NAMES[function]}), {dim}-D, instance 1")


# ---------------------------------------------------------------------------------- sklearn
@functools.cache
def _data(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets
    from sklearn.preprocessing import StandardScaler

    loader = {"wine": datasets.load_wine, "breast": datasets.load_breast_cancer,
              "digits": datasets.load_digits, "iris": datasets.load_iris,
              "diabetes": datasets.load_diabetes}[name]
    x, y = loader(return_X_y=True)
    rng = np.random.default_rng(0)
    keep = rng.permutation(len(y))[:600]
    x = StandardScaler().fit_transform(x[keep])
    y = y[keep].astype(float) if name == "diabetes" else y[keep]
    return x, y


Build = Callable[[Params], Any]


def _svc(p: Params) -> Any:
    from sklearn.svm import SVC

    return SVC(C=p["C"], gamma=p["gamma"], tol=p["tol"], probability=False)


def _knn(p: Params) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=p["n_neighbors"], p=p["p"], weights=p["weights"])


def _knn_reg(p: Params) -> Any:
    from sklearn.neighbors import KNeighborsRegressor

    return KNeighborsRegressor(n_neighbors=p["n_neighbors"], p=p["p"], weights=p["weights"])


def _tree(p: Params, cls: str) -> Any:
    from sklearn import tree

    return getattr(tree, cls)(max_depth=p["max_depth"], min_samples_split=p["min_samples_split"],
                              min_samples_leaf=p["min_samples_leaf"],
                              min_impurity_decrease=p["min_impurity_decrease"], random_state=0)


def _rf(p: Params) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=p["n_estimators"], max_depth=p["max_depth"],
                                  max_features=p["max_features"],
                                  min_samples_leaf=p["min_samples_leaf"], random_state=0,
                                  n_jobs=1)


def _ada(p: Params) -> Any:
    from sklearn.ensemble import AdaBoostClassifier

    return AdaBoostClassifier(n_estimators=p["n_estimators"], learning_rate=p["learning_rate"],
                              random_state=0)


def _logreg(p: Params) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=p["C"], tol=p["tol"], max_iter=p["max_iter"])


def _enet(p: Params) -> Any:
    from sklearn.linear_model import ElasticNet

    return ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], tol=p["tol"], max_iter=2000)


def _svr(p: Params) -> Any:
    from sklearn.svm import SVR

    return SVR(C=p["C"], gamma=p["gamma"], epsilon=p["epsilon"])


_SPACES: dict[str, dict[str, Dim]] = {
    "svc": {"C": Float(1e-3, 1e3, log=True), "gamma": Float(1e-4, 1e1, log=True),
            "tol": Float(1e-5, 1e-1, log=True)},
    "knn": {"n_neighbors": Int(1, 25), "p": Int(1, 4),
            "weights": Categorical(("uniform", "distance"))},
    "dt": {"max_depth": Int(1, 15), "min_samples_split": Float(0.01, 0.99),
           "min_samples_leaf": Float(0.01, 0.49), "min_impurity_decrease": Float(0.0, 0.5)},
    "rf": {"n_estimators": Int(5, 60, log=True), "max_depth": Int(1, 15),
           "max_features": Float(0.05, 1.0), "min_samples_leaf": Int(1, 20, log=True)},
    "ada": {"n_estimators": Int(5, 100, log=True), "learning_rate": Float(1e-3, 3.0, log=True)},
    "lr": {"C": Float(1e-4, 1e3, log=True), "tol": Float(1e-5, 1e-1, log=True),
           "max_iter": Int(10, 500, log=True)},
    "enet": {"alpha": Float(1e-4, 1e1, log=True), "l1_ratio": Float(0.0, 1.0),
             "tol": Float(1e-5, 1e-1, log=True)},
    "svr": {"C": Float(1e-2, 1e4, log=True), "gamma": Float(1e-4, 1e1, log=True),
            "epsilon": Float(1e-3, 1.0, log=True)},
}
_SPACES["knnreg"] = _SPACES["knn"]
_SPACES["dtreg"] = _SPACES["dt"]
_BUILDERS: dict[str, Build] = {
    "svc": _svc, "knn": _knn, "knnreg": _knn_reg, "rf": _rf, "ada": _ada, "lr": _logreg,
    "enet": _enet, "svr": _svr, "dt": lambda p: _tree(p, "DecisionTreeClassifier"),
    "dtreg": lambda p: _tree(p, "DecisionTreeRegressor")}
_SCORING = {"err": "accuracy", "nll": "neg_log_loss", "mse": "neg_mean_squared_error",
            "mae": "neg_mean_absolute_error"}

#: (model, data, metric): 16 problems, classification and regression, 4 metrics.
SKLEARN = (("svc", "wine", "err"), ("svc", "breast", "err"), ("svc", "digits", "err"),
           ("knn", "wine", "err"), ("knn", "digits", "err"), ("knn", "breast", "nll"),
           ("dt", "wine", "err"), ("dt", "breast", "err"), ("rf", "wine", "nll"),
           ("ada", "breast", "err"), ("lr", "digits", "nll"), ("lr", "breast", "nll"),
           ("svr", "diabetes", "mse"), ("enet", "diabetes", "mae"),
           ("knnreg", "diabetes", "mse"), ("dtreg", "diabetes", "mae"))


def sklearn_problem(model: str, data: str, metric: str) -> Problem:
    """``model`` tuned on ``data`` for ``metric`` (err: 1 - accuracy, nll: log loss, mse,
    mae/100), by 3-fold cross-validation."""
    build, space = _BUILDERS[model], _SPACES[model]

    def evaluate(params: Params) -> float:
        import warnings

        from sklearn.model_selection import cross_val_score

        x, y = _data(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = cross_val_score(build(params), x, y, cv=3, scoring=_SCORING[metric],
                                     error_score=np.nan)
        score = float(np.mean(scores))
        if not math.isfinite(score):
            return 1e3 if metric != "err" else 1.0  # a failed fit counts as very bad
        loss = 1.0 - score if metric == "err" else -score
        return loss / 1000.0 if metric == "mse" else loss

    return Problem(f"{model}-{data}-{metric}", "sklearn", dict(space), evaluate, None,
                   f"{model} on {data} ({metric}), 3-fold CV")


def all_problems() -> dict[str, Problem]:
    """Every problem of the suite, by name."""
    out = {p.name: p for p in (bbob(f, d) for d in BBOB_DIMS for f in BBOB_FUNCTIONS)}
    out.update({p.name: p for p in (sklearn_problem(*s) for s in SKLEARN)})
    out.update(torch_problems())
    return out
