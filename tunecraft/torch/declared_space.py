"""The torch search space, declared once: every knob the toolkit searches, its range and when.

Each part is a :class:`~tunecraft.torch.knobs.KnobSpace`: its params in asking order and what
their values build. The ``suggest_*`` helpers ask a trial through them
(:func:`~tunecraft.torch.optimizers.suggest_optimizer`,
:func:`~tunecraft.torch.schedule_search.suggest_schedule`,
:func:`~tunecraft.torch.regularization.suggest_regularization`,
:func:`~tunecraft.torch.mlp.suggest_mlp`,
:func:`~tunecraft.torch.search_space.suggest_training_config`);
:meth:`TrainConfig.from_params <tunecraft.torch.TrainConfig.from_params>` and
``config_from_params`` read a finished trial's params through the same spaces, and
``training_space`` writes them as the YAML ``space:`` block. So a range, a name or a condition
changed here changes all of them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from tunecraft._validation import Interval, Options, check
from tunecraft.space import Categorical, Float, Int
from tunecraft.torch.knobs import Dim, KnobSpace, Param, Range, Span, choices, keyed
from tunecraft.torch.lr_scaling import scale_lr
from tunecraft.torch.named_schedules import SCHEDULE_NAMES
from tunecraft.torch.optimizer_config import OPTIMIZER_NAMES, OptimizerConfig

__all__ = ["ACTIVATIONS", "BATCH_CHOICES", "INIT_CHOICES", "OPTIMIZER_KNOBS", "SCHEDULE_CHOICES",
           "SCHEDULE_KNOBS", "Knob", "MLPSpace", "OptimizerSpace", "RegularizationSpace",
           "ScheduleChoice", "ScheduleSpace", "TrainingSpace", "training_space_of"]

# --------------------------------------------------------------------------- defaults
LR_RANGE = (1e-5, 1.0)
WEIGHT_DECAY_RANGE = (1e-6, 1e-1)
DROPOUT_RANGE = (0.0, 0.5)
LABEL_SMOOTHING_RANGE = (0.0, 0.2)
GRAD_CLIP_RANGE = (0.1, 10.0)
MAX_WARMUP_PCT = 0.1
BATCH_CHOICES: tuple[int, ...] = (16, 32, 64, 128, 256)
INIT_CHOICES: tuple[str, ...] = ("torch_default", "kaiming_uniform", "xavier_uniform",
                                 "orthogonal")
OPTIMIZER_CHOICES: tuple[str, ...] = ("sgd", "adam", "adamw")  # the ready space's
SCHEDULE_CHOICES: tuple[str, ...] = ("constant", "step", "cosine", "one_cycle", "linear")
ACTIVATIONS: tuple[str, ...] = ("relu", "sigmoid", "tanh", "gelu")
MLP_DEPTH = (1, 3)
MLP_WIDTH = (32, 512)

# the float knobs a caller fixes, narrows or switches off: name suffix, scale, value when off
LR = Span("lr", log=True, off=1e-3)
WEIGHT_DECAY = Span("weight_decay", log=True, off=0.0)
DROPOUT = Span("dropout", log=False, off=0.0)
LABEL_SMOOTHING = Span("label_smoothing", log=False, off=0.0)
MAX_GRAD_NORM = Span("max_grad_norm", log=True, off=None)


# --------------------------------------------------------------------------- conditional knobs
@dataclass(frozen=True, slots=True)
class Knob:
    """A parameter ``{prefix}_{suffix}`` that only the ``options`` of a choice have; its value
    is the keyword ``key`` of what the chosen option builds."""

    suffix: str
    dim: Dim
    key: str
    options: tuple[str, ...]


OPTIMIZER_KNOBS: tuple[Knob, ...] = (  # keywords of OptimizerConfig (beta1/beta2: betas)
    Knob("sgd_momentum", Float(0.8, 0.99), "momentum", ("sgd",)),
    Knob("sgd_nesterov", Categorical((False, True)), "nesterov", ("sgd",)),
    Knob("adam_beta1", Float(0.8, 0.95), "beta1", ("adam", "adamw")),
    Knob("adam_beta2", Categorical((0.99, 0.999)), "beta2", ("adam", "adamw")),
    Knob("rmsprop_alpha", Float(0.9, 0.999), "alpha", ("rmsprop",)),
    Knob("rmsprop_momentum", Float(0.0, 0.9), "momentum", ("rmsprop",)),
)
SCHEDULE_KNOBS: tuple[Knob, ...] = (  # keywords of schedule_from_config
    Knob("step_gamma", Float(0.05, 0.5, log=True), "gamma", ("step",)),
    Knob("step_drops", Int(1, 4), "num_drops", ("step",)),
    Knob("multistep_gamma", Float(0.05, 0.5, log=True), "gamma", ("multistep",)),
    Knob("exponential_final", Float(1e-3, 0.3, log=True), "final", ("exponential",)),
    Knob("cosine_final", Float(1e-4, 0.1, log=True), "final", ("cosine",)),
    Knob("restarts_cycles", Int(2, 5), "cycles", ("cosine_restarts",)),
    Knob("restarts_mult", Categorical((1, 2)), "period_mult", ("cosine_restarts",)),
    Knob("one_cycle_pct_start", Float(0.1, 0.5), "pct_start", ("one_cycle",)),
    Knob("one_cycle_div", Float(5.0, 100.0, log=True), "div", ("one_cycle",)),
    Knob("polynomial_power", Float(0.5, 3.0), "power", ("polynomial",)),
)
SELF_WARMING: tuple[str, ...] = ("one_cycle",)
"""Schedules that warm up by themselves: no ``warmup_pct`` is asked for them."""


def _branches(prefix: str, knobs: Sequence[Knob], options: Sequence[str]) -> list[Param]:
    """The knobs of ``options``, each once, conditional on the choice ``prefix``."""
    out: list[Param] = []
    for option in options:
        for knob in knobs:
            name = f"{prefix}_{knob.suffix}"
            if option in knob.options and all(p.name != name for p in out):
                present = tuple(o for o in knob.options if o in options)
                out.append(Param(name, knob.dim, knob.key, prefix, present,
                                 listed=len(knob.options) > 1))
    return out


def _subset(name: str, given: Sequence[str], known: Sequence[str]) -> list[str]:
    options = list(given)
    if not options or any(o not in known for o in options):
        raise ValueError(f"{name}={options!r}: use a non-empty subset of {list(known)}")
    return options


# --------------------------------------------------------------------------- the parts
@dataclass(frozen=True, slots=True)
class OptimizerSpace(KnobSpace[OptimizerConfig]):
    """The optimizer (a categorical ``{prefix}``), its ``_lr`` and ``_weight_decay`` (log
    ranges, fixed numbers or None for the default) and the chosen optimizer's own knobs."""

    choices: Sequence[str] = ("sgd", "adamw")
    lr: Range = LR_RANGE
    weight_decay: Range = WEIGHT_DECAY_RANGE
    prefix: str = "optimizer"
    _params: tuple[Param, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(_subset("choices", self.choices,
                                                          OPTIMIZER_NAMES)))
        self._keep()  # checks the ranges

    def declare(self) -> tuple[Param, ...]:
        """``{prefix}``, ``{prefix}_lr``, ``{prefix}_weight_decay``, then the branches."""
        p = self.prefix
        ranges = (LR.param(p, "lr", self.lr), WEIGHT_DECAY.param(p, "weight_decay",
                                                                 self.weight_decay))
        return (Param(p, Categorical(tuple(self.choices)), "name"),
                *(r for r in ranges if r is not None), *_branches(p, OPTIMIZER_KNOBS,
                                                                  self.choices))

    def build(self, values: Mapping[str, Any]) -> OptimizerConfig:
        """The :class:`OptimizerConfig` of the chosen optimizer."""
        kw = keyed(values, self.params())
        name = str(kw.pop("name"))
        kw["lr"] = LR.value(values, self.prefix, self.lr)
        kw["weight_decay"] = WEIGHT_DECAY.value(values, self.prefix, self.weight_decay)
        if "beta1" in kw:
            kw["betas"] = (float(kw.pop("beta1")), float(kw.pop("beta2")))
        if "nesterov" in kw:
            kw["nesterov"] = bool(kw["nesterov"])
        return OptimizerConfig(name, **kw)


class ScheduleChoice(NamedTuple):
    """A searched schedule: its name, warm-up fraction and :func:`schedule_from_config`
    parameters (without the warm-up)."""

    name: str
    warmup_pct: float | None
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScheduleSpace(KnobSpace[ScheduleChoice]):
    """The schedule (a categorical ``{prefix}``), ``{prefix}_warmup_pct`` in ``[0,
    max_warmup_pct]`` for those that do not warm up themselves, and the chosen one's knobs."""

    choices: Sequence[str] | None = None
    max_warmup_pct: float = MAX_WARMUP_PCT
    prefix: str = "schedule"
    _params: tuple[Param, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        given = SCHEDULE_CHOICES if self.choices is None else self.choices
        object.__setattr__(self, "choices", tuple(_subset("choices", given, SCHEDULE_NAMES)))
        check("max_warmup_pct", self.max_warmup_pct, Interval(float, 0, 1, closed="left"))
        self._keep()

    def declare(self) -> tuple[Param, ...]:
        """``{prefix}``, ``{prefix}_warmup_pct``, then the branches."""
        options = tuple(self.choices or ())
        out = [Param(self.prefix, Categorical(options), "name")]
        warm = tuple(o for o in options if o not in SELF_WARMING)
        if warm and self.max_warmup_pct > 0:
            out.append(Param(f"{self.prefix}_warmup_pct", Float(0.0, float(self.max_warmup_pct)),
                             "warmup_pct", self.prefix, warm, listed=True))
        return (*out, *_branches(self.prefix, SCHEDULE_KNOBS, options))

    def build(self, values: Mapping[str, Any]) -> ScheduleChoice:
        """The chosen schedule (``warmup_pct`` None when it was not asked)."""
        kw = keyed(values, self.params())
        name = str(kw.pop("name"))
        pct = kw.pop("warmup_pct", None)
        return ScheduleChoice(name, None if pct is None else float(pct), kw)


@dataclass(frozen=True, slots=True)
class RegularizationSpace(KnobSpace[dict[str, Any]]):
    """``{prefix}_dropout`` and ``{prefix}_label_smoothing`` (linear), ``{prefix}_weight_decay``
    and ``{prefix}_max_grad_norm`` (log), each fixed, searched or off."""

    dropout: Range = DROPOUT_RANGE
    label_smoothing: Range = LABEL_SMOOTHING_RANGE
    weight_decay: Range = None
    max_grad_norm: Range = None
    prefix: str = "reg"
    _params: tuple[Param, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._keep()  # checks the ranges

    def _spans(self) -> tuple[tuple[Span, str, Range], ...]:
        return ((DROPOUT, "dropout", self.dropout),
                (LABEL_SMOOTHING, "label_smoothing", self.label_smoothing),
                (WEIGHT_DECAY, "weight_decay", self.weight_decay),
                (MAX_GRAD_NORM, "max_grad_norm", self.max_grad_norm))

    def declare(self) -> tuple[Param, ...]:
        """The searched knobs, in the order above."""
        found = (span.param(self.prefix, kw, value) for span, kw, value in self._spans())
        return tuple(p for p in found if p is not None)

    def build(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``{dropout, label_smoothing, weight_decay, max_grad_norm}`` (the last None: no
        clipping)."""
        return {kw: span.value(values, self.prefix, value) for span, kw, value in self._spans()}


@dataclass(frozen=True, slots=True)
class MLPSpace(KnobSpace[dict[str, Any]]):
    """``{prefix}_depth`` (int), ``{prefix}_width`` (int, log) and ``{prefix}_activation``; a
    single value fixes one (it is then not asked)."""

    depth: int | tuple[int, int] = MLP_DEPTH
    width: int | tuple[int, int] = MLP_WIDTH
    activation: str | Sequence[str] = ACTIVATIONS
    prefix: str = "mlp"
    _params: tuple[Param, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("depth", "width"):
            value = getattr(self, name)
            if isinstance(value, tuple) and (len(value) != 2 or not all(
                    isinstance(v, int) for v in value) or value[0] > value[1]):
                raise ValueError(f"{name}={value!r}: give an int (low, high) pair or one int")
        self._keep()

    def declare(self) -> tuple[Param, ...]:
        """The searched knobs: depth, width, activation."""
        out = []
        if isinstance(self.depth, tuple):
            out.append(Param(f"{self.prefix}_depth", Int(*self.depth), "depth"))
        if isinstance(self.width, tuple):
            out.append(Param(f"{self.prefix}_width", Int(*self.width, log=True), "width"))
        if not isinstance(self.activation, str):
            out.append(Param(f"{self.prefix}_activation", Categorical(tuple(self.activation)),
                             "activation"))
        return tuple(out)

    def build(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``{depth, width, activation}`` for :class:`~tunecraft.torch.mlp.MLPSpec`."""
        out = {"depth": self.depth, "width": self.width, "activation": self.activation}
        out.update(keyed(values, self.params()))
        out["activation"] = str(out["activation"])
        return out


@dataclass(frozen=True, slots=True)
class TrainingSpace(KnobSpace[dict[str, Any]]):
    """The ready space of :func:`~tunecraft.torch.search_space.suggest_training_config`: the
    batch size, the optimizer, the schedule, gradient clipping (an on/off ``grad_clip`` then
    ``reg_max_grad_norm``), dropout, label smoothing and the initialisation. The fields are
    that function's keywords; :meth:`build` gives :class:`~tunecraft.torch.TrainConfig`
    keywords (the optimizer as an :class:`OptimizerConfig`)."""

    lr: Range = LR_RANGE
    batch_size: int | Sequence[int] = BATCH_CHOICES
    lr_scaling: Literal["linear", "sqrt"] | None = None
    base_batch_size: int = 32
    optimizer: str | Sequence[str] = OPTIMIZER_CHOICES
    weight_decay: Range = WEIGHT_DECAY_RANGE
    schedule: str | Sequence[str] = SCHEDULE_CHOICES
    max_warmup_pct: float = MAX_WARMUP_PCT
    dropout: Range = DROPOUT_RANGE
    label_smoothing: Range = LABEL_SMOOTHING_RANGE
    grad_clip: Range = GRAD_CLIP_RANGE
    init: str | Sequence[str] = INIT_CHOICES
    _params: tuple[Param, ...] = field(init=False, repr=False, compare=False)
    _optimizer: OptimizerSpace = field(init=False, repr=False, compare=False)
    _schedule: ScheduleSpace = field(init=False, repr=False, compare=False)
    _regularization: RegularizationSpace = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check("lr_scaling", self.lr_scaling, Options("linear", "sqrt", "none", None))
        check("base_batch_size", self.base_batch_size, Interval(int, 1))
        for span, keyword in ((LR, "lr"), (WEIGHT_DECAY, "weight_decay"), (DROPOUT, "dropout"),
                              (LABEL_SMOOTHING, "label_smoothing"), (MAX_GRAD_NORM, "grad_clip")):
            span.param("", keyword, getattr(self, keyword))  # a bad range names its keyword
        object.__setattr__(self, "_optimizer", OptimizerSpace(
            self._names("optimizer"), self.lr, self.weight_decay))
        object.__setattr__(self, "_schedule", ScheduleSpace(self._names("schedule"),
                                                            self.max_warmup_pct))
        object.__setattr__(self, "_regularization", RegularizationSpace(
            self.dropout, self.label_smoothing, None, self.grad_clip))
        self._keep()  # checks every knob

    @property
    def searches_dropout(self) -> bool:
        """Whether dropout is searched (a model without dropout switches it off)."""
        return isinstance(self.dropout, tuple)

    def _names(self, name: str) -> list[str]:
        value = getattr(self, name)
        found = choices(name, value)
        return [str(value)] if found is None else found

    def optimizer_space(self) -> OptimizerSpace:
        """The optimizer part (its choices, ``lr`` and ``weight_decay``)."""
        return self._optimizer

    def schedule_space(self) -> ScheduleSpace:
        """The schedule part (its choices and ``max_warmup_pct``)."""
        return self._schedule

    def regularization_space(self) -> RegularizationSpace:
        """Dropout, label smoothing and the clipping norm (asked when ``grad_clip`` is on)."""
        return self._regularization

    def declare(self) -> tuple[Param, ...]:
        """batch_size, the optimizer's, the schedule's, grad_clip, reg_*, init."""
        out: list[Param] = []
        sizes = choices("batch_size", self.batch_size)
        if sizes is not None:
            out.append(Param("batch_size", Categorical(tuple(int(s) for s in sizes)),
                             "batch_size"))
        out += self.optimizer_space().params()
        out += self.schedule_space().params()
        clip = isinstance(self.grad_clip, tuple)
        if clip:
            out.append(Param("grad_clip", Categorical((False, True)), "grad_clip"))
        for p in self.regularization_space().params():
            searched_norm = clip and p.key == "max_grad_norm"
            out.append(dataclasses.replace(p, parent="grad_clip", accepted=(True,))
                       if searched_norm else p)
        inits = choices("init", self.init)
        if inits is not None:
            out.append(Param("init", Categorical(tuple(inits)), "init"))
        return tuple(out)

    def build(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Keywords of :class:`~tunecraft.torch.TrainConfig` (``optim`` an OptimizerConfig,
        its ``lr`` scaled to the batch size when ``lr_scaling`` is set)."""
        fixed = choices("batch_size", self.batch_size) is None
        batch = int(self.batch_size if fixed else values["batch_size"])  # type: ignore[arg-type]
        optim = self.optimizer_space().build(values)
        if self.lr_scaling is not None:
            optim = dataclasses.replace(optim, lr=scale_lr(optim.lr, self.base_batch_size,
                                                           batch, self.lr_scaling))
        schedule = self.schedule_space().build(values)
        reg = self.regularization_space().build(values)
        inits = choices("init", self.init)
        return {
            "optim": optim, "batch_size": batch, "schedule": schedule.name,
            "schedule_params": schedule.params, "warmup_pct": schedule.warmup_pct or 0.0,
            "dropout": reg["dropout"], "label_smoothing": reg["label_smoothing"],
            "grad_clip": reg["max_grad_norm"],
            "init": str(self.init if inits is None else values["init"]),
        }


_CHOICE_KEYWORDS = ("batch_size", "optimizer", "schedule", "init")


@functools.lru_cache(maxsize=32)
def _built(items: tuple[tuple[str, type, Any], ...]) -> TrainingSpace:
    return TrainingSpace(**{name: value for name, _, value in items})


def training_space_of(**keywords: Any) -> TrainingSpace:
    """``TrainingSpace(**keywords)``, built once for the same keywords (a study asks every
    trial with the same ones; the space is frozen). Lists of choices count as tuples."""
    given = {k: tuple(v) if k in _CHOICE_KEYWORDS and isinstance(v, list) else v
             for k, v in keywords.items()}
    items = tuple(sorted((k, type(v), v) for k, v in given.items()))
    try:
        hash(items)
    except TypeError:  # e.g. a list where a range goes: let TrainingSpace say what is wrong
        return TrainingSpace(**keywords)
    return _built(items)
