"""The ninth doctor zoo: a complete, deterministic case list, data as described, the
recipes' models as labelled, a case run end to end, and the doctor taken from the tree
``--tunecraft`` names."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.doctor_zoo_ninth import (  # noqa: E402
    CODES,
    ninth_zoo,
    optimizer_for,
    run,
    select,
    threshold,
    tunecraft_root,
)
from benchmarks.doctor_zoo_ninth_data import NINTH_DIMS, TOKEN_DATA, load, make_model  # noqa: E402


def test_the_zoo_has_30_healthy_and_9_sick_runs_per_code_and_is_deterministic() -> None:
    cases = ninth_zoo()
    labels = Counter(c.label for c in cases)
    assert len(cases) >= 110
    assert labels["healthy"] >= 30
    assert set(labels) == {"healthy", *CODES}
    assert all(labels[code] == 9 for code in CODES)
    assert len({c.name for c in cases}) == len(cases)
    assert {c.seed for c in cases} == {91, 92, 93}
    assert all(c.recipe for c in cases)
    assert {c.optimizer for c in cases} == {"sgd", "sgd_plain", "adam", "adamw", "rmsprop",
                                           "adadelta", "asgd"}
    assert {c.arch for c in cases} == {"mlp", "selu", "highway", "vgg", "transformer", "rnn"}
    assert {c.data for c in cases} <= set(NINTH_DIMS)
    assert {"ttt", "ttt_tok", "dyck", "gmm", "gmm_raw", "dots", "diabetes"} <= {
        c.data for c in cases}
    assert any(not c.curable for c in cases) and all(c.curable for c in cases
                                                     if c.label == "healthy")
    assert ninth_zoo() == cases
    assert {c.label for c in select(cases, "plateau")} == {"plateau"}


def test_the_healthy_label_needs_half_the_way_from_chance_to_perfect() -> None:
    assert threshold("dyck") == pytest.approx(0.75)
    assert threshold("gmm") == pytest.approx(0.525)
    assert threshold("ttt") == pytest.approx(2 / 3)


@pytest.mark.parametrize("name", sorted(NINTH_DIMS))
def test_every_dataset_splits_deterministically_with_the_declared_shape(name: str) -> None:
    (xt, yt), (xv, yv) = load(name, 91)
    n_in, classes = NINTH_DIMS[name]
    assert xt.shape[0] == yt.shape[0] and xv.shape[0] == yv.shape[0] and xv.shape[0] > 100
    assert set(yt.tolist()) == set(range(classes))
    if name in TOKEN_DATA:
        assert not xt.dtype.is_floating_point and int(xt.max()) < n_in
    else:
        assert xt[0].numel() == n_in
    assert load(name, 91)[0][0].equal(xt)
    assert not load(name, 92)[0][0].equal(xt) or name == "diabetes"
    assert load(name, 91, 40)[0][0].shape[0] == 40


def test_the_labels_are_what_the_generators_say() -> None:
    (words, valid), _ = load("dyck", 91)
    for word, ok in zip(words.tolist()[:200], valid.tolist()[:200], strict=True):
        stack: list[int] = []
        good = True
        for t in word:
            if t % 2 == 0:
                stack.append(t)
            elif not stack or stack.pop() != t - 1:
                good = False
                break
        assert ok == int(good and not stack)
    (boards, outcome), _ = load("ttt_tok", 91)
    row = boards.tolist()[0]
    lines = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8),
             (2, 4, 6))
    wins = {row[a] for a, b, c in lines if row[a] and row[a] == row[b] == row[c]}
    assert int(outcome[0]) == (0 if wins == {1} else 1 if wins == {2} else 2)
    (images, count), _ = load("dots", 91)
    assert ((images[:50] > 0.6).flatten(1).sum(1) == count[:50] + 1).all()


def test_the_recipes_models_carry_their_sickness_at_init() -> None:
    (x, y), _ = load("gmm", 91)
    dead = make_model("mlp", "gmm", depth=4, b_shift=-5.0)(None)
    hidden = dead[:3](x[:256])  # Flatten, Linear, ReLU
    assert (hidden <= 0).all()
    big = make_model("mlp", "gmm", depth=8, w_scale=6.0)(None)
    small = make_model("mlp", "gmm", depth=8)(None)
    assert big(x[:64]).abs().mean() > 100 * small(x[:64]).abs().mean()
    (raw, _), _ = load("gmm_raw", 91)
    sat = make_model("mlp", "gmm_raw", act="tanh")(None)
    assert (sat[:3](raw[:256]).abs() > 0.97).float().mean() > 0.5


def test_adadelta_and_asgd_are_built_from_the_config() -> None:
    from tunecraft.torch import TrainConfig

    model = torch.nn.Linear(3, 2)
    config = TrainConfig(optimizer="sgd", lr=0.25, weight_decay=0.01)
    opt = optimizer_for("adadelta")(model, config)
    assert isinstance(opt, torch.optim.Adadelta) and opt.defaults["lr"] == 0.25
    assert isinstance(optimizer_for("asgd")(model, config), torch.optim.ASGD)
    assert optimizer_for("adam") is None


def test_two_shrunk_cases_run_end_to_end_with_a_repair() -> None:
    cases = ninth_zoo()
    healthy = next(c for c in cases if c.label == "healthy" and c.optimizer == "adadelta")
    sick = next(c for c in cases if c.label == "lr_too_high" and c.arch == "mlp")
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
