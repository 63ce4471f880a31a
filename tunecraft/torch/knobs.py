"""Search-space primitives of the torch toolkit: a conditional parameter and its three readings.

A :class:`Param` is one trial parameter: its name, its :mod:`tunecraft.space` dimension, the
keyword its value sets, and optionally the parent parameter and values under which it exists.
A :class:`KnobSpace` lists its params in asking order (parents first) and builds its result
(an ``OptimizerConfig``, a schedule choice, ``TrainConfig`` keywords...) from their values, so
each space is read three ways from one list:

- :meth:`KnobSpace.ask` asks a live trial for the active params (define-by-run);
- :meth:`KnobSpace.read` answers the same questions from a finished trial's params
  (:class:`FixedParams`), so rebuilding a config never asks a trial twice;
- :meth:`KnobSpace.declared` writes the params as a declared-space mapping
  (:mod:`tunecraft.config`, the YAML ``space:`` block), ``when`` conditions included.

The torch search space itself is declared in :mod:`tunecraft.torch.declared_space`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tunecraft.space import Categorical, Float, Int
from tunecraft.torch._types import SuggestTrial

__all__ = ["Dim", "FixedParams", "KnobSpace", "Param", "Range", "Span", "ask", "choices"]

Dim = Float | Int | Categorical
Range = float | tuple[float, float] | None
"""A float knob's argument: a number fixes it, a ``(low, high)`` pair searches it, None
switches it off."""

T = TypeVar("T")


def ask(trial: SuggestTrial, name: str, dim: Dim) -> Any:
    """``trial.suggest_*`` for ``dim``'s type (a live trial, or :class:`FixedParams`)."""
    if isinstance(dim, Float):
        return trial.suggest_float(name, dim.low, dim.high, step=dim.step, log=dim.log)
    if isinstance(dim, Int):
        return trial.suggest_int(name, dim.low, dim.high, step=dim.step, log=dim.log)
    return trial.suggest_categorical(name, list(dim.choices))


@dataclass(frozen=True, slots=True)
class Param:
    """One trial parameter of a knob space.

    Attributes:
        name: The trial parameter's name (e.g. ``optimizer_sgd_momentum``).
        dim: Its distribution.
        key: The keyword its value sets in what the space builds (e.g. ``momentum``).
        parent: The parameter it depends on (None: always asked).
        accepted: The parent's values under which it is asked.
        listed: Whether the declared ``when`` names the accepted values as a list (a knob
            shared by several options) or as one value.
    """

    name: str
    dim: Dim
    key: str
    parent: str | None = None
    accepted: tuple[Any, ...] = ()
    listed: bool = False

    def active(self, values: Mapping[str, Any]) -> bool:
        """Whether it is asked, given the values of the params asked before it."""
        return self.parent is None or (self.parent in values
                                       and values[self.parent] in self.accepted)

    def spec(self) -> Any:
        """Its declared-space spec (:mod:`tunecraft.config`): a list of choices for an
        unconditional categorical, else a mapping with ``type`` (and ``when``)."""
        dim = self.dim
        if isinstance(dim, Categorical):
            if self.parent is None:
                return list(dim.choices)
            out: dict[str, Any] = {"type": "categorical", "choices": list(dim.choices)}
        else:
            low, high = (float(dim.low), float(dim.high)) if isinstance(dim, Float) else (
                int(dim.low), int(dim.high))
            out = {"type": "float" if isinstance(dim, Float) else "int", "low": low,
                   "high": high}
            if dim.log:
                out["log"] = True
            if isinstance(dim, Float) and dim.step is not None:
                out["step"] = dim.step
        if self.parent is not None:
            accepted = list(self.accepted) if self.listed else self.accepted[0]
            out["when"] = {self.parent: accepted}
        return out


class KnobSpace(Generic[T]):
    """A list of params (:meth:`params`) and what their values build (:meth:`build`).

    A subclass (a frozen dataclass) declares its params in :meth:`declare` and stores them
    once, at construction, with :meth:`_keep` (which also checks its arguments)."""

    __slots__ = ()
    _params: tuple[Param, ...]

    def declare(self) -> tuple[Param, ...]:
        """The params in asking order: every parent before the params that depend on it."""
        raise NotImplementedError

    def _keep(self) -> None:
        object.__setattr__(self, "_params", self.declare())

    def params(self) -> tuple[Param, ...]:
        """:meth:`declare`'s params, built once."""
        return self._params

    def build(self, values: Mapping[str, Any]) -> T:
        """The result, from the values of the active params (inactive ones are absent)."""
        raise NotImplementedError

    def ask(self, trial: SuggestTrial) -> T:
        """Ask ``trial`` for the active params, in order, and build the result."""
        values: dict[str, Any] = {}
        for param in self.params():
            if param.active(values):
                values[param.name] = ask(trial, param.name, param.dim)
        return self.build(values)

    def read(self, params: Mapping[str, Any]) -> T:
        """The result a trial with these ``params`` got (``ValueError`` names a missing one)."""
        return self.ask(FixedParams(params))

    def declared(self) -> dict[str, Any]:
        """The params as a declared-space mapping (for ``tunecraft.config.suggest_space``)."""
        return {p.name: p.spec() for p in self.params()}


def keyed(values: Mapping[str, Any], params: Sequence[Param]) -> dict[str, Any]:
    """``{param.key: value}`` for the params of ``params`` that were asked."""
    return {p.key: values[p.name] for p in params if p.name in values}


@dataclass(frozen=True, slots=True)
class Span:
    """A float knob that a caller fixes, narrows or switches off (see :data:`Range`).

    Attributes:
        suffix: The parameter is ``{prefix}_{suffix}``.
        log: Whether it is searched on a log scale.
        off: Its value when switched off (None).
    """

    suffix: str
    log: bool
    off: float | None

    def param(self, prefix: str, keyword: str, value: Range) -> Param | None:
        """The param that searches ``value`` when it is a ``(low, high)`` pair, else None."""
        if not isinstance(value, tuple):
            return None
        if len(value) != 2 or not float(value[0]) < float(value[1]):
            raise ValueError(f"{keyword}={value!r}: low must be below high; give a "
                             "(low, high) pair, a number or None")
        return Param(f"{prefix}_{self.suffix}", Float(float(value[0]), float(value[1]),
                                                      log=self.log), keyword)

    def value(self, values: Mapping[str, Any], prefix: str, value: Range) -> float | None:
        """The knob's value: searched (absent when its param was not asked: ``off``), fixed,
        or ``off``."""
        if isinstance(value, tuple):
            found = values.get(f"{prefix}_{self.suffix}")
            return self.off if found is None else float(found)
        return self.off if value is None else float(value)


def choices(name: str, value: Any) -> list[Any] | None:
    """None for a fixed value (a name or a number), else the list of choices to search."""
    if isinstance(value, (str, int)):
        return None
    out = list(value)
    if not out:
        raise ValueError(f"{name}=[]: give at least one choice, or a single value")
    return out


class FixedParams:
    """A stand-in trial that answers ``suggest_*`` from finished parameters (a replay)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)

    def _get(self, name: str) -> Any:
        if name not in self.params:
            raise ValueError(f"parameter {name!r} is missing from the given params "
                             f"{sorted(self.params)}; they come from another search space "
                             "(pass the keywords the space was built with, e.g. a fixed "
                             "value for a knob that was not searched)")
        return self.params[name]

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> float:
        """The recorded value of ``name`` as a float."""
        return float(self._get(name))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1,
                    log: bool = False) -> int:
        """The recorded value of ``name`` as an int."""
        return int(self._get(name))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """The recorded value of ``name``."""
        return self._get(name)
