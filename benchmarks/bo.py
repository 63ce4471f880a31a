"""Benchmark of sample-efficient search (issue #5): GP, CMA-ES, auto and multi-objective
samplers against Optuna's, on synthetic functions, scikit-learn tuning and the digits MLP.

``python -m benchmarks.bo`` (about an hour on 2 cores; ``--quick`` for a smoke run) writes
``benchmarks/results/issue-5.md`` and the raw runs to ``benchmarks/out/bo-<time>.json``:

- single objective: median (over seeds) best loss or regret after 25, 50 and 100 trials, the
  ratio of tunecraft's GP to Optuna's GPSampler, and every optimiser's average rank;
- multi-objective: median hypervolume after 25, 50 and 100 trials (larger is better);
- overhead: the median time outside the objective per trial, over every run; and the time of
  one GP suggestion after 200 trials in 10 dimensions, tunecraft vs Optuna.

Targets: tunecraft's GP no worse than Optuna's GPSampler on >= 70% of the problems at 50
trials, with lower median overhead; one GP suggestion at 200 trials in 10-D within 1 s; the
auto sampler first by average rank over the single-objective problems. HEBO is not compared:
its wheel pins numpy < 1.25, which cannot be installed beside numpy 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bo_adapters import MO_PROBLEMS, MULTI, SINGLE, Trace, gp_overhead, run
from benchmarks.problems import LEARNING, SYNTHETIC, get_problem

HERE = Path(__file__).resolve().parent
CHECKPOINTS = (25, 50, 100)


def _task(args: tuple[str, str, int, int]) -> dict[str, Any]:
    """Run one (problem, adapter, seed) and summarise it (top level, for the process pool)."""
    problem_name, adapter, seed, n_trials = args
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    started = time.perf_counter()
    if problem_name in MO_PROBLEMS:
        mo = MO_PROBLEMS[problem_name]
        trace = run(adapter, mo, seed, n_trials)
        curve = _hv_curve(trace, np.array(mo.reference))
    else:
        problem = get_problem(problem_name)
        trace = run(adapter, problem, seed, n_trials)
        loss = np.where(np.isnan(trace.values[:, 0]), np.inf, trace.values[:, 0])
        curve = np.minimum.accumulate(loss) - (problem.optimum or 0.0)
    return {"problem": problem_name, "adapter": adapter, "seed": seed, "n_trials": n_trials,
            "curve": [float(c) for c in curve], "overhead": [float(o) for o in trace.overhead],
            "seconds": time.perf_counter() - started}


def _hv_curve(trace: Trace, reference: np.ndarray) -> np.ndarray:
    from tunecraft.hypervolume import hypervolume

    vals = trace.values
    out = np.zeros(len(vals))
    for k in CHECKPOINTS:
        if k <= len(vals):
            ok = vals[:k][~np.isnan(vals[:k]).any(axis=1)]
            out[k - 1] = hypervolume(ok, reference)
    return out


def _cells(runs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[int, float]]:
    by: dict[tuple[str, str], list[list[float]]] = {}
    for r in runs:
        by.setdefault((r["problem"], r["adapter"]), []).append(r["curve"])
    return {key: {k: float(np.median([c[min(k, len(c)) - 1] for c in curves]))
                  for k in CHECKPOINTS} for key, curves in by.items()}


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    return "0" if x == 0 else (f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}")


def report(runs: list[dict[str, Any]], overhead_200: dict[str, float], command: str) -> str:
    """The markdown report of ``runs``."""
    cells = _cells(runs)
    single = [p for p in dict.fromkeys(r["problem"] for r in runs) if p not in MO_PROBLEMS]
    multi = [p for p in dict.fromkeys(r["problem"] for r in runs) if p in MO_PROBLEMS]
    adapters = [a for a in dict.fromkeys(r["adapter"] for r in runs)]
    seeds = {p: len({r["seed"] for r in runs if r["problem"] == p}) for p in single + multi}
    lines = ["# Issue #5: sample-efficient search", "",
             f"Written by `{command}` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} "
             f"UTC; load average before the report: {os.getloadavg()[0]:.2f}.", ""]
    # ---- targets
    lines += ["## Targets", ""]
    wins, total, worse = 0, 0, []
    for p in single:
        a, b = cells.get((p, "tunecraft-gp")), cells.get((p, "optuna-gp"))
        if a and b:
            total += 1
            if a[50] <= b[50]:
                wins += 1
            else:
                worse.append(f"{p} (x{a[50] / b[50]:.2f})" if b[50] > 0 else p)
    if total:
        share = wins / total
        verdict = "MET" if share >= 0.7 else "NOT MET"
        lines.append(f"- tunecraft-gp no worse than optuna-gp at 50 trials on {wins} of {total} "
                     f"problems ({share:.0%}); target >= 70%: **{verdict}**"
                     + (f". Worse on: {', '.join(worse)}." if worse else "."))
    med = {a: float(np.median(oh)) for a in adapters
           if (oh := [o for r in runs if r["adapter"] == a and r["problem"] in single
                      for o in r["overhead"][1:]])}
    if "tunecraft-gp" in med and "optuna-gp" in med:
        ok = med["tunecraft-gp"] < med["optuna-gp"]
        lines.append(f"- Median overhead per trial: tunecraft-gp {med['tunecraft-gp'] * 1e3:.1f} "
                     f"ms, optuna-gp {med['optuna-gp'] * 1e3:.1f} ms: "
                     f"**{'MET' if ok else 'NOT MET'}** (lower).")
    if overhead_200:
        tc_s = overhead_200.get("tunecraft", float("nan"))
        lines.append(f"- One GP suggestion after 200 trials in 10-D: tunecraft {tc_s:.3f} s, "
                     f"optuna {overhead_200.get('optuna', float('nan')):.3f} s; target <= 1 s: "
                     f"**{'MET' if tc_s <= 1.0 else 'NOT MET'}**.")
    ranks = _ranks(cells, single, adapters)
    if ranks:
        order = sorted(ranks, key=lambda a: ranks[a][100])
        lines.append(f"- Average rank over {len(single)} single-objective problems after 100 "
                     "trials (1 = best): " + ", ".join(f"{a} {ranks[a][100]:.2f}"
                                                       for a in order)
                     + "; auto first (ties count): **"
                     + ("MET" if ranks.get("tunecraft-auto", {}).get(100, np.inf)
                        <= ranks[order[0]][100] else "NOT MET") + "**.")
        lines.append("- After 50 trials: " + ", ".join(
            f"{a} {ranks[a][50]:.2f}" for a in sorted(ranks, key=lambda a: ranks[a][50])) + ".")
    lines += ["", "## Notes", "",
              "- HEBO is not compared: its wheel pins numpy < 1.25, which cannot be installed "
              "beside numpy 2.",
              "- Up to 300 finished trials the auto sampler *is* the GP on these problems "
              "(none is conditional or has more than 20 parameters), so they tie; it differs "
              "from the GP only later (CMA-ES or TPE) or with several objectives (TPE, then "
              "NSGA-II/III).",
              "- Overhead per trial is the median time outside the objective over every trial of "
              "every run, measured while another process ran beside it on 2 cores.",
              "- hartmann6 has a local minimum at regret 0.119 that traps most of tunecraft's "
              "GP runs; ZDT1's hypervolume stays near 0 until a trial reaches f2 < 1.1.", ""]
    # ---- tables
    for title, probs, better in (("Single objective", single, "lower"),
                                 ("Multi-objective (hypervolume)", multi, "higher")):
        if not probs:
            continue
        lines += [f"## {title}", "", f"Median over seeds after 25 / 50 / 100 trials; {better} "
                  "is better. Ratio to optuna-gp (single objective) in brackets.", ""]
        for p in probs:
            desc = MO_PROBLEMS[p].description if p in MO_PROBLEMS else get_problem(p).description
            lines += [f"### {p}", "", f"{desc}; {seeds[p]} seeds.", "",
                      "| optimiser | 25 | 50 | 100 | overhead ms/trial |", "|---|---|---|---|---|"]
            ref = cells.get((p, "optuna-gp"))
            for a in adapters:
                c = cells.get((p, a))
                if c is None:
                    continue
                cols = []
                for k in CHECKPOINTS:
                    text = _fmt(c[k])
                    if ref and p not in MO_PROBLEMS and a != "optuna-gp" and ref[k] > 0:
                        text += f" ({c[k] / ref[k]:.2f})"
                    cols.append(text)
                oh = np.median([o for r in runs if r["problem"] == p and r["adapter"] == a
                                for o in r["overhead"][1:]])
                lines.append(f"| {a} | " + " | ".join(cols) + f" | {oh * 1e3:.1f} |")
            lines.append("")
    return "\n".join(lines)


def _ranks(cells: dict[tuple[str, str], dict[int, float]], problems: Sequence[str],
           adapters: Sequence[str]) -> dict[str, dict[int, float]]:
    """Average over problems of each adapter's rank (ties share the mean rank)."""
    from scipy.stats import rankdata

    out: dict[str, dict[int, list[float]]] = {}
    for p in problems:
        present = [a for a in adapters if (p, a) in cells]
        for k in CHECKPOINTS:
            r = rankdata([cells[(p, a)][k] for a in present])
            for a, v in zip(present, r, strict=True):
                out.setdefault(a, {}).setdefault(k, []).append(float(v))
    return {a: {k: float(np.mean(v)) for k, v in d.items()} for a, d in out.items()}


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--problems", nargs="+", default=list(SYNTHETIC + LEARNING))
    p.add_argument("--mo-problems", nargs="*", default=list(MO_PROBLEMS))
    p.add_argument("--adapters", nargs="+", default=list(SINGLE))
    p.add_argument("--mo-adapters", nargs="+", default=list(MULTI))
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="2 seeds, 30 trials, 2 problems")
    p.add_argument("--skip-overhead", action="store_true")
    p.add_argument("--reuse", type=Path, nargs="*", default=[],
                   help="raw JSON files of earlier runs: skip the runs they hold")
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-5.md")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.trials = 2, 30
        args.problems, args.mo_problems = args.problems[:2], args.mo_problems[:1]
    old: list[dict[str, Any]] = []
    for path in args.reuse:
        old += json.loads(path.read_text())["runs"]
    done = {(r["problem"], r["adapter"], r["seed"], r["n_trials"]) for r in old}
    tasks = [(pr, a, s, args.trials) for s in range(args.seeds)
             for pr, adapters in [*[(x, args.adapters) for x in args.problems],
                                  *[(x, args.mo_adapters) for x in args.mo_problems]]
             for a in adapters if (pr, a, s, args.trials) not in done]
    runs = [r for r in old if r["n_trials"] == args.trials]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, r in enumerate(pool.map(_task, tasks)):
            runs.append(r)
            print(f"[{i + 1}/{len(tasks)} {time.perf_counter() - started:6.0f}s] {r['problem']} "
                  f"{r['adapter']} seed={r['seed']}: {r['curve'][-1]:.4g} ({r['seconds']:.0f}s)",
                  file=sys.stderr, flush=True)
    overhead_200 = {} if args.skip_overhead else {
        lib: gp_overhead(lib) for lib in ("tunecraft", "optuna")}
    raw = HERE / "out" / f"bo-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({"runs": runs, "overhead_200": overhead_200}))
    command = "python -m benchmarks.bo " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(runs, overhead_200, command.strip()) + "\n")
    print(f"wrote {args.out} and {raw}", file=sys.stderr)


if __name__ == "__main__":
    main()
