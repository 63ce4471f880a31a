"""Writes tests/assets/v1.db, the frozen SQLite file of storage schema version 1.

The file guards the upgrade path: tests/test_schema.py opens it with the current code and
checks that every trial reads back as written here. Never regenerate it with a newer schema:
when the schema changes, add a v2 asset (and script) beside this one and keep this file.

It was made with tunecraft 0.1.0 (schema version 1) by::

    .venv/bin/python tests/assets/make_v1_db.py

Every value is explicit (enqueued parameters, fixed objective values) and the clock is fixed,
so the contents do not depend on a sampler's implementation.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

import tunecraft
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.storage.events import SCHEMA_VERSION
from tunecraft.storage.sql import SQLStorage

HERE = os.path.dirname(os.path.abspath(__file__))
PATH = os.path.join(HERE, "v1.db")
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z

TRIALS = [  # (enqueued params, outcome)
    ({"lr": 0.001, "layers": 3, "act": "relu", "dropout": 0.25}, "complete"),
    ({"lr": 0.1, "layers": 1, "act": None, "dropout": 0.0}, "pruned"),
    ({"lr": 1e-05, "layers": 5, "act": "tanh", "dropout": 0.5}, "fail"),
]


def objective(trial: tunecraft.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    trial.suggest_int("layers", 1, 5)
    trial.suggest_categorical("act", ["relu", "tanh", None])
    trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
    outcome = TRIALS[trial.number][1]
    if outcome == "complete":
        trial.report(0.9, step=0)
        trial.report(0.5, step=1)
        trial.set_user_attr("epochs", 2)
        trial.set_user_attr("curve", {"loss": [0.9, 0.5], "best": None, "ok": True})
        return 0.42
    if outcome == "pruned":
        trial.report(float("nan"), step=0)
        trial.report(float("inf"), step=1)
        raise tunecraft.TrialPruned()
    assert lr == 1e-05
    raise RuntimeError("CUDA out of memory")


def main() -> None:
    if SCHEMA_VERSION != 1:
        sys.exit(f"this script writes schema version 1; the code writes {SCHEMA_VERSION}")
    if os.path.exists(PATH):
        os.remove(PATH)
    clock = itertools.count()
    time.time = lambda: T0 + 0.5 * next(clock)  # fixed timestamps in every event

    storage = SQLStorage(f"sqlite:///{PATH}")
    single = tunecraft.create_study(storage=storage, study_name="v1-single",
                                    sampler=RandomSampler(seed=1), pruner=NopPruner())
    single.set_user_attr("dataset", "digits")
    for params, _ in TRIALS:
        single.enqueue_trial(params)
    single.optimize(objective, n_trials=3)
    single.enqueue_trial({"lr": 0.01}, user_attrs={"source": "manual"})  # stays WAITING
    storage.claim_waiting_trial("v1-single")  # claim it so that the next one stays WAITING
    storage.finish("v1-single", 3, tunecraft.TrialState.FAIL, reason="claimed, then failed")
    single.enqueue_trial({"lr": 0.02})  # trial 4: WAITING
    storage.create_trial("v1-single")  # trial 5: RUNNING forever (its worker is gone)

    multi = tunecraft.create_study(storage=storage, study_name="v1-multi",
                                   directions=["minimize", "maximize"],
                                   sampler=RandomSampler(seed=2), pruner=NopPruner())
    for values in [(1.5, -2.0), (5e-324, -0.0), (1.7976931348623157e308, 1e-300)]:
        trial = multi.ask()
        trial.suggest_categorical("k", [2, 2.5, False])
        multi.tell(trial, values)
    storage.close()
    for suffix in ("-wal", "-shm"):
        assert not os.path.exists(PATH + suffix), "the WAL was not checkpointed into the file"
    print(f"wrote {PATH} ({os.path.getsize(PATH)} bytes)")


if __name__ == "__main__":
    main()
