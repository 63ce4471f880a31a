"""Storage events: the append-only record of everything that happens to a trial, and their codec.

A study's state is the replay of its events in ``seq`` order. Every backend stores the same
events, so one replay routine serves in-memory, SQLite and PostgreSQL storages alike.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
"""Version of the event payload format and SQL schema written by this release."""


class EventKind(str, enum.Enum):
    CREATED = "created"  # payload: state, time, user_attrs, system_attrs
    CLAIMED = "claimed"  # a WAITING trial became RUNNING; payload: time
    PARAMS = "params"  # payload: {name: {"d": dim json, "v": value}}
    REPORT = "report"  # payload: step, value
    USER_ATTR = "user_attr"  # payload: key, value
    SYSTEM_ATTR = "system_attr"  # payload: key, value
    FINISHED = "finished"  # payload: state, values, reason, time


@dataclass(frozen=True, slots=True)
class Event:
    """One change to one trial. ``seq`` is assigned by the storage when it is appended."""

    trial: int
    kind: EventKind
    payload: Mapping[str, Any]
    seq: int = -1


def _encode_floats(value: Any) -> Any:
    # JSON has no NaN/inf; tag them so that every float round-trips exactly and the text
    # stays valid JSON for other readers (PostgreSQL's json type, jq, browsers).
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, Mapping):
        return {str(k): _encode_floats(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_floats(v) for v in value]
    return value


def _decode_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "__float__" in obj:
        return float(obj["__float__"])
    return obj


def dumps(payload: Any) -> str:
    """Encode a JSON-like payload exactly (floats by repr, NaN/inf tagged)."""
    try:
        return json.dumps(_encode_floats(payload), allow_nan=False, separators=(",", ":"))
    except TypeError as exc:
        raise TypeError(
            f"value is not JSON-serialisable ({exc}); store numbers, strings, booleans, None, "
            "lists or dicts of those"
        ) from None


def loads(text: str) -> Any:
    """Inverse of :func:`dumps`."""
    return json.loads(text, object_hook=_decode_hook)
