"""Declarative configuration: YAML with file:line errors, declared search spaces, run configs.

``load_yaml`` reads a file and remembers where every key was written; ``parse_space`` turns
a ``{name: spec}`` mapping into a :class:`DeclaredSpace` (the same Float/Int/Categorical that
``suggest_*`` builds, with ``when`` conditions); ``suggest_space`` suggests a declared space
on a trial; ``load_run_config`` validates what ``tunecraft run`` reads. Errors are
:class:`~tunecraft.exceptions.ConfigError` messages like
``examples/bad.yaml:7: space.lr.low: must be a number, got 'abc'``.
"""

from __future__ import annotations

import os
from typing import Any

from tunecraft.config.run import PluginSpec, RunConfig, load_run_config, parse_run_config
from tunecraft.config.source import Source, dump_yaml, format_path, load_yaml, loads_yaml
from tunecraft.config.space import (
    DeclaredParam,
    DeclaredSpace,
    dim_to_spec,
    parse_space,
    space_to_dict,
    suggest_space,
)
from tunecraft.exceptions import ConfigError


def load_space(path: str | os.PathLike[str], key: str | None = "space") -> DeclaredSpace:
    """Read a declared space from a YAML file: the mapping under ``key`` (or the whole file
    when ``key`` is None)."""
    data, source = load_yaml(path)
    if key is None:
        return parse_space(data, source=source)
    if not isinstance(data, dict) or key not in data:
        raise source.error((), f"has no {key!r} key; put the space under '{key}:' or pass "
                               "key=None to read the whole file as the space")
    space: Any = data[key]
    return parse_space(space, source=source, path=(key,))


__all__ = ["ConfigError", "DeclaredParam", "DeclaredSpace", "PluginSpec", "RunConfig",
           "Source", "dim_to_spec", "dump_yaml", "format_path", "load_run_config",
           "load_space", "load_yaml", "loads_yaml", "parse_run_config", "parse_space",
           "space_to_dict", "suggest_space"]
