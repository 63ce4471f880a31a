"""``initialize`` reaches weight-normalised (parametrized) layers, whose weight is computed."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils.parametrizations import weight_norm  # noqa: E402

from tunecraft.torch.init import initialize  # noqa: E402


@pytest.mark.parametrize("scheme", ["kaiming_normal", "xavier_uniform", "orthogonal"])
def test_a_weight_normalised_layer_gets_the_scheme_s_scale(scheme: str) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(weight_norm(nn.Linear(400, 300)), nn.ReLU(), nn.Linear(300, 2))
    with torch.no_grad():
        model[0].parametrizations.weight.original1.mul_(10.0)  # direction v x10
        model[0].parametrizations.weight.original0.mul_(10.0)  # magnitude g x10
    assert float(model[0].weight.detach().std()) > 0.2  # 10x the default scale
    initialize(model, scheme)
    std = float(model[0].weight.detach().std())
    expected = {"kaiming_normal": math.sqrt(2.0 / 400), "xavier_uniform": math.sqrt(2.0 / 700),
                "orthogonal": math.sqrt(2.0) / math.sqrt(400)}[scheme]
    assert std == pytest.approx(expected, rel=0.1)
    out = model(torch.randn(8, 400))  # still a working, parametrized layer
    assert out.shape == (8, 2) and hasattr(model[0], "parametrizations")


def test_a_parametrization_without_right_inverse_warns_and_keeps_the_weight() -> None:
    class Doubled(nn.Module):
        def forward(self, w: torch.Tensor) -> torch.Tensor:
            return 2 * w

    layer = nn.Linear(4, 3)
    torch.nn.utils.parametrize.register_parametrization(layer, "weight", Doubled())
    before = layer.weight.detach().clone()
    with pytest.warns(UserWarning, match="parametrized layer"):
        initialize(nn.Sequential(layer), "kaiming_normal")
    assert torch.equal(layer.weight.detach(), before)


def test_lsuv_rescales_a_weight_normalised_layer_to_unit_output_std() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(weight_norm(nn.Linear(20, 64)), nn.Tanh(), nn.Linear(64, 2))
    batch = torch.randn(256, 20) * 30.0  # unstandardised inputs: far from unit std
    initialize(model, "lsuv", batch=batch)
    with torch.no_grad():
        std = float(model[0](batch).std())
    assert std == pytest.approx(1.0, abs=0.1)
