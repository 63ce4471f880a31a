"""LR scaling at the batch size the finder returns: ``python -m benchmarks.batch_scaling``.

The second question of issue #14: once ``find_max_batch_size`` has picked a large batch, which
learning-rate rule keeps the accuracy of the small batch the rate was tuned at? On MNIST-1D
(generated in code) with an MLP 40-256-256-10 trained by :func:`tunecraft.torch.fit` for 20
epochs with a cosine schedule:

1. at the base batch (32), the best rate of a small grid, per optimizer (SGD with momentum
   0.9, Adam), is the reference;
2. ``find_max_batch_size`` under a CPU budget (``--budget-mib``, capped at ``--max-batch``)
   gives the large batch B;
3. at B, the rate is ``scale_lr(base_lr, 32, B, rule)`` for ``none``, ``sqrt`` and
   ``linear``, each without and with a linear warm-up over the first 10% of the steps.

Reported: the median validation accuracy over seeds, and its gap to the base batch's.
Results go to ``benchmarks/results/issue-14-batch.md`` (``--out``); a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.lr_find_report import _machine
from benchmarks.lr_find_tasks import mnist1d
from benchmarks.machine import load_average

HERE = Path(__file__).resolve().parent
BASE_BATCH = 32
GRID = {"sgd": (0.01, 0.03, 0.1), "adam": (3e-4, 1e-3, 3e-3)}
RULES = ("none", "sqrt", "linear")


def _net(config: Any) -> Any:
    from tunecraft.torch.mlp import MLPSpec

    return MLPSpec(40, 10, depth=2, width=256)(config)


def _train(optimizer: str, lr: float, batch: int, warmup: float, seed: int,
           epochs: int) -> float:
    from tunecraft.torch import TrainConfig, fit

    cfg = TrainConfig(lr=lr, batch_size=batch, optimizer=optimizer,
                      momentum=0.9 if optimizer == "sgd" else None, schedule="cosine",
                      warmup_pct=warmup, seed=seed)
    train, val = mnist1d()
    result = fit(_net, train, val, cfg, max_epochs=epochs, device="cpu")
    return float(result.history[-1].val_accuracy or 0.0)


def found_batch(budget: int, cap: int) -> tuple[int, str]:
    """The finder's pick for the MLP with Adam under ``budget`` bytes, at most ``cap``."""
    import torch

    from tunecraft.torch import find_max_batch_size

    model = _net(None)
    opt = torch.optim.Adam(model.parameters())

    def batch(n: int) -> tuple[Any, Any]:
        return torch.randn(n, 40), torch.randint(0, 10, (n,))

    result = find_max_batch_size(model, batch, torch.nn.CrossEntropyLoss(), optimizer=opt,
                                 memory_limit_bytes=budget, max_size=cap)
    return result.max_batch_size, result.measure


def main(argv: Sequence[str] | None = None) -> int:
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--budget-mib", type=int, default=64)
    p.add_argument("--max-batch", type=int, default=1024)
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-14-batch.md")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    start = time.perf_counter()
    big, measure = found_batch(args.budget_mib * 2**20, args.max_batch)
    seeds = range(args.seeds)
    rows = []
    for optimizer, grid in GRID.items():
        base = {lr: float(np.median([_train(optimizer, lr, BASE_BATCH, 0.0, s, args.epochs)
                                     for s in seeds])) for lr in grid}
        lr0 = max(base, key=lambda k: base[k])
        rows.append((optimizer, f"batch {BASE_BATCH}, best of {list(grid)}", lr0, base[lr0],
                     0.0))
        for rule in RULES:
            from tunecraft.torch import scale_lr

            lr = scale_lr(lr0, BASE_BATCH, big, rule)  # type: ignore[arg-type]
            for warm in (0.0, 0.1):
                acc = float(np.median([_train(optimizer, lr, big, warm, s, args.epochs)
                                       for s in seeds]))
                label = f"batch {big}, {rule}" + (", warm-up 10%" if warm else "")
                rows.append((optimizer, label, lr, acc, acc - base[lr0]))
    command = "python -m benchmarks.batch_scaling " + " ".join(
        sys.argv[1:] if argv is None else argv)
    lines = [
        "# LR scaling at the batch size the finder returns (issue #14)", "",
        f"Written by `{command.strip()}` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} "
        f"UTC in {(time.perf_counter() - start) / 60:.1f} min; load average {load_average()}.", "",
        f"- Machine: {_machine()}.",
        f"- MNIST-1D (4000/1000), MLP 40-256-256-10, {args.epochs} epochs, cosine schedule, "
        f"median of {args.seeds} seeds. `find_max_batch_size` (Adam, budget "
        f"{args.budget_mib} MiB, at most {args.max_batch}, measure `{measure}`) returned "
        f"batch **{big}** ({big // BASE_BATCH}x the base batch of {BASE_BATCH}).", "",
        "| optimizer | run | lr | validation accuracy | vs base batch |",
        "|---|---|---|---|---|"]
    lines += [f"| {o} | {label} | {lr:.3g} | {acc:.4f} | {gap:+.4f} |"
              for o, label, lr, acc, gap in rows]
    lines.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
