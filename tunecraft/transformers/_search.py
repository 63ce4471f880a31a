"""``hyperparameter_search``: ``Trainer.hyperparameter_search`` with a tunecraft study as the
backend: the same arguments, the same meaning, the same ``BestRun``."""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunecraft._imports import require
from tunecraft.study import Study, create_study
from tunecraft.transformers._callback import PruningCallback
from tunecraft.trial import Trial

logger = logging.getLogger("tunecraft")

_OPTIMIZE_KEYS = ("timeout", "n_jobs", "gc_after_trial", "catch", "callbacks",
                  "show_progress_bar")


def default_hp_space(trial: Trial) -> dict[str, Any]:
    """The default search space of Transformers' Optuna backend, on a tunecraft trial."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", 1e-6, 1e-4, log=True),
        "num_train_epochs": trial.suggest_int("num_train_epochs", 1, 5),
        "seed": trial.suggest_int("seed", 1, 40),
        "per_device_train_batch_size": trial.suggest_categorical(
            "per_device_train_batch_size", [4, 8, 16, 32, 64]),
    }


def hyperparameter_search(
    trainer: Any,
    hp_space: Callable[[Trial], Mapping[str, Any]] | None = None,
    compute_objective: Callable[[dict[str, float]], float | Sequence[float]] | None = None,
    n_trials: int = 20,
    direction: str | Sequence[str] = "minimize",
    backend: str | None = None,
    hp_name: Callable[[Trial], str] | None = None,
    **kwargs: Any,
) -> Any:
    """Tune ``trainer`` on a tunecraft study; returns what ``Trainer.hyperparameter_search``
    returns.

    A user of Transformers' Optuna backend replaces ``trainer.hyperparameter_search(...)``
    by ``hyperparameter_search(trainer, ...)`` with the same arguments. Each trial, as in
    Transformers: ``hp_space(trial)`` gives values for fields of ``trainer.args``; the model
    is rebuilt by ``trainer.model_init`` (called with the trial when it takes one argument,
    after ``set_seed(args.seed)``); the objective is ``compute_objective`` of the last
    evaluation during training (or of ``trainer.evaluate()`` when there was none) and is
    reported at every evaluation, so the study's pruner stops bad trials
    (:class:`PruningCallback`). A trial's checkpoints go to
    ``args.output_dir/run-<number>`` (or ``hp_name(trial)``). Unlike Transformers, the
    arguments are restored after each trial (so a parameter a later trial does not suggest
    takes its original value), and the model is released after every trial, pruned or not.

    Args:
        trainer: A ``transformers.Trainer`` built with ``model_init``.
        hp_space: ``trial -> {TrainingArguments field: value}``; default
            :func:`default_hp_space` (Transformers' default for Optuna).
        compute_objective: ``metrics -> objective``; default Transformers'
            ``default_compute_objective`` (the eval loss, or the sum of the metrics).
        n_trials: Trials to run in this call.
        direction: ``"minimize"``/``"maximize"``, or a list of them for several objectives.
        backend: Accepted for drop-in use: None or ``"optuna"`` (ignored; the backend is
            tunecraft).
        hp_name: ``trial -> run name`` for the trial's output directory.
        **kwargs: For :func:`tunecraft.create_study` (``sampler``, ``pruner``, ``storage``,
            ``study_name``, ``load_if_exists``, ...) and for ``optimize`` (``timeout``,
            ``gc_after_trial``, ``catch``, ``callbacks``, ``show_progress_bar``). ``n_jobs``
            must be 1: one Trainer trains one trial at a time.

    Returns:
        ``transformers.trainer_utils.BestRun(run_id, objective, hyperparameters,
        run_summary)`` with ``run_id`` the best trial's number as a string and
        ``run_summary`` the tunecraft Study; a list of them (the Pareto front) for several
        directions.
    """
    trainer_utils = require("transformers.trainer_utils", "transformers")
    if backend not in (None, "optuna"):
        raise ValueError(f"backend={backend!r}: tunecraft's hyperparameter_search is its own "
                         "backend; leave backend out (or use trainer.hyperparameter_search)")
    if getattr(trainer, "model_init", None) is None:
        raise RuntimeError("To use hyperparameter search, you need to pass your model through "
                           "a model_init function: Trainer(model_init=..., ...)")
    if getattr(trainer.args, "world_size", 1) > 1:
        raise ValueError("tunecraft's hyperparameter_search runs the study in one process; "
                         f"this Trainer has world_size={trainer.args.world_size}")
    run = {k: kwargs.pop(k) for k in _OPTIMIZE_KEYS if k in kwargs}
    if run.pop("n_jobs", 1) != 1:
        raise ValueError("n_jobs must be 1: one Trainer trains one trial at a time (run "
                         "several processes on a shared storage to tune in parallel)")
    if isinstance(direction, str):
        multi, study = False, create_study(direction=direction, **kwargs)
    else:
        multi, study = True, create_study(directions=list(direction), **kwargs)
    space = default_hp_space if hp_space is None else hp_space
    objective_of = (trainer_utils.default_compute_objective if compute_objective is None
                    else compute_objective)

    def objective(trial: Trial) -> float | Sequence[float]:
        return _run_trial(trainer, trial, space, objective_of, hp_name)

    try:
        study.optimize(objective, n_trials=n_trials, **run)
    finally:
        if hasattr(trainer, "create_accelerator_and_postprocess"):
            trainer.create_accelerator_and_postprocess()  # for the restored arguments
    return _best_runs(trainer_utils.BestRun, study, multi)


def _best_runs(best_run: Any, study: Study, multi: bool) -> Any:
    if multi:
        return [best_run(str(t.number), list(t.values or ()), dict(t.params), study)
                for t in study.best_trials]
    best = study.best_trial
    return best_run(str(best.number), best.value, dict(best.params), study)


def _run_trial(trainer: Any, trial: Trial, space: Callable[[Trial], Mapping[str, Any]],
               objective_of: Callable[[dict[str, float]], float | Sequence[float]],
               hp_name: Callable[[Trial], str] | None) -> float | Sequence[float]:
    """One trial: set the arguments, train with pruning, compute the objective, clean up."""
    from accelerate.utils.memory import release_memory

    args = trainer.args
    params = space(trial)
    if not isinstance(params, Mapping):
        raise TypeError(f"hp_space must return a dict of TrainingArguments fields, got "
                        f"{type(params).__name__}")
    saved: dict[str, Any] = {}
    model_init = trainer.model_init
    callback = PruningCallback(trial, lambda metrics: objective_of(dict(metrics)),
                               raise_pruned=False)
    try:
        for key, value in params.items():
            if not hasattr(args, key):
                logger.warning("Trial %d: hp_space gave %r, which is not a field of "
                               "TrainingArguments; it is ignored", trial.number, key)
                continue
            old = saved[key] = getattr(args, key)
            setattr(args, key, type(old)(value) if old is not None else value)
        if args.output_dir is not None:
            saved.setdefault("output_dir", args.output_dir)
            name = hp_name(trial) if hp_name is not None else f"run-{trial.number}"
            args.output_dir = os.path.join(saved["output_dir"], name)
        _sync_with_args(trainer)
        trainer.model_init = _bound_model_init(model_init, trial)
        trainer.add_callback(callback)
        trainer.train()
        callback.check_pruned()
        if callback.last_value is not None:
            return callback.last_value
        return objective_of(dict(trainer.evaluate()))
    finally:
        trainer.pop_callback(callback)
        trainer.model_init = model_init
        for key, old in saved.items():
            setattr(args, key, old)
        _sync_with_args(trainer, accelerator=False)
        trainer.model_wrapped, trainer.model = release_memory(trainer.model_wrapped,
                                                              trainer.model)
        trainer.accelerator.clear()


def _sync_with_args(trainer: Any, accelerator: bool = True) -> None:
    """What Transformers' own search does after changing ``args``: the batch size the Trainer
    caches and, for gradient accumulation or precision, a new Accelerator."""
    if hasattr(trainer, "_train_batch_size"):
        trainer._train_batch_size = trainer.args.train_batch_size
    if accelerator and hasattr(trainer, "create_accelerator_and_postprocess"):
        trainer.create_accelerator_and_postprocess()


def _bound_model_init(model_init: Callable[..., Any], trial: Trial) -> Callable[[], Any]:
    """``model_init`` as Transformers calls it (with the trial when it takes one argument),
    as a function of no arguments, so the Trainer never sees a tunecraft trial."""
    takes = len(inspect.signature(model_init).parameters)
    if takes not in (0, 1):
        raise RuntimeError("model_init should have 0 or 1 argument.")

    def bound() -> Any:
        return model_init(trial) if takes == 1 else model_init()

    return bound
