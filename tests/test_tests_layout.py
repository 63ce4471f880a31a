"""The test folders mirror the package: a test of ``tunecraft.<package>`` lives in
``tests/<package>/``, so a newcomer finds a module's tests where the module is.

``tests/`` itself holds the tests of root-level modules (``trial.py``, ``space.py``, ...) and of
the project as a whole (architecture, README, docs, extras); ``tests/browser/`` the pages in a
real browser and ``tests/benchmarks/`` the benchmark smoke runs. Files starting with ``_`` are
shared helpers. Basenames are unique: pytest imports test files by basename (no
``__init__.py``), and two workers must never import two files under one name.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "tunecraft"
NOT_PACKAGES = {"browser", "benchmarks", "assets"}
"""Test folders that are not named after a package: pages in a browser, benchmark smoke runs,
stored study files."""


def subpackages() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def test_every_test_folder_is_named_after_a_package() -> None:
    folders = {p.name for p in TESTS.iterdir()
               if p.is_dir() and not p.name.startswith((".", "_"))}
    strays = sorted(folders - subpackages() - NOT_PACKAGES)
    assert not strays, (f"tests/{strays[0]}/ is named after no package of tunecraft: put its "
                        "tests in the folder of the package they test (tests/<package>/)")


def test_no_package_test_lies_at_the_top() -> None:
    """``tests/test_keras.py`` belongs in ``tests/keras/``: a top-level test named after a
    subpackage is in the wrong place."""
    packages = subpackages()
    misplaced = sorted(p.name for p in TESTS.glob("test_*.py")
                       if p.stem.removeprefix("test_").split("_")[0] in packages)
    assert not misplaced, (f"{misplaced}: these test a subpackage; move each into "
                           "tests/<package>/")


def test_test_basenames_are_unique() -> None:
    counts = Counter(p.name for p in TESTS.rglob("test_*.py"))
    clashes = sorted(name for name, n in counts.items() if n > 1)
    assert not clashes, (f"{clashes}: pytest imports test files by basename; rename one of "
                         "each pair (e.g. prefix it with its package)")
