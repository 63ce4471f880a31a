"""A searchable multi-layer perceptron: depth, width and activation as trial parameters.

:class:`MLPSpec` is plain data and a model factory for :func:`tunecraft.torch.fit`: calling it
with a :class:`~tunecraft.torch.TrainConfig` builds ``depth`` x (Linear, activation, Dropout)
and a linear head; ``fit`` then sets the dropout rate and initialises the weights from the config.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tunecraft._imports import require
from tunecraft._validation import Interval, Spec, validate
from tunecraft.torch._types import SuggestTrial
from tunecraft.torch.declared_space import ACTIVATIONS, MLP_DEPTH, MLP_WIDTH, MLPSpace

if TYPE_CHECKING:
    from torch import nn

    from tunecraft.torch.train_config import TrainConfig

__all__ = ["ACTIVATIONS", "MLPSpec", "suggest_mlp"]

_MODULES = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "gelu": "GELU",
            "silu": "SiLU", "leaky_relu": "LeakyReLU"}


_CONSTRAINTS: Spec = {"in_features": Interval(int, 1), "out_features": Interval(int, 1),
                      "width": Interval(int, 1), "depth": Interval(int, 0)}


@dataclass(frozen=True, slots=True)
class MLPSpec:
    """An MLP's shape; ``spec(config)`` builds a fresh ``nn.Sequential``.

    ``depth`` hidden layers of ``width`` units, each Linear -> activation -> Dropout (rate
    ``config.dropout``, 0 without a config), then Linear to ``out_features``. ``depth=0`` is a
    linear model (no dropout module, so use ``dropout=0`` with it).
    """

    in_features: int
    out_features: int
    depth: int = 2
    width: int = 128
    activation: str = "relu"

    def __post_init__(self) -> None:
        validate(_CONSTRAINTS, in_features=self.in_features, out_features=self.out_features,
                 width=self.width, depth=self.depth)
        if self.activation not in _MODULES:
            raise ValueError(f"activation={self.activation!r} must be one of {list(_MODULES)}")

    def __call__(self, config: TrainConfig | None = None) -> nn.Module:
        """A new model with this shape (dropout rate from ``config``)."""
        require("torch")
        from torch import nn

        rate = 0.0 if config is None else config.dropout
        act = getattr(nn, _MODULES[self.activation])
        layers: list[nn.Module] = []
        width_in = self.in_features
        for _ in range(self.depth):
            layers += [nn.Linear(width_in, self.width), act(), nn.Dropout(rate)]
            width_in = self.width
        layers.append(nn.Linear(width_in, self.out_features))
        return nn.Sequential(*layers)


def suggest_mlp(
    trial: SuggestTrial, in_features: int, out_features: int, *,
    depth: int | tuple[int, int] = MLP_DEPTH,
    width: int | tuple[int, int] = MLP_WIDTH,
    activation: str | Sequence[str] = ACTIVATIONS,
    prefix: str = "mlp",
) -> MLPSpec:
    """Ask ``trial`` for an MLP's depth, width (log scale) and activation.

    Parameters: ``{prefix}_depth`` (int), ``{prefix}_width`` (int, log), ``{prefix}_activation``
    (categorical over relu, sigmoid, tanh, gelu). A single value fixes a parameter (it is then
    not asked); a ``(low, high)`` pair narrows a range; a sequence of names narrows the
    activations. Use the result as the ``model_factory`` of :func:`~tunecraft.torch.fit`.
    The knobs are declared in :mod:`tunecraft.torch.declared_space` (:class:`MLPSpace`).
    """
    shape = MLPSpace(depth, width, activation, prefix).ask(trial)
    return MLPSpec(in_features, out_features, **shape)


def mlp_space(*, depth: int | tuple[int, int] = MLP_DEPTH,
              width: int | tuple[int, int] = MLP_WIDTH,
              activation: str | Sequence[str] = ACTIVATIONS, prefix: str = "mlp"
              ) -> dict[str, Any]:
    """The declared-space form (``tunecraft.config``) of :func:`suggest_mlp`'s parameters."""
    return MLPSpace(depth, width, activation, prefix).declared()
