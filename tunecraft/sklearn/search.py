"""TuneSearchCV: a drop-in, Bayesian replacement for scikit-learn's GridSearchCV.

Each trial of a tunecraft study proposes parameters, cross-validates the estimator with them
on fixed splits, and reports the mean score; the study's sampler (TPE by default) learns from
every result. The fitted search has GridSearchCV's attributes (``cv_results_``,
``best_params_``, ``best_estimator_``, ...) and delegates prediction to the best estimator.
"""

from __future__ import annotations

import copy
import numbers
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tunecraft._imports import require
from tunecraft.direction import StudyDirection
from tunecraft.exceptions import TrialPruned
from tunecraft.pruners.base import BasePruner, NopPruner
from tunecraft.samplers.base import BaseSampler
from tunecraft.sklearn import _evaluate, _persist, _results, _scoring
from tunecraft.sklearn._delegate import DelegateMixin
from tunecraft.sklearn._space import SearchSpace
from tunecraft.study import Study, create_study, load_study
from tunecraft.trial import Trial

_base = require("sklearn.base", "sklearn")
_utils = require("sklearn.utils", "sklearn")
_BaseEstimator: Any = _base.BaseEstimator
_MetaEstimatorMixin: Any = _base.MetaEstimatorMixin


def _check_int(name: str, value: Any, minimum: int, *, none: bool) -> None:
    if value is None and none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        hint = " or None" if none else ""
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}{hint}")


def _needs_y(estimator: Any) -> bool:
    """Whether the estimator's tags say that fit needs y (scikit-learn >= 1.6 has tags)."""
    get_tags = getattr(_utils, "get_tags", None)
    return bool(get_tags is not None and get_tags(estimator).target_tags.required)


def _copied(obj: Any) -> Any:
    """A deep copy of a sampler or pruner, or the object itself if it cannot be copied."""
    try:
        return copy.deepcopy(obj)
    except Exception:  # e.g. a TPESampler that ran before caches an uncopyable table
        return obj


class TuneSearchCV(DelegateMixin, _MetaEstimatorMixin, _BaseEstimator):  # type: ignore[misc]
    """Search hyperparameters by cross-validation, proposing each trial from the results so far.

    Use it where GridSearchCV or RandomizedSearchCV would go: the same ``cv``, ``scoring``,
    ``refit``, ``error_score`` and ``return_train_score``; the same fitted attributes; and a
    GridSearchCV grid (a dict of lists) works unchanged. Give ranges
    (``tunecraft.Float(1e-3, 1e3, log=True)``) to let the sampler search between grid points.

    Args:
        estimator: The scikit-learn estimator (or pipeline) to tune; cloned for every fit.
        param_distributions: Parameter name (``"C"``, ``"svc__C"``) -> a tunecraft dimension
            (``Float``, ``Int``, ``Categorical``) or a list / 1-D array of values to choose
            from (any objects, as in GridSearchCV).
        n_trials: Trials to run; None runs until ``timeout`` or until a finite sampler
            (``GridSampler``) has tried every point.
        timeout: Seconds after which no new trial starts; None for no limit.
        cv: As GridSearchCV's: None (5-fold), an int, a splitter or an iterable of splits;
            stratified for classifiers. The splits are drawn once and shared by all trials.
        scoring: As GridSearchCV's: None (the estimator's ``score``), a scorer name, a
            callable, or a list / dict of them for several metrics.
        refit: Refit the best parameters on the whole data (True); with several metrics, the
            name of the metric that picks the best; a callable ``cv_results_ -> index``; or
            False. The study maximises the refit metric (else the first metric).
        n_jobs: Folds of a trial fitted in parallel (joblib); trials run one after another
            so that each proposal sees every earlier result. Unused while pruning.
        sampler: A tunecraft sampler; default ``TPESampler(seed=random_state)``.
        pruner: A tunecraft pruner (e.g. ``MedianPruner()``) to stop poor trials early:
            estimators with ``partial_fit`` are trained ``max_epochs`` epochs and report after
            each epoch; others report after each fold. Default: no pruning.
        study: A tunecraft Study (e.g. with SQLite storage) to record the trials in, with
            direction ``"maximize"``; its sampler and pruner are used unless ``sampler`` /
            ``pruner`` are given. Default: a new in-memory study.
        max_epochs: Epochs (``partial_fit`` passes over the training folds) per trial, used only
            when pruning an estimator with ``partial_fit``.
        random_state: Seed of the default sampler (an int, a RandomState or None).
        error_score: Score of a fit that raises (default NaN), or ``"raise"`` to raise.
        return_train_score: Also score the training folds (``split<k>_train_score``...).
        verbose: 0 silent; 1 a line per trial; 2 and more also scikit-learn's per-fit lines.

    Attributes:
        cv_results_: GridSearchCV's dict of arrays, one row per trial in the order run.
            A pruned trial has NaN test and train scores (no full-budget score) and ranks last.
        best_estimator_, best_score_, best_params_, best_index_: As in GridSearchCV.
        scorer_, multimetric_, n_splits_, refit_time_: As in GridSearchCV.
        study_: The study holding the trials (states, reports, attributes).
        n_trials_: Trials run by this fit (rows of ``cv_results_``).
    """

    _required_parameters = ["estimator", "param_distributions"]  # scikit-learn < 1.6 checks
    best_index_: int
    best_params_: dict[str, Any]
    study_: Study

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, Any],
        *,
        n_trials: int | None = 10,
        timeout: float | None = None,
        cv: Any = None,
        scoring: Any = None,
        refit: bool | str | Callable[[dict[str, Any]], int] = True,
        n_jobs: int | None = None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
        study: Study | None = None,
        max_epochs: int = 100,
        random_state: Any = None,
        error_score: float | str = np.nan,
        return_train_score: bool = False,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.timeout = timeout
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.sampler = sampler
        self.pruner = pruner
        self.study = study
        self.max_epochs = max_epochs
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.verbose = verbose

    # ------------------------------------------------------------------ scikit-learn protocol
    def __sklearn_clone__(self) -> TuneSearchCV:
        """Clone as scikit-learn does, except ``study``: clones share it (it is a handle)."""
        params = {k: v if k == "study" else _base.clone(v, safe=False)
                  for k, v in self.get_params(deep=False).items()}
        return type(self)(**params)

    def __sklearn_tags__(self) -> Any:
        """The estimator's tags (what input and targets it takes), as GridSearchCV's, plus
        ``allow_nan`` and the target tags, so checks know what the search accepts."""
        tags = super().__sklearn_tags__()
        inner = _utils.get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.target_tags = copy.deepcopy(inner.target_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    @property
    def _estimator_type(self) -> str | None:  # scikit-learn < 1.6 reads this, not the tags
        return getattr(self.estimator, "_estimator_type", None)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle a study (the ``study`` parameter, ``study_``) as a reference to its database,
        or, in memory, as a copy of its trials: see ``tunecraft.sklearn._persist``."""
        state: dict[str, Any] = dict(super().__getstate__())
        for key in ("study", "study_"):
            if isinstance(state.get(key), Study):
                state[key] = _persist.pack(state[key])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for key in ("study", "study_"):
            if isinstance(state.get(key), _persist.StudyState):
                state[key] = _persist.unpack(state[key])
        super().__setstate__(state)

    # ------------------------------------------------------------------ validation
    def _check_options(self) -> None:
        if not hasattr(self.estimator, "fit"):
            raise TypeError(f"estimator={self.estimator!r} has no fit method; pass a "
                            "scikit-learn estimator such as SVC()")
        _check_int("n_trials", self.n_trials, 1, none=True)
        _check_int("max_epochs", self.max_epochs, 1, none=False)
        _check_int("verbose", self.verbose, 0, none=False)
        if self.timeout is not None and (isinstance(self.timeout, bool) or not isinstance(
                self.timeout, numbers.Real) or not self.timeout > 0):
            raise ValueError(f"timeout={self.timeout!r} must be a positive number of seconds "
                             "or None")
        if self.n_jobs is not None and (isinstance(self.n_jobs, bool)
                                        or not isinstance(self.n_jobs, numbers.Integral)
                                        or self.n_jobs == 0):
            raise ValueError(f"n_jobs={self.n_jobs!r} must be None, -1 or a positive integer")
        if not (self.error_score == "raise" or (isinstance(self.error_score, numbers.Real)
                                                and not isinstance(self.error_score, bool))):
            raise ValueError(f"error_score={self.error_score!r} must be a number (e.g. "
                             "np.nan or 0) or 'raise'")
        if not isinstance(self.return_train_score, (bool, np.bool_)):
            raise ValueError(f"return_train_score={self.return_train_score!r} must be True or "
                             "False")
        for name, value, kind in (("sampler", self.sampler, BaseSampler),
                                  ("pruner", self.pruner, BasePruner),
                                  ("study", self.study, Study)):
            if value is not None and not isinstance(value, kind):
                raise TypeError(f"{name}={value!r} must be a tunecraft {kind.__name__} or "
                                "None")
        if self.study is not None and self.study.directions != (StudyDirection.MAXIMIZE,):
            raise ValueError(
                f"study {self.study.study_name!r} has directions "
                f"{[d.value for d in self.study.directions]}; scikit-learn scores are "
                "maximised, so create it with direction='maximize'"
            )

    def _make_study(self) -> Study:
        """The study for this fit: on the given study's storage, or a new in-memory one."""
        sampler = _copied(self.sampler)  # fit leaves its parameters untouched
        pruner = _copied(self.pruner)
        if self.study is not None:
            return load_study(study_name=self.study.study_name, storage=self.study.storage,
                              sampler=sampler or self.study.sampler,
                              pruner=pruner or self.study.pruner)
        if sampler is None:
            from tunecraft.samplers.tpe import TPESampler

            seed = self.random_state
            if seed is not None and not isinstance(seed, numbers.Integral):
                seed = int(_utils.check_random_state(seed).randint(np.iinfo(np.int32).max))
            sampler = TPESampler(seed=seed)
        return create_study(sampler=sampler, pruner=pruner or NopPruner(),
                            direction="maximize")

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, **params: Any) -> TuneSearchCV:
        """Run the trials, build ``cv_results_``, and refit the best parameters.

        Args:
            X: Training data, as for the estimator.
            y: Targets, or None for unsupervised estimators.
            **params: ``groups`` goes to the CV splitter; everything else to the
                estimator's ``fit`` (sample-aligned values are split with the folds).
        """
        self._check_options()
        if y is None and _needs_y(self.estimator):
            raise ValueError(f"{type(self).__name__} with {type(self.estimator).__name__} "
                             "requires y to be passed, but the target y is None")
        model_selection = require("sklearn.model_selection", "sklearn")
        X, y = _utils.indexable(X, y)
        fit_params = dict(params)
        groups = fit_params.pop("groups", None)
        space = SearchSpace.parse(self.param_distributions,
                                  list(self.estimator.get_params(deep=True)))
        names = _scoring.metric_names(self.scoring)
        _scoring.check_refit(self.refit, names)
        study = self._make_study()
        if self.n_trials is None and self.timeout is None and \
                study.sampler.initial_trials() is None:
            raise ValueError(
                f"n_trials=None and timeout=None would never stop with "
                f"{type(study.sampler).__name__}; set n_trials or timeout (only a finite "
                "sampler such as GridSampler stops by itself)"
            )
        cv = model_selection.check_cv(self.cv, y, classifier=_base.is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        setup = _evaluate.CVSetup(
            X, y, splits, self.scoring, _scoring.build_scorers(self.estimator, self.scoring),
            fit_params, self.n_jobs, self.error_score, bool(self.return_train_score),
            int(self.verbose), names)
        epochs = not isinstance(study.pruner, NopPruner) and hasattr(self.estimator,
                                                                     "partial_fit")
        classes = np.unique(y) if epochs and _base.is_classifier(self.estimator) else None
        ran: dict[int, tuple[dict[str, Any], _evaluate.TrialScores]] = {}
        if self.verbose > 0:
            limit = "" if self.n_trials is None else f"up to {self.n_trials} "
            print(f"Fitting {len(splits)} folds for each of {limit}trials")

        def objective(trial: Trial) -> float:
            values = space.suggest(trial)
            est = _base.clone(self.estimator).set_params(**_base.clone(values, safe=False))
            target = self._target(setup.metric_names)
            if isinstance(study.pruner, NopPruner):
                scores = _evaluate.all_folds(est, setup)
            elif epochs:
                scores = _evaluate.by_epoch(trial, est, setup, target, self.max_epochs, classes)
            else:
                scores = _evaluate.by_fold(trial, est, setup, target)
            if setup.metric_names is None and not scores.all_failed:
                setup.metric_names = list(scores.test)  # a callable scoring's metrics
                _scoring.check_refit(self.refit, setup.metric_names)
            ran[trial.number] = (values, scores)
            self._record(trial, scores)
            if scores.pruned:
                raise TrialPruned(f"trial {trial.number} pruned after step {scores.steps}")
            return scores.mean(self._target(setup.names()) or setup.names()[0])

        study.optimize(objective, n_trials=self.n_trials, timeout=self.timeout, catch=())
        self._finish(study, ran, len(splits))
        if self.refit:
            self._refit(X, y, fit_params, epochs, classes)
        return self

    def _target(self, names: list[str] | None) -> str | None:
        """The metric the study maximises; None while a callable scoring's are unknown."""
        if names is None:
            return self.refit if isinstance(self.refit, str) else None
        return _scoring.target_metric(self.refit, names)

    def _record(self, trial: Trial, scores: _evaluate.TrialScores) -> None:
        """Keep the trial's CV scores in the study (user attributes), and print with verbose."""
        for m, v in scores.test.items():
            trial.set_user_attr(f"mean_test_{m}", float(np.mean(v)))
            trial.set_user_attr(f"split_test_{m}", [float(x) for x in v])
        if self.verbose > 0:
            shown = ", ".join(f"{k}={v!r}" for k, v in trial.params.items())
            outcome = (f"pruned at step {scores.steps}" if scores.pruned else
                       ", ".join(f"{m}={np.mean(v):.5g}" for m, v in scores.test.items()))
            print(f"[trial {trial.number}] {shown}: {outcome}")

    def _finish(self, study: Study, ran: Mapping[int, tuple[dict[str, Any],
                _evaluate.TrialScores]], n_splits: int) -> None:
        """Set cv_results_ and the best_* attributes from the trials of this fit."""
        order = sorted(ran)
        params = [ran[n][0] for n in order]
        scores = [ran[n][1] for n in order]
        if all(s.all_failed for s in scores):
            details = "\n".join(dict.fromkeys(e for s in scores for e in s.errors))
            raise ValueError(
                f"All the {len(scores) * n_splits} fits failed. It is very likely that the "
                "estimator is misconfigured; set error_score='raise' to see the error.\n"
                f"Below are more details about the failures:\n{details}"
            )
        failed = [n for n in order if ran[n][1].all_failed]
        if failed:
            first = ran[failed[0]][1].errors
            _evaluate.fit_failed_warning(
                f"Every fit of {len(failed)} of {len(order)} trials failed (trial numbers "
                f"{failed}); their scores are set to error_score={self.error_score}. Set "
                f"error_score='raise' to debug. First error:\n{first[0] if first else ''}")
        results = _results.cv_results(params, scores, self.error_score,
                                      bool(self.return_train_score))
        names = _results.metric_names(scores)
        self.multimetric_ = isinstance(self.scoring, (list, tuple, dict)) or names != ["score"]
        if self.multimetric_:
            _scoring.check_refit(self.refit, names)
        refit_metric = self.refit if self.multimetric_ and isinstance(self.refit, str) \
            else "score"
        if self.refit or not self.multimetric_:
            if callable(self.refit):
                raw: Any = self.refit(results)
                if isinstance(raw, bool) or not isinstance(raw, numbers.Integral):
                    raise TypeError(f"refit callable returned {raw!r}; it must return the "
                                    "integer index of the best row of cv_results_")
                if not 0 <= int(raw) < len(params):
                    raise IndexError(f"refit callable returned {raw}; cv_results_ has "
                                     f"{len(params)} rows")
                self.best_index_ = int(raw)
            else:
                self.best_index_ = int(results[f"rank_test_{refit_metric}"].argmin())
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
        scorers = _scoring.build_scorers(self.estimator, self.scoring)
        self.scorer_ = scorers
        self.cv_results_ = results
        self.n_splits_ = n_splits
        self.n_trials_ = len(order)
        self.study_ = study

    def _refit(self, X: Any, y: Any, fit_params: dict[str, Any], epochs: bool,
               classes: Any) -> None:
        """Fit ``best_estimator_`` on all the data (by epochs if the trials were)."""
        best = _base.clone(self.estimator).set_params(
            **_base.clone(self.best_params_, safe=False))
        start = time.time()
        if epochs:
            _evaluate.partial_fit_epochs(best, X, y, fit_params, classes, self.max_epochs)
        elif y is None:
            best.fit(X, **fit_params)
        else:
            best.fit(X, y, **fit_params)
        self.refit_time_ = time.time() - start
        self.best_estimator_ = best
        if hasattr(best, "feature_names_in_"):
            self.feature_names_in_ = best.feature_names_in_
