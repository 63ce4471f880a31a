"""The blind doctor zoo: a complete, deterministic case list, and cases run end to end."""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.doctor_zoo_blind import CODES, blind_zoo, run, select, tunecraft_root  # noqa: E402


def test_the_zoo_has_every_code_a_quarter_healthy_and_is_deterministic() -> None:
    cases = blind_zoo()
    labels = Counter(c.label for c in cases)
    assert len(cases) >= 100
    assert set(labels) == {"healthy", *CODES}
    assert all(labels[code] >= 9 for code in CODES)
    assert 0.2 <= labels["healthy"] / len(cases) <= 0.3
    assert len({c.name for c in cases}) == len(cases)
    assert {c.optimizer for c in cases} >= {"sgd", "sgd0", "adam", "adamw", "rmsprop"}
    assert {c.arch for c in cases} >= {"mlp", "ln_mlp", "cnn_s2", "lstm2", "rnn", "tblock"}
    assert blind_zoo() == cases
    assert {c.label for c in select(cases, "plateau")} == {"plateau"}


def test_two_shrunk_cases_run_end_to_end_with_a_repair() -> None:
    cases = blind_zoo()
    healthy = next(c for c in cases if c.label == "healthy" and c.arch == "mlp")
    sick = next(c for c in cases if c.label == "lr_too_high" and c.arch == "mlp")
    small = [dataclasses.replace(c, epochs=2, n_train=192) for c in (healthy, sick)]
    rows = run(small)
    assert [r["name"] for r in rows] == [healthy.name, sick.name]
    for row in rows:
        assert 0.0 <= row["accuracy"] <= 1.0
        assert row["label"] in ("healthy", "healthy_untrained", "lr_too_high")
        assert row["config"] == next(c.config for c in small if c.name == row["name"])
    assert "healthy_after" in rows[1] or not rows[1]["codes"]


def test_the_doctor_comes_from_the_first_pythonpath_tree_holding_tunecraft(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    (tree / "tunecraft").mkdir(parents=True)
    (tree / "tunecraft" / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path / "none"), str(tree)]))
    assert tunecraft_root(None) == str(tree)
    assert tunecraft_root(str(tree)) == str(tree)
    with pytest.raises(SystemExit, match="holds no tunecraft"):
        tunecraft_root(str(tmp_path))
