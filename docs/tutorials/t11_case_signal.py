"""
Case study 2: a 1-D signal classifier, accuracy against size
============================================================

Waveforms buried in noise, made in code: sines, square waves, triangles and sawtooths at
random frequencies, phases, amplitudes and offsets, with Gaussian noise as strong as the
signal. Which network to use (a 1-D CNN or a GRU) is itself a choice of the search, each with
its own parameters, and the study has two objectives: the validation accuracy, and the number
of weights, because a model that is as good and ten times smaller is the better model.
Budget: 24 trials of 6 epochs on a laptop CPU.
"""

# %%
# The data
# --------
# 96 samples per signal; 2,400 signals to train, 800 to validate, 800 to test.
import time

import matplotlib.pyplot as plt
import numpy as np
from torch import nn

started, cpu = time.perf_counter(), time.process_time()
CLASSES = ("sine", "square", "triangle", "sawtooth")
NOISE = 0.4  # standard deviation of the noise; the waves' amplitude is 0.5 to 1.5


def make_signals(n: int, seed: int, length: int = 96) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(length) / length
    labels = rng.integers(0, len(CLASSES), n)
    u = (rng.uniform(2, 6, (n, 1)) * t + rng.uniform(0, 1, (n, 1))) % 1.0  # phase in cycles
    shapes = np.stack([np.sin(2 * np.pi * u), np.where(u < 0.5, 1.0, -1.0),
                       4 * np.abs(u - 0.5) - 1, 2 * u - 1])
    clean = shapes[labels, np.arange(n)]
    signals = (rng.uniform(0.5, 1.5, (n, 1)) * clean + rng.normal(0, 0.5, (n, 1))
               + rng.normal(0, NOISE, (n, length)))
    return signals[:, None, :].astype("float32"), labels  # (n, channels=1, length)


x_train, y_train = make_signals(2400, seed=0)
x_val, y_val = make_signals(800, seed=1)
x_test, y_test = make_signals(800, seed=2)

fig, axes = plt.subplots(1, 4, figsize=(10, 2.2), sharey=True)
for k, ax in enumerate(axes):
    ax.plot(x_train[np.flatnonzero(y_train == k)[0], 0], lw=0.8)
    ax.set(title=CLASSES[k], xticks=[])
fig.suptitle("One training signal of each class")
fig.tight_layout()

# %%
# Two families of models
# ----------------------
# A 1-D CNN (convolutions over time, then the average over time) and a GRU (a recurrent
# network reading the signal in windows of ``window`` samples, one window a step; its last
# state classifies: longer windows mean fewer, cheaper steps). Each is a factory
# ``config -> nn.Module`` for :func:`tunecraft.torch.fit`.


class ConvNet(nn.Module):
    def __init__(self, channels: int, kernel: int, depth: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = 1
        for _ in range(depth):
            layers += [nn.Conv1d(width, channels, kernel, padding=kernel // 2),
                       nn.BatchNorm1d(channels), nn.ReLU(), nn.MaxPool1d(2)]
            width = channels
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, len(CLASSES))

    def forward(self, x):
        return self.head(self.features(x).mean(dim=2))


class GRUNet(nn.Module):
    def __init__(self, hidden: int, window: int) -> None:
        super().__init__()
        self.window = window
        self.gru = nn.GRU(window, hidden, batch_first=True)
        self.head = nn.Linear(hidden, len(CLASSES))

    def forward(self, x):
        steps = x.reshape(len(x), -1, self.window)  # (batch, time / window, window)
        _, last = self.gru(steps)
        return self.head(last[-1])


def weights(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# %%
# A conditional, two-objective search
# -----------------------------------
# Define-by-run: the trial first picks the family, then only that family's parameters exist
# (the kernel width is asked only of a CNN). The learning rate, its schedule and the batch size
# come from :func:`tunecraft.torch.suggest_training_config`, narrowed to AdamW. The objective
# returns two numbers, and the study (NSGA-II, Deb et al., 2002) keeps the trials that no
# other trial beats on both: the Pareto front.
import tunecraft
from tunecraft.torch import evaluate, fit, suggest_training_config

EPOCHS = 6
space = dict(lr=(3e-4, 3e-2), optimizer="adamw", weight_decay=1e-4, batch_size=[32, 64],
             schedule=["cosine", "one_cycle"], dropout=None, label_smoothing=None,
             grad_clip=1.0, init="torch_default")


def build(params: dict) -> nn.Module:
    if params["family"] == "cnn":
        return ConvNet(params["channels"], params["kernel"], params["depth"])
    return GRUNet(params["hidden"], params["window"])


def suggest_model(trial: tunecraft.Trial) -> dict:
    family = trial.suggest_categorical("family", ["cnn", "gru"])
    if family == "cnn":
        return {"family": family, "channels": trial.suggest_int("channels", 4, 64, log=True),
                "kernel": trial.suggest_categorical("kernel", [3, 5, 9, 15]),
                "depth": trial.suggest_int("depth", 1, 3)}
    return {"family": family, "hidden": trial.suggest_int("hidden", 4, 48, log=True),
            "window": trial.suggest_categorical("window", [4, 8, 16])}


def objective(trial: tunecraft.Trial) -> tuple[float, float]:
    shape = suggest_model(trial)
    config = suggest_training_config(trial, **space)
    result = fit(lambda config: build(shape), (x_train, y_train), (x_val, y_val), config,
                 max_epochs=EPOCHS)
    trial.set_user_attr("seconds", result.seconds)
    return result.best_metric, float(weights(result.model))


study = tunecraft.create_study(directions=["maximize", "minimize"],
                               sampler=tunecraft.samplers.NSGAIISampler(seed=0,
                                                                        population_size=8))
study.optimize(objective, n_trials=24)
print(f"{len(study.trials)} trials, {len(study.best_trials)} on the Pareto front:")
for t in sorted(study.best_trials, key=lambda t: t.values[1]):
    shape = {k: v for k, v in t.params.items() if k in ("family", "channels", "kernel",
                                                          "depth", "hidden", "window")}
    print(f"  accuracy {t.values[0]:.3f} with {int(t.values[1]):>6,} weights  {shape}  "
          f"({t.user_attrs['seconds']:.1f} s)")

# %%
from tunecraft.visualization.matplotlib import plot_pareto_front

ax = plot_pareto_front(study, target_names=["validation accuracy", "weights"])
ax.set_yscale("log")

# %%
# The result
# ----------
# From the front, the smallest model within one point of the best accuracy, trained again
# and scored once on the test signals; and the best model of each family, to compare.
from tunecraft.torch.search_space import config_from_params

best_accuracy = max(t.values[0] for t in study.best_trials)
chosen = min((t for t in study.best_trials if t.values[0] >= best_accuracy - 0.01),
             key=lambda t: t.values[1])
config = config_from_params(chosen.params, **space)
final = fit(lambda c: build(chosen.params), (x_train, y_train), (x_val, y_val), config,
            max_epochs=EPOCHS)
test = evaluate(final.model, (x_test, y_test))
print(f"chosen: trial {chosen.number}, {weights(final.model):,} weights, validation "
      f"{final.best_metric:.3f}, test accuracy {test.accuracy:.3f}")
for family in ("cnn", "gru"):
    done = [t for t in study.trials if t.values and t.params["family"] == family]
    if done:
        top = max(done, key=lambda t: t.values[0])
        print(f"best {family}: accuracy {top.values[0]:.3f} with {int(top.values[1]):,} weights "
              f"({len(done)} trials)")
print(f"whole case study: {time.process_time() - cpu:.0f} s of CPU time, "
      f"{time.perf_counter() - started:.0f} s on the clock")

# %%
# What the craft taught
# ---------------------
# - **Search the family, not only its knobs.** A conditional space lets one study compare a
#   CNN with a GRU on equal terms; each family's parameters exist only when it is chosen, so
#   no trial is spent on a kernel width for a GRU.
# - **Two objectives say what a single number hides.** The front above shows what each extra
#   point of accuracy costs in weights; picking the smallest model within a point of the best
#   is a decision the study leaves to you, with the numbers to make it.
# - **Schedules and clipping as defaults**: every trial ran a decaying schedule (cosine or
#   1cycle, searched) and clipped the gradient norm at 1, which keeps recurrent networks from
#   the occasional exploding step (see [schedules](t06_schedules_optimizers.md) and the
#   [regularisation how-to](../../torch/regularisation.md)).
# - **The test set was used once**, on the chosen model only.
