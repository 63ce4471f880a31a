"""Run every benchmark and write the markdown report: ``python -m benchmarks.run_all``.

The full run (20 seeds of the synthetic functions, 5 of the learning problems, 100 trials each;
overhead over 3 repetitions of 1000 trials) takes about 25 minutes on 2 cores (two processes),
about 45 with ``--jobs 1``; ``--quick`` runs a small version in a few minutes. The report
(tables, targets, the exact command, machine and load) goes to ``benchmarks/results/issue-2.md``
(summarised in ``benchmarks/RESULTS.md``); raw curves go to ``benchmarks/out/`` as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from benchmarks import overhead, sample_efficiency
from benchmarks.adapters import (
    ADAPTERS,
    EFFICIENCY_ADAPTERS,
    OVERHEAD_ADAPTERS,
    REFERENCE,
    tunecraft_tpe_available,
)
from benchmarks.machine import cpu_model, load_average
from benchmarks.problems import LEARNING, PROBLEM_NAMES, SYNTHETIC, get_problem

HERE = Path(__file__).resolve().parent
CANDIDATE = "tunecraft-tpe"
EFFICIENCY_TARGET = 0.7  # share of problems where tunecraft TPE is no worse than Optuna TPE
OVERHEAD_TARGET = 0.5  # tunecraft TPE's overhead at the end of the run / Optuna TPE's


READING = [
    "## Reading these numbers", "",
    f"- A ratio is an optimiser's median over seeds divided by {REFERENCE}'s; below 1 is "
    "better. Compare it with the quartile columns: with 20 seeds (5 for the learning "
    "problems), differences of 10-20% between two good optimisers are within the spread.",
    "- The learning problems are flat near their optimum, so most optimisers reach the same "
    "loss; a tie counts as \"no worse\" in the target.",
    "- Ackley's optimum is at the centre of its box, where a TPE's prior kernel is centred.",
    "- Overhead numbers scale with the machine's load; the ratios, measured in the same run "
    "with the repetitions interleaved, are what to compare.", ""]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line flags; the defaults are the full benchmark."""
    p = argparse.ArgumentParser(description="tunecraft vs Optuna vs Hyperopt benchmarks")
    p.add_argument("--quick", action="store_true",
                   help="small run: 5/2 seeds, 50 trials, overhead 1 x 300 trials")
    p.add_argument("--problems", nargs="+", choices=PROBLEM_NAMES, default=list(PROBLEM_NAMES))
    p.add_argument("--adapters", nargs="+", choices=sorted(ADAPTERS), default=None,
                   help="optimisers to compare (default: the efficiency / overhead sets)")
    p.add_argument("--trials", type=int, default=None, help="trials per run (default 100)")
    p.add_argument("--seeds-synthetic", type=int, default=None, help="default 20")
    p.add_argument("--seeds-learning", type=int, default=None, help="default 5")
    p.add_argument("--overhead-trials", type=int, default=None, help="default 1000")
    p.add_argument("--overhead-reps", type=int, default=None, help="default 3")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                   help="processes for the sample-efficiency runs (default 2; the results do "
                        "not depend on it; overhead is always measured in one process)")
    p.add_argument("--skip-efficiency", action="store_true")
    p.add_argument("--skip-overhead", action="store_true")
    p.add_argument("--reuse", type=Path, default=None,
                   help="raw JSON of an earlier run: reuse its runs (same problem, optimiser, "
                        "seed and trials) of every optimiser not named by --fresh")
    p.add_argument("--fresh", nargs="*", default=None,
                   help="optimisers rerun despite --reuse (default: the tunecraft ones; "
                        "none: reuse every run, e.g. to measure only the overhead again)")
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-2.md")
    p.add_argument("--raw", type=Path, default=None,
                   help="JSON of every run (default: benchmarks/out/results-<time>.json)")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {"trials": 50 if quick else 100, "seeds_synthetic": 5 if quick else 20,
                "seeds_learning": 2 if quick else 5, "overhead_trials": 300 if quick else 1000,
                "overhead_reps": 1 if quick else 3}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')}={getattr(args, key)} must be at least 1")
    return args


def checkpoints(n_trials: int) -> list[int]:
    """25, 50, 100 (those not above ``n_trials``), and ``n_trials`` itself."""
    return sorted({k for k in (25, 50, 100) if k <= n_trials} | {n_trials})


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, text=True,
                             capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=HERE, text=True, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" (with uncommitted changes)" if dirty.strip() else "")


def _tpe_digest() -> str:
    """A short hash of tunecraft's TPE sources, naming the version measured before a commit."""
    digest = hashlib.sha256()
    for path in sorted((HERE.parent / "tunecraft" / "samplers" / "tpe").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def machine_info() -> dict[str, str]:
    """What ran the benchmark: CPU, cores, OS, Python and library versions, git revision."""
    info = {"cpu": f"{cpu_model()}, {os.cpu_count()} logical cores",
            "os": platform.platform(), "python": platform.python_version(),
            "tunecraft git revision": _git_revision(),
            "sha256 of tunecraft/samplers/tpe/*.py": _tpe_digest()}
    for dist in ("tunecraft", "optuna", "hyperopt", "numpy", "scipy", "scikit-learn", "torch"):
        info[dist] = _version(dist)
    return info


def _reusable(args: argparse.Namespace, tasks: Sequence[sample_efficiency.Task]
              ) -> list[sample_efficiency.Outcome]:
    """Runs of ``args.reuse`` that match a task and whose optimiser is not to be rerun."""
    if args.reuse is None:
        return []
    fresh = set(args.fresh if args.fresh is not None else
                [a for a in ADAPTERS if a.startswith("tunecraft-")])
    wanted = set(tasks)
    found: dict[sample_efficiency.Task, sample_efficiency.Outcome] = {}
    for o in sample_efficiency.load_outcomes(args.reuse):
        if o.task in wanted and o.task.adapter not in fresh:
            found.setdefault(o.task, o)
    return list(found.values())


def _targets(eff: sample_efficiency.Verdict | None, k: int,
             ovh: dict[str, overhead.Overhead] | None, n_overhead: int) -> list[str]:
    lines = ["## Targets", ""]
    if eff is None:
        lines.append(f"- Sample efficiency: not measured ({CANDIDATE} or {REFERENCE} missing).")
    else:
        met = "MET" if eff.fraction >= EFFICIENCY_TARGET else "MISSED"
        n = len(eff.wins) + len(eff.losses)
        lines.append(
            f"- Sample efficiency: {CANDIDATE}'s median after {k} trials is no worse than "
            f"{REFERENCE}'s on {len(eff.wins)} of {n} problems ({eff.fraction:.0%}); target "
            f">= {EFFICIENCY_TARGET:.0%}: **{met}**.")
        if eff.losses:
            worse = ", ".join(f"{p} (x{r:.2f})" for p, r in eff.losses)
            lines.append(f"  Worse on: {worse} (ratio of medians, {CANDIDATE} / {REFERENCE}).")
    if ovh is None or CANDIDATE not in ovh or REFERENCE not in ovh:
        lines.append(f"- Overhead: not measured ({CANDIDATE} or {REFERENCE} missing).")
    else:
        r = ovh[CANDIDATE].last / ovh[REFERENCE].last
        met = "MET" if r <= OVERHEAD_TARGET else "MISSED"
        lines.append(
            f"- Overhead: over the last {min(100, n_overhead)} of {n_overhead} trials "
            f"{CANDIDATE} spends "
            f"{ovh[CANDIDATE].last:.2f} ms/trial, {REFERENCE} {ovh[REFERENCE].last:.2f}: "
            f"ratio {r:.2f}; target <= {OVERHEAD_TARGET}: **{met}**.")
    return lines + [""]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks chosen by the flags and write the report."""
    args = parse_args(argv)
    command = "python -m benchmarks.run_all" + "".join(
        f" {a}" for a in (sys.argv[1:] if argv is None else argv))
    started = time.perf_counter()
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_before = load_average()
    has_tpe = tunecraft_tpe_available()
    notes: list[str] = []
    if not has_tpe:
        notes.append(f"- tunecraft.samplers.TPESampler is not importable: {CANDIDATE} left out.")

    def usable(names: Sequence[str]) -> list[str]:
        return [a for a in (args.adapters or names) if a != CANDIDATE or has_tpe]

    info = machine_info()
    raw: dict[str, object] = {"command": command, "date": date, "machine": info}
    sections: list[str] = []
    eff_verdict = None
    k_final = args.trials
    if not args.skip_efficiency:
        adapters = usable(EFFICIENCY_ADAPTERS)
        seeds_of = {p: list(range(args.seeds_synthetic if p in SYNTHETIC else
                                  args.seeds_learning)) for p in args.problems}
        tasks = sample_efficiency.make_tasks(args.problems, adapters, seeds_of, args.trials)
        reused = _reusable(args, tasks)
        if reused:
            source = json.loads(args.reuse.read_text())
            notes.append(f"- Sample efficiency: {len(reused)} of {len(tasks)} runs (of "
                         f"{', '.join(sorted({o.task.adapter for o in reused}))}) were reused "
                         f"from `{args.reuse}`, written by `{source.get('command')}` on "
                         f"{source.get('date')}"
                         f"{'; the others ran now' if len(reused) < len(tasks) else ''}. "
                         "Runs are deterministic "
                         "in their seed, so reuse changes no number while the library "
                         "versions stay the same.")
        todo = [t for t in tasks if t not in {o.task for o in reused}]
        print(f"sample efficiency: {len(todo)} runs ({len(reused)} reused)", file=sys.stderr,
              flush=True)
        outcomes = reused + sample_efficiency.run_tasks(todo, jobs=args.jobs)
        ks = checkpoints(args.trials)
        summary = sample_efficiency.summarize(outcomes, ks)
        summary = {p: summary[p] for p in args.problems if p in summary}
        eff_verdict = sample_efficiency.compare(summary, k_final, CANDIDATE)
        descriptions = {p: get_problem(p).description for p in args.problems}
        sections += [
            "## Sample efficiency", "",
            f"Same seeds for every optimiser: {args.seeds_synthetic} for the synthetic "
            f"functions ({', '.join(p for p in args.problems if p in SYNTHETIC)}), "
            f"{args.seeds_learning} for the learning problems "
            f"({', '.join(p for p in args.problems if p in LEARNING)}). Synthetic functions "
            "report regret (best value found minus the known optimum); the others their loss.",
            "", f"### Ratio of medians to {REFERENCE} after {k_final} trials (below 1: better)",
            "", sample_efficiency.summary_markdown(summary, k_final, adapters), "",
            sample_efficiency.markdown(summary, ks, adapters, descriptions)]
        raw["efficiency"] = [dataclasses.asdict(o) for o in outcomes]
    ovh = None
    if not args.skip_overhead:
        adapters = usable(OVERHEAD_ADAPTERS)
        print(f"overhead: {len(adapters)} optimisers x {args.overhead_reps} x "
              f"{args.overhead_trials} trials", file=sys.stderr, flush=True)
        window = min(100, args.overhead_trials)
        ovh = overhead.measure(adapters, args.overhead_trials, args.overhead_reps, window)
        sections += [
            "## Sampler overhead", "",
            f"Milliseconds per trial outside the objective on `{overhead.PROBLEM}` (8-D mixed, "
            f"trivial objective, in-memory storage), mean over a window of {window} trials, "
            f"median over {args.overhead_reps} repetitions; ratio to {REFERENCE}.", "",
            overhead.markdown(ovh, args.overhead_trials, window), ""]
        raw["overhead"] = {a: dataclasses.asdict(o) for a, o in ovh.items()}
    elapsed = time.perf_counter() - started
    load_after = load_average()
    digest_key = "sha256 of tunecraft/samplers/tpe/*.py"
    if _tpe_digest() != info[digest_key]:
        notes.append(f"- WARNING: tunecraft/samplers/tpe/ changed during this run (now "
                     f"{_tpe_digest()}). Runs in this process and its workers used the version "
                     "imported at the start; rerun to measure the new one.")
    header = [
        "# tunecraft benchmarks", "",
        f"Written by `{command}` on {date}, in {elapsed / 60:.1f} min. Regenerate with the "
        "same command (or `make bench`); this file is overwritten.", "",
        "- Machine: " + "; ".join(f"{k}: {v}" for k, v in info.items()),
        f"- Load average (1, 5, 15 min): {load_before} before, {load_after} after.",
        *notes, ""]
    targets = _targets(eff_verdict, k_final, ovh, args.overhead_trials) + READING
    args.out.write_text("\n".join(header + targets + sections).rstrip() + "\n")
    raw_path = args.raw or HERE / "out" / f"results-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    raw_path.write_text(json.dumps(raw, default=str))
    print(f"wrote {args.out} and {raw_path} in {elapsed / 60:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
