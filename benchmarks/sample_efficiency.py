"""Sample efficiency: median best-so-far loss (or regret) after 25, 50 and 100 trials.

Every optimiser runs every problem with the same list of seeds. For each (problem, optimiser)
the median over seeds of the best loss found after k trials is reported, with its ratio to the
reference optimiser (Optuna's multivariate TPE): below 1 is better than the reference.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.adapters import REFERENCE, run_adapter
from benchmarks.problems import get_problem


@dataclass(frozen=True)
class Task:
    """One run: an optimiser on a problem with a seed."""

    problem: str
    adapter: str
    seed: int
    n_trials: int


@dataclass(frozen=True)
class Outcome:
    """What a run found: the best-so-far curve (regret where the optimum is known)."""

    task: Task
    best: tuple[float, ...]
    seconds: float
    best_params: dict[str, object]


def run_task(task: Task) -> Outcome:
    """Run one task (top-level so that a process pool can pickle it)."""
    problem = get_problem(task.problem)
    started = time.perf_counter()
    run = run_adapter(task.adapter, problem, task.seed, task.n_trials)
    seconds = time.perf_counter() - started
    best = run.best_so_far()
    if problem.optimum is not None:
        best = best - problem.optimum
    finite = np.where(np.isnan(run.values), np.inf, run.values)
    best_params = run.params[int(np.argmin(finite))] if len(finite) else {}
    return Outcome(task, tuple(float(b) for b in best), seconds, best_params)


def load_outcomes(path: Path) -> list[Outcome]:
    """The sample-efficiency runs stored in a raw JSON file written by ``run_all``."""
    data = json.loads(path.read_text())
    return [Outcome(Task(**o["task"]), tuple(o["best"]), o["seconds"], o["best_params"])
            for o in data.get("efficiency", [])]


def make_tasks(problems: Sequence[str], adapters: Sequence[str], seeds_of: dict[str, list[int]],
               n_trials: int) -> list[Task]:
    """All (problem, seed, adapter) runs, seed-major so that partial results stay balanced."""
    return [Task(p, a, s, n_trials) for p in problems for s in seeds_of[p] for a in adapters]


def run_tasks(tasks: Sequence[Task], jobs: int = 1, log: bool = True) -> list[Outcome]:
    """Run ``tasks`` in ``jobs`` processes (1: in this process), logging progress to stderr."""
    started = time.perf_counter()
    outcomes: list[Outcome] = []

    def note(out: Outcome) -> None:
        outcomes.append(out)
        if log:
            t = out.task
            print(f"  [{len(outcomes)}/{len(tasks)} {time.perf_counter() - started:7.1f}s] "
                  f"{t.problem} {t.adapter} seed={t.seed}: best {out.best[-1]:.5g} "
                  f"({out.seconds:.1f}s)", file=sys.stderr, flush=True)

    if jobs <= 1:
        for task in tasks:
            note(run_task(task))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for out in pool.map(run_task, tasks):
                note(out)
    return outcomes


# ---------------------------------------------------------------------------------- summary
@dataclass(frozen=True)
class Cell:
    """Median (and quartiles) over seeds of the best-so-far after ``k`` trials."""

    median: float
    q25: float
    q75: float
    n_seeds: int
    values: tuple[float, ...] = ()


def summarize(outcomes: Iterable[Outcome], checkpoints: Sequence[int]
              ) -> dict[str, dict[str, dict[int, Cell]]]:
    """``{problem: {adapter: {k: Cell}}}`` over the seeds of each (problem, adapter)."""
    curves: dict[str, dict[str, list[tuple[float, ...]]]] = {}
    for out in outcomes:
        curves.setdefault(out.task.problem, {}).setdefault(out.task.adapter, []).append(out.best)
    table: dict[str, dict[str, dict[int, Cell]]] = {}
    for problem, by_adapter in curves.items():
        table[problem] = {}
        for adapter, runs in by_adapter.items():
            cells: dict[int, Cell] = {}
            for k in checkpoints:
                at_k = np.array([r[min(k, len(r)) - 1] for r in runs])
                q25, med, q75 = np.percentile(at_k, [25, 50, 75])
                cells[k] = Cell(float(med), float(q25), float(q75), len(runs),
                                tuple(float(v) for v in at_k))
            table[problem][adapter] = cells
    return table


def ratio(value: float, reference: float) -> float:
    """``value / reference``, with 0/0 = 1 and x/0 = inf (both are losses >= 0 or both < 0)."""
    if reference == 0.0:
        return 1.0 if value == 0.0 else float("inf")
    return value / reference


@dataclass(frozen=True)
class Verdict:
    """How the candidate compares with the reference at the last checkpoint, per problem."""

    wins: tuple[str, ...]
    losses: tuple[tuple[str, float], ...]  # (problem, ratio of medians)
    fraction: float


def compare(summary: dict[str, dict[str, dict[int, Cell]]], k: int,
            candidate: str = "tunecraft-tpe", reference: str = REFERENCE) -> Verdict | None:
    """Problems where ``candidate``'s median after ``k`` trials is no worse than the reference's.

    Returns None when either optimiser is missing from the summary.
    """
    wins: list[str] = []
    losses: list[tuple[str, float]] = []
    for problem, by_adapter in summary.items():
        if candidate not in by_adapter or reference not in by_adapter:
            continue
        c, r = by_adapter[candidate][k].median, by_adapter[reference][k].median
        if c <= r:
            wins.append(problem)
        else:
            losses.append((problem, ratio(c, r)))
    total = len(wins) + len(losses)
    if total == 0:
        return None
    return Verdict(tuple(wins), tuple(losses), len(wins) / total)


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    if x == 0.0:
        return "0"
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def _p_value(a: Sequence[float], b: Sequence[float]) -> str:
    """Two-sided Mann-Whitney U p-value of two samples of results ("-" without SciPy)."""
    try:
        from scipy.stats import mannwhitneyu
    except ImportError:
        return "-"
    if len(a) < 2 or len(b) < 2 or len(set(a) | set(b)) < 2:
        return "-"
    return f"{float(mannwhitneyu(a, b, alternative='two-sided').pvalue):.2f}"


def markdown(summary: dict[str, dict[str, dict[int, Cell]]], checkpoints: Sequence[int],
             adapters: Sequence[str], descriptions: dict[str, str],
             reference: str = REFERENCE) -> str:
    """One markdown table per problem: medians, their ratio to the reference, quartiles."""
    lines: list[str] = []
    last = checkpoints[-1]
    for problem, by_adapter in summary.items():
        seeds = max(cells[last].n_seeds for cells in by_adapter.values())
        lines += [f"### {problem}", "", f"{descriptions.get(problem, '')}; {seeds} seeds. "
                  f"Median best-so-far (ratio to {reference}); lower is better. p: two-sided "
                  f"Mann-Whitney U test of the final results against {reference}'s (small: "
                  "a real difference; large: within the spread across seeds).", ""]
        head = ["optimiser"] + [f"after {k}" for k in checkpoints] + [
            f"q25-q75 after {last}", f"p vs {reference} after {last}"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        ref = by_adapter.get(reference)
        for adapter in adapters:
            if adapter not in by_adapter:
                continue
            cells = by_adapter[adapter]
            row = [adapter]
            for k in checkpoints:
                text = _fmt(cells[k].median)
                if ref is not None and adapter != reference:
                    text += f" ({ratio(cells[k].median, ref[k].median):.2f})"
                row.append(text)
            row.append(f"{_fmt(cells[last].q25)} - {_fmt(cells[last].q75)}")
            row.append("" if ref is None or adapter == reference else
                       _p_value(cells[last].values, ref[last].values))
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


def summary_markdown(summary: dict[str, dict[str, dict[int, Cell]]], k: int,
                     adapters: Sequence[str], reference: str = REFERENCE) -> str:
    """One table, problems by optimisers: the median after ``k`` trials / the reference's."""
    shown = [a for a in adapters if a != reference]
    lines = ["| problem | " + " | ".join(shown) + " |", "|---|" + "---|" * len(shown)]
    for problem, by_adapter in summary.items():
        ref = by_adapter.get(reference)
        row = [problem]
        for adapter in shown:
            if adapter in by_adapter and ref is not None:
                row.append(f"{ratio(by_adapter[adapter][k].median, ref[k].median):.2f}")
            else:
                row.append("-")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
