"""The case list of the ninth doctor zoo (benchmarks/doctor_zoo_ninth.py).

Each recipe is run with seeds 91-93. Healthy recipes are well-configured runs of the same
models; sick recipes are ways a practitioner breaks training, some extreme and some mild;
the label is the recipe's, whatever the run reaches. ``curable=False`` where no TrainConfig
change can cure the run (the data, the architecture or a non-Linear/Conv weight must change:
``TrainConfig.init`` re-initialises Linear/Conv layers only, so it does not reach the RNN).

Recipe checks before the one doctor run (plain ``fit`` without the doctor, seeds 91-93: best
accuracy, loss curves, per-layer gradient norms and dead/saturated fractions at init), and
the changes they led to:

- healthy: a highway MLP and an RNN on Dyck words and a tanh MLP on diabetes tertiles stayed
  below the labelling threshold (0.58-0.60, 0.58) for all settings tried, so the highway
  healthy run moved to tic-tac-toe, the RNN run was dropped, plain SGD moved to the Gaussian
  mixture, Adadelta from the dots MLP (0.51) to a tic-tac-toe MLP, ASGD to the mixture; the
  Dyck transformer got batch 32 (seed 92 reached 0.63 with batch 64, 0.83 with 32) and so
  did the VGG (seed 93 reached 0.60 with batch 64, 0.81 with 32).
- vanishing: the VGG with weights x0.35 (biases kept) also killed about half its channels
  (biases dominate a vanished signal), so it became the VGG paper's N(0, 0.01) init with zero
  biases: every layer's gradient 1e-6 of a He init's (4e-8 to 7e-8 vs 0.03-0.33), loss flat
  at log 6. Its gradient ratio across depth is about 1 (a ReLU net with zero biases is
  homogeneous), so it tests vanishing that a depth ratio alone does not show.
- exploding: the SELU MLP x2.5 diverged at the first step, made milder at x1.7 (first loss
  12, best accuracy 0.37-0.42). The 8-layer ReLU x6 (first loss 1.5e4) still diverges at once.
- saturated: the sigmoid MLP with biases +6 and 4 layers made milder: 3 layers, +4.5 (all
  units saturated, first/last gradient ratio 1e-7: saturation that vanishes, as it does).
- overfitting: a transformer on 48 tic-tac-toe boards and then on 48 Dyck words did not
  overfit (it generalised on the boards; it could not fit the words in 120 steps); replaced
  by a He-initialised VGG on 48 dots images, batch 8 (train loss 0.005, val loss 1.8 -> 3.6).
- underfitting: SGD with L2 0.3 on a dots MLP sat at chance loss log 6 from the first step;
  made milder (L2 0.1 on a tic-tac-toe MLP: stuck at the majority class, train loss 0.93).
- plateau: a transformer on Dyck words with step drops sat at chance before its first drop
  (nothing to plateau from); moved to tic-tac-toe tokens (0.81, then flat at 0.77). The RNN's
  drop after the first epoch moved after the third (flat at 0.58-0.64 after learning).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CODES", "EXTERNAL", "SEEDS", "UNTRAINED", "Case", "ninth_zoo", "select"]

CODES: tuple[str, ...] = ("lr_too_high", "lr_too_low", "vanishing_gradients",
                          "exploding_gradients", "dead_units", "saturated_units",
                          "overfitting", "underfitting", "plateau")
EXTERNAL = frozenset({"adadelta", "asgd"})  # built by fit(optimizer=...); config says "sgd"
UNTRAINED = "healthy_untrained"
SEEDS = (91, 92, 93)


@dataclass(frozen=True)
class Case:
    """One zoo run: its label, how it was made (``recipe``), data, model and config."""

    name: str
    label: str  # "healthy" or a problem code
    recipe: str
    data: str
    arch: str
    optimizer: str
    seed: int
    config: dict[str, Any]
    model: dict[str, Any] = field(default_factory=dict)
    epochs: int = 14
    n_train: int | None = None
    curable: bool = True


def _sgd(lr: float, **kw: Any) -> dict[str, Any]:
    return {"optimizer": "sgd", "lr": lr, "momentum": 0.9, **kw}


# (label, recipe, data, arch, optimizer, config, model, extra Case fields)
_RECIPES: list[tuple[str, str, str, str, str, dict[str, Any], dict[str, Any],
                     dict[str, Any]]] = [
    # ---------------------------------------------------------------- healthy
    ("healthy", "relu MLP, SGD momentum 0.1, cosine", "ttt", "mlp", "sgd",
     _sgd(0.1, schedule="cosine"), {"depth": 3}, {}),
    ("healthy", "LeakyReLU MLP, Adam 2e-3", "gmm", "mlp", "adam",
     {"optimizer": "adam", "lr": 2e-3}, {"act": "leaky", "depth": 3}, {}),
    ("healthy", "SELU MLP depth 6, LeCun init, SGD momentum 0.02", "gmm", "selu", "sgd",
     _sgd(0.02), {"depth": 6}, {}),
    ("healthy", "highway MLP depth 4, AdamW 2e-3 decay 0.01", "ttt", "highway", "adamw",
     {"optimizer": "adamw", "lr": 2e-3, "weight_decay": 0.01}, {"depth": 4}, {}),
    ("healthy", "VGG-6 He init, SGD momentum 0.03 batch 32, warm-up + cosine", "dots", "vgg",
     "sgd", _sgd(0.03, batch_size=32, init="kaiming_normal", warmup_pct=0.1,
                 schedule="cosine"), {}, {}),
    ("healthy", "transformer CLS, AdamW 2e-3 batch 32, warm-up + cosine", "dyck",
     "transformer", "adamw", {"optimizer": "adamw", "lr": 2e-3, "batch_size": 32,
                          "warmup_pct": 0.1, "schedule": "cosine"},
     {"depth": 2}, {}),
    ("healthy", "transformer CLS, Adam 2e-3", "ttt_tok", "transformer", "adam",
     {"optimizer": "adam", "lr": 2e-3}, {"depth": 2}, {}),
    ("healthy", "tanh RNN, RMSprop 2e-3", "ttt_tok", "rnn", "rmsprop",
     {"optimizer": "rmsprop", "lr": 2e-3}, {}, {}),
    ("healthy", "tanh MLP, plain SGD 0.2", "gmm", "mlp", "sgd_plain",
     {"optimizer": "sgd", "lr": 0.2, "momentum": 0.0}, {"act": "tanh", "depth": 2}, {}),
    ("healthy", "relu MLP, Adadelta 1.0", "ttt", "mlp", "adadelta",
     {"optimizer": "sgd", "lr": 1.0}, {"depth": 2, "width": 128}, {}),
    ("healthy", "highway MLP, ASGD 0.3", "gmm", "highway", "asgd",
     {"optimizer": "sgd", "lr": 0.3}, {"depth": 3}, {}),
    # ---------------------------------------------------------------- lr_too_high
    ("lr_too_high", "relu MLP, SGD momentum lr 4", "ttt", "mlp", "sgd", _sgd(4.0),
     {"depth": 3}, {}),
    ("lr_too_high", "transformer, Adam lr 0.05 (25x)", "dyck", "transformer", "adam",
     {"optimizer": "adam", "lr": 0.05}, {"depth": 2}, {}),
    ("lr_too_high", "VGG-6 He init, RMSprop lr 0.02", "dots", "vgg", "rmsprop",
     {"optimizer": "rmsprop", "lr": 0.02, "init": "kaiming_normal"}, {}, {}),
    # ---------------------------------------------------------------- lr_too_low
    ("lr_too_low", "SELU MLP, SGD momentum lr 2e-5", "gmm", "selu", "sgd", _sgd(2e-5),
     {"depth": 6}, {}),
    ("lr_too_low", "tanh RNN, Adam lr 3e-6", "ttt_tok", "rnn", "adam",
     {"optimizer": "adam", "lr": 3e-6}, {}, {}),
    ("lr_too_low", "highway MLP, Adadelta lr 2e-3 (500x below its 1.0)", "ttt",
     "highway", "adadelta", {"optimizer": "sgd", "lr": 2e-3}, {"depth": 4}, {}),
    # ---------------------------------------------------------------- vanishing
    ("vanishing_gradients", "10 sigmoid layers, SGD momentum 0.05", "gmm", "mlp", "sgd",
     _sgd(0.05), {"act": "sigmoid", "depth": 10}, {"curable": False}),
    ("vanishing_gradients", "8 tanh layers, weights x0.3, Adam 1e-3", "ttt", "mlp", "adam",
     {"optimizer": "adam", "lr": 1e-3}, {"act": "tanh", "depth": 8, "w_scale": 0.3}, {}),
    ("vanishing_gradients", "VGG-6 with N(0, 0.01) init, SGD momentum 0.03", "dots", "vgg",
     "sgd", _sgd(0.03), {"w_std": 0.01}, {}),
    # ---------------------------------------------------------------- exploding
    ("exploding_gradients", "8 relu layers, weights x6, SGD momentum 0.01", "gmm", "mlp",
     "sgd", _sgd(0.01), {"depth": 8, "w_scale": 6.0}, {}),
    ("exploding_gradients", "SELU MLP depth 8, weights x1.7, SGD momentum 0.01", "dots",
     "selu", "sgd", _sgd(0.01), {"depth": 8, "w_scale": 1.7}, {}),
    ("exploding_gradients", "6 LeakyReLU layers, weights x8, RMSprop 1e-3", "ttt", "mlp",
     "rmsprop", {"optimizer": "rmsprop", "lr": 1e-3},
     {"act": "leaky", "depth": 6, "w_scale": 8.0}, {}),
    # ---------------------------------------------------------------- dead units
    ("dead_units", "relu MLP, hidden biases -5, SGD momentum 0.05", "gmm", "mlp", "sgd",
     _sgd(0.05), {"depth": 4, "b_shift": -5.0}, {}),
    ("dead_units", "VGG-6, conv biases -3, Adam 1e-3", "dots", "vgg", "adam",
     {"optimizer": "adam", "lr": 1e-3}, {"b_shift": -3.0}, {}),
    ("dead_units", "highway MLP, biases -4, AdamW 1e-3", "ttt", "highway", "adamw",
     {"optimizer": "adamw", "lr": 1e-3}, {"depth": 4, "b_shift": -4.0}, {}),
    # ---------------------------------------------------------------- saturated
    ("saturated_units", "tanh MLP on raw inputs x25+40, Adam 1e-3", "gmm_raw", "mlp", "adam",
     {"optimizer": "adam", "lr": 1e-3}, {"act": "tanh", "depth": 3}, {"curable": False}),
    ("saturated_units", "sigmoid MLP, hidden biases +4.5, SGD momentum 0.1", "ttt", "mlp",
     "sgd", _sgd(0.1), {"act": "sigmoid", "depth": 3, "b_shift": 4.5}, {}),
    ("saturated_units", "tanh RNN, input weights x10, RMSprop 1e-3", "ttt_tok", "rnn",
     "rmsprop", {"optimizer": "rmsprop", "lr": 1e-3}, {"in_scale": 10.0},
     {"curable": False}),
    # ---------------------------------------------------------------- overfitting
    ("overfitting", "512-wide relu MLP on 60 examples, Adam 1e-3", "gmm", "mlp", "adam",
     {"optimizer": "adam", "lr": 1e-3}, {"depth": 3, "width": 512},
     {"n_train": 60, "epochs": 20}),
    ("overfitting", "VGG-6 He init on 48 images, Adam 1e-3, batch 8", "dots", "vgg", "adam",
     {"optimizer": "adam", "lr": 1e-3, "batch_size": 8, "init": "kaiming_normal"}, {},
     {"n_train": 48, "epochs": 20}),
    ("overfitting", "1024-wide relu MLP on 60 patients, Adam 1e-3", "diabetes", "mlp",
     "adam", {"optimizer": "adam", "lr": 1e-3}, {"depth": 3, "width": 1024},
     {"n_train": 60, "epochs": 20}),
    # ---------------------------------------------------------------- underfitting
    ("underfitting", "relu MLP 2 units wide, Adam 1e-3", "ttt", "mlp", "adam",
     {"optimizer": "adam", "lr": 1e-3}, {"depth": 3, "width": 2}, {"curable": False}),
    ("underfitting", "highway MLP, AdamW decay 30", "gmm", "highway", "adamw",
     {"optimizer": "adamw", "lr": 1e-3, "weight_decay": 30.0}, {"depth": 3}, {}),
    ("underfitting", "LeakyReLU MLP, SGD momentum with L2 0.1", "ttt", "mlp", "sgd",
     _sgd(0.05, weight_decay=0.1), {"act": "leaky", "depth": 2, "width": 128}, {}),
    # ---------------------------------------------------------------- plateau
    ("plateau", "relu MLP, exponential decay to 1e-7 of the run", "gmm", "mlp", "sgd",
     _sgd(0.05, schedule="exponential", schedule_params={"final": 1e-7}), {"depth": 3}, {}),
    ("plateau", "transformer, AdamW with 3 drops of x0.001", "ttt_tok", "transformer", "adamw",
     {"optimizer": "adamw", "lr": 1e-3, "schedule": "step",
      "schedule_params": {"num_drops": 3, "gamma": 1e-3}}, {"depth": 2}, {}),
    ("plateau", "tanh RNN, RMSprop, lr x1e-4 after the third epoch", "ttt_tok", "rnn",
     "rmsprop", {"optimizer": "rmsprop", "lr": 2e-3, "schedule": "multistep",
                 "schedule_params": {"milestones": [45], "gamma": 1e-4}}, {}, {}),
]


def ninth_zoo() -> list[Case]:
    """Every case: each recipe once per seed in ``SEEDS`` (deterministic order)."""
    cases = []
    seen: Counter[str] = Counter()
    for label, recipe, data, arch, opt, config, model, extra in _RECIPES:
        seen[label] += 1
        for seed in SEEDS:
            name = f"{label}-{seen[label]}-{arch}-{data}-{opt}-s{seed}"
            cases.append(Case(name, label, recipe, data, arch, opt, seed,
                              {**config, "seed": seed}, dict(model), **extra))
    return cases


def select(cases: list[Case], only: str | None) -> list[Case]:
    """The cases whose label or name contains ``only`` (all when None)."""
    if only is None:
        return cases
    return [c for c in cases if only in c.label or only in c.name]
