"""The LR-finder benchmark's settings: schedules, losses and the held-out group's models.

The benchmark (``python -m benchmarks.lr_find``) runs by hand; this keeps its settings
working: each schedule's multiple of the peak rate, label smoothing reaching the loss, and
each model of the late held-out group mapping its data to one logit per class.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmarks.lr_find_tasks import HELDOUT_4, SETTINGS, make_optimizer  # noqa: E402


def test_each_schedule_gives_its_multiple_of_the_peak_rate() -> None:
    cosine = SETTINGS["digits-mlp-sgd"]
    assert cosine.schedule == "cosine"
    assert cosine.factor(0, 100) == 1.0
    assert cosine.factor(50, 100) == pytest.approx(0.5)
    assert cosine.factor(100, 100) == pytest.approx(0.0)
    step = SETTINGS["mnist1d-cnn-sgd8-step"]
    assert [step.factor(t, 100) for t in (0, 49, 50, 74, 75, 99)] == [
        1.0, 1.0, 0.1, 0.1, 0.01, 0.01]
    constant = SETTINGS["cancer-mlp-sgd0-const"]
    assert {constant.factor(t, 100) for t in (0, 50, 100)} == {1.0}


def test_label_smoothing_reaches_the_loss() -> None:
    logits, target = torch.tensor([[10.0, 0.0, 0.0, 0.0, 0.0]]), torch.tensor([0])
    plain = SETTINGS["teacher-bnmlp-adam"].loss()(logits, target).item()
    smoothed = SETTINGS["teacher-mlp-adam-ls512"].loss()(logits, target).item()
    assert plain == pytest.approx(0.0, abs=1e-3)
    assert smoothed > 0.3  # 0.1 of the mass on the 4 wrong classes, each ~10 nats off


@pytest.mark.parametrize("name", HELDOUT_4)
def test_held_out_models_give_one_logit_per_class_and_train(name: str) -> None:
    setting = SETTINGS[name]
    (x, y), (xv, yv) = setting.data()
    classes = int(max(y.max(), yv.max())) + 1
    assert len(np.unique(y)) == classes
    torch.manual_seed(0)
    model = setting.model()
    opt = make_optimizer(setting.optimizer, model.parameters(), 1e-3)
    xb, yb = torch.as_tensor(x[:32]), torch.as_tensor(y[:32])
    out = model(xb)
    assert out.shape == (32, classes)
    loss = setting.loss()(out, yb)
    assert math.isfinite(loss.item())
    loss.backward()
    opt.step()


def test_the_held_out_group_is_the_settings_after_the_first_twenty() -> None:
    assert len(HELDOUT_4) == 9
    assert list(SETTINGS)[:20][-1] == "mnist1d-mlp-sgd5"
    assert set(HELDOUT_4).isdisjoint(list(SETTINGS)[:20])
