"""``fit`` on a Hugging Face-style model, with metrics, callbacks, accumulation and bfloat16.

A tiny model built in code takes ``input_ids``, ``attention_mask`` and ``labels`` and returns
an object with ``.loss`` and ``.logits``, as ``transformers`` models do; the batches are dicts.
An Optuna study tunes its learning rate through ``fit`` (``pip install optuna``), reporting
macro F1 every epoch. Run: ``python examples/fit_real_models.py`` (about 20 s on one core).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from tunecraft.torch import Callback, TrainConfig, TrainState, fit
from tunecraft.torch.metrics import f1_score, top_k_accuracy


class TinyClassifier(nn.Module):
    """``model(input_ids, attention_mask, labels=None)`` -> ``.loss`` and ``.logits``."""

    def __init__(self, vocab: int = 30, classes: int = 3) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(32, classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                labels: torch.Tensor | None = None) -> SimpleNamespace:
        mask = attention_mask.unsqueeze(-1).float()
        pooled = (self.embed(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        logits = self.head(self.drop(pooled))
        loss = None if labels is None else nn.functional.cross_entropy(logits, labels)
        return SimpleNamespace(loss=loss, logits=logits)


class Tokens(Dataset[dict[str, torch.Tensor]]):
    """Token sequences; the class is which of tokens 1, 2, 3 the unmasked part carries
    (padding hides decoys; 15% of the labels are noise)."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(4, 30, (n, 16), generator=g)
        self.labels = torch.randint(0, 3, (n,), generator=g)
        for i in range(n):
            self.ids[i, int(torch.randint(0, 10, (1,), generator=g))] = self.labels[i] + 1
            self.ids[i, 12:] = (self.labels[i] + 1) % 3 + 1  # decoys in the padding
        noisy = torch.rand(n, generator=g) < 0.15
        self.labels[noisy] = torch.randint(0, 3, (int(noisy.sum()),), generator=g)
        self.mask = torch.zeros(n, 16, dtype=torch.long)
        self.mask[:, :12] = 1

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": self.mask[i],
                "labels": self.labels[i]}


class PrintEpochs(Callback):
    """Prints a line per epoch."""

    def on_epoch_end(self, state: TrainState) -> None:
        h = state.history[-1]
        print(f"    epoch {h.epoch}: step {state.step}, val loss {h.val_loss:.3f}, "
              f"f1 {h.metrics['f1']:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=4)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    train = DataLoader(Tokens(600, 0), batch_size=16, shuffle=True)
    val = DataLoader(Tokens(300, 1), batch_size=100)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: Any) -> float:
        config = TrainConfig(lr=trial.suggest_float("lr", 1e-4, 1.0, log=True),
                             optimizer="adamw", metric="f1", patience=2)
        print(f"  trial {trial.number}: lr {config.lr:.3g}")
        result = fit(lambda c: TinyClassifier(), train, val, config, trial, max_epochs=4,
                     device="cpu", mixed_precision="bf16", accumulation_steps=2,
                     metrics={"f1": f1_score(), "top2": top_k_accuracy(2)},
                     callbacks=[PrintEpochs()])
        return result.best_metric

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=args.trials)
    print(f"best f1 {study.best_value:.3f} at lr {study.best_params['lr']:.3g}; states: "
          f"{[t.state.name for t in study.trials]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
