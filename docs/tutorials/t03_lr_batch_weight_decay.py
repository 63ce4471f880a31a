"""
Learning rate, batch size and weight decay, measured
====================================================

Three settings decide most of how well a network trains. This tutorial measures each one on
the same small network and data, so the reasons to search them (and how) are numbers, not
folklore: the learning rate on a log scale because its good range spans decades; the batch size
together with the learning rate because they trade against each other; weight decay because a
network that can memorise its training set will.
"""

# %%
# Data and model
# --------------
# scikit-learn's 8x8 digits (bundled, no download): 1,347 training and 450 validation images,
# and a two-layer MLP trained with :func:`tunecraft.torch.fit` for a few epochs. ``fit`` takes
# arrays, builds the loaders, trains, and returns the best validation accuracy and the
# per-epoch history.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from tunecraft.torch import TrainConfig, fit
from tunecraft.torch.mlp import MLPSpec

x, y = load_digits(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split((x / 16).astype("float32"), y,
                                                  test_size=0.25, random_state=0)
net = MLPSpec(in_features=64, out_features=10, depth=2, width=128)


def accuracy(config: TrainConfig, epochs: int = 5, train=(x_train, y_train)) -> float:
    return fit(net, train, (x_val, y_val), config, max_epochs=epochs).best_metric


# %%
# The learning rate spans decades
# -------------------------------
# SGD with momentum 0.9, five epochs, at learning rates from 1e-4 to 3: too small and the
# network barely moves in the budget; too large and the loss diverges. The good band is about
# one decade wide, and where it lies depends on the model, the data and the optimizer: that is
# why a study searches it with ``suggest_float("lr", 1e-5, 1, log=True)``: each decade gets
# the same share of trials.
lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0]
sgd = {lr: accuracy(TrainConfig(lr=lr, optimizer="sgd", momentum=0.9, seed=0)) for lr in lrs}
adam = {lr: accuracy(TrainConfig(lr=lr, optimizer="adam", seed=0)) for lr in lrs[:8]}
for lr in lrs:
    print(f"lr {lr:<7g} SGD+momentum {sgd[lr]:.3f}   Adam {adam.get(lr, float('nan')):.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(list(sgd), list(sgd.values()), "o-", label="SGD + momentum 0.9")
ax.semilogx(list(adam), list(adam.values()), "s-", label="Adam")
ax.set(xlabel="learning rate", ylabel="validation accuracy after 5 epochs",
       title="The useful learning rates span about a decade")
ax.legend()

# %%
# Adam's band sits about a decade lower than SGD's: the best rate is a property of the
# optimizer too, so a study that searches the optimizer must search the rate with it.
#
# Batch size and learning rate trade against each other
# ------------------------------------------------------
# A larger batch gives a less noisy gradient but fewer steps per epoch. At a fixed learning
# rate, large batches fall behind in a fixed number of epochs; scaling the rate with the batch
# (the *linear scaling rule* of Goyal et al., 2017, ``tunecraft.torch.scale_lr``) recovers
# much of the loss.
from tunecraft.torch import scale_lr

batches = [16, 32, 64, 128, 256, 512]
fixed = [accuracy(TrainConfig(lr=0.02, batch_size=b, optimizer="sgd", momentum=0.9, seed=0))
         for b in batches]
scaled = [accuracy(TrainConfig(lr=scale_lr(0.02, 64, b), batch_size=b, optimizer="sgd",
                               momentum=0.9, seed=0)) for b in batches]
for b, f, s in zip(batches, fixed, scaled, strict=True):
    print(f"batch {b:>4}: lr 0.02 -> {f:.3f}   lr {scale_lr(0.02, 64, b):<8.4g} -> {s:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(batches, fixed, "o-", base=2, label="learning rate fixed at 0.02")
ax.semilogx(batches, scaled, "s-", base=2, label="learning rate scaled with the batch")
ax.set(xlabel="batch size", ylabel="validation accuracy after 5 epochs",
       title="Larger batches need larger learning rates")
ax.legend()

# %%
# Weight decay against memorising
# -------------------------------
# With only 150 training images and 60 epochs the network can memorise them: its training loss
# goes to nearly zero. Weight decay (decoupled, as in AdamW) pulls the weights towards zero at
# each step, trading training fit for smoother functions. Its useful range also spans decades,
# so it is searched on a log scale too.
rng = np.random.default_rng(0)
few = rng.choice(len(x_train), size=150, replace=False)
decays = [0.0, 1e-3, 1e-2, 0.1, 0.3, 1.0, 3.0]
runs = {wd: fit(net, (x_train[few], y_train[few]), (x_val, y_val),
                TrainConfig(lr=3e-3, optimizer="adamw", weight_decay=wd, seed=0),
                max_epochs=60) for wd in decays}
for wd, run in runs.items():
    last = run.history[-1]
    print(f"weight decay {wd:<6g} train loss {last.train_loss:.3f}  "
          f"val loss {last.val_loss:.3f}  best val accuracy {run.best_metric:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
for wd in (0.0, 0.3, 3.0):
    ax.plot([h.val_loss for h in runs[wd].history], label=f"weight decay {wd:g}")
ax.set(xlabel="epoch", ylabel="validation loss", yscale="log",
       title="150 training images: weight decay against overfitting")
ax.legend()

# %%
# Read the numbers above before the folklore: on this problem the training loss shows the
# decay working (it rises with the decay), but the validation accuracy barely moves until the
# decay is large enough to underfit. The effect of weight decay depends on the data, the
# model and the rest of the training setup, and is often small next to the learning rate's:
# one more reason to let a search, not a rule of thumb, choose it, over a wide log range.
# The [regularisation how-to](../../torch/regularisation.md) covers the other regularisers.
#
# What to search
# --------------
# :func:`tunecraft.torch.suggest_training_config` asks a trial for exactly these: the learning
# rate and weight decay on log scales, the batch size from powers of two (optionally scaling
# the rate with it), and the optimizer, so the sampler can learn how they interact.
