"""init_report recommends the initialisation the model's activations call for."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tunecraft.torch import initialize
from tunecraft.torch.diagnostics import init_report
from tunecraft.torch.init_advice import recommend_for_model, recommend_init


def mlp(depth: int, act: type[nn.Module], width: int = 32, norm: bool = False) -> nn.Module:
    layers: list[nn.Module] = []
    prev = 16
    for _ in range(depth):
        layers += [nn.Linear(prev, width), *( [nn.LayerNorm(width)] if norm else []), act()]
        prev = width
    return nn.Sequential(*layers, nn.Linear(prev, 4))


@pytest.mark.parametrize(("act", "scheme", "nonlinearity"), [
    (nn.ReLU, "kaiming_normal", "relu"), (nn.LeakyReLU, "kaiming_normal", "leaky_relu"),
    (nn.GELU, "kaiming_normal", "gelu"), (nn.Tanh, "xavier_normal", "tanh"),
    (nn.Sigmoid, "xavier_normal", "sigmoid")])
def test_shallow_nets_get_he_or_glorot(act: type[nn.Module], scheme: str,
                                       nonlinearity: str) -> None:
    torch.manual_seed(0)
    report = init_report(mlp(2, act), torch.randn(64, 16))
    advice = report.recommendation
    assert advice is not None and (advice.scheme, advice.nonlinearity) == (scheme, nonlinearity)
    assert f"recommended initialisation: init={scheme!r}" in str(report)
    assert report.to_dict()["recommendation"]["scheme"] == scheme


def test_deep_nets_get_lsuv_unless_normalised_and_lsuv_helps() -> None:
    torch.manual_seed(0)
    deep = mlp(12, nn.Tanh)
    x = torch.randn(256, 16)
    before = init_report(deep, x)
    assert before.recommendation is not None and before.recommendation.scheme == "lsuv"
    assert "12" in before.recommendation.reason or "13" in before.recommendation.reason
    initialize(deep, "lsuv", nonlinearity="tanh", batch=x)
    after = init_report(deep, x)
    last_before = [r for r in before.layers if r.kind == "Tanh"][-1].signal_std
    last_after = [r for r in after.layers if r.kind == "Tanh"][-1].signal_std
    assert last_after > 3 * last_before  # the signal reaches the last layer again
    assert len(after.flagged()) < len(before.flagged())
    assert recommend_for_model(mlp(12, nn.ReLU, norm=True)).scheme == "kaiming_normal"


def test_pure_rule() -> None:
    assert recommend_init(["ReLU", "Tanh", "ReLU"]).scheme == "kaiming_normal"
    assert recommend_init([]).scheme == "xavier_normal"
    assert recommend_init(["tanh"], depth=5, unstable=True).scheme == "lsuv"
    assert recommend_init(["tanh"], depth=5).scheme == "xavier_normal"
