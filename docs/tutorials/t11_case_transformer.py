"""
Case study 3: a tiny transformer text classifier
================================================

Sentiment with negation, in a small made-up language: short "reviews" built from positive
words, negative words, neutral filler and the word *not*, which flips the sentiment of the
word after it. Counting words cannot solve it (*not good* and *good* have the same words, in
part); a model has to read order. The model is a tiny ``nn.TransformerEncoder``; the budget is
16 trials of at most 8 epochs on a laptop CPU, with asynchronous successive halving (ASHA)
cutting the weak ones. The craft: a baseline first, a search that includes the warm-up and
gradient clipping transformers are known to want, and an ablation that checks whether they
mattered here.
"""

# %%
# The corpus, made in code
# ------------------------
# Token 0 pads, token 1 is *not*; then 12 positive, 12 negative and 40 neutral words. A review
# has 4 to 10 neutral words and one or three sentiment words, each negated with probability
# 0.4 (at most 16 tokens); its label is the sign of the sum of their (possibly flipped)
# polarities.
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

started, cpu = time.perf_counter(), time.process_time()
PAD, NOT = 0, 1
POSITIVE = np.arange(2, 14)
NEGATIVE = np.arange(14, 26)
NEUTRAL = np.arange(26, 66)
VOCAB, MAX_LEN = 66, 16


def make_reviews(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    tokens = np.zeros((n, MAX_LEN), dtype=np.int64)
    labels = np.zeros(n, dtype=np.int64)
    for i in range(n):
        length = rng.integers(4, 11)
        words = list(rng.choice(NEUTRAL, length))
        score = 0
        for _ in range(rng.choice([1, 3])):
            positive = rng.random() < 0.5
            word = rng.choice(POSITIVE if positive else NEGATIVE)
            negated = rng.random() < 0.4
            score += (1 if positive else -1) * (-1 if negated else 1)
            at = rng.integers(1, len(words))
            words[at:at] = [NOT, word] if negated else [word]
        tokens[i, :len(words)] = words
        labels[i] = score > 0
    return tokens, labels


x_train, y_train = make_reviews(2000, seed=0)
x_val, y_val = make_reviews(1000, seed=1)
x_test, y_test = make_reviews(1000, seed=2)
print(f"{len(x_train)} training reviews, {y_train.mean():.0%} positive; the first one: "
      f"{x_train[0].tolist()} -> {y_train[0]}")

# %%
# A baseline first
# ----------------
# Logistic regression on word counts (a bag of words), from scikit-learn: whatever the
# transformer scores must be read against it. It sees *not* but not what follows it.
from sklearn.linear_model import LogisticRegression


def counts(tokens: np.ndarray) -> np.ndarray:
    return np.stack([np.bincount(row, minlength=VOCAB)[1:] for row in tokens])


bag = LogisticRegression(max_iter=2000).fit(counts(x_train), y_train)
baseline = bag.score(counts(x_val), y_val)
print(f"bag of words: validation accuracy {baseline:.3f}")

# %%
# The model
# ---------
# Token embeddings plus learned position embeddings, ``layers`` encoder layers of
# ``nn.TransformerEncoderLayer`` (two heads, a feed-forward of twice the width), the mean over
# the non-padding positions, and a linear head. ``fit`` sets the rate of its dropout modules
# from ``TrainConfig.dropout``.


class TinyTransformer(nn.Module):
    def __init__(self, width: int, layers: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, width, padding_idx=PAD)
        self.position = nn.Parameter(0.02 * torch.randn(1, MAX_LEN, width))
        layer = nn.TransformerEncoderLayer(width, nhead=2, dim_feedforward=2 * width,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(width, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        pad = tokens == PAD
        h = self.encoder(self.embed(tokens) + self.position, src_key_padding_mask=pad)
        h = h.masked_fill(pad[..., None], 0.0).sum(dim=1) / (~pad).sum(dim=1, keepdim=True)
        return self.head(h)


# %%
# The search
# ----------
# The width and depth of the network, and from :func:`tunecraft.torch.suggest_training_config`
# (AdamW): the learning rate, weight decay, batch size, schedule with up to 20% warm-up,
# dropout, and whether to clip the gradient norm and where. ASHA
# (:class:`tunecraft.pruners.SuccessiveHalvingPruner`, Li et al., 2020) compares trials after
# 1 and 3 epochs and lets the best third of each rung go on.
import tunecraft
from tunecraft.torch import TrainConfig, evaluate, fit, suggest_training_config

EPOCHS = 8
space = dict(lr=(1e-4, 1e-2), optimizer="adamw", weight_decay=(1e-4, 1e-1),
             batch_size=[64, 128], schedule=["constant", "cosine", "one_cycle"],
             max_warmup_pct=0.2, dropout=(0.0, 0.3), label_smoothing=None,
             grad_clip=(0.1, 10.0), init="torch_default")


def objective(trial: tunecraft.Trial) -> float:
    width = trial.suggest_categorical("width", [16, 32, 64])
    layers = trial.suggest_int("layers", 1, 2)
    config = suggest_training_config(trial, **space)
    return fit(lambda c: TinyTransformer(width, layers), (x_train, y_train), (x_val, y_val),
               config, trial, max_epochs=EPOCHS).best_metric


study = tunecraft.create_study(
    direction="maximize", sampler=tunecraft.samplers.TPESampler(seed=0, n_startup_trials=6),
    pruner=tunecraft.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
study.optimize(objective, n_trials=16)
pruned = sum(t.state == tunecraft.TrialState.PRUNED for t in study.trials)
epochs = sum(len(t.intermediate_values) for t in study.trials)
print(f"{len(study.trials)} trials, {pruned} pruned; {epochs} epochs of {16 * EPOCHS}")
print(f"best validation accuracy {study.best_value:.3f} (bag of words {baseline:.3f})")
for name, value in sorted(study.best_params.items()):
    print(f"  {name:<24} {value:.3g}" if isinstance(value, float) else f"  {name:<24} {value}")

# %%
# Every trial's learning curve; an x marks where ASHA stopped one:
from tunecraft.visualization.matplotlib import plot_intermediate_values

ax = plot_intermediate_values(study)
ax.axhline(baseline, color="grey", linestyle="--", label="bag of words")
ax.set(ylabel="validation accuracy", title="ASHA: learning curves of 16 trials")

# %%
# The result, and an ablation
# ---------------------------
# The best configuration trained again and scored once on the test reviews; then the same
# configuration without its warm-up, and without its gradient clipping, to see what each
# contributed on this problem (the same seed, so only that one setting differs).
from tunecraft.torch.search_space import config_from_params

best = config_from_params(study.best_params, **space)
width, layers = study.best_params["width"], study.best_params["layers"]


def train(config: TrainConfig):
    return fit(lambda c: TinyTransformer(width, layers), (x_train, y_train), (x_val, y_val),
               config, max_epochs=EPOCHS)


final = train(best)
test = evaluate(final.model, (x_test, y_test))
print(f"best config: validation {final.best_metric:.3f}, test accuracy {test.accuracy:.3f} "
      f"(bag of words on test: {bag.score(counts(x_test), y_test):.3f})")
variants = {"as found": final}
if best.warmup_pct > 0:
    variants["no warm-up"] = train(best.replace(warmup_pct=0.0))
if best.grad_clip is not None:
    variants["no clipping"] = train(best.replace(grad_clip=None))
variants["10x learning rate"] = train(best.replace(lr=min(10 * best.lr, 0.1)))
for name, run in variants.items():
    print(f"  {name:<18} validation accuracy {run.best_metric:.3f}  ({run.stop_reason})")

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
for name, run in variants.items():
    ax.plot([h.epoch for h in run.history], [h.train_loss for h in run.history], "o-", ms=3,
            label=name)
ax.set(xlabel="epoch", ylabel="training loss", yscale="log",
       title="The best configuration, and one setting changed")
ax.legend()
print(f"whole case study: {time.process_time() - cpu:.0f} s of CPU time, "
      f"{time.perf_counter() - started:.0f} s on the clock")

# %%
# What the craft taught
# ---------------------
# - **A baseline makes the number mean something.** The bag of words sets the bar that only a
#   model reading word order can clear; the gap between the two is what the attention layers
#   learned.
# - **Multi-fidelity pays most when trials are slow**: ASHA spent the epochs counted above on
#   the trials that were ahead at each rung (see
#   [multi-fidelity search](t09_multi_fidelity.md)).
# - **Warm-up, clipping and the learning rate, measured, not assumed.** The ablation above
#   shows what each contributed for this model and data; a transformer this small and this
#   shallow is far less fragile than a deep one, which is why the search, not a recipe,
#   should decide (see [schedules and warm-up](t06_schedules_optimizers.md)).
