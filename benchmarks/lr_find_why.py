"""Why the range test's default misses plain SGD on MNIST-1D: ``python -m benchmarks.lr_find_why``.

The experiments behind the dated section "why plain SGD on MNIST-1D misses" of
``benchmarks/results/issue-14.md``; each prints a markdown table:

- ``ramp``: the LR of the sweep's lowest loss (zero-lag curve, cut by the raw-loss stop, as the
  default rule reads it) on the digits MLP (batch 32) for SGD with momentum 0, 0.5 and 0.9,
  Nesterov 0.9 and Adam with ``beta1`` 0.9, 0.5 and 0, at 100 and at 400 sweep iterations. If
  the momentum buffer's lag behind the ramp (about ``m / (1 - m)`` steps) carried the lowest
  loss upward, a 4x slower ramp would lower it much more with momentum than without.
- ``budget``: digits MLP trained for 3 epochs instead of 15, plain SGD and momentum 0.9,
  at the lowest loss's LR divided by 1, 2 and 3 and at 0.1, 0.3 and 1: does a shorter run
  move the best rate toward the edge?
- ``mnist1d``: the MNIST-1D MLP with plain SGD at the lowest loss's LR divided by 1 and 2
  (the setting's 20 epochs), and at 0.3 and 1.0 for 60 epochs.
- ``halves``: the other 7 of the first 8 settings at the lowest loss's LR divided by 3
  (the default) and by 2, to set against their grids in the main benchmark's report.

Grid accuracies of the settings are in the main benchmark (:mod:`benchmarks.lr_find`).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from benchmarks.lr_find import SWEEP, _ce, _loader, _model, train
from benchmarks.lr_find_tasks import SETTINGS, Setting, make_optimizer

OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "SGD, momentum 0": ("SGD", {}),
    "SGD, momentum 0.5": ("SGD", {"momentum": 0.5}),
    "SGD, momentum 0.9": ("SGD", {"momentum": 0.9}),
    "SGD, Nesterov 0.9": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "Adam, beta1 0.9": ("Adam", {}),
    "Adam, beta1 0.5": ("Adam", {"betas": (0.5, 0.999)}),
    "Adam, beta1 0": ("Adam", {"betas": (0.0, 0.999)}),
}


def lowest_loss_lr(setting: Setting, seed: int, factory: Callable[[Any], Any],
                   num_iter: int = 100) -> float:
    """The LR of the lowest loss that ``minimum/3`` divides by 3, from a full sweep."""
    from tunecraft.torch import lr_range_test
    from tunecraft.torch.lr_rules import divergence_index, trend

    (x, y), _ = setting.data()
    res = lr_range_test(_model(setting, seed), _ce(), _loader(x, y, setting.batch_size, seed),
                        factory, diverge_factor=None,
                        **{**SWEEP, "num_iter": num_iter})  # type: ignore[arg-type]
    lrs, raw = np.asarray(res.lrs), np.asarray(res.losses)
    finite = raw[np.isfinite(raw)]
    fired = divergence_index(finite.tolist(), 4.0)
    n = len(finite) if fired is None else fired + 1
    curve = trend(finite[:n].tolist(), 0.5)
    skip = len(lrs) // 10
    return float(lrs[skip + int(np.argmin(curve[skip:n - 2]))])


def _setting_factory(setting: Setting) -> Callable[[Any], Any]:
    return lambda params: make_optimizer(setting.optimizer, params, 1e-7)


def _ramp(job: tuple[str, int, int]) -> tuple[str, int, int, float]:
    import torch

    torch.set_num_threads(1)
    label, seed, num_iter = job
    cls, kwargs = OPTIMIZERS[label]
    factory = functools.partial(getattr(torch.optim, cls), lr=1e-7, **kwargs)
    return label, seed, num_iter, lowest_loss_lr(SETTINGS["digits-mlp-sgd"], seed, factory,
                                                 num_iter)


def _budget(job: tuple[str, int]) -> tuple[str, int, float, dict[str, float]]:
    import torch

    torch.set_num_threads(1)
    name, seed = job
    full = SETTINGS[name]
    low = lowest_loss_lr(full, seed, _setting_factory(full))
    short = dataclasses.replace(full, epochs=3)
    rates = {"/1": low, "/2": low / 2, "/3": low / 3, "0.1": 0.1, "0.3": 0.3, "1": 1.0}
    return name, seed, low, {k: train(short, seed, lr) for k, lr in rates.items()}


def _mnist1d(job: tuple[str, int]) -> tuple[str, int, dict[str, float]]:
    import torch

    torch.set_num_threads(1)
    part, seed = job
    setting = SETTINGS["mnist1d-mlp-sgd0"]
    if part == "picks":
        low = lowest_loss_lr(setting, seed, _setting_factory(setting))
        return part, seed, {f"/1 ({low:.3g})": train(setting, seed, low),
                            f"/2 ({low / 2:.3g})": train(setting, seed, low / 2)}
    longer = dataclasses.replace(setting, epochs=60)
    return part, seed, {"0.3, 60 epochs": train(longer, seed, 0.3),
                        "1.0, 60 epochs": train(longer, seed, 1.0)}


HALVES = ("digits-mlp-sgd", "digits-mlp-adam", "digits-cnn-sgd", "mnist1d-cnn-sgd",
          "mnist1d-cnn-adamw", "teacher-bnmlp-adam", "sequences-gru-adamw")


def _halves(job: tuple[str, int]) -> tuple[str, int, float, float, float]:
    import torch

    torch.set_num_threads(1)
    name, seed = job
    setting = SETTINGS[name]
    low = lowest_loss_lr(setting, seed, _setting_factory(setting))
    return name, seed, low, train(setting, seed, low / 3), train(setting, seed, low / 2)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("parts", nargs="*", choices=("ramp", "budget", "mnist1d", "halves"),
                   default=["ramp", "budget", "mnist1d", "halves"])
    p.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    args = p.parse_args(argv)
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        if "ramp" in args.parts:
            found = list(pool.map(_ramp, [(label, seed, n) for label in OPTIMIZERS
                                          for n in (100, 400) for seed in range(3)]))
            print("\n| optimizer (digits MLP, batch 32) | lowest loss's LR, 100 iterations | "
                  "400 iterations | ratio |\n|---|---|---|---|")
            for label in OPTIMIZERS:
                gm = {n: math.exp(float(np.mean([math.log(v) for lab, _, m, v in found
                                                 if lab == label and m == n])))
                      for n in (100, 400)}
                print(f"| {label} | {gm[100]:.3g} | {gm[400]:.3g} | {gm[100] / gm[400]:.2f} |")
        if "budget" in args.parts:
            rows = list(pool.map(_budget, [(name, seed) for name in
                                           ("digits-mlp-sgd0", "digits-mlp-sgd")
                                           for seed in range(3)]))
            print("\n| setting, 3 epochs | seed | lowest loss's LR | " +
                  " | ".join(rows[0][3]) + " |\n|---|---|---|" + "---|" * len(rows[0][3]))
            for name, seed, low, acc in rows:
                print(f"| {name} | {seed} | {low:.3g} | " +
                      " | ".join(f"{v:.3f}" for v in acc.values()) + " |")
        if "mnist1d" in args.parts:
            print("\n| mnist1d-mlp-sgd0 | seed | accuracies |\n|---|---|---|")
            for part, seed, acc in pool.map(_mnist1d, [(part, seed) for part in
                                                       ("picks", "longer")
                                                       for seed in range(3)
                                                       if part == "picks" or seed < 2]):
                print(f"| {part} | {seed} | " +
                      ", ".join(f"{k}: {v:.3f}" for k, v in acc.items()) + " |")
        if "halves" in args.parts:
            print("\n| setting | seed | lowest loss's LR | accuracy at /3 | at /2 |\n"
                  "|---|---|---|---|---|")
            for name, seed, low, third, half in pool.map(_halves, [(name, seed)
                                                                    for name in HALVES
                                                                    for seed in range(3)]):
                print(f"| {name} | {seed} | {low:.3g} | {third:.3f} | {half:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
