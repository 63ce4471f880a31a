"""Trials as rows: CSV and JSON files, and pandas DataFrames (pandas is optional)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tunecraft._imports import require
from tunecraft.history import History
from tunecraft.record import FrozenTrial, thaw

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration",
                 "params", "user_attrs", "state", "fail_reason")


def _value_columns(t: FrozenTrial, n_objectives: int) -> dict[str, Any]:
    if n_objectives == 1:
        return {"value": t.values[0] if t.values else None}
    vals = t.values or (None,) * n_objectives
    return {f"values_{i}": v for i, v in enumerate(vals)}


def trial_row(t: FrozenTrial, n_objectives: int, attrs: Sequence[str] = DEFAULT_ATTRS
              ) -> dict[str, Any]:
    """One flat row per trial: ``params_<name>`` and ``user_attrs_<key>`` columns."""
    row: dict[str, Any] = {}
    for a in attrs:
        if a == "number":
            row["number"] = t.number
        elif a in ("value", "values"):
            row.update(_value_columns(t, n_objectives))
        elif a in ("datetime_start", "datetime_complete"):
            row[a] = getattr(t, a)
        elif a == "duration":
            row["duration"] = t.duration.total_seconds() if t.duration else None
        elif a == "params":
            row.update({f"params_{k}": v for k, v in t.params.items()})
        elif a == "user_attrs":
            row.update({f"user_attrs_{k}": thaw(v) for k, v in t.user_attrs.items()})
        elif a == "state":
            row["state"] = t.state.name
        elif a == "fail_reason":
            row["fail_reason"] = t.fail_reason
        elif a == "intermediate_values":
            row.update({f"intermediate_{k}": v for k, v in t.intermediate_values.items()})
        else:
            raise ValueError(f"unknown trial attribute {a!r}; choose from {DEFAULT_ATTRS}")
    return row


def rows(history: History, attrs: Sequence[str] | None = None) -> list[dict[str, Any]]:
    attrs = DEFAULT_ATTRS if attrs is None else attrs
    return [trial_row(t, history.n_objectives, attrs) for t in history.trials]


def to_dataframe(history: History, attrs: Sequence[str] | None = None) -> pd.DataFrame:
    pandas = require("pandas", "pandas")
    return pandas.DataFrame(rows(history, attrs))


def trial_dict(t: FrozenTrial) -> dict[str, Any]:
    """Every field of a trial as plain JSON data (datetimes in ISO 8601)."""
    return {
        "number": t.number,
        "state": t.state.name,
        "values": list(t.values) if t.values is not None else None,
        "params": dict(t.params),
        "distributions": {k: d.to_json() for k, d in t.distributions.items()},
        "intermediate_values": {str(k): v for k, v in t.intermediate_values.items()},
        "user_attrs": thaw(t.user_attrs),
        "datetime_start": t.datetime_start.isoformat() if t.datetime_start else None,
        "datetime_complete": t.datetime_complete.isoformat() if t.datetime_complete else None,
        "fail_reason": t.fail_reason,
    }


def _csv_cell(v: Any) -> Any:
    if isinstance(v, (list, dict, tuple)):
        return json.dumps(thaw(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return "" if v is None else v


def write_trials(history: History, path: str | os.PathLike[str], format: str | None = None,
                 *, study_name: str = "") -> None:
    """Write all trials to ``path`` as ``csv`` or ``json`` (inferred from the suffix)."""
    fmt = (format or os.path.splitext(str(path))[1].lstrip(".")).lower()
    if fmt not in ("csv", "json"):
        raise ValueError(f"export format {fmt or '(none)'!r} is not supported; use csv or json")
    if fmt == "json":
        doc = {"study_name": study_name,
               "directions": [d.value for d in history.directions],
               "trials": [trial_dict(t) for t in history.trials]}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, allow_nan=True)
            f.write("\n")
        return
    table = rows(history)
    columns: list[str] = []
    for r in table:
        columns.extend(c for c in r if c not in columns)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for r in table:
            writer.writerow({k: _csv_cell(v) for k, v in r.items()})
