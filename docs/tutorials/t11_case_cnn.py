"""
Case study 1: a small CNN on digit images
=========================================

An end-to-end tuning of a convolutional network, with the budget fixed up front: scikit-learn's
1,797 handwritten digits seen as 8x8 images (bundled, no download), a two-block CNN, and at
most 20 trials of at most 8 epochs each on a laptop CPU. The craft, in order: a learning-rate
range test to set the search range, a Bayesian search (TPE) over the training setup and the
network's width, Hyperband to stop hopeless trials, the training doctor watching every trial,
and a final score on a test set no trial has seen.
"""

# %%
# The data and the model
# ----------------------
# Three splits: 60% to train, 20% to choose (validation: what the trials report), 20% to test
# the winner once at the end. The network: two 3x3 convolution blocks, a 2x2 max-pool, dropout
# and a linear classifier; ``fit`` sets the dropout rate from ``TrainConfig.dropout``.
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import tunecraft
from tunecraft.torch import TrainConfig, evaluate, fit, lr_bounds_from_range_test, lr_range_test

started, cpu = time.perf_counter(), time.process_time()
x, y = load_digits(return_X_y=True)
images = (x / 16).astype("float32").reshape(-1, 1, 8, 8)
x_rest, x_test, y_rest, y_test = train_test_split(images, y, test_size=0.2, random_state=0,
                                                  stratify=y)
x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.25,
                                                  random_state=0, stratify=y_rest)
print(f"train {len(x_train)}, validation {len(x_val)}, test {len(x_test)} images of "
      f"{images.shape[1:]}")


def cnn(channels: int):
    """A factory ``config -> nn.Module`` for :func:`tunecraft.torch.fit`."""

    def build(config: TrainConfig | None = None) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(),
            nn.Linear(2 * channels * 4 * 4, 10))

    return build


print(f"{sum(p.numel() for p in cnn(16)().parameters()):,} weights with 16 channels")

# %%
# Step 1: the learning-rate range test
# ------------------------------------
# One sweep of 100 mini-batches with AdamW from 1e-6 to 1, instead of spending trials on five
# decades of learning rate. :func:`tunecraft.torch.lr_bounds_from_range_test` turns the curve
# into a search range that stops short of where the loss diverges.
torch.manual_seed(0)
model = cnn(16)()
loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(torch.as_tensor(x_train), torch.as_tensor(y_train)),
    batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
sweep = lr_range_test(model, nn.CrossEntropyLoss(), loader,
                      lambda params: torch.optim.AdamW(params), start_lr=1e-6, end_lr=1.0)
low, high = lr_bounds_from_range_test(sweep)
print(f"range test: {len(sweep.lrs)} steps ({sweep.stop_reason}); suggestion "
      f"{sweep.suggestion():.3g}; search the learning rate in [{low:.3g}, {high:.3g}]")
ax = sweep.plot(rules=("confirmed", "minimum/3"))

# %%
# Step 2: the search
# ------------------
# :func:`tunecraft.torch.suggest_training_config` asks for the learning rate (in the range the
# test gave), the weight decay, the batch size, the schedule with its warm-up, and the dropout;
# the width of the network is one more categorical choice. The optimizer is fixed to AdamW,
# whose rate the range test measured. Every trial trains under the doctor
# (``doctor=True``); Hyperband (``min_resource=1``, ``max_resource=8`` epochs) stops trials
# that fall behind, and :class:`tunecraft.pruners.DiagnosisPruner` around it stops a trial
# whose training the doctor finds broken beyond repair (a diverged loss, dead units).
MAX_EPOCHS = 8
space = dict(lr=(low, high), optimizer="adamw", weight_decay=(1e-5, 1e-1),
             batch_size=[32, 64, 128], schedule=["constant", "cosine", "one_cycle"],
             dropout=(0.0, 0.5), label_smoothing=None, grad_clip=None, init="torch_default")


def objective(trial: tunecraft.Trial) -> float:
    config = tunecraft.torch.suggest_training_config(trial, **space)
    channels = trial.suggest_categorical("channels", [8, 16, 32])
    return fit(cnn(channels), (x_train, y_train), (x_val, y_val), config, trial,
               max_epochs=MAX_EPOCHS, doctor=True).best_metric


pruner = tunecraft.pruners.DiagnosisPruner(
    tunecraft.pruners.HyperbandPruner(min_resource=1, max_resource=MAX_EPOCHS))
study = tunecraft.create_study(direction="maximize", pruner=pruner,
                               sampler=tunecraft.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=20)
epochs = sum(len(t.intermediate_values) for t in study.trials)
states = {s.name: sum(t.state == s for t in study.trials) for s in tunecraft.TrialState
          if any(t.state == s for t in study.trials)}
print(f"{len(study.trials)} trials {states}; {epochs} epochs trained of "
      f"{len(study.trials) * MAX_EPOCHS} without pruning")
print(f"best validation accuracy {study.best_value:.4f} (trial {study.best_trial.number})")
for name, value in sorted(study.best_params.items()):
    print(f"  {name:<24} {value:.3g}" if isinstance(value, float) else f"  {name:<24} {value}")

# %%
# The search's progress: each completed trial's accuracy and the best so far (a pruned trial
# has no final value, so it is not drawn; the count above says how many there were):
from tunecraft.visualization.matplotlib import plot_optimization_history

ax = plot_optimization_history(study)

# %%
# Step 3: the result, on the test set
# -----------------------------------
# The best trial's configuration, rebuilt from its parameters with
# :func:`tunecraft.torch.search_space.config_from_params` (the same keywords as the search),
# trained once more for the full budget, and scored once on the test set. The doctor's verdict
# on that run comes with it.
from tunecraft.torch.search_space import config_from_params

best = config_from_params(study.best_params, **space)
final = fit(cnn(study.best_params["channels"]), (x_train, y_train), (x_val, y_val), best,
            max_epochs=MAX_EPOCHS, doctor=True)
test = evaluate(final.model, (x_test, y_test))
print(f"retrained: validation accuracy {final.best_metric:.4f} (epoch {final.best_epoch}); "
      f"test accuracy {test.accuracy:.4f} on {len(x_test)} unseen images")
print(final.diagnosis)

# %%
# What the craft taught
# ---------------------
# The diagnoses every trial recorded, counted per problem with the epochs the trials that had
# each problem used (the numbers the dashboard's problems view shows):
from tunecraft.viz.diagnoses import problem_costs

costs = problem_costs(study.trials)
print(f"{costs['diagnosed']} trials diagnosed, {costs['healthy']} healthy")
for row in costs["problems"]:
    print(f"  {row['code']:<20} {row['trials']} trials, {row['epochs']} epochs "
          f"({100 * row['epoch_share']:.0f}% of all)")
lrs = np.array([t.params["optimizer_lr"] for t in study.trials])
print(f"learning rates tried: {lrs.min():.3g} to {lrs.max():.3g} "
      f"({np.log10(lrs.max() / lrs.min()):.1f} decades)")
print(f"whole case study: {time.process_time() - cpu:.0f} s of CPU time, "
      f"{time.perf_counter() - started:.0f} s on the clock")

# %%
# - **The range test spent 100 mini-batches to save trials.** The learning rates the search
#   tried span the decade or so printed above instead of the five decades of a blind range, so
#   no trial was spent finding out that 1e-5 is too slow or that 1.0 diverges. The band is
#   where to search, not a promise: the doctor's counts show whether a trial still ran too
#   fast for its batch size and schedule.
# - **Hyperband spent the epochs where they paid**: the count above against a search without
#   pruning. The trials it stopped early were behind at the rung where it compared them.
# - **The doctor watched every trial.** Read its verdicts with the trial's length: a trial
#   stopped after an epoch or two has not fitted yet, so *underfitting* there says more about
#   the short run than about the setup. That is why ``DiagnosisPruner`` prunes only on
#   problems no more training cures and leaves the rest to Hyperband. The same per-problem
#   counts are the dashboard's problems view (see [the dashboard how-to](../../dashboard.md));
#   the [doctor tutorial](t10_training_doctor.md) shows the remedies.
# - **The test set was touched once**, after the search: the validation accuracy of the best
#   of 20 trials is an optimistic estimate (it won a contest on that data); the test accuracy
#   is not.
