"""The eleventh doctor zoo: a complete, deterministic case list, data as described, a case run
end to end, and the doctor taken from the tree ``--tunecraft`` names."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.doctor_zoo_eleventh import (  # noqa: E402
    CODES,
    eleventh_zoo,
    run,
    select,
    threshold,
    tunecraft_root,
)
from benchmarks.doctor_zoo_eleventh_data import (  # noqa: E402
    ELEVENTH_DIMS,
    TOKEN_DATA,
    load,
    make_model,
)


def test_the_zoo_has_111_runs_30_healthy_and_9_sick_per_code_and_is_deterministic() -> None:
    cases = eleventh_zoo()
    labels = Counter(c.label for c in cases)
    assert len(cases) == 111
    assert labels["healthy"] == 30
    assert set(labels) == {"healthy", *CODES}
    assert all(labels[code] == 9 for code in CODES)
    assert len({c.name for c in cases}) == len(cases)
    assert {c.seed for c in cases} == {111, 112, 113}
    assert {c.optimizer for c in cases} == {"sgdr", "nesterov", "amsgrad", "adamw_1cycle",
                                           "rmsprop"}
    assert {c.arch for c in cases} == {"moe", "irse", "causal", "wnmlp", "lstm"}
    assert {c.data for c in cases} == set(ELEVENTH_DIMS)
    assert any(not c.curable for c in cases) and all(c.curable for c in cases
                                                     if c.label == "healthy")
    assert eleventh_zoo() == cases
    assert {c.label for c in select(cases, "plateau")} == {"plateau"}


def test_the_healthy_label_needs_half_the_way_from_chance_to_perfect() -> None:
    assert threshold("palin") == pytest.approx(0.75)
    assert threshold("scurve") == pytest.approx(0.625)
    assert threshold("fried3") == pytest.approx(2 / 3)


@pytest.mark.parametrize("name", sorted(ELEVENTH_DIMS))
def test_every_dataset_splits_deterministically_with_the_declared_shape(name: str) -> None:
    (xt, yt), (xv, yv) = load(name, 111)
    n_in, classes = ELEVENTH_DIMS[name]
    assert xt.shape[0] == 600 and yt.shape[0] == 600 and xv.shape[0] == yv.shape[0] == 240
    assert set(yt.tolist()) == set(range(classes))
    if name in TOKEN_DATA:
        assert xt.dtype.is_floating_point is False and int(xt.max()) < n_in
    else:
        assert xt[0].numel() == n_in
    assert load(name, 111)[0][0].equal(xt)
    assert load(name, 111, 48)[0][0].shape[0] == 48


def test_the_labels_mean_what_the_datasets_say() -> None:
    (x, y), _ = load("palin", 112)
    assert (y == 1).equal((x == x.flip(1)).all(1))
    (img, sym), _ = load("mirror", 112)
    gap = (img - img.flip(3)).abs().flatten(1).mean(1)
    assert gap[sym == 1].max() < gap[sym == 0].min()  # only noise breaks a mirror image
    raw = load("fried2_raw", 111)[0][0]
    std = load("fried2", 111)[0][0]
    assert raw.abs().max().item() > 100 and std.std(0).sub(1).abs().max().item() < 0.01


def test_weight_scaling_scales_every_weight_matrix_also_weight_normalised_ones() -> None:
    import torch

    torch.manual_seed(0)
    plain = make_model("wnmlp", "scurve")(None)
    torch.manual_seed(0)
    big = make_model("wnmlp", "scurve", weight=5.0)(None)
    x = torch.randn(4, 12)
    first_plain, first_big = plain[1][0], big[1][0]
    assert torch.allclose(first_big.weight, 5.0 * first_plain.weight, rtol=1e-5)
    assert big(x).abs().max() > plain(x).abs().max()


def test_two_shrunk_cases_run_end_to_end_with_a_repair() -> None:
    cases = eleventh_zoo()
    healthy = next(c for c in cases if c.label == "healthy" and c.optimizer == "amsgrad")
    sick = next(c for c in cases if c.label == "lr_too_high" and c.arch == "lstm")
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
