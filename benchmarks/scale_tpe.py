"""Issue #12 (scale), TPE's part: time per trial against the history's size, and quality.

- **timing** (``--time``, run by ``benchmarks.scale`` in a fresh interpreter per tunecraft
  tree): an in-memory study is prefilled through the storage API with random ``mixed8``
  trials (8 mixed parameters, all COMPLETE) up to each size N; then 30 trials run by ask,
  ``suggest_*`` and tell with ``TPESampler(seed=0)`` (after 2 warm-up trials). Reported:
  CPU milliseconds per trial (median; the process's CPU time, which the load of a shared
  machine moves much less than wall time), and the share spent in the sampler
  (``joint_space`` and ``sample``). Where the tree's TPESampler has ``max_observations``,
  the unbounded TPE (``max_observations=None``: the estimator of the bad trials fitted on
  every one of them) is timed too.
- **quality**: TPE with its default bound (1,000), with bounds of 250 and 100, and
  unbounded, on branin, hartmann6, rosenbrock10, ackley5 and mixed8 for ``QUALITY_TRIALS``
  trials, the same seeds for each; median best regret at 500, 1,000 and 2,000 trials, and
  the two-sided Wilcoxon signed-rank p-value of the final regrets paired by seed against the
  unbounded TPE. A bound only acts once there are more bad trials than it, so the runs are
  long; at 2,000 trials a bound of 100 keeps 5% of them, as the default does at 20,000.

    python -m benchmarks.scale_tpe --time 250 1000 5000 20000     # prints JSON
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

SIZES = (250, 1000, 5000, 20_000)
MEASURED, WARMUP = 30, 2
QUALITY_PROBLEMS = ("branin", "hartmann6", "rosenbrock10", "ackley5", "mixed8")
QUALITY_TRIALS = 2000
CHECKPOINTS = (500, 1000, 2000)
QUALITY_VARIANTS: dict[str, int | None] = {"unbounded": None, "default (1000)": 1000,
                                           "bound 250": 250, "bound 100": 100}


# ---------------------------------------------------------------------- timing (worker)
def _bounded_supported() -> bool:
    from tunecraft.samplers import TPESampler

    return "max_observations" in inspect.signature(TPESampler).parameters


def _timed_sampler(**kwargs: Any) -> Any:
    """A TPESampler that adds the CPU seconds spent in ``joint_space`` and ``sample`` to
    ``spent``."""
    from tunecraft.samplers import TPESampler

    class Timed(TPESampler):
        spent = 0.0

        def joint_space(self, history: Any) -> Any:
            t0 = time.process_time()
            try:
                return super().joint_space(history)
            finally:
                self.spent += time.process_time() - t0

        def sample_joint(self, space: Any, history: Any, rng: Any, number: int
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
            t0 = time.process_time()
            try:
                return super().sample_joint(space, history, rng, number)
            finally:
                self.spent += time.process_time() - t0

    return Timed(seed=0, **kwargs)


def _prefill(storage: Any, study: str, n: int, rng: np.random.Generator) -> None:
    """Add random ``mixed8`` trials until the study holds ``n``."""
    from benchmarks.problems import get_problem
    from tunecraft.record import TrialState
    from tunecraft.storage.events import Event, EventKind

    problem = get_problem("mixed8")
    while sum(storage.state_counts(study).values()) < n:
        number = storage.create_trial(study)
        params = {k: d.from_unit(rng.random()) for k, d in problem.space.items()}
        events = [Event(number, EventKind.PARAMS, {k: {"d": problem.space[k].to_json(), "v": v}})
                  for k, v in params.items()]
        storage.finish(study, number, TrialState.COMPLETE, [problem.evaluate(params)],
                       events=events)


def time_worker(sizes: Sequence[int]) -> dict[str, dict[str, dict[str, float]]]:
    """variant -> size -> {"trial_ms", "wall_ms", "sampler_ms"} (CPU, wall, sampler's CPU),
    for the tunecraft this process imports."""
    import tunecraft as tc
    from benchmarks.adapters import suggest_all
    from benchmarks.problems import get_problem
    from tunecraft.storage import InMemoryStorage

    problem = get_problem("mixed8")
    variants: dict[str, dict[str, Any]] = {"default": {}}
    if _bounded_supported():
        variants["unbounded"] = {"max_observations": None}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for variant, kwargs in variants.items():
        storage = InMemoryStorage()
        storage.create_study("s", (tc.StudyDirection.MINIMIZE,))
        rng = np.random.default_rng(0)
        for size in sorted(sizes):
            _prefill(storage, "s", size, rng)
            sampler = _timed_sampler(**kwargs)
            study = tc.load_study(study_name="s", storage=storage, sampler=sampler,
                                  pruner=tc.pruners.NopPruner())
            cpu_s, wall_s, sampler_s = [], [], []
            for i in range(WARMUP + MEASURED):
                sampler.spent = 0.0
                t0, c0 = time.perf_counter(), time.process_time()
                trial = study.ask()
                study.tell(trial, problem.evaluate(suggest_all(trial, problem.space)))
                if i >= WARMUP:
                    cpu_s.append(time.process_time() - c0)
                    wall_s.append(time.perf_counter() - t0)
                    sampler_s.append(sampler.spent)
            out.setdefault(variant, {})[str(size)] = {
                "trial_ms": 1000 * statistics.median(cpu_s),
                "wall_ms": 1000 * statistics.median(wall_s),
                "sampler_ms": 1000 * statistics.median(sampler_s)}
            print(variant, size, out[variant][str(size)], file=sys.stderr, flush=True)
    return out


def time_in_process(env: dict[str, str], cwd: str, sizes: Sequence[int]
                    ) -> dict[str, dict[str, dict[str, float]]]:
    """Run :func:`time_worker` in a fresh interpreter with ``env`` and ``cwd`` (they pick the
    tunecraft tree)."""
    cmd = [sys.executable, "-m", "benchmarks.scale_tpe", "--time", *map(str, sizes)]
    done = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, check=True,
                          text=True)
    result: dict[str, dict[str, dict[str, float]]] = json.loads(done.stdout)
    return result


def median_of_runs(runs: Sequence[dict[str, dict[str, dict[str, float]]]]
                   ) -> dict[str, dict[str, dict[str, float]]]:
    """Each (variant, size, measure) of several :func:`time_worker` results: their median
    (a timing process as a whole is slower or faster with what else runs on the machine)."""
    first = runs[0]
    return {v: {size: {m: statistics.median(r[v][size][m] for r in runs) for m in cells}
                for size, cells in by_size.items()} for v, by_size in first.items()}


def render_timing(raw: dict[str, dict[str, dict[str, dict[str, float]]]], trees: Sequence[str]
                  ) -> list[str]:
    """Markdown: ms per trial by history size, one row per tree and variant."""
    sizes = sorted({int(s) for tree in raw.values() for v in tree.values() for s in v})
    lines = ["## TPE: milliseconds per trial against the history's size", "",
             f"CPU milliseconds of ask + 8 suggests + tell on an in-memory study of N random "
             f"`mixed8` trials, median of {MEASURED} trials (then the median over the timing "
             "processes); in brackets the sampler's share (`joint_space` + `sample`). Growth: "
             "the time at the largest size over the time at the smallest.", "",
             "| TPE | " + " | ".join(f"N = {s:,}" for s in sizes) + " | growth |",
             "|---|" + "---|" * (len(sizes) + 1)]
    for tree in trees:
        for variant, by_size in raw[tree].items():
            cells = [f"{by_size[str(s)]['trial_ms']:.1f} ({by_size[str(s)]['sampler_ms']:.1f})"
                     for s in sizes]
            growth = by_size[str(sizes[-1])]["trial_ms"] / by_size[str(sizes[0])]["trial_ms"]
            lines.append(f"| {tree}, {variant} | " + " | ".join(cells) + f" | x{growth:.1f} |")
    return lines


# ---------------------------------------------------------------------- quality
def _quality_run(task: tuple[str, str, int]) -> tuple[str, str, int, list[float]]:
    from benchmarks.adapters import _run_tunecraft
    from benchmarks.problems import get_problem
    from tunecraft.samplers import TPESampler

    problem_name, variant, seed = task
    problem = get_problem(problem_name)
    sampler = TPESampler(seed=seed, max_observations=QUALITY_VARIANTS[variant])
    run = _run_tunecraft(sampler, problem, QUALITY_TRIALS)
    regret = run.best_so_far() - (problem.optimum or 0.0)
    return problem_name, variant, seed, [float(regret[k - 1]) for k in CHECKPOINTS]


def quality(n_seeds: int, jobs: int = 1) -> dict[str, Any]:
    """problem -> variant -> per-seed regrets at each checkpoint."""
    tasks = [(p, v, s) for p in QUALITY_PROBLEMS for s in range(n_seeds)
             for v in QUALITY_VARIANTS]
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        for i, (p, v, s, regrets) in enumerate(pool.map(_quality_run, tasks), 1):
            out.setdefault(p, {}).setdefault(v, {})[str(s)] = regrets
            print(f"quality {i}/{len(tasks)} {p} {v} seed {s}: {regrets} "
                  f"({time.perf_counter() - t0:.0f}s)", file=sys.stderr, flush=True)
    return out


def _wilcoxon(a: Sequence[float], b: Sequence[float]) -> str:
    from scipy.stats import wilcoxon

    if len(a) < 2 or all(x == y for x, y in zip(a, b, strict=True)):
        return "-"
    return f"{float(wilcoxon(a, b, alternative='two-sided').pvalue):.2f}"


def render_quality(raw: dict[str, Any]) -> list[str]:
    """Markdown: median regret per checkpoint and variant, ratio to unbounded, paired p."""
    ref = "unbounded"
    last = len(CHECKPOINTS) - 1
    lines = ["## TPE quality: bounded against unbounded", "",
             f"Median best regret over seeds (the same seeds for every variant) after "
             f"{', '.join(f'{c:,}' for c in CHECKPOINTS)} trials; in brackets the ratio to "
             f"the unbounded TPE's median (below 1: better). Wins: seeds where the variant's "
             f"final regret is lower / higher than the unbounded one's; p: two-sided Wilcoxon "
             f"signed-rank test of the final regrets paired by seed.", "",
             "| problem | TPE | " + " | ".join(f"{c:,} trials" for c in CHECKPOINTS)
             + " | wins / losses | p |", "|---|---|" + "---|" * (len(CHECKPOINTS) + 2)]
    for problem, by_variant in raw.items():
        seeds = sorted(by_variant[ref], key=int)
        base = [statistics.median(by_variant[ref][s][k] for s in seeds)
                for k in range(len(CHECKPOINTS))]
        for variant, runs in by_variant.items():
            cells = []
            for k in range(len(CHECKPOINTS)):
                med = statistics.median(runs[s][k] for s in seeds)
                ratio = med / base[k] if base[k] > 0 else (1.0 if med == 0 else float("inf"))
                cells.append(f"{med:.3g}" + ("" if variant == ref else f" ({ratio:.2f})"))
            a = [runs[s][last] for s in seeds]
            b = [by_variant[ref][s][last] for s in seeds]
            wins = sum(x < y for x, y in zip(a, b, strict=True))
            losses = sum(x > y for x, y in zip(a, b, strict=True))
            tail = ("- | - |" if variant == ref
                    else f"{wins} / {losses} | {_wilcoxon(a, b)} |")
            lines.append(f"| {problem} | {variant} | " + " | ".join(cells) + f" | {tail}")
    return [*lines, "", *_pooled(raw)]


def _pooled(raw: dict[str, Any]) -> list[str]:
    """Markdown: each bounded variant against the unbounded TPE over every (problem, seed)
    pair: geometric mean of the regret ratios at each checkpoint, and at the last one the
    wins / losses and the Wilcoxon p-value of the log-ratios."""
    ref = "unbounded"
    variants = [v for v in next(iter(raw.values())) if v != ref]
    lines = ["All problems pooled (every problem and seed a pair): geometric mean of the "
             "ratio of regrets to the unbounded TPE's (pairs where either is 0 left out).", "",
             "| TPE | " + " | ".join(f"{c:,} trials" for c in CHECKPOINTS)
             + " | wins / losses | p |", "|---|" + "---|" * (len(CHECKPOINTS) + 2)]
    for variant in variants:
        cells, logs = [], []
        for k in range(len(CHECKPOINTS)):
            logs = [math.log(runs[variant][s][k] / runs[ref][s][k]) for runs in raw.values()
                    for s in runs[ref] if runs[variant][s][k] > 0 and runs[ref][s][k] > 0]
            cells.append(f"{math.exp(statistics.fmean(logs)):.2f}" if logs else "-")
        ties = [x for x in logs if x != 0]
        p = _wilcoxon(ties, [0.0] * len(ties)) if ties else "-"
        lines.append(f"| {variant} | " + " | ".join(cells)
                     + f" | {sum(x < 0 for x in ties)} / {sum(x > 0 for x in ties)} | {p} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--time", type=int, nargs="+", required=True, metavar="N")
    args = p.parse_args(argv)
    print(json.dumps(time_worker(args.time)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
