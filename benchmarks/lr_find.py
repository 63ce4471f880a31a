"""LR finders, by the accuracy their suggestion trains to: ``python -m benchmarks.lr_find``.

The question of issue #14: does the learning rate an LR range test suggests train well, in
every setting? For each setting of :mod:`benchmarks.lr_find_tasks` (MLPs, CNNs, a GRU; SGD
with and without momentum, Adam, AdamW; digits, MNIST-1D and synthetic data) and each seed:

1. one range test per finder, from the seeded initial model, at the training batch size:
   tunecraft's ``lr_range_test`` with its defaults and ``result.suggestion()`` (since the
   second round, the ``confirmed`` rule: the pick of its confirmation probe, 300 steps at each
   of ``m/3``, ``m/sqrt(3)`` and ``m``; also recorded: the same run's ``minimum/3``, what
   a probe of 100 or 200 steps would pick, and ``probe-decay100``, a probe with a decayed
   tail, ``confirm_lr(decay_steps=100)``);
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
only trains new rates (``--no-cache`` to retrain everything; ``--warm`` adds read-only caches
in the same format, read as each job starts). ``--only PREFIX ...`` trains only the methods
whose label starts with one of the prefixes (the grid always), and skips the other libraries'
finders unless named. Why ``minimum/3`` misses plain SGD on MNIST-1D is measured by
:mod:`benchmarks.lr_find_why`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import logging
import math
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.lr_find_report import GRID, report
from benchmarks.lr_find_tasks import (
    SETTINGS,
    Setting,
    make_optimizer,
    momentum_divisor,
    setting_momentum,
)

HERE = Path(__file__).resolve().parent
SWEEP = {"start_lr": 1e-7, "end_lr": 10.0, "num_iter": 100}
DECAY_STEPS = 100  # probe-decay100: steps of cosine decay after each candidate's 300


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
    """Validation accuracy after the setting's epochs at peak rate ``lr`` (decayed per step by
    the setting's schedule, cosine unless it says otherwise)."""
    import torch

    (x, y), (xv, yv) = setting.data()
    model = _model(setting, seed)
    opt = make_optimizer(setting.optimizer, model.parameters(), lr)
    loader = _loader(x, y, setting.batch_size, seed)
    total = setting.epochs * len(loader)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: setting.factor(t, total))
    loss_fn = setting.loss()
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
def sweep(setting: Setting, seed: int) -> tuple[list[float], list[float], dict[str, Any]]:
    """tunecraft's full sweep (no stop, no probe), its default run and the picks (see the
    report's Methods): ``tunecraft-default`` (``suggestion()``), ``tunecraft-minimum/3``,
    ``probe-decay100`` (:data:`DECAY_STEPS`), ``probe-100``/``probe-200`` (the first 100 or
    200 constant-rate steps), ``probe-nomargin``, ``probe-setback`` (earlier rules)."""
    from tunecraft.torch import confirm_lr, lr_range_test
    from tunecraft.torch.lr_confirm import confirm_pick

    (x, y), _ = setting.data()
    loss = setting.loss()
    full = lr_range_test(_model(setting, seed), loss, _loader(x, y, setting.batch_size, seed),
                         _factory(setting), diverge_factor=None, confirm_steps=0,
                         **SWEEP)  # type: ignore[arg-type]
    default = lr_range_test(_model(setting, seed), loss,
                            _loader(x, y, setting.batch_size, seed), _factory(setting))
    out: dict[str, Any] = {"picks": {}, "confirmation": None}
    conf = default.confirmation
    if conf is None:
        return list(full.lrs), list(full.losses), out
    out["picks"].update({"tunecraft-default": default.suggestion(),
                         "tunecraft-minimum/3": default.suggestion("minimum/3")})
    # the decayed variant: lr_range_test(confirm_steps=0), then confirm_lr(decay_steps=...)
    model, loader = _model(setting, seed), _loader(x, y, setting.batch_size, seed)
    base = lr_range_test(model, loss, loader, _factory(setting), confirm_steps=0)
    decayed = confirm_lr(model, loss, loader, base, _factory(setting), decay_steps=DECAY_STEPS)
    out["picks"][f"probe-decay{DECAY_STEPS}"] = decayed.lr
    # rule (b) of the late session: the higher of the default's and the decayed probe's picks;
    # (c) the same from the decayed probes alone (their constant-rate steps give the other pick)
    out["picks"]["probe-higher"] = max(default.suggestion(), decayed.lr)
    k, _ = confirm_pick([run[:conf.steps] for run in decayed.losses], conf.steps)
    out["picks"]["probe-higher1"] = max(decayed.candidates[k], decayed.lr)
    steps, const = conf.steps, [list(run) for run in conf.losses]
    out["confirmation"] = {"candidates": conf.candidates, "sentinel": conf.sentinel,
                           "scores": conf.scores, "steps": steps, "decayed": {
                               "scores": decayed.scores, "losses": decayed.losses}}
    for n in (100, 200):
        k, _ = confirm_pick([run[:n] for run in const], n)
        out["picks"][f"probe-{n}"] = conf.candidates[k]
    picked = const[:len(conf.candidates)]
    k, _ = confirm_pick(picked, steps, sentinel=False)
    out["picks"]["probe-nomargin"] = conf.candidates[k]
    out["picks"]["probe-setback"] = conf.candidates[_setback_pick(picked, steps)]
    return list(full.lrs), list(full.losses), out


def _setback_pick(losses: Sequence[Sequence[float]], steps: int) -> int:
    """The second round's pick: a probe blew up when its running median of 5 climbed back
    from its lowest by more than half the descent so far plus 5% of its first value."""
    scores = []
    for run in losses:
        x = np.asarray(run, dtype=float)
        if len(x) < steps or not np.isfinite(x).all():
            scores.append(math.inf)
            continue
        med = np.array([np.median(x[i - 4:i + 1]) for i in range(4, len(x))])
        low = np.minimum.accumulate(med)
        bad = ((med - low) > 0.5 * (med[0] - low) + 0.05 * med[0]).any()
        scores.append(math.inf if bad else float(x[-max(1, steps // 4):].mean()))
    keep = 0
    for i in range(1, len(scores)):
        if scores[i] < scores[keep] * 0.98:
            keep = i
    return keep


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
    finder = lrf.LRFinder(model, opt, setting.loss(), device="cpu")
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
            return setting.loss()(self.net(batch[0]), batch[1])

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
        if rule == lr_rules.CONFIRMED:  # needs the probe: the tunecraft-default row
            continue
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


# --------------------------------------------------------------------------- one job
def run_one(job: tuple[str, int, dict[str, float], tuple[str, ...], tuple[Path, ...]]
            ) -> dict[str, Any]:
    """Range tests, picks and training runs of one setting and seed (only the methods whose
    label starts with one of ``only``, when given; accuracies also taken from the read-only
    caches ``warm``, read when the job starts)."""
    import torch

    torch.set_num_threads(1)
    name, seed, cached, only, warm = job
    for path in warm:
        if path.exists():
            cached = {**json.loads(path.read_text()).get(f"{name}/{seed}", {}), **cached}
    setting = SETTINGS[name]
    started = time.perf_counter()
    lrs, losses, default = sweep(setting, seed)
    picks = {**rule_picks(lrs, losses, setting_momentum(setting)), **default["picks"]}
    for label, finder in (("torch-lr-finder", torch_lr_finder),
                          ("lightning", lightning_lr_find)):
        if not only or label.startswith(only):
            found = finder(setting, seed)
            if found is not None:
                picks[label] = found
    if only:
        picks = {k: v for k, v in picks.items() if k.startswith(only)}
    acc = dict(cached)
    for lr in sorted({*GRID, *picks.values()}):
        key = repr(float(lr))
        if key not in acc:
            acc[key] = train(setting, seed, float(lr))
    (_, yt), (_, yv) = setting.data()
    majority = float(np.bincount(yv).max() / len(yv))
    return {"setting": name, "seed": seed, "lrs": lrs, "losses": losses, "picks": picks,
            "confirmation": default["confirmation"], "accuracy": acc, "majority": majority,
            "seconds": time.perf_counter() - started}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--settings", nargs="+", choices=sorted(SETTINGS), default=list(SETTINGS))
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    p.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-14.md")
    p.add_argument("--cache", type=Path, default=HERE / "out" / "lr_find-cache.json")
    p.add_argument("--no-cache", action="store_true", help="retrain every rate")
    p.add_argument("--warm", nargs="+", type=Path, default=(),
                   help="read-only caches in --cache's format, read when each job starts "
                        "(e.g. written by another process meanwhile)")
    p.add_argument("--only", nargs="+", default=(),
                   help="train only the methods whose label starts with one of these (e.g. "
                        "tunecraft- probe-); the grid is always trained")
    p.add_argument("--append", action="store_true",
                   help="append the report to --out as a dated section (headings one level "
                        "down) instead of replacing the file")
    args = p.parse_args(argv)
    start = time.perf_counter()
    cache: dict[str, dict[str, float]] = {}
    if not args.no_cache and args.cache.exists():
        cache = json.loads(args.cache.read_text())
    jobs = [(s, seed, cache.get(f"{s}/{seed}", {}), tuple(args.only), tuple(args.warm))
            for s in args.settings
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
