"""The offline HTML report: one file, plotly.js inlined once, every user string escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import tunecraft as tc
from tunecraft.cli.main import main
from tunecraft.viz.report import plotly_js, render_report, script_json, write_report

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def storage_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("report") / "studies.db")
    study = tc.create_study(storage=path, study_name=XSS,
                            sampler=tc.samplers.RandomSampler(seed=1))

    def objective(trial: tc.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        kind = trial.suggest_categorical("<img src=x onerror=alert(2)>", ["a", "b"])
        trial.set_user_attr("note", "</script><script>alert(3)</script>")
        for step in range(3):
            trial.report(x * x + step, step)
        return x * x + (kind == "b")

    study.optimize(objective, n_trials=30)
    return path


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="tc-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_report_is_self_contained_and_escapes_user_text(storage_path: str,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code = main(["report", XSS, "--storage", storage_path, "-o", str(out)])
    assert code == 0
    html = out.read_text(encoding="utf-8")
    # plotly.js inlined exactly once; no network fetches
    bundle = plotly_js().replace("</script", "<\\/script")
    assert html.count(bundle) == 1
    ours = html.replace(bundle, "")
    assert not re.search(r"<script[^>]+src=", ours)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", ours)
    # the study name and the parameter name are text, never markup
    assert XSS not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script") == html.count("</script>") == 4  # data, plotly, ours, boot
    data = _data(html)
    assert data["table"]["number"] == list(range(30))
    assert set(data["table"]["params"]) == {"x", "<img src=x onerror=alert(2)>"}
    assert data["columns"]["params"] == sorted(["x", "<img src=x onerror=alert(2)>"])
    keys = {p["key"]: p for p in data["panels"]}
    assert keys["history"]["figure"] is not None and keys["pareto"]["figure"] is None
    assert "importance-table" in html


def test_script_json_cannot_close_the_script_element() -> None:
    text = script_json({"a": "</script><!--", "b": float("nan")})
    assert "<" not in text and ">" not in text
    assert json.loads(text) == {"a": "</script><!--", "b": None}


def test_report_of_a_history_and_options(storage_path: str, tmp_path: Path) -> None:
    history = tc.load_study(study_name=XSS, storage=storage_path).history()
    html = render_report(history, "plain", importance="ped-anova")
    assert "PED-ANOVA" in html and "<h1 id=\"study-name\">plain</h1>" in html
    assert "importance-table" not in render_report(history, "x", importance=None)
    empty = tc.create_study(study_name="empty")
    path = write_report(empty, tmp_path / "empty.html")
    assert "No completed trial yet" in path.read_text(encoding="utf-8")


def test_report_cli_errors_and_default_name(storage_path: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "nope", "--storage", storage_path]) == 1
    assert "no study named 'nope'" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert main(["report", XSS, "--storage", storage_path, "--importance", "none"]) == 0
    assert (tmp_path / "_script_alert_1___script_.html").exists()
