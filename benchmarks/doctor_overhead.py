"""The training doctor's overhead per architecture: ``fit(..., doctor=True)`` vs ``doctor=False``.

Run: ``python -m benchmarks.doctor_overhead [--repeats 7] [--epochs 4] [--out PATH]``.

Each architecture of the doctor zoo (an MLP on digits, a CNN on 1x8x8 digits, a GRU and a
self-attention model on a sequence task; batch 64, one torch thread) trains the same seeded
config with and without the doctor, alternating the order in every repeat so that drifts of
a shared machine hit both alike. Reported per architecture: the median training time of each
and the median over repeats of the paired ratio (doctor / plain), and the doctor's own
measured share: the seconds inside its sampled statistics plus its final diagnosis, over the
run's seconds (less noisy than the ratio of two wall times on a shared machine). On a loaded
machine a preempted process loses wall time at random, so the paired ratio is also measured
in this process's CPU time (``time.process_time``), which does not count the time the
process waited for a core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from benchmarks.doctor_zoo_cases import _base, load, make_model

ARCHS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("mlp", "digits", "adam", {}), ("mlp", "wide_table", "sgd", {"depth": 4}),
    ("cnn", "digits_img", "adam", {}), ("gru", "seq", "adam", {}),
    ("attn", "seq", "rmsprop", {}), ("lstm", "seq_sum", "sgd", {}))


_SELF: list[float] = []


def _self_timed() -> None:
    """Record the doctor's own seconds (sampling + the diagnosis at close) in ``_SELF``."""
    import time as _time

    from tunecraft.torch.doctor import _fit

    if getattr(_fit.FitDoctor.close, "_timed", False):
        return
    close = _fit.FitDoctor.close

    def timed(self: Any) -> Any:
        started = _time.perf_counter()
        out = close(self)
        _SELF.append(self.doctor._spent + _time.perf_counter() - started)
        return out

    timed._timed = True  # type: ignore[attr-defined]
    _fit.FitDoctor.close = timed  # type: ignore[method-assign]


def time_fit(arch: str, data: str, opt: str, model: dict[str, Any], *, doctor: bool,
             epochs: int) -> tuple[float, float]:
    """``(seconds, CPU seconds)`` of one ``fit`` (training and evaluation; seconds as the
    trainer measures them)."""
    from tunecraft.torch import TrainConfig, fit

    _self_timed()
    train, val = load(data, 0, None)
    factory = make_model(arch, data, width=64, **model)
    cpu = time.process_time()
    result = fit(factory, train, val, TrainConfig(**_base(opt, 0)), max_epochs=epochs,
                 device="cpu", doctor=doctor)
    return float(result.seconds), time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    rows = []
    started = time.perf_counter()
    for arch, data, opt, model in ARCHS:
        time_fit(arch, data, opt, model, doctor=True, epochs=1)  # warm caches and imports
        plain, doc, ratios, share, cpu_ratios = [], [], [], [], []
        for r in range(args.repeats):
            order = (False, True) if r % 2 == 0 else (True, False)
            got = {d: time_fit(arch, data, opt, model, doctor=d, epochs=args.epochs)
                   for d in order}
            plain.append(got[False][0])
            doc.append(got[True][0])
            share.append(_SELF[-1] / got[True][0])
            ratios.append(got[True][0] / got[False][0])
            cpu_ratios.append(got[True][1] / got[False][1])
        row: dict[str, Any] = {
               "arch": f"{arch}-{data}/{opt}", "plain_s": statistics.median(plain),
               "doctor_s": statistics.median(doc), "ratio": statistics.median(ratios),
               "ratios": ratios, "self_share": statistics.median(share),
               "cpu_ratio": statistics.median(cpu_ratios), "cpu_ratios": cpu_ratios}
        rows.append(row)
        print(f"{row['arch']:28s} plain {row['plain_s']:.3f} s  doctor {row['doctor_s']:.3f} s"
              f"  overhead {100 * (row['ratio'] - 1):+.1f}% (median of {args.repeats} "
              f"paired ratios); doctor's own time {100 * row['self_share']:.1f}%; in CPU "
              f"time {100 * (row['cpu_ratio'] - 1):+.1f}%", flush=True)
    print(f"wall {time.perf_counter() - started:.0f} s")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"repeats": args.repeats, "epochs": args.epochs, "rows": rows}, fh,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
