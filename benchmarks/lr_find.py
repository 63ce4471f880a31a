"""LR finders, by the accuracy their suggestion trains to: ``python -m benchmarks.lr_find``.

The question of issue #14: does the learning rate an LR range test suggests train well, in
every setting? For each setting of :mod:`benchmarks.lr_find_tasks` (MLPs, CNNs, a GRU; SGD
with and without momentum, Adam, AdamW; digits, MNIST-1D and synthetic data) and each seed:

1. one range test per finder, from the seeded initial model, at the training batch size:
   tunecraft's ``lr_range_test`` with its defaults and ``result.suggestion()``;
   torch-lr-finder's ``range_test`` (its defaults, ``end_lr=10``, ``num_iter=100``, start
   1e-7 as in its README) with the pick of its ``plot(suggest_lr=True)``; Lightning's
   ``Tuner.lr_find`` (its defaults) with ``.suggestion()``;
2. every rule of tunecraft's range test, computed from one full sweep (1e-7 to 10, 100
   iterations, no divergence stop) with the old smoothing and stop (fastai's debiased EMA,
   beta 0.98, stop at 4x its best) and the new ones (zero-lag smoothing, stop on the raw
   loss): the stop is simulated by cutting the sweep where it would have fired, which is
   exact because a stop does not change the iterations before it; and candidate defaults
   on the new curve (``cand-``): the lowest loss's LR divided by 1 or 2, or by a divisor
   that depends on the optimizer's momentum (:func:`momentum_divisor`);
3. a training run at every suggested rate and at every rate of a grid (1e-5 to 10, half a
   decade apart): the setting's epochs with a cosine decay per step, then the validation
   accuracy of the final model.

A rate "trains well" when its accuracy is within 0.03 of the grid's best (the target of the
issue, for the median over seeds in every setting); a run "at chance" is within 0.05 of the
majority-class rate. Results replace ``benchmarks/results/issue-14.md`` (``--out``), or are
added to it as a dated section (``--append``); the raw curves and accuracies go to
``benchmarks/out/lr_find-<time>.json``. Every training run is cached by (setting, seed, rate)
in ``benchmarks/out/lr_find-cache.json``, written after each (setting, seed), so that a rerun
only trains new rates (``--no-cache`` to retrain everything). Why the default misses plain
SGD on MNIST-1D is measured by :mod:`benchmarks.lr_find_why`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import logging
import math
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.lr_find_tasks import SETTINGS, Setting, make_optimizer

HERE = Path(__file__).resolve().parent
GRID = tuple(float(10.0 ** (k / 2)) for k in range(-10, 3))  # 1e-5 .. 10
TARGET_GAP = 0.03
CHANCE_MARGIN = 0.05
SWEEP = {"start_lr": 1e-7, "end_lr": 10.0, "num_iter": 100}


# --------------------------------------------------------------------------- training
def _loader(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> Any:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(torch.as_tensor(x), torch.as_tensor(y))
    return DataLoader(ds, batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


def _model(setting: Setting, seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    return setting.model()


def train(setting: Setting, seed: int, lr: float) -> float:
    """Validation accuracy after the setting's epochs at peak rate ``lr`` (cosine per step)."""
    import torch

    (x, y), (xv, yv) = setting.data()
    model = _model(setting, seed)
    opt = make_optimizer(setting.optimizer, model.parameters(), lr)
    loader = _loader(x, y, setting.batch_size, seed)
    total = setting.epochs * len(loader)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, total) / total)))
    loss_fn = torch.nn.CrossEntropyLoss()
    torch.manual_seed(seed)
    for _ in range(setting.epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            if not torch.isfinite(loss):
                return _accuracy(model, xv, yv)
            loss.backward()
            opt.step()
            sched.step()
    return _accuracy(model, xv, yv)


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(x))
    pred = out.argmax(1).numpy()
    return float((pred == y).mean())


@contextlib.contextmanager
def _quiet() -> Any:
    """Silence the progress bars, prints and warnings of the other libraries' finders."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


# --------------------------------------------------------------------------- range tests
def sweep(setting: Setting, seed: int) -> tuple[list[float], list[float], float | None]:
    """tunecraft's full sweep (no divergence stop) and its default suggestion (its own run)."""
    from tunecraft.torch import lr_range_test

    (x, y), _ = setting.data()
    full = lr_range_test(_model(setting, seed), _ce(), _loader(x, y, setting.batch_size, seed),
                         _factory(setting), diverge_factor=None, **SWEEP)  # type: ignore[arg-type]
    default = lr_range_test(_model(setting, seed), _ce(),
                            _loader(x, y, setting.batch_size, seed), _factory(setting))
    try:
        pick: float | None = default.suggestion()
    except ValueError:
        pick = None
    return list(full.lrs), list(full.losses), pick


def _ce() -> Any:
    import torch

    return torch.nn.CrossEntropyLoss()


def _factory(setting: Setting) -> Callable[[Any], Any]:
    return lambda params: make_optimizer(setting.optimizer, params, 1e-7)


def torch_lr_finder(setting: Setting, seed: int) -> float | None:
    """torch-lr-finder 0.2's ``range_test`` and the pick of its ``plot(suggest_lr=True)``."""
    import importlib

    lrf = importlib.import_module("torch_lr_finder")
    (x, y), _ = setting.data()
    model = _model(setting, seed)
    opt = make_optimizer(setting.optimizer, model.parameters(), 1e-7)
    finder = lrf.LRFinder(model, opt, _ce(), device="cpu")
    with _quiet():
        finder.range_test(_loader(x, y, setting.batch_size, seed), end_lr=10, num_iter=100)
    lrs, losses = finder.history["lr"][10:-5], finder.history["loss"][10:-5]
    if len(losses) < 2:
        return None
    return float(lrs[int(np.argmin(np.gradient(np.asarray(losses))))])  # plot()'s pick


def lightning_lr_find(setting: Setting, seed: int) -> float | None:
    """Lightning's ``Tuner.lr_find`` with its defaults and ``.suggestion()``."""
    import importlib

    try:
        pl = importlib.import_module("lightning.pytorch")
    except ImportError:
        return None
    (x, y), _ = setting.data()
    net = _model(setting, seed)

    class Module(pl.LightningModule):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.net = net
            self.lr = 1e-3

        def training_step(self, batch: Any, _: int) -> Any:
            return _ce()(self.net(batch[0]), batch[1])

        def configure_optimizers(self) -> Any:
            return make_optimizer(setting.optimizer, self.parameters(), self.lr)

    with tempfile.TemporaryDirectory() as root, _quiet():
        for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
            logging.getLogger(name).setLevel(logging.ERROR)
        # max_epochs=-1: the sweep's 100 steps may span several passes over a small loader
        trainer = pl.Trainer(default_root_dir=root, accelerator="cpu", devices=1, logger=False,
                             enable_progress_bar=False, enable_checkpointing=False,
                             enable_model_summary=False, max_epochs=-1)
        tuner = importlib.import_module("lightning.pytorch.tuner").Tuner(trainer)
        found = tuner.lr_find(Module(), train_dataloaders=_loader(x, y, setting.batch_size,
                                                                  seed))
    lr = None if found is None else found.suggestion()
    return None if lr is None else float(lr)


# --------------------------------------------------------------------------- the rules
def rule_picks(lrs: Sequence[float], losses: Sequence[float], momentum: float | None = None
               ) -> dict[str, float]:
    """Every candidate rule's pick from one full sweep (see the module docstring);
    ``momentum`` is the optimizer's, for ``minimum/momentum``."""
    from tunecraft.torch import lr_rules

    out: dict[str, float] = {}
    x, raw = np.asarray(lrs), np.asarray(losses)
    old = lr_rules.smooth(raw[np.isfinite(raw)].tolist(), 0.98)
    stop = len(old)
    best = math.inf
    for i, v in enumerate(old):  # the old stop: the EMA above 4x its best
        best = min(best, v)
        if v > 4.0 * best:
            stop = i + 1
            break
    for rule in ("steepest", "valley", "minimum", "slide"):  # the previous release's rules
        try:
            out[f"old-{rule}"] = lr_rules.suggest(rule, x[:stop].tolist(), old[:stop].tolist())
        except ValueError:
            pass
    finite = raw[np.isfinite(raw)]
    fired = lr_rules.divergence_index(finite.tolist(), 4.0)
    n = len(finite) if fired is None else fired + 1
    curve = lr_rules.trend(finite[:n].tolist(), 0.5).tolist()
    for rule in lr_rules.RULES:
        try:
            out[f"new-{rule}"] = lr_rules.suggest(rule, x[:n].tolist(), curve,
                                                  skip_start=len(x) // 10, skip_end=2)
        except ValueError:
            pass
    # Candidate defaults measured against minimum/3 (see the module docstring)
    divisors = {"cand-minimum/1": 1.0, "cand-minimum/2": 2.0}
    if momentum is not None:
        divisors["cand-minimum/momentum"] = momentum_divisor(momentum)
    for label, divide in divisors.items():
        try:
            out[label] = lr_rules.minimum(x[:n].tolist(), curve, skip_start=len(x) // 10,
                                          skip_end=2, divide=divide)
        except ValueError:
            pass
    return out


def momentum_divisor(momentum: float) -> float:
    """The divisor of the ``minimum/momentum`` candidate: ``3 ** log10(1 / (1 - momentum))``,
    1 for plain SGD, 3 at momentum 0.9 (SGD's or Adam's ``beta1``), 1.37 at 0.5."""
    return float(3.0 ** math.log10(1.0 / (1.0 - momentum)))


def setting_momentum(setting: Setting) -> float | None:
    """The momentum of the setting's optimizer: Adam's ``beta1``, SGD's ``momentum`` (0 for
    plain SGD), None for an optimizer with neither."""
    import torch

    group = make_optimizer(setting.optimizer, [torch.zeros(1, requires_grad=True)],
                           1e-3).param_groups[0]
    value = group["betas"][0] if "betas" in group else group.get("momentum")
    return None if value is None else float(value)


# --------------------------------------------------------------------------- one job
def run_one(job: tuple[str, int, dict[str, float]]) -> dict[str, Any]:
    """Range tests, picks and training runs of one setting and seed."""
    import torch

    torch.set_num_threads(1)
    name, seed, cached = job
    setting = SETTINGS[name]
    started = time.perf_counter()
    lrs, losses, default = sweep(setting, seed)
    picks = rule_picks(lrs, losses, setting_momentum(setting))
    if default is not None:
        picks["tunecraft-default"] = default
    for label, finder in (("torch-lr-finder", torch_lr_finder),
                          ("lightning", lightning_lr_find)):
        found = finder(setting, seed)
        if found is not None:
            picks[label] = found
    acc = dict(cached)
    for lr in sorted({*GRID, *picks.values()}):
        key = repr(float(lr))
        if key not in acc:
            acc[key] = train(setting, seed, float(lr))
    (_, yt), (_, yv) = setting.data()
    majority = float(np.bincount(yv).max() / len(yv))
    return {"setting": name, "seed": seed, "lrs": lrs, "losses": losses, "picks": picks,
            "accuracy": acc, "majority": majority, "seconds": time.perf_counter() - started}


# --------------------------------------------------------------------------- the report
def _acc(run: dict[str, Any], lr: float) -> float:
    return float(run["accuracy"][repr(float(lr))])


def summarise(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per method and setting: median pick and accuracy, gaps to the grid's best, chance runs.

    The gap of a seed is the grid's best accuracy for that seed minus the accuracy at the
    method's pick; ``gap`` is the median over seeds, ``worst`` the largest. A method that gave
    no pick for a seed counts as a run at chance.
    """
    methods = sorted({m for r in runs for m in r["picks"]})
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for m in methods:
        out[m] = {}
        for name in SETTINGS:
            rows = [r for r in runs if r["setting"] == name]
            if not rows:
                continue
            gaps, accs, picks, chance = [], [], [], 0
            for r in rows:
                best = max(_acc(r, lr) for lr in GRID)
                if m not in r["picks"]:
                    chance += 1
                    gaps.append(best)
                    continue
                a = _acc(r, r["picks"][m])
                accs.append(a)
                picks.append(r["picks"][m])
                gaps.append(best - a)
                chance += a <= r["majority"] + CHANCE_MARGIN
            out[m][name] = {
                "gap": float(np.median(gaps)), "worst": float(max(gaps)),
                "acc": float(np.median(accs)) if accs else math.nan,
                "best": float(np.median([max(_acc(r, lr) for lr in GRID) for r in rows])),
                "lr": float(np.exp(np.median(np.log(picks)))) if picks else math.nan,
                "chance": chance, "seeds": len(rows)}
    return out


def _verdict(stats: dict[str, dict[str, Any]]) -> tuple[int, int, int, float]:
    """(settings within the target, settings, runs at chance, largest median gap)."""
    ok = sum(s["gap"] <= TARGET_GAP for s in stats.values())
    return ok, len(stats), sum(s["chance"] for s in stats.values()), max(
        s["gap"] for s in stats.values())


EXTERNAL = ("tunecraft-default", "new-minimum/3", "old-steepest", "old-valley", "old-minimum",
            "torch-lr-finder", "lightning")


def report(runs: Sequence[dict[str, Any]], command: str, minutes: float) -> tuple[
        list[str], bool]:
    """The markdown report and whether tunecraft's default met the target."""
    table = summarise(runs)
    seeds = sorted({r["seed"] for r in runs})
    settings = [n for n in SETTINGS if any(r["setting"] == n for r in runs)]
    default = table.get("tunecraft-default", {})
    ok, n, chance, worst = _verdict(default) if default else (0, 0, 0, math.nan)
    met = bool(default) and ok == n and chance == 0
    head = [
        "# LR finders: accuracy at the suggested learning rate (issue #14)", "",
        f"Written by `{command}` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC in "
        f"{minutes:.1f} min; load average {_load()}.", "",
        f"- Machine: {_machine()}.",
        f"- {len(settings)} settings x {len(seeds)} seeds ({', '.join(map(str, seeds))}); "
        f"grid: {len(GRID)} rates from 1e-5 to 10, half a decade apart. Training: the "
        "setting's epochs, cosine decay per step, accuracy of the final model on the "
        "validation split.", "",
        "## Target", "",
        f"- tunecraft's default suggestion within {TARGET_GAP} of the grid's best accuracy "
        "(median over seeds) in every setting, and no run at chance: "
        f"**{'MET' if met else 'NOT MET'}** ({ok}/{n} settings; {chance} runs at chance; "
        f"largest median gap {worst:.4f}).", "",
        "## Summary: median gap to the grid's best, per setting (lower is better)", "",
        "| method | " + " | ".join(settings) + " | settings within 0.03 | runs at chance |",
        "|---|" + "---|" * (len(settings) + 2)]
    order = [m for m in EXTERNAL if m in table] + sorted(m for m in table if m not in EXTERNAL)
    rows = []
    for m in order:
        stats = table[m]
        cells = [f"{stats[s]['gap']:.3f}" if s in stats else "-" for s in settings]
        k, total, c, _ = _verdict(stats)
        rows.append(f"| {m} | " + " | ".join(cells) + f" | {k}/{total} | {c} |")
    detail = []
    for s in settings:
        desc = SETTINGS[s].description
        best = next(iter(table.values()))[s]["best"]
        detail += ["", f"### {s}: {desc}", "",
                   f"Grid's best accuracy (median over seeds): {best:.4f}.", "",
                   "| method | median pick | median accuracy | median gap | worst seed gap | "
                   "at chance |", "|---|---|---|---|---|---|"]
        for m in order:
            st = table[m].get(s)
            if st is None:
                continue
            detail.append(f"| {m} | {st['lr']:.3g} | {st['acc']:.4f} | {st['gap']:.4f} | "
                          f"{st['worst']:.4f} | {st['chance']}/{st['seeds']} |")
        grid = [r for r in runs if r["setting"] == s]
        accs = [f"{lr:.0e}: " + ", ".join(f"{_acc(r, lr):.3f}" for r in grid) for lr in GRID]
        detail += ["", "Grid accuracies per seed: " + "; ".join(accs) + "."]
    notes = [
        "", "## Methods", "",
        "- `tunecraft-default`: `lr_range_test(model, loss, loader, optimizer)` with every "
        "default, then `result.suggestion()` (the rule the API, the command line and "
        "`lr_bounds_from_range_test` share).",
        "- `old-<rule>`: the rules of the previous release: fastai's debiased EMA (beta 0.98) "
        "and its stop (smoothed loss above 4x its best); `old-steepest` was the API's default, "
        "`old-valley` the command line's.",
        "- `new-<rule>`: every rule of this release on its zero-lag curve (`lr_rules.trend`: "
        "raw losses capped at 4x the lowest running median of 3, then a symmetric exponential "
        "kernel with beta 0.5), cut by its stop on the raw loss (running median of 5 above 4x "
        "its lowest), skipping the first 10 and last 2 points; `new-minimum/3` is the "
        "default's rule, computed from the full sweep (the `tunecraft-default` row runs the "
        "API itself).",
        "- `minimum/3`: LR of the lowest loss / 3; `steepest`: fastest fall per unit of log "
        "LR; `valley`: fastai's longest-decreasing run; `minimum`: LR of the lowest loss / 10; "
        "`slide`: fastai's interval slide.",
        "- `cand-minimum/1`, `cand-minimum/2`: the lowest loss's LR of the same curve divided "
        "by 1 or 2; `cand-minimum/momentum`: divided by `3 ** log10(1 / (1 - m))` with `m` "
        "the optimizer's momentum (SGD's `momentum`, Adam's `beta1`): 1 for plain SGD, 1.37 at "
        "0.5, 3 at 0.9. Candidates for the default, measured and not adopted.",
        "- `torch-lr-finder`: `LRFinder.range_test(end_lr=10, num_iter=100)` from 1e-7, and the "
        "steepest-gradient pick of its `plot(suggest_lr=True)` (skip 10 and 5).",
        "- `lightning`: `Tuner(trainer).lr_find(module)` with its defaults (1e-8 to 1, 100 "
        "steps, stop at 4x) and `.suggestion()`.",
        "- A run is at chance when its accuracy is within 0.05 of the majority class's share; "
        "a method without a pick for a seed counts as at chance with the full gap.", ""]
    return head + rows + detail + notes, met


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for dist in ("torch", "torch-lr-finder", "lightning", "mnist1d", "numpy"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} not installed")
    return (f"{cpu}, {os.cpu_count()} logical cores; {platform.platform()}; Python "
            f"{platform.python_version()}; " + ", ".join(versions))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--settings", nargs="+", choices=sorted(SETTINGS), default=list(SETTINGS))
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    p.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-14.md")
    p.add_argument("--cache", type=Path, default=HERE / "out" / "lr_find-cache.json")
    p.add_argument("--no-cache", action="store_true", help="retrain every rate")
    p.add_argument("--append", action="store_true",
                   help="append the report to --out as a dated section (headings one level "
                        "down) instead of replacing the file")
    args = p.parse_args(argv)
    start = time.perf_counter()
    cache: dict[str, dict[str, float]] = {}
    if not args.no_cache and args.cache.exists():
        cache = json.loads(args.cache.read_text())
    jobs = [(s, seed, cache.get(f"{s}/{seed}", {})) for s in args.settings
            for seed in range(args.seeds)]
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    runs = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for done in as_completed([pool.submit(run_one, job) for job in jobs]):
            r = done.result()
            runs.append(r)
            cache[f"{r['setting']}/{r['seed']}"] = r["accuracy"]
            args.cache.write_text(json.dumps(cache))  # after each job: a crash keeps the rest
    runs.sort(key=lambda r: (list(SETTINGS).index(r["setting"]), r["seed"]))
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    (args.cache.parent / f"lr_find-{stamp}.json").write_text(json.dumps(runs))
    command = "python -m benchmarks.lr_find " + " ".join(sys.argv[1:] if argv is None else argv)
    lines, met = report(runs, command.strip(), (time.perf_counter() - start) / 60)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.append and args.out.exists():
        section = [f"#{line}" if line.startswith("#") else line for line in lines]
        section[0] = f"## {dt.datetime.now(dt.timezone.utc):%Y-%m-%d}: " + lines[0].lstrip("# ")
        args.out.write_text(args.out.read_text().rstrip("\n") + "\n\n" + "\n".join(section))
    else:
        args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
