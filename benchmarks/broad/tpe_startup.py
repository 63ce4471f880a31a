"""Does TPE's Latin-hypercube start-up matter? Our TPE with i.i.d. start-up, beside the rest (#18).

Our TPESampler and Optuna's multivariate TPESampler fit the same model after the start-up
(``tests/samplers/test_optuna_model_equivalence.py``); they differ in the start-up design:
ours draws the first ``n_startup_trials`` as a Latin hypercube (``tpe/_startup.py``), Optuna's
i.i.d. uniform. ``tunecraft-tpe-iid`` is our TPE with i.i.d. start-up draws (the same
generator calls, so it differs from ``tunecraft-tpe`` in the start-up only), run on BBOB
functions (or any problem of the suite: ``--problems``) in the broad runner's log format, so
``--report`` pairs it with the runner's results (``python -m benchmarks.broad.run ... --log
FILE``) in the same file:

    python -m benchmarks.broad.tpe_startup --log bbob10.jsonl --dims 10 --seeds 20
    python -m benchmarks.broad.tpe_startup --log bbob10.jsonl --dims 10 --seeds 20 --report \
        tunecraft-tpe:optuna-tpe tunecraft-tpe-iid:optuna-tpe tunecraft-tpe:tunecraft-tpe-iid
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.broad import stats
from benchmarks.broad.problems import BBOB_FUNCTIONS, all_problems
from tunecraft.history import History
from tunecraft.samplers import TPESampler
from tunecraft.space import Space, split_constants

NAME = "tunecraft-tpe-iid"


class IidStartupTPE(TPESampler):
    """TPESampler whose start-up trials are i.i.d. uniform (Optuna's start-up)."""

    def sample_joint(self, space: Space, history: History, rng: np.random.Generator,
                     number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        if self._table_of(history).n_finished() >= self.n_startup_trials:
            return super().sample_joint(space, history, rng, number)
        out, todo = split_constants(space)
        out.update({name: dim.from_unit(rng.random()) for name, dim in todo.items()})
        return {name: out[name] for name in space}, {}


def run_one(problem_name: str, seed: int, n_trials: int) -> float:
    """The best loss of ``tunecraft-tpe-iid`` on one problem (as ``run.run_one`` measures it:
    a failed evaluation counts as NaN)."""
    from benchmarks import bo_adapters

    problem = all_problems()[problem_name]
    values = bo_adapters._tunecraft(lambda s: IidStartupTPE(seed=s), problem.space,
                                    problem.evaluate, n_trials, seed, 1).values[:, 0]
    finite = values[np.isfinite(values)]
    return float(finite.min()) if finite.size else math.inf


def report(log: Path, names: Sequence[str], seeds: int, n_trials: int,
           pairs: Sequence[tuple[str, str]]) -> list[str]:
    """Paired score differences, wins/losses and Wilcoxon p, and per-problem medians."""
    rows = (json.loads(line) for line in log.read_text().splitlines() if line.strip())
    value = {k: float(v) for k, v in rows}
    opts = sorted({o for pair in pairs for o in pair} | {stats.RANDOM})
    results = {p: {o: [value[f"{o}|{p}|{s}|{n_trials}"] for s in range(seeds)] for o in opts}
               for p in names}
    sc = stats.scores(results)
    lines = ["| comparison | mean score difference | Wilcoxon p | wins / losses |",
             "|---|---|---|---|"]
    for a, b in pairs:
        diff, p = stats.paired(results, a, b)
        win = sum(int(np.sum(sc[q][a] > sc[q][b])) for q in sc)
        loss = sum(int(np.sum(sc[q][a] < sc[q][b])) for q in sc)
        lines.append(f"| {a} vs {b} | {diff:+.1f} | {p:.3g} | {win} / {loss} |")
    lines += ["", "| problem | " + " | ".join(o for o in opts if o != stats.RANDOM) + " |",
              "|---|" + "---|" * (len(opts) - 1)]
    for q in sc:
        lines.append(f"| {q} | " + " | ".join(f"{np.median(sc[q][o]):.0f}" for o in opts
                                              if o != stats.RANDOM) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Run the missing ``tunecraft-tpe-iid`` results into ``--log`` (or ``--report`` them)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", type=Path, required=True)
    ap.add_argument("--dims", type=int, nargs="+", default=[10])
    ap.add_argument("--problems", nargs="+", default=None,
                    help="problem names or glob patterns instead of the BBOB functions of --dims")
    ap.add_argument("--seeds", type=int, default=10)
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
    for seed in range(args.seeds):
        for name in names:
            key = f"{NAME}|{name}|{seed}|{args.trials}"
            if key not in done:
                best = run_one(name, seed, args.trials)
                with args.log.open("a") as f:
                    f.write(json.dumps([key, best]) + "\n")


if __name__ == "__main__":
    main()
