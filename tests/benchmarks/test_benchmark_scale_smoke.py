"""Smoke test of the issue-12 scale benchmark (``python -m benchmarks.scale``) on a tiny study:
it builds the study, times the commands, the dashboard and TPE, and writes its report."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import scale, scale_tpe


def test_scale_benchmark_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "scale.md"
    assert scale.main(["--trials", "40", "--repeat", "1", "--db", str(tmp_path / "s.db"),
                       "--sizes", "12", "24", "--tpe-repeat", "2", "--skip", "quality",
                       "--out", str(out), "--raw", str(tmp_path / "raw.json")]) == 0
    text = out.read_text()
    for fragment in ("`tunecraft studies`", "`tunecraft trials scale --limit 10`",
                     "first `/api/study`", "N = 24"):
        assert fragment in text
    assert scale.ensure_study(tmp_path / "s.db", 40) == 0.0  # reused, not rebuilt
    assert set(json.loads((tmp_path / "raw.json").read_text())) >= {"cli", "dashboard", "tpe"}


def test_quality_table_renders() -> None:
    regrets = {str(s): [1.0 + s, 0.5 + s, 0.25 + s] for s in range(3)}
    raw = {"branin": {v: regrets for v in scale_tpe.QUALITY_VARIANTS}}
    lines = scale_tpe.render_quality(json.loads(json.dumps(raw)))
    assert any(line.startswith("| branin | bound 250 | 2 (1.00)") for line in lines)
