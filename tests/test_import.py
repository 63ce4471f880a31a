"""``import tunecraft`` stays light: heavy optional dependencies load only when used."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "scipy", "pandas", "sqlalchemy", "psycopg", "sklearn", "plotly", "pytest",
         "hypothesis")


def loaded_after(code: str) -> set[str]:
    """Top-level modules loaded by a fresh interpreter after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return {name.split(".")[0] for name in json.loads(out.strip().splitlines()[-1])}


def test_import_tunecraft_loads_no_heavy_dependency() -> None:
    loaded = loaded_after("import tunecraft")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert "tunecraft" in loaded and "numpy" in loaded


def test_in_memory_study_needs_no_heavy_dependency() -> None:
    loaded = loaded_after(
        "import tunecraft\n"
        "s = tunecraft.create_study(sampler=tunecraft.samplers.RandomSampler(seed=0))\n"
        "s.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3)")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_sql_storage_loads_sqlalchemy_on_use() -> None:
    loaded = loaded_after("import tunecraft, tempfile, os\n"
                          "tunecraft.create_study(storage=os.path.join(tempfile.mkdtemp(), "
                          "'a.db'), sampler=tunecraft.samplers.RandomSampler())")
    assert "sqlalchemy" in loaded and "psycopg" not in loaded


def test_public_names_resolve() -> None:
    import tunecraft
    import tunecraft.pruners
    import tunecraft.samplers
    import tunecraft.storage

    for module in (tunecraft, tunecraft.samplers, tunecraft.pruners, tunecraft.storage):
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{module.__name__}.{name}"
    assert tunecraft.__version__


def test_integration_packages_import_their_library_only_when_a_name_is_used() -> None:
    libraries = {"lightning", "transformers", "mlflow", "tensorboard", "keras", "cloudpickle"}
    loaded = loaded_after("import tunecraft.lightning, tunecraft.transformers, "
                          "tunecraft.mlflow, tunecraft.tensorboard, tunecraft.keras")
    assert loaded.isdisjoint(HEAVY) and loaded.isdisjoint(libraries), sorted(
        loaded & (set(HEAVY) | libraries))


def test_missing_extra_names_the_install_command() -> None:
    from tunecraft._imports import require

    with pytest.raises(ImportError, match=r"pip install 'tunecraft\[qmc\]'"):
        require("scipy_surely_not_installed.stats", "qmc")
    with pytest.raises(ImportError, match=r"pip install 'tunecraft\[postgres\]'"):
        require("psycopg.surely_not_a_module")
    assert require("json").dumps([1]) == "[1]"
