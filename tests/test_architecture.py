"""The shape of the package: import cycles, module sizes, private names across packages.

Targets (issue #13): no import cycle among tunecraft's modules (imports under ``if
TYPE_CHECKING:`` aside; imports inside functions count, they run too), every module at most
400 lines, and no private module or name of one package imported by another (root-level
helpers such as ``tunecraft._imports`` aside; type-checking imports count here). All three
are met, and no module reads another package's private attribute (``trial._x``: the study
drives a Trial through ``trial.control``) beyond the storage contract's backend hooks; the
allow-lists below stay (empty but that one) for a step that must pass through a cycle, a long
module or a private import for a while: the tests fail on any new one, and on an allow-list
entry that is no longer needed, so the lists can only shrink. The counts are printed with
``pytest -s``.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400

ALLOWED_CYCLES: list[frozenset[str]] = []
"""Today's strongly connected components of the import graph (each may only lose members)."""

ALLOWED_LONG_MODULES: set[str] = set()
"""Modules over MAX_LINES lines today."""

ALLOWED_PRIVATE_IMPORTS: set[tuple[str, str]] = set()
"""(importing module, private target) pairs that cross a package boundary today."""

ALLOWED_PRIVATE_ATTRIBUTES: set[tuple[str, str]] = {
    # The storage contract calls the backend hooks a storage implements (``_read``,
    # ``_create_trials``, ``_mark_stale``: the Storage base class's protected interface).
    ("tunecraft.testing._storage_leases", "storage._mark_stale"),
    ("tunecraft.testing._storage_leases", "storage._create_trials"),
    ("tunecraft.testing._storage_log", "storage._read"),
}
"""(module, ``expression._attribute``) pairs that read another package's private attribute."""


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted((ROOT / "tunecraft").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node`` that runs (``if TYPE_CHECKING:`` bodies skipped)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        elif isinstance(child, ast.If) and _type_checking(child.test):
            for stmt in child.orelse:
                yield from _import_nodes(ast.Module(body=[stmt], type_ignores=[]))
        else:
            yield from _import_nodes(child)


def imported_modules(name: str, path: Path, modules: set[str]) -> set[str]:
    """The tunecraft modules that module ``name`` imports (a name imported from a package
    counts as its submodule when there is one, else as the package)."""

    def resolve(dotted: str) -> str:
        while dotted not in modules and "." in dotted:
            dotted = dotted.rsplit(".", 1)[0]
        return dotted

    out: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {resolve(a.name) for a in node.names if a.name.split(".")[0] == "tunecraft"}
            continue
        base = node.module or ""
        if node.level:
            package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, *([node.module] if node.module else [])])
        if base.split(".")[0] != "tunecraft":
            continue
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            out.add(sub if sub in modules else resolve(base))
    out.discard(name)
    return out


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Module -> the tunecraft modules it imports."""
    files = module_files()
    return {name: imported_modules(name, path, set(files)) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = set()
                while True:
                    u = stack.pop()
                    on_stack.discard(u)
                    component.add(u)
                    if u == v:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert cycles(graph) == [frozenset("abc")]
    assert cycles({"x": {"y"}, "y": set()}) == []


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    mod = tmp_path / "m.py"
    mod.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                   "    from tunecraft.study import study\nelse:\n    import tunecraft.trial\n"
                   "def f():\n    from tunecraft.history import History\n")
    found = imported_modules("tunecraft.m", mod, {"tunecraft.study.study", "tunecraft.trial",
                                                  "tunecraft.history", "tunecraft.study"})
    assert found == {"tunecraft.trial", "tunecraft.history"}


def test_no_new_import_cycle() -> None:
    found = cycles(import_graph())
    print(f"\nimport cycles: {len(found)}, modules in them: {sum(map(len, found))}")
    new = [sorted(c) for c in found if not any(c <= allowed for allowed in ALLOWED_CYCLES)]
    assert not new, ("new import cycle(s) among tunecraft's modules; break them (move the "
                     "shared piece to a lower module, or import under TYPE_CHECKING for "
                     f"annotations): {new}")
    gone = [sorted(a) for a in ALLOWED_CYCLES if not any(c <= a for c in found)]
    assert not gone, f"these cycles are gone: remove them from ALLOWED_CYCLES: {gone}"


def test_no_new_long_module() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in module_files().items()}
    long = {name for name, n in sizes.items() if n > MAX_LINES}
    print(f"\nmodules over {MAX_LINES} lines: {len(long)} "
          f"({', '.join(f'{m} {sizes[m]}' for m in sorted(long))})")
    assert long <= ALLOWED_LONG_MODULES, (
        f"split these modules (one concept per module, at most {MAX_LINES} lines): "
        f"{sorted(long - ALLOWED_LONG_MODULES)}")
    assert ALLOWED_LONG_MODULES <= long, (
        "these modules are short now: remove them from ALLOWED_LONG_MODULES: "
        f"{sorted(ALLOWED_LONG_MODULES - long)}")


def test_samplers_trials_and_storage_do_not_import_pruners() -> None:
    """The record schema (budgets, lineage, resume) lives in tunecraft.system_attrs and the
    Decision in tunecraft.decision, so data flows one way: nothing upstream of the pruner
    imports the pruners package."""
    graph = import_graph()
    upstream = [m for m in graph if m == "tunecraft.trial" or m.startswith(
        ("tunecraft.samplers", "tunecraft.storage", "tunecraft.system_attrs",
         "tunecraft.decision", "tunecraft.record", "tunecraft.history"))]
    offenders = {m: sorted(d for d in graph[m] if d.startswith("tunecraft.pruners"))
                 for m in upstream}
    assert not {m: d for m, d in offenders.items() if d}


def test_execution_and_trials_reach_the_study_only_through_its_lifecycle() -> None:
    """The optimize loop, the driver and the workers drive a Study through reserve / begin /
    tell and import no study module at run time (the driver hands the study's class to its
    workers), and neither the Trial nor its context imports one: the study imports them,
    never the other way round. Storage capabilities are attributes (``Storage.shared``), so
    no module outside the storage package names InMemoryStorage to decide what it may do."""
    graph = import_graph()
    below_study = [m for m in graph if m.startswith("tunecraft.execution")
                   or m in ("tunecraft.trial", "tunecraft.trial_context")]
    offenders = {m: sorted(d for d in graph[m] if d.startswith("tunecraft.study"))
                 for m in below_study}
    assert not {m: d for m, d in offenders.items() if d}
    typed = []
    for name, path in module_files().items():
        if name.startswith(("tunecraft.storage", "tunecraft.testing")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "isinstance" and len(node.args) == 2
                    and "InMemoryStorage" in ast.unparse(node.args[1])):
                typed.append(name)
    assert not typed, f"ask the storage (storage.shared), not its type: {sorted(set(typed))}"


def _package(module: str) -> str:
    """The unit that owns ``module``'s private names: ``tunecraft.<pkg>`` for a subpackage's
    modules, the module itself for a root-level module such as ``tunecraft.trial``."""
    return ".".join(module.split(".")[:2])


def private_imports(name: str, path: Path) -> set[tuple[str, str]]:
    """The private modules and names of other packages that module ``name`` imports, as
    (name, ``target``) pairs; ``target`` is the dotted module or ``module:name`` imported.

    A target is private when a part below its package starts with ``_`` (dunders aside);
    root-level helpers (``tunecraft._imports``, ``tunecraft._validation``...) are shared by
    design. Every form counts: ``from tunecraft.x._y import z``, ``from tunecraft.x import
    _y``, ``import tunecraft.x._y``, relative imports, and imports under TYPE_CHECKING.
    """
    own = _package(name)
    is_package = path.name == "__init__.py"

    def private(dotted: str) -> bool:
        parts = dotted.split(".")
        if parts[0] != "tunecraft" or len(parts) < 2 or _package(dotted) == own:
            return False
        if parts[1].startswith("_"):  # a root-level helper module or package
            return False
        return any(p.startswith("_") and not p.startswith("__") for p in parts[2:])

    found: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {(name, a.name) for a in node.names if private(a.name)}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            if private(base):
                found.add((name, base))
                continue
            for alias in node.names:
                if private(f"{base}.{alias.name}"):
                    found.add((name, f"{base}:{alias.name}"))
    return found


def test_the_private_import_finder_sees_every_form(tmp_path: Path) -> None:
    mod = tmp_path / "m.py"
    mod.write_text(
        "from typing import TYPE_CHECKING\n"
        "import tunecraft.torch._data\n"
        "from tunecraft.analysis._data import design\n"
        "from tunecraft.torch import _restore, fit\n"
        "from tunecraft.trial import _scalar, __all__\n"
        "from tunecraft._imports import require\n"
        "from tunecraft.cli._common import console\n"
        "from ..._lazy import lazy\n"
        "from .._common import console as c\n"
        "from ...study import _add\n"
        "if TYPE_CHECKING:\n"
        "    from tunecraft.storage.base import _created\n"
        "def f():\n"
        "    from tunecraft.samplers._optuna_protocol import history_of\n")
    found = {t for _, t in private_imports("tunecraft.cli.commands.m", mod)}
    assert found == {"tunecraft.torch._data", "tunecraft.analysis._data",
                     "tunecraft.torch:_restore", "tunecraft.trial:_scalar",
                     "tunecraft.study:_add", "tunecraft.storage.base:_created",
                     "tunecraft.samplers._optuna_protocol"}


def test_no_new_private_import_across_packages() -> None:
    """A package's private modules and names (``_``) are its own: another package that needs
    one needs a public name for it (in the owning package, documented) or a root-level
    helper (``tunecraft/_x.py``) when the piece is truly shared."""
    files = module_files()
    found = set().union(*(private_imports(n, p) for n, p in files.items()))
    print(f"\ncross-package private imports: {len(found)}")
    new = sorted(found - ALLOWED_PRIVATE_IMPORTS)
    assert not new, ("these modules import another package's private module or name; give "
                     "it a public name in its own package, or move a truly shared piece to "
                     f"a root-level helper (tunecraft/_x.py): {new}")
    gone = sorted(ALLOWED_PRIVATE_IMPORTS - found)
    assert not gone, f"these imports are gone: remove them from ALLOWED_PRIVATE_IMPORTS: {gone}"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_attribute_owners(files: dict[str, Path]) -> dict[str, set[str]]:
    """Private attribute name -> the packages whose classes define it (a method, a class
    attribute or an assignment to ``self._x``)."""
    owners: dict[str, set[str]] = {}
    for name, path in files.items():
        for cls in ast.walk(ast.parse(path.read_text())):
            if not isinstance(cls, ast.ClassDef):
                continue
            for node in ast.walk(cls):
                found: list[str] = []
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.append(node.name)
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                    found.append(node.attr)
                elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    found.append(node.target.id)
                for attr in filter(_private, found):
                    owners.setdefault(attr, set()).add(_package(name))
    return owners


def private_attribute_reads(name: str, path: Path, owners: dict[str, set[str]]
                            ) -> set[tuple[str, str]]:
    """``x._attr`` in module ``name`` where only other packages' classes define ``_attr``
    (``self``, ``cls`` and ``super()`` aside). By name, not by type: a private name that the
    module's own package also defines is not counted."""
    own = _package(name)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Attribute) and _private(node.attr)):
            continue
        value = node.value
        if (isinstance(value, ast.Name) and value.id in ("self", "cls")) or (
                isinstance(value, ast.Call) and ast.unparse(value.func) == "super"):
            continue
        defined_by = owners.get(node.attr, set())
        if defined_by and own not in defined_by:
            found.add((name, ast.unparse(node)))
    return found


def test_the_private_attribute_finder_sees_a_trials_private_names(tmp_path: Path) -> None:
    trial = tmp_path / "trial.py"
    trial.write_text("class Trial:\n    def __init__(self):\n        self._ctx = 1\n"
                     "    def _suggest(self): return self._ctx\n")
    user = tmp_path / "loop.py"
    user.write_text("def run(trial, study):\n    trial._suggest()\n    study._other\n"
                    "    return trial._ctx, super().__init__\n")
    files = {"tunecraft.trial": trial, "tunecraft.study.loop": user}
    owners = private_attribute_owners(files)
    assert private_attribute_reads("tunecraft.study.loop", user, owners) == {
        ("tunecraft.study.loop", "trial._suggest"), ("tunecraft.study.loop", "trial._ctx")}
    assert private_attribute_reads("tunecraft.trial", trial, owners) == set()


def test_no_new_private_attribute_read_across_packages() -> None:
    """A class's private attributes are its package's own: the study, the executors and the
    integrations drive a Trial through ``trial.control`` (tunecraft.trial_context), never
    through ``trial._x``."""
    files = module_files()
    owners = private_attribute_owners(files)
    found = set().union(*(private_attribute_reads(n, p, owners) for n, p in files.items()))
    print(f"\ncross-package private attribute reads: {len(found)}")
    new = sorted(found - ALLOWED_PRIVATE_ATTRIBUTES)
    assert not new, ("these modules read another package's private attribute; give it a "
                     f"public (or documented internal) name in its own package: {new}")
    gone = sorted(ALLOWED_PRIVATE_ATTRIBUTES - found)
    assert not gone, f"these reads are gone: remove them from ALLOWED_PRIVATE_ATTRIBUTES: {gone}"

