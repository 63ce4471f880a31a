"""The report of the LR-finder benchmark (:mod:`benchmarks.lr_find`): per method and setting,
the gap between the accuracy at its pick and the grid's best, runs at chance, and the markdown.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.lr_find_tasks import SETTINGS
from benchmarks.machine import describe_machine, load_average

GRID = tuple(float(10.0 ** (k / 2)) for k in range(-10, 3))  # 1e-5 .. 10
TARGET_GAP = 0.03
CHANCE_MARGIN = 0.05


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


EXTERNAL = ("tunecraft-default", "probe-decay100", "probe-higher", "probe-higher1",
            "probe-100", "probe-200", "probe-nomargin", "probe-setback", "tunecraft-minimum/3",
            "new-minimum/3", "old-steepest", "old-valley", "old-minimum",
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
        f"{minutes:.1f} min; load average {load_average()}.", "",
        f"- Machine: {_machine()}.",
        f"- {len(settings)} settings x {len(seeds)} seeds ({', '.join(map(str, seeds))}); "
        f"grid: {len(GRID)} rates from 1e-5 to 10, half a decade apart. Training: the "
        "setting's epochs and schedule per step (cosine unless it names another), accuracy "
        "of the final model on the validation split.", "",
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
        "`lr_bounds_from_range_test` share): since the second round of 2026-12-07 the "
        "`confirmed` rule, the pick of the confirmation probe (300 steps at a constant rate "
        "at each of `m/3`, `m/sqrt(3)` and `m`, `m` the lowest loss's LR, and at the sentinel "
        "`sqrt(3)*m`, capped at the sweep's last LR, never picked; the lowest loss of the "
        "probe's last quarter among probes that did not blow up, a higher rate only when 2% "
        "lower and when the probe one step above it still trains). Before: `minimum/3`.",
        "- `tunecraft-minimum/3`: the same run's curve-only rule (`suggestion(\"minimum/3\")`, "
        "the default before the probe); `probe-100`, `probe-200`: the probe's pick from the "
        "first 100 or 200 of its 300 steps per rate (what a shorter probe picks); "
        "`probe-nomargin`: the same probes picked without the sentinel check (the third "
        "round's rule); `probe-setback`: without the sentinel check and with the second "
        "round's blow-up test (running median back up by more than half the descent plus 5% "
        "of its first value).",
        "- `probe-decay100`: the same probes with 100 more steps appended to each candidate's, "
        "the rate annealed to 0 by a cosine, and the candidates compared on the last quarter "
        "of that tail (blow-up and sentinel checks on the 300 constant-rate steps); "
        "`confirm_lr(decay_steps=100)`.",
        "- `probe-higher`: the higher of the `tunecraft-default` and `probe-decay100` picks "
        "(each from its own probes); `probe-higher1`: the higher of the two picks read from "
        "the decayed probes alone (their first 300 constant-rate steps give the constant-rate "
        "pick): the same rule at 1.25x the default's probe steps instead of 2.25x.",
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


def _machine() -> str:
    return describe_machine(("torch", "torch-lr-finder", "lightning", "mnist1d", "numpy"))
