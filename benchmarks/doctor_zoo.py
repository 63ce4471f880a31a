"""Labelled zoo of sick and healthy training runs: does the doctor name the cause, and does one
``fix`` cure it?

Run: ``python -m benchmarks.doctor_zoo [--zoo dev|holdout|final|fresh] [--workers 2]
[--out PATH]``.

Every case (benchmarks/doctor_zoo_cases.py) trains with ``fit(..., doctor=True)``; a sick
run counts as right when its label is among the problems above ``info`` (and we also report
when it is the most severe one); a healthy run must have no problem above ``info``. Each sick
run is then trained again with ``diagnosis.fix(config)``: repaired when that run is healthy
(the repair rate counts the runs whose cure a config can express, ``Case.curable``).
Prints the confusion matrix and the headline rates and writes them as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from benchmarks.doctor_zoo_cases import Case, build_zoo, load, make_model

_LAST_OBS: list[Any] = []
UNTRAINED = "healthy_untrained"  # a healthy recipe that did not train (unseen zoo's rule)


def _keep_observations() -> None:
    """Keep the observations of the last ``fit(doctor=True)`` (for the signals column)."""
    from tunecraft.torch.doctor import _fit

    if getattr(_fit.FitDoctor.close, "_zoo", False):
        return
    close = _fit.FitDoctor.close

    def keeping(self: Any) -> Any:
        _LAST_OBS[:] = [self.doctor.observations()]
        return close(self)

    keeping._zoo = True  # type: ignore[attr-defined]
    _fit.FitDoctor.close = keeping  # type: ignore[method-assign]


def run_case(case: Case, *, repair: bool = True) -> dict[str, Any]:
    """Train one case under the doctor (and once more after ``fix``)."""
    import torch

    _keep_observations()
    from tunecraft.torch import TrainConfig, fit

    torch.set_num_threads(1)
    train, val = load(case.data, case.seed, case.n_train)
    factory = make_model(case.arch, case.data, **case.model)
    config = TrainConfig(**case.config)
    started = time.perf_counter()
    result = fit(factory, train, val, config, max_epochs=case.epochs, device="cpu",
                 doctor=True)
    seconds = time.perf_counter() - started
    dx = result.diagnosis
    out: dict[str, Any] = {
        "name": case.name, "label": case.label, "arch": case.arch, "data": case.data,
        "optimizer": case.optimizer, "seconds": seconds,
        "accuracy": _acc(result), "codes": sorted(p.code for p in dx.at_least("warning")),
        "info": sorted(p.code for p in dx.problems if p.severity == "info"),
        "top": dx.worst.code if dx.worst is not None and dx.worst.rank >= 1 else "healthy",
        "evidence": [f"{p.code}: {p.evidence}" for p in dx.problems],
        "curable": case.curable, "signals": _signals(result),
    }
    if repair and case.label != "healthy" and not dx.healthy:
        fixed = dx.fix(config)
        again = fit(factory, train, val, fixed, max_epochs=case.epochs, device="cpu",
                    doctor=True)
        out.update(fixed={k: v for k, v in fixed.to_dict().items()
                          if v != config.to_dict()[k]},
                   accuracy_after=_acc(again), healthy_after=again.diagnosis.healthy,
                   codes_after=sorted(p.code for p in again.diagnosis.at_least("warning")))
    return out


def _signals(result: Any) -> dict[str, Any]:
    """The rules' derived signals (to read why a rule fired or not)."""
    try:
        from tunecraft.torch.doctor.rules import THRESHOLDS, _Signals
    except ImportError:  # another version of the rules: no signals column
        return {}

    obs = _LAST_OBS[-1] if _LAST_OBS else None
    if obs is None or not obs.step_losses:
        return {}
    try:
        s = _Signals(obs, THRESHOLDS)
    except TypeError:  # another version of the rules
        return {}
    keys = ("l0", "tail", "progress", "upd", "upd0", "upd_late", "cos", "depth", "g0",
            "growth", "gain_per_layer", "dead0", "dead", "sat0", "sat", "gain", "shrink")
    return {k: getattr(s, k, None) for k in keys}


def _acc(result: Any) -> float:
    accs = [h.val_accuracy for h in result.history if h.val_accuracy is not None
            and math.isfinite(h.val_accuracy)]
    return max(accs) if accs else 0.0


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Confusion matrix (label x most severe code) and the headline rates."""
    labels = sorted({r["label"] for r in rows})
    confusion: dict[str, dict[str, int]] = {}
    for r in rows:
        confusion.setdefault(r["label"], Counter())[r["top"]] += 1
    sick = [r for r in rows if r["label"] not in ("healthy", UNTRAINED)]
    healthy = [r for r in rows if r["label"] == "healthy"]
    right = [r for r in sick if r["label"] in r["codes"]]
    untrained = [r for r in rows if r["label"] == UNTRAINED]
    top = [r for r in sick if r["top"] == r["label"]]
    curable = [r for r in sick if r.get("curable", True)]
    repaired = [r for r in curable if r.get("healthy_after")]
    tried = [r for r in sick if "healthy_after" in r]
    per_label = {
        lab: {"runs": sum(r["label"] == lab for r in rows),
              "right": sum(r["label"] == lab and lab in r["codes"] for r in rows),
              "repaired": sum(r["label"] == lab and bool(r.get("healthy_after"))
                              for r in rows),
              "acc_before": statistics.median([r["accuracy"] for r in rows
                                               if r["label"] == lab]),
              "acc_after": statistics.median([r.get("accuracy_after", r["accuracy"])
                                              for r in rows if r["label"] == lab])}
        for lab in labels}
    return {
        "runs": len(rows), "sick": len(sick), "healthy": len(healthy),
        "right_code": len(right) / max(len(sick), 1),
        "top_code": len(top) / max(len(sick), 1),
        "healthy_flagged": sum(bool(r["codes"]) for r in healthy),
        "healthy_untrained": len(untrained),
        "untrained_flagged": sum(bool(r["codes"]) for r in untrained),
        "repaired": len(repaired) / max(len(curable), 1), "curable": len(curable),
        "repaired_all": sum(bool(r.get("healthy_after")) for r in sick) / max(len(sick), 1),
        "repair_tried": len(tried),
        # NaN where the selection has no sick run (``--only healthy``)
        "acc_before": statistics.median([r["accuracy"] for r in sick] or [math.nan]),
        "acc_after": statistics.median([r.get("accuracy_after", r["accuracy"])
                                        for r in sick] or [math.nan]),
        "per_label": per_label,
        "confusion": {k: dict(v) for k, v in confusion.items()},
        "seconds": sum(r["seconds"] for r in rows),
    }


def print_summary(s: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    cols = sorted({c for v in s["confusion"].values() for c in v})
    print("confusion (rows: label; columns: most severe problem above info)")
    print("label".ljust(22) + " ".join(c[:10].rjust(10) for c in cols))
    for lab, counts in sorted(s["confusion"].items()):
        print(lab.ljust(22) + " ".join(str(counts.get(c, 0)).rjust(10) for c in cols))
    print("\nper label: runs, right code, repaired, median accuracy before -> after")
    for lab, v in s["per_label"].items():
        print(f"  {lab:22s} {v['runs']:3d} {v['right']:3d} {v['repaired']:3d} "
              f"{v['acc_before']:.3f} -> {v['acc_after']:.3f}")
    print(f"\nruns {s['runs']} (sick {s['sick']}, healthy {s['healthy']}); right code "
          f"{100 * s['right_code']:.1f}% (most severe {100 * s['top_code']:.1f}%); healthy "
          f"flagged {s['healthy_flagged']}; repaired after one fix {100 * s['repaired']:.1f}% "
          f"of {s['curable']} curable ({100 * s['repaired_all']:.1f}% of all sick);"
          f" sick accuracy {s['acc_before']:.3f} -> {s['acc_after']:.3f}; healthy recipes "
          f"that did not train (excluded) {s['healthy_untrained']}, "
          f"{s['untrained_flagged']} of them flagged")
    misses = [r for r in rows if (r["label"] == "healthy" and r["codes"]) or (
        r["label"] not in ("healthy", UNTRAINED) and r["label"] not in r["codes"])]
    for r in rows:
        if r["label"] == UNTRAINED:
            print(f"UNTRAINED (excluded) {r['name']}: accuracy {r['accuracy']:.3f} < "
                  f"{r['threshold']:.3f}; doctor: {r['codes'] or 'healthy'}")
    for r in misses:
        print(f"MISS {r['name']}: {r['codes']} | {r['evidence'][:2]}")
    unrepaired = [r for r in rows if r["label"] not in ("healthy", UNTRAINED)
                  and not r.get("healthy_after")]
    for r in unrepaired:
        print(f"NOT REPAIRED {r['name']}: after {r.get('codes_after')} fixed={r.get('fixed')}")


def report(rows: list[dict[str, Any]], started: float, out: str | None,
           header: dict[str, Any]) -> None:
    """Summarise and print a zoo's rows with the wall time since ``started``; with ``out``,
    write ``header`` (which zoo, which tunecraft), the summary and the rows there as JSON."""
    summary = summarise(rows)
    summary["wall_seconds"] = time.perf_counter() - started
    print_summary(summary, rows)
    print(f"wall {summary['wall_seconds']:.0f} s")
    if out:
        with open(out, "w") as fh:
            json.dump({**header, "summary": summary, "rows": rows}, fh, indent=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", choices=("dev", "holdout", "final", "fresh", "unseen"),
                    default="dev")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", default=None, help="run only cases whose name contains this")
    ap.add_argument("--no-repair", action="store_true")
    ap.add_argument("--out", default=None, help="write rows and summary as JSON here")
    args = ap.parse_args(argv)
    cases = [c for c in build_zoo(args.zoo) if args.only is None or args.only in c.name]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_run, cases, [not args.no_repair] * len(cases)))
    if args.zoo == "unseen":  # the labelling rule for healthy recipes (by accuracy alone)
        from benchmarks.doctor_zoo_unseen import relabel

        rows = relabel(rows)
    report(rows, started, args.out, {"zoo": args.zoo})
    return 0


def _run(case: Case, repair: bool) -> dict[str, Any]:
    return run_case(case, repair=repair)


if __name__ == "__main__":
    sys.exit(main())
