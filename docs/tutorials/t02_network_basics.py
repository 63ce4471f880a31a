"""
Network basics as searchable choices
====================================

Depth, width, activation and loss are design choices, and each is a parameter a study can
search. This tutorial asks a trial for them with :func:`tunecraft.torch.mlp.suggest_mlp`,
trains each network briefly, and reads what the search learned.
"""

# %%
# The objective
# -------------
# ``suggest_mlp`` asks for ``mlp_depth`` (hidden layers), ``mlp_width`` (units, log scale) and
# ``mlp_activation``; the loss is a categorical choice too. Cross-entropy treats the outputs as
# class scores; a multi-class hinge loss (``multi_margin``) asks only for a margin.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import tunecraft
from tunecraft.torch import TrainConfig, fit
from tunecraft.torch.mlp import suggest_mlp

x, y = load_digits(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split((x / 16).astype("float32"), y,
                                                  test_size=0.25, random_state=0)


LOSSES = {"cross_entropy": "cross_entropy", "multi_margin": nn.MultiMarginLoss()}


def objective(trial: tunecraft.Trial) -> float:
    network = suggest_mlp(trial, 64, 10, depth=(1, 4), width=(16, 256))
    loss = trial.suggest_categorical("loss", ["cross_entropy", "multi_margin"])
    config = TrainConfig(lr=3e-3, optimizer="adam", seed=0)
    return fit(network, (x_train, y_train), (x_val, y_val), config, trial,
               max_epochs=4, loss=LOSSES[loss]).best_metric


study = tunecraft.create_study(direction="maximize",
                               sampler=tunecraft.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=16)
print(f"best validation accuracy {study.best_value:.3f} with {study.best_params}")

# %%
# Which choices mattered
# ----------------------
# Each trial's accuracy against each parameter (darker points are later trials, where TPE
# concentrated), and then each parameter's share of the variation.
from tunecraft.visualization.matplotlib import plot_slice

axes = plot_slice(study, params=["mlp_depth", "mlp_width", "mlp_activation", "loss"])

# %%
# Importance: how much of the variation in accuracy each parameter explains (fANOVA,
# Hutter et al., 2014), computed from the trials above.
importances = tunecraft.importance.get_param_importances(study)
for name, value in importances.items():
    print(f"{name:<16} {value:.2f}")

fig, ax = plt.subplots(figsize=(5, 2.6))
ax.barh(list(importances)[::-1], list(importances.values())[::-1])
ax.set(xlabel="importance (fANOVA)", title="What explains the accuracy")
