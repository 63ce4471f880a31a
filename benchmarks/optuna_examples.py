"""Optuna's official examples with ``import tunecraft as optuna``: ``python -m
benchmarks.optuna_examples --examples DIR``.

The question of issue #17: does every example of the optuna/optuna-examples repository that
needs only scikit-learn, PyTorch or NumPy run with the import line changed and nothing else?
``DIR`` is a checkout of that repository (not vendored here; ``git clone`` it, or export the
files named in ``EXAMPLES`` from a mirror). Each script is copied with its import lines
rewritten (``import optuna`` -> ``import tunecraft as optuna``, ``from optuna.x import y`` ->
``from tunecraft.x import y``) and run in a fresh temporary folder. MNIST-style datasets,
which torchvision downloads, come from ``benchmarks/optuna_examples_data/torchvision_digits``
(scikit-learn's bundled digits), installed as ``torchvision``; tunecraft's per-trial log
lines are switched on, as Optuna's are by default.

A script passes when it exits 0. Scripts that tune for minutes (``timeout=600``) are cut at
``--wall`` seconds; one still running without error then, having finished trials, is
reported as ``ran (cut)`` with its trial count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

EXAMPLES = (
    "basic/quadratic.py",
    "basic/quadratic_constraint.py",
    "basic/quadratic_multi_objective.py",
    "basic/pruning.py",
    "multi_objective/quadratic_simple.py",
    "pruners/wilcoxon_pruner_tsp_sa.py",
    "samplers/simulated_annealing_sampler.py",
    "samplers/warm_starting_cma.py",
    "sklearn/sklearn_simple.py",
    "sklearn/sklearn_additional_args.py",
    "pytorch/pytorch_simple.py",
    "pytorch/pytorch_checkpoint.py",
)
"""The examples that need only scikit-learn, PyTorch or NumPy (besides Optuna)."""

EXCLUDED = {
    "basic/artifact_store.py": "needs matplotlib and pandas",
    "multi_objective/pytorch_simple.py": "needs fvcore",
    "multi_objective/botorch_simple.py": "needs BoTorch",
    "sklearn/sklearn_optuna_search_cv_simple.py": "needs optuna-integration's OptunaSearchCV",
    "visualization/plot_study.py": "needs plotly",
    "visualization/plot_pareto_front.py": "needs plotly",
    "pytorch/*_distributed_*, *_ddp*, lightning, ignite, catalyst, skorch":
        "need torch.distributed launchers or other libraries",
}
"""Examples of those folders left out, and why."""

_IMPORT = re.compile(r"^(\s*)import optuna\s*$", re.MULTILINE)
_FROM = re.compile(r"^(\s*)from optuna(\.[\w.]+)? import ", re.MULTILINE)
_RUNNER = """
import runpy, sys
sys.path.insert(0, {root!r})
from benchmarks.optuna_examples_data.torchvision_digits import install
install()
import tunecraft.logging  # Optuna logs each trial by default; tunecraft only when asked
tunecraft.logging.set_verbosity(tunecraft.logging.INFO)
sys.argv = [{script!r}]
runpy.run_path({script!r}, run_name="__main__")
"""


def rewrite(source: str) -> str:
    """The example with its import lines pointing at tunecraft (nothing else changed)."""
    source = _IMPORT.sub(r"\1import tunecraft as optuna", source)
    return _FROM.sub(lambda m: f"{m.group(1)}from tunecraft{m.group(2) or ''} import ", source)


def run_one(path: Path, wall: float) -> tuple[str, str, float]:
    """(outcome, detail, seconds) of one example run in a fresh folder."""
    with tempfile.TemporaryDirectory(prefix="optuna-example-") as tmp:
        script = Path(tmp) / path.name
        script.write_text(rewrite(path.read_text()))
        runner = _RUNNER.format(root=str(HERE.parent), script=str(script))
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "MPLBACKEND": "Agg"}
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-c", runner], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=wall)
        except subprocess.TimeoutExpired as exc:
            out = (exc.stderr or b"").decode() if isinstance(exc.stderr, bytes) else (
                exc.stderr or "")
            n = len(re.findall(r"Trial \d+ (finished|pruned)", out))
            outcome = "ran (cut)" if n else "failed (no trial in time)"
            return outcome, f"{n} trials finished or pruned in {wall:.0f} s", wall
        seconds = time.perf_counter() - t0
    if proc.returncode == 0:
        last = [x for x in proc.stdout.strip().splitlines() if x.strip()][-1:] or [""]
        return "ran", f"last line: {last[0].strip()[:120]}", seconds
    lines = [x for x in proc.stderr.strip().splitlines() if x.strip()]
    return "failed", (lines[-1] if lines else f"exit {proc.returncode}")[:200], seconds


def main(argv: list[str] | None = None) -> int:
    """Run every example in ``EXAMPLES`` and write the markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=Path, required=True,
                    help="a checkout of github.com/optuna/optuna-examples")
    ap.add_argument("--commit", default="", help="the commit of that checkout, for the report")
    ap.add_argument("--wall", type=float, default=180.0, help="seconds per example")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "optuna_examples.md")
    ap.add_argument("--only", nargs="*", help="a subset of EXAMPLES")
    args = ap.parse_args(argv)
    rows = ["| example | outcome | detail | seconds |", "|---|---|---|---|"]
    ran = 0
    chosen = args.only or list(EXAMPLES)
    for rel in chosen:
        outcome, detail, seconds = run_one(args.examples / rel, args.wall)
        ran += outcome.startswith("ran")
        detail = detail.replace("|", "\\|")
        rows.append(f"| {rel} | {outcome} | {detail} | {seconds:.0f} |")
        print(rows[-1], flush=True)
    head = [f"Command: `.venv/bin/python -m benchmarks.optuna_examples --examples DIR "
            f"--wall {args.wall:.0f}` (optuna-examples {args.commit or 'checkout'}); "
            f"{os.cpu_count()} cores, {dt.date.today()}.", "",
            f"{ran} of {len(chosen)} examples ran with only the import line changed.", ""]
    excluded = ["", "Left out (not scikit-learn/PyTorch/NumPy only):", ""] + [
        f"- `{k}`: {v}" for k, v in EXCLUDED.items()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(head + rows + excluded) + "\n")
    return 0 if ran == len(chosen) else 1


if __name__ == "__main__":
    raise SystemExit(main())
