"""The ``optuna`` package that ``benchmarks/optuna_suite.py`` puts first on ``sys.path``.

Aliases only: ``optuna.X.Y`` is tunecraft's module ``tunecraft.X.Y``, seen through a proxy
module whose attributes are tunecraft's. It adds no behaviour. Where tunecraft has no such
module or name, the proxy hands out a *marker* that raises when used, so that one absent name
fails only the tests that use it (not the whole file at import), and the failure says which
kind of absence it is:

- ``OptunaInternalUsed``: an Optuna private name (a ``_``-prefixed module or attribute);
- ``NotInTunecraft``: a public Optuna name tunecraft lacks (a missing API).

``optuna.testing.*`` (Optuna's own test helpers, test code shipped in the same sdist as the
tests) is loaded from the downloaded sdist, except the modules listed in ``FROM_TUNECRAFT``,
whose Optuna versions build Optuna's storage classes.

Installed by copying this file to ``<shim>/optuna/__init__.py`` with the environment variable
``TUNECRAFT_OPTUNA_TESTING`` naming the sdist's ``optuna/testing`` folder.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from collections.abc import Sequence
from typing import Any

FROM_TUNECRAFT = {"optuna.testing.storages": "tunecraft.testing.storages"}
"""Optuna test-helper modules taken from tunecraft (Optuna's build Optuna storage classes)."""


class OptunaInternalUsed(RuntimeError):
    """A test used an Optuna private name, which a drop-in need not have."""


class NotInTunecraft(RuntimeError):
    """A test used a public Optuna name that tunecraft does not have."""


def _is_private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


class Marker:
    """Stands for an absent name; any use raises the matching error naming it."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_marker_name", name)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        name = object.__getattribute__(self, "_marker_name")
        if _is_private(name):
            raise OptunaInternalUsed(f"{name} is an Optuna internal")
        raise NotInTunecraft(f"{name} is not in tunecraft")

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self._fail()

    __call__ = _fail
    __hash__ = _fail
    __eq__ = _fail
    __iter__ = _fail
    __getitem__ = _fail
    __mro_entries__ = _fail

    def __repr__(self) -> str:
        return f"<absent {object.__getattribute__(self, '_marker_name')}>"


class Alias(types.ModuleType):
    """``optuna.X`` seen as tunecraft's module ``tunecraft.X`` (or as nothing, if absent)."""

    def __init__(self, name: str, target: types.ModuleType | None) -> None:
        super().__init__(name)
        self.__dict__["_alias_target"] = target
        self.__path__: list[str] = []
        if target is not None:
            self.__doc__ = target.__doc__
            self.__dict__["__all__"] = list(getattr(target, "__all__", ()))

    def __getattr__(self, attr: str) -> Any:
        target = self.__dict__["_alias_target"]
        if attr.startswith("__"):
            if target is None:
                raise AttributeError(attr)
            return getattr(target, attr)
        if target is not None:
            try:
                value = getattr(target, attr)
            except AttributeError:
                pass
            else:
                if isinstance(value, types.ModuleType) and value.__name__.startswith("tunecraft."):
                    return importlib.import_module(f"{self.__name__}.{attr}")
                return value
            if _tunecraft_name(f"{self.__name__}.{attr}") is not None:
                return importlib.import_module(f"{self.__name__}.{attr}")
        return Marker(f"{self.__name__}.{attr}")

    def __dir__(self) -> list[str]:
        target = self.__dict__["_alias_target"]
        return sorted(set(super().__dir__()) | set(dir(target) if target else ()))


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str | None) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target) if self.target else None
        return Alias(spec.name, module)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _tunecraft_name(fullname: str) -> str | None:
    """``optuna.a.b`` -> ``tunecraft.a.b`` if tunecraft has that module, else None."""
    name = "tunecraft" + fullname[len("optuna"):]
    try:
        return name if importlib.util.find_spec(name) is not None else None
    except (ImportError, ValueError):
        return None


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, testing_dir: str) -> None:
        self.testing_dir = testing_dir

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "optuna.testing":
            init = os.path.join(self.testing_dir, "__init__.py")
            return importlib.util.spec_from_file_location(
                fullname, init, submodule_search_locations=[self.testing_dir])
        if fullname in FROM_TUNECRAFT:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(FROM_TUNECRAFT[fullname]))
        if fullname.startswith("optuna.testing."):
            file = os.path.join(self.testing_dir, *fullname.split(".")[2:]) + ".py"
            return importlib.util.spec_from_file_location(fullname, file)
        if fullname.startswith("optuna."):
            module_name = _tunecraft_name(fullname)
            parent, _, last = fullname.rpartition(".")
            if module_name is None and not isinstance(getattr(sys.modules.get(parent), last, None),
                                                 (Marker, types.ModuleType, type(None))):
                return None  # a class or function, not a module (mock.patch resolves so)
            loader = _AliasLoader(module_name)
            return importlib.machinery.ModuleSpec(fullname, loader, is_package=True)
        return None


def _install() -> None:
    sys.meta_path.insert(0, _Finder(os.environ["TUNECRAFT_OPTUNA_TESTING"]))
    shim = sys.modules[__name__]
    alias = Alias("optuna", importlib.import_module("tunecraft"))
    alias.__dict__["OptunaInternalUsed"] = OptunaInternalUsed
    alias.__dict__["NotInTunecraft"] = NotInTunecraft
    alias.__dict__["__spec__"] = shim.__spec__
    sys.modules[__name__] = alias


if __name__ == "optuna":  # only when installed as the ``optuna`` package
    _install()
