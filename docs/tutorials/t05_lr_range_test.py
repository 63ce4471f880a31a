"""
The learning-rate range test
============================

Searching the learning rate over five decades costs trials. Leslie Smith's range test
(Smith, 2017; popularised by fastai) finds the useful band in one short run: train for about
100 mini-batches while the rate grows exponentially from 1e-7 to 10, record the loss, and stop
when it explodes. The loss falls fastest somewhat below the rate where it is lowest; past that,
training diverges.
"""

# %%
# One run of 100 mini-batches
# ---------------------------
# The digits MLP with SGD and momentum 0.9, batch size 64. :func:`tunecraft.torch.lr_range_test`
# trains the model and optimizer you pass, then puts back their state (and that of the random
# number generators): the model is ready to train from where it was.
import time

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
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

x, y = load_digits(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split((x / 16).astype("float32"), y,
                                                  test_size=0.25, random_state=0)
net = MLPSpec(in_features=64, out_features=10, depth=2, width=128)

torch.manual_seed(0)
model = net()
loader = DataLoader(TensorDataset(torch.as_tensor(x_train), torch.as_tensor(y_train)),
                    batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
started = time.perf_counter()
result = lr_range_test(model, nn.CrossEntropyLoss(), loader,
                       make_optimizer(model, "sgd", lr=1e-7, momentum=0.9))
print(f"{len(result.lrs)} iterations in {time.perf_counter() - started:.1f} s, "
      f"stopped: {result.stop_reason}")
for rule, lr in result.suggestions().items():
    print(f"  {rule:<10} suggests lr = {lr:.3g}")

ax = result.plot(rules=("confirmed", "minimum/3", "valley", "steepest"))

# %%
# Reading the curve: flat at first (the rate is too small to move the weights), then falling,
# then rising sharply. The rules pick different points on the falling stretch; ``minimum/3``
# takes the rate of the lowest smoothed loss divided by three, a safe margin below divergence.
# The default, ``confirmed``, then checks it: it trains 300 steps at each of ``minimum/3``,
# ``√3`` times it and the lowest loss's rate (from the same start, restored afterwards) and
# keeps the rate with the lowest loss at the end whose run did not blow up, and whose next
# step up (probed too) still trains, so a model that still gains from larger rates gets one
# (``confirm_steps=0`` skips this check).
#
# Do the suggestions train well?
# ------------------------------
# Eight epochs at each suggested rate, and at a rate far too low and one far too high.
rates = {**result.suggestions(), "too low": 1e-5, "too high": 5.0}
accuracies = {}
for name, lr in rates.items():
    run = fit(net, (x_train, y_train), (x_val, y_val),
              TrainConfig(lr=lr, optimizer="sgd", momentum=0.9, seed=0), max_epochs=8)
    accuracies[name] = run.best_metric
    print(f"{name:<10} lr {lr:<9.3g} validation accuracy {run.best_metric:.3f} "
          f"({run.stop_reason})")

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.barh(list(accuracies), list(accuracies.values()), color="tab:blue")
ax.set(xlabel="validation accuracy after 8 epochs", xlim=(0, 1),
       title="Training at each suggested learning rate")

# %%
# A search range for a study
# --------------------------
# Rather than trusting one rule, a study can search a decade or so around the suggestion:
# :func:`tunecraft.torch.lr_bounds_from_range_test` returns it, for
# ``trial.suggest_float("lr", low, high, log=True)``. The search then spends its trials where
# the test says training works, instead of over five decades.
low, high = lr_bounds_from_range_test(result)
print(f"trial.suggest_float('lr', {low:.3g}, {high:.3g}, log=True)")

# %%
# The same test runs from the command line (``tunecraft lr-find config.yaml``), for Keras
# (``tunecraft.keras.keras_lr_range_test``) and for Lightning
# (``tunecraft.lightning.lightning_lr_range_test``); see the
# [LR range test how-to](../../torch/lr_range_test.md).
