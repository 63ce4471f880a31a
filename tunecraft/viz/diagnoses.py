"""The training doctor's verdicts in the report and the dashboard: per trial and per study.

``fit(..., doctor=True)`` writes ``Diagnosis.to_dict()`` on each trial (user attribute
``diagnosis``). :func:`trial_label` is the short form a trials table shows;
:func:`problem_costs` counts, per problem, the trials that had it and the epochs they used,
which is what each problem cost the study. Plain dicts in and out (no torch import).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from tunecraft.record import FrozenTrial

__all__ = ["ATTR", "problem_costs", "problems_html", "trial_label", "trial_problems"]

ATTR = "diagnosis"
"""The trial user attribute ``fit(doctor=True)`` writes (``tunecraft.torch.doctor``)."""

_RANK = {"info": 0, "warning": 1, "error": 2}


def trial_problems(trial: FrozenTrial) -> list[Mapping[str, Any]] | None:
    """The trial's recorded problems above ``info``, most severe first; None when the trial
    has no diagnosis."""
    data = trial.user_attrs.get(ATTR)
    if not isinstance(data, Mapping) or not isinstance(data.get("problems"), (list, tuple)):
        return None
    found = [p for p in data["problems"] if isinstance(p, Mapping)
             and _RANK.get(str(p.get("severity")), 0) >= 1 and p.get("code")]
    return sorted(found, key=lambda p: -_RANK[str(p["severity"])])


def trial_label(trial: FrozenTrial) -> str | None:
    """``"healthy"``, or the codes of the problems above ``info`` (most severe first), or
    None without a diagnosis."""
    found = trial_problems(trial)
    if found is None:
        return None
    return ", ".join(dict.fromkeys(str(p["code"]) for p in found)) or "healthy"


def problem_costs(trials: Iterable[FrozenTrial]) -> dict[str, Any]:
    """Per problem code: the trials that had it (above ``info``), how they ended, and the
    epochs (reported steps) they used; plus the totals they are a share of."""
    rows: dict[str, dict[str, Any]] = {}
    diagnosed = healthy = total_epochs = 0
    for t in trials:
        epochs = len(t.intermediate_values)
        total_epochs += epochs
        found = trial_problems(t)
        if found is None:
            continue
        diagnosed += 1
        if not found:
            healthy += 1
        for code in dict.fromkeys(str(p["code"]) for p in found):
            row = rows.setdefault(code, {"code": code, "trials": 0, "epochs": 0, "states": {},
                                         "diverged": 0, "example": None})
            row["trials"] += 1
            row["epochs"] += epochs
            row["states"][t.state.name] = row["states"].get(t.state.name, 0) + 1
            row["diverged"] += int("diverged" in t.user_attrs)
            if row["example"] is None:
                first = next(p for p in found if p["code"] == code)
                row["example"] = {"trial": t.number, "evidence": str(first.get("evidence", ""))}
    ordered = sorted(rows.values(), key=lambda r: (-r["trials"], r["code"]))
    for r in ordered:
        r["epoch_share"] = r["epochs"] / total_epochs if total_epochs else 0.0
    return {"diagnosed": diagnosed, "healthy": healthy, "epochs": total_epochs,
            "problems": ordered}


def problems_html(costs: Mapping[str, Any]) -> str:
    """The per-problem table of the HTML report ('' when no trial has a diagnosis)."""
    if not costs["diagnosed"]:
        return ""
    e = html.escape
    body = []
    for r in costs["problems"]:
        states = ", ".join(f"{n} {s.lower()}" for s, n in sorted(r["states"].items()))
        ex = r["example"] or {}
        body.append(
            f"<tr><td>{e(r['code'])}</td><td>{r['trials']}</td><td>{e(states)}</td>"
            f"<td>{r['epochs']} ({100 * r['epoch_share']:.0f}%)</td>"
            f"<td>#{ex.get('trial', '')}: {e(str(ex.get('evidence', ''))[:240])}</td></tr>")
    rows = "".join(body) or '<tr><td colspan="5">no problem above info</td></tr>'
    return ('<section id="problems"><h2>Training problems</h2><p class="muted">The training '
            f"doctor diagnosed {costs['diagnosed']} trials ({costs['healthy']} healthy). Per "
            "problem: the trials that had it, how they ended, and the epochs they used (share "
            "of all epochs).</p><table class=\"tc\" id=\"problems-table\"><thead><tr><th>"
            "problem</th><th>trials</th><th>ended</th><th>epochs</th><th>example</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></section>")
