"""A full study with the ready search space, the trainer and pruning, on scikit-learn's digits.

``suggest_training_config`` searches the optimizer (with its conditional momentum/betas), the
learning rate, batch size, schedule and warm-up, weight decay, dropout, label smoothing,
gradient clipping and initialisation; ``suggest_mlp`` the depth, width and activation. The
learning-rate range starts from an LR range test instead of a blind 1e-5..1, and is scaled
to each batch size with the square-root rule. ``fit`` trains
each trial, reports validation accuracy every epoch and obeys the median pruner. At the end
the best trial's parameters are turned back into a config, retrained on train + validation,
and scored on the held-out test set. Under a minute on a laptop CPU (no download).

    python examples/study_with_trainer.py [--n-trials 25] [--epochs 10]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import tunecraft
from tunecraft import TrialState
from tunecraft.pruners import MedianPruner
from tunecraft.samplers import TPESampler
from tunecraft.torch import evaluate, fit, lr_bounds_from_range_test, lr_range_test, make_optimizer
from tunecraft.torch.search_space import (
    FixedParams,
    config_from_params,
    suggest_mlp,
    suggest_training_config,
)

Split = tuple[np.ndarray, np.ndarray]


def load(seed: int = 0) -> tuple[Split, Split, Split]:
    """Train / validation / test digits, standardised with the training statistics."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_rest, x_te, y_rest, y_te = train_test_split(x, y, test_size=0.2, stratify=y,
                                                  random_state=seed)
    x_tr, x_va, y_tr, y_va = train_test_split(x_rest, y_rest, test_size=0.25, stratify=y_rest,
                                              random_state=seed)
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    std[std == 0] = 1.0

    def norm(a: np.ndarray) -> np.ndarray:
        out: np.ndarray = ((a - mean) / std).astype(np.float32)
        return out

    return (norm(x_tr), y_tr), (norm(x_va), y_va), (norm(x_te), y_te)


def lr_range(train: Split) -> tuple[float, float]:
    """Search bounds for the learning rate from a range test with AdamW (batch size 64)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    data = TensorDataset(torch.as_tensor(train[0]), torch.as_tensor(train[1]))
    loader = DataLoader(data, batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    result = lr_range_test(model, nn.CrossEntropyLoss(), loader,
                           make_optimizer(model, "adamw", lr=1e-7))
    low, high = lr_bounds_from_range_test(result)  # around the default rule, confirmed
    print(f"LR range test ({len(result.lrs)} steps, {result.stop_reason}): confirmed "
          f"{result.suggestion():.3g}, valley {result.suggestion('valley'):.3g} "
          f"-> search lr in [{low:.3g}, {high:.3g}]")
    return low, high


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n-trials", type=int, default=25)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # small models: extra threads only contend
    started = time.perf_counter()
    train, val, test = load(args.seed)
    # the range test ran AdamW at batch 64: search Adam-type optimizers, and scale the rate
    # to other batch sizes with the square-root rule
    space = {"lr": lr_range(train), "optimizer": ["adam", "adamw"], "batch_size": [32, 64, 128],
             "lr_scaling": "sqrt", "base_batch_size": 64, "seed": args.seed}
    mlp: dict[str, Any] = {"depth": (1, 3), "width": (32, 256)}

    def objective(trial: tunecraft.Trial) -> float:
        config = suggest_training_config(trial, **space)
        net = suggest_mlp(trial, 64, 10, **mlp)
        return fit(net, train, val, config, trial, max_epochs=args.epochs,
                   device="cpu").best_metric

    study = tunecraft.create_study(
        direction="maximize", sampler=TPESampler(seed=args.seed, n_startup_trials=8),
        pruner=MedianPruner(n_startup_trials=5, n_warmup_steps=2))
    study.optimize(objective, n_trials=args.n_trials)

    counts = {s.name: sum(t.state is s for t in study.trials) for s in TrialState}
    print(f"{args.n_trials} trials in {time.perf_counter() - started:.1f}s: "
          f"COMPLETE {counts['COMPLETE']}, PRUNED {counts['PRUNED']}, FAIL {counts['FAIL']}")
    best = study.best_trial
    config = config_from_params(best.params, **space)
    net = suggest_mlp(FixedParams(best.params), 64, 10, **mlp)
    print(f"best trial {best.number}: val accuracy {best.value:.4f}")
    print(f"  network: depth {net.depth}, width {net.width}, {net.activation}")
    print(f"  config:  {config.optimizer} lr={config.lr:.3g} batch={config.batch_size} "
          f"wd={config.weight_decay:.2g} schedule={config.schedule} "
          f"warmup={config.warmup_pct:.2f} dropout={config.dropout:.2f} init={config.init} "
          f"smoothing={config.label_smoothing:.2f} clip={config.grad_clip}")
    train_val = (np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]]))
    # train for a fixed number of epochs without a validation set, then score test once
    final = fit(net, train_val, None, config, max_epochs=args.epochs, device="cpu")
    score = evaluate(final.model, test)
    print(f"retrained on train+val: test accuracy {score.accuracy:.4f}")
    print(f"total {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
