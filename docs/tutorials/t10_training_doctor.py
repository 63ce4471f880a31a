"""
The training doctor
===================

A run that trains badly usually fails for one of a handful of reasons: a learning rate too
high or too low, vanishing or exploding gradients, dead or saturated units, overfitting,
underfitting, a plateau. :class:`tunecraft.torch.Doctor` measures the symptoms of each while
the model trains and names the problem with its evidence and a remedy.
"""

# %%
# A learning rate far too high
# ----------------------------
# ``fit(..., doctor=True)`` attaches the doctor to the run; the diagnosis is on the result.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from tunecraft.torch import TrainConfig, fit, heal
from tunecraft.torch.mlp import MLPSpec

x, y = load_digits(return_X_y=True)
x_train, x_val, y_train, y_val = train_test_split((x / 16).astype("float32"), y,
                                                  test_size=0.25, random_state=0)
net = MLPSpec(in_features=64, out_features=10, depth=2, width=128)
bad = TrainConfig(lr=3.0, optimizer="sgd", momentum=0.9, seed=0)
result = fit(net, (x_train, y_train), (x_val, y_val), bad, max_epochs=4, doctor=True)
print(f"validation accuracy {result.best_metric:.3f} ({result.stop_reason})")
print(result.diagnosis)

# %%
# Applying the remedies
# ---------------------
# ``Diagnosis.fix(config)`` applies the remedies a ``TrainConfig`` can express;
# :func:`tunecraft.torch.heal` repeats fit -> diagnose -> fix until the run is healthy or the
# rounds run out.
print("fixed config:", result.diagnosis.fix(bad))
healed = heal(net, (x_train, y_train), (x_val, y_val), bad, max_epochs=4, max_rounds=3)
print(healed)
rounds = healed.rounds

fig, ax = plt.subplots(figsize=(6, 3.2))
for i, r in enumerate(rounds):
    ax.plot([h.epoch for h in r.result.history], [h.val_accuracy for h in r.result.history],
            "o-", label=f"round {i}: lr {r.config.lr:g}")
ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
       title="heal(): fit, diagnose, fix")
ax.legend()

# %%
# In a study, ``fit(..., trial=trial, doctor=True)`` stores each trial's diagnosis as a user
# attribute, and ``tunecraft.pruners.DiagnosisPruner`` prunes trials with problems no more
# training can cure. The problems and their evidence are listed in the
# [doctor how-to](../../doctor.md).
