"""Lazy package exports (PEP 562): a name is imported from its module on first access.

A package that exports names whose modules import heavy optional dependencies declares them
once, in one mapping, and derives ``__all__``, ``__getattr__`` and ``__dir__`` from it::

    _EXPORTS = LazyExports(__name__, {"MLflowCallback": "tunecraft.mlflow._callback"})
    __all__ = _EXPORTS.names
    __getattr__, __dir__ = _EXPORTS.hooks()

(mypy reads a module-level ``__getattr__`` variable as it reads a ``def``: names it does not
see are ``Any``. For precise types, a package also imports its names under
``if TYPE_CHECKING:`` as ``import X as X``; ``tests/test_lazy.py`` keeps those imports and
the mapping equal.)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


class LazyExports:
    """The lazily imported names of package ``package``: name -> module defining it."""

    def __init__(self, package: str, where: Mapping[str, str], eager: Iterable[str] = ()
                 ) -> None:
        for name, module in where.items():
            if not (name.isidentifier() and module.startswith("tunecraft.")):
                raise ValueError(f"lazy export {name!r} -> {module!r}: the name must be an "
                                 "identifier and the module a tunecraft module path")
        self.package = package
        self.where = dict(where)
        self.names = sorted({*self.where, *eager})
        """``__all__``: the lazy names plus ``eager`` (names the package imports itself)."""

    def load(self, name: str) -> Any:
        """Import ``name`` from its module, cache it on the package and return it."""
        module = self.where.get(name)
        if module is None:
            raise AttributeError(f"module {self.package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[self.package], name, value)  # next access skips __getattr__
        return value

    def dir(self) -> list[str]:
        """The package's ``__dir__``: its exported names."""
        return list(self.names)

    def hooks(self) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
        """The package's PEP 562 ``(__getattr__, __dir__)``."""
        return self.load, self.dir
