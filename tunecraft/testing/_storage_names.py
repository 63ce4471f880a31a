"""The storage contract, part three: every storage accepts and refuses the same names.

Study names and study attribute keys are checked before they reach a backend (PostgreSQL
cannot store NUL, its columns hold 512 characters); parameter names, trial attribute keys and
values travel inside JSON payloads, so NUL and control characters round-trip on every backend.
"""

from __future__ import annotations

from typing import Any

import pytest

from tunecraft.record import TrialState
from tunecraft.space import Categorical
from tunecraft.storage.base import Storage
from tunecraft.testing._storage_base import (
    MIN,
    StorageTestBase,
    attr_event,
    params_event,
)
from tunecraft.testing._values import unique_name

ODD_TEXT = ("[/]", "[/x]", "[link=http://x]y[/link]", "[bold]", "a\x00b", "\x1b[2J",
            "\x1b]8;;http://evil\x1b\\", "tab\there", "\u202eevil", "\\")
"""Rich markup, NUL, escape sequences, a bidi override and a lone backslash."""


class StorageNameContract(StorageTestBase):
    """Names: the same study names and attribute keys are valid on every storage."""

    @pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "new\nline", "esc\x1b[2J", "x" * 513,
                                     7, None])
    def test_invalid_study_names_are_refused_before_storing(self, storage: Storage,
                                                            bad: Any) -> None:
        before = storage.study_names()
        with pytest.raises(ValueError, match="study name") as info:
            storage.create_study(bad, MIN)
        assert len(str(info.value)) < 300  # a long name is clipped, never echoed whole
        assert storage.study_names() == before

    def test_a_ten_kilobyte_name_is_clipped_in_the_message(self, storage: Storage) -> None:
        with pytest.raises(ValueError, match=r"\.\.\. \(10240 characters\) is longer than 512"):
            storage.create_study("n" * 10240, MIN)

    @pytest.mark.parametrize("name", ["[/]", "[link=http://x]y[/link]", "\\", "\u202eevil",
                                      "名前 with spaces", "y" * 512])
    def test_printable_study_names_round_trip(self, storage: Storage, name: str) -> None:
        name = name if len(name) == 512 else f"{name}-{unique_name()}"
        storage.create_study(name, MIN)
        try:
            assert name in storage.study_names()
            assert storage.study_directions(name) == MIN
        finally:
            storage.delete_study(name)

    def test_odd_param_names_values_and_trial_attrs_round_trip(self, storage: Storage) -> None:
        name = self._new_study(storage)
        number = storage.create_trial(name, user_attrs={k: k for k in ODD_TEXT})
        dims = {f"p{i}{text}": Categorical((text, "other")) for i, text in enumerate(ODD_TEXT)}
        events = [params_event(number, p, dim, dim.choices[0]) for p, dim in dims.items()]
        events.append(attr_event(number, "k\x00\x1b", "v\x00\x1b"))
        storage.write(name, number, events)
        storage.finish(name, number, TrialState.COMPLETE, values=[1.0])
        t = storage.history(name).trial(number)
        assert dict(t.params) == {p: dim.choices[0] for p, dim in dims.items()}
        assert dict(t.distributions) == dims
        assert dict(t.user_attrs) == {**{k: k for k in ODD_TEXT}, "k\x00\x1b": "v\x00\x1b"}

    @pytest.mark.parametrize(("key", "why"), [("k\x00", "NUL"), ("k" * 513, "longer than 512"),
                                              ("", "non-empty")])
    def test_study_attr_keys_that_cannot_be_stored_are_refused(self, storage: Storage, key: str,
                                                               why: str) -> None:
        name = self._new_study(storage)
        with pytest.raises(ValueError, match=why):
            storage.set_study_attr(name, key, 1)
        assert storage.study_attrs(name) == {}
        assert storage.set_study_attr(name, "k" * 512, "\x00 in values is fine") is True
        assert storage.study_attrs(name) == {"k" * 512: "\x00 in values is fine"}
