"""The LR-finder benchmark's sixth held-out group: its data, models and runner."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmarks import lr_find_upward  # noqa: E402
from benchmarks.lr_find_report import CHANCE_MARGIN, GRID  # noqa: E402
from benchmarks.lr_find_tasks import (  # noqa: E402
    HELDOUT_5,
    HELDOUT_6,
    SETTINGS,
    make_optimizer,
)
from benchmarks.lr_find_tasks6 import diabetes3, markers  # noqa: E402


def test_the_sixth_group_follows_the_first_thirty_eight() -> None:
    assert len(HELDOUT_6) == 8 and len(HELDOUT_5) == 9
    assert HELDOUT_5[-1] == list(SETTINGS)[37] == "tokens-gru-rmsprop-step"
    assert list(SETTINGS)[38:] == list(HELDOUT_6)
    assert set(HELDOUT_6).isdisjoint(list(SETTINGS)[:38])


def test_marker_labels_name_the_order_of_the_markers() -> None:
    (ids, y), (idv, yv) = markers()
    for row, label in zip(np.concatenate([ids, idv])[:200], np.concatenate([y, yv])[:200],
                          strict=True):
        order = [int(t) for t in row if t < 3]
        assert sorted(order) == [0, 1, 2]
        perms = [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]
        assert perms[int(label)] == tuple(order)
    assert set(np.unique(y)) == set(range(6))


def test_diabetes_tertiles_split_the_training_part_in_thirds() -> None:
    (x, y), (xv, yv) = diabetes3()
    assert x.shape == (300, 10) and xv.shape == (142, 10)
    assert all(95 <= c <= 105 for c in np.bincount(y))
    assert np.allclose(x.mean(0), 0.0, atol=1e-5)


@pytest.mark.parametrize("name", HELDOUT_6)
def test_sixth_group_models_give_one_logit_per_class_and_train(name: str) -> None:
    setting = SETTINGS[name]
    (x, y), (xv, yv) = setting.data()
    classes = int(max(y.max(), yv.max())) + 1
    assert len(np.unique(y)) == classes and len(x) == len(y) and len(xv) == len(yv)
    torch.manual_seed(0)
    model = setting.model()
    opt = make_optimizer(setting.optimizer, model.parameters(), 1e-3)
    out = model(torch.as_tensor(x[:16]))
    assert out.shape == (16, classes)
    loss = setting.loss()(out, torch.as_tensor(y[:16]))
    assert math.isfinite(loss.item())
    loss.backward()
    opt.step()


def test_group_6_runner_records_the_default_and_the_grid(tmp_path: Path) -> None:
    name = "diabetes3-selumlp-adam-1cycle"  # the cheapest setting of the group
    fake = {repr(g): 0.3 + 0.04 * k for k, g in enumerate(GRID)}  # no grid training
    warm, out = tmp_path / "warm.json", tmp_path / "rows.jsonl"
    warm.write_text(json.dumps({f"{name}/0": fake}))
    assert lr_find_upward.main(["--group", "6", "--settings", name, "--seeds", "0",
                                "--cache", str(tmp_path / "cache.json"), "--warm", str(warm),
                                "--out", str(out)]) == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["grid_best"] == pytest.approx(0.3 + 0.04 * 12)
    assert row["grid_best_lr"] == GRID[-1]
    (_, _), (_, yv) = diabetes3()
    assert row["chance"] == pytest.approx(np.bincount(yv).max() / len(yv) + CHANCE_MARGIN)
    assert 1e-7 <= row["api"] <= 10.0 and 1e-7 <= row["upward"] <= 10.0
    for key in ("acc_default", "acc_upward", "acc_api"):
        assert 0.0 <= row[key] <= 1.0
    cache = json.loads((tmp_path / "cache.json").read_text())[f"{name}/0"]
    assert repr(float(row["api"])) in cache and repr(float(row["upward"])) in cache
