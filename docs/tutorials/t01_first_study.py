"""
A first study in five minutes
=============================

A *study* searches for the parameters that make an *objective* best. The objective receives a
*trial*, asks it for values with ``trial.suggest_*``, trains or computes something with them, and
returns a score. The study's *sampler* decides what to try next from the trials so far.
"""

# %%
# The objective
# -------------
# The "model" here is a formula whose best point we know, so the answer can be checked:
# ``(x - 2) ** 2`` is smallest at ``x = 2``; the second term is smallest at ``lr = 1e-3``, a
# parameter searched on a log scale as learning rates are; and the optimizer is a categorical
# choice whose ``momentum`` exists only when it is ``"sgd"`` (a *conditional* parameter).
import tunecraft


def objective(trial: tunecraft.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    penalty = 0.0
    if optimizer == "sgd":
        momentum = trial.suggest_float("momentum", 0.0, 0.99)
        penalty = (momentum - 0.9) ** 2
    return (x - 2) ** 2 + abs(lr - 1e-3) * 100 + penalty


# %%
# Run the study
# -------------
# ``create_study`` keeps the trials in memory; pass ``storage="tunecraft.db"`` to keep them
# in a SQLite file that survives a crash and can be shared by several processes. A seed makes
# the run repeatable.
study = tunecraft.create_study(direction="minimize",
                               sampler=tunecraft.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=60)

print(f"best value {study.best_value:.4f} after {len(study.trials)} trials")
print("best parameters:", {k: round(v, 4) if isinstance(v, float) else v
                           for k, v in study.best_params.items()})

# %%
# What the sampler did
# --------------------
# Every trial is a frozen record with its number, parameters, value and state. The first
# trials are random; then TPE concentrates on the region that worked.
for t in study.trials[:3] + study.trials[-3:]:
    params = {k: round(v, 4) if isinstance(v, float) else v for k, v in t.params.items()}
    print(t.number, t.state.name, round(t.value or 0.0, 4), params)

# %%
# The optimisation history plots each trial's value and the best so far; the slice plot shows
# the value against each parameter, which tells which ranges matter.
from tunecraft.visualization.matplotlib import plot_optimization_history, plot_slice

ax = plot_optimization_history(study)
ax.set_yscale("log")

# %%
plot_slice(study, params=["x", "lr"])

# %%
# Next
# ----
# A real objective trains a network; the next tutorials make depth, width, activation,
# learning rate, batch size and weight decay searchable, and measure why they matter.
