"""The multi-fidelity benchmark runs end to end on a tiny budget and writes its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("optuna")

from benchmarks import multifidelity  # noqa: E402


def test_a_tiny_run_writes_the_report_and_rebuilds_it_from_json(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture
                                                                [str]) -> None:
    out, raw = tmp_path / "r.md", tmp_path / "r.json"
    multifidelity.main(["--seeds", "1", "--tasks", "digits-mlp", "--random-trials", "2",
                        "--methods", "random-full", "tc-hyperband", "optuna-hyperband",
                        "--jobs", "1", "--out", str(out), "--raw", str(raw)])
    text = out.read_text()
    assert "| tc-hyperband |" in text and "| optuna-hyperband |" in text
    assert "--random-trials 2" in text
    data = json.loads(raw.read_text())
    runs = [multifidelity.Run(**r) for r in data["runs"]]
    assert {r.method for r in runs} == {"random-full", "tc-hyperband", "optuna-hyperband"}
    base = next(r for r in runs if r.method == "random-full")
    assert base.epochs == [27, 54] and base.best() == data["targets"]["digits-mlp"]
    for r in runs:  # every method stops at the target or at the random search's budget
        reached = r.to_target(data["targets"]["digits-mlp"])[0]
        assert reached == r.epochs[-1] or r.epochs[-1] >= 54
    capsys.readouterr()
    rebuilt = tmp_path / "again.md"
    multifidelity.main(["--from-json", str(raw), "--out", str(rebuilt)])
    assert rebuilt.read_text() == text
