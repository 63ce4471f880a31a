"""Find a learning rate for the digits MLP with an LR range test, then check the suggestions.

Runs tunecraft's LR range test (fastai's schedule: 100 mini-batches, rate growing exponentially
from 1e-7 to 10, stop when the smoothed loss exceeds 4x its best) on a 2-layer MLP for
scikit-learn's bundled 8x8 digits (no download), with SGD + momentum 0.9 and batch size 64.
It prints each rule's suggestion, saves the loss curve as ``outputs/lr_range_test.png``, shows
the log range a study should search, and then trains the model for 8 epochs at each suggested
rate to show that the suggestions are good starting points. Under a minute on a laptop CPU.

    python examples/lr_range_test.py [--plot PATH]

The same test from the command line: ``tunecraft lr-find examples/lr_find.yaml``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tunecraft.torch import (
    TrainConfig,
    fit,
    lr_bounds_from_range_test,
    lr_range_test,
    make_optimizer,
)
from tunecraft.torch.mlp import MLPSpec

NET = MLPSpec(in_features=64, out_features=10, depth=2, width=128, activation="relu")
BATCH = 64


def splits() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Digits, standardised with the training mean/std: (train, validation) arrays."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.25, stratify=y,
                                              random_state=0)
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    std[std == 0] = 1.0
    return (((x_tr - mean) / std).astype(np.float32), y_tr), (
        ((x_va - mean) / std).astype(np.float32), y_va)


def make_model() -> nn.Module:
    """The model the test runs on (also the ``model:`` of examples/lr_find.yaml)."""
    return NET()


def train_data() -> tuple[np.ndarray, np.ndarray]:
    """Training arrays (the ``data:`` of examples/lr_find.yaml)."""
    return splits()[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--plot", default="outputs/lr_range_test.png",
                        help="where to save the plot (its folder is created)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # a small MLP: more threads only contend
    started = time.perf_counter()
    (x_tr, y_tr), val = splits()
    torch.manual_seed(0)
    model = make_model()
    loader = DataLoader(TensorDataset(torch.as_tensor(x_tr), torch.as_tensor(y_tr)),
                        batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0))
    optimizer = make_optimizer(model, "sgd", lr=1e-7, momentum=0.9)
    result = lr_range_test(model, nn.CrossEntropyLoss(), loader, optimizer)
    print(f"range test: {len(result.lrs)} iterations, stopped: {result.stop_reason}, "
          f"{time.perf_counter() - started:.1f}s")
    found = result.suggestions()
    for rule, lr in found.items():
        print(f"  {rule:<9} suggests lr = {lr:.3g}")
    import os

    os.makedirs(os.path.dirname(args.plot) or ".", exist_ok=True)
    result.plot(args.plot)
    print(f"plot saved to {os.path.abspath(args.plot)}")
    low, high = lr_bounds_from_range_test(result)  # the default rule, confirmed
    print(f"search range for a study: trial.suggest_float('lr', {low:.3g}, {high:.3g}, "
          "log=True)")

    print("\nvalidation accuracy after 8 epochs of SGD (momentum 0.9) at each rate:")
    rates = {**found, "too low (1e-5)": 1e-5, "too high (5.0)": 5.0}
    for name, lr in rates.items():
        cfg = TrainConfig(lr=lr, batch_size=BATCH, optimizer="sgd", momentum=0.9)
        res = fit(lambda c: NET(c), (x_tr, y_tr), val, cfg, max_epochs=8, device="cpu")
        print(f"  {name:<15} lr={lr:<10.3g} accuracy {res.best_metric:.4f}")
    print(f"\ntotal {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
