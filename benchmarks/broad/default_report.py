"""The default sampler against Optuna's samplers per family, from the broad runner's logs (#18).

Reads ``--log`` files in the format of ``python -m benchmarks.broad.run ... --log FILE`` and
``python -m benchmarks.broad.gp_variants``, and prints, for the chosen problems and seeds, the
mean score and mean rank of every optimiser, and the default's paired score difference,
wins / losses and Wilcoxon p against each Optuna sampler. ``--alias NEW=OLD`` reads rows of
``OLD`` as ``NEW`` where ``NEW`` has none (``tunecraft-auto=tunecraft-gp-repeats``: the
default before #18's no-repeat rule is the GP without it, bit for bit, on the suite's
problems); ``--rename OLD=NEW`` reports ``OLD``'s rows under another name.

    python -m benchmarks.broad.default_report --log a.jsonl b.jsonl --seeds 20 \\
        --problems 'bbob-f*-d2' --optimizers tunecraft-auto optuna-gp optuna-tpe optuna-cmaes
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

from benchmarks.broad import stats


def read(logs: Sequence[Path]) -> dict[str, float]:
    """Every ``[key, loss]`` row of the logs (a later file's row wins)."""
    out: dict[str, float] = {}
    for log in logs:
        for line in log.read_text().splitlines():
            if line.strip():
                key, value = json.loads(line)
                out[key] = float(value)
    return out


def table(value: dict[str, float], problems: Sequence[str], optimizers: Sequence[str],
          seeds: Sequence[int], n_trials: int, default: str) -> list[str]:
    """Mean score, mean rank and the default's paired comparisons, as markdown."""
    opts = [*optimizers, stats.RANDOM] if stats.RANDOM not in optimizers else list(optimizers)
    results = {p: {o: [value[f"{o}|{p}|{s}|{n_trials}"] for s in seeds] for o in opts}
               for p in problems}
    summ = stats.summary(results)
    sc = stats.scores(results)
    lines = ["| optimiser | mean score | mean rank |", "|---|---|---|"]
    for o, v in sorted(summ.items(), key=lambda kv: -kv[1]["score"]):
        lines.append(f"| {o} | {v['score']:.1f} | {v['rank']:.2f} |")
    lines += ["", "| comparison | mean score difference | Wilcoxon p | wins / losses |",
              "|---|---|---|---|"]
    for b in opts:
        if b in (default, stats.RANDOM):
            continue
        diff, p = stats.paired(results, default, b)
        win = sum(int(np.sum(sc[q][default] > sc[q][b])) for q in sc)
        loss = sum(int(np.sum(sc[q][default] < sc[q][b])) for q in sc)
        lines.append(f"| {default} vs {b} | {diff:+.1f} | {p:.3g} | {win} / {loss} |")
    lines += ["", "| problem | " + " | ".join(o for o in opts if o != stats.RANDOM) + " |",
              "|---|" + "---|" * (len(opts) - 1)]
    for q in sc:
        lines.append(f"| {q} | " + " | ".join(f"{np.median(sc[q][o]):.0f}" for o in opts
                                              if o != stats.RANDOM) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Print the tables for the chosen logs, problems, optimisers and seeds."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", type=Path, nargs="+", required=True)
    ap.add_argument("--problems", nargs="+", required=True, help="names or glob patterns")
    ap.add_argument("--optimizers", nargs="+", required=True,
                    help="the default first, then its peers (random search is added)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--alias", nargs="*", default=[], metavar="NEW=OLD")
    ap.add_argument("--rename", nargs="*", default=[], metavar="OLD=NEW")
    args = ap.parse_args(argv)
    value = read(args.log)
    for pair in args.alias:
        new, old = pair.split("=", 1)
        for key, v in list(value.items()):
            o, rest = key.split("|", 1)
            if o == old:
                value.setdefault(f"{new}|{rest}", v)
    for pair in args.rename:
        old, new = pair.split("=", 1)
        value.update({f"{new}|{k.split('|', 1)[1]}": v for k, v in value.items()
                      if k.split("|", 1)[0] == old})
    names = sorted({k.split("|")[1] for k in value}, key=lambda n: (len(n), n))
    problems = [n for n in names if any(fnmatch(n, p) for p in args.problems)]
    seeds = list(range(args.first_seed, args.seeds))
    print("\n".join(table(value, problems, args.optimizers, seeds, args.trials,
                          args.optimizers[0])))


if __name__ == "__main__":
    main()
