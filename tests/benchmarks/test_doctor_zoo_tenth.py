"""The tenth doctor zoo: a complete, deterministic case list, data as described, sicknesses
built into the models, a case run end to end, and the doctor taken from the tree
``--tunecraft`` names."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from benchmarks.doctor_zoo_tenth import (  # noqa: E402
    CODES,
    run,
    select,
    tenth_zoo,
    threshold,
    tunecraft_root,
)
from benchmarks.doctor_zoo_tenth_cases import SEEDS  # noqa: E402
from benchmarks.doctor_zoo_tenth_data import (  # noqa: E402
    CARDS,
    N_NUM,
    TENTH_DIMS,
    TOKEN_DATA,
    load,
    make_model,
)


def test_the_zoo_has_110_runs_30_healthy_and_9_sick_per_code_and_is_deterministic() -> None:
    cases = tenth_zoo()
    labels = Counter(c.label for c in cases)
    assert len(cases) >= 110
    assert labels["healthy"] >= 30
    assert set(labels) == {"healthy", *CODES}
    assert all(labels[code] >= 9 for code in CODES)
    assert len({c.name for c in cases}) == len(cases)
    assert {c.seed for c in cases} == set(SEEDS)
    assert {c.optimizer for c in cases} == {"sgd", "nesterov", "adam", "adamw", "rmsprop",
                                           "radam", "adamax"}
    assert {c.arch for c in cases} == {"maxout", "widedeep", "convmixer", "prelu", "gru2",
                                      "resmlp"}
    assert {c.data for c in cases} == set(TENTH_DIMS)
    assert any(not c.curable for c in cases) and all(c.curable for c in cases
                                                     if c.label == "healthy")
    assert tenth_zoo() == cases
    assert {c.label for c in select(cases, "plateau")} == {"plateau"}


def test_every_config_builds_and_the_step_decay_is_sgds() -> None:
    from tunecraft.torch import TrainConfig

    for case in tenth_zoo():
        config = TrainConfig(**case.config)
        assert config.seed == case.seed
        if case.optimizer == "sgd":
            assert config.optimizer == "sgd" and config.schedule == "step"


def test_the_healthy_label_needs_half_the_way_from_chance_to_perfect() -> None:
    assert threshold("credit") == pytest.approx(0.75)
    assert threshold("rings10") == pytest.approx(0.625)
    assert threshold("summod5") == pytest.approx(0.6)


@pytest.mark.parametrize("name", sorted(TENTH_DIMS))
def test_every_dataset_splits_deterministically_with_the_declared_shape(name: str) -> None:
    (xt, yt), (xv, yv) = load(name, 101)
    n_in, classes = TENTH_DIMS[name]
    assert xt.shape[0] == yt.shape[0] == 900 and xv.shape[0] == yv.shape[0] == 240
    assert set(yt.tolist()) == set(range(classes))
    if name in TOKEN_DATA:
        assert xt.dtype == torch.long and int(xt.max()) < n_in
    else:
        assert xt[0].numel() == n_in
    assert load(name, 101)[0][0].equal(xt)
    assert not load(name, 102)[0][0].equal(xt)
    assert load(name, 101, 40)[0][0].shape[0] == 40
    assert load(name, 101, 40)[1][0].equal(xv)


def test_the_credit_table_holds_codes_and_the_raw_signal_is_in_adc_counts() -> None:
    x = load("credit", 101)[0][0]
    codes = x[:, N_NUM:]
    assert codes.equal(codes.round()) and codes.min() >= 0
    assert [int(codes[:, i].max()) + 1 for i in range(len(CARDS))] == list(CARDS)
    raw = load("modsig_raw", 101)[0][0]
    assert raw.mean().item() > 1500 and raw.std().item() > 100
    assert abs(load("modsig", 101)[0][0].mean().item()) < 0.1


def test_the_recall_key_is_the_first_token_12_to_20_steps_from_the_end() -> None:
    (x, y), _ = load("recall", 101)
    first = (x != 0).int().argmax(1)
    assert (x[torch.arange(len(x)), first] - 1).equal(y)
    assert int((20 - first).min()) >= 12 and int((20 - first).max()) == 20


def test_a_negative_bias_kills_the_relus_and_a_weight_scale_is_applied() -> None:
    from tunecraft.torch import TrainConfig

    x = load("rings10", 101)[0][0][:64]
    torch.manual_seed(0)
    sick = make_model("resmlp", "rings10", act="relu", b_shift=-7.0)(TrainConfig())
    acts: list[torch.Tensor] = []
    for m in sick.modules():
        if isinstance(m, torch.nn.ReLU):
            m.register_forward_hook(lambda _m, _i, out: acts.append(out.detach()))
    sick(x)
    assert acts and all(float(a.abs().max()) == 0.0 for a in acts)
    torch.manual_seed(0)
    plain = make_model("maxout", "rings10")(TrainConfig())
    torch.manual_seed(0)
    scaled = make_model("maxout", "rings10", w_scale=3.0)(TrainConfig())
    assert torch.allclose(scaled[0].lin.weight, 3.0 * plain[0].lin.weight)


def test_two_shrunk_cases_run_end_to_end_with_a_repair() -> None:
    cases = tenth_zoo()
    healthy = next(c for c in cases if c.label == "healthy" and c.optimizer == "radam")
    sick = next(c for c in cases if c.label == "lr_too_high" and c.arch == "maxout")
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
