"""A ready search space for :func:`tunecraft.torch.fit`: ``suggest_training_config(trial)``.

It asks for the batch size, the optimizer with its conditional parameters
(:func:`~tunecraft.torch.optimizers.suggest_optimizer`), the schedule with warm-up
(:func:`~tunecraft.torch.schedules.suggest_schedule`), dropout, label smoothing and gradient
clipping (:func:`~tunecraft.torch.regularization.suggest_regularization`) and the weight
initialisation; network shape comes from :func:`~tunecraft.torch.mlp.suggest_mlp`. Every knob
can be fixed (a single value) or narrowed (a smaller range or fewer choices).
:func:`training_space` gives the same space as a declared-space mapping (the YAML ``space:``
block of the CLI), and :func:`config_from_params` rebuilds the config of a finished trial.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from tunecraft.torch._types import SuggestTrial
from tunecraft.torch.batch_size import scale_lr
from tunecraft.torch.mlp import MLPSpec, mlp_space, suggest_mlp
from tunecraft.torch.optimizers import suggest_optimizer
from tunecraft.torch.regularization import suggest_regularization
from tunecraft.torch.schedule_search import DEFAULT_CHOICES, suggest_schedule
from tunecraft.torch.train_config import TrainConfig

__all__ = ["INIT_CHOICES", "MLPSpec", "config_from_params", "suggest_mlp",
           "suggest_training_config", "training_space"]

INIT_CHOICES: tuple[str, ...] = ("torch_default", "kaiming_uniform", "xavier_uniform",
                                 "orthogonal")
BATCH_CHOICES: tuple[int, ...] = (16, 32, 64, 128, 256)
_PROBE_STEPS = 1000  # suggest_schedule needs a run length; only its answers are kept
# suggest_schedule's parameter names -> schedule_from_config's keyword (checked by the tests)
_SCHEDULE_PARAMS = {
    "step_gamma": "gamma", "step_drops": "num_drops", "multistep_gamma": "gamma",
    "exponential_final": "final", "cosine_final": "final", "restarts_cycles": "cycles",
    "restarts_mult": "period_mult", "one_cycle_pct_start": "pct_start",
    "one_cycle_div": "div", "polynomial_power": "power",
}


class _Recorder:
    """Forwards ``suggest_*`` to a trial and keeps the answers (to read a schedule's choices)."""

    def __init__(self, trial: SuggestTrial) -> None:
        self.trial = trial
        self.values: dict[str, Any] = {}

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> float:
        v = self.trial.suggest_float(name, low, high, step=step, log=log)
        self.values[name] = v
        return v

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1,
                    log: bool = False) -> int:
        v = self.trial.suggest_int(name, low, high, step=step, log=log)
        self.values[name] = v
        return v

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        v = self.trial.suggest_categorical(name, choices)
        self.values[name] = v
        return v


class FixedParams:
    """A stand-in trial that answers ``suggest_*`` from finished parameters (a replay)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)

    def _get(self, name: str) -> Any:
        if name not in self.params:
            raise ValueError(f"parameter {name!r} is missing from the given params "
                             f"{sorted(self.params)}; they come from another search space")
        return self.params[name]

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> float:
        return float(self._get(name))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1,
                    log: bool = False) -> int:
        return int(self._get(name))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._get(name)


def _choices(name: str, value: Any) -> list[Any] | None:
    """None for a fixed value, else the list of choices to search."""
    if isinstance(value, (str, int)):
        return None
    out = list(value)
    if not out:
        raise ValueError(f"{name}=[]: give at least one choice, or a single value")
    return out


def _float_range(name: str, value: float | tuple[float, float] | None) -> bool:
    """Whether ``value`` is a range to search (checked)."""
    if isinstance(value, tuple):
        if len(value) != 2 or not float(value[0]) < float(value[1]):
            raise ValueError(f"{name}={value!r}: give (low, high) with low < high, a number, "
                             "or None")
        return True
    return False


def suggest_training_config(
    trial: SuggestTrial,
    *,
    lr: float | tuple[float, float] = (1e-5, 1.0),
    batch_size: int | Sequence[int] = BATCH_CHOICES,
    lr_scaling: Literal["linear", "sqrt"] | None = None,
    base_batch_size: int = 32,
    optimizer: str | Sequence[str] = ("sgd", "adam", "adamw"),
    weight_decay: float | tuple[float, float] | None = (1e-6, 1e-1),
    schedule: str | Sequence[str] = DEFAULT_CHOICES,
    max_warmup_pct: float = 0.1,
    dropout: float | tuple[float, float] | None = (0.0, 0.5),
    label_smoothing: float | tuple[float, float] | None = (0.0, 0.2),
    grad_clip: float | tuple[float, float] | None = (0.1, 10.0),
    init: str | Sequence[str] = INIT_CHOICES,
    patience: int | None = None,
    min_delta: float = 0.0,
    seed: int = 0,
    metric: str = "accuracy",
    model: Any = None,
) -> TrainConfig:
    """Ask ``trial`` for a full :class:`TrainConfig`; keywords fix or narrow each knob.

    A number or name fixes a knob (not asked); a ``(low, high)`` tuple narrows a range; a list
    of values narrows the choices; None switches a knob off. Parameters asked (by name):
    ``batch_size``; ``optimizer``, ``optimizer_lr`` (log), ``optimizer_weight_decay`` (log) and
    the chosen optimizer's own (``optimizer_sgd_momentum``, ``optimizer_adam_beta1``...);
    ``schedule``, ``schedule_warmup_pct`` and the chosen schedule's own; ``reg_dropout``,
    ``reg_label_smoothing``; ``grad_clip`` (on/off) then ``reg_max_grad_norm`` (log); ``init``.

    Args:
        lr: The learning-rate range; pass ``lr_bounds_from_range_test(result)`` to start from
            an LR range test instead of a blind range.
        lr_scaling: With ``"linear"`` or ``"sqrt"``, the searched ``optimizer_lr`` is the rate
            for ``base_batch_size`` and the config's ``lr`` is scaled to the chosen batch size
            (:func:`~tunecraft.torch.batch_size.scale_lr`).
        patience, min_delta, seed, metric: Copied into the config (not searched).
        model: The model (an ``nn.Module``, or the factory given to ``fit``, called once with
            a default config to look inside): when it has no dropout module, ``reg_dropout``
            is not asked (dropout 0) instead of every trial failing in ``fit``.
    """
    if model is not None and _float_range("dropout", dropout) and not _has_dropout(model):
        dropout = None
    sizes = _choices("batch_size", batch_size)
    batch = int(batch_size) if sizes is None else int(  # type: ignore[arg-type]
        trial.suggest_categorical("batch_size", sizes))
    names = _choices("optimizer", optimizer)
    opt = suggest_optimizer(trial, choices=[str(optimizer)] if names is None else names,
                            lr=lr, weight_decay=weight_decay)
    rate = opt.lr if lr_scaling is None else scale_lr(opt.lr, base_batch_size, batch,
                                                      lr_scaling)
    rec = _Recorder(trial)
    kinds = _choices("schedule", schedule)
    suggest_schedule(rec, _PROBE_STEPS, choices=[str(schedule)] if kinds is None else kinds,
                     max_warmup_pct=max_warmup_pct)
    params: dict[str, Any] = {}
    for name, value in rec.values.items():
        suffix = name.removeprefix("schedule_")
        if suffix in _SCHEDULE_PARAMS:
            params[_SCHEDULE_PARAMS[suffix]] = value
        elif name not in ("schedule", "schedule_warmup_pct"):
            raise RuntimeError(f"suggest_schedule asked for {name!r}, which "
                               "suggest_training_config does not know; update _SCHEDULE_PARAMS")
    _float_range("grad_clip", grad_clip)
    clip: float | tuple[float, float] | None = grad_clip
    if isinstance(grad_clip, tuple) and not trial.suggest_categorical("grad_clip",
                                                                      [False, True]):
        clip = None
    reg = suggest_regularization(trial, dropout=dropout, label_smoothing=label_smoothing,
                                 weight_decay=None, max_grad_norm=clip)
    inits = _choices("init", init)
    scheme = str(init) if inits is None else str(trial.suggest_categorical("init", inits))
    return TrainConfig(
        lr=rate, batch_size=batch, optimizer=opt.name, weight_decay=opt.weight_decay,
        momentum=opt.momentum, nesterov=opt.nesterov, betas=opt.betas, eps=opt.eps,
        alpha=opt.alpha, schedule=str(rec.values["schedule"]), schedule_params=params,
        warmup_pct=float(rec.values.get("schedule_warmup_pct", 0.0)), dropout=reg.dropout,
        init=scheme, label_smoothing=reg.label_smoothing, grad_clip=reg.max_grad_norm,
        patience=patience, min_delta=min_delta, seed=seed, metric=metric,
    )


def _has_dropout(model: Any) -> bool:
    """Whether a model, or the model a factory builds from a default config, has dropout."""
    from tunecraft.torch.regularization import has_dropout

    built = model if hasattr(model, "modules") else model(TrainConfig())
    return has_dropout(built)


def config_from_params(params: Mapping[str, Any], **space: Any) -> TrainConfig:
    """The :class:`TrainConfig` a trial with these ``params`` trained (e.g. the best trial's),
    given the same keywords as its :func:`suggest_training_config` call."""
    return suggest_training_config(FixedParams(params), **space)


def _float_spec(value: tuple[float, float], *, log: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "float", "low": float(value[0]), "high": float(value[1])}
    if log:
        spec["log"] = True
    return spec


def _optimizer_space(names: list[str], lr: Any, weight_decay: Any) -> dict[str, Any]:
    """suggest_optimizer's parameters as declared specs (same names, ranges and conditions)."""
    out: dict[str, Any] = {"optimizer": names}
    if _float_range("lr", lr):
        out["optimizer_lr"] = _float_spec(lr, log=True)
    if _float_range("weight_decay", weight_decay):
        out["optimizer_weight_decay"] = _float_spec(weight_decay, log=True)
    if "sgd" in names:
        out["optimizer_sgd_momentum"] = {**_float_spec((0.8, 0.99), log=False),
                                         "when": {"optimizer": "sgd"}}
        out["optimizer_sgd_nesterov"] = {"type": "categorical", "choices": [False, True],
                                         "when": {"optimizer": "sgd"}}
    adams = [n for n in names if n in ("adam", "adamw")]
    if adams:
        out["optimizer_adam_beta1"] = {**_float_spec((0.8, 0.95), log=False),
                                       "when": {"optimizer": list(adams)}}
        out["optimizer_adam_beta2"] = {"type": "categorical", "choices": [0.99, 0.999],
                                       "when": {"optimizer": list(adams)}}
    if "rmsprop" in names:
        out["optimizer_rmsprop_alpha"] = {**_float_spec((0.9, 0.999), log=False),
                                          "when": {"optimizer": "rmsprop"}}
        out["optimizer_rmsprop_momentum"] = {**_float_spec((0.0, 0.9), log=False),
                                             "when": {"optimizer": "rmsprop"}}
    return out


# suggest_schedule's per-schedule parameters: (suffix, spec)
_SCHEDULE_SPECS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "step": [("step_gamma", _float_spec((0.05, 0.5), log=True)),
             ("step_drops", {"type": "int", "low": 1, "high": 4})],
    "multistep": [("multistep_gamma", _float_spec((0.05, 0.5), log=True))],
    "exponential": [("exponential_final", _float_spec((1e-3, 0.3), log=True))],
    "cosine": [("cosine_final", _float_spec((1e-4, 0.1), log=True))],
    "cosine_restarts": [("restarts_cycles", {"type": "int", "low": 2, "high": 5}),
                        ("restarts_mult", {"type": "categorical", "choices": [1, 2]})],
    "one_cycle": [("one_cycle_pct_start", _float_spec((0.1, 0.5), log=False)),
                  ("one_cycle_div", _float_spec((5.0, 100.0), log=True))],
    "polynomial": [("polynomial_power", _float_spec((0.5, 3.0), log=False))],
}


def _schedule_space(kinds: list[str], max_warmup_pct: float) -> dict[str, Any]:
    out: dict[str, Any] = {"schedule": kinds}
    warm = [k for k in kinds if k != "one_cycle"]
    if warm and max_warmup_pct > 0:
        out["schedule_warmup_pct"] = {**_float_spec((0.0, float(max_warmup_pct)), log=False),
                                      "when": {"schedule": warm}}
    for kind in kinds:
        for suffix, spec in _SCHEDULE_SPECS.get(kind, []):
            out[f"schedule_{suffix}"] = {**spec, "when": {"schedule": kind}}
    return out


def training_space(
    *,
    lr: float | tuple[float, float] = (1e-5, 1.0),
    batch_size: int | Sequence[int] = BATCH_CHOICES,
    optimizer: str | Sequence[str] = ("sgd", "adam", "adamw"),
    weight_decay: float | tuple[float, float] | None = (1e-6, 1e-1),
    schedule: str | Sequence[str] = DEFAULT_CHOICES,
    max_warmup_pct: float = 0.1,
    dropout: float | tuple[float, float] | None = (0.0, 0.5),
    label_smoothing: float | tuple[float, float] | None = (0.0, 0.2),
    grad_clip: float | tuple[float, float] | None = (0.1, 10.0),
    init: str | Sequence[str] = INIT_CHOICES,
    mlp: Mapping[str, Any] | None = None,
    model: Any = None,
) -> dict[str, Any]:
    """The space of :func:`suggest_training_config` as a declared-space mapping.

    Same keywords, same parameter names, ranges and ``when`` conditions, so a study driven by
    ``tunecraft.config.suggest_space(trial, training_space())`` (e.g. the CLI's YAML ``space:``
    block) yields params that :func:`config_from_params` turns into the same config. ``mlp``
    adds :func:`suggest_mlp`'s parameters (its keywords, e.g. ``{"depth": (1, 2)}``).
    """
    if model is not None and _float_range("dropout", dropout) and not _has_dropout(model):
        dropout = None
    out: dict[str, Any] = {}
    sizes = _choices("batch_size", batch_size)
    if sizes is not None:
        out["batch_size"] = [int(s) for s in sizes]
    names = _choices("optimizer", optimizer)
    out.update(_optimizer_space([str(optimizer)] if names is None else names, lr, weight_decay))
    kinds = _choices("schedule", schedule)
    out.update(_schedule_space([str(schedule)] if kinds is None else kinds, max_warmup_pct))
    if _float_range("grad_clip", grad_clip):
        out["grad_clip"] = [False, True]
    if _float_range("dropout", dropout):
        out["reg_dropout"] = _float_spec(dropout, log=False)  # type: ignore[arg-type]
    if _float_range("label_smoothing", label_smoothing):
        out["reg_label_smoothing"] = _float_spec(label_smoothing,  # type: ignore[arg-type]
                                                 log=False)
    if isinstance(grad_clip, tuple):
        out["reg_max_grad_norm"] = {**_float_spec(grad_clip, log=True),
                                    "when": {"grad_clip": True}}
    inits = _choices("init", init)
    if inits is not None:
        out["init"] = inits
    if mlp is not None:
        out.update(mlp_space(**mlp))
    return out
