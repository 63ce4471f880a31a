"""BOHB-style tuning of a digits MLP: TPE on the largest budget + Hyperband with pause/resume.

Each trial trains an MLP on scikit-learn's 8x8 digits with ``tunecraft.torch.fit`` for up to
27 epochs. Hyperband stops most trials after 1, 3 or 9 epochs; a trial stopped at a rung is
*paused* with its checkpoint (in ``outputs/digits-mf.db.artifacts/``) and resumed from it if it is
promoted later, and TPE learns from the epochs-1..27 curves of every bracket. At the end the
script prints how many configurations were tried, how many epochs that cost, and how many
epochs the checkpoints saved.

Run::

    python examples/multifidelity_digits.py                # 60 trials, about a minute
    python examples/multifidelity_digits.py --trials 150
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

import tunecraft
from tunecraft.pruners import HyperbandPruner
from tunecraft.pruners.lineage import newest_per_lineage
from tunecraft.samplers import TPESampler
from tunecraft.torch import TrainConfig, fit
from tunecraft.torch.mlp import MLPSpec

EPOCHS = 27


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--storage", default="sqlite:///outputs/digits-mf.db",
                        help="database URL (a SQLite file's folder is created)")
    args = parser.parse_args()
    if args.storage.startswith("sqlite:///"):
        Path(args.storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    xt, xv, yt, yv = train_test_split(x, y, train_size=600, stratify=y, random_state=0)

    def objective(trial: tunecraft.Trial) -> float:
        config = TrainConfig(
            lr=trial.suggest_float("lr", 1e-4, 0.3, log=True),
            batch_size=trial.suggest_categorical("batch_size", [32, 64, 128]),
            weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            dropout=trial.suggest_float("dropout", 0.0, 0.5), schedule="cosine", seed=0)
        net = MLPSpec(64, 10, depth=trial.suggest_int("depth", 1, 3),
                      width=trial.suggest_int("width", 16, 512, log=True))
        return fit(net, (xt, yt), (xv, yv), config, trial, max_epochs=EPOCHS,
                   device="cpu").best_metric

    study = tunecraft.create_study(
        storage=args.storage, study_name="digits-mf", direction="maximize",
        load_if_exists=True, sampler=TPESampler(seed=0, multi_fidelity=True),
        pruner=HyperbandPruner(min_resource=1, max_resource=EPOCHS, pause=True))
    study.optimize(objective, n_trials=args.trials)

    trials = study.trials
    resumed = [t for t in trials if "resume" in t.system_attrs]
    saved = sum(int(t.system_attrs["resume"]["step"]) for t in resumed
                if t.system_attrs["resume"]["checkpoint"] is not None)
    trained = sum((t.last_step or 0) - int(t.system_attrs.get("resume", {}).get("step", 0))
                  for t in trials)
    configs = len(newest_per_lineage(trials))
    print(f"{configs} configurations in {len(trials)} trials ({len(resumed)} resumed), "
          f"{trained} epochs trained; a study of full runs would have cost "
          f"{configs * EPOCHS}, and retraining promoted trials {saved} more")
    print(f"best validation accuracy {study.best_value:.4f} with {study.best_params}")
    print(f"study 'digits-mf' saved in {args.storage}; see it with: tunecraft dashboard "
          f"--storage {args.storage}")


if __name__ == "__main__":
    main()
