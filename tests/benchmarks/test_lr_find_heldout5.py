"""The LR-finder benchmark's fifth held-out group: its schedules and models."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmarks.lr_find_tasks import (  # noqa: E402
    HELDOUT_4,
    HELDOUT_5,
    SETTINGS,
    make_optimizer,
)


def test_the_fifth_group_follows_the_first_twenty_nine() -> None:
    assert len(HELDOUT_5) == 9 and len(HELDOUT_4) == 9
    assert list(SETTINGS)[28] == HELDOUT_4[-1] == "cancer-mlp-sgd0-const"
    assert set(HELDOUT_5).isdisjoint(list(SETTINGS)[:29])


def test_warm_up_and_one_cycle_schedules_give_their_multiple_of_the_peak_rate() -> None:
    warm = SETTINGS["wine-mlp-adamw-warm"]
    assert [warm.factor(t, 100) for t in (0, 5, 10)] == pytest.approx([0.0, 0.5, 1.0])
    assert warm.factor(55, 100) == pytest.approx(0.5)
    assert warm.factor(100, 100) == pytest.approx(0.0, abs=1e-12)
    cycle = SETTINGS["tabular6-widemlp-nesterov-1cycle"]
    values = [cycle.factor(t, 100) for t in range(101)]
    assert values[0] == pytest.approx(1 / 25) and values[30] == pytest.approx(1.0)
    assert values[100] == pytest.approx(1 / 25e4)
    assert all(b > a for a, b in zip(values[:30], values[1:31], strict=True))
    assert all(b < a for a, b in zip(values[30:100], values[31:], strict=True))


@pytest.mark.parametrize("name", HELDOUT_5)
def test_fifth_group_models_give_one_logit_per_class_and_train(name: str) -> None:
    setting = SETTINGS[name]
    (x, y), (xv, yv) = setting.data()
    classes = int(max(y.max(), yv.max())) + 1
    assert len(np.unique(y)) == classes
    torch.manual_seed(0)
    model = setting.model()
    opt = make_optimizer(setting.optimizer, model.parameters(), 1e-3)
    out = model(torch.as_tensor(x[:16]))
    assert out.shape == (16, classes)
    loss = setting.loss()(out, torch.as_tensor(y[:16]))
    assert math.isfinite(loss.item())
    loss.backward()
    opt.step()
