"""The torch package's layout: no submodule shadows a name the package exports lazily."""

from __future__ import annotations

import importlib
import pkgutil

import tunecraft.torch


def test_no_submodule_is_named_like_a_lazy_export() -> None:
    """Importing ``tunecraft.torch.X`` binds ``X`` on the package, so a submodule named like an
    export (``one_cycle``, ``evaluate``...) would replace the function for every later
    ``from tunecraft.torch import X``."""
    modules = {m.name for m in pkgutil.iter_modules(tunecraft.torch.__path__)}
    assert modules & set(tunecraft.torch.__all__) == set()
    for name in sorted(modules):
        importlib.import_module(f"tunecraft.torch.{name}")
    assert callable(tunecraft.torch.one_cycle) and callable(tunecraft.torch.evaluate)
