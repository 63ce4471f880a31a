"""Names that users give (studies, attributes): checked once before any storage sees them, and
shown safely in messages and terminals (control characters escaped, long names clipped)."""

from __future__ import annotations

import unicodedata

MAX_NAME_LENGTH = 512
"""The longest study name or study attribute key (the width of their SQL columns)."""

SHOWN_LENGTH = 60
"""How many characters of a long name error messages repeat."""


def visible(text: object) -> str:
    """``str(text)`` with every non-printable character written as its Python escape.

    ESC, NUL, newlines, bidirectional overrides and the like become ``\\x1b``, ``\\x00``,
    ``\\n``, ``\\u202e``: what a name holds is shown, and nothing in it reaches the terminal
    as a control sequence. Printable text, spaces included, is unchanged.

    >>> visible("a\\x1b[2Jb")
    'a\\\\x1b[2Jb'
    """
    s = str(text)
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in s)


def short_repr(text: object, limit: int = SHOWN_LENGTH) -> str:
    """``repr(text)``, clipped to its first ``limit`` characters for long strings.

    >>> short_repr("x" * 1000, 3)
    "'xxx'... (1000 characters)"
    """
    if isinstance(text, str) and len(text) > limit:
        return f"{text[:limit]!r}... ({len(text)} characters)"
    shown = repr(text)
    return shown if len(shown) <= limit + 2 else f"{shown[:limit]}... (clipped)"


def _control(text: str) -> str | None:
    """The first control character (Unicode category Cc) of ``text``, escaped, or None."""
    for c in text:
        if unicodedata.category(c) == "Cc":
            return visible(c)
    return None


def check_study_name(name: object) -> str:
    """Return ``name`` if it can name a study in every storage, else raise ValueError.

    A study name is a string of 1 to 512 characters with a visible character and no control
    characters (NUL, newline, tab, ESC, ...): PostgreSQL cannot store NUL, and names are
    printed in terminals and tables. Every storage checks names here before creating a
    study, so in-memory, SQLite and PostgreSQL storages accept the same names.
    """
    if not isinstance(name, str):
        raise ValueError(f"study name {short_repr(name)} must be a string, got "
                         f"{type(name).__name__}; pass study_name='my-study'")
    if not name.strip():
        raise ValueError(f"study name {name!r} is empty; give a name with a visible "
                         "character, such as 'my-study'")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"study name {short_repr(name)} is longer than {MAX_NAME_LENGTH} "
                         "characters; choose a shorter name")
    bad = _control(name)
    if bad is not None:
        raise ValueError(f"study name {short_repr(name)} contains the control character "
                         f"{bad}; use printable characters only")
    return name


def check_study_attr_key(key: object) -> str:
    """Return ``key`` if every storage can store it as a study attribute key, else raise.

    Keys are stored in a 512-character column, where PostgreSQL cannot hold NUL; checked by
    every storage so that they all accept the same keys. (Trial attribute keys have no such
    limit: they travel inside the JSON event payload.)
    """
    if not isinstance(key, str) or not key:
        raise ValueError(f"study attribute key {short_repr(key)} must be a non-empty string")
    if len(key) > MAX_NAME_LENGTH:
        raise ValueError(f"study attribute key {short_repr(key)} is longer than "
                         f"{MAX_NAME_LENGTH} characters; use a shorter key")
    if "\x00" in key:
        raise ValueError(f"study attribute key {short_repr(key)} contains a NUL character "
                         "(\\x00), which PostgreSQL cannot store; remove it from the key")
    return key
