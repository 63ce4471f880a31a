"""LazyExports: the one PEP 562 loader behind the integration packages' ``__init__``s."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from tunecraft._lazy import LazyExports


def test_all_is_derived_and_names_load_on_first_access() -> None:
    exports = LazyExports("tunecraft", {"History": "tunecraft.history"}, eager=["Trial"])
    assert exports.names == ["History", "Trial"]
    from tunecraft.history import History

    assert exports.load("History") is History
    with pytest.raises(AttributeError, match="module 'tunecraft' has no attribute 'Nope'"):
        exports.load("Nope")


@pytest.mark.parametrize("where", [{"not a name": "tunecraft.x"}, {"X": "numpy"}])
def test_declarations_are_checked(where: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="lazy export"):
        LazyExports("tunecraft.x", where)


@pytest.mark.parametrize("package", ["tunecraft.mlflow", "tunecraft.tensorboard",
                                     "tunecraft.transformers", "tunecraft.sklearn",
                                     "tunecraft.lightning", "tunecraft.keras"])
def test_integration_packages_export_through_it(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__ == sorted(module.__all__) and dir(module) == module.__all__
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'nope'"):
        module.nope  # noqa: B018


def test_a_loaded_name_is_cached_on_the_package() -> None:
    code = ("import tunecraft.sklearn as s; c = s.TuneSearchCV; "
            "assert s.__dict__['TuneSearchCV'] is c; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "ok"
