"""Replay of storage events into immutable FrozenTrial records, incrementally from a cursor."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from tunecraft.record import FrozenTrial, TrialState, freeze
from tunecraft.space import Dim, dim_from_json
from tunecraft.storage.events import Event, EventKind


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a log is decoded and replayed.

    Decoding a large log creates hundreds of thousands of small, acyclic objects that the
    replay keeps; every collection they trigger traverses the growing heap and frees nothing
    (about 40% of the time of a 20,000-trial replay). Reference counting frees garbage as
    usual meanwhile, and the collector resumes afterwards (unless it was off before).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _time(t: float | None) -> dt.datetime | None:
    return None if t is None else dt.datetime.fromtimestamp(t)


_DIMS: dict[Hashable, Dim] = {}
_DIMS_MAX = 4096


def _exact(v: Any) -> Hashable:
    """A key that is equal only for the same JSON value: type-tagged, floats by repr."""
    if isinstance(v, list):
        return tuple(_exact(x) for x in v)
    return (type(v), repr(v) if isinstance(v, float) else v)


def _dim(data: Mapping[str, Any]) -> Dim:
    """``dim_from_json`` that hands out one shared (immutable) Dim per distinct JSON form.

    A study's trials repeat a few distributions thousands of times: sharing them saves the
    validation of each rebuild and the memory of each copy, and lets readers compare
    distributions by identity first. The key keeps every value's type and every float's sign,
    so ``1``, ``1.0`` and ``True`` (or ``0.0`` and ``-0.0``) never share a Dim.
    """
    try:
        key = tuple((k, _exact(v)) for k, v in data.items())
        dim = _DIMS.get(key)
    except TypeError:  # an unhashable value (a malformed entry): build it uncached
        return dim_from_json(data)
    if dim is None:
        dim = dim_from_json(data)
        if len(_DIMS) < _DIMS_MAX:
            _DIMS[key] = dim
    return dim


class _TrialBuilder:
    """Mutable accumulator for one trial; frozen on demand and cached until it changes."""

    __slots__ = ("number", "state", "params", "dists", "values", "reports", "vectors",
                 "user_attrs", "system_attrs", "start", "end", "reason", "frozen")

    def __init__(self, number: int) -> None:
        self.number = number
        self.state = TrialState.RUNNING
        self.params: dict[str, Any] = {}
        self.dists: dict[str, Dim] = {}
        self.values: tuple[float, ...] | None = None
        self.reports: dict[int, float] = {}
        self.vectors: dict[int, tuple[float, ...]] = {}  # multi-objective reports
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.start: float | None = None
        self.end: float | None = None
        self.reason: str | None = None
        self.frozen: FrozenTrial | None = None

    def apply(self, e: Event) -> None:
        p = e.payload
        self.frozen = None
        if e.kind is EventKind.CREATED:
            self.state = TrialState(p["state"])
            if self.state is TrialState.RUNNING:
                self.start = p.get("time")
            self.user_attrs.update(p.get("user_attrs") or {})
            self.system_attrs.update(p.get("system_attrs") or {})
        elif e.kind is EventKind.CLAIMED:
            self.state = TrialState.RUNNING
            self.start = p.get("time")
        elif e.kind is EventKind.PARAMS:
            for name, entry in p.items():
                self.dists[name] = _dim(entry["d"])
                self.params[name] = entry["v"]
        elif e.kind is EventKind.REPORT:
            if "values" in p:  # one value per objective (multi-objective studies)
                self.vectors[int(p["step"])] = tuple(float(v) for v in p["values"])
            else:
                self.reports[int(p["step"])] = float(p["value"])
        elif e.kind is EventKind.USER_ATTR:
            self.user_attrs[p["key"]] = p["value"]
        elif e.kind is EventKind.SYSTEM_ATTR:
            self.system_attrs[p["key"]] = p["value"]
        elif e.kind is EventKind.FINISHED:
            self.state = TrialState(p["state"])
            vals = p.get("values")
            self.values = None if vals is None else tuple(float(v) for v in vals)
            self.reason = p.get("reason")
            self.end = p.get("time")

    def freeze(self) -> FrozenTrial:
        if self.frozen is None:
            self.frozen = FrozenTrial(
                number=self.number,
                state=self.state,
                params=MappingProxyType(dict(self.params)),
                distributions=MappingProxyType(dict(self.dists)),
                values=self.values,
                intermediate_values=MappingProxyType(dict(sorted(self.reports.items()))),
                intermediate_vectors=MappingProxyType(dict(sorted(self.vectors.items()))),
                user_attrs=freeze(self.user_attrs),
                system_attrs=freeze(self.system_attrs),
                datetime_start=_time(self.start),
                datetime_complete=_time(self.end),
                fail_reason=self.reason,
            )
        return self.frozen


class Replayer:
    """Folds a study's events, in seq order, into trial records; remembers where it stopped."""

    def __init__(self) -> None:
        self.cursor = -1
        self._trials: list[_TrialBuilder] = []
        self._frozen: list[FrozenTrial | None] = []  # by number; None: changed since frozen
        self._changed: set[int] = set()
        self._snapshot: tuple[FrozenTrial, ...] = ()
        self._dirty = False
        # name -> first recorded distribution, kept as the log is folded so that readers
        # (the study's space-consistency check at every suggest) need no full scan
        self._dists: dict[str, Dim] = {}
        self._dists_view: Mapping[str, Dim] = MappingProxyType({})
        # every system attribute key any trial carries, kept the same way, so that readers
        # asking "does any trial continue another?" (at every ask) need no full scan either
        self._sys_keys: frozenset[str] = frozenset()

    def apply(self, events: Iterable[Event]) -> None:
        for e in events:
            if e.seq <= self.cursor:
                continue  # already applied (overlapping reads are harmless)
            while len(self._trials) <= e.trial:
                self._trials.append(_TrialBuilder(len(self._trials)))
                self._frozen.append(None)
            self._trials[e.trial].apply(e)
            self._changed.add(e.trial)
            if e.kind is EventKind.PARAMS and any(n not in self._dists for n in e.payload):
                for name in e.payload:
                    self._dists.setdefault(name, self._trials[e.trial].dists[name])
                self._dists_view = MappingProxyType(dict(self._dists))
            if e.kind is EventKind.SYSTEM_ATTR:
                if e.payload["key"] not in self._sys_keys:
                    self._sys_keys = self._sys_keys | {e.payload["key"]}
            elif e.kind is EventKind.CREATED and e.payload.get("system_attrs"):
                if not self._sys_keys.issuperset(e.payload["system_attrs"]):
                    self._sys_keys = self._sys_keys | set(e.payload["system_attrs"])
            self.cursor = e.seq
            self._dirty = True

    def param_distributions(self) -> Mapping[str, Dim]:
        """Each parameter name -> its first recorded distribution (a read-only snapshot)."""
        return self._dists_view

    def system_attr_keys(self) -> frozenset[str]:
        """Every system attribute key that some trial carries."""
        return self._sys_keys

    def trials(self) -> tuple[FrozenTrial, ...]:
        """Every trial, frozen; only those changed since the last call are frozen anew, so
        a read that brings a few events costs O(changes) plus one tuple copy."""
        if self._dirty:
            for number in self._changed:
                self._frozen[number] = self._trials[number].freeze()
            self._changed.clear()
            self._snapshot = tuple(self._frozen)  # type: ignore[arg-type]
            self._dirty = False
        return self._snapshot


def replay_trials(events: Iterable[Event]) -> dict[int, FrozenTrial]:
    """Fold the events of some trials, in seq order, into their records, keyed by number.

    A trial's record depends on its own events only, so these are the very records a full
    replay would give for those trials (for listings that show a few trials of a large study).
    """
    builders: dict[int, _TrialBuilder] = {}
    for e in events:
        b = builders.get(e.trial)
        if b is None:
            b = builders[e.trial] = _TrialBuilder(e.trial)
        b.apply(e)
    return {n: b.freeze() for n, b in builders.items()}
