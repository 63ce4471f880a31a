"""The default LR rule against the upward probe, on the same range test and probes: ``python -m
benchmarks.lr_find_upward``.

Per setting and seed: tunecraft's range test without a probe (``confirm_steps=0``), the
default's confirmation (``confirm_lr``, exactly what ``lr_range_test`` runs), then the upward
probe on top of it (``tunecraft.torch.lr_upward.probe_upward``; what ``confirm_lr(upward=True)``
adds). So both picks come from one sweep and one set of probes, and where they agree the grid
result stands. Training runs (``benchmarks.lr_find.train``): the 13-rate grid (with ``--grid``,
or for held-out groups 5 and 6) and both picks (without a grid, only where they differ), cached
by (setting, seed, rate) in ``--cache``; ``--warm`` adds read-only caches in the same format.
A run is at chance within 0.05 of the majority-class rate, as in the main benchmark.
``--group 6`` runs held-out group 6 (its own cache and output) and, for its first seed, also
``lr_range_test`` with every default and ``result.suggestion()`` (``api``): the default as a
user calls it, which should equal the ``upward`` pick.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.lr_find import _factory, _loader, _model, train
from benchmarks.lr_find_report import CHANCE_MARGIN, GRID
from benchmarks.lr_find_tasks import HELDOUT_5, HELDOUT_6, SETTINGS

HERE = Path(__file__).resolve().parent


def api_pick(name: str, seed: int) -> float:
    """The default as a user gets it: ``lr_range_test`` with every default (its confirmation
    included) from the seeded model, then ``result.suggestion()``."""
    from tunecraft.torch import lr_range_test

    s = SETTINGS[name]
    (x, y), _ = s.data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = lr_range_test(_model(s, seed), s.loss(), _loader(x, y, s.batch_size, seed),
                               _factory(s))
    return float(result.suggestion())


def picks(name: str, seed: int) -> dict[str, Any]:
    """Both rules' picks on one setting and seed, with what the probes saw and cost."""
    from tunecraft.torch import confirm_lr, lr_range_test
    from tunecraft.torch.lr_range import probe_losses
    from tunecraft.torch.lr_upward import probe_upward, upward_needed

    s = SETTINGS[name]
    (x, y), _ = s.data()
    model, loader, loss = _model(s, seed), _loader(x, y, s.batch_size, seed), s.loss()
    t0 = time.perf_counter()
    result = lr_range_test(model, loss, loader, _factory(s), confirm_steps=0)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conf = confirm_lr(model, loss, loader, result, _factory(s), upward=False)
    t2 = time.perf_counter()
    up = probe_upward(result, conf, lambda rate: probe_losses(
        model, loss, loader, _factory(s), [rate], conf.steps)[0])
    t3 = time.perf_counter()
    return {"setting": name, "seed": seed, "default": conf.lr, "upward": up.lr,
            "default_confirmed": conf.confirmed, "upward_confirmed": up.confirmed,
            "fired": upward_needed(result, conf), "upper": list(up.upper),
            "upper_scores": [float(np.mean(r[-max(1, conf.steps // 4):])) if len(r) else None
                             for r in up.upper_losses],
            "upper_steps": [len(r) for r in up.upper_losses], "note": up.note,
            "sweep_last_lr": result.lrs[-1], "stop_reason": result.stop_reason,
            "candidates": list(conf.candidates), "sentinel": conf.sentinel,
            "seconds": {"sweep": t1 - t0, "default_probes": t2 - t1, "upward_probes": t3 - t2}}


def main(argv: Sequence[str] | None = None) -> int:
    import torch

    torch.set_num_threads(1)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--group", type=int, choices=(5, 6), default=5,
                   help="the held-out group run when --settings is not given (default 5)")
    p.add_argument("--settings", nargs="+", choices=sorted(SETTINGS), default=None)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--grid", action="store_true",
                   help="train the grid for every setting (always for held-out groups 5 and 6)")
    p.add_argument("--cache", type=Path, default=None,
                   help="default: benchmarks/out/lr_find-heldout<group>-cache.json")
    p.add_argument("--warm", nargs="+", type=Path, default=())
    p.add_argument("--out", type=Path, default=None, help="default: benchmarks/out/"
                   "lr_find_upward.jsonl (group 5), lr_find_upward6.jsonl (group 6)")
    args = p.parse_args(argv)
    if args.settings is None:
        args.settings = list(HELDOUT_6 if args.group == 6 else HELDOUT_5)
    if args.cache is None:
        args.cache = HERE / "out" / f"lr_find-heldout{args.group}-cache.json"
    if args.out is None:
        args.out = HERE / "out" / ("lr_find_upward6.jsonl" if args.group == 6
                                   else "lr_find_upward.jsonl")
    cache: dict[str, dict[str, float]] = (json.loads(args.cache.read_text())
                                          if args.cache.exists() else {})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    for name in args.settings:
        for seed in args.seeds:
            key = f"{name}/{seed}"
            acc = cache.setdefault(key, {})
            for path in args.warm:
                if path.exists():
                    acc.update({k: v for k, v in json.loads(path.read_text()).get(key, {})
                                .items() if k not in acc})
            row = picks(name, seed)
            if name in HELDOUT_6 and seed == args.seeds[0]:
                row["api"] = api_pick(name, seed)
            rates = {row["default"], row["upward"], *([row["api"]] if "api" in row else [])}
            if args.grid or name in HELDOUT_5 or name in HELDOUT_6:
                rates |= set(GRID)
            elif len(rates) == 1:  # same pick, no grid asked: the earlier result stands
                rates = set()
            started = time.perf_counter()
            for lr in sorted(rates):
                if repr(float(lr)) not in acc:
                    acc[repr(float(lr))] = train(SETTINGS[name], seed, float(lr))
            grid = [acc[repr(g)] for g in GRID if repr(g) in acc]
            (_, _), (_, yv) = SETTINGS[name].data()
            row.update({"acc_default": acc.get(repr(float(row["default"]))),
                        "acc_upward": acc.get(repr(float(row["upward"]))),
                        "acc_api": acc.get(repr(float(row["api"]))) if "api" in row else None,
                        "grid_best": max(grid) if len(grid) == len(GRID) else None,
                        "grid_best_lr": GRID[int(np.argmax(grid))] if len(grid) == len(GRID)
                        else None, "chance": float(np.bincount(yv).max() / len(yv))
                        + CHANCE_MARGIN, "train_seconds": time.perf_counter() - started})
            args.cache.write_text(json.dumps(cache))
            with args.out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps({k: row[k] for k in ("setting", "seed", "default", "upward",
                                                  "fired", "acc_default", "acc_upward",
                                                  "grid_best")}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
