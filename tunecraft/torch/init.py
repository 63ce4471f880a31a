"""Weight initialisation (Xavier, He, orthogonal, LSUV) so signals neither vanish nor explode.

The maths (gains, fans, standard deviations) is pure Python; :func:`initialize` and
:func:`lsuv` apply it to every ``Linear`` and ``Conv1d/2d/3d`` layer of a torch model and set
their biases to zero. Other layers (embeddings, norms, recurrent, transposed convolutions) keep
their own initialisation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tunecraft._imports import require
from tunecraft._validation import Interval, Options, check

if TYPE_CHECKING:
    import torch
    from torch import nn

    Layer = nn.Linear | nn.Conv1d | nn.Conv2d | nn.Conv3d

__all__ = [
    "GELU_GAIN", "SCHEMES", "LSUVLayer", "fans", "gain", "initialize", "kaiming_std",
    "lsuv", "xavier_std",
]

GELU_GAIN = 1.0 / math.sqrt(1.0 / 3.0 + 1.0 / (2.0 * math.pi * math.sqrt(3.0)))
"""1/sqrt(E[GELU(z)^2]) for z ~ N(0, 1), about 1.5335: keeps unit pre-activation variance a
fixed point of the forward pass (E[(z Phi(z))^2] = 1/3 + 1/(2 pi sqrt 3), exact GELU)."""
SILU_GAIN = 1.6765324703310904
"""1/sqrt(E[SiLU(z)^2]) for z ~ N(0, 1), by numerical quadrature (no closed form)."""

SCHEMES: tuple[str, ...] = (
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal",
    "lsuv", "torch_default",
)
# The bare names follow each paper: Glorot & Bengio (2010) proposed the uniform "normalized
# initialization" (their eq. 16); He et al. (2015) drew from a zero-mean Gaussian (their eq. 10).
_ALIASES = {"glorot_uniform": "xavier_uniform", "glorot_normal": "xavier_normal",
            "he_uniform": "kaiming_uniform", "he_normal": "kaiming_normal",
            "xavier": "xavier_uniform", "glorot": "xavier_uniform",
            "he": "kaiming_normal", "kaiming": "kaiming_normal"}
_POSITIVE = Interval(float, 0, closed="neither", finite=False)  # gains, tolerances


# --------------------------------------------------------------------------- pure maths
def gain(nonlinearity: str, param: float | None = None) -> float:
    """The variance-preserving gain of a nonlinearity (torch's values, plus GELU and SiLU).

    linear/identity/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu(a) sqrt(2/(1+a^2))
    (``param`` is ``a``, default 0.01), selu 3/4, gelu :data:`GELU_GAIN`, silu/swish
    :data:`SILU_GAIN`.
    """
    name = nonlinearity.lower()
    if name in ("linear", "identity", "sigmoid") or name.startswith("conv"):
        return 1.0
    if name == "tanh":
        return 5.0 / 3.0
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        a = 0.01 if param is None else param
        if isinstance(a, bool) or not isinstance(a, (int, float)) or not math.isfinite(a):
            raise ValueError(f"negative slope param={param!r} must be a finite number")
        return math.sqrt(2.0 / (1.0 + a * a))
    if name == "selu":
        return 0.75
    if name == "gelu":
        return GELU_GAIN
    if name in ("silu", "swish"):
        return SILU_GAIN
    raise ValueError(f"unknown nonlinearity={nonlinearity!r}; use one of linear, sigmoid, "
                     "tanh, relu, leaky_relu, selu, gelu, silu")


_activation_gain = gain  # initialize() has a ``gain`` argument that shadows the function


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``."""
    if len(shape) < 2:
        raise ValueError(f"shape={tuple(shape)!r}: fans need a weight with >= 2 dimensions")
    receptive = math.prod(shape[2:])
    return int(shape[1]) * receptive, int(shape[0]) * receptive


def xavier_std(shape: Sequence[int], gain: float = 1.0) -> float:
    """Glorot & Bengio (2010): ``gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def kaiming_std(shape: Sequence[int], gain: float, mode: str = "fan_in") -> float:
    """He et al. (2015): ``gain / sqrt(fan)``; fan_in keeps forward, fan_out backward variance."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode={mode!r} must be 'fan_in' or 'fan_out'")
    fan_in, fan_out = fans(shape)
    return gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)


# --------------------------------------------------------------------------- torch
def _layers(model: nn.Module) -> list[tuple[str, Layer]]:
    require("torch")
    from torch import nn

    out: list[tuple[str, Layer]] = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            out.append((name, module))
    return out


def initialize(
    model: nn.Module, scheme: str, *,
    nonlinearity: str = "relu", negative_slope: float | None = None,
    mode: Literal["fan_in", "fan_out"] = "fan_in", gain: float | None = None,
    batch: torch.Tensor | None = None, tol: float = 0.1, max_attempts: int = 10,
    generator: torch.Generator | None = None,
) -> tuple[str, ...]:
    """Initialises every Linear/Conv layer of ``model`` in place; returns their names.

    Schemes: ``xavier_uniform``/``xavier_normal`` (gain 1 unless ``gain`` is given, as
    published), ``kaiming_uniform``/``kaiming_normal`` (gain of ``nonlinearity``, ``mode``),
    ``orthogonal`` (gain of ``nonlinearity`` unless ``gain``), ``lsuv`` (needs ``batch``; see
    :func:`lsuv`) and ``torch_default`` (each layer's ``reset_parameters``, biases kept). All
    others set biases to zero. ``glorot_*`` and ``he_*`` are aliases, and so are the bare
    names as each paper drew: ``xavier``/``glorot`` (uniform), ``he``/``kaiming`` (normal).
    """
    require("torch")
    import torch
    from torch.nn.utils import parametrize

    name = _ALIASES.get(scheme, scheme)
    if name not in SCHEMES:
        raise ValueError(f"unknown scheme={scheme!r}; choose one of {list(SCHEMES)} "
                         f"(or aliases {list(_ALIASES)})")
    check("mode", mode, Options("fan_in", "fan_out"))
    act_gain = _activation_gain(nonlinearity, negative_slope)
    check("gain", gain, _POSITIVE, Options(None))
    if name == "lsuv":
        if batch is None:
            raise ValueError("scheme='lsuv' needs batch= (a representative input batch)")
        return tuple(r.name for r in lsuv(model, batch, tol=tol, max_attempts=max_attempts,
                                          generator=generator))
    layers = _layers(model)
    with torch.no_grad():
        for _, layer in layers:
            if name == "torch_default":
                layer.reset_parameters()
                continue
            w = layer.weight
            # a parametrized weight (weight_norm, spectral_norm...) is computed from its
            # originals: draw a new tensor and assign it, so right_inverse sets them
            computed = parametrize.is_parametrized(layer, "weight")
            # draw where the generator lives (a CPU generator can seed a CUDA model), then copy
            gen_device = None if generator is None else generator.device
            on_gen = gen_device is not None and gen_device != w.device
            target = torch.empty_like(w, device=gen_device) if on_gen or computed else w
            if name == "orthogonal":
                torch.nn.init.orthogonal_(target, act_gain if gain is None else gain,
                                          generator=generator)
            else:
                if name.startswith("xavier"):
                    std = xavier_std(w.shape, 1.0 if gain is None else gain)
                else:
                    std = kaiming_std(w.shape, act_gain if gain is None else gain, mode)
                if name.endswith("uniform"):
                    bound = math.sqrt(3.0) * std  # U(-b, b) has std b / sqrt(3)
                    target.uniform_(-bound, bound, generator=generator)
                else:
                    target.normal_(0.0, std, generator=generator)
            if computed:
                _assign_computed_weight(layer, target.to(w.device), name)
            elif on_gen:
                w.copy_(target)
            if layer.bias is not None:
                layer.bias.zero_()
    return tuple(n for n, _ in layers)


def _assign_computed_weight(layer: Layer, value: torch.Tensor, scheme: str) -> None:
    """Set a parametrized layer's weight through its parametrization's ``right_inverse``
    (weight_norm splits it into magnitude and direction); warn when it has none."""
    try:
        layer.weight = value
    except (NotImplementedError, RuntimeError) as exc:
        warnings.warn(
            f"init {scheme!r} left a parametrized layer's weight unchanged: its "
            f"parametrization cannot be set from a weight ({exc}); initialise its original "
            "tensors yourself or register the parametrization after initialize()",
            stacklevel=3)


@dataclass(frozen=True, slots=True)
class LSUVLayer:
    """One layer after LSUV: its output std on the batch and how many rescalings it took."""

    name: str
    std: float
    attempts: int


class _Stop(Exception):
    """Raised by a hook to end the forward pass once the watched layer has run."""


def lsuv(
    model: nn.Module, batch: torch.Tensor, *, tol: float = 0.1, max_attempts: int = 10,
    needed_std: float = 1.0, generator: torch.Generator | None = None,
) -> tuple[LSUVLayer, ...]:
    """Layer-sequential unit-variance init (Mishkin & Matas, ICLR 2016).

    Orthonormal pre-init of every Linear/Conv layer (biases zero), then, in the order the
    layers run on ``batch``, rescale ``W <- W * needed_std / std(output)`` until
    ``|std - needed_std| < tol`` or ``max_attempts`` rescalings. Runs in eval mode under
    ``no_grad`` (so dropout is off and BatchNorm running statistics are untouched) and restores
    the model's mode. Use a batch of about 128 examples or more. Layers that never run keep
    their orthonormal init and are not reported.
    """
    require("torch")
    import torch
    from torch.nn.utils import parametrize

    check("tol", tol, _POSITIVE)
    check("max_attempts", max_attempts, Interval(int, 1))
    check("needed_std", needed_std, _POSITIVE)
    initialize(model, "orthogonal", gain=1.0, generator=generator)
    layers = {m: n for n, m in _layers(model)}
    order: list[Layer] = []
    was_training = model.training

    def record(mod: nn.Module, inputs: object, output: object) -> None:
        if all(mod is not seen for seen in order):
            order.append(mod)  # type: ignore[arg-type]  # hooks sit on layers only

    handles = [m.register_forward_hook(record) for m in layers]
    results: list[LSUVLayer] = []
    try:
        model.eval()
        with torch.no_grad():
            model(batch)
            for h in handles:
                h.remove()
            handles = []
            for layer in order:
                std, attempts = _output_std(model, layer, batch), 0
                while abs(std - needed_std) >= tol and attempts < max_attempts:
                    if not math.isfinite(std) or std == 0.0:
                        raise ValueError(f"LSUV: layer {layers[layer]!r} outputs std={std}; "
                                         "check the batch (constant or non-finite input?)")
                    if parametrize.is_parametrized(layer, "weight"):
                        _assign_computed_weight(layer, layer.weight * (needed_std / std), "lsuv")
                    else:
                        layer.weight.mul_(needed_std / std)
                    attempts += 1
                    std = _output_std(model, layer, batch)
                results.append(LSUVLayer(layers[layer], std, attempts))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return tuple(results)


def _output_std(model: nn.Module, layer: nn.Module, batch: torch.Tensor) -> float:
    captured: list[float] = []

    def hook(mod: nn.Module, inputs: object, output: torch.Tensor) -> None:
        captured.append(float(output.detach().double().std()))
        raise _Stop

    handle = layer.register_forward_hook(hook)
    try:
        model(batch)
    except _Stop:
        pass
    finally:
        handle.remove()
    return captured[0]
