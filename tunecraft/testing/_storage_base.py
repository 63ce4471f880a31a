"""Shared parts of the storage contract: event builders, a parameter strategy and the base
class that knows how to make a study and reopen a storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from tunecraft.direction import StudyDirection
from tunecraft.record import TrialState
from tunecraft.space import Categorical, Dim, Float, Int
from tunecraft.storage.base import Storage
from tunecraft.storage.events import Event, EventKind
from tunecraft.testing._values import (
    choice_values,
    contract_settings,
    finite_floats,
    unique_name,
)

MIN = (StudyDirection.MINIMIZE,)
FINAL = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
DEAD_OWNER_PID = 4_194_305  # above Linux's largest pid_max, so no process has it
_EXAMPLES = contract_settings(max_examples=30)


def params_event(number: int, name: str, dim: Dim, value: Any) -> Event:
    """The event ``trial.suggest_*`` writes for one parameter."""
    return Event(number, EventKind.PARAMS, {name: {"d": dim.to_json(), "v": value}})


def report_event(number: int, step: int, value: float) -> Event:
    return Event(number, EventKind.REPORT, {"step": step, "value": value})


def attr_event(number: int, key: str, value: Any, *, system: bool = False) -> Event:
    kind = EventKind.SYSTEM_ATTR if system else EventKind.USER_ATTR
    return Event(number, kind, {"key": key, "value": value})


@st.composite
def params_and_values(draw: st.DrawFn) -> tuple[Dim, Any]:
    """A distribution and one legal value of it, of every type and magnitude."""
    kind = draw(st.sampled_from(["float", "int", "categorical"]))
    if kind == "float":
        a, b = draw(finite_floats()), draw(finite_floats())
        value = draw(st.sampled_from([a, b]))
        return Float(min(a, b), max(a, b)), value
    if kind == "int":
        a, b = draw(st.integers(-(2**62), 2**62)), draw(st.integers(-(2**62), 2**62))
        return Int(min(a, b), max(a, b)), draw(st.sampled_from([a, b]))
    value = draw(choice_values())
    return Categorical((value,)), value


class StorageTestBase:
    """What every part of the storage contract needs: a fresh study and a second handle."""

    def reopen(self, storage: Storage) -> Storage:
        """A second Storage object on the same data (another process would use one).

        Backends whose data lives in one object (in-memory) return ``storage`` itself.
        """
        return storage

    def _new_study(self, storage: Storage, directions: Sequence[StudyDirection] = MIN) -> str:
        name = unique_name()
        storage.create_study(name, directions)
        return name
