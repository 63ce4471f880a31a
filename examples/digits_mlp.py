"""Tune a PyTorch MLP on scikit-learn's digits with tunecraft: the demo that ``make demo`` runs.

Thirty trials of a small multi-layer perceptron on the 8x8 digits bundled with scikit-learn (no
download), on CPU, in about a minute on two cores. It is built from tunecraft's PyTorch
toolkit: the search space is ``suggest_training_config`` + ``suggest_mlp`` narrowed to the
knobs below (learning rate, batch size, weight decay, dropout, optimizer with its momentum or
betas, Xavier or He initialisation, depth and width), and every trial is trained by
``tunecraft.torch.fit``, which reports the validation accuracy after each epoch so that the
median pruner stops poor trials early, and returns the best epoch's accuracy.

The study lives in ``tunecraft.db`` (SQLite). Running the same command again, after a crash, a
Ctrl-C or a ``kill -9``, continues the study: ``MaxTrialsCallback`` counts the finished
(COMPLETE or PRUNED) trials of the whole study, and only those still missing to reach
``--n-trials`` run. At the end the best trials are shown in a table, and the best configuration
is refitted on train + validation for its best epoch count and scored once on the test set.

Run::

    python examples/digits_mlp.py                 # 30 trials, 50 epochs, tunecraft.db
    python examples/digits_mlp.py --n-trials 50   # continue the same study to 50 trials
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from rich import box
from rich.console import Console
from rich.table import Table

import tunecraft
from tunecraft import FrozenTrial, Study, Trial, TrialState
from tunecraft.pruners import MedianPruner
from tunecraft.samplers import TPESampler
from tunecraft.study.callbacks import MaxTrialsCallback, count_trials
from tunecraft.torch import TrainConfig, evaluate, fit
from tunecraft.torch.mlp import MLPSpec
from tunecraft.torch.search_space import (
    FixedParams,
    config_from_params,
    suggest_mlp,
    suggest_training_config,
    training_space,
)

STUDY_NAME = "digits-mlp"
FEATURES, CLASSES = 64, 10  # 8x8 pixels, ten digits
# The search space: keywords of suggest_training_config that fix or narrow each knob. A range
# is searched (on a log scale for the rate and the decay), a list is a choice, a single value
# or None is fixed. SGD comes with momentum (and Nesterov or not), Adam/AdamW with their betas,
# RMSprop with its alpha and momentum: suggest_optimizer asks for those only when chosen.
SPACE: dict[str, Any] = {
    "lr": (1e-4, 0.3),
    "batch_size": [16, 32, 64, 128],
    "weight_decay": (1e-6, 1e-2),
    "dropout": (0.0, 0.5),
    "optimizer": ["sgd", "adam", "adamw", "rmsprop"],
    "init": ["xavier_uniform", "kaiming_uniform"],  # Xavier (Glorot) or He
    "schedule": "constant", "max_warmup_pct": 0.0, "label_smoothing": None, "grad_clip": None,
}
NETWORK: dict[str, Any] = {"depth": (1, 3), "width": (32, 512), "activation": "relu"}
INIT_NAMES = {"xavier_uniform": "xavier", "kaiming_uniform": "he"}
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
Split = tuple[np.ndarray, np.ndarray]


# ---------------------------------------------------------------------------------- data
def load_digits_splits(seed: int, val_size: float = 0.2,
                       test_size: float = 0.2) -> tuple[Split, Split, Split]:
    """Load sklearn's bundled digits and split them, stratified, with ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_size / (1.0 - test_size), stratify=y_rest,
        random_state=seed)
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def standardise(fit_on: Split, *others: Split) -> list[Split]:
    """Scale features with the mean and std of ``fit_on`` only (constant pixels keep scale 1)."""
    mean = fit_on[0].mean(axis=0)
    std = fit_on[0].std(axis=0)
    std[std == 0.0] = 1.0
    return [(((x - mean) / std).astype(np.float32), y) for x, y in (fit_on, *others)]


# ---------------------------------------------------------------------------------- search
def trial_setup(params: dict[str, Any], seed: int) -> tuple[TrainConfig, MLPSpec]:
    """The training config and network of a finished trial, rebuilt from its parameters."""
    return (config_from_params(params, **SPACE, seed=seed),
            suggest_mlp(FixedParams(params), FEATURES, CLASSES, **NETWORK))


def make_objective(train: Split, val: Split, epochs: int, seed: int) -> Callable[[Trial], float]:
    """The objective: the best validation accuracy in ``epochs``, reported (and pruned) each
    epoch by ``fit``. Every trial uses the same ``seed``, so configs are compared on the same
    batch order and initial draws."""

    def objective(trial: Trial) -> float:
        config = suggest_training_config(trial, **SPACE, seed=seed)
        network = suggest_mlp(trial, FEATURES, CLASSES, **NETWORK)
        result = fit(network, train, val, config, trial, max_epochs=epochs, device="cpu")
        trial.set_user_attr("best_epoch", result.best_epoch)  # what the final refit trains
        return result.best_metric

    return objective


# ---------------------------------------------------------------------------------- study
def open_study(storage: str, study_name: str, seed: int, epochs: int) -> Study:
    """Create the study, or continue it.

    Trials of one study must be comparable, so a study run with other ``epochs`` or ``seed``
    (the seed also fixes the data split), or over another search space (an older version of
    this demo), is refused rather than mixed.
    """
    study = tunecraft.create_study(
        storage=storage, study_name=study_name, direction="maximize", load_if_exists=True,
        sampler=TPESampler(seed=seed),
        pruner=MedianPruner(n_startup_trials=5, n_warmup_steps=5),
    )
    setup = {"epochs": epochs, "seed": seed}
    # the declared form of SPACE + NETWORK, as stored (JSON: tuples become lists)
    space = json.loads(json.dumps(training_space(**SPACE, mlp=NETWORK)))
    stored = study.user_attrs.get("setup")
    if stored is None:
        study.set_user_attr("setup", {**setup, "space": space})  # one write: all or nothing
        return study
    ran_with = {key: stored.get(key) for key in setup}
    if ran_with != setup:
        raise SystemExit(
            f"study {study_name!r} in {storage} was run with {ran_with}, not {setup}; "
            "pass the same --epochs/--seed to continue it, or a new --study-name"
        )
    if stored.get("space") != space:
        raise SystemExit(
            f"study {study_name!r} in {storage} searched another space (an older version of "
            "this demo?); pass a new --study-name, or --storage with a new file"
        )
    return study


def best_accuracy(t: FrozenTrial) -> float | None:
    """The best validation accuracy a trial reported (its value, when it completed)."""
    finite = [v for v in t.intermediate_values.values() if np.isfinite(v)]
    return max(finite) if finite else None


class TrialLog:
    """A callback printing one plain line per trial this run finished, and counting them."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.count = 0

    def __call__(self, study: Study, t: FrozenTrial) -> None:
        self.count += 1
        acc = best_accuracy(t)
        best = study.history().best_trial()
        best_text = f"{best.value:.4f} (trial {best.number})" if best is not None else "-"
        self.console.print(f"trial {t.number:3d}  {t.state.name:8s}  epochs "
                           f"{t.last_step or 0:2d}  val acc {'-' if acc is None else f'{acc:.4f}'}"
                           f"  best {best_text}")


def rank_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """COMPLETE trials by accuracy, then PRUNED ones: those that ran further first, then by
    their best accuracy."""
    complete = sorted((t for t in trials if t.is_finite_complete()),
                      key=lambda t: -(t.value or 0.0))
    pruned = sorted((t for t in trials if t.state is TrialState.PRUNED and t.last_step),
                    key=lambda t: (-(t.last_step or 0), -(best_accuracy(t) or 0.0)))
    return complete + pruned


def best_epoch(t: FrozenTrial) -> int:
    """The epoch of a trial's best validation accuracy (fit's ``best_epoch``)."""
    if "best_epoch" in t.user_attrs:
        return int(t.user_attrs["best_epoch"])
    acc = best_accuracy(t)  # a pruned trial: its first report of that accuracy
    return min((s for s, v in t.intermediate_values.items() if v == acc), default=0)


def best_table(trials: Sequence[FrozenTrial], seed: int, top: int = 5) -> Table:
    """A Rich table of the ``top`` best trials with their configuration."""
    table = Table(box=box.ASCII)
    for column in ("#", "val acc", "best ep/ran", "optim", "lr", "batch", "wd", "dropout",
                   "init", "layers", "width", "state"):
        table.add_column(column, justify="left" if column in ("optim", "init", "state")
                         else "right")
    for t in rank_trials(trials)[:top]:
        config, network = trial_setup(dict(t.params), seed)
        acc = best_accuracy(t)
        table.add_row(
            str(t.number), "-" if acc is None else f"{acc:.4f}",
            f"{best_epoch(t)}/{t.last_step or 0}", config.optimizer, f"{config.lr:.2e}",
            str(config.batch_size), f"{config.weight_decay:.1e}", f"{config.dropout:.2f}",
            INIT_NAMES.get(config.init, config.init), str(network.depth), str(network.width),
            t.state.name)
    return table


def state_counts(trials: Sequence[FrozenTrial]) -> str:
    """``COMPLETE 20, PRUNED 9, FAIL 1`` (RUNNING/WAITING only when there are some)."""
    counts = {s: sum(t.state is s for t in trials) for s in TrialState}
    shown = [s for s in TrialState if s in (*FINISHED, TrialState.FAIL) or counts[s]]
    return ", ".join(f"{s.name} {counts[s]}" for s in shown)


def describe(config: TrainConfig, network: MLPSpec) -> list[str]:
    """Two lines with everything the search chose: the optimizer, then the rest."""
    momentum = config.optimizer_config().resolved_momentum()
    if config.optimizer == "sgd":
        extra = f"momentum {momentum:.3f}{', nesterov' if config.nesterov else ''}"
    elif config.optimizer == "rmsprop":
        extra = f"alpha {config.alpha:.3f}, momentum {momentum:.3f}"
    else:
        extra = f"betas {config.betas[0]:.3f}, {config.betas[1]}"
    return [f"optimizer: {config.optimizer}, lr {config.lr:.3g}, {extra}, weight decay "
            f"{config.weight_decay:.2g}",
            f"network:   {network.depth} x {network.width} {network.activation}, dropout "
            f"{config.dropout:.2f}, {INIT_NAMES.get(config.init, config.init)} init, batch "
            f"{config.batch_size}"]


def score_on_test(best: FrozenTrial, train: Split, val: Split, test: Split,
                  seed: int) -> tuple[int, float]:
    """Refit the best configuration on train + validation for its best epoch count; return
    that count and the accuracy on the test set, which is looked at once, here."""
    config, network = trial_setup(dict(best.params), seed)
    epochs = max(best_epoch(best), 1)
    trainval, test_std = standardise(
        (np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])), test)
    final = fit(network, trainval, None, config, max_epochs=epochs, device="cpu")
    accuracy = evaluate(final.model, test_std).accuracy
    return epochs, float("nan") if accuracy is None else accuracy


# ---------------------------------------------------------------------------------- main
def next_steps(storage: str, study_name: str) -> list[str]:
    """How to look at the study just made: the CLI's best, report and dashboard commands,
    after activating the environment when ``tunecraft`` is not on PATH."""
    import os
    import shlex
    import shutil

    lines = []
    here = os.path.join(sys.prefix, "bin", "tunecraft")
    if os.path.exists(here) and shutil.which("tunecraft") != here:
        lines.append(f"source {shlex.quote(os.path.relpath(sys.prefix))}/bin/activate"
                     "   # puts the tunecraft command on PATH")
    where = "" if storage == "tunecraft.db" else f" --storage {shlex.quote(storage)}"
    name = shlex.quote(study_name)
    lines += [f"tunecraft best {name}{where}",
              f"tunecraft report {name}{where} -o report.html   # then open report.html",
              f"tunecraft dashboard{where}   # then open http://127.0.0.1:8080"]
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line flags; every default reproduces the documented demo."""
    parser = argparse.ArgumentParser(
        description="Tune a PyTorch MLP on scikit-learn's digits with tunecraft; running it "
                    "again continues the same study.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--n-trials", type=int, default=30,
                        help="finished (COMPLETE or PRUNED) trials the study should reach")
    parser.add_argument("--storage", default="tunecraft.db",
                        help="SQLite path or database URL")
    parser.add_argument("--study-name", default=STUDY_NAME, help="study to create or continue")
    parser.add_argument("--epochs", type=int, default=50, help="epochs per trial at most")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the data split, the sampler and torch")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (1 is fastest for this small model)")
    args = parser.parse_args(argv)
    for flag, minimum in (("n_trials", 0), ("epochs", 1), ("threads", 1)):
        if getattr(args, flag) < minimum:
            parser.error(f"--{flag.replace('_', '-')}={getattr(args, flag)} must be >= "
                         f"{minimum}")
    return args


def run(args: argparse.Namespace, console: Console) -> int:
    """Run (or continue) the study, print the best trials, and score the best on test."""
    # The CPU kernels this model uses are deterministic for a fixed thread count, and fit
    # seeds everything from the config's seed, so the same --seed gives the same output.
    torch.set_num_threads(args.threads)
    raw_train, raw_val, raw_test = load_digits_splits(args.seed)
    train, val = standardise(raw_train, raw_val)

    study = open_study(args.storage, args.study_name, args.seed, args.epochs)
    for number in study.fail_stale_trials():  # a crash or kill -9 left it RUNNING
        state = study.history().trial(number).state.name
        console.print(f"trial {number} was left RUNNING by a worker that died; marked {state}")
    # Counts the whole study's finished trials, from every run and every worker: only the
    # missing ones run, and workers sharing the study all stop at the study-wide total.
    enough = MaxTrialsCallback(args.n_trials)
    done, missing = count_trials(study), enough.remaining(study)
    if study.trials:  # even if only failed or interrupted ones
        console.print(f"Continuing study {args.study_name!r} in {args.storage}: {done} of "
                      f"{args.n_trials} trials finished, running the {missing} still missing.")
    else:
        console.print(f"New study {args.study_name!r} in {args.storage}: running "
                      f"{missing} trials of {args.epochs} epochs (seed {args.seed}).")
    console.print(f"data: {len(train[1])} train, {len(val[1])} validation, "
                  f"{len(raw_test[1])} test digits; sampler {study.sampler!r}")

    started, log = time.perf_counter(), TrialLog(console)
    # n_trials bounds this run (an objective that always fails cannot loop forever); failed
    # trials do not count, so the next run makes them up
    study.optimize(make_objective(train, val, args.epochs, args.seed), n_trials=missing,
                   callbacks=[log, enough])
    console.print(f"ran {log.count} trials in {time.perf_counter() - started:.1f} s")

    trials = study.trials
    console.print("Best 5 trials (COMPLETE by validation accuracy, then PRUNED):")
    console.print(best_table(trials, args.seed))
    console.print(f"trials: {state_counts(trials)}")
    if not any(t.is_finite_complete() for t in trials):
        console.print("no trial completed, so there is no best configuration to test")
        return 1
    best = study.best_trial
    config, network = trial_setup(dict(best.params), args.seed)
    console.print(f"best trial {best.number}: validation accuracy {best.value:.4f} at epoch "
                  f"{best_epoch(best)}")
    for line in describe(config, network):
        console.print(f"  {line}")
    epochs, test_acc = score_on_test(best, raw_train, raw_val, raw_test, args.seed)
    console.print(f"test accuracy of the best configuration, retrained on train+validation "
                  f"for {epochs} epochs: {test_acc:.4f}")
    console.print(f"\nThe study is saved in {args.storage}. Look at it with:")
    for line in next_steps(args.storage, args.study_name):
        console.print(f"  {line}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the flags and run; Ctrl-C keeps every finished trial and exits with 130."""
    args = parse_args(argv)
    # Without a terminal (CI, `make demo | tee`), Rich would wrap the table at 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 120, highlight=False,
                      soft_wrap=True)
    try:
        return run(args, console)
    except KeyboardInterrupt:
        console.print("interrupted: the finished trials are saved; run the same command again "
                      "to continue the study")
        return 130


if __name__ == "__main__":
    sys.exit(main())
