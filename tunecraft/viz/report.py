"""A self-contained HTML report of a study: one offline file with plotly.js inlined once
(the 1.2 MB partial bundle when it draws every plot; see :mod:`tunecraft.viz.plotlyjs`).

Summary (best trial, counts by state, time spent), importance ranking, every plot of
:mod:`tunecraft.viz.board` and the trials table (paged, sorted and filtered in the browser). All
text from the study is escaped, and the data travels as JSON read with ``JSON.parse``, so a
study named ``<script>alert(1)</script>`` shows as text. Needs ``pip install 'tunecraft[viz]'``
(for plotly.js, which the plotly package ships).
"""

from __future__ import annotations

import datetime as dt
import html
import json
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from tunecraft.analysis import Importance
from tunecraft.history import History, as_history
from tunecraft.viz import table
from tunecraft.viz.board import compute_importance, study_figures
from tunecraft.viz.diagnoses import problem_costs, problems_html
from tunecraft.viz.figures import clean
from tunecraft.viz.info import SummaryInfo, summary_info
from tunecraft.viz.plotlyjs import bundle_for, plotly_js


def asset(name: str) -> str:
    """A file of tunecraft's front end (``tunecraft.js``, ``tunecraft.css``)."""
    folder = resources.files("tunecraft.viz").joinpath("assets")
    return folder.joinpath(name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<`` (so no ``</script>``), no NaN."""
    text = json.dumps(clean(data), separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def inline_script(code: str) -> str:
    return "<script>" + code.replace("</script", "<\\/script") + "</script>"


def fmt_seconds(s: float) -> str:
    """A duration for people: 12.3s, 4m05s, 2h07m, 3d04h."""
    if s < 60:
        return f"{s:.1f}s"
    m, sec = divmod(int(s), 60)
    if m < 60:
        return f"{m}m{sec:02d}s"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _card(key: str, value: str) -> str:
    e = html.escape
    return f'<div class="card"><div class="k">{e(key)}</div><div class="v">{e(value)}</div></div>'


def summary_html(info: SummaryInfo, history: History) -> str:
    """The summary section: counts, times, the best trial(s) with their parameters."""
    e = html.escape
    cards = [_card("trials", str(info.n_trials))]
    cards += [_card(name.lower(), str(n)) for name, n in info.counts if n]
    cards.append(_card("wall time", fmt_seconds(info.wall_seconds)))
    cards.append(_card("trial time (sum)", fmt_seconds(info.trial_seconds)))
    directions = ", ".join(d.name.lower() for d in history.directions)
    parts = [f'<div class="cards" id="summary-cards">{"".join(cards)}</div>',
             f'<p class="muted">Directions: {e(directions)}</p>']
    if not info.best:
        parts.append("<p>No completed trial yet.</p>")
    else:
        title = "Best trial" if len(info.best) == 1 else f"Pareto front ({len(info.best)} trials)"
        names = sorted({k for t in info.best for k in t.params})
        if len(info.best) == 1:  # one row per field: as narrow as the page, however many params
            t = info.best[0]
            fields = [("#", str(t.number)),
                      ("values", ", ".join(fmt_value(v) for v in t.values or ())),
                      *((n, fmt_value(t.params[n])) for n in names)]
            rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in fields)
            parts.append(f'<h3>{e(title)}</h3><table class="tc kv" id="best"><tbody>{rows}'
                         "</tbody></table>")
            return "".join(parts)
        head = "".join(f"<th>{e(n)}</th>" for n in ["#", "values", *names])
        body = []
        for t in info.best[:50]:
            cells = [str(t.number), ", ".join(fmt_value(v) for v in t.values or ())]
            cells += [fmt_value(t.params[n]) if n in t.params else "–" for n in names]
            body.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
        parts.append(f'<h3>{e(title)}</h3><div class="scroll"><table class="tc" id="best">'
                     f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
    return "".join(parts)


def importance_html(importance: Importance | str | None) -> str:
    """The importance ranking as a table (or the note saying why there is none)."""
    e = html.escape
    if importance is None:
        return ""
    if isinstance(importance, str):
        return f'<section id="importance"><h2>Parameter importance</h2><p class="muted">' \
               f"{e(importance)}</p></section>"
    rows = []
    for rank, (name, value) in enumerate(zip(importance.names, importance.values,
                                             strict=True), 1):
        share = importance.shares()[name]
        spread = "" if importance.spread is None else f"± {importance.spread[rank - 1]:.3g}"
        rows.append(f"<tr><td>{rank}</td><td>{e(name)}</td><td>{value:.4g} {e(spread)}</td>"
                    f"<td>{share:.1%}</td></tr>")
    what = ("fANOVA: fraction of the objective's variance explained by each parameter "
            "(± spread across forest trees)" if importance.method == "fanova" else
            "PED-ANOVA: divergence between the top trials and all trials")
    return (f'<section id="importance"><h2>Parameter importance</h2><p class="muted">'
            f"{e(what)}; {importance.n_trials} trials.</p><table class=\"tc\" "
            f'id="importance-table"><thead><tr><th>rank</th><th>parameter</th><th>importance'
            f"</th><th>share</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


_BOOT = """
(function () {
  const data = JSON.parse(document.getElementById("tc-data").textContent);
  const tc = window.tunecraft;
  tc.trialTable(document.getElementById("trials-table"), data.columns,
                tc.localSource(tc.fromColumns(data.table)));
  tc.renderPanels(document.getElementById("panels"), data.panels).then(() => {
    document.body.dataset.ready = "1";
  });
})();
"""


def render_report(source: Any, study_name: str = "study", *,
                  importance: str | None = "fanova", now: dt.datetime | None = None) -> str:
    """The report as one HTML string (see :func:`write_report`)."""
    history = as_history(source)
    now = now or dt.datetime.now()
    imp = None if importance is None else compute_importance(history, importance)
    panels = study_figures(history, importance=imp, now=now)
    payload = {"panels": [p.to_dict() for p in panels], "columns": table.columns(history),
               "table": table.columnar(table.rows(history.trials))}
    from tunecraft import __version__

    e = html.escape
    return "".join([
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>tunecraft report: {e(study_name)}</title>",
        f"<style>{asset('tunecraft.css')}</style></head><body>",
        f'<header class="tc"><h1 id="study-name">{e(study_name)}</h1>',
        f'<span class="muted">tunecraft {e(__version__)} report, generated '
        f"{e(now.isoformat(' ', 'seconds'))}</span></header><main>",
        '<section id="summary"><h2>Summary</h2>',
        summary_html(summary_info(history, now=now), history), "</section>",
        importance_html(imp),
        problems_html(problem_costs(history.trials)),
        '<section><h2>Plots</h2><div class="panels" id="panels"></div></section>',
        '<section><h2>Trials</h2><div id="trials-table"></div></section></main>',
        f'<script type="application/json" id="tc-data">{script_json(payload)}</script>',
        inline_script(plotly_js(bundle_for(p.figure for p in panels))),
        inline_script(asset("tunecraft.js")),
        inline_script(_BOOT),
        "</body></html>",
    ])


def write_report(source: Any, path: str | PathLike[str], *, study_name: str | None = None,
                 importance: str | None = "fanova", now: dt.datetime | None = None) -> Path:
    """Write the HTML report of a Study (or History) to ``path``; returns the path.

    Args:
        source: A Study or a History.
        path: Where to write the ``.html`` file (overwritten).
        study_name: The title; default the study's name (or "study" for a History).
        importance: ``"fanova"`` (default), ``"ped-anova"``, or None to leave it out.
        now: The report's timestamp and the end of RUNNING trials (default: now).
    """
    name = study_name or getattr(source, "study_name", None) or "study"
    out = Path(path)
    out.write_text(render_report(source, name, importance=importance, now=now),
                   encoding="utf-8")
    return out
