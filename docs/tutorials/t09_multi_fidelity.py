"""
Multi-fidelity search: spend epochs where they pay
==================================================

Most trials of a search are worse than the best, and most of them show it after a few epochs.
Multi-fidelity methods give every trial a small budget and promote only the best to larger
ones: successive halving (Jamieson & Talwalkar, 2016), its asynchronous form ASHA (Li et al.,
2020), and Hyperband (Li et al., 2018), which hedges over how aggressively to cut. This
tutorial runs the same search with and without Hyperband and counts the epochs.
"""

# %%
# The objective reports every epoch
# ---------------------------------
# :func:`tunecraft.torch.fit` with a ``trial`` reports the validation accuracy after each
# epoch and raises ``TrialPruned`` when the study's pruner says stop.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tunecraft
from tunecraft.torch import TrainConfig, fit
from tunecraft.torch.mlp import MLPSpec

x, y = load_digits(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split((x / 16).astype("float32"), y,
                                                  test_size=0.25, random_state=0)
net = MLPSpec(in_features=64, out_features=10, depth=1, width=64)
MAX_EPOCHS = 9


def objective(trial: tunecraft.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    config = TrainConfig(lr=lr, optimizer=optimizer, momentum=0.9 if optimizer == "sgd" else None,
                         seed=0)
    return fit(net, (x_train, y_train), (x_val, y_val), config, trial,
               max_epochs=MAX_EPOCHS).best_metric


def epochs_spent(study: tunecraft.Study) -> int:
    return sum(len(t.intermediate_values) for t in study.trials)


studies = {}
for name, pruner in (("no pruning", tunecraft.pruners.NopPruner()),
                     ("Hyperband", tunecraft.pruners.HyperbandPruner(min_resource=1,
                                                                     max_resource=MAX_EPOCHS))):
    study = tunecraft.create_study(direction="maximize", pruner=pruner,
                                   sampler=tunecraft.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=20)
    studies[name] = study
    pruned = sum(t.state == tunecraft.TrialState.PRUNED for t in study.trials)
    print(f"{name:<11} best accuracy {study.best_value:.3f}, epochs trained "
          f"{epochs_spent(study)} of {20 * MAX_EPOCHS}, {pruned} trials pruned")

# %%
# The same 20 configurations (the sampler's seed is the same): Hyperband stops the hopeless
# ones after one or three epochs and reaches a comparable best accuracy for a fraction of the
# epochs. The learning curves show where each pruned trial stopped.
from tunecraft.visualization.matplotlib import plot_intermediate_values

ax = plot_intermediate_values(studies["Hyperband"])
ax.set_title("Hyperband: learning curves, x where a trial was pruned")

# %%
# Beyond pruning
# --------------
# ``tunecraft.pruners`` also has ASHA (``SuccessiveHalvingPruner``), median and percentile
# rules, learning-curve extrapolation, population-based training
# (``PopulationBasedTraining``), and pruners for several objectives; samplers cover Bayesian
# optimisation with Gaussian processes (``GPSampler``), CMA-ES, multi-objective NSGA-II/III
# and constraints. See [pruning](../../pruning.md), [samplers](../../samplers.md) and
# [distributed studies](../../distributed.md).
