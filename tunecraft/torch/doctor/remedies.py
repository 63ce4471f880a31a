"""``Diagnosis.fix``: the remedies a :class:`TrainConfig` can express, one per problem code.

Each remedy returns the fields to change, computed from the problem's measured numbers and
the current config (AutoTrainer's repair table, Zhang et al. ICSE 2021, Table II, restricted
to what a config can say: learning rate, warm-up, schedule, initialisation, clipping, weight
decay, dropout, early stopping). Remedies are applied most severe problem first; a field set
by one is not changed by a later one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tunecraft.torch.doctor.thresholds import THRESHOLDS

if TYPE_CHECKING:  # diagnosis.py imports this module when Diagnosis.fix is called
    from tunecraft.torch.doctor.diagnosis import Diagnosis, Problem
    from tunecraft.torch.train_config import TrainConfig

__all__ = ["REMEDIES", "apply", "changes_for", "target_update", "target_update_max"]

Remedy = Callable[["Problem", "TrainConfig", Mapping[str, Any]], dict[str, Any]]


def _init_for(context: Mapping[str, Any]) -> str:
    kinds = set(context.get("activations") or ())
    return "xavier_normal" if kinds and kinds <= {"tanh", "sigmoid"} else "kaiming_normal"


def target_update(config: TrainConfig) -> float:
    """The first-step update-to-weight ratio a well-set learning rate gives ``config``'s
    optimizer: 2e-2 of the weights for Adam-type steps (``lr * sign(g)``-like), 6e-2 for
    RMSprop (its first step is inflated while the squared-gradient average warms up), and
    ``4e-2 * (1 - momentum)`` for SGD, whose heavy-ball steps grow ``1 / (1 - momentum)``
    times after the first (Polyak 1964). About 0.7 x the median of the healthy runs of the
    dev zoo (benchmarks/doctor_zoo.py), which sets the scale; the ratio is scale-free."""
    name = config.optimizer
    if name == "sgd":
        momentum = config.momentum or 0.0
        return 4e-2 * (1.0 - min(momentum, 0.99))
    return 6e-2 if name == "rmsprop" else 2e-2


def target_update_max(config: TrainConfig) -> float | None:
    """The first-step update-to-weight ratio of the *fastest* layer a well-set learning rate
    gives plain SGD: ``8e-2 * (1 - momentum)``, or None for the adaptive optimizers.

    SGD moves each layer by ``lr * ||g|| / ||w||``, and that ratio differs 20x between layer
    types at initialisation (an LSTM's recurrent weights against its output layer), so the
    median layer says little about where the steps turn unstable; the layer that moves the
    most does (it sets how far the function moves per step). With this target the learning
    rates that train well, from 0.0125 to 0.4 for the zoo's MLPs, CNNs, GRUs, LSTMs and
    attention models, all contain the one the fix picks (benchmarks/results/issue-15.md).
    Adam and RMSprop normalise every parameter's step, so their median layer is enough."""
    if config.optimizer != "sgd":
        return None
    return 8e-2 * (1.0 - min(config.momentum or 0.0, 0.99))


def _lr_factor(p: Problem, c: TrainConfig, low: float, high: float, default: float) -> float:
    """The learning-rate factor that brings the measured first step to the target (SGD: the
    fastest layer's step, when measured; otherwise the median layer's)."""
    if c.warmup_pct > 0:  # the first step ran at a fraction of the peak rate
        return _bounded(p.data.get("lr_factor", default), low, high)
    fastest, target_max = p.data.get("update0_max"), target_update_max(c)
    if target_max is not None and fastest is not None and fastest > 0:
        return _bounded(target_max / float(fastest), low, high)
    first = p.data.get("update0")
    if first is None or not first > 0:
        return _bounded(p.data.get("lr_factor", default), low, high)
    return _bounded(target_update(c) / float(first), low, high)


def _bounded(factor: float, low: float, high: float) -> float:
    """``factor`` within ``[low, high]``, every path of :func:`_lr_factor` alike: the
    bounds are the range a measured update ratio can size (about 1e-7..1e-2 of the
    weights' norm for float32 weights: at most 1e5x either way), so no rule's own number
    moves the rate further in one ``fix``; ``heal`` takes more rounds."""
    return float(min(high, max(low, float(factor))))


def _lr_high(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"lr": c.lr * _lr_factor(p, c, 1e-5, 0.3, 0.1)}
    if c.warmup_pct == 0:
        out["warmup_pct"] = 0.05
    return out


def _lr_low(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    return {"lr": c.lr * _lr_factor(p, c, 3.0, 1e5, 10.0)}


def _vanishing(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Re-initialise layer by layer (once; then a higher rate). No early stopping: an
    LSUV-cured deep sigmoid stack can sit at chance for its first epochs before it learns
    (patience 3 stopped two dev-zoo runs there, 0.42 -> 0.25)."""
    return {"init": "lsuv"} if c.init != "lsuv" else {"lr": c.lr * 3}


def _exploding(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Re-initialise, clip, size the rate (``_rate_after_cure``) and stop early.

    The sick run spent its epochs undoing the blown-up scale, so it cannot show how fast
    the cured model fits: early stopping lets the epoch budget follow (7 of 32 cured runs in
    five zoos overfit within the sick run's budget; it keeps their best epoch)."""
    out: dict[str, Any] = {"grad_clip": 1.0 if c.grad_clip is None else c.grad_clip / 10}
    if "initial_gradient" in p.data:  # amplified through time inside a recurrent module:
        # ``init`` re-draws Linear/Conv layers only, so clipping bounds the steps (Pascanu
        # et al., ICML 2013, Sec. 3.2) and the rate is sized from the measured first step;
        # the sick run's epochs are the cured run's (same weights): no early stopping
        factor = _rate_after_cure(p, c, reinit=False)
        return {**out, **({"lr": c.lr * factor} if factor < 1.0 else {})}
    if c.init in ("torch_default", "orthogonal", "xavier_uniform", "kaiming_uniform"):
        out["init"] = _init_for(ctx)
    factor = _rate_after_cure(p, c, "init" in out)
    if factor < 1.0:
        out["lr"] = c.lr * factor
    if c.patience is None:
        out["patience"] = 3
    return out


def _rate_after_cure(p: Problem, c: TrainConfig, reinit: bool) -> float:
    """The learning-rate factor (at most 1) that keeps the first step at the optimizer's
    healthy size once the exploding init is cured, predicted from the measured first step.

    Adam-type steps move each weight by about ``lr`` whatever the gradient, so their ratio
    to the weights grows as a variance-preserving re-init shrinks the weights by the
    measured per-layer gain (He et al. 2015): predicted step = first step x gain. Plain SGD's
    step follows the gradient, which the re-init shrinks by an amount not measured (the
    backward pass, not the activations), so it is sized only when the init stays."""
    if c.warmup_pct > 0:  # the first step ran at a fraction of the peak rate
        return 1.0
    if target_update_max(c) is None:
        first, target = p.data.get("update0"), target_update(c)
        gain = float(p.data.get("gain_per_layer") or 1.0) if reinit else 1.0
    elif not reinit:
        fastest = p.data.get("update0_max")
        first = fastest or p.data.get("update0")
        target = (target_update_max(c) or 0.0) if fastest else target_update(c)
        gain = 1.0
    else:
        return 1.0
    if first is None or not float(first) > 0:
        return 1.0
    return float(min(1.0, max(1e-3, target / (float(first) * max(gain, 1.0)))))


def _dead(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Re-initialise; with plain SGD and a whole dead layer also warm up and clip.

    A dead layer passes no gradient, so the layers below it never moved: SGD's step follows
    the gradient, and the one the revived units produce was never measured, so the rate
    meets it untried (warm-up: Goyal et al. 2017, Sec. 2.2). Adam-type steps are lr-sized
    whatever the gradient, as the live layers already showed (as in ``_rate_after_cure``)."""
    if c.init == "kaiming_normal":
        return {"lr": c.lr / 3}
    out: dict[str, Any] = {"init": "kaiming_normal"}
    if p.data.get("dead_layer"):  # no gradient passed, the run learned nothing: its
        # epoch budget says nothing about how fast the cured network fits (as in
        # ``_exploding``; cured dead MLPs memorised within it), so stop early
        if c.patience is None:
            out["patience"] = 3
        if target_update_max(c) is not None:
            if c.warmup_pct == 0:
                out["warmup_pct"] = 0.05
            if c.grad_clip is None:
                out["grad_clip"] = 1.0
    return out


def _saturated(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    return {"init": "lsuv"} if c.init != "lsuv" else {"init": "xavier_normal"}


# the share of the weights decay may remove per step in the cure: a tenth of what the
# underfitting rule calls heavy (``decay_step``), so the cure cannot cause it
_CURE_DECAY_STEP = THRESHOLDS["decay_step"] / 10
# coupled L2 in Adam, RMSprop and Adagrad is divided by the same running gradient scale as
# the data gradient, so once the data gradient is small (a memorising run's is) even 1e-3
# dominates the step (Loshchilov & Hutter, ICLR 2019, Sec. 2): stay at this
_COUPLED_DECAY_MAX = 1e-3


def _decay_share_per_unit(c: TrainConfig) -> float | None:
    """The share of the weights one unit of weight decay removes per step: ``lr / (1 -
    momentum)`` for SGD (heavy-ball steps add up), ``lr`` for AdamW's decoupled decay; None
    for coupled L2 in the other adaptive optimizers, whose normalised steps it enters."""
    if c.optimizer == "sgd":
        return c.lr / (1.0 - min(c.momentum or 0.0, 0.99))
    return c.lr if c.optimizer == "adamw" else None


def _regularising_decay(c: TrainConfig) -> float:
    """Weight decay for an overfitting run: x10 the current (0.05 where there is none), at most
    0.5, and never so much that it removes more than ``_CURE_DECAY_STEP`` of the weights per
    step (SGD, AdamW) or, for coupled L2 in the other adaptive optimizers, more than
    ``_COUPLED_DECAY_MAX``: a cure that starves the model of its gradient turns overfitting
    into underfitting."""
    unit = _decay_share_per_unit(c)
    cap = _COUPLED_DECAY_MAX if unit is None else _CURE_DECAY_STEP / unit
    return max(min(max(0.05, min(c.weight_decay * 10, 0.5)), cap), c.weight_decay)


def _overfitting(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    if p.data.get("deferred"):  # found beside an error, whose cure comes first
        return {}
    out: dict[str, Any] = {"weight_decay": _regularising_decay(c)}
    if ctx.get("has_dropout") and c.dropout < 0.3:
        out["dropout"] = 0.3
    if c.patience is None:  # at least as many epochs as the sick run needed to reach its
        # best validation loss: a shorter patience stops the cured (regularised, so slower)
        # run before it leaves its starting plateau (runs of 1-2 steps an epoch on a few
        # dozen examples were stopped at epoch 4, below the sick run's accuracy)
        out["patience"] = max(3, int(p.data.get("best_epoch") or 0))
    return out


def _underfitting(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.weight_decay > 1e-4:  # a tenth of the most the overfitting cure allows (coupled
        # L2: ``_COUPLED_DECAY_MAX``; SGD and AdamW: ``_CURE_DECAY_STEP`` of the weights per
        # step), or it still outweighs the gradient: /100 of SGD's 5 at lr 0.3 still
        # removed 1.5% a step and shrank the weights to 0.4% of their norm
        unit = _decay_share_per_unit(c)
        cap = _COUPLED_DECAY_MAX if unit is None else _CURE_DECAY_STEP / unit
        out["weight_decay"] = min(c.weight_decay / 100, cap / 10)
    if c.dropout > 0.1:
        out["dropout"] = 0.1
    if c.label_smoothing > 0.1:
        out["label_smoothing"] = 0.0
    if not out:  # nothing holds the model back: bring its steps to the healthy size
        out["lr"] = c.lr * _lr_factor(p, c, 2.0, 10.0, 3.0)
    return out


def _plateau(p: Problem, c: TrainConfig, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """A cosine schedule keeps the rate useful until late; if even the first steps (at the
    peak rate) were below the optimizer's healthy size, the peak rises to it (at most 10x)."""
    low = 1.0 if p.data.get("collapsed") and c.schedule != "cosine" else 3.0
    out: dict[str, Any] = {"schedule": "cosine", "schedule_params": {}}
    factor = _lr_factor(p, c, low, 10.0, low)
    if factor > 1.0:
        out["lr"] = c.lr * factor
    return out


REMEDIES: Mapping[str, Remedy] = {
    "lr_too_high": _lr_high, "lr_too_low": _lr_low, "vanishing_gradients": _vanishing,
    "exploding_gradients": _exploding, "dead_units": _dead, "saturated_units": _saturated,
    "overfitting": _overfitting, "underfitting": _underfitting, "plateau": _plateau,
}
"""code -> remedy ``(problem, config, context) -> {field: new value}``."""


def changes_for(diagnosis: Diagnosis, config: TrainConfig) -> dict[str, Any]:
    """The config fields ``fix`` would change, and to what."""
    changes: dict[str, Any] = {}
    for problem in diagnosis.at_least("warning"):
        remedy = REMEDIES.get(problem.code)
        if remedy is None:
            continue
        for key, value in remedy(problem, config, diagnosis.context).items():
            changes.setdefault(key, value)
    return changes


def apply(diagnosis: Diagnosis, config: TrainConfig) -> TrainConfig:
    """``config`` with the diagnosis's remedies applied (see the module docstring)."""
    from tunecraft.torch.train_config import TrainConfig

    if not isinstance(config, TrainConfig):
        raise TypeError(f"fix() needs a TrainConfig, got {type(config).__name__}; build one "
                        "with tunecraft.torch.TrainConfig(...)")
    changes = changes_for(diagnosis, config)
    return config.replace(**changes) if changes else config
