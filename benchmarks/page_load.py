"""First visit of a 10,000-trial study page: this tree against a baseline, in the same run.

``python -m benchmarks.page_load [--trials 10000] [--repeat 5] [--baseline DIR]``

Each side (``--baseline DIR``, an older tunecraft tree, e.g. made by ``git archive COMMIT |
tar -x -C DIR``; without it, this tree with the full plotly.js, ``TUNECRAFT_PLOTLYJS=full``)
runs in its own process, which builds the study of :mod:`benchmarks.viz` in memory, writes the
offline HTML report and serves the dashboard (uvicorn on 127.0.0.1). Headless Chromium (Debian's
package, a fresh incognito context per visit, so nothing is cached) then times the navigation
until every plot has drawn (``body[data-ready]``) for the dashboard's study page and the report,
and the partial plotly.js bundle alone (parse, compile, run), the two sides alternating visit
by visit so that both meet the same load of a shared machine. Besides the wall time, each visit
records when plotly.js was ready, the drawing time of the plots (the sum of their ``data-ms``)
and the page's main-thread CPU time (Chromium's ``ThreadTime``), which a loaded machine
disturbs far less than wall time. Appends a dated markdown section to ``--out``
(``benchmarks/results/issue-19.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.viz import CHROMIUM, FLAGS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAGES = ("dashboard study page", "HTML report", "plotly.js alone: parse, compile, run")

# Run by each side's process, with that side's tree first on sys.path: only names that every
# tree since issue #7 has.
SIDE = """
import json, sys, tempfile, urllib.parse
from pathlib import Path
from benchmarks.viz import build
from tests._live_server import serve
from tunecraft.dashboard import create_app
from tunecraft.viz.plotlyjs import bundle_for, plotly_js
from tunecraft.viz.report import render_report

study = build(int(sys.argv[1]))
with tempfile.TemporaryDirectory() as tmp, serve(create_app(study._storage)) as base:
    report = Path(tmp) / "report.html"
    report.write_text(render_report(study.history(), study.study_name), encoding="utf-8")
    alone = Path(tmp) / "plotly.html"
    code = plotly_js(bundle_for(())).replace("</script", "<\\\\/script")
    alone.write_text(sys.argv[2].replace("BUNDLE", code), encoding="utf-8")
    url = f"{base}/study?name={urllib.parse.quote(study.study_name)}"
    print(json.dumps([url, report.as_uri(), alone.as_uri()]), flush=True)
    sys.stdin.read()  # serve until the benchmark closes stdin
"""
ALONE = ("<!DOCTYPE html><html><body><script>const t0 = performance.now();</script>"
         "<script>BUNDLE</script><script>document.body.dataset.seconds = "
         "String((performance.now() - t0) / 1000);</script></body></html>")
# marks the moment plotly.js has run (it assigns window.Plotly once, at its end)
MARK_PLOTLY = """(() => { let P; Object.defineProperty(window, "Plotly", { configurable: true,
  get() { return P; }, set(v) { if (!P) performance.mark("plotly-ready"); P = v; } }); })();"""
BREAKDOWN = """() => {
  const mark = performance.getEntriesByName("plotly-ready")[0];
  const ms = [...document.querySelectorAll("[data-panel][data-ms]")]
    .reduce((a, b) => a + Number(b.dataset.ms), 0);
  return [mark ? mark.startTime / 1000 : NaN, ms / 1000];
}"""


class Side:
    """One tree's process: the study, its report and its dashboard."""

    def __init__(self, label: str, tree: Path, env: dict[str, str], trials: int) -> None:
        self.label = label
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SIDE, str(trials), ALONE], cwd=tree, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {label!r} side ({tree}) did not start")
        self.targets = dict(zip(PAGES, json.loads(line), strict=True))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def thread_seconds(cdp: Any) -> float:
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return float(next(m["value"] for m in metrics if m["name"] == "ThreadTime"))


def visit(browser: Any, url: str, alone: bool) -> dict[str, float]:
    """One first visit in a fresh context: wall seconds until every plot has drawn (or the
    bundle's own timing), plotly.js ready, plots drawn and main-thread CPU seconds."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.add_init_script(MARK_PLOTLY)
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        cpu0 = thread_seconds(cdp)
        t0 = time.perf_counter()
        page.goto(url)
        if alone:
            wall = float(page.get_attribute("body", "data-seconds") or "nan")
            ready, drawn = wall, 0.0
        else:
            page.wait_for_selector("body[data-ready='1']", timeout=120_000)
            wall = time.perf_counter() - t0
            ready, drawn = page.evaluate(BREAKDOWN)
        cpu = thread_seconds(cdp) - cpu0
        return {"wall": wall, "plotly": ready, "drawn": drawn, "cpu": cpu}
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    """Measure both pages on both sides and append the results to ``--out``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--trials", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--baseline", type=Path, default=None,
                   help="an older tunecraft tree to compare with (default: this tree with "
                        "the full plotly.js)")
    p.add_argument("--out", type=Path, default=HERE / "results" / "issue-19.md")
    args = p.parse_args(argv)

    from playwright.sync_api import sync_playwright

    env = {k: v for k, v in os.environ.items() if k != "TUNECRAFT_PLOTLYJS"}
    if args.baseline is not None:
        if not (args.baseline / "tunecraft" / "viz" / "report.py").exists():
            p.error(f"--baseline {args.baseline}: not a tunecraft tree (no tunecraft/viz/"
                    "report.py); make one with `git archive COMMIT | tar -x -C DIR`")
        before = ("before: " + str(args.baseline), args.baseline.resolve(), env)
    else:
        before = ("before: this tree, full plotly.js", ROOT, {**env, "TUNECRAFT_PLOTLYJS": "full"})
    load0 = os.getloadavg()
    sides = []
    try:
        for label, tree, side_env in (before, ("after: this tree", ROOT, env)):
            sides.append(Side(label, tree, side_env, args.trials))
            print(f"{label}: ready", flush=True)
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            try:
                for side in sides:  # warm each dashboard's caches (its figures, importance)
                    visit(browser, side.targets[PAGES[0]], False)
                for _ in range(args.repeat):  # the sides alternate: both meet the same load
                    for side in sides:
                        for page in PAGES:
                            r = visit(browser, side.targets[page], page == PAGES[2])
                            results.setdefault((page, side.label), []).append(r)
                            print(page, side.label, {k: round(v, 3) for k, v in r.items()},
                                  flush=True)
            finally:
                browser.close()
    finally:
        for side in sides:
            side.close()
    load1 = os.getloadavg()
    print("\n".join(write(args, [s.label for s in sides], results, load0, load1)))
    return 0


def write(args: argparse.Namespace, labels: list[str],
          results: dict[tuple[str, str], list[dict[str, float]]],
          load0: tuple[float, ...], load1: tuple[float, ...]) -> list[str]:
    """Append the dated section to ``args.out``; returns its lines."""
    def med(page: str, label: str, key: str) -> float:
        return statistics.median(r[key] for r in results[(page, label)])

    rows = []
    for page in PAGES:
        for label in labels:
            each = ", ".join(f"{r['wall']:.2f}" for r in results[(page, label)])
            parts = "–" if page == PAGES[2] else (
                f"{med(page, label, 'plotly'):.2f} / {med(page, label, 'drawn'):.2f}")
            rows.append(f"| {page} | {label} | **{med(page, label, 'wall'):.2f}** | {each} | "
                        f"{parts} | {med(page, label, 'cpu'):.2f} |")
        ratio = med(page, labels[1], "wall") / med(page, labels[0], "wall")
        cpu = med(page, labels[1], "cpu") / med(page, labels[0], "cpu")
        rows.append(f"| {page} | ratio after/before | **{ratio:.2f}** | | | {cpu:.2f} |")
    lines = [
        "", f"## {dt.datetime.now().isoformat(' ', 'minutes')}: {labels[0]} vs {labels[1]}", "",
        f"Command: `python -m benchmarks.page_load --trials {args.trials} --repeat "
        f"{args.repeat}" + (f" --baseline {args.baseline}" if args.baseline else "") + "`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}; load average {load0[0]:.1f} before, {load1[0]:.1f} "
        "after. Headless Chromium (Debian), --disable-gpu, a fresh incognito context per visit "
        "(nothing cached); the two sides alternate visit by visit.", "",
        f"Seconds from navigation until every plot has drawn, median of {args.repeat} (each "
        "run listed); then the medians of when plotly.js was ready and of the plots' drawing "
        "time (sum of their `data-ms`), and of the page's main-thread CPU seconds.", "",
        "| page | side | median s | runs | plotly.js ready / plots drawn, s | main-thread "
        "CPU s |", "|---|---|---|---|---|---|", *rows, ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return lines


if __name__ == "__main__":
    sys.exit(main())
