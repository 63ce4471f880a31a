"""Optimizers from a name or a frozen config, with biases and norm weights kept out of decay.

``make_optimizer`` builds SGD (momentum, Nesterov), Adam, AdamW, RMSprop or Adagrad and, when
weight decay is on, splits the parameters into two groups: weights that decay, and biases,
normalisation weights and other 1-D parameters that do not (decaying them only shrinks scales
and shifts that normalisation layers need; see Loshchilov & Hutter 2019, Goyal et al. 2017).
``suggest_optimizer`` searches the optimizer with its conditional parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tunecraft._imports import require
from tunecraft.torch._types import SuggestTrial
from tunecraft.torch.declared_space import LR_RANGE, WEIGHT_DECAY_RANGE, OptimizerSpace
from tunecraft.torch.knobs import Range
from tunecraft.torch.optimizer_config import OPTIMIZER_NAMES, OptimizerConfig

if TYPE_CHECKING:
    from torch import Tensor, nn
    from torch.optim import Optimizer

    ParamSource = nn.Module | Iterable[tuple[str, Tensor]] | Iterable[Tensor]

__all__ = ["OPTIMIZER_NAMES", "OptimizerConfig", "make_optimizer", "param_groups",
           "suggest_optimizer"]


def param_groups(
    params: ParamSource, weight_decay: float, *, exclude_from_weight_decay: bool = True
) -> list[dict[str, Any]]:
    """Torch param groups: decayed weights, and (if excluding) biases/norm/1-D params at 0.

    A parameter is excluded when it belongs to a BatchNorm/InstanceNorm/LayerNorm/GroupNorm/
    RMSNorm module, is named ``*bias``, or has fewer than 2 dimensions. Frozen parameters
    (``requires_grad=False``) are left out; shared parameters appear once. Empty groups drop.
    """
    require("torch")
    import torch
    from torch import nn

    norm_ids: set[int] = set()
    if isinstance(params, nn.Module):
        norm_types = tuple(t for t in (
            nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm,
            getattr(nn, "RMSNorm", None)) if t is not None)
        for module in params.modules():
            if isinstance(module, norm_types):
                norm_ids.update(id(p) for p in module.parameters(recurse=False))
        items: list[tuple[str, Tensor]] = list(params.named_parameters())
    else:
        items = []
        for i, item in enumerate(params):
            if isinstance(item, torch.Tensor):
                items.append((f"param{i}", item))
            elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1],
                                                                           torch.Tensor):
                items.append((str(item[0]), item[1]))
            else:
                raise TypeError(f"parameter entry {i} is {type(item).__name__}; pass a "
                                "Module, (name, tensor) pairs or tensors")
    decay: list[Tensor] = []
    no_decay: list[Tensor] = []
    seen: set[int] = set()
    for name, p in items:
        if not p.requires_grad or id(p) in seen:
            continue
        seen.add(id(p))
        excluded = id(p) in norm_ids or name.endswith("bias") or p.ndim < 2
        (no_decay if exclude_from_weight_decay and excluded else decay).append(p)
    if not seen:
        raise ValueError("no trainable parameters (requires_grad=True) to optimize")
    groups = [{"params": decay, "weight_decay": float(weight_decay)},
              {"params": no_decay, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def make_optimizer(
    model_or_named_params: ParamSource, name: str | OptimizerConfig, lr: float | None = None,
    *, weight_decay: float | None = None, momentum: float | None = None,
    nesterov: bool | None = None, betas: tuple[float, float] | None = None,
    eps: float | None = None, alpha: float | None = None,
    exclude_from_weight_decay: bool | None = None,
) -> Optimizer:
    """A torch optimizer by name (sgd, adam, adamw, rmsprop, adagrad) or from a config.

    Defaults are those of :class:`OptimizerConfig` (weight_decay 0, momentum 0.9 for SGD,
    betas (0.9, 0.999), eps 1e-8, alpha 0.99). With a config, any keyword given here overrides
    the config's field (e.g. ``make_optimizer(model, cfg, lr=found_lr)``).

    Raises:
        ValueError: unknown name, missing or bad lr, out-of-range values.
    """
    overrides: dict[str, Any] = {k: v for k, v in {
        "lr": lr, "weight_decay": weight_decay, "momentum": momentum, "nesterov": nesterov,
        "betas": tuple(betas) if betas is not None else None, "eps": eps, "alpha": alpha,
        "exclude_from_weight_decay": exclude_from_weight_decay}.items() if v is not None}
    if isinstance(name, OptimizerConfig):
        config = dataclasses.replace(name, **overrides)
    elif isinstance(name, str):
        if lr is None:
            raise ValueError(f"lr is required with name={name!r} (e.g. lr=1e-3)")
        config = OptimizerConfig(name.lower(), **overrides)
    else:
        raise TypeError(f"name={name!r} must be an optimizer name or an OptimizerConfig")
    require("torch")
    from torch import optim

    groups = param_groups(model_or_named_params, config.weight_decay,
                          exclude_from_weight_decay=config.exclude_from_weight_decay)
    mom = config.resolved_momentum()
    if config.name == "sgd":
        return optim.SGD(groups, lr=config.lr, momentum=mom, nesterov=config.nesterov)
    if config.name in ("adam", "adamw"):
        cls = optim.Adam if config.name == "adam" else optim.AdamW
        return cls(groups, lr=config.lr, betas=config.betas, eps=config.eps)
    if config.name == "rmsprop":
        return optim.RMSprop(groups, lr=config.lr, alpha=config.alpha, eps=config.eps,
                             momentum=mom)
    return optim.Adagrad(groups, lr=config.lr, eps=config.eps)


def suggest_optimizer(
    trial: SuggestTrial, *, choices: Sequence[str] = ("sgd", "adamw"),
    lr: Range = LR_RANGE, weight_decay: Range = WEIGHT_DECAY_RANGE, prefix: str = "optimizer",
) -> OptimizerConfig:
    """Asks ``trial`` for an optimizer and only the parameters that optimizer uses.

    Parameters (prefixed with ``prefix``): ``{prefix}`` (categorical over ``choices``),
    ``_lr`` (log range, or fixed when a number), ``_weight_decay`` (log range, fixed number, or
    None for 0); sgd: ``_sgd_momentum`` [0.8, 0.99], ``_sgd_nesterov`` {False, True};
    adam/adamw: ``_adam_beta1`` [0.8, 0.95], ``_adam_beta2`` {0.99, 0.999}; rmsprop:
    ``_rmsprop_alpha`` [0.9, 0.999], ``_rmsprop_momentum`` [0, 0.9]. Adagrad adds nothing.
    The knobs are declared in :mod:`tunecraft.torch.declared_space` (``OPTIMIZER_KNOBS``).
    """
    return OptimizerSpace(tuple(choices), lr, weight_decay, prefix).ask(trial)
