"""Which initialisation a model's activations call for, and why.

The rule follows the papers each scheme comes from: He et al. (2015, eq. 10) keep the
forward variance of ReLU-family networks with ``Var(w) = 2 / fan_in`` (Kaiming); Glorot &
Bengio (2010, eq. 12/16) keep it for symmetric saturating units (tanh, and sigmoid, whose
near-linear centre they analyse) with ``Var(w) = 2 / (fan_in + fan_out)`` (Xavier); for
deep networks without normalisation layers, where no closed-form gain holds through many
layers, LSUV (Mishkin & Matas, ICLR 2016, Alg. 1) rescales each layer on a real batch until
its output variance is 1. :func:`recommend_init` is the pure rule; ``init_report`` and the
training doctor's remedies use it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

__all__ = ["DEEP", "InitAdvice", "activation_family", "recommend_init", "recommend_for_model"]

DEEP = 8
"""Weight layers (Linear/Conv) from which a network without normalisation counts as deep:
LSUV is recommended there (Mishkin & Matas report it helps most on deep, thin networks)."""

_RELU = {"relu", "relu6", "leakyrelu", "prelu", "rrelu", "elu", "celu", "gelu", "silu",
         "mish", "selu", "softplus", "hardswish", "leaky_relu"}
_SATURATING = {"tanh", "sigmoid", "hardtanh", "hardsigmoid", "softsign", "tanhshrink"}
_NORMS = ("BatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm", "RMSNorm")


@dataclass(frozen=True, slots=True)
class InitAdvice:
    """A recommended ``TrainConfig.init`` / ``initialize`` scheme, the ``nonlinearity`` to
    pass with it, and the reason in words."""

    scheme: str
    nonlinearity: str
    reason: str

    def __str__(self) -> str:
        return f"init={self.scheme!r} (nonlinearity={self.nonlinearity!r}): {self.reason}"


def activation_family(name: str) -> str | None:
    """``relu`` (ReLU family), ``saturating`` (tanh/sigmoid) or None for an activation name
    (a module class name such as ``LeakyReLU`` or a kind such as ``tanh``)."""
    key = name.lower()
    if key in _RELU:
        return "relu"
    if key in _SATURATING:
        return "saturating"
    return None


def recommend_init(activations: Iterable[str], *, depth: int = 2,
                   normalized: bool = False, unstable: bool = False) -> InitAdvice:
    """The initialisation for a network with these activations (names, in any order).

    Args:
        activations: Activation names (``ReLU``, ``tanh``, ...); the most common family wins.
        depth: Weight layers (Linear/Conv) in the network.
        normalized: Whether it has normalisation layers (they re-scale each layer already).
        unstable: Whether the signal or gradient already vanishes/explodes across depth.
    """
    names = [a.lower() for a in activations]
    families = Counter(f for f in map(activation_family, names) if f is not None)
    family = families.most_common(1)[0][0] if families else None
    if not normalized and (depth >= DEEP or (unstable and depth >= 4)):
        why = (f"{depth} weight layers without normalisation" if depth >= DEEP else
               "the signal already vanishes or explodes across the layers")
        nonlin = "relu" if family == "relu" else ("tanh" if "tanh" in names else "linear")
        return InitAdvice("lsuv", nonlin, f"{why}: LSUV scales every layer to unit output "
                          "variance on a real batch (Mishkin & Matas 2016), which keeps the "
                          "signal alive where a closed-form gain drifts over many layers")
    if family == "relu":
        kind = next(n for n in names if activation_family(n) == "relu")
        nonlin = "leaky_relu" if kind in ("leakyrelu", "leaky_relu", "prelu", "rrelu") else (
            kind if kind in ("gelu", "silu", "selu") else "relu")
        return InitAdvice("kaiming_normal", nonlin, "ReLU-family units zero half their "
                          "inputs, so He/Kaiming init doubles the weight variance "
                          "(2 / fan_in) to keep the signal's variance across layers")
    if family == "saturating":
        nonlin = "tanh" if "tanh" in names else "sigmoid"
        return InitAdvice("xavier_normal", nonlin, f"{nonlin} units saturate when their "
                          "inputs grow: Xavier/Glorot init (2 / (fan_in + fan_out)) keeps "
                          "pre-activations in the sensitive centre, forward and backward")
    return InitAdvice("xavier_normal", "linear", "no nonlinearity found: Xavier/Glorot keeps "
                      "the variance of a linear map")


def recommend_for_model(model: nn.Module, *, unstable: bool = False) -> InitAdvice:
    """:func:`recommend_init` for ``model``'s activation modules, depth and norm layers."""
    import torch

    acts, depth, normalized = [], 0, False
    for module in model.modules():
        name = type(module).__name__
        if activation_family(name) is not None:
            acts.append(name)
        if isinstance(module, (torch.nn.Linear, torch.nn.modules.conv._ConvNd)):
            depth += 1
        normalized = normalized or name.startswith(_NORMS)
    return recommend_init(acts, depth=depth, normalized=normalized, unstable=unstable)
