"""The trainer: pruning, early stopping with best-weight restore, CPU determinism, data kinds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import tunecraft  # noqa: E402
from tunecraft import FrozenTrial, History, TrialPruned, TrialState  # noqa: E402
from tunecraft.pruners.base import BasePruner, Decision  # noqa: E402
from tunecraft.samplers import RandomSampler  # noqa: E402
from tunecraft.torch.mlp import MLPSpec  # noqa: E402
from tunecraft.torch.trainer import FitResult, TrainConfig, fit  # noqa: E402

Split = tuple[np.ndarray, np.ndarray]


class PruneAtStep(BasePruner):
    """Prunes every trial once it has reported ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        last = trial.last_step
        return Decision.PRUNE if last is not None and last >= self.step else Decision.CONTINUE


@pytest.fixture(scope="module")
def digits() -> tuple[Split, Split]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return (x[:500], y[:500]), (x[1400:1700], y[1400:1700])


NET = MLPSpec(64, 10, depth=1, width=32)


def test_reports_every_epoch_and_a_pruner_at_epoch_two_prunes(digits: Any) -> None:
    train, val = digits
    results: list[FitResult] = []

    def objective(trial: tunecraft.Trial) -> float:
        result = fit(NET, train, val, TrainConfig(lr=1e-2), trial, max_epochs=6)
        results.append(result)
        return result.best_metric

    study = tunecraft.create_study(direction="maximize", pruner=PruneAtStep(2))
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state is TrialState.PRUNED and not results
    assert sorted(trial.intermediate_values) == [1, 2]
    assert all(0.0 <= v <= 1.0 for v in trial.intermediate_values.values())
    with pytest.raises(TrialPruned, match="epoch 2"):
        fit(NET, train, val, TrainConfig(lr=1e-2),
            tunecraft.create_study(pruner=PruneAtStep(2)).ask(), max_epochs=6)


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(digits: Any) -> None:
    (x, y), val = digits
    cfg = TrainConfig(lr=3e-2, batch_size=16, metric="loss", patience=2)
    result = fit(MLPSpec(64, 10, 1, 256), (x[:60], y[:60]), val, cfg, max_epochs=40)
    assert result.stop_reason == "early_stopping"
    assert result.epochs == result.best_epoch + 2 < 40
    losses = [h.val_loss for h in result.history]
    assert result.best_metric == min(losses) == losses[result.best_epoch - 1]
    model = result.model
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(val[0]))
        again = nn.functional.cross_entropy(out, torch.as_tensor(val[1]))
    assert float(again) == pytest.approx(result.best_metric, rel=1e-6)  # best, not last


def test_same_config_and_seed_give_bit_identical_metrics_on_cpu(digits: Any) -> None:
    train, val = digits
    cfg = TrainConfig(lr=5e-3, batch_size=32, schedule="cosine", warmup_pct=0.1, dropout=0.2,
                      init="kaiming_uniform", label_smoothing=0.1, grad_clip=1.0, seed=11)
    net = MLPSpec(64, 10, depth=2, width=32)
    a = fit(net, train, val, cfg, max_epochs=3, device="cpu")
    b = fit(net, train, val, cfg, max_epochs=3, device="cpu")
    assert a.history == b.history  # every loss, accuracy and rate, exactly
    assert all(torch.equal(p, q) for p, q in zip(a.model.state_dict().values(),
                                                 b.model.state_dict().values(), strict=True))
    c = fit(net, train, val, cfg.replace(seed=12), max_epochs=3, device="cpu")
    assert c.history != a.history
    assert a.device == "cpu" and not a.mixed_precision


def test_schedule_with_warmup_is_stepped_per_batch(digits: Any) -> None:
    train, val = digits
    steps_per_epoch = math.ceil(500 / 50)
    cfg = TrainConfig(lr=0.1, batch_size=50, optimizer="sgd", schedule="linear",
                      schedule_params={"final": 0.5})
    result = fit(NET, train, val, cfg, max_epochs=2)
    # linear decay 1 -> 0.5 over 2 epochs of 10 steps: 0.75 after the first epoch
    assert result.history[0].lr == pytest.approx(0.1 * (1 - 0.5 * steps_per_epoch / 20))
    assert result.history[1].lr == pytest.approx(0.05)


def test_accepts_loaders_and_loader_factories(digits: Any) -> None:
    (x, y), (xv, yv) = digits
    ds = TensorDataset(torch.as_tensor(x), torch.as_tensor(y))
    val = DataLoader(TensorDataset(torch.as_tensor(xv), torch.as_tensor(yv)), batch_size=100)
    sizes: list[int] = []

    def factory(batch_size: int) -> DataLoader:
        sizes.append(batch_size)
        return DataLoader(ds, batch_size=batch_size, shuffle=True)

    cfg = TrainConfig(lr=1e-2, batch_size=40)
    by_factory = fit(NET, factory, val, cfg, max_epochs=2)
    by_loader = fit(NET, DataLoader(ds, batch_size=40, shuffle=True), val, cfg, max_epochs=2)
    assert sizes == [40]
    assert by_factory.history == by_loader.history  # the loader shuffles from the seeded RNG
    assert by_factory.best_metric > 0.5


def test_divergence_stops_the_run(digits: Any) -> None:
    train, val = digits
    cfg = TrainConfig(lr=1e12, optimizer="sgd", momentum=0.0)
    result = fit(NET, train, val, cfg, max_epochs=5)
    assert result.stop_reason == "diverged" and result.epochs == 1
    # Since issue #14 a run that diverges before any finite epoch returns the untrained
    # model's score (finite, about chance) instead of NaN, so its trial ends COMPLETE with a
    # poor value and samplers learn from it (tests/torch/test_divergence.py).
    assert math.isfinite(result.best_metric) and result.best_metric < 0.3
    assert result.best_epoch == 0 and result.diverged is not None


def test_bad_settings_name_the_fix(digits: Any) -> None:
    train, val = digits
    with pytest.raises(ValueError, match="no dropout module"):
        fit(lambda cfg: nn.Linear(64, 10), train, val, TrainConfig(dropout=0.1))
    with pytest.raises(ValueError, match="metric='loss'"):
        fit(NET, train, val, TrainConfig(), loss="mse")
    with pytest.raises(ValueError, match="CUDA"):
        fit(NET, train, val, TrainConfig(), device="cpu", mixed_precision=True)
    with pytest.raises(ValueError, match="max_epochs"):
        fit(NET, train, val, TrainConfig(), max_epochs=0)


def test_lsuv_init_and_a_one_cycle_schedule_train(digits: Any) -> None:
    train, val = digits
    cfg = TrainConfig(lr=0.2, optimizer="sgd", schedule="one_cycle", init="lsuv")
    result = fit(MLPSpec(64, 10, 2, 32, "tanh"), train, val, cfg, max_epochs=3)
    assert result.best_metric > 0.7


def test_a_seeded_study_with_the_trainer_is_reproducible(digits: Any) -> None:
    train, val = digits

    def objective(trial: tunecraft.Trial) -> float:
        cfg = TrainConfig(lr=trial.suggest_float("lr", 1e-3, 1e-1, log=True))
        return fit(NET, train, val, cfg, trial, max_epochs=2).best_metric

    values = []
    for _ in range(2):
        study = tunecraft.create_study(direction="maximize", sampler=RandomSampler(seed=4))
        study.optimize(objective, n_trials=2)
        values.append([t.value for t in study.trials])
    assert values[0] == values[1]
