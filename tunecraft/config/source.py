"""YAML loading that remembers the line of every key, so config errors can cite ``file:line``.

The loader reads YAML 1.2 scalars where YAML 1.1 (PyYAML's default) surprises people:
``1e-5`` is a float (not the string ``"1e-5"``), and only ``true``/``false`` are booleans
(``yes``, ``no``, ``on`` and ``off`` stay strings). Duplicate keys are errors, not silently
overwritten.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import yaml

from tunecraft.exceptions import ConfigError

KeyPath: TypeAlias = tuple[str | int, ...]

_BOOL = "tag:yaml.org,2002:bool"
_FLOAT = "tag:yaml.org,2002:float"
# YAML 1.2 floats with an exponent but no dot or no exponent sign (1e-5, 1.0e5, 3E8).
_EXP_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
_STRICT_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and exponent floats."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that also quotes strings our loader would read as numbers (``"1e5"``)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in entries if tag != _BOOL]
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, _STRICT_BOOL, list("tTfF"))
_Loader.add_implicit_resolver(_FLOAT, _EXP_FLOAT, list("-+0123456789."))
_Dumper.yaml_implicit_resolvers = {
    first: list(entries) for first, entries in yaml.SafeDumper.yaml_implicit_resolvers.items()
}
_Dumper.add_implicit_resolver(_FLOAT, _EXP_FLOAT, list("-+0123456789."))


def format_path(path: KeyPath) -> str:
    """``("space", "lr", "low")`` -> ``"space.lr.low"``; list indices as ``[i]``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def did_you_mean(word: object, options: Iterable[str]) -> str:
    """A ``"; did you mean 'x'?"`` hint, or ``""`` when nothing is close."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class Source:
    """Where a configuration came from: a file name and the line of each key path.

    ``Source()`` (no name, no lines) stands for a Python mapping; errors then name only
    the key.
    """

    name: str | None = None
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for n in range(len(path), -1, -1):
            line = self.lines.get(path[:n])
            if line is not None:
                return line
        return None

    def where(self, path: KeyPath) -> str:
        """``"file:line"``, ``"file"`` or ``""``: the location prefix of messages about path."""
        if self.name is None:
            return ""
        line = self.line(path)
        return f"{self.name}:{line}" if line is not None else self.name

    def error(self, path: KeyPath, message: str) -> ConfigError:
        """A ConfigError reading ``file:line: key.path: message``."""
        parts = [self.where(path), format_path(path), message]
        return ConfigError(": ".join(p for p in parts if p))


def _build(node: yaml.Node, path: KeyPath, loader: _Loader, lines: dict[KeyPath, int],
           name: str, stack: set[int]) -> Any:
    if id(node) in stack:
        raise ConfigError(f"{name}:{node.start_mark.line + 1}: {format_path(path)}: "
                          "recursive YAML alias; expand it")
    if isinstance(node, yaml.MappingNode):
        stack.add(id(node))
        explicit = {id(k) for k, _ in node.value}
        loader.flatten_mapping(node)  # resolves "<<" merge keys; merged entries come first
        out: dict[Any, Any] = {}
        written: set[Any] = set()  # keys written explicitly (merged ones may be overridden)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            where = f"{name}:{key_node.start_mark.line + 1}"
            if isinstance(key, (list, dict)) or key is None:
                raise ConfigError(f"{where}: {format_path(path) or '(top level)'}: keys "
                                  f"must be names, got {key!r}")
            if id(key_node) in explicit:
                if key in written:
                    shown = format_path((*path, key))
                    raise ConfigError(f"{where}: {shown}: duplicate key; "
                                      "keep one of the entries")
                written.add(key)
            sub = (*path, key)
            lines[sub] = key_node.start_mark.line + 1
            out[key] = _build(value_node, sub, loader, lines, name, stack)
        stack.discard(id(node))
        return out
    if isinstance(node, yaml.SequenceNode):
        stack.add(id(node))
        items = []
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            items.append(_build(item, (*path, i), loader, lines, name, stack))
        stack.discard(id(node))
        return items
    return loader.construct_object(node, deep=True)


def loads_yaml(text: str, name: str = "<string>") -> tuple[Any, Source]:
    """Parse YAML text; return the data and a Source that knows the line of every key.

    Raises:
        ConfigError: on a syntax error, a duplicate key or an unsupported tag, citing
            ``name:line``.
    """
    loader = _Loader(text)
    lines: dict[KeyPath, int] = {}
    try:
        root = loader.get_single_node()
        data = None if root is None else _build(root, (), loader, lines, name, set())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        what = exc.problem or exc.context or "syntax error"
        ctx = exc.context_mark
        if exc.problem and exc.context and ctx is not None:
            what += f" ({exc.context} at line {ctx.line + 1})"
        raise ConfigError(f"{where}: invalid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if root is not None:
        lines[()] = root.start_mark.line + 1
    return data, Source(name, lines)


def load_yaml(path: str | os.PathLike[str]) -> tuple[Any, Source]:
    """Read a YAML file; errors name the file as given (e.g. ``examples/bad.yaml:7``)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a directory, not a YAML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
                          ) from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read: {exc.strerror}") from None
    return loads_yaml(text, name)


def dump_yaml(data: Any) -> str:
    """YAML text that :func:`loads_yaml` (and plain PyYAML) read back as the same data."""
    text: str = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=None,
                          allow_unicode=True)
    return text


def check_keys(data: Mapping[Any, Any], allowed: Sequence[str], path: KeyPath,
               source: Source, what: str) -> None:
    """Raise ConfigError for the first key of ``data`` not in ``allowed``, with a hint."""
    for key in data:
        if key not in allowed:
            raise source.error(
                (*path, key),
                f"unknown key in {what}{did_you_mean(key, allowed)} "
                f"(allowed: {', '.join(allowed)})",
            )
