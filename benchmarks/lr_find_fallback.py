"""The default LR rule with and without its fallbacks, on the same probes: ``python -m
benchmarks.lr_find_fallback``.

Per setting and seed, runs tunecraft's default ``lr_range_test`` (as ``benchmarks.lr_find``
does) and records the pick of ``confirm_pick`` alone (the rule before the fallbacks of
2026-12-07, late session) and the returned pick (after them: never a rate whose own probe did
not train; a step down when every candidate diverged; ``confirmed=False`` when no probe
trains). Same seeds, same probes: where the two agree no grid is needed to show no
regression. Accuracies come from ``--cache`` (``benchmarks.lr_find``'s format) or are trained
with ``benchmarks.lr_find.train`` for held-out group 4 and wherever the picks differ.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.lr_find import _factory, _loader, _model, train
from benchmarks.lr_find_report import GRID
from benchmarks.lr_find_tasks import HELDOUT_4, SETTINGS

HERE = Path(__file__).resolve().parent


def run_one(name: str, seed: int, cached: dict[str, float]) -> dict[str, Any]:
    """The default's probes on one setting and seed, both picks and their accuracies."""
    from tunecraft.torch import lr_range_test
    from tunecraft.torch.lr_confirm import confirm_pick

    s = SETTINGS[name]
    (x, y), _ = s.data()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = lr_range_test(_model(s, seed), s.loss(), _loader(x, y, s.batch_size, seed),
                            _factory(s))
    conf = res.confirmation
    if conf is None:
        return {"setting": name, "seed": seed, "error": "no probe ran"}
    k, _ = confirm_pick([list(r) for r in conf.losses], conf.steps)
    before, after = conf.candidates[k], conf.lr
    acc = dict(cached)
    for lr in {before, after}:
        if repr(float(lr)) not in acc and (name in HELDOUT_4 or before != after):
            acc[repr(float(lr))] = train(s, seed, float(lr))
    grid = [acc[repr(g)] for g in GRID if repr(g) in acc]
    return {"setting": name, "seed": seed, "before": before, "after": after,
            "confirmed": conf.confirmed, "lower": list(conf.lower), "note": conf.note,
            "warned": any("LR range test" in str(w.message) for w in seen),
            "acc_before": acc.get(repr(float(before))), "acc_after": acc.get(repr(float(after))),
            "grid_best": max(grid) if len(grid) == len(GRID) else None}


def main(argv: Sequence[str] | None = None) -> int:
    import torch

    torch.set_num_threads(1)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--settings", nargs="+", choices=sorted(SETTINGS), default=list(SETTINGS))
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    p.add_argument("--cache", type=Path, default=HERE / "out" / "lr_find-heldout4-cache.json")
    p.add_argument("--out", type=Path, default=HERE / "out" / "lr_find_fallback.json")
    args = p.parse_args(argv)
    cache = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    rows = []
    for name in args.settings:
        for seed in range(args.seeds):
            start = time.perf_counter()
            row = run_one(name, seed, cache.get(f"{name}/{seed}", {}))
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
            print(json.dumps(row), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
