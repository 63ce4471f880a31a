"""The dashboard's JSON API and pages, served by uvicorn on loopback: read-only and paged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import tunecraft as tc
from tests._live_server import Response, request, serve
from tunecraft.dashboard import create_app
from tunecraft.storage import InMemoryStorage

XSS = "<script>alert(1)</script>"


def _objective(trial: tc.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    opt = trial.suggest_categorical("opt", ["adam", "sgd"])
    trial.set_user_attr("tag", "<b>bold</b>")
    for step in range(3):
        trial.report(x + step, step)
    return x + (opt == "sgd")


@pytest.fixture
def storage() -> InMemoryStorage:
    s = InMemoryStorage()
    study = tc.create_study(storage=s, study_name="demo",
                            sampler=tc.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=40)
    tc.create_study(storage=s, study_name=XSS).optimize(
        lambda t: t.suggest_float("y", 0, 1), n_trials=3)
    return s


class Client:
    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Response:
        return request(self.base, path, headers=headers, **(params or {}))

    def call(self, method: str, path: str) -> Response:
        return request(self.base, path, method=method.upper())


@pytest.fixture
def client(storage: InMemoryStorage) -> Iterator[Client]:
    with serve(create_app(storage, importance="ped-anova")) as base:
        yield Client(base)


def get(client: Client, path: str, **params: Any) -> Any:
    r = client.get(path, params)
    assert r.status_code == 200, r.text
    return r.json()


def test_study_list_and_summary(client: Client) -> None:
    studies = {s["name"]: s for s in get(client, "/api/studies")}
    assert studies["demo"]["n_trials"] == 40 and studies["demo"]["counts"] == {"COMPLETE": 40}
    assert studies[XSS]["directions"] == ["minimize"]
    s = get(client, "/api/study", name="demo")
    assert s["n_trials"] == 40 and s["columns"]["params"] == ["opt", "x"]
    assert s["best"][0]["values"][0] == min(r["values"][0] for r in
                                            get(client, "/api/trials", name="demo",
                                                limit=40)["rows"])


def test_trials_are_paged_sorted_and_filtered(client: Client) -> None:
    page = get(client, "/api/trials", name="demo", offset=10, limit=7)
    assert page["total"] == 40 and [r["number"] for r in page["rows"]] == list(range(10, 17))
    by_value = get(client, "/api/trials", name="demo", sort="value", desc=True, limit=40)
    values = [r["values"][0] for r in by_value["rows"]]
    assert values == sorted(values, reverse=True)
    sgd = get(client, "/api/trials", name="demo", q="opt=sgd", limit=40)
    assert 0 < sgd["total"] < 40 and all(r["params"]["opt"] == "sgd" for r in sgd["rows"])
    assert get(client, "/api/trials", name="demo", state="pruned")["total"] == 0
    by_param = get(client, "/api/trials", name="demo", sort="param:x", limit=40)["rows"]
    assert [r["params"]["x"] for r in by_param] == sorted(r["params"]["x"] for r in by_param)
    assert client.get("/api/trials", params={"name": "demo", "limit": 100000}).status_code == 422
    assert client.get("/api/trials", params={"name": "demo", "sort": "x"}).status_code == 422


def test_trial_detail_and_unknowns(client: Client) -> None:
    t = get(client, "/api/trial", name="demo", number=3)
    assert t["number"] == 3 and t["user_attrs"] == {"tag": "<b>bold</b>"}
    assert [s for s, _ in t["intermediate_values"]] == [0, 1, 2]
    assert t["distributions"]["opt"]["choices"] == ["adam", "sgd"]
    assert client.get("/api/trial", params={"name": "demo", "number": 99}).status_code == 404
    assert client.get("/api/study", params={"name": "nope"}).status_code == 404


def test_figures_change_only_when_the_study_does(client: Client,
                                                 storage: InMemoryStorage) -> None:
    first = get(client, "/api/figures", name="demo")
    assert first["changed"] and {p["key"] for p in first["panels"] if p["figure"]} >= {
        "history", "slice", "importance", "intermediate"}
    same = get(client, "/api/figures", name="demo", since=first["version"])
    assert same == {"version": first["version"], "changed": False, "panels": None}
    tc.load_study(study_name="demo", storage=storage).optimize(_objective, n_trials=1)
    later = get(client, "/api/figures", name="demo", since=first["version"])
    assert later["changed"] and later["version"] > first["version"]
    assert get(client, "/api/trials", name="demo")["total"] == 41


def test_importance_endpoint_and_openapi(client: Client) -> None:
    imp = get(client, "/api/importance", name="demo")
    assert imp["method"] == "ped-anova"
    assert {p["name"] for p in imp["params"]} == {"opt", "x"}
    spec = get(client, "/api/openapi.json")
    assert {"/api/studies", "/api/study", "/api/figures", "/api/trials", "/api/trial",
            "/api/importance"} <= set(spec["paths"])


def test_read_only_and_locked_down(client: Client, storage: InMemoryStorage) -> None:
    for method in ("post", "put", "delete", "patch"):
        assert client.call(method, "/api/studies").status_code == 405
    r = client.get("/study", params={"name": "demo"})
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text  # no inline script: the page reads the name from the URL
    for bundle in ("plotly.min.js", "plotly-tunecraft.min.js"):  # full, and the partial one
        js = client.get(f"/static/{bundle}")
        assert js.status_code == 200 and "max-age" in js.headers["cache-control"]
        assert len(js.content) > 1_000_000
    assert client.get("/static/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/static/secret.py").status_code == 404
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN
    assert storage.study_names() == ["demo", XSS]


def test_pages_and_files_answer_head_without_a_body(client: Client) -> None:
    for path in ("/", "/study", "/static/dashboard.js", "/static/plotly.min.js"):
        get = client.get(path)
        head = client.call("head", path)
        assert (head.status_code, head.content) == (200, b""), path
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == str(len(get.content))
    assert client.call("head", "/static/nothing.js").status_code == 404


def test_host_check_blocks_dns_rebinding(storage: InMemoryStorage) -> None:
    app = create_app(storage, allowed_hosts=["127.0.0.1", "localhost"])
    with serve(app) as base:
        client = Client(base)
        assert client.get("/api/studies").status_code == 200
        evil = client.get("/api/studies", headers={"Host": "attacker.example"})
        assert evil.status_code == 400


def test_cli_refuses_bad_ports(capsys: pytest.CaptureFixture[str]) -> None:
    from tunecraft.cli.main import main

    assert main(["dashboard", "--port", "0", "--storage", ":memory:"]) == 2
    assert "--port 0" in capsys.readouterr().err
