"""
Schedules, warm-up and adaptive optimizers
==========================================

A constant learning rate is a compromise: large enough to make progress early, small enough to
settle late. A *schedule* changes it over training. In tunecraft a schedule is a pure function
of the step that returns a multiplier of the base rate, so it can be plotted, tested and
searched without a model.
"""

# %%
# The shapes
# ----------
# Over 300 steps: step decay, cosine annealing (Loshchilov & Hutter, 2017), linear warm-up into
# cosine (Goyal et al., 2017), and the 1cycle policy (Smith & Topin, 2019).
import matplotlib.pyplot as plt

from tunecraft.torch import constant, cosine, one_cycle, step_decay, warmup

steps = 300
schedules = {
    "constant": constant(),
    "step decay (x0.1 every 100)": step_decay(100, 0.1),
    "cosine": cosine(steps),
    "warm-up 30 + cosine": warmup(30, cosine(steps - 30)),
    "1cycle": one_cycle(steps),
}
fig, ax = plt.subplots(figsize=(6.5, 3.4))
for name, schedule in schedules.items():
    ax.plot(range(steps), [schedule(t) for t in range(steps)], label=name)
ax.set(xlabel="step", ylabel="multiplier of the base learning rate",
       title="Schedules are pure functions of the step")
ax.legend(fontsize=8)

# %%
# Measured on the digits MLP
# --------------------------
# The same network and budget (8 epochs) with SGD + momentum at a high base rate, under each
# schedule, and Adam/AdamW at their usual rate. ``TrainConfig.schedule`` names the schedule and
# ``warmup_pct`` adds a linear warm-up; :func:`tunecraft.torch.fit` turns them into a torch
# scheduler stepped every batch.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from tunecraft.torch import TrainConfig, fit
from tunecraft.torch.mlp import MLPSpec

x, y = load_digits(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split((x / 16).astype("float32"), y,
                                                  test_size=0.25, random_state=0)
net = MLPSpec(in_features=64, out_features=10, depth=2, width=128)
configs = {
    "SGD, constant": TrainConfig(lr=0.2, optimizer="sgd", momentum=0.9),
    "SGD, cosine": TrainConfig(lr=0.2, optimizer="sgd", momentum=0.9, schedule="cosine"),
    "SGD, warm-up + cosine": TrainConfig(lr=0.2, optimizer="sgd", momentum=0.9,
                                         schedule="cosine", warmup_pct=0.1),
    "SGD, 1cycle": TrainConfig(lr=0.2, optimizer="sgd", momentum=0.9, schedule="one_cycle"),
    "Adam, constant": TrainConfig(lr=3e-3, optimizer="adam"),
    "AdamW, cosine": TrainConfig(lr=3e-3, optimizer="adamw", weight_decay=0.01,
                                 schedule="cosine"),
}
runs = {name: fit(net, (x_train, y_train), (x_val, y_val), config, max_epochs=8)
        for name, config in configs.items()}
for name, run in runs.items():
    print(f"{name:<22} best validation accuracy {run.best_metric:.3f}, "
          f"final validation loss {run.history[-1].val_loss:.3f}")

fig, ax = plt.subplots(figsize=(6.5, 3.4))
for name, run in runs.items():
    ax.plot([h.epoch for h in run.history], [h.val_loss for h in run.history], "o-", ms=3,
            label=name)
ax.set(xlabel="epoch", ylabel="validation loss", yscale="log",
       title="The same budget under each schedule and optimizer")
ax.legend(fontsize=8)

# %%
# Decaying schedules end with small steps, which let the weights settle into a minimum the
# constant rate keeps bouncing around; warm-up protects the first steps at a high rate, when
# the weights are random and the gradients large. Adaptive optimizers (Adam, AdamW) rescale
# each parameter's step by its gradient history, so they are less sensitive to the base rate,
# but they still have one, about a decade below SGD's.
#
# Searching the schedule
# ----------------------
# :func:`tunecraft.torch.suggest_schedule` asks a trial for a schedule and its parameters, and
# :func:`tunecraft.torch.suggest_training_config` includes it with the optimizer, so a study
# searches the combination; see the [schedules how-to](../../torch/schedules.md).
