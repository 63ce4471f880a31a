"""The final refit: ``fit(..., val=None)`` for a fixed number of epochs, then ``evaluate``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import tunecraft  # noqa: E402
from tunecraft.torch import Evaluation, TrainConfig, evaluate, fit  # noqa: E402
from tunecraft.torch.mlp import MLPSpec  # noqa: E402

Split = tuple[np.ndarray, np.ndarray]
NET = MLPSpec(64, 10, depth=1, width=32)
CONFIG = TrainConfig(lr=0.05, optimizer="sgd", batch_size=64, dropout=0.2,
                     init="kaiming_uniform", seed=3)


@pytest.fixture(scope="module")
def digits() -> tuple[Split, Split]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return (x[:400], y[:400]), (x[1400:1700], y[1400:1700])


def test_without_val_it_trains_every_epoch_and_keeps_the_last_weights(digits: Any) -> None:
    train, val = digits
    refit = fit(NET, train, None, CONFIG, max_epochs=4, device="cpu")
    watched = fit(NET, train, val, CONFIG, max_epochs=4, device="cpu")
    assert refit.epochs == 4 and refit.stop_reason == "max_epochs"
    assert math.isnan(refit.best_metric) and refit.best_epoch == 0
    assert all(math.isnan(h.val_loss) and h.val_accuracy is None for h in refit.history)
    # evaluating does not change training: same losses and rates epoch by epoch
    assert [(h.train_loss, h.lr) for h in refit.history] == \
        [(h.train_loss, h.lr) for h in watched.history]
    # the refit returns the last epoch's model, scored exactly as fit scores an epoch
    last = watched.history[-1]
    scored = evaluate(refit.model, val)
    assert scored == Evaluation(last.val_loss, last.val_accuracy)


def test_without_val_there_is_nothing_to_report_or_early_stop_on(digits: Any) -> None:
    train, _ = digits
    study = tunecraft.create_study(direction="maximize")
    trial = study.ask()
    with pytest.raises(ValueError, match="no metric to report to trial 0"):
        fit(NET, train, None, CONFIG, trial, max_epochs=2, device="cpu")
    with pytest.raises(ValueError, match=r"config.patience=2\) needs validation data"):
        fit(NET, train, None, CONFIG.replace(patience=2), max_epochs=2, device="cpu")


def test_evaluate_measures_loss_and_accuracy_of_arrays_and_loaders(digits: Any) -> None:
    train, val = digits
    model = fit(NET, train, None, CONFIG, max_epochs=2, device="cpu").model
    x, y = torch.as_tensor(val[0]), torch.as_tensor(val[1])
    model.train()  # evaluate switches dropout off by itself
    scored = evaluate(model, val, batch_size=7)  # batches that do not divide the data
    assert not model.training
    with torch.no_grad():
        out = model(x)
    assert scored.accuracy == pytest.approx(float((out.argmax(dim=1) == y).float().mean()))
    assert scored.loss == pytest.approx(float(nn.functional.cross_entropy(out, y)), rel=1e-5)
    loader = DataLoader(TensorDataset(x, y), batch_size=50)
    from_loader = evaluate(model, loader)
    assert (from_loader.loss, from_loader.accuracy) == pytest.approx(
        (scored.loss, scored.accuracy))


def test_evaluate_regression_has_no_accuracy_and_bad_input_is_named() -> None:
    model = nn.Linear(3, 1)
    x = torch.randn(20, 3, generator=torch.Generator().manual_seed(0))
    y = model(x).detach() + 1.0
    scored = evaluate(model, (x, y), loss="mse")
    assert scored.accuracy is None and scored.loss == pytest.approx(1.0, rel=1e-5)
    with pytest.raises(ValueError, match="batch_size=0"):
        evaluate(model, (x, y), loss="mse", batch_size=0)
    with pytest.raises(TypeError, match="nn.Module"):
        evaluate(lambda t: t, (x, y))  # type: ignore[arg-type]
