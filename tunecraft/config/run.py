"""The run configuration of ``tunecraft run``: objective, space, sampler, pruner, storage, budget.

A run config is a YAML mapping (see docs/cli.md)::

    objective: quadratic:objective       # module:function, imported next to this file
    study: quadratic                     # default: the file name without .yaml
    storage: tunecraft.db                # path or URL; default tunecraft.db
    direction: minimize                  # or directions: [minimize, maximize]
    n_trials: 20                         # the study's total of finished trials
    timeout: 600                         # seconds, per invocation
    seed: 0
    sampler: {name: tpe, n_startup_trials: 5}
    pruner: median                       # a built-in name (docs/plugins.md) + keyword arguments
    space: {x: {type: float, low: -10, high: 10}}
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tunecraft import registry
from tunecraft.config import checks
from tunecraft.config.source import KeyPath, Source, check_keys, did_you_mean, load_yaml
from tunecraft.config.space import DeclaredSpace, parse_space
from tunecraft.direction import StudyDirection
from tunecraft.execution.executors import N_JOBS

KEYS = ("objective", "study", "storage", "direction", "directions", "n_trials", "timeout",
        "seed", "n_jobs", "sampler", "pruner", "space")
# YAML name (or alias) -> class in tunecraft.samplers / tunecraft.pruners, from the registry
SAMPLERS = registry.class_names("sampler")
PRUNERS = registry.class_names("pruner")
SAMPLER_NAMES = registry.names("sampler")
PRUNER_NAMES = registry.names("pruner")


@dataclass(frozen=True)
class PluginSpec:
    """A sampler or pruner by name (a built-in, or ``package.module:Class``) and its kwargs."""

    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    path: KeyPath = ()
    source: Source = field(default_factory=Source)


@dataclass(frozen=True)
class RunConfig:
    """A validated run configuration. ``source`` lets later errors cite file:line."""

    objective: str
    space: DeclaredSpace | None = None
    sampler: PluginSpec = PluginSpec("auto", {}, ("sampler",))
    pruner: PluginSpec = PluginSpec("median", {}, ("pruner",))
    storage: str | None = None
    study: str | None = None
    directions: tuple[StudyDirection, ...] = (StudyDirection.MINIMIZE,)
    n_trials: int | None = None
    timeout: float | None = None
    seed: int | None = None
    n_jobs: int = 1
    path: str | None = None
    source: Source = field(default_factory=Source)

    @property
    def base_dir(self) -> str:
        """The folder of the config file (the objective is imported from there first)."""
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (command-line overrides)."""
        return dataclasses.replace(self, **changes)


def parse_plugin(raw: Any, path: KeyPath, source: Source, kind: str,
                 builtins: tuple[str, ...]) -> PluginSpec:
    """``tpe`` or ``{name: tpe, n_startup_trials: 5}`` -> PluginSpec, with name checks."""
    if isinstance(raw, str):
        name, kwargs, name_path = raw, {}, path
    elif isinstance(raw, Mapping):
        if "name" not in raw:
            raise source.error(path, f"needs 'name' (one of {', '.join(builtins)}), e.g. "
                                     f"{{name: {builtins[0]}}}")
        name, name_path = raw["name"], (*path, "name")
        kwargs = {k: v for k, v in raw.items() if k != "name"}
        for key in kwargs:
            if not isinstance(key, str) or not key.isidentifier():
                raise source.error((*path, key), f"{kind} arguments must be names, got {key!r}")
    else:
        raise source.error(path, f"must be a {kind} name ({', '.join(builtins)}) or a mapping "
                                 f"{{name: ..., <argument>: ...}}, got {raw!r}")
    if not isinstance(name, str) or not name:
        raise source.error(name_path, f"must be a {kind} name, got {name!r}")
    key = name.strip().lower()
    if ":" not in name and key not in builtins and key not in {**SAMPLERS, **PRUNERS}:
        raise source.error(name_path, f"unknown {kind} {name!r}{did_you_mean(key, builtins)} "
                                      f"(built-in: {', '.join(builtins)}; or "
                                      "package.module:Class)")
    if "seed" in kwargs:
        raise source.error((*path, "seed"), "give the seed once, as the top-level 'seed' key "
                                            "(or --seed)")
    return PluginSpec(name if ":" in name else key, kwargs, path, source)


def _directions(data: Mapping[str, Any], source: Source) -> tuple[StudyDirection, ...]:
    if "direction" in data and "directions" in data:
        raise source.error(("directions",), "give either 'direction' or 'directions', not both")
    if "directions" in data:
        raw = data["directions"]
        if not isinstance(raw, list) or not raw:
            raise source.error(("directions",), "must be a non-empty list such as "
                                                f"[minimize, maximize], got {raw!r}")
        items: list[tuple[KeyPath, Any]] = [(("directions", i), d) for i, d in enumerate(raw)]
    else:
        items = [(("direction",), data.get("direction", "minimize"))]
    out = []
    for path, d in items:
        try:
            out.append(StudyDirection.parse(d))
        except ValueError:
            raise source.error(path, f"must be minimize or maximize, got {d!r}"
                                     f"{did_you_mean(d, ('minimize', 'maximize'))}") from None
    return tuple(out)


def _storage(raw: Any, source: Source) -> str:
    """The ``storage`` key, checked here so that a bad URL is reported at its line."""
    from tunecraft.storage import normalize_url

    text = checks.string(raw, ("storage",), source)
    try:
        normalize_url(text)
    except ValueError as exc:
        raise source.error(("storage",), str(exc)) from None
    return text


def _study(raw: Any, source: Source, default: str | None) -> str | None:
    """The ``study`` key (default: the config file's name), a valid study name."""
    from tunecraft._names import check_study_name

    name = default if raw is None else checks.string(raw, ("study",), source)
    if name is None:
        return None
    try:
        return check_study_name(name)
    except ValueError as exc:
        fix = "" if raw is not None else "; set a 'study' key"
        raise source.error(("study",), f"{exc}{fix}") from None


def parse_run_config(data: Any, source: Source | None = None, *, path: str | None = None
                     ) -> RunConfig:
    """Validate a run config mapping (from YAML or Python) into a RunConfig.

    Raises:
        ConfigError: naming file:line and key of the first problem.
    """
    src = source or Source()
    data = checks.mapping(data, (), src, "{objective: 'module:function', n_trials: 20}")
    check_keys(data, KEYS, (), src, "the run config")
    if "objective" not in data:
        raise src.error((), "missing 'objective': the function to tune, as module:function "
                            "(e.g. objective: train:objective)")
    objective = checks.string(data["objective"], ("objective",), src)
    if ":" not in objective:
        raise src.error(("objective",), f"must be module:function (or file.py:function), "
                                        f"got {objective!r}")
    n_jobs = checks.constrained(checks.integer(data.get("n_jobs", 1), ("n_jobs",), src),
                                ("n_jobs",), src, *N_JOBS)
    seed = data.get("seed")
    study = data.get("study")
    storage = data.get("storage")
    space = data.get("space")
    default_study = os.path.splitext(os.path.basename(path))[0] if path else None
    return RunConfig(
        objective=objective,
        space=None if space is None else parse_space(space, source=src, path=("space",)),
        sampler=parse_plugin(data.get("sampler", "auto"), ("sampler",), src, "sampler",
                             SAMPLER_NAMES),
        pruner=parse_plugin(data.get("pruner", "median"), ("pruner",), src, "pruner",
                            PRUNER_NAMES),
        storage=None if storage is None else _storage(storage, src),
        study=_study(study, src, default_study),
        directions=_directions(data, src),
        n_trials=checks.optional_positive_int(data.get("n_trials"), ("n_trials",), src),
        timeout=checks.optional_positive_number(data.get("timeout"), ("timeout",), src),
        seed=None if seed is None else checks.integer(seed, ("seed",), src),
        n_jobs=n_jobs,
        path=path,
        source=src,
    )


def load_run_config(path: str | os.PathLike[str]) -> RunConfig:
    """Read and validate a run config YAML file; errors cite ``file:line: key``."""
    data, source = load_yaml(path)
    return parse_run_config(data, source, path=os.fspath(path))
