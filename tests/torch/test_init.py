"""Initialisation: gains, fans, variance propagation, orthogonality, LSUV, init_report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from tunecraft.torch.diagnostics import activation_stats, flag_layer, init_report
from tunecraft.torch.init import (
    GELU_GAIN,
    SILU_GAIN,
    fans,
    gain,
    initialize,
    kaiming_std,
    lsuv,
    xavier_std,
)


def mlp(depth: int, width: int, act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), act()]
    return nn.Sequential(*layers)


def linear_output_vars(net: nn.Sequential, x: torch.Tensor) -> list[float]:
    out = []
    with torch.no_grad():
        for m in net:
            x = m(x)
            if isinstance(m, nn.Linear):
                out.append(float(x.var()))
    return out


# --------------------------------------------------------------------------- pure maths
def test_gains() -> None:
    assert gain("relu") == pytest.approx(math.sqrt(2))
    assert gain("tanh") == pytest.approx(5 / 3)
    assert gain("sigmoid") == gain("linear") == gain("conv2d") == 1.0
    assert gain("selu") == 0.75
    assert gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    for name, p in (("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("selu", None)):
        assert gain(name, p) == pytest.approx(nn.init.calculate_gain(name, p))
    with pytest.raises(ValueError, match="nonlinearity"):
        gain("swoosh")


def test_gelu_and_silu_gains_preserve_unit_variance() -> None:
    z = np.linspace(-12, 12, 200_001)
    pdf = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
    gelu = torch.nn.functional.gelu(torch.from_numpy(z)).numpy()
    silu = torch.nn.functional.silu(torch.from_numpy(z)).numpy()
    second_moment = np.trapezoid if hasattr(np, "trapezoid") else np.trapz
    assert GELU_GAIN == pytest.approx(1 / math.sqrt(second_moment(gelu**2 * pdf, z)), rel=1e-6)
    assert SILU_GAIN == pytest.approx(1 / math.sqrt(second_moment(silu**2 * pdf, z)), rel=1e-6)
    assert gain("gelu") == GELU_GAIN == pytest.approx(1.5335, abs=1e-4)


def test_fans_and_stds() -> None:
    assert fans((10, 20)) == (20, 10)
    assert fans((8, 3, 3, 3)) == (27, 72)
    assert xavier_std((10, 20)) == pytest.approx(math.sqrt(2 / 30))
    assert kaiming_std((8, 3, 3, 3), math.sqrt(2)) == pytest.approx(math.sqrt(2 / 27))
    assert kaiming_std((8, 3, 3, 3), 1.0, "fan_out") == pytest.approx(1 / math.sqrt(72))
    with pytest.raises(ValueError, match="dimensions"):
        fans((5,))
    with pytest.raises(ValueError, match="mode"):
        kaiming_std((5, 5), 1.0, "fan_avg")


# --------------------------------------------------------------------------- torch init
@pytest.mark.parametrize(("scheme", "expected"), [
    ("xavier_normal", math.sqrt(2 / (384 + 512))),
    ("xavier_uniform", math.sqrt(2 / (384 + 512))),
    ("kaiming_normal", math.sqrt(2 / 384)),
    ("he_uniform", math.sqrt(2 / 384)),
    ("he", math.sqrt(2 / 384)),  # the bare names, as the README writes them
    ("xavier", math.sqrt(2 / (384 + 512))),
])
def test_empirical_weight_std_and_zero_bias(scheme: str, expected: float) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(384, 512), nn.ReLU(), nn.Conv2d(3, 4, 3))
    names = initialize(net, scheme)
    assert names == ("0", "2")
    w = net[0].weight.detach()
    assert float(w.std()) == pytest.approx(expected, rel=0.02)
    assert not net[0].bias.any() and not net[2].bias.any()
    if scheme.endswith("uniform"):
        assert float(w.abs().max()) <= math.sqrt(3) * expected + 1e-7


def test_kaiming_keeps_variance_in_deep_relu_net_where_default_collapses() -> None:
    # One finite-width net is a random walk in log-variance (at width 256 the layer-20 ratio of
    # a single net spreads over about 0.2-1.5 across seeds); averaged over nets it is ~1.
    torch.manual_seed(0)
    x = torch.randn(128, 256)
    he, default, xavier = [], [], []
    for _ in range(6):
        net = mlp(20, 256)
        default.append(np.array(linear_output_vars(net, x)))  # U(+-1/sqrt(fan_in)) weights
        initialize(net, "kaiming_normal", nonlinearity="relu", mode="fan_in")
        he.append(np.array(linear_output_vars(net, x)))
        initialize(net, "xavier_normal")
        xavier.append(np.array(linear_output_vars(net, x)))
    he_ratio = np.mean([v / v[0] for v in he], axis=0)
    assert np.all((he_ratio >= 0.5) & (he_ratio <= 2.0)), he_ratio
    assert np.mean(he, axis=0)[0] == pytest.approx(2.0, rel=0.1)  # 2 * E[x^2], x ~ N(0, 1)
    assert np.mean([v[-1] / v[0] for v in default]) < 0.05
    assert np.mean([v[-1] / v[0] for v in xavier]) < 1e-4  # halves per layer: about 2**-19


def test_orthogonal_gives_scaled_orthonormal_rows_or_columns() -> None:
    gen = torch.Generator().manual_seed(0)
    tall, wide = nn.Linear(16, 32), nn.Linear(32, 16)
    conv = nn.Conv2d(4, 8, 2)  # flattened (8, 16): rows orthonormal
    net = nn.Sequential(tall, wide, conv)
    initialize(net, "orthogonal", nonlinearity="tanh", generator=gen)
    g2 = (5 / 3) ** 2
    with torch.no_grad():
        assert torch.allclose(tall.weight.T @ tall.weight, g2 * torch.eye(16), atol=1e-5)
        assert torch.allclose(wide.weight @ wide.weight.T, g2 * torch.eye(16), atol=1e-5)
        flat = conv.weight.reshape(8, -1)
        assert torch.allclose(flat @ flat.T, g2 * torch.eye(8), atol=1e-5)
    initialize(net, "orthogonal", gain=1.0)
    with torch.no_grad():
        assert torch.allclose(tall.weight.T @ tall.weight, torch.eye(16), atol=1e-5)


def test_generator_makes_init_repeatable_and_bad_arguments_raise() -> None:
    a, b = mlp(2, 8), mlp(2, 8)
    initialize(a, "kaiming_uniform", generator=torch.Generator().manual_seed(5))
    initialize(b, "kaiming_uniform", generator=torch.Generator().manual_seed(5))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    with pytest.raises(ValueError, match="unknown scheme"):
        initialize(a, "glorot_he")  # "glorot" alone is an alias (xavier_uniform)
    with pytest.raises(ValueError, match="batch"):
        initialize(a, "lsuv")
    with pytest.raises(ValueError, match="mode"):
        initialize(a, "kaiming_normal", mode="fan_avg")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gain"):
        initialize(a, "xavier_normal", gain=-1.0)


def test_lsuv_gives_unit_output_std_per_layer() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.3),
        nn.Conv2d(8, 8, 3, padding=1), nn.Tanh(), nn.Flatten(),
        nn.Linear(8 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    net.train()
    bn_before = {k: v.clone() for k, v in net[1].state_dict().items()}
    x = torch.randn(128, 3, 8, 8) * 3 + 1
    result = lsuv(net, x, generator=torch.Generator().manual_seed(0))
    assert [r.name for r in result] == ["0", "4", "7", "9", "11"]
    assert all(abs(r.std - 1) < 0.1 and r.attempts <= 10 for r in result)
    assert net.training and all(torch.equal(v, net[1].state_dict()[k])
                                for k, v in bn_before.items())
    net.eval()
    stds = {}
    hooks = [net[i].register_forward_hook(
        lambda m, i, o, k=i: stds.__setitem__(k, float(o.std()))) for i in (0, 4, 7, 9, 11)]
    with torch.no_grad():
        net(x)
        assert all(abs(s - 1) < 0.1 for s in stds.values()), stds
        net(torch.randn(256, 3, 8, 8) * 3 + 1)  # a fresh batch from the same distribution
        assert all(abs(s - 1) < 0.2 for s in stds.values()), stds
    for h in hooks:
        h.remove()
    assert all(not m.bias.any() for m in net if isinstance(m, nn.Linear))
    assert initialize(mlp(3, 16), "lsuv", batch=torch.randn(64, 16)) == ("0", "2", "4")
    with pytest.raises(ValueError, match="std=0"):
        lsuv(mlp(2, 4), torch.zeros(8, 4))


# --------------------------------------------------------------------------- init_report
def test_activation_stats_and_flags_on_known_arrays() -> None:
    s = activation_stats(np.array([[0.0, 1.0], [0.0, 3.0]]))
    assert (s.mean, s.zero_frac, s.saturated_frac) == (1.0, 0.5, None)
    assert s.signal_std == pytest.approx(math.sqrt((0.0 + 1.0) / 2))
    assert s.std == pytest.approx(np.std([0, 1, 0, 3]))
    t = activation_stats(np.array([[0.995, -0.2], [-0.999, 0.5]]), "tanh")
    assert t.saturated_frac == 0.5
    sg = activation_stats(np.array([[0.001, 0.5], [0.999, 0.5]]), "sigmoid")
    assert sg.saturated_frac == 0.5
    const = activation_stats(np.ones((4, 3)) * np.arange(3))  # units differ, examples do not
    assert const.std > 0.5 and const.signal_std == 0.0
    assert flag_layer(const, 1.0, None) == ("vanishing",)
    assert flag_layer(activation_stats(np.zeros((4, 3))), 1.0, 1e-6) == (
        "vanishing", "dead", "vanishing_grad")
    assert flag_layer(activation_stats(np.array([[1e3], [-1e3]])), 1.0, 1e4) == (
        "exploding", "exploding_grad")
    assert flag_layer(activation_stats(np.array([[np.nan], [1.0]])), 1.0, math.inf) == (
        "non_finite", "non_finite_grad")
    with pytest.raises(ValueError, match="batch"):
        activation_stats(np.ones((1, 3)))


def test_report_flags_vanishing_signal_in_deep_default_sigmoid_and_tanh_nets() -> None:
    torch.manual_seed(0)
    x = torch.randn(128, 64)
    for act in (nn.Sigmoid, nn.Tanh):
        net = mlp(16, 64, act)  # torch's default init
        before = [p.detach().clone() for p in net.parameters()]
        report = init_report(net, x)
        assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
        assert all(p.grad is None for p in net.parameters())
        flags = {f for r in report.layers for f in r.flags}
        assert "vanishing" in flags, str(report)
        assert report.layers[-1].flags and "vanishing" in report.layers[-1].flags
        last = report.layers[-1]
        assert last.signal_std < 1e-2 * report.input_signal_std
    first_linear = init_report(mlp(16, 64, nn.Sigmoid), x).layers[0]
    assert first_linear.flags == ("vanishing_grad",)  # gradients die on the way back


def test_report_on_he_relu_net_is_healthy_and_leaves_no_trace() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(32, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.1),
                        *mlp(6, 64), nn.Linear(64, 5))
    initialize(net, "kaiming_normal")
    x, y = torch.randn(256, 32), torch.randint(0, 5, (256,))
    net(x).sum().backward()  # existing gradients must survive untouched
    params = {k: v.clone() for k, v in net.state_dict().items()}
    grads = [p.grad.clone() for p in net.parameters() if p.grad is not None]
    torch.manual_seed(1)
    report = init_report(net, x, loss_fn=nn.CrossEntropyLoss(), target=y)
    assert report.healthy, str(report)
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in params.items())
    assert all(torch.equal(g, p.grad) for g, p in zip(
        grads, [p for p in net.parameters() if p.grad is not None], strict=True))
    torch.manual_seed(1)  # the same dropout mask
    with torch.no_grad():
        assert report.loss == pytest.approx(float(nn.CrossEntropyLoss()(net(x), y)))
    assert all(not m._forward_hooks for m in net.modules())
    relu = next(r for r in report.layers if r.kind == "ReLU")
    assert 0.3 < relu.zero_frac < 0.7
    lin = report.layers[0]
    assert lin.grad_norm and lin.weight_norm and lin.grad_ratio == pytest.approx(
        lin.grad_norm / lin.weight_norm)
    text = str(report)
    assert text.splitlines()[0].split()[:3] == ["layer", "kind", "mean"]
    assert "BatchNorm1d" in text and "0 of" in text.splitlines()[-1]
    data = report.to_dict()
    assert json.loads(json.dumps(data))["layers"][0]["name"] == "0"
    assert [r.kind for r in report.layers][:3] == ["Linear", "BatchNorm1d", "ReLU"]


def test_report_flags_dead_relus_and_saturated_tanh() -> None:
    torch.manual_seed(0)
    dead = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    with torch.no_grad():
        dead[0].bias.fill_(-100.0)
    rep = init_report(dead, torch.randn(64, 16))
    assert "dead" in rep.layers[1].flags
    hot = nn.Sequential(nn.Linear(16, 16), nn.Tanh())
    initialize(hot, "kaiming_normal", gain=20.0)
    rep = init_report(hot, torch.randn(64, 16))
    assert "saturated" in rep.layers[1].flags
    assert rep.layers[1].saturated_frac is not None and rep.layers[1].saturated_frac > 0.5
    with pytest.raises(ValueError, match="loss_fn"):
        init_report(hot, torch.randn(4, 16), target=torch.zeros(4))
    with pytest.raises(ValueError, match="unknown thresholds"):
        init_report(hot, torch.randn(4, 16), thresholds={"vanish": 0.1})
