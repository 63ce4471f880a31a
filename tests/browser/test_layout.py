"""Layout at 1280 px in headless Chromium: no title under the toolbar, slice panels titled by
their own parameter, tables that fit, and the partial plotly.js bundle drawing every plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tunecraft as tc
from tests.browser._support import shot
from tunecraft.viz.plotlyjs import PARTIAL_FILE, PARTIAL_TRACES
from tunecraft.viz.report import write_report

pytestmark = pytest.mark.slow

WIDTH = 1280
# Rectangles of text in one plot: its title, the toolbar, annotations and tick labels.
RECTS = """(box) => {
  const r = (e) => { const b = e.getBoundingClientRect();
                     return {l: b.left, r: b.right, t: b.top, b: b.bottom, w: b.width}; };
  const q = (s) => [...box.querySelectorAll(s)].map(r).filter((x) => x.w > 0);
  return {title: q('.gtitle'), modebar: q('.modebar'), notes: q('g.annotation'),
          xticks: q('g.xtick text'), yticks: q('g.ytick text'), plots: q('rect.nsewdrag'),
          panel: r(box)};
}"""
# Elements of the page that stick out on the right: wider than the document or their section.
OVERFLOW = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) out.push('document ' + doc.scrollWidth);
  for (const t of document.querySelectorAll('table')) {
    const holder = t.closest('.scroll') || t.closest('section');
    const box = holder.getBoundingClientRect();
    const right = t.getBoundingClientRect().right;
    if (right > box.right + 1 || holder.scrollWidth > holder.clientWidth + 1)
      out.push((t.id || t.className) + ' ' + Math.round(t.getBoundingClientRect().width) + ' > ' +
               Math.round(box.width));
  }
  return out;
}"""
PARAMS = 8


def objective(trial: tc.Trial) -> float:
    """Eight parameters with long names (three rows of slice panels, wide tables)."""
    value = 0.0
    for i in range(PARAMS - 1):
        value += (trial.suggest_float(f"layer_{i}_learning_rate_multiplier", 1e-4, 1.0,
                                      log=True) - 0.1) ** 2
    opt = trial.suggest_categorical("optimizer_name", ["adam", "sgd", "rmsprop"])
    for step in range(3):
        trial.report(value + 1 / (step + 1), step)
    return value + (opt == "sgd")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    study = tc.create_study(study_name="layout", sampler=tc.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=60)
    path = tmp_path_factory.mktemp("layout") / "report.html"
    write_report(study, path)
    return Path(path).as_uri()


@pytest.fixture
def wide(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two rectangles share more than a pixel."""
    return (a["l"] < b["r"] - 1 and b["l"] < a["r"] - 1
            and a["t"] < b["b"] - 1 and b["t"] < a["b"] - 1)


def panel_rects(page: Any, key: str) -> dict[str, Any]:
    box = page.locator(f"[data-panel='{key}']")
    box.hover()  # the toolbar shows on hover
    rects: dict[str, Any] = box.evaluate(RECTS)
    return rects


def test_no_title_lies_under_the_toolbar(wide: Any, report: str) -> None:
    wide.goto(report)
    wide.wait_for_selector("body[data-ready='1']", timeout=60_000)
    keys = wide.eval_on_selector_all("[data-panel][data-plotted]",
                                     "bs => bs.map(b => b.dataset.panel)")
    assert {"history", "importance", "parallel", "slice", "contour"} <= set(keys)
    for key in keys:
        rects = panel_rects(wide, key)
        assert rects["title"] and rects["modebar"], key
        for title in rects["title"]:
            assert not any(overlap(title, bar) for bar in rects["modebar"]), key
            assert title["r"] <= rects["panel"]["r"], key
    assert wide.errors == []


def test_slice_titles_sit_on_their_own_panels(wide: Any, report: str) -> None:
    wide.goto(report)
    wide.wait_for_selector("body[data-ready='1']", timeout=60_000)
    rects = panel_rects(wide, "slice")
    shot(wide, "report-1280")
    notes, plots = rects["notes"], sorted(rects["plots"], key=lambda p: (p["t"], p["l"]))
    assert len(notes) == len(plots) == PARAMS
    for note in notes:
        below = [p for p in plots if p["l"] <= (note["l"] + note["r"]) / 2 <= p["r"]
                 and p["t"] >= note["b"] - 1]
        above = [p for p in plots if p["l"] <= (note["l"] + note["r"]) / 2 <= p["r"]
                 and p["b"] <= note["t"] + 1]
        own = min(below, key=lambda p: p["t"] - note["b"])
        assert own["t"] - note["b"] < 15  # right on top of its panel
        if above:  # and clear of the row above, whose tick labels lie between
            assert note["t"] - max(p["b"] for p in above) > 25
        for tick in rects["xticks"] + rects["yticks"]:
            assert not overlap(note, tick)


def test_tables_fit_at_1280_px_in_the_report(wide: Any, report: str) -> None:
    wide.goto(report)
    wide.wait_for_selector("body[data-ready='1']", timeout=60_000)
    assert wide.evaluate(OVERFLOW) == []


def test_tables_fit_at_1280_px_in_the_dashboard(wide: Any, dashboard: str) -> None:
    for path in ("/", "/study?name=demo", "/trial?study=demo&number=0"):
        wide.goto(dashboard + path)
        wide.wait_for_selector("body[data-ready='1']", timeout=60_000)
        assert wide.evaluate(OVERFLOW) == [], path
    assert wide.errors == []


def test_the_home_page_shows_each_studys_best_value(wide: Any, dashboard: str) -> None:
    wide.goto(dashboard + "/")
    wide.wait_for_selector("body[data-ready='1']", timeout=60_000)
    heads = wide.locator("#study-list thead th").all_inner_texts()
    assert heads[:3] == ["study", "directions", "best"]
    best = wide.locator("#study-list tbody tr[data-study='demo'] td.best").inner_text()
    value, number = best.split(" (#")
    assert float(value) >= 0 and number.rstrip(")").isdigit()


def test_the_dashboard_loads_the_partial_bundle_whose_traces_python_knows(
        wide: Any, dashboard: str) -> None:
    scripts: list[str] = []
    wide.on("request", lambda r: scripts.append(r.url) if r.url.endswith(".js") else None)
    wide.goto(dashboard + "/study?name=demo")
    wide.wait_for_selector("body[data-ready='1']", timeout=60_000)
    assert any(u.endswith(f"/static/{PARTIAL_FILE}") for u in scripts)
    assert not any(u.endswith("/static/plotly.min.js") for u in scripts)
    traces = wide.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)")
    assert set(traces) == PARTIAL_TRACES
