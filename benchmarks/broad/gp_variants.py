"""Does the GP's no-repeat rule pay? The GP that may repeat a configuration, beside the rest (#18).

``tunecraft-gp`` never proposes a configuration already evaluated or running: it takes the
best new row of its acquisition search (``tunecraft/samplers/gp/optim.py``, step 4);
``tunecraft-gp-repeats`` is the same sampler without that rule (as before #18's change), so the
two differ only in runs where the acquisition's maximum is a repeat, and are identical
elsewhere. Both run into a log in the broad runner's format (``python -m benchmarks.broad.run
... --log FILE``), so ``--report`` pairs them with each other and with the peers logged there:

    python -m benchmarks.broad.gp_variants --log gp2.jsonl --dims 2 --seeds 10
    python -m benchmarks.broad.gp_variants --log gp2.jsonl --dims 2 --seeds 10 --report \
        tunecraft-gp:tunecraft-gp-repeats
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.broad.problems import BBOB_FUNCTIONS, all_problems
from benchmarks.broad.tpe_startup import report
from tunecraft.samplers import GPSampler


class RepeatingGP(GPSampler):
    """GPSampler without the no-repeat rule (its behaviour before #18's change)."""

    _avoid_repeats = False


VARIANTS: dict[str, Callable[[int], Any]] = {
    "tunecraft-gp": lambda s: GPSampler(seed=s),
    "tunecraft-gp-repeats": lambda s: RepeatingGP(seed=s),
}


def run_one(variant: str, problem_name: str, seed: int, n_trials: int) -> float:
    """The best loss of ``variant`` on one problem (as ``run.run_one`` measures it)."""
    from benchmarks import bo_adapters

    problem = all_problems()[problem_name]
    values = bo_adapters._tunecraft(VARIANTS[variant], problem.space, problem.evaluate,
                                    n_trials, seed, 1).values[:, 0]
    finite = values[np.isfinite(values)]
    return float(finite.min()) if finite.size else math.inf


def main(argv: Sequence[str] | None = None) -> None:
    """Run the missing results of ``--variants`` into ``--log`` (or ``--report`` them)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", type=Path, required=True)
    ap.add_argument("--dims", type=int, nargs="+", default=[2])
    ap.add_argument("--problems", nargs="+", default=None,
                    help="problem names or glob patterns instead of the BBOB functions of --dims")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--report", nargs="*", default=None, metavar="A:B",
                    help="print paired comparisons A vs B from the log instead of running")
    args = ap.parse_args(argv)
    names = [f"bbob-f{f}-d{d}" for d in args.dims for f in BBOB_FUNCTIONS]
    if args.problems:
        names = [n for n in all_problems() if any(fnmatch(n, p) for p in args.problems)]
    if args.report is not None:
        pairs = [tuple(p.split(":", 1)) for p in args.report]
        print("\n".join(report(args.log, names, args.seeds, args.trials,
                               [(a, b) for a, b in pairs])))
        return
    done = set()
    if args.log.exists():
        done = {json.loads(line)[0] for line in args.log.read_text().splitlines() if line}
    for seed in range(args.first_seed, args.seeds):
        for name in names:
            for variant in args.variants:
                key = f"{variant}|{name}|{seed}|{args.trials}"
                if key not in done:
                    best = run_one(variant, name, seed, args.trials)
                    with args.log.open("a") as f:
                        f.write(json.dumps([key, best]) + "\n")


if __name__ == "__main__":
    main()
