"""Smoke test of the benchmark harness: every adapter and every problem runs a few trials.

The benchmarks themselves run by hand (``python -m benchmarks.run_all``); this keeps their
code working: each adapter on the mixed 8-D space (every kind of dimension), each problem
with one sampler, the known optima of the test functions, and a tiny report end to end.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks import overhead, run_all, sample_efficiency
from benchmarks.adapters import ADAPTERS, Run, run_adapter
from benchmarks.problems import PROBLEM_NAMES, get_problem

N_TRIALS = 3


def _check_run(run: Run, problem_name: str) -> None:
    problem = get_problem(problem_name)
    assert run.values.shape == (N_TRIALS,)
    assert np.isfinite(run.values).all()
    for params in run.params:
        assert set(params) == set(problem.space)
        for name, dim in problem.space.items():
            assert dim.contains(params[name]), (name, params[name], dim)
    assert (run.eval_end >= run.eval_start).all()
    assert (run.overhead() >= 0).all()
    best = run.best_so_far()
    assert (np.diff(best) <= 0).all() and best[-1] == run.values.min()
    if problem.optimum is not None:
        assert run.values.min() >= problem.optimum - 1e-9


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_adapter_runs_mixed_space(adapter: str) -> None:
    run = run_adapter(adapter, get_problem("mixed8"), 0, N_TRIALS)
    _check_run(run, "mixed8")


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_adapter_is_reproducible(adapter: str) -> None:
    first = run_adapter(adapter, get_problem("branin"), 7, N_TRIALS)
    again = run_adapter(adapter, get_problem("branin"), 7, N_TRIALS)
    other = run_adapter(adapter, get_problem("branin"), 8, N_TRIALS)
    assert first.params == again.params
    assert first.params != other.params


@pytest.mark.parametrize("problem", PROBLEM_NAMES)
def test_problem_runs(problem: str) -> None:
    _check_run(run_adapter("tunecraft-random", get_problem(problem), 0, N_TRIALS), problem)


@pytest.mark.parametrize(("problem", "argmin"), [
    ("branin", {"x0": math.pi, "x1": 2.275}),
    ("branin", {"x0": -math.pi, "x1": 12.275}),
    ("hartmann6", {f"x{i}": v for i, v in enumerate(
        (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573))}),
    ("rosenbrock10", {f"x{i}": 1.0 for i in range(10)}),
    ("ackley5", {f"x{i}": 0.0 for i in range(5)}),
    ("mixed8", {"x0": 1.3, "x1": -2.1, "lr": 1e-3, "dropout": 0.0, "width": 128, "depth": 3,
                "act": "relu", "optimizer": "adam"}),
])
def test_synthetic_optimum(problem: str, argmin: dict[str, object]) -> None:
    p = get_problem(problem)
    assert p.optimum is not None
    assert p.evaluate(argmin) == pytest.approx(p.optimum, abs=1e-5)
    # a nearby point is worse: the optimum is really the minimum there
    moved = {k: (v + 0.05 if isinstance(v, float) and k != "lr" else v) for k, v in argmin.items()}
    assert p.evaluate(moved) > p.optimum + 1e-6


@pytest.mark.parametrize("adapter", ["tunecraft-random", "optuna-random", "hyperopt-tpe"])
def test_a_raising_problem_is_reported(adapter: str) -> None:
    def broken(params: object) -> float:
        raise KeyError("no such parameter")

    problem = dataclasses.replace(get_problem("branin"), name="broken", evaluate=broken)
    with pytest.raises(RuntimeError, match="'broken' raised during an evaluation"):
        run_adapter(adapter, problem, 0, N_TRIALS)


def test_summary_and_verdict() -> None:
    tasks = sample_efficiency.make_tasks(
        ["branin"], ["tunecraft-random", "optuna-tpe"], {"branin": [0, 1]}, 4)
    outcomes = sample_efficiency.run_tasks(tasks, log=False)
    summary = sample_efficiency.summarize(outcomes, [2, 4])
    cells = summary["branin"]["tunecraft-random"]
    assert cells[2].n_seeds == 2 and cells[4].median <= cells[2].median
    verdict = sample_efficiency.compare(summary, 4, candidate="tunecraft-random")
    assert verdict is not None and len(verdict.wins) + len(verdict.losses) == 1
    text = sample_efficiency.markdown(summary, [2, 4], ["tunecraft-random", "optuna-tpe"], {})
    assert "| tunecraft-random |" in text and "### branin" in text


def test_ratio_edge_cases() -> None:
    assert sample_efficiency.ratio(0.0, 0.0) == 1.0
    assert sample_efficiency.ratio(1.0, 0.0) == math.inf
    assert sample_efficiency.ratio(1.0, 4.0) == 0.25


def test_overhead_measure() -> None:
    results = overhead.measure(["tunecraft-random", "optuna-tpe"], n_trials=6, reps=1,
                               window=3, log=False)
    assert all(r.first > 0 and r.last > 0 for r in results.values())
    assert "| tunecraft-random |" in overhead.markdown(results, 6, 3)
    with pytest.raises(ValueError, match="window"):
        overhead.measure(["tunecraft-random"], n_trials=2, reps=1, window=3, log=False)


def test_run_all_writes_report(tmp_path: Path) -> None:
    out, raw = tmp_path / "RESULTS.md", tmp_path / "raw.json"
    code = run_all.main(["--problems", "branin", "--adapters", "tunecraft-tpe", "optuna-tpe",
                         "--trials", "3", "--seeds-synthetic", "1", "--overhead-trials", "4",
                         "--overhead-reps", "1", "--out", str(out), "--raw", str(raw)])
    assert code == 0
    text = out.read_text()
    assert "## Targets" in text and "## Sample efficiency" in text
    assert "## Sampler overhead" in text and "| tunecraft-tpe |" in text
    assert raw.exists()

    # a second report reuses the Optuna runs of the first and reruns tunecraft's
    again = tmp_path / "AGAIN.md"
    code = run_all.main(["--problems", "branin", "--adapters", "tunecraft-tpe", "optuna-tpe",
                         "--trials", "3", "--seeds-synthetic", "1", "--skip-overhead",
                         "--reuse", str(raw), "--out", str(again), "--raw",
                         str(tmp_path / "raw2.json")])
    assert code == 0
    assert "1 of 2 runs (of optuna-tpe) were reused" in again.read_text()
    first_table = text.split("### branin")[1].split("## Sampler overhead")[0].strip()
    assert first_table in again.read_text()
