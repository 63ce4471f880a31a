"""The extras: ``[all]`` holds every integration, and the README's install list names every
extra of pyproject.toml."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info < (3, 11):
    pytest.skip("tomllib needs Python 3.11", allow_module_level=True)

import tomllib  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def extras() -> dict[str, list[str]]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        found: dict[str, list[str]] = tomllib.load(f)["project"]["optional-dependencies"]
    return found


def included(name: str, table: dict[str, list[str]]) -> set[str]:
    """The extras that ``tunecraft[name]`` installs, through nested ``tunecraft[...]``."""
    out = {name}
    for requirement in table[name]:
        match = re.fullmatch(r"tunecraft\[([\w,\-]+)\]", requirement.strip())
        if match:
            for sub in match.group(1).split(","):
                out |= included(sub, table)
    return out


def test_all_installs_every_integration() -> None:
    table = extras()
    assert {"keras", "lightning", "transformers", "mlflow", "tensorboard", "torch", "viz",
            "sklearn"} <= included("all", table)
    assert {"all", "dask", "ray"} <= included("dev", table)
    # each integration that pulls torch pins it through the torch extra
    for name in ("keras", "lightning", "transformers"):
        assert "torch" in included(name, table)


def test_the_readme_install_list_names_every_extra() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Installation", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"\[([\w\-]+(?:,[\w\-]+)*)\]", block))
    names = {n for group in named for n in group.split(",")}
    assert set(extras()) <= names, sorted(set(extras()) - names)
