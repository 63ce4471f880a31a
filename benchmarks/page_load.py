"""First visit of a 10,000-trial study page, full plotly.js vs the cartesian partial bundle.

``python -m benchmarks.page_load [--trials 10000] [--repeat 5]``

Builds the study of :mod:`benchmarks.viz` in memory, then times in headless Chromium (Debian's
package, fresh incognito context per visit, so nothing is cached) the navigation until every
plot has drawn (``body[data-ready]``) for the dashboard's study page (uvicorn on 127.0.0.1) and
the offline HTML report, once with the full 4.8 MB plotly.js (``TUNECRAFT_PLOTLYJS=full``: the
behaviour before issue #19) and once with the default choice (the 1.5 MB cartesian bundle),
alternating visit by visit so that both meet the same load of a shared machine.
Writes a markdown table with medians, each run and the ratio to ``benchmarks/results/
issue-19.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from benchmarks.viz import CHROMIUM, FLAGS, browser_ready, build

HERE = Path(__file__).resolve().parent
PAGES = ("dashboard study page", "HTML report", "plotly.js alone: parse, compile, run")
ALONE = ("<!DOCTYPE html><html><body><script>const t0 = performance.now();</script>"
         "<script>BUNDLE</script><script>document.body.dataset.seconds = "
         "String((performance.now() - t0) / 1000);</script></body></html>")
MODES = {"before: full plotly.js (4.8 MB)": "full", "after: cartesian bundle (1.5 MB)": "auto"}


def script_seconds(browser: Any, url: str) -> float:
    """Seconds the page spent running plotly.js's script (parse, compile, run), in a fresh
    context."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        return float(page.get_attribute("body", "data-seconds") or "nan")
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    """Measure both pages with both bundles and write the results table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--trials", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-19.md")
    args = p.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests._live_server import serve
    from tunecraft.dashboard import create_app
    from tunecraft.viz.plotlyjs import ENV_VAR, bundle_for, plotly_js
    from tunecraft.viz.report import render_report

    load0 = os.getloadavg()
    study = build(args.trials)
    history = study.history()
    print(f"built {len(history)} trials", flush=True)
    results: dict[tuple[str, str], list[float]] = {}
    previous = os.environ.get(ENV_VAR)
    with tempfile.TemporaryDirectory() as tmp, serve(create_app(study._storage)) as base, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        url = f"{base}/study?name={urllib.parse.quote(study.study_name)}"
        targets = {}
        for mode in MODES.values():  # the report, written with each bundle
            os.environ[ENV_VAR] = mode
            report = Path(tmp) / f"report-{mode}.html"
            report.write_text(render_report(history, study.study_name), encoding="utf-8")
            targets[("dashboard study page", mode)] = url
            targets[("HTML report", mode)] = report.as_uri()
            alone = Path(tmp) / f"plotly-{mode}.html"  # the bundle alone, timed by the page
            code = plotly_js(bundle_for(())).replace("</script", "<\\/script")
            alone.write_text(ALONE.replace("BUNDLE", code), encoding="utf-8")
            targets[("plotly.js alone: parse, compile, run", mode)] = alone.as_uri()
        try:
            for (page, mode), target in targets.items():  # warm the server's caches
                if page != PAGES[2]:
                    os.environ[ENV_VAR] = mode
                    browser_ready(browser, target, 1)
            # before and after alternate, visit by visit: both meet the same machine load
            for _ in range(args.repeat):
                for label, mode in MODES.items():
                    os.environ[ENV_VAR] = mode  # read by each dashboard request
                    for page in PAGES:
                        t = (script_seconds(browser, targets[(page, mode)]) if page == PAGES[2]
                             else browser_ready(browser, targets[(page, mode)], 1)[0])
                        results.setdefault((page, label), []).append(t)
                        print(page, label, f"{t:.2f}", flush=True)
        finally:
            browser.close()
            if previous is None:
                os.environ.pop(ENV_VAR, None)
            else:
                os.environ[ENV_VAR] = previous
    load1 = os.getloadavg()
    rows = []
    for page in PAGES:
        before, after = (statistics.median(results[(page, label)]) for label in MODES)
        for label in MODES:
            times = results[(page, label)]
            each = ", ".join(f"{t:.2f}" for t in times)
            rows.append(f"| {page} | {label} | **{statistics.median(times):.2f}** | {each} |")
        rows.append(f"| {page} | ratio after/before | **{after / before:.2f}** | |")
    lines = [
        f"# Issue #19: first visit of a {args.trials:,}-trial study page", "",
        f"Command: `python -m benchmarks.page_load --trials {args.trials} "
        f"--repeat {args.repeat}`  ",
        f"Date: {dt.datetime.now().isoformat(' ', 'seconds')}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores (shared), Python {platform.python_version()}; load average "
        f"{load0[0]:.1f} before, {load1[0]:.1f} after. Headless Chromium (Debian), "
        "--disable-gpu, a fresh incognito context per visit (nothing cached).", "",
        "Seconds from navigation until every plot has drawn (`body[data-ready]`), median of "
        f"{args.repeat} (each run listed). Study: {len(history)} trials, 5 parameters, 10 "
        "reports per trial (benchmarks/viz.py).", "",
        "| page | plotly.js | median s | runs |", "|---|---|---|---|", *rows, "",
        "Target: under 2 s. Before: `TUNECRAFT_PLOTLYJS=full`, the full bundle the pages "
        "loaded until issue #19; after: the default, plotly.js's official cartesian partial "
        "bundle (scatter, bar, contour and the other cartesian traces), vendored in "
        "tunecraft/viz/assets.", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
