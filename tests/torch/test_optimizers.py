"""Optimizers: weight-decay groups, every name, validation, config round trip, search."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from tunecraft import create_study
from tunecraft.samplers import RandomSampler
from tunecraft.torch.optimizers import (
    OPTIMIZER_NAMES,
    OptimizerConfig,
    make_optimizer,
    param_groups,
    suggest_optimizer,
)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.gn = nn.GroupNorm(2, 4)
        self.fc = nn.Linear(4, 8)
        self.ln = nn.LayerNorm(8)
        self.head = nn.Linear(8, 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.gn(self.bn(self.conv(x))).mean(dim=(2, 3))
        return self.head(self.ln(self.fc(h)))


def _ids(params: list[torch.Tensor]) -> set[int]:
    return {id(p) for p in params}


def test_biases_and_norm_weights_have_no_weight_decay() -> None:
    torch.manual_seed(0)
    net = Net()
    opt = make_optimizer(net, "sgd", 0.1, weight_decay=5e-4)
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 5e-4 and no_decay["weight_decay"] == 0.0
    assert _ids(decay["params"]) == _ids([net.conv.weight, net.fc.weight, net.head.weight])
    assert _ids(no_decay["params"]) == _ids([
        net.conv.bias, net.bn.weight, net.bn.bias, net.gn.weight, net.gn.bias, net.fc.bias,
        net.ln.weight, net.ln.bias])
    single = make_optimizer(net, "sgd", 0.1, weight_decay=5e-4, exclude_from_weight_decay=False)
    assert len(single.param_groups) == 1
    assert single.param_groups[0]["weight_decay"] == 5e-4


def test_decoupled_decay_leaves_excluded_params_alone() -> None:
    torch.manual_seed(0)
    net = Net()
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    opt = make_optimizer(net, "adamw", 0.1, weight_decay=0.5)
    (0.0 * net(torch.randn(2, 3, 5, 5)).sum()).backward()  # zero gradients: decay only
    opt.step()
    for n, p in net.named_parameters():
        if n in ("conv.weight", "fc.weight", "head.weight"):
            assert torch.allclose(p, before[n] * (1 - 0.1 * 0.5))
        else:
            assert torch.equal(p, before[n]), n


def test_named_params_tensors_frozen_and_shared() -> None:
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight  # shared
    a.bias.requires_grad_(False)
    pairs = list(a.named_parameters()) + list(b.named_parameters())
    groups = param_groups(pairs, 0.1)
    flat = [p for g in groups for p in g["params"]]
    assert len(flat) == len(set(map(id, flat))) == 2  # shared weight once, frozen bias out
    tensors = param_groups([a.weight, b.bias], 0.1)
    assert _ids(tensors[0]["params"]) == {id(a.weight)} and _ids(tensors[1]["params"]) == {
        id(b.bias)}
    with pytest.raises(TypeError, match="entry 0"):
        param_groups(["nope"], 0.1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no trainable"):
        param_groups(nn.Linear(2, 2).requires_grad_(False), 0.1)


@pytest.mark.parametrize(("name", "cls"), [
    ("sgd", torch.optim.SGD), ("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW),
    ("rmsprop", torch.optim.RMSprop), ("adagrad", torch.optim.Adagrad),
])
def test_every_name_builds_and_steps(name: str, cls: type) -> None:
    torch.manual_seed(0)
    net = Net()
    opt = make_optimizer(net, name.upper() if name == "sgd" else name, 1e-2, weight_decay=1e-4)
    assert type(opt) is cls
    x = torch.randn(4, 3, 6, 6)
    loss0 = net(x).pow(2).mean()
    for _ in range(5):
        opt.zero_grad()
        loss = net(x).pow(2).mean()
        loss.backward()
        opt.step()
    assert net(x).pow(2).mean() < loss0


def test_optimizer_specific_settings() -> None:
    p = [nn.Parameter(torch.zeros(2, 2))]
    sgd = make_optimizer(p, "sgd", 0.1, nesterov=True)
    assert sgd.param_groups[0]["momentum"] == 0.9 and sgd.param_groups[0]["nesterov"]
    adam = make_optimizer(p, "adam", 1e-3, betas=(0.8, 0.99), eps=1e-6)
    assert adam.param_groups[0]["betas"] == (0.8, 0.99) and adam.param_groups[0]["eps"] == 1e-6
    rms = make_optimizer(p, "rmsprop", 1e-3, alpha=0.9)
    assert rms.param_groups[0]["alpha"] == 0.9 and rms.param_groups[0]["momentum"] == 0.0
    assert make_optimizer(p, "rmsprop", 1e-3, momentum=0.5).param_groups[0]["momentum"] == 0.5


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"name": "adamx", "lr": 0.1}, "unknown optimizer"),
    ({"name": "sgd", "lr": None}, "lr is required"),
    ({"name": "sgd", "lr": 0.0}, "lr=0.0"),
    ({"name": "sgd", "lr": float("nan")}, "lr=nan"),
    ({"name": "sgd", "lr": 0.1, "weight_decay": -1.0}, "weight_decay"),
    ({"name": "sgd", "lr": 0.1, "momentum": 1.0}, "momentum"),
    ({"name": "adam", "lr": 0.1, "betas": (0.9, 1.0)}, "betas"),
    ({"name": "adam", "lr": 0.1, "eps": 0.0}, "eps"),
    ({"name": "adam", "lr": 0.1, "nesterov": True}, "nesterov"),
    ({"name": "sgd", "lr": 0.1, "momentum": 0.0, "nesterov": True}, "nesterov"),
])
def test_bad_values_raise_naming_the_argument(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_optimizer(nn.Linear(2, 2), **kwargs)  # type: ignore[arg-type]


def test_config_and_overrides() -> None:
    cfg = OptimizerConfig("adamw", 1e-3, weight_decay=0.01)
    net = nn.Linear(3, 3)
    opt = make_optimizer(net, cfg, lr=3e-4)
    assert opt.param_groups[0]["lr"] == 3e-4 and opt.param_groups[0]["weight_decay"] == 0.01
    assert make_optimizer(net, cfg).param_groups[0]["lr"] == 1e-3
    assert dataclasses.replace(cfg, name="sgd").resolved_momentum() == 0.9
    with pytest.raises(TypeError, match="OptimizerConfig"):
        make_optimizer(net, 3)  # type: ignore[arg-type]


def test_suggest_optimizer_conditional_parameters() -> None:
    study = create_study(sampler=RandomSampler(seed=1))
    seen = set()
    for _ in range(40):
        trial = study.ask()
        cfg = suggest_optimizer(trial, choices=OPTIMIZER_NAMES)
        seen.add(cfg.name)
        extra = {k for k in trial.params if k not in (
            "optimizer", "optimizer_lr", "optimizer_weight_decay")}
        expected = {"sgd": {"optimizer_sgd_momentum", "optimizer_sgd_nesterov"},
                    "adam": {"optimizer_adam_beta1", "optimizer_adam_beta2"},
                    "adamw": {"optimizer_adam_beta1", "optimizer_adam_beta2"},
                    "rmsprop": {"optimizer_rmsprop_alpha", "optimizer_rmsprop_momentum"},
                    "adagrad": set()}[cfg.name]
        assert extra == expected
        assert 1e-5 <= cfg.lr <= 1.0 and 1e-6 <= cfg.weight_decay <= 1e-1
        make_optimizer(nn.Linear(2, 2), cfg)
        study.tell(trial, 0.0)
    assert seen == set(OPTIMIZER_NAMES)
    trial = create_study(sampler=RandomSampler(seed=2)).ask()
    cfg = suggest_optimizer(trial, choices=["adagrad"], lr=0.01, weight_decay=None)
    assert cfg == OptimizerConfig("adagrad", 0.01) and set(trial.params) == {"optimizer"}
    with pytest.raises(ValueError, match="choices"):
        suggest_optimizer(trial, choices=["lion"])
