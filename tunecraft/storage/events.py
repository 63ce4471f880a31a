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

SCHEMA_VERSION = 2
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


_FLOAT_TAG = "__float__"


def _is_tag_like(key: str) -> bool:
    """``__float__`` followed by zero or more ``_``: keys that must be escaped in user data."""
    return key.startswith(_FLOAT_TAG) and not key[len(_FLOAT_TAG):].strip("_")


def _encode(value: Any) -> Any:
    # JSON has no NaN/inf; tag them as {"__float__": repr} so that every float round-trips
    # exactly and the text stays valid JSON for other readers (PostgreSQL's json type, jq,
    # browsers). A user key that looks like the tag gains one "_" (and loses it on decoding),
    # so user data can never be mistaken for a tagged float.
    if isinstance(value, float) and not math.isfinite(value):
        return {_FLOAT_TAG: repr(value)}
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"dict key {k!r} has type {type(k).__name__}; keys must be str")
            out[k + "_" if _is_tag_like(k) else k] = _encode(v)
        return out
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _FLOAT_TAG in obj:
        return float(obj[_FLOAT_TAG])
    if any(_is_tag_like(k) for k in obj):
        return {k[:-1] if _is_tag_like(k) else k: v for k, v in obj.items()}
    return obj


def dumps(payload: Any) -> str:
    """Encode a JSON-like payload exactly (floats by repr, NaN/inf tagged)."""
    try:
        return json.dumps(_encode(payload), allow_nan=False, separators=(",", ":"))
    except TypeError as exc:
        raise TypeError(
            f"value is not JSON-serialisable ({exc}); store numbers, strings, booleans, None, "
            "lists or dicts of those"
        ) from None


def loads(text: str) -> Any:
    """Inverse of :func:`dumps`.

    Replaying a study decodes every event, and calling the tag hook on every JSON object
    costs most of that. A text can hold a tagged float or an escaped tag-like key only if
    ``__float__`` appears in it literally or some character is written as a ``\\u`` escape
    (JSON's other escapes cannot spell ``_`` or a letter), so any other text is decoded by
    the plain C decoder: the same result, about five times faster.
    """
    if _FLOAT_TAG not in text and "\\u" not in text:
        try:  # what dumps writes has no whitespace around the value: skip json.loads' checks
            value, end = _PLAIN.raw_decode(text)
        except json.JSONDecodeError:
            return json.loads(text)  # leading whitespace, or the error json.loads reports
        return value if end == len(text) else json.loads(text)
    return json.loads(text, object_hook=_decode_hook)


_PLAIN = json.JSONDecoder()
