"""The seventh doctor zoo: a complete, deterministic case list, data as described, a case run
end to end, and the doctor taken from the tree ``--tunecraft`` names."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.doctor_zoo_seventh import (  # noqa: E402
    CODES,
    run,
    select,
    seventh_zoo,
    tunecraft_root,
)
from benchmarks.doctor_zoo_seventh_data import SEVENTH_DIMS, TOKEN_DATA, load  # noqa: E402


def test_the_zoo_has_120_runs_30_healthy_and_8_sick_per_code_and_is_deterministic() -> None:
    cases = seventh_zoo()
    labels = Counter(c.label for c in cases)
    assert len(cases) >= 120
    assert labels["healthy"] >= 30
    assert set(labels) == {"healthy", *CODES}
    assert all(labels[code] >= 8 for code in CODES)
    assert len({c.name for c in cases}) == len(cases)
    assert all(c.recipe for c in cases)
    assert {c.optimizer for c in cases} >= {"sgd", "nesterov", "adam", "adamw", "rmsprop",
                                           "adagrad", "nadam", "radam", "adamax"}
    assert {c.arch for c in cases} == {"mlp", "mixmlp", "resmlp", "cnn", "bncnn", "cnn1d",
                                      "gru_emb", "bilstm", "attnpool"}
    assert {c.data for c in cases} == set(SEVENTH_DIMS)
    assert any(not c.curable for c in cases) and all(c.curable for c in cases
                                                     if c.label == "healthy")
    assert seventh_zoo() == cases
    assert {c.label for c in select(cases, "plateau")} == {"plateau"}


@pytest.mark.parametrize("name", sorted(SEVENTH_DIMS))
def test_every_dataset_splits_deterministically_with_the_declared_shape(name: str) -> None:
    (xt, yt), (xv, yv) = load(name, 61)
    n_in, classes = SEVENTH_DIMS[name]
    assert xt.shape[0] == yt.shape[0] and xv.shape[0] == yv.shape[0] and xv.shape[0] > 100
    assert set(yt.tolist()) == set(range(classes))
    if name in TOKEN_DATA:
        assert xt.dtype.is_floating_point is False and int(xt.max()) < n_in
    else:
        assert xt[0].numel() == n_in
    assert load(name, 61)[0][0].equal(xt)
    assert load(name, 61, 40)[0][0].shape[0] == 40


def test_two_shrunk_cases_run_end_to_end_with_a_repair() -> None:
    cases = seventh_zoo()
    healthy = next(c for c in cases if c.label == "healthy" and c.optimizer == "nadam")
    sick = next(c for c in cases if c.label == "lr_too_high" and c.data == "tokens")
    small = [dataclasses.replace(c, epochs=2, n_train=96) for c in (healthy, sick)]
    rows = run(small)
    assert [r["name"] for r in rows] == [healthy.name, sick.name]
    for row in rows:
        assert 0.0 <= row["accuracy"] <= 1.0
        assert row["config"] == next(c.config for c in small if c.name == row["name"])
    assert rows[0]["label"] in ("healthy", "healthy_untrained")
    assert rows[1]["label"] == "lr_too_high"
    assert "healthy_after" in rows[1] or not rows[1]["codes"]


def test_the_tunecraft_tree_must_hold_the_package(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "tunecraft").mkdir(parents=True)
    (tree / "tunecraft" / "__init__.py").write_text("")
    assert tunecraft_root(None) is None
    assert tunecraft_root(str(tree)) == str(tree)
    with pytest.raises(SystemExit, match="holds no tunecraft"):
        tunecraft_root(str(tmp_path))
