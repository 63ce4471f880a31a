"""A worker process for the database-outage tests: runs trials until a stop file appears.

    python tests/_outage_worker.py URL STUDY LOG STOPFILE

Every run of the objective is logged to LOG (one JSON line, fsynced, before the value is
returned): ``{"ran": number, "params": {...}, "value": v, "pid": pid}``; every trial the study
finished here is logged by a callback as ``{"told": number, "state": name, "value": v}``; a
first line ``{"ready": pid}`` says the worker has opened the study. The
test compares these logs with what the database kept after its crashes.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import tunecraft
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler


def main() -> None:
    url, name, log_path, stop_file = sys.argv[1:5]
    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run

    def write(entry: dict[str, Any]) -> None:
        log.write(json.dumps(entry) + "\n")
        log.flush()
        os.fsync(log.fileno())

    def objective(trial: tunecraft.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_int("y", 0, 1000)
        trial.report(x, step=0)
        value = x * x + y
        write({"ran": trial.number, "params": {"x": x, "y": y}, "value": value,
               "pid": os.getpid()})
        return value

    def told(study: tunecraft.Study, frozen: tunecraft.FrozenTrial) -> None:
        write({"told": frozen.number, "state": frozen.state.name,
               "value": frozen.values[0] if frozen.values else None})
        if os.path.exists(stop_file):
            study.stop()

    study = tunecraft.load_study(study_name=name, storage=url,
                                 sampler=RandomSampler(seed=os.getpid()), pruner=NopPruner())
    write({"ready": os.getpid()})  # connected: the test starts crashing the server only now
    study.optimize(objective, callbacks=[told])
    print("done", flush=True)


if __name__ == "__main__":
    main()
