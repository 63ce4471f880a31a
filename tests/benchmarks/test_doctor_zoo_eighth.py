"""The eighth doctor zoo: a complete, deterministic case list, data as described, a case run
end to end, and the doctor taken from the tree ``--tunecraft`` names."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.doctor_zoo_eighth import (  # noqa: E402
    CODES,
    eighth_zoo,
    run,
    select,
    threshold,
    tunecraft_root,
)
from benchmarks.doctor_zoo_eighth_data import EIGHTH_DIMS, TOKEN_DATA, load  # noqa: E402


def test_the_zoo_has_110_runs_30_healthy_and_9_sick_per_code_and_is_deterministic() -> None:
    cases = eighth_zoo()
    labels = Counter(c.label for c in cases)
    assert len(cases) >= 110
    assert labels["healthy"] >= 30
    assert set(labels) == {"healthy", *CODES}
    assert all(labels[code] >= 9 for code in CODES)
    assert len({c.name for c in cases}) == len(cases)
    assert all(c.recipe for c in cases)
    assert {c.optimizer for c in cases} >= {"sgd", "nesterov", "adam", "adamw", "rmsprop",
                                           "adagrad", "nadam", "radam", "adamax"}
    assert {c.arch for c in cases} == {"deepmlp", "gatedmlp", "densemlp", "dwcnn", "mixer",
                                      "tcn", "lstm", "tokcnn"}
    assert {c.data for c in cases} == set(EIGHTH_DIMS)
    assert any(not c.curable for c in cases) and all(c.curable for c in cases
                                                     if c.label == "healthy")
    assert eighth_zoo() == cases
    assert {c.label for c in select(cases, "plateau")} == {"plateau"}


def test_the_healthy_label_needs_half_the_way_from_chance_to_perfect() -> None:
    assert threshold("hastie") == pytest.approx(0.75)
    assert threshold("roll") == pytest.approx(0.625)


@pytest.mark.parametrize("name", sorted(EIGHTH_DIMS))
def test_every_dataset_splits_deterministically_with_the_declared_shape(name: str) -> None:
    (xt, yt), (xv, yv) = load(name, 81)
    n_in, classes = EIGHTH_DIMS[name]
    assert xt.shape[0] == yt.shape[0] and xv.shape[0] == yv.shape[0] and xv.shape[0] > 100
    assert set(yt.tolist()) == set(range(classes))
    if name in TOKEN_DATA:
        assert xt.dtype.is_floating_point is False and int(xt.max()) < n_in
    else:
        assert xt[0].numel() == n_in
    assert load(name, 81)[0][0].equal(xt)
    assert load(name, 81, 40)[0][0].shape[0] == 40


def test_the_raw_dataset_is_not_standardised_and_the_others_are() -> None:
    raw = load("hastie_x30", 81)[0][0]
    std = load("hastie", 81)[0][0]
    assert raw.mean().item() > 5 and raw.std().item() > 10
    assert abs(std.mean().item()) < 1e-3 and std.std().item() == pytest.approx(1, abs=0.01)


def test_two_shrunk_cases_run_end_to_end_with_a_repair() -> None:
    cases = eighth_zoo()
    healthy = next(c for c in cases if c.label == "healthy" and c.optimizer == "radam")
    sick = next(c for c in cases if c.label == "lr_too_high" and c.data == "motif")
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
    assert tunecraft_root(str(tree)) == str(tree.resolve())
    with pytest.raises(SystemExit, match="holds no tunecraft"):
        tunecraft_root(str(tmp_path))
