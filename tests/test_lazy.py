"""LazyExports: the one PEP 562 loader behind the integration packages' ``__init__``s."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import tunecraft
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


LAZY_PACKAGES = ["tunecraft.mlflow", "tunecraft.tensorboard", "tunecraft.transformers",
                 "tunecraft.sklearn", "tunecraft.lightning", "tunecraft.keras",
                 "tunecraft.execution", "tunecraft.torch", "tunecraft.viz"]


def test_every_hand_written_loader_is_gone() -> None:
    """A package ``__init__`` that loads names lazily does it through LazyExports (the root
    package's lazy submodules and two one-name compatibility shims aside)."""
    root = Path(tunecraft.__file__).parent
    own = {"tunecraft", "tunecraft.storage", "tunecraft.storages"}
    for init in sorted(root.rglob("__init__.py")):
        package = ".".join(init.parent.relative_to(root.parent).parts)
        tree = ast.parse(init.read_text())
        defs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        if "__getattr__" in defs and package not in own:
            pytest.fail(f"{package} writes its own __getattr__; use tunecraft._lazy")
        if "LazyExports" in init.read_text():
            assert package in LAZY_PACKAGES, f"add {package} to LAZY_PACKAGES"


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_type_checking_imports_match_the_lazy_names(package: str) -> None:
    """The ``if TYPE_CHECKING:`` imports (what mypy sees) name the same objects, from the same
    modules, as the lazy mapping (what runs)."""
    module = importlib.import_module(package)
    tree = ast.parse(Path(module.__file__ or "").read_text())
    seen: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module, ast.dump(imp)
                for alias in imp.names:
                    assert alias.asname in (None, alias.name)
                    seen[alias.name] = imp.module
    if seen or package == "tunecraft.torch":
        assert seen == module._EXPORTS.where


@pytest.mark.parametrize("package", LAZY_PACKAGES)
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
