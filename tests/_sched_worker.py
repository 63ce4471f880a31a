"""A study driver for the cross-process pruner tests, run as a separate interpreter.

    python tests/_sched_worker.py URL STUDY KIND N_TRIALS SEED

It joins (or creates) the study with the pruner named KIND and runs N_TRIALS trials of the
simulated curves of tests/_curves.py (9 steps; two objectives for ``pareto``), resuming paused
trials from the artifact store next to the SQLite file. Prints ``{"numbers": [...]}``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tunecraft  # noqa: E402
from tests._curves import make_objective  # noqa: E402
from tunecraft.exceptions import TrialPruned  # noqa: E402
from tunecraft.pruners import (  # noqa: E402
    BasePruner,
    CurveExtrapolationPruner,
    HyperbandPruner,
    MedianPruner,
    ParetoPruner,
    PatientPruner,
    PercentilePruner,
    PopulationBasedTraining,
    SmoothedPruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from tunecraft.samplers import RandomSampler, TPESampler  # noqa: E402

STEPS = 9
KINDS = ("median", "percentile", "threshold", "patient", "smoothed", "curve", "sh", "hyperband",
         "sh-pause", "bohb-pause", "pbt", "pareto", "wilcoxon")


def pruner_for(kind: str, seed: int) -> BasePruner:
    pruners: dict[str, Callable[[], BasePruner]] = {
        "median": lambda: MedianPruner(n_startup_trials=3),
        "percentile": lambda: PercentilePruner(25.0, n_startup_trials=3),
        "threshold": lambda: ThresholdPruner(upper=1.3),
        "patient": lambda: PatientPruner(MedianPruner(n_startup_trials=3), patience=0),
        "smoothed": lambda: SmoothedPruner(MedianPruner(n_startup_trials=3), window=2),
        "curve": lambda: CurveExtrapolationPruner(STEPS, n_min_points=4),
        "sh": lambda: SuccessiveHalvingPruner(1, 3, max_resource=STEPS),
        "hyperband": lambda: HyperbandPruner(1, STEPS, 3),
        "sh-pause": lambda: SuccessiveHalvingPruner(1, 3, max_resource=STEPS, pause=True),
        "bohb-pause": lambda: HyperbandPruner(1, STEPS, 3, pause=True),
        "pbt": lambda: PopulationBasedTraining(4, 3, max_resource=STEPS, seed=seed),
        "pareto": lambda: ParetoPruner(n_startup_trials=3),
        "wilcoxon": lambda: WilcoxonPruner(0.1),
    }
    return pruners[kind]()


def mo_objective(trial: tunecraft.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", 0.0, 1.0)
    for step in range(1, STEPS + 1):
        trial.report(((1.0 - x) + 1.0 / step, abs(x - 0.7) + 1.0 / step), step)
        if trial.should_prune():
            raise TrialPruned()
    return (1.0 - x) + 1.0 / STEPS, abs(x - 0.7) + 1.0 / STEPS


def open_study(url: str | None, name: str, kind: str, seed: int) -> tunecraft.Study:
    sampler = (TPESampler(seed=seed, multi_fidelity=True, n_startup_trials=4)
               if kind == "bohb-pause" else RandomSampler(seed=seed))
    directions = ["minimize", "minimize"] if kind == "pareto" else ["minimize"]
    return tunecraft.create_study(storage=url, study_name=name, sampler=sampler,
                                  pruner=pruner_for(kind, seed), directions=directions,
                                  load_if_exists=True)


def objective_for(kind: str) -> Callable[[tunecraft.Trial], Any]:
    return mo_objective if kind == "pareto" else make_objective(STEPS)


def main() -> None:
    url, name, kind, n_trials, seed = sys.argv[1:6]
    study = open_study(url, name, kind, int(seed))
    ran: list[int] = []
    study.optimize(objective_for(kind), n_trials=int(n_trials), catch=(),
                   callbacks=[lambda _study, frozen: ran.append(frozen.number)])
    print(json.dumps({"numbers": ran}), flush=True)


if __name__ == "__main__":
    main()
