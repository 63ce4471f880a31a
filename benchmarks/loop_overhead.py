"""Per-trial cost of ``study.optimize``'s own loop (reserve, begin, suggest, report, prune
check, tell) on in-memory and SQLite storage: a trivial objective, RandomSampler, NopPruner.

Compare two checkouts in one run by pointing ``--root`` at each (``git archive HEAD
tunecraft | tar -x -C /tmp/base`` gives the committed one):

    python -m benchmarks.loop_overhead --root /tmp/base
    python -m benchmarks.loop_overhead --root .
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from typing import Any


def objective(trial: Any) -> float:
    """Two parameters, three reports, a prune check per report."""
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", 0, 10)
    for step in range(3):
        trial.report(x * x + step, step)
        if trial.should_prune():
            raise RuntimeError("NopPruner never prunes")
    return float(x * x + y)


def per_trial_ms(storage: str | None, n: int) -> float:
    """Milliseconds per trial of ``optimize(objective, n_trials=n)`` on a new study."""
    import tunecraft
    from tunecraft.pruners import NopPruner
    from tunecraft.samplers import RandomSampler

    study = tunecraft.create_study(storage=storage, sampler=RandomSampler(seed=0),
                                   pruner=NopPruner())
    start = time.perf_counter()
    study.optimize(objective, n_trials=n, show_progress_bar=False)
    return (time.perf_counter() - start) / n * 1e3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=".", help="checkout whose tunecraft/ is measured")
    parser.add_argument("--memory-trials", type=int, default=600)
    parser.add_argument("--sqlite-trials", type=int, default=100)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.abspath(args.root))
    import tunecraft

    logging.getLogger("tunecraft").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        memory = per_trial_ms(None, args.memory_trials)
        sqlite = per_trial_ms(os.path.join(tmp, "loop.db"), args.sqlite_trials)
    print(f"{os.path.dirname(tunecraft.__file__)}: in-memory {memory:.2f} ms/trial, "
          f"SQLite {sqlite:.2f} ms/trial")


if __name__ == "__main__":
    main()
