"""OptimizerConfig: the frozen, validated record of an optimizer and its settings (no torch).

What :func:`~tunecraft.torch.optimizers.make_optimizer` builds from, what
:func:`~tunecraft.torch.optimizers.suggest_optimizer` returns and what a
:class:`~tunecraft.torch.TrainConfig` holds. Plain data, so the search space
(:mod:`~tunecraft.torch.declared_space`) can build it without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from tunecraft._validation import Interval, Options, Spec, check, validate

__all__ = ["OPTIMIZER_NAMES", "OptimizerConfig"]

OPTIMIZER_NAMES: tuple[str, ...] = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
_DEFAULT_MOMENTUM = {"sgd": 0.9, "rmsprop": 0.0}
_UNIT = Interval(float, 0, 1, closed="left")
_CONSTRAINTS: Spec = {
    "lr": Interval(float, 0, closed="neither"), "weight_decay": Interval(float, 0),
    "momentum": [_UNIT, Options(None)], "eps": Interval(float, 0, closed="neither"),
    "alpha": _UNIT,
}


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
        validate(_CONSTRAINTS, lr=self.lr, weight_decay=self.weight_decay,
                 momentum=self.momentum, eps=self.eps, alpha=self.alpha)
        if len(self.betas) != 2:
            raise ValueError(f"betas={self.betas!r} must be a pair (beta1, beta2)")
        for i, b in enumerate(self.betas):
            check(f"betas[{i}]", b, _UNIT)
        if self.nesterov and (self.name != "sgd" or self.resolved_momentum() == 0.0):
            raise ValueError(f"nesterov=True needs name='sgd' with momentum > 0 (got "
                             f"name={self.name!r}, momentum={self.resolved_momentum()!r})")

    def resolved_momentum(self) -> float:
        """``momentum`` or, when None, this optimizer's default (0.9 SGD, 0 RMSprop)."""
        if self.momentum is not None:
            return float(self.momentum)
        return _DEFAULT_MOMENTUM.get(self.name, 0.0)
