"""OptimizerConfig: the frozen, validated record of an optimizer and its settings (no torch).

What :func:`~tunecraft.torch.optimizers.make_optimizer` builds from, what
:func:`~tunecraft.torch.optimizers.suggest_optimizer` returns and what a
:class:`~tunecraft.torch.TrainConfig` holds. Plain data, so the search space
(:mod:`~tunecraft.torch.declared_space`) can build it without importing torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["OPTIMIZER_NAMES", "OptimizerConfig"]

OPTIMIZER_NAMES: tuple[str, ...] = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
_DEFAULT_MOMENTUM = {"sgd": 0.9, "rmsprop": 0.0}


def _number(name: str, value: object, low: float, high: float, *, low_open: bool = False,
            high_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        v = float(value)  # type: ignore[arg-type]
        ok = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        lb, hb = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{name}={value!r} must be a finite number in {lb}{low}, {high}{hb}")


@dataclass(frozen=True, slots=True)
class OptimizerConfig:
    """Everything :func:`make_optimizer` needs; what :func:`suggest_optimizer` returns.

    ``momentum=None`` means the optimizer's usual default: 0.9 for SGD, 0 for RMSprop (Adam's
    momentum is ``betas[0]``). ``weight_decay`` is L2 for sgd/adam/rmsprop/adagrad and
    decoupled for adamw. ``exclude_from_weight_decay`` keeps biases and norm weights at 0.
    """

    name: str
    lr: float
    weight_decay: float = 0.0
    momentum: float | None = None
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    alpha: float = 0.99
    exclude_from_weight_decay: bool = True

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZER_NAMES:
            raise ValueError(f"unknown optimizer name={self.name!r}; choose one of "
                             f"{list(OPTIMIZER_NAMES)}")
        _number("lr", self.lr, 0.0, math.inf, low_open=True, high_open=True)
        _number("weight_decay", self.weight_decay, 0.0, math.inf, high_open=True)
        if self.momentum is not None:
            _number("momentum", self.momentum, 0.0, 1.0, high_open=True)
        if len(self.betas) != 2:
            raise ValueError(f"betas={self.betas!r} must be a pair (beta1, beta2)")
        for b in self.betas:
            _number("betas", b, 0.0, 1.0, high_open=True)
        _number("eps", self.eps, 0.0, math.inf, low_open=True, high_open=True)
        _number("alpha", self.alpha, 0.0, 1.0, high_open=True)
        if self.nesterov and (self.name != "sgd" or self.resolved_momentum() == 0.0):
            raise ValueError(f"nesterov=True needs name='sgd' with momentum > 0 (got "
                             f"name={self.name!r}, momentum={self.resolved_momentum()!r})")

    def resolved_momentum(self) -> float:
        """``momentum`` or, when None, this optimizer's default (0.9 SGD, 0 RMSprop)."""
        if self.momentum is not None:
            return float(self.momentum)
        return _DEFAULT_MOMENTUM.get(self.name, 0.0)
