"""Lazy imports of optional dependencies, with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

# module name -> the extra of tunecraft that installs it
_EXTRA_FOR = {
    "scipy": "qmc",
    "psycopg": "postgres",
    "pandas": "pandas",
    "torch": "torch",
    "sklearn": "sklearn",
    "cmaes": "cmaes",
}


def require(module: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise ImportError saying which ``pip install`` fixes it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        name = extra or _EXTRA_FOR.get(top, top)
        raise ImportError(
            f"{module!r} is needed for this feature but is not installed. "
            f"Install it with: pip install 'tunecraft[{name}]'"
        ) from exc
