"""A versioned JSON blob of a ``cmaes`` optimizer's state (and back), without pickle.

The ``cmaes`` optimizers define ``__getstate__`` / ``__setstate__`` for pickling (CMA drops
its random generator and compresses the covariance matrix). We keep those dictionaries, but
write them as JSON: arrays as dtype, shape and base64 bytes (exact, and compact), nested
optimizers (CMAwM holds a CMA) recursively, and only classes from a fixed list are rebuilt,
so loading a blob from a shared database can never run code.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from tunecraft._imports import require

VERSION = 1
_CLASSES = ("CMA", "CMAwM", "SepCMA")


def _encode(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {"__nd__": data.dtype.str, "shape": list(data.shape),
                "b64": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if type(value).__name__ in _CLASSES and type(value).__module__.startswith("cmaes"):
        return {"__obj__": type(value).__name__, "state": _encode(_state_of(value))}
    return value


def _state_of(obj: Any) -> dict[str, Any]:
    getstate = getattr(obj, "__getstate__", None)
    state = getstate() if getstate is not None else None
    if not isinstance(state, dict):  # object.__getstate__ gives __dict__ (or None)
        state = dict(vars(obj))
    return state


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__nd__" in value:
            raw = base64.b64decode(value["b64"])
            arr = np.frombuffer(raw, dtype=np.dtype(value["__nd__"])).reshape(value["shape"])
            return arr.copy()
        if "__obj__" in value:
            return _rebuild(value["__obj__"], _decode(value["state"]))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_decode(v) for v in value]
    return value


def _rebuild(name: str, state: dict[str, Any]) -> Any:
    if name not in _CLASSES:
        raise ValueError(f"unknown optimizer class {name!r} in a CMA-ES state blob")
    cls = getattr(require("cmaes", "cmaes"), name)
    obj = cls.__new__(cls)
    # CMA's compressed covariance; SepCMA's generator (its pickled state drops it)
    if ("_c_1d" in state or name == "SepCMA") and hasattr(cls, "__setstate__"):
        obj.__setstate__(state)
    else:
        obj.__dict__.update(state)
    return obj


def dump(optimizer: Any) -> dict[str, Any]:
    """The JSON-ready state of a ``cmaes`` optimizer."""
    cmaes = require("cmaes", "cmaes")
    return {"v": VERSION, "cmaes": getattr(cmaes, "__version__", "?"),
            "optimizer": _encode(optimizer)}


def load(blob: Any) -> Any:
    """The optimizer stored by :func:`dump`; raises ValueError if the blob is unusable (another
    version of the format or of ``cmaes``, or damaged)."""
    cmaes = require("cmaes", "cmaes")
    if not isinstance(blob, dict) or blob.get("v") != VERSION:
        raise ValueError("CMA-ES state blob of an unknown format version")
    if blob.get("cmaes") != getattr(cmaes, "__version__", "?"):
        raise ValueError("CMA-ES state blob written by another version of cmaes")
    try:
        return _decode(blob["optimizer"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"damaged CMA-ES state blob: {exc}") from exc
