"""Each trial's training-doctor diagnosis and the per-problem cost, in the report and the
dashboard API."""

from __future__ import annotations

import json
import re
from typing import Any

import tunecraft as tc
from tests._live_server import request, serve
from tunecraft.dashboard import create_app
from tunecraft.storage import InMemoryStorage
from tunecraft.viz.diagnoses import problem_costs, trial_label
from tunecraft.viz.report import render_report


def _dx(*problems: tuple[str, str]) -> dict[str, Any]:
    """A recorded diagnosis, as ``Diagnosis.to_dict()`` writes it."""
    return {"problems": [{"code": c, "severity": s, "evidence": f"{c} <seen>", "remedy": "r",
                          "data": {}} for c, s in problems],
            "steps": 10, "epochs": 2, "context": {}, "healthy": all(s == "info" for _, s in
                                                                   problems)}


PLAN = [_dx(("lr_too_high", "error")), _dx(), _dx(("overfitting", "info")),
        _dx(("dead_units", "error"), ("lr_too_low", "warning")), None,
        _dx(("lr_too_high", "error"))]


def _objective(trial: tc.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    epochs = 1 + trial.number % 3
    for step in range(epochs):
        trial.report(x, step)
    dx = PLAN[trial.number]
    if dx is not None:
        trial.set_user_attr("diagnosis", dx)
    if trial.number == 5:
        raise tc.TrialPruned()
    return x


def _study() -> tc.Study:
    storage = InMemoryStorage()
    study = tc.create_study(storage=storage, study_name="dx",
                            sampler=tc.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=len(PLAN))
    return study


def test_labels_and_costs() -> None:
    trials = _study().trials
    assert [trial_label(t) for t in trials] == [
        "lr_too_high", "healthy", "healthy", "dead_units, lr_too_low", None, "lr_too_high"]
    costs = problem_costs(trials)
    assert costs["diagnosed"] == 5 and costs["healthy"] == 2
    by = {r["code"]: r for r in costs["problems"]}
    assert list(by) == ["lr_too_high", "dead_units", "lr_too_low"]  # most trials first
    assert by["lr_too_high"]["trials"] == 2
    assert by["lr_too_high"]["states"] == {"COMPLETE": 1, "PRUNED": 1}
    assert by["lr_too_high"]["epochs"] == 1 + 3  # trials 0 and 5 reported 1 and 3 epochs
    assert by["lr_too_high"]["epoch_share"] == (1 + 3) / sum(1 + n % 3 for n in range(6))
    assert by["lr_too_high"]["example"]["trial"] == 0


def test_report_shows_problem_costs_and_each_trials_diagnosis() -> None:
    study = _study()
    page = render_report(study, "dx", importance=None)
    assert 'id="problems-table"' in page and "diagnosed 5 trials (2 healthy)" in page
    assert "<td>lr_too_high</td><td>2</td><td>1 complete, 1 pruned</td>" in page
    assert "lr_too_high &lt;seen&gt;" in page and "<seen>" not in page  # escaped evidence
    found = re.search(r'id="tc-data">(.*?)</script>', page, re.S)
    assert found is not None
    payload = json.loads(found.group(1))
    assert payload["columns"]["diagnosis"] is True
    # the offline table ships columns (tunecraft.fromColumns rebuilds the rows in the page)
    assert payload["table"]["diagnosis"][:2] == ["lr_too_high", "healthy"]
    plain = tc.create_study(storage=InMemoryStorage(), study_name="plain")
    plain.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert "problems-table" not in render_report(plain, "plain", importance=None)


def test_dashboard_api_answers_problems_and_trial_diagnoses() -> None:
    study = _study()
    with serve(create_app(study._storage, importance=None)) as base:  # noqa: SLF001
        r = request(base, "/api/problems", name="dx")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["diagnosed"] == 5 and body["problems"][0]["code"] == "lr_too_high"
        assert body["problems"][0]["trials"] == 2
        rows = request(base, "/api/trials", name="dx", sort="diagnosis").json()["rows"]
        assert [r["diagnosis"] for r in rows][-1] is None  # no diagnosis sorts last
        found = request(base, "/api/trials", name="dx", q="dead_units").json()["rows"]
        assert [r["number"] for r in found] == [3]
        assert request(base, "/api/trial", name="dx", number=3).json()["diagnosis"] == (
            "dead_units, lr_too_low")
        assert request(base, "/api/problems", name="nope").status_code == 404
