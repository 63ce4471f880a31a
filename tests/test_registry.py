"""The registry of built-in samplers and pruners: one list behind the config, the CLI and docs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import tunecraft.pruners as pruners
import tunecraft.samplers as samplers
from tunecraft import registry
from tunecraft.config import ConfigError
from tunecraft.config.run import PRUNER_NAMES, SAMPLER_NAMES, parse_run_config
from tunecraft.pruners.base import BasePruner
from tunecraft.samplers.base import BaseSampler

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
AWAITING_REGISTRATION: set[str] = set()
"""Exported built-ins not registered yet; the list may only shrink."""


def test_docs_table_is_the_generated_one() -> None:
    assert DOCS.read_text() == registry.plugins_page(), (
        "docs/plugins.md is out of date: run python -m tunecraft.registry > docs/plugins.md")


@pytest.mark.parametrize("kind, package, base", [("sampler", samplers, BaseSampler),
                                                 ("pruner", pruners, BasePruner)])
def test_every_exported_built_in_is_registered(kind: registry.Kind, package: object,
                                               base: type) -> None:
    exported = {getattr(package, n) for n in package.__all__}  # type: ignore[attr-defined]
    built_ins = {c for c in exported if isinstance(c, type) and issubclass(c, base)
                 and c is not base and c.__name__ not in AWAITING_REGISTRATION}
    registered = {e.cls for e in registry.entries(kind)}
    assert built_ins == registered, ("add a name = '...' attribute and a registration line "
                                     "in tunecraft/registry.py", built_ins ^ registered)


def test_names_and_aliases_are_unique_lowercase_identifiers() -> None:
    for kind in ("sampler", "pruner"):
        every = [n for e in registry.entries(kind) for n in (e.name, *e.aliases)]  # type: ignore[arg-type]
        assert len(every) == len(set(every)), every
        assert all(n.isidentifier() and n == n.lower() for n in every), every


def test_config_tables_come_from_the_registry() -> None:
    assert SAMPLER_NAMES == registry.names("sampler") and len(SAMPLER_NAMES) >= 9
    assert PRUNER_NAMES == registry.names("pruner") and len(PRUNER_NAMES) >= 12
    assert registry.lookup("pruner", "successive_halving") is pruners.SuccessiveHalvingPruner
    assert registry.lookup("pruner", " NOP ") is pruners.NopPruner
    with pytest.raises(KeyError, match="choose one of median, percentile"):
        registry.lookup("pruner", "medain")


@pytest.mark.parametrize("name", [n for e in registry.entries("pruner")
                                  for n in (e.name, *e.aliases)])
def test_config_accepts_every_pruner_name_and_alias(name: str) -> None:
    config = parse_run_config({"objective": "m:f", "pruner": name})
    assert config.pruner.name == name


def test_unknown_names_list_every_built_in() -> None:
    with pytest.raises(ConfigError) as err:
        parse_run_config({"objective": "m:f", "sampler": "tpee"})
    assert "did you mean 'tpe'" in str(err.value)
    assert all(n in str(err.value) for n in SAMPLER_NAMES)


def test_cli_help_offers_every_built_in_and_says_processes() -> None:
    from tunecraft.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = " ".join(sub.choices["run"].format_help().split())
    for name in (*SAMPLER_NAMES, *PRUNER_NAMES):
        assert name in text, name
    assert "worker process" in text and "threads" not in text


def test_a_registered_class_must_name_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._REGISTERED, "pruner", ("tunecraft.pruners.base:BasePruner",))
    registry.entries.cache_clear()
    try:
        with pytest.raises(TypeError, match="add name = '...' to it"):
            registry.entries("pruner")
    finally:
        monkeypatch.undo()
        registry.entries.cache_clear()
