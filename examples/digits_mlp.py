"""Tune a PyTorch MLP on scikit-learn's digits with tunecraft: the demo that ``make demo`` runs.

Thirty trials of a small multi-layer perceptron on the 8x8 digits bundled with scikit-learn (no
download), on CPU, in about a minute on two cores. The study tunes the learning rate, batch
size, weight decay, dropout, optimizer, weight initialisation, depth and width; it maximises
validation accuracy, reported every epoch so that the median pruner stops poor trials early.

The study lives in ``tunecraft.db`` (SQLite). Running the same command again, after a crash or
a ``kill -9``, continues the study: only the trials still missing to reach ``--n-trials``
finished (COMPLETE or PRUNED) trials run. At the end the best trials are shown in a table and
the best configuration is retrained on train + validation and scored on the test set.

Run::

    python examples/digits_mlp.py                 # 30 trials, 50 epochs, tunecraft.db
    python examples/digits_mlp.py --n-trials 50   # continue the same study to 50 trials
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from rich import box
from rich.console import Console
from rich.table import Table
from torch import nn

import tunecraft
from tunecraft import FrozenTrial, Study, Trial, TrialState
from tunecraft.pruners import MedianPruner
from tunecraft.samplers import TPESampler

STUDY_NAME = "digits-mlp"
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
INITS = ("xavier", "he")
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


# ---------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Split:
    """Features (float32, standardised) and integer labels of one part of the data."""

    x: torch.Tensor
    y: torch.Tensor


@dataclass(frozen=True)
class RawData:
    """The digits split once, with a fixed seed, into train / validation / test arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits_splits(seed: int, val_size: float = 0.2, test_size: float = 0.2) -> RawData:
    """Load sklearn's bundled digits and split them, stratified, with ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=seed)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_size / (1.0 - test_size), stratify=y_rest,
        random_state=seed)
    return RawData(x_train, y_train, x_val, y_val, x_test, y_test)


def standardise(fit: tuple[np.ndarray, np.ndarray],
                *others: tuple[np.ndarray, np.ndarray]) -> list[Split]:
    """Scale features with the mean and std of ``fit`` only (constant pixels keep scale 1)."""
    mean = fit[0].mean(axis=0)
    std = fit[0].std(axis=0)
    std[std == 0.0] = 1.0
    return [Split(torch.as_tensor((x - mean) / std, dtype=torch.float32),
                  torch.as_tensor(y, dtype=torch.long)) for x, y in (fit, *others)]


# ---------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class Config:
    """One point of the search space: everything that defines a training run."""

    lr: float
    batch_size: int
    weight_decay: float
    dropout: float
    optimizer: str
    init: str
    n_layers: int
    width: int

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Config:
        """Rebuild a config from a trial's stored parameters."""
        return cls(**{name: params[name] for name in cls.__dataclass_fields__})


def suggest_config(trial: Trial) -> Config:
    """The search space, define-by-run: each call samples (or replays) one parameter."""
    return Config(
        lr=trial.suggest_float("lr", 1e-4, 3e-1, log=True),
        batch_size=trial.suggest_categorical("batch_size", [16, 32, 64, 128]),
        weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        dropout=trial.suggest_float("dropout", 0.0, 0.5),
        optimizer=trial.suggest_categorical("optimizer", list(OPTIMIZERS)),
        init=trial.suggest_categorical("init", list(INITS)),
        n_layers=trial.suggest_int("n_layers", 1, 3),
        width=trial.suggest_int("width", 32, 512, log=True),
    )


def build_model(cfg: Config, n_features: int = 64, n_classes: int = 10) -> nn.Module:
    """An MLP: ``n_layers`` x (Linear, ReLU, Dropout), then a linear classifier."""
    layers: list[nn.Module] = []
    width_in = n_features
    for _ in range(cfg.n_layers):
        layers += [nn.Linear(width_in, cfg.width), nn.ReLU(), nn.Dropout(cfg.dropout)]
        width_in = cfg.width
    layers.append(nn.Linear(width_in, n_classes))
    model = nn.Sequential(*layers)
    for module in model.modules():
        if isinstance(module, nn.Linear):
            if cfg.init == "xavier":
                nn.init.xavier_uniform_(module.weight)
            else:
                nn.init.kaiming_uniform_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return model


def build_optimizer(cfg: Config, params: Any) -> torch.optim.Optimizer:
    """The optimizer the config names (SGD uses Nesterov momentum 0.9)."""
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, nesterov=True,
                               weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"optimizer={cfg.optimizer!r} is not one of {OPTIMIZERS}")


# ---------------------------------------------------------------------------------- training
def train_one_epoch(model: nn.Module, opt: torch.optim.Optimizer, data: Split,
                    batch_size: int, gen: torch.Generator) -> None:
    """One pass over ``data`` in a shuffled order drawn from ``gen``."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(data.y), generator=gen)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        opt.zero_grad(set_to_none=True)
        loss_fn(model(data.x[idx]), data.y[idx]).backward()
        opt.step()


@torch.no_grad()
def evaluate(model: nn.Module, data: Split) -> float:
    """Accuracy of ``model`` on ``data`` (a diverged model scores like a constant guess)."""
    model.eval()
    predicted = model(data.x).argmax(dim=1)
    return float((predicted == data.y).float().mean())


def trial_seed(seed: int, number: int) -> int:
    """A torch seed that depends only on the study seed and the trial number."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


def fit(cfg: Config, train: Split, epochs: int, seed: int,
        on_epoch: Callable[[nn.Module, int], None] | None = None) -> nn.Module:
    """Train a fresh model for ``epochs``; ``on_epoch(model, epoch)`` runs after each epoch."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = build_model(cfg)
    opt = build_optimizer(cfg, model.parameters())
    for epoch in range(1, epochs + 1):
        train_one_epoch(model, opt, train, cfg.batch_size, gen)
        if on_epoch is not None:
            on_epoch(model, epoch)
    return model


def make_objective(train: Split, val: Split, epochs: int, seed: int) -> Callable[[Trial], float]:
    """The objective: validation accuracy after ``epochs``, reported (and pruned) each epoch."""

    def objective(trial: Trial) -> float:
        cfg = suggest_config(trial)
        accuracy = 0.0

        def report(model: nn.Module, epoch: int) -> None:
            nonlocal accuracy
            accuracy = evaluate(model, val)
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise tunecraft.TrialPruned()

        fit(cfg, train, epochs, trial_seed(seed, trial.number), on_epoch=report)
        return accuracy

    return objective


# ---------------------------------------------------------------------------------- study
def open_study(storage: str, study_name: str, seed: int, epochs: int) -> Study:
    """Create the study, or continue it.

    Trials of one study must be comparable, so a study run with other ``epochs`` or ``seed``
    (the seed also fixes the data split) is refused rather than mixed.
    """
    study = tunecraft.create_study(
        storage=storage, study_name=study_name, direction="maximize", load_if_exists=True,
        sampler=TPESampler(seed=seed),
        pruner=MedianPruner(n_startup_trials=5, n_warmup_steps=5),
    )
    setup = {"epochs": epochs, "seed": seed}
    stored = study.user_attrs.get("setup")
    if stored is None:
        study.set_user_attr("setup", setup)
    elif dict(stored) != setup:
        raise SystemExit(
            f"study {study_name!r} in {storage} was run with {dict(stored)}, not {setup}; "
            "pass the same --epochs/--seed to continue it, or a new --study-name"
        )
    return study


def finished_count(study: Study) -> int:
    """Trials that count towards ``--n-trials``: COMPLETE or PRUNED (failed ones are re-run)."""
    return len(study.get_trials(states=FINISHED))


def last_accuracy(t: FrozenTrial) -> float | None:
    """The validation accuracy a trial reported last (its value, when it completed)."""
    return None if t.last_step is None else t.intermediate_values[t.last_step]


def log_trial(console: Console) -> Callable[[Study, FrozenTrial], None]:
    """A callback printing one plain line per finished trial."""

    def callback(study: Study, t: FrozenTrial) -> None:
        acc = last_accuracy(t)
        best = study.history().best_trial()
        best_text = f"{best.value:.4f} (trial {best.number})" if best is not None else "-"
        console.print(f"trial {t.number:3d}  {t.state.name:8s}  epochs {t.last_step or 0:2d}  "
                      f"val acc {'-' if acc is None else f'{acc:.4f}'}  best {best_text}")

    return callback


def rank_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """COMPLETE trials by accuracy, then PRUNED ones: those that ran further first, then by
    their last accuracy (the order TPE uses to rank pruned trials)."""
    complete = sorted((t for t in trials if t.is_finite_complete()),
                      key=lambda t: -(t.value or 0.0))
    pruned = sorted((t for t in trials if t.state is TrialState.PRUNED and t.last_step),
                    key=lambda t: (-(t.last_step or 0), -(last_accuracy(t) or 0.0)))
    return complete + pruned


def best_table(trials: Sequence[FrozenTrial], top: int = 5) -> Table:
    """A Rich table of the ``top`` best trials with their parameters."""
    table = Table(box=box.ASCII)
    for column in ("#", "val acc", "lr", "batch", "wd", "dropout", "optim", "init",
                   "layers", "width", "epochs", "state"):
        table.add_column(column, justify="left" if column in ("optim", "init", "state")
                         else "right")
    for t in rank_trials(trials)[:top]:
        p, acc = t.params, last_accuracy(t)
        table.add_row(
            str(t.number), "-" if acc is None else f"{acc:.4f}", f"{p['lr']:.2e}",
            str(p["batch_size"]), f"{p['weight_decay']:.1e}", f"{p['dropout']:.2f}",
            p["optimizer"], p["init"], str(p["n_layers"]), str(p["width"]),
            str(t.last_step or 0), t.state.name)
    return table


def state_counts(trials: Sequence[FrozenTrial]) -> str:
    """``COMPLETE 20, PRUNED 9, FAIL 1`` (RUNNING/WAITING only when there are some)."""
    counts = {s: sum(t.state is s for t in trials) for s in TrialState}
    shown = [s for s in TrialState if s in (*FINISHED, TrialState.FAIL) or counts[s]]
    return ", ".join(f"{s.name} {counts[s]}" for s in shown)


def score_on_test(study: Study, data: RawData, epochs: int, seed: int) -> float:
    """Retrain the best configuration on train + validation and return its test accuracy."""
    trainval, test = standardise(
        (np.concatenate([data.x_train, data.x_val]), np.concatenate([data.y_train, data.y_val])),
        (data.x_test, data.y_test))
    model = fit(Config.from_params(study.best_params), trainval, epochs, seed)
    return evaluate(model, test)


# ---------------------------------------------------------------------------------- main
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
    parser.add_argument("--epochs", type=int, default=50, help="epochs per trial")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run (or continue) the study, print the best trials, and score the best on test."""
    args = parse_args(argv)
    # Without a terminal (CI, `make demo | tee`), Rich would wrap the table at 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 120, highlight=False,
                      soft_wrap=True)
    # The CPU kernels this model uses are deterministic for a fixed thread count, so seeding
    # is enough (torch.use_deterministic_algorithms would add a second of imports).
    torch.set_num_threads(args.threads)
    data = load_digits_splits(args.seed)
    train, val = standardise((data.x_train, data.y_train), (data.x_val, data.y_val))

    study = open_study(args.storage, args.study_name, args.seed, args.epochs)
    for number in study.fail_stale_trials():
        console.print(f"trial {number} was left RUNNING by a worker that died; marked FAIL")
    done = finished_count(study)
    missing = max(args.n_trials - done, 0)
    if done:
        console.print(f"Continuing study {args.study_name!r} in {args.storage}: {done} of "
                      f"{args.n_trials} trials finished, running the {missing} still missing.")
    else:
        console.print(f"New study {args.study_name!r} in {args.storage}: running "
                      f"{missing} trials of {args.epochs} epochs (seed {args.seed}).")
    console.print(f"data: {len(train.y)} train, {len(val.y)} validation, "
                  f"{len(data.y_test)} test digits; sampler {study.sampler!r}")

    started = time.perf_counter()
    try:
        study.optimize(make_objective(train, val, args.epochs, args.seed), n_trials=missing,
                       callbacks=[log_trial(console)])
    except KeyboardInterrupt:
        console.print("interrupted: the finished trials are saved; run the same command again "
                      "to continue the study")
        return 130
    console.print(f"ran {missing} trials in {time.perf_counter() - started:.1f} s")

    trials = study.trials
    console.print("Best 5 trials (COMPLETE by validation accuracy, then PRUNED):")
    console.print(best_table(trials))
    console.print(f"trials: {state_counts(trials)}")
    if not any(t.is_finite_complete() for t in trials):
        console.print("no trial completed, so there is no best configuration to test")
        return 1
    best = study.best_trial
    test_acc = score_on_test(study, data, args.epochs, args.seed)
    console.print(f"best trial {best.number}: validation accuracy {best.value:.4f}")
    console.print(f"test accuracy of the best configuration, retrained on train+validation: "
                  f"{test_acc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
