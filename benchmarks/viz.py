"""How fast the report and the dashboard draw a 10,000-trial study: ``python -m benchmarks.viz``.

Builds a study (5 parameters: log-float, float, int, categorical, log-float; 10 reports per
trial; a third pruned half-way) in memory, then measures:

- importance: fANOVA on every trial, fANOVA as the report/dashboard run it (1000 trials, 32
  trees), PED-ANOVA;
- the report: generating the HTML in Python, then in headless Chromium (Debian's package) the
  time from navigation until every plot has drawn (``body[data-ready]``);
- the dashboard (served by uvicorn on 127.0.0.1): ``/api/figures`` cold and cached,
  ``/api/trials`` (a page sorted by value), and the study page from navigation until every plot
  has drawn: on a first visit, with plotly.js in the HTTP cache, and for a returning visitor
  with a normal browser profile (V8's code cache).

Writes a markdown table to ``benchmarks/results/issue-7.md`` (``--out``). Timings depend on the
machine's load, which is recorded with them. The target is under 2 s for both pages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import statistics
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tunecraft as tc

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("TUNECRAFT_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def objective(trial: tc.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    layers = trial.suggest_int("layers", 1, 8)
    opt = trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    wd = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
    value = (math.log10(lr) + 3) ** 2 + dropout + 0.1 * layers + (opt == "sgd") + 0.01 * wd
    for step in range(10):
        trial.report(value + 1.0 / (step + 1), step)
        if trial.number % 3 == 0 and step == 4:
            raise tc.TrialPruned()
    return value


def build(n: int) -> tc.Study:
    study = tc.create_study(study_name=f"bench-{n}", sampler=tc.samplers.RandomSampler(seed=0),
                            pruner=tc.pruners.NopPruner())
    study.optimize(objective, n_trials=n)
    return study


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median seconds over ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def browser_ready(browser: Any, url: str, repeat: int, warm: bool = False) -> list[float]:
    """Seconds from navigation until ``body[data-ready]``, one page per repetition (a new
    context each time, unless ``warm``: then one context, so its HTTP cache is reused)."""
    out = []
    shared = browser.new_context(viewport={"width": 1400, "height": 900}) if warm else None
    if shared is not None:  # fill the cache once
        page = shared.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        page.close()
    for _ in range(repeat):
        context = shared or browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        out.append(time.perf_counter() - t0)
        page.close()
        if shared is None:
            context.close()
    if shared is not None:
        shared.close()
    return out


def returning_visits(pw: Any, url: str, repeat: int) -> list[float]:
    """Seconds from navigation until ``body[data-ready]`` for a returning visitor: a normal
    (on-disk) browser profile that has opened the page twice before. Unlike the incognito
    contexts of :func:`browser_ready`, such a profile keeps V8's code cache, so plotly.js is
    neither parsed nor compiled again: this is what a user who keeps the dashboard open or
    comes back to it sees."""
    import tempfile

    out = []
    with tempfile.TemporaryDirectory() as profile:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport={"width": 1400, "height": 900})
        try:
            for visit in range(2 + repeat):  # V8 caches code on a script's second load
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(url)
                page.wait_for_selector("body[data-ready='1']", timeout=120_000)
                if visit >= 2:
                    out.append(time.perf_counter() - t0)
                page.close()
        finally:
            context.close()
    return out


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as r:
        body: bytes = r.read()
        return body


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-7.md")
    args = p.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests._live_server import serve
    from tunecraft.analysis import fanova, ped_anova
    from tunecraft.dashboard import create_app
    from tunecraft.viz.report import render_report

    rows: list[tuple[str, str]] = []
    load0 = os.getloadavg()
    t_build, study = timed(lambda: build(args.trials))
    history = study.history()
    print(f"built {len(history)} trials in {t_build:.1f}s", flush=True)

    t, _ = timed(lambda: fanova(history))
    rows.append((f"fANOVA, all {len(history.complete())} completed trials, 64 trees", f"{t:.2f}"))
    t, _ = timed(lambda: fanova(history, max_trials=1000, n_trees=32), args.repeat)
    rows.append(("fANOVA as the report/dashboard run it (1000 trials, 32 trees)", f"{t:.2f}"))
    t, _ = timed(lambda: ped_anova(history), args.repeat)
    rows.append(("PED-ANOVA, all completed trials", f"{t:.3f}"))

    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    report = out_dir / "report-10k.html"
    t, html = timed(lambda: render_report(history, study.study_name), args.repeat)
    report.write_text(html, encoding="utf-8")
    rows.append(("report: generate the HTML (Python)", f"{t:.2f}"))
    rows.append(("report: file size (MB)", f"{report.stat().st_size / 1e6:.1f}"))

    storage = study._storage
    app = create_app(storage)
    with serve(app) as base, sync_playwright() as pw:
        name = urllib.parse.quote(study.study_name)
        t, _ = timed(lambda: get(f"{base}/api/figures?name={name}"))
        rows.append(("dashboard: /api/figures, first call (replay + plots + importance)",
                     f"{t:.2f}"))
        t, body = timed(lambda: get(f"{base}/api/figures?name={name}"), args.repeat)
        rows.append(("dashboard: /api/figures, study unchanged (cached)", f"{t:.3f}"))
        rows.append(("dashboard: /api/figures payload (MB)", f"{len(body) / 1e6:.2f}"))
        t, page = timed(lambda: get(f"{base}/api/trials?name={name}&sort=value&limit=50"),
                        args.repeat)
        rows.append(("dashboard: /api/trials, one page of 50 sorted by value", f"{t:.3f}"))
        rows.append(("dashboard: /api/trials page payload (kB)", f"{len(page) / 1e3:.1f}"))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            url = f"{base}/study?name={name}"
            for label, target, warm in (
                    ("report in Chromium: navigation to every plot drawn", report.as_uri(),
                     False),
                    ("dashboard study page, first visit", url, False),
                    ("dashboard study page, plotly.js cached", url, True)):
                times = browser_ready(browser, target, args.repeat, warm=warm)
                each = ", ".join(f"{x:.2f}" for x in times)
                rows.append((f"**{label}**", f"**{statistics.median(times):.2f}** ({each})"))
        finally:
            browser.close()
        times = returning_visits(pw, url, args.repeat)
        each = ", ".join(f"{x:.2f}" for x in times)
        rows.append(("**dashboard study page, returning visit (normal browser profile)**",
                     f"**{statistics.median(times):.2f}** ({each})"))
    load1 = os.getloadavg()
    lines = [
        "# Issue #7: report and dashboard speed for a study of "
        f"{args.trials:,} trials", "",
        f"Command: `python -m benchmarks.viz --trials {args.trials} --repeat {args.repeat}`  ",
        f"Date: {dt.datetime.now().isoformat(' ', 'seconds')}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}; "
        f"load average {load0[0]:.1f} before, {load1[0]:.1f} after; "
        "Chromium headless with --disable-gpu (software rendering).", "",
        f"Study: {len(history)} trials ({len(history.complete())} complete, the rest pruned), "
        "5 parameters, 10 reports per trial; built in memory in "
        f"{t_build:.0f}s. Times in seconds (median of {args.repeat}, each run in brackets).",
        "", "| what | seconds |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows), "",
        "Target: the report and the dashboard's study page render in under 2 s. Browser "
        "times include parsing, compiling and running plotly.js (4.8 MB): about 1.3 s on "
        "this machine, measured alone. The first three browser rows use fresh incognito "
        "contexts (Playwright's default), which keep no compiled code between pages; the "
        "last uses an on-disk profile, as a user's browser does, where V8's code cache "
        "spares plotly.js's compilation from the third visit on. The offline report "
        "inlines plotly.js, which no browser caches.",
        ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
