"""Issue #12 (item 10): how often parallel workers evaluate the very same point.

    python -m benchmarks.parallel_duplicates                       # this tree, SQLite + PG
    python -m benchmarks.parallel_duplicates --baseline /tmp/tc-head --repeat 3

8 worker processes share one study (the default sampler, 50 trials each, 400 in all) on a
SQLite file and on PostgreSQL (the service at 127.0.0.1:5432), on two continuous problems;
the report counts the trials whose parameters equal an earlier trial's. ``--baseline DIR``
holds another ``tunecraft`` package (``git archive HEAD tunecraft | tar -x -C DIR``), run in
the same session through ``PYTHONPATH``, alternating with this tree.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKER = """
import math, sys, tunecraft
def branin(t):
    x = t.suggest_float("x", -5, 10); y = t.suggest_float("y", 0, 15)
    return (y - 5.1 / (4 * math.pi ** 2) * x * x + 5 / math.pi * x - 6) ** 2 \\
        + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
def wavy(t):
    x = t.suggest_float("x", -5, 5); y = t.suggest_float("y", -5, 5)
    return (x - 1) ** 2 + (y + 2) ** 2 + math.sin(3 * x)
study = tunecraft.load_study(study_name=sys.argv[2], storage=sys.argv[1])
study.optimize({"branin": branin, "wavy": wavy}[sys.argv[3]], n_trials=int(sys.argv[4]))
"""
COUNT = """
import collections, sys, tunecraft
study = tunecraft.load_study(study_name=sys.argv[2], storage=sys.argv[1])
seen = collections.Counter(tuple(sorted(t.params.items())) for t in study.trials)
print(len(study.trials), sum(n - 1 for n in seen.values() if n > 1))
study.storage.delete_study(sys.argv[2])
"""


def run(tree: Path | None, url: str, problem: str, workers: int, trials: int) -> tuple[int, int]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        str(p) for p in (tree, ROOT) if p is not None)}
    name = f"dup-{uuid.uuid4().hex[:8]}"
    subprocess.run([sys.executable, "-c", "import sys, tunecraft; tunecraft.create_study("
                    "storage=sys.argv[1], study_name=sys.argv[2])", url, name], env=env,
                   check=True)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, name, problem, str(trials)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    for p in procs:
        p.wait()
    out = subprocess.run([sys.executable, "-c", COUNT, url, name], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline", type=Path, default=None)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--trials", type=int, default=50, help="per worker")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    trees: dict[str, Path | None] = {"this tree": None}
    if args.baseline is not None:
        trees = {"baseline": args.baseline.resolve(), **trees}
    folder = Path(tempfile.mkdtemp(prefix="tunecraft-dup-"))
    totals: Counter[tuple[str, str]] = Counter()
    ran: Counter[tuple[str, str]] = Counter()
    lines = []
    for rep in range(args.repeat):
        for problem in ("branin", "wavy"):
            for backend in ("sqlite", "postgresql"):
                for label, tree in trees.items():
                    url = (f"sqlite:///{folder / f'{label}-{rep}-{problem}.db'}".replace(" ", "_")
                           if backend == "sqlite" else PG)
                    n, dups = run(tree, url, problem, args.workers, args.trials)
                    totals[(label, backend)] += dups
                    ran[(label, backend)] += n
                    lines.append(f"| {rep} | {problem} | {backend} | {label} | {n} | {dups} |")
                    print(lines[-1], flush=True)
    report = ["# Issue #12: duplicate points under parallel workers", "",
              f"`python -m benchmarks.parallel_duplicates --repeat {args.repeat}"
              f"{' --baseline DIR' if args.baseline else ''}`: {args.workers} processes x "
              f"{args.trials} trials, default sampler.", "",
              "| repetition | problem | storage | package | trials | repeated points |",
              "|---|---|---|---|---|---|", *lines, "", "Totals:", ""]
    report += [f"- {label}, {backend}: {totals[(label, backend)]} of {ran[(label, backend)]}"
               for label in trees for backend in ("sqlite", "postgresql")]
    text = "\n".join(report) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
