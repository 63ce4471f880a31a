"""Declarative search spaces: a mapping of name -> spec, the same dims that ``suggest_*`` builds.

A declared space is written as a dict or YAML mapping::

    lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
    batch_size: {type: int, low: 16, high: 128, step: 16}
    optimizer: [sgd, adam, adamw]            # a plain list is a categorical
    momentum: {type: float, low: 0.0, high: 0.99, when: {optimizer: sgd}}

Each spec maps to the same ``Float`` / ``Int`` / ``Categorical`` that ``suggest_*`` builds, so
a declared parameter and a define-by-run one are interchangeable within a study. ``when``
makes a parameter conditional on the values of parameters declared before it; a group
(``{when: ..., space: {...}}``) applies one condition to several parameters. Parameters are
suggested in declaration order by :func:`suggest_space`.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tunecraft.config import checks
from tunecraft.config.source import KeyPath, Source, check_keys, did_you_mean
from tunecraft.exceptions import ConfigError
from tunecraft.space import Categorical, CategoricalChoice, Dim, Float, Int, Space

TYPES = ("float", "int", "categorical")
_KEYS = {
    "float": ("type", "low", "high", "log", "step", "when"),
    "int": ("type", "low", "high", "log", "step", "when"),
    "categorical": ("type", "choices", "when"),
}
_GROUP_KEYS = ("when", "space")
_EXAMPLE = "{type: float, low: 0.0, high: 1.0}"

Condition = tuple[tuple[str, tuple[CategoricalChoice, ...]], ...]


def _same(a: Any, b: Any) -> bool:
    """Type-aware equality: True is not 1, but 1 and 1.0 are the same number."""
    if type(a) is type(b):
        return bool(a == b)
    num = (numbers.Real,)
    return (isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool)
            and not isinstance(b, bool) and a == b)


@dataclass(frozen=True, slots=True)
class DeclaredParam:
    """One declared parameter: its distribution and the condition under which it exists.

    ``when`` holds ``(name, accepted values)`` pairs; the parameter is active when every
    named parameter is active and took one of its accepted values.
    """

    name: str
    dim: Dim
    when: Condition = ()

    def is_active(self, values: Mapping[str, Any]) -> bool:
        """Whether this parameter exists, given the values suggested before it."""
        return all(name in values and any(_same(values[name], v) for v in accepted)
                   for name, accepted in self.when)

    def to_dict(self) -> dict[str, Any]:
        """The canonical spec: ``{type, low, high[, log][, step][, when]}`` or choices."""
        spec = dim_to_spec(self.dim)
        if self.when:
            spec["when"] = {name: accepted[0] if len(accepted) == 1 else list(accepted)
                            for name, accepted in self.when}
        return spec


@dataclass(frozen=True, slots=True)
class DeclaredSpace:
    """An ordered, validated search space whose parameters may be conditional.

    Build one with :func:`parse_space` (from a dict, YAML data or a ``{name: Dim}`` space);
    :meth:`to_dict` writes it back. ``parse_space(s.to_dict()) == s``.
    """

    params: tuple[DeclaredParam, ...]

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self) -> Iterator[DeclaredParam]:
        return iter(self.params)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def dims(self) -> dict[str, Dim]:
        """Every parameter's distribution, conditional ones included, in declaration order."""
        return {p.name: p.dim for p in self.params}

    def unconditional(self) -> dict[str, Dim]:
        """The parameters that every trial has (no ``when``)."""
        return {p.name: p.dim for p in self.params if not p.when}

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dicts, lists, scalars) that :func:`parse_space` reads back."""
        return {p.name: p.to_dict() for p in self.params}


def dim_to_spec(dim: Dim) -> dict[str, Any]:
    """The declarative spec of one dimension, with default flags left out."""
    if isinstance(dim, Categorical):
        return {"type": "categorical", "choices": list(dim.choices)}
    spec: dict[str, Any] = {"type": "float" if isinstance(dim, Float) else "int",
                            "low": dim.low, "high": dim.high}
    if dim.log:
        spec["log"] = True
    if isinstance(dim, Float) and dim.step is not None:
        spec["step"] = dim.step
    if isinstance(dim, Int) and dim.step != 1:
        spec["step"] = dim.step
    return spec


def space_to_dict(space: DeclaredSpace | Space) -> dict[str, Any]:
    """Write a declared space, or a plain ``{name: Dim}`` space, as declarative data."""
    if isinstance(space, DeclaredSpace):
        return space.to_dict()
    return {name: dim_to_spec(dim) for name, dim in space.items()}


# ---------------------------------------------------------------------- parsing
_FIELD = re.compile(r"\b(low|high|step|log)=")


def _dataclass_error(exc: ValueError, spec: Mapping[str, Any], path: KeyPath,
                     source: Source) -> ConfigError:
    """Re-raise a Float/Int/Categorical validation message at the key it is about."""
    msg = str(exc)
    match = _FIELD.search(msg)
    key = match.group(1) if match else None
    return source.error((*path, key) if key is not None and key in spec else path, msg)


def _bounds(spec: Mapping[str, Any], path: KeyPath, source: Source, kind: str
            ) -> tuple[Any, Any]:
    check = checks.number if kind == "float" else checks.integer
    out = []
    for key in ("low", "high"):
        if key not in spec:
            raise source.error(path, f"{kind} parameter needs '{key}' (e.g. {_EXAMPLE})")
        out.append(check(spec[key], (*path, key), source))
    return out[0], out[1]


def _dim(spec: Mapping[str, Any], path: KeyPath, source: Source) -> Dim:
    kind = spec.get("type")
    if kind is None:
        if "choices" not in spec:
            raise source.error(path, f"missing 'type': one of {', '.join(TYPES)} "
                                     f"(e.g. {_EXAMPLE})")
        kind = "categorical"
    if kind not in TYPES:
        raise source.error((*path, "type"), f"unknown type {kind!r}{did_you_mean(kind, TYPES)}"
                                            f" (use one of {', '.join(TYPES)})")
    check_keys(spec, _KEYS[kind], path, source, f"a {kind} parameter")
    if kind == "categorical":
        if "choices" not in spec:
            raise source.error(path, "categorical parameter needs 'choices' (e.g. "
                                     "{type: categorical, choices: [sgd, adam]})")
        choices = spec["choices"]
        if isinstance(choices, (str, bytes)) or not isinstance(choices, (list, tuple)):
            raise source.error((*path, "choices"),
                               f"must be a list such as [sgd, adam], got {choices!r}")
        return _categorical(choices, (*path, "choices"), source)
    low, high = _bounds(spec, path, source, kind)
    log = checks.boolean(spec.get("log", False), (*path, "log"), source)
    try:
        if kind == "float":
            step = spec.get("step")
            fstep = None if step is None else checks.number(step, (*path, "step"), source)
            return Float(low, high, log=log, step=fstep)
        istep = checks.integer(spec.get("step", 1), (*path, "step"), source)
        return Int(low, high, log=log, step=istep)
    except ValueError as exc:
        raise _dataclass_error(exc, spec, path, source) from None


def _categorical(choices: Sequence[Any], path: KeyPath, source: Source) -> Categorical:
    for i, c in enumerate(choices):
        if isinstance(c, (dict, list, tuple)):
            raise source.error((*path, i), "choices must be None, bool, int, float or str, "
                                           f"got {c!r}; name the options and look them up "
                                           "in your objective")
    try:
        return Categorical(tuple(choices))
    except ValueError as exc:
        raise source.error(path, str(exc)) from None


def _declared_names(data: Any) -> list[str]:
    """Every parameter name in ``data``, groups flattened (best effort, for error hints)."""
    out: list[str] = []
    if not isinstance(data, Mapping):
        return out
    for name, spec in data.items():
        if isinstance(spec, Mapping) and "space" in spec and "type" not in spec:
            out.extend(_declared_names(spec["space"]))
        elif isinstance(name, str):
            out.append(name)
    return out


class _Parser:
    def __init__(self, source: Source, all_names: list[str]) -> None:
        self.source = source
        self.all_names = all_names
        self.params: list[DeclaredParam] = []
        self.dims: dict[str, Dim] = {}
        self.where: dict[str, KeyPath] = {}

    def entries(self, data: Any, path: KeyPath, inherited: Condition) -> None:
        data = checks.mapping(data, path, self.source, "{lr: " + _EXAMPLE + "}")
        for name, spec in data.items():
            p = (*path, name)
            if not isinstance(name, str) or not name:
                raise self.source.error(p, f"parameter names must be strings, got {name!r}")
            if name in self.where:
                first = self.source.where(self.where[name])
                raise self.source.error(p, f"{name!r} is declared twice"
                                           + (f" (first at {first})" if first else ""))
            self.where[name] = p
            if isinstance(spec, Mapping) and "space" in spec and "type" not in spec:
                check_keys(spec, _GROUP_KEYS, p, self.source, "a group")
                when = self.condition(spec.get("when"), (*p, "when"), name, inherited)
                self.entries(spec["space"], (*p, "space"), when)
                continue
            if isinstance(spec, (Float, Int, Categorical)):
                dim: Dim = spec
                when = inherited
            elif isinstance(spec, (list, tuple)):
                dim = _categorical(spec, p, self.source)
                when = inherited
            elif isinstance(spec, Mapping):
                dim = _dim(spec, p, self.source)
                when = self.condition(spec.get("when"), (*p, "when"), name, inherited)
            else:
                raise self.source.error(p, f"must be a mapping such as {_EXAMPLE} or a list "
                                           f"of choices, got {spec!r}")
            self.params.append(DeclaredParam(name, dim, when))
            self.dims[name] = dim

    def condition(self, raw: Any, path: KeyPath, owner: str, inherited: Condition
                  ) -> Condition:
        if raw is None:
            return inherited
        raw = checks.mapping(raw, path, self.source, "{optimizer: sgd}")
        if not raw:
            raise self.source.error(path, "is empty; name a parameter and its value(s), "
                                          "e.g. {optimizer: sgd}")
        merged = dict(inherited)
        for name, values in raw.items():
            p = (*path, name)
            dim = self._target(name, p, owner)
            accepted = self._accepted(dim, values, name, p)
            if name in merged:
                accepted = tuple(v for v in accepted
                                 if any(_same(v, w) for w in merged[name]))
                if not accepted:
                    raise self.source.error(p, "can never hold: the enclosing group "
                                               f"needs {name} in {list(merged[name])!r}")
            merged[name] = accepted
        return tuple(merged.items())

    def _target(self, name: Any, path: KeyPath, owner: str) -> Dim:
        if name == owner:
            raise self.source.error(path, f"{owner!r} cannot depend on itself")
        if name in self.dims:
            dim = self.dims[name]
            if isinstance(dim, Float) and dim.step is None:
                raise self.source.error(path, f"{name!r} is a continuous float; conditions "
                                              "need a categorical, int or stepped float")
            return dim
        if name in self.all_names:
            raise self.source.error(path, f"{name!r} is declared after {owner!r}; declare "
                                          "the parameters a condition names before it")
        known = list(self.dims)
        raise self.source.error(path, f"unknown parameter {name!r}{did_you_mean(name, known)}"
                                      f" (declared before it: {', '.join(known) or 'none'})")

    def _accepted(self, dim: Dim, values: Any, name: str, path: KeyPath
                  ) -> tuple[CategoricalChoice, ...]:
        items = list(values) if isinstance(values, (list, tuple)) else [values]
        if not items:
            raise self.source.error(path, "needs at least one accepted value")
        out: list[CategoricalChoice] = []
        for v in items:
            if isinstance(v, (dict, list, tuple)) or not dim.contains(v):
                hint = ""
                if isinstance(dim, Categorical):
                    hint = did_you_mean(v, [c for c in dim.choices if isinstance(c, str)])
                raise self.source.error(path, f"{v!r} is not a value of {name!r} ({dim})"
                                              f"{hint}")
            if isinstance(dim, Categorical):
                out.append(dim.choices[dim.index(v)])
            elif isinstance(dim, Int):
                out.append(int(v))
            else:
                out.append(float(v))
        return tuple(out)


def parse_space(data: DeclaredSpace | Mapping[str, Any], *, source: Source | None = None,
                path: KeyPath = ()) -> DeclaredSpace:
    """Validate a declared space (dict, YAML data or ``{name: Dim}``) into a DeclaredSpace.

    Args:
        data: Parameter name -> spec. A spec is a mapping (``type`` float, int or
            categorical, with ``low``/``high``/``log``/``step`` or ``choices``, and an
            optional ``when``), a list (a categorical's choices), a ``Float``/``Int``/
            ``Categorical``, or a group ``{when: {...}, space: {...}}``.
        source: Where ``data`` came from (from :func:`tunecraft.config.load_yaml`), so that
            errors cite the file and line.
        path: Key path of ``data`` within its document, e.g. ``("space",)``.

    Raises:
        ConfigError: naming the key (and file:line) of the first invalid entry.
    """
    if isinstance(data, DeclaredSpace):
        return data
    src = source or Source()
    parser = _Parser(src, _declared_names(data))
    parser.entries(data, path, ())
    return DeclaredSpace(tuple(parser.params))


class SuggestsParams(Protocol):
    """What :func:`suggest_space` needs: a tunecraft ``Trial`` (or any trial alike)."""

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> float: ...

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1,
                    log: bool = False) -> int: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


def suggest_space(trial: SuggestsParams, space: DeclaredSpace | Mapping[str, Any]
                  ) -> dict[str, Any]:
    """Suggest every active parameter of ``space`` on ``trial``, in declaration order.

    A parameter whose ``when`` does not hold is skipped (and so are parameters that depend
    on it). Returns the suggested values; they are also in ``trial.params``, and suggesting
    one of them again with the same distribution returns the same value.
    """
    declared = parse_space(space)
    values: dict[str, Any] = {}
    for p in declared.params:
        if not p.is_active(values):
            continue
        dim = p.dim
        if isinstance(dim, Float):
            values[p.name] = trial.suggest_float(p.name, dim.low, dim.high, step=dim.step,
                                                 log=dim.log)
        elif isinstance(dim, Int):
            values[p.name] = trial.suggest_int(p.name, dim.low, dim.high, step=dim.step,
                                               log=dim.log)
        else:
            values[p.name] = trial.suggest_categorical(p.name, list(dim.choices))
    return values

