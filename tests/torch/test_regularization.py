"""Regularisation: dropout rate, label smoothing, gradient clipping, early stopping, search."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from tunecraft import create_study
from tunecraft.samplers import RandomSampler
from tunecraft.torch.regularization import (
    EarlyStopping,
    RegularizationConfig,
    StopRule,
    StopState,
    clip_gradients,
    make_loss,
    set_dropout,
    suggest_regularization,
)


def test_set_dropout_changes_every_dropout_module() -> None:
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1),
                        nn.Sequential(nn.Dropout2d(0.2), nn.AlphaDropout(0.3)))
    assert set_dropout(net, 0.4) == 3
    assert [m.p for m in net.modules() if isinstance(m, nn.modules.dropout._DropoutNd)] == [
        0.4, 0.4, 0.4]
    assert set_dropout(nn.Linear(2, 2), 0.5) == 0
    for bad in (1.0, -0.1, True):
        with pytest.raises(ValueError, match="p="):
            set_dropout(net, bad)  # type: ignore[arg-type]


def test_label_smoothing_matches_its_formula() -> None:
    torch.manual_seed(0)
    logits, target = torch.randn(16, 5), torch.randint(0, 5, (16,))
    eps = 0.1
    loss = make_loss(label_smoothing=eps)
    logp = logits.log_softmax(dim=1)
    nll = -logp.gather(1, target[:, None]).squeeze(1)
    expected = ((1 - eps) * nll - eps * logp.mean(dim=1)).mean()
    assert float(loss(logits, target)) == pytest.approx(float(expected), rel=1e-6)
    assert float(make_loss()(logits, target)) == pytest.approx(float(nll.mean()), rel=1e-6)
    assert isinstance(make_loss(kind="bce_with_logits"), nn.BCEWithLogitsLoss)
    assert isinstance(make_loss(kind="mse"), nn.MSELoss)
    with pytest.raises(ValueError, match="cross_entropy"):
        make_loss(0.1, kind="mse")
    with pytest.raises(ValueError, match="label_smoothing"):
        make_loss(1.0)
    with pytest.raises(ValueError, match="kind"):
        make_loss(kind="hinge")  # type: ignore[arg-type]


def _with_grads(*grads: list[float]) -> list[nn.Parameter]:
    params = []
    for g in grads:
        p = nn.Parameter(torch.zeros(len(g)))
        p.grad = torch.tensor(g)
        params.append(p)
    return params


def test_clip_gradients_returns_the_norm_before_clipping() -> None:
    params = _with_grads([3.0, 0.0], [4.0])
    assert clip_gradients(params, max_norm=1.0) == pytest.approx(5.0)
    grads = [p.grad for p in params if p.grad is not None]
    assert float(torch.cat(grads).norm()) == pytest.approx(1.0, rel=1e-5)
    assert float(params[1].grad[0]) == pytest.approx(0.8, rel=1e-5)  # type: ignore[index]
    params = _with_grads([3.0, -0.5], [4.0])
    assert clip_gradients(params, max_value=2.0) == pytest.approx(math.sqrt(25.25))
    assert params[0].grad.tolist() == [2.0, -0.5] and params[1].grad.tolist() == [2.0]  # type: ignore[union-attr]
    params = _with_grads([3.0], [4.0])
    assert clip_gradients(params) == pytest.approx(5.0)  # no limits: just the norm
    assert params[0].grad.tolist() == [3.0]  # type: ignore[union-attr]
    net = nn.Linear(3, 1)
    assert clip_gradients(net, max_norm=1.0) == 0.0  # no gradients yet
    net(torch.ones(2, 3)).sum().backward()
    assert clip_gradients(net.parameters(), max_norm=0.5, norm_type=math.inf) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_gradients(net, max_norm=0.0)


# --------------------------------------------------------------------------- early stopping
def run(rule: StopRule, metrics: list[float]) -> list[bool]:
    state, out = StopState(), []
    for m in metrics:
        state = rule.step(state, m)
        out.append(state.stopped)
    return out


def test_patience_min_delta_and_mode() -> None:
    rule = StopRule(patience=2)
    assert run(rule, [1.0, 0.9, 0.95, 0.91, 0.5]) == [False, False, False, True, True]
    assert run(StopRule(patience=2), [1.0, 0.9, 0.95, 0.8, 0.85, 0.85]) == [
        False, False, False, False, False, True]
    # improvements of less than min_delta do not reset the count
    assert run(StopRule(patience=2, min_delta=0.05), [1.0, 0.97, 0.96, 0.9]) == [
        False, False, True, True]
    assert run(StopRule(patience=1, mode="max"), [0.5, 0.6, 0.6]) == [False, False, True]
    assert run(StopRule(patience=0), [1.0, 1.0]) == [False, True]
    assert run(StopRule(patience=5), [1.0, float("nan")]) == [False, True]  # diverged
    s = StopRule(3).step(StopState(), 2.0)
    assert s == StopState(best=2.0, best_evaluation=0, bad_evaluations=0, evaluations=1)
    for kwargs in ({"patience": -1}, {"patience": 1, "min_delta": -0.1},
                   {"patience": 1, "mode": "avg"}):
        with pytest.raises(ValueError):
            StopRule(**kwargs)  # type: ignore[arg-type]


@given(st.integers(0, 5), st.floats(0.0, 0.3), st.sampled_from(["min", "max"]),
       st.lists(st.floats(-10, 10), min_size=1, max_size=40))
def test_stop_rule_matches_a_reference(patience: int, delta: float, mode: str,
                                       metrics: list[float]) -> None:
    sign = 1.0 if mode == "min" else -1.0
    best, bad, expected, stopped = math.inf, 0, [], False
    for m in metrics:
        if not stopped:
            if sign * m < best - delta or best == math.inf:
                best, bad = sign * m, 0
            else:
                bad += 1
                stopped = bad >= patience
        expected.append(stopped)
    assert run(StopRule(patience, delta, mode), metrics) == expected  # type: ignore[arg-type]


def test_early_stopping_restores_the_best_weights_on_cpu() -> None:
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    stopper = EarlyStopping(patience=2)
    snapshots = {}
    for epoch, metric in enumerate([1.0, 0.5, 0.7, 0.6]):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)  # "training" changes the weights every epoch
        snapshots[epoch] = copy.deepcopy(model.state_dict())
        stop = stopper.update(metric, model)
        assert stop == (epoch == 3)
    assert stopper.stopped and stopper.best == 0.5 and stopper.state.best_evaluation == 1
    assert all(torch.equal(v, snapshots[1][k]) for k, v in model.state_dict().items())
    assert stopper.best_state_dict is not None
    assert all(v.device.type == "cpu" for v in stopper.best_state_dict.values())
    saved = stopper.state_dict()
    again = EarlyStopping(patience=2)
    again.load_state_dict(saved)
    assert again.state == stopper.state and again.stopped
    assert again.update(0.1) is True  # a stopped rule stays stopped


def test_early_stopping_without_restore_and_manual_restore() -> None:
    model = nn.Linear(2, 2)
    keep = EarlyStopping(patience=1, restore_best=False)
    keep.update(1.0, model)
    assert keep.best_state_dict is None and not keep.restore(model)
    manual = EarlyStopping(patience=3, mode="max")
    manual.update(0.9, model)
    best = copy.deepcopy(model.state_dict())
    with torch.no_grad():
        model.weight.zero_()
    assert not manual.update(0.8, model)
    assert manual.restore(model)
    assert torch.equal(model.weight, best["weight"])


# --------------------------------------------------------------------------- search
def test_suggest_regularization() -> None:
    study = create_study(sampler=RandomSampler(seed=0))
    for _ in range(10):
        trial = study.ask()
        cfg = suggest_regularization(trial, max_grad_norm=(0.1, 10.0))
        assert 0.0 <= cfg.dropout <= 0.5 and 0.0 <= cfg.label_smoothing <= 0.2
        assert cfg.weight_decay == 0.0 and cfg.max_grad_norm is not None
        assert 0.1 <= cfg.max_grad_norm <= 10.0
        assert set(trial.params) == {"reg_dropout", "reg_label_smoothing", "reg_max_grad_norm"}
        study.tell(trial, 0.0)
    trial = create_study(sampler=RandomSampler(seed=1)).ask()
    cfg = suggest_regularization(trial, dropout=0.2, label_smoothing=None,
                                 weight_decay=(1e-5, 1e-2), prefix="r")
    assert cfg.dropout == 0.2 and cfg.label_smoothing == 0.0 and cfg.max_grad_norm is None
    assert set(trial.params) == {"r_weight_decay"} and 1e-5 <= cfg.weight_decay <= 1e-2
    assert RegularizationConfig() == RegularizationConfig(0.0, 0.0, 0.0, None)
    with pytest.raises(ValueError, match="low must be below high"):
        suggest_regularization(trial, dropout=(0.5, 0.1))


def test_seed_everything_repeats_every_global_generator() -> None:
    import random

    import numpy as np

    from tunecraft.torch import seed_everything

    def draw() -> tuple[float, float, float]:
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    seed_everything(7)
    first = draw()
    seed_everything(7)
    assert draw() == first
    seed_everything(8)
    assert draw() != first
    for bad in (-1, 2**32, 1.5, True):
        with pytest.raises(ValueError, match="seed="):
            seed_everything(bad)  # type: ignore[arg-type]
