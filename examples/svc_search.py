"""Tune an SVC on digits: scikit-learn's GridSearchCV example, then TuneSearchCV in its place.

TuneSearchCV takes GridSearchCV's grid unchanged and searches it with TPE in fewer fits; given
ranges instead of lists, it also tries values between the grid points. Run it with
``python examples/svc_search.py`` (about a minute on one core); docs/sklearn.md shows its
output.
"""

from __future__ import annotations

import time
from typing import Any

from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.svm import SVC

from tunecraft import Float
from tunecraft.sklearn import TuneSearchCV

GRID: dict[str, list[Any]] = {
    "C": [1, 10, 100, 1000],
    "gamma": [1e-4, 1e-3, 1e-2],
    "kernel": ["rbf", "linear"],
}
RANGES: dict[str, Any] = {
    "C": Float(1, 1000, log=True),
    "gamma": Float(1e-4, 1e-2, log=True),
    "kernel": ["rbf", "linear"],
}


def report(name: str, search: Any, n_fits: int, seconds: float, X_test: Any,
           y_test: Any) -> None:
    shown = {k: round(v, 6) if isinstance(v, float) else v
             for k, v in search.best_params_.items()}
    print(f"{name}: {n_fits} fits in {seconds:.1f}s")
    print(f"  best parameters: {shown}")
    print(f"  CV accuracy {search.best_score_:.4f}, test accuracy "
          f"{search.score(X_test, y_test):.4f}")


def main(n_trials: int = 12) -> None:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

    start = time.perf_counter()
    grid = GridSearchCV(SVC(), GRID, cv=5).fit(X_train, y_train)
    report("GridSearchCV, 24-point grid", grid, len(grid.cv_results_["params"]) * 5,
           time.perf_counter() - start, X_test, y_test)

    for name, space in (("the same grid", GRID), ("ranges", RANGES)):
        start = time.perf_counter()
        search = TuneSearchCV(SVC(), space, n_trials=n_trials, cv=5, random_state=0)
        search.fit(X_train, y_train)
        report(f"TuneSearchCV (TPE), {name}", search, search.n_trials_ * search.n_splits_,
               time.perf_counter() - start, X_test, y_test)

    # every trial is a row of cv_results_, as in GridSearchCV
    results = search.cv_results_
    print("\ntrial  kernel  C          gamma      mean CV accuracy  rank")
    for i in results["rank_test_score"].argsort()[:5]:
        print(f"{i:5d}  {results['param_kernel'][i]:6s}  {results['param_C'][i]:<9.4g}  "
              f"{results['param_gamma'][i]:<9.3g}  {results['mean_test_score'][i]:.4f}"
              f"            {results['rank_test_score'][i]}")


if __name__ == "__main__":
    main()
