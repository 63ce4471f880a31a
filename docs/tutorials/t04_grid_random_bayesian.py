"""
Grid, random and Bayesian search
================================

scikit-learn's ``GridSearchCV`` example tunes a support-vector classifier on the digits: four
values of ``C``, three of ``gamma`` and two kernels, 24 points, each scored by 5-fold
cross-validation: 120 fits. This tutorial runs it, then asks how many fits random search and
Bayesian optimisation (TPE) need to find as good a model, and why.
"""

# %%
# The grid
# --------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.svm import SVC

import tunecraft
from tunecraft import Float
from tunecraft.sklearn import TuneSearchCV

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
grid = {"C": [1, 10, 100, 1000], "gamma": [1e-4, 1e-3, 1e-2], "kernel": ["rbf", "linear"]}

start = time.perf_counter()
search = GridSearchCV(SVC(), grid, cv=5).fit(X_train, y_train)
grid_scores = search.cv_results_["mean_test_score"]
print(f"GridSearchCV: {len(grid_scores)} points x 5 folds = {len(grid_scores) * 5} fits "
      f"in {time.perf_counter() - start:.1f} s")
print(f"best {search.best_params_}, CV accuracy {search.best_score_:.4f}, "
      f"test accuracy {search.score(X_test, y_test):.4f}")

# %%
# Half of the grid is wasted by design: ``gamma`` does nothing to a linear kernel, so the 12
# linear points are three copies of four models. And the grid only ever tries the values it
# was given: if the best ``gamma`` lies between 1e-3 and 1e-2 it is never seen.
#
# The same question as a study
# ----------------------------
# Ranges instead of lists, searched on a log scale, and ``gamma`` asked only for the RBF kernel
# (a conditional parameter). Each trial is one 5-fold cross-validation, like one grid point.


def objective(trial: tunecraft.Trial) -> float:
    kernel = trial.suggest_categorical("kernel", ["rbf", "linear"])
    C = trial.suggest_float("C", 1, 1000, log=True)
    gamma = trial.suggest_float("gamma", 1e-4, 1e-2, log=True) if kernel == "rbf" else "scale"
    return cross_val_score(SVC(kernel=kernel, C=C, gamma=gamma), X_train, y_train, cv=5).mean()


def best_so_far(values: list[float]) -> np.ndarray:
    return np.maximum.accumulate(np.asarray(values))


n_trials = 24
curves: dict[str, list[np.ndarray]] = {"random": [], "TPE": []}
for seed in range(3):
    for name, sampler in (("random", tunecraft.samplers.RandomSampler(seed=seed)),
                          ("TPE", tunecraft.samplers.TPESampler(seed=seed, n_startup_trials=6))):
        study = tunecraft.create_study(direction="maximize", sampler=sampler)
        study.optimize(objective, n_trials=n_trials)
        curves[name].append(best_so_far([t.value for t in study.trials]))

# %%
# Fits needed
# -----------
# For each search: the number of 5-fold fits until the best CV accuracy so far reached the
# grid's best (median over three seeds; the grid's count is in its own order, which is
# scikit-learn's).
target = grid_scores.max()


def fits_to_reach(curve: np.ndarray, tol: float = 1e-9) -> float:
    hit = np.flatnonzero(curve >= target - tol)
    return float((hit[0] + 1) * 5) if hit.size else float("inf")


print(f"grid: {fits_to_reach(best_so_far(list(grid_scores)))} fits to its own best "
      f"({target:.4f}); {len(grid_scores) * 5} fits to know it is the best")
for name, runs in curves.items():
    fits = [fits_to_reach(c) for c in runs]
    finals = [c[-1] for c in runs]
    print(f"{name:>6}: fits to reach the grid's best {fits} (median {np.median(fits):g}); "
          f"best after {n_trials * 5} fits: {np.median(finals):.4f}")

fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(np.arange(1, 25) * 5, best_so_far(list(grid_scores)), "k.-", label="grid (24 points)")
for name, runs, colour in (("random", curves["random"], "tab:orange"),
                           ("TPE", curves["TPE"], "tab:blue")):
    for i, c in enumerate(runs):
        ax.plot(np.arange(1, n_trials + 1) * 5, c, color=colour, alpha=0.8,
                label=name if i == 0 else None)
ax.axhline(target, color="grey", ls=":", lw=1)
ax.set(xlabel="fits (5 per point or trial)", ylabel="best CV accuracy so far",
       ylim=(target - 0.03, target + 0.01), title="Best model found against fits spent")
ax.legend(loc="lower right")

# %%
# Random search wastes no fits on duplicate linear models and tries values between the grid's
# points (Bergstra & Bengio, 2012); TPE (Bergstra et al., 2011) also learns, after a few random
# trials, which region gives good scores and samples there more.
#
# A drop-in for GridSearchCV
# --------------------------
# :class:`tunecraft.sklearn.TuneSearchCV` takes the same estimator and a grid or ranges, and
# exposes ``best_params_``, ``best_score_`` and ``cv_results_`` like ``GridSearchCV``.
tuned = TuneSearchCV(SVC(), {"C": Float(1, 1000, log=True), "gamma": Float(1e-4, 1e-2, log=True),
                             "kernel": ["rbf", "linear"]}, n_trials=12, cv=5, random_state=0)
tuned.fit(X_train, y_train)
print(f"TuneSearchCV: {tuned.n_trials_ * tuned.n_splits_} fits, CV accuracy "
      f"{tuned.best_score_:.4f}, test accuracy {tuned.score(X_test, y_test):.4f}")
