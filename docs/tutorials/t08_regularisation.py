"""
Regularisation: weight decay, dropout, early stopping and more data
===================================================================

A network with more parameters than training examples can fit its training set exactly,
noise included. Regularisation trades some of that fit for functions that generalise: weight
decay pulls the weights towards zero, dropout trains an ensemble of thinned networks,
early stopping keeps the epoch before memorising began. More data does all of it at once.
This tutorial makes a network overfit on purpose, measures each remedy, lets the training
doctor name the problem, and then searches the remedies together.
"""

# %%
# A network that memorises
# ------------------------
# scikit-learn's 8x8 digits (bundled, no download), but only 100 of the 1,347 training images,
# and a wide MLP (two hidden layers of 512 units, about 300,000 weights) trained for 40 epochs
# with AdamW; the validation set keeps all 450 images. ``fit(..., doctor=True)`` attaches the
# [training doctor](t10_training_doctor.md) to the run. Each epoch's training and validation
# loss are in ``result.history``.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from tunecraft.torch import TrainConfig, fit
from tunecraft.torch.mlp import MLPSpec

x, y = load_digits(return_X_y=True)
x = ((x - x.mean(0)) / (x.std(0) + 1e-6)).astype("float32")  # standardised pixels
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.25, random_state=0)
rng = np.random.default_rng(0)
few = rng.choice(len(x_train), size=100, replace=False)
small = (x_train[few], y_train[few])
net = MLPSpec(in_features=64, out_features=10, depth=2, width=512)
EPOCHS = 40

plain = TrainConfig(lr=3e-3, optimizer="adamw", batch_size=32, seed=0)
bare = fit(net, small, (x_val, y_val), plain, max_epochs=EPOCHS, doctor=True)
first, last = bare.history[0], bare.history[-1]
lowest = min(bare.history, key=lambda h: h.val_loss)
print(f"training loss {first.train_loss:.3f} -> {last.train_loss:.5f}; validation loss lowest "
      f"{lowest.val_loss:.3f} at epoch {lowest.epoch}, {last.val_loss:.3f} at epoch {last.epoch}")
print(f"best validation accuracy {bare.best_metric:.3f} (epoch {bare.best_epoch})")
print(bare.diagnosis)

# %%
# The training loss falls by orders of magnitude while the validation loss, after its
# minimum in the first epochs, climbs: the signature of memorising. The doctor measured the
# same curves and names the problem, with its evidence and the remedy it would apply.
# (``bare.diagnosis.fix(plain)`` would apply that remedy to the config; the
# [doctor tutorial](t10_training_doctor.md) does.)
#
# Each remedy alone, and together
# -------------------------------
# The same run with decoupled weight decay (``weight_decay``; AdamW's form, Loshchilov &
# Hutter, 2019), with dropout after each hidden layer (``dropout``; Srivastava et al., 2014,
# set on the model's ``nn.Dropout`` modules by ``fit``), and with both. A decay of 1 sounds
# large, but AdamW multiplies it by the learning rate: each step shrinks the weights by
# ``lr * weight_decay`` = 0.3%. Label smoothing (``label_smoothing``) is a fourth knob that
# softens the targets; it is searched below.
remedies = {
    "none": plain,
    "weight decay 1": plain.replace(weight_decay=1.0),
    "dropout 0.5": plain.replace(dropout=0.5),
    "both": plain.replace(weight_decay=1.0, dropout=0.5),
}
runs = {"none": bare}
runs.update({name: fit(net, small, (x_val, y_val), config, max_epochs=EPOCHS, doctor=True)
             for name, config in remedies.items() if name != "none"})
for name, run in runs.items():
    end = run.history[-1]
    found = ", ".join(p.code for p in run.diagnosis.at_least("warning")) or "healthy"
    print(f"{name:<17} final train loss {end.train_loss:.4f}  final val loss "
          f"{end.val_loss:.3f}  best val accuracy {run.best_metric:.3f}  doctor: {found}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
for ax, name in zip(axes, ("none", "both"), strict=True):
    hist = runs[name].history
    epochs = [h.epoch for h in hist]
    ax.semilogy(epochs, [h.train_loss for h in hist], label="training loss")
    ax.semilogy(epochs, [h.val_loss for h in hist], label="validation loss")
    ax.set(title="no regularisation" if name == "none" else "weight decay 1 + dropout 0.5",
           xlabel="epoch")
axes[0].set_ylabel("loss (log scale)")
axes[0].legend()
fig.suptitle(f"{len(few)} training images, a 512-wide MLP")
fig.tight_layout()

# %%
# Regularised, the training loss stops short of zero and the validation loss no longer
# climbs away from its minimum. On this problem the weight decay does the work: dropout alone
# slows the memorising but does not stop it, and the doctor still flags it. Read the
# accuracies as well as the losses: the remedies mostly stop the model from growing
# over-confident on the images it gets wrong (the validation loss), and move the accuracy
# by a point or two at most.
#
# Early stopping
# --------------
# ``TrainConfig(patience=n)`` stops a run after ``n`` epochs without a better validation
# metric and hands back the weights of the best epoch (``result.model``), so the run's result
# is its best epoch, not its last. Here it watches the validation loss (``metric="loss"``).
stopped = fit(net, small, (x_val, y_val), plain.replace(patience=5, metric="loss"),
              max_epochs=EPOCHS)
print(f"stopped after {stopped.epochs} of {EPOCHS} epochs ({stopped.stop_reason}); best "
      f"validation loss {stopped.best_metric:.3f} at epoch {stopped.best_epoch}, against "
      f"{bare.history[-1].val_loss:.3f} after all {EPOCHS} epochs without it")

# %%
# It saves most of the epochs and ends with the validation loss of the best epoch, not the
# last one: the cheapest regulariser of all. It picks the epoch by the validation data, so
# report the final accuracy on data the run has not seen (a test set) when it matters.
#
# More data is the best regulariser
# ---------------------------------
# The gap between validation and training loss at the end of the run (40 epochs), for
# training sets from 100 images to all 1,347, without and with weight decay and dropout.
sizes = [100, 200, 400, 800, len(x_train)]
gaps: dict[str, list[float]] = {"none": [], "both": []}
accs: dict[str, list[float]] = {"none": [], "both": []}
for size in sizes:
    part = rng.choice(len(x_train), size=size, replace=False)
    for name in gaps:
        run = fit(net, (x_train[part], y_train[part]), (x_val, y_val), remedies[name],
                  max_epochs=EPOCHS)
        gaps[name].append(run.history[-1].val_loss - run.history[-1].train_loss)
        accs[name].append(run.best_metric)
    print(f"{size:>5} training images: gap {gaps['none'][-1]:.3f} without, {gaps['both'][-1]:.3f}"
          f" with regularisation; best accuracy {accs['none'][-1]:.3f} / {accs['both'][-1]:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
ax.loglog(sizes, gaps["none"], "o-", label="no regularisation")
ax.loglog(sizes, gaps["both"], "s-", label="weight decay 1 + dropout 0.5")
ax.set(xlabel="training images", ylabel="validation - training loss",
       title="The generalisation gap shrinks with the data")
ax.legend()

# %%
# Regularisation narrows the gap at most sizes, but a few times more data narrows it more
# than the knobs do, and it raises the accuracy by several points where the knobs moved it
# by one or two: when more data can be had, get it first.
#
# Searching the remedies
# ----------------------
# How much of each remedy a problem needs depends on the model and the data, so they are
# searched. :func:`tunecraft.torch.suggest_regularization` asks a trial for the dropout and
# label smoothing (linear scales) and, here, the weight decay (log scale);
# early stopping is fixed (``patience=5``). 24 trials of TPE on the 100-image problem,
# maximising the best validation accuracy.
import tunecraft
from tunecraft.torch import suggest_regularization


def objective(trial: tunecraft.Trial) -> float:
    reg = suggest_regularization(trial, dropout=(0.0, 0.7), label_smoothing=(0.0, 0.3),
                                 weight_decay=(1e-4, 1.0))
    config = plain.replace(dropout=reg.dropout, label_smoothing=reg.label_smoothing,
                           weight_decay=reg.weight_decay, patience=5)
    return fit(net, small, (x_val, y_val), config, trial, max_epochs=EPOCHS).best_metric


study = tunecraft.create_study(direction="maximize",
                               sampler=tunecraft.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=24)
print(f"without regularisation: best validation accuracy {bare.best_metric:.3f}")
print(f"searched: {study.best_value:.3f} with "
      + ", ".join(f"{k} {v:.3g}" for k, v in study.best_params.items()))

# %%
# What the search found
# ---------------------
# Each trial's accuracy against each knob (darker points are later trials). The study
# maximises accuracy, while the curves above were read by the validation loss, and the two
# need not pick the same knobs: label smoothing, for one, raises the training loss by design
# (the targets are no longer one-hot) yet can help the accuracy. Decide what the study
# optimises before reading its answer.
from tunecraft.visualization.matplotlib import plot_slice

axes = plot_slice(study)

# %%
# The [regularisation how-to](../../torch/regularisation.md) lists the typical ranges and the
# other tools (gradient clipping, the early-stopping rule on its own); the
# [overfitting page](../../doctor/overfitting.md) of the doctor shows what its remedy does on
# many such runs.
