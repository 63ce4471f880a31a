"""End to end in headless Chromium: the dashboard and the offline report, as a person sees them."""

from __future__ import annotations

import subprocess
import sys
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

import tunecraft as tc
from tests.browser._support import ARTIFACTS, N_TRIALS, ROOT, XSS, objective, shot
from tunecraft.cli.main import main
from tunecraft.viz import table

pytestmark = pytest.mark.slow

# Every panel that holds a figure has drawn SVG with at least one trace of data.
PLOTS_DRAWN = """() => {
  const boxes = [...document.querySelectorAll('[data-panel][data-plotted]')];
  return boxes.map(b => [b.dataset.panel,
                         b.querySelectorAll('svg.main-svg g.trace, svg.main-svg g.bars').length]);
}"""


def wait_ready(page: Any) -> None:
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)


def check_plots(page: Any, expected: set[str]) -> None:
    drawn = dict(page.evaluate(PLOTS_DRAWN))
    assert expected <= set(drawn), drawn
    assert all(n > 0 for n in drawn.values()), drawn


def test_study_list_shows_every_study_and_names_as_text(page: Any, dashboard: str) -> None:
    page.goto(dashboard + "/")
    wait_ready(page)
    names = page.locator("#study-list tbody tr td:first-child").all_inner_texts()
    assert names == ["demo", XSS]
    shot(page, "dashboard-studies")
    assert page.dialogs == [] and page.errors == []


def test_study_page_shows_plots_and_every_trial(page: Any, dashboard: str) -> None:
    page.goto(f"{dashboard}/study?name=demo")
    wait_ready(page)
    assert page.locator("#summary-cards").get_attribute("data-trials") == str(N_TRIALS)
    assert page.locator("#trials-table").get_attribute("data-total") == str(N_TRIALS)
    assert page.locator("table.trials tbody tr").count() == N_TRIALS
    check_plots(page, {"history", "importance", "parallel", "slice", "contour",
                       "intermediate", "timeline", "distribution"})
    # sorting by value puts the best trial first; filtering by state narrows the table
    page.click("th[data-sort='value']")
    expect(page.locator("th[data-sort='value']")).to_have_class("sorted")
    best = page.locator("#best h3 a").inner_text().lstrip("#")
    expect(page.locator("table.trials tbody tr").first).to_have_attribute("data-number", best)
    shot(page, "dashboard-study")
    assert page.errors == []


def test_a_trial_written_by_another_process_appears_without_reload(
        page: Any, dashboard: str, db: str) -> None:
    page.goto(f"{dashboard}/study?name=demo")
    wait_ready(page)
    before = int(page.locator("#summary-cards").get_attribute("data-trials"))
    page.evaluate("window.__noReload = true")
    code = ("import sys, tunecraft as tc; from tests.browser._support import objective; "
            "tc.load_study(study_name='demo', storage=sys.argv[1]).optimize(objective, "
            "n_trials=1)")
    subprocess.run([sys.executable, "-c", code, db], check=True, cwd=ROOT, timeout=120)
    expect(page.locator("#summary-cards")).to_have_attribute(
        "data-trials", str(before + 1), timeout=30_000)
    expect(page.locator("#trials-table")).to_have_attribute(
        "data-total", str(before + 1), timeout=30_000)
    assert page.evaluate("window.__noReload") is True
    assert page.errors == []


def test_trial_page_shows_params_and_reports(page: Any, dashboard: str) -> None:
    page.goto(f"{dashboard}/study?name=demo")
    wait_ready(page)
    page.locator("table.trials tbody tr a").first.click()
    page.wait_for_url("**/trial?*")
    wait_ready(page)
    params = page.locator("#trial-params th").all_inner_texts()
    assert sorted(params) == ["lr", "opt", "x"]
    assert page.locator("#reports svg.main-svg g.trace").count() >= 1
    shot(page, "dashboard-trial")
    assert page.errors == []


def test_xss_study_name_is_text_in_the_dashboard(page: Any, dashboard: str) -> None:
    page.goto(f"{dashboard}/study?name={quote(XSS)}")
    wait_ready(page)
    assert page.locator("#study-name").inner_text() == XSS
    assert page.locator("script:not([src])").count() == 0
    assert page.dialogs == [] and page.errors == []


def test_report_opens_offline_and_renders(page: Any, db: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "report.html"
    study = tc.load_study(study_name=XSS, storage=db)
    study.optimize(objective, n_trials=6)  # give it reports and several parameters
    assert main(["report", XSS, "--storage", db, "-o", str(out)]) == 0
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
        "file:") else route.continue_())  # offline: any network request fails
    page.goto(out.as_uri())
    wait_ready(page)
    assert page.locator("#study-name").inner_text() == XSS
    assert page.locator("#trials-table").get_attribute("data-total") == "10"
    check_plots(page, {"history", "slice", "timeline", "distribution"})
    shot(page, "report")
    # the rows travel as columns (table.columnar) and sort as the dashboard's server sorts
    # them: by a parameter that only the first 4 trials have, the other 6 last, shown "–"
    page.click("th[data-sort='param:y']")
    expect(page.locator("th[data-sort='param:y']")).to_have_class("sorted")
    rows = table.query(table.rows(study.history().trials), sort="param:y")["rows"]
    shown = page.locator("table.trials tbody tr")
    assert [int(n) for n in shown.evaluate_all("rs => rs.map(r => r.dataset.number)")] == [
        r["number"] for r in rows]
    y = page.locator("table.trials thead th").all_inner_texts().index("y")
    cells = [shown.nth(i).locator("td").nth(y).inner_text() for i in range(10)]
    assert cells[4:] == ["–"] * 6 and all(c != "–" for c in cells[:4])
    assert page.dialogs == [] and page.errors == []
