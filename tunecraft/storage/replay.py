"""Replay of storage events into immutable FrozenTrial records, incrementally from a cursor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from tunecraft.record import FrozenTrial, TrialState, freeze
from tunecraft.space import Dim, dim_from_json
from tunecraft.storage.events import Event, EventKind


def _time(t: float | None) -> dt.datetime | None:
    return None if t is None else dt.datetime.fromtimestamp(t)


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
                self.dists[name] = dim_from_json(entry["d"])
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
            self.cursor = e.seq
            self._dirty = True

    def param_distributions(self) -> Mapping[str, Dim]:
        """Each parameter name -> its first recorded distribution (a read-only snapshot)."""
        return self._dists_view

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
