"""Studies that carry their own run config, so that workers anywhere can join them.

``tunecraft run`` stores the effective run config (objective, space, sampler, pruner, total)
as a study attribute; ``study.optimize`` stores the objective's ``module:function`` when it
is importable. ``tunecraft worker --storage URL --study NAME --objective MODULE:FUNCTION``
rebuilds the rest from there. What the database says is data, never code: the objective and
any sampler or pruner class outside tunecraft must be named on the worker's command line
(see docs/security.md), so that whoever can write the database cannot run code on workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tunecraft.execution.driver import OBJECTIVE_ATTR

if TYPE_CHECKING:
    from tunecraft.config import RunConfig
    from tunecraft.storage.base import Storage

RUN_CONFIG_ATTR = "tunecraft:run_config"
"""Study attribute holding ``{"config": <run config mapping>, "path": <its file>}``."""


class ConfiguredObjective:
    """The objective of a run config (with its declared space suggested first), rebuilt by
    import in whichever process calls it; pickles as the config, never as code."""

    def __init__(self, data: Mapping[str, Any], path: str | None,
                 loaded: Callable[..., Any] | None = None) -> None:
        self.data = dict(data)
        self.path = path
        self._fn = loaded

    def load(self) -> Callable[..., Any]:
        """The objective function, imported on first use (call it early to report a missing
        module before any trial starts)."""
        if self._fn is None:
            from tunecraft.config import parse_run_config
            from tunecraft.config.build import load_objective, with_space

            config = parse_run_config(self.data, path=self.path)
            self._fn = with_space(load_objective(config), config.space)
        return self._fn

    def __call__(self, trial: Any) -> Any:
        return self.load()(trial)

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self.data, "path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["data"], state["path"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"ConfiguredObjective({self.data.get('objective')!r})"


def effective_config(data: Mapping[str, Any], config: RunConfig) -> dict[str, Any]:
    """The config mapping with command-line overrides folded in (what actually runs)."""
    out = dict(data)
    for key in ("study", "n_trials", "timeout", "seed", "n_jobs"):
        value = getattr(config, key)
        if value is not None:
            out[key] = value
    out.pop("storage", None)  # a worker is told where the storage is
    for key, spec in (("sampler", config.sampler), ("pruner", config.pruner)):
        out[key] = {"name": spec.name, **spec.kwargs}
    return out


def store_run_config(storage: Storage, study: str, data: Mapping[str, Any],
                     path: str | None) -> bool:
    """Keep the run config with the study (the latest run's wins); False if it holds values
    that cannot be stored as JSON (then workers need ``--objective``)."""
    try:
        storage.set_study_attr(study, RUN_CONFIG_ATTR, {"config": dict(data), "path": path})
    except TypeError:
        return False
    return True


def stored_config(storage: Storage, study: str) -> tuple[dict[str, Any], str | None]:
    """The run config a worker should follow: the stored one, else one naming the stored
    objective, else ``{}``. Returns (config mapping, path of its file)."""
    attrs = storage.study_attrs(study)
    stored = attrs.get(RUN_CONFIG_ATTR)
    if isinstance(stored, Mapping) and isinstance(stored.get("config"), Mapping):
        path = stored.get("path")
        return dict(stored["config"]), path if isinstance(path, str) else None
    ref = attrs.get(OBJECTIVE_ATTR)
    return ({"objective": ref} if isinstance(ref, str) else {}), None


def code_references(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The sampler and pruner classes outside tunecraft (``package.module:Class``) that a run
    config names, as (key, reference) pairs; wrapped pruners included."""
    found: list[tuple[str, str]] = []

    def visit(key: str, spec: Any) -> None:
        name = spec.get("name") if isinstance(spec, Mapping) else spec
        if isinstance(name, str) and ":" in name:
            found.append((key, name))
        if isinstance(spec, Mapping) and "wrapped" in spec:
            visit(f"{key}.wrapped", spec["wrapped"])

    for key in ("sampler", "pruner"):
        if key in data:
            visit(key, data[key])
    return found
