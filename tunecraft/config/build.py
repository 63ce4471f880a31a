"""Turn a RunConfig into live objects: the sampler, the pruner and the objective function.

Keyword arguments are checked against the class signature before the call, so a typo in a
config is a ConfigError at its line rather than a TypeError from deep inside a constructor.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from tunecraft.config.run import (
    PRUNER_NAMES,
    PRUNERS,
    SAMPLERS,
    PluginSpec,
    RunConfig,
    parse_plugin,
)
from tunecraft.config.source import Source, did_you_mean
from tunecraft.config.space import DeclaredSpace, parse_space, suggest_space
from tunecraft.exceptions import ConfigError
from tunecraft.pruners.base import BasePruner
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Float, grid_values


def _custom_class(spec: PluginSpec, source: Source, base: type, kind: str) -> type:
    """The class ``package.module:Class`` named by ``spec``, checked to be a subclass of
    ``base`` before anything of it is called (a config may name any importable object, such
    as ``subprocess:Popen``: it must never be instantiated)."""
    module_name, _, attr = spec.name.partition(":")
    if not module_name or not attr or not all(
            part.isidentifier() for part in (*module_name.split("."), *attr.split("."))):
        raise source.error(spec.path, f"{spec.name!r} is not a class reference; write "
                                      f"package.module:Class (a subclass of {base.__name__})")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise source.error(spec.path, f"no module named {module_name!r}") from None
        raise
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
    if not (isinstance(obj, type) and issubclass(obj, base)):
        what = (f"{module_name} has no attribute {attr!r}" if obj is None else
                f"a class that does not derive from {base.__name__}"
                if isinstance(obj, type) else f"a {type(obj).__name__}, not a class")
        raise source.error(spec.path, f"{spec.name!r} is not a tunecraft {kind} ({what}); "
                                      f"name a subclass of tunecraft.{kind}s.{base.__name__}, "
                                      f"or a built-in {kind}")
    return obj


def _construct(cls: type, kwargs: Mapping[str, Any], spec: PluginSpec, source: Source) -> Any:
    params = inspect.signature(cls).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    named = [n for n, p in params.items()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for key in kwargs:
        if key not in named and not takes_any:
            shown = [n for n in named if n != "seed"]
            raise source.error((*spec.path, key), f"{cls.__name__} has no argument {key!r}"
                                                  f"{did_you_mean(key, named)} (arguments: "
                                                  f"{', '.join(shown) or 'none'})")
    missing = [n for n in named if params[n].default is inspect.Parameter.empty
               and n not in kwargs]
    if missing:
        raise source.error(spec.path, f"{cls.__name__} needs {', '.join(map(repr, missing))}"
                                      f", e.g. {{name: {spec.name}, {missing[0]}: ...}}")
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        raise source.error(spec.path, f"{cls.__name__}: {exc}") from None


def grid_search_space(space: DeclaredSpace, source: Source) -> dict[str, list[Any]]:
    """The grid of a declared space: every parameter must be finite (no continuous floats)."""
    grid: dict[str, list[Any]] = {}
    for p in space.params:
        if isinstance(p.dim, Float) and p.dim.step is None:
            raise source.error(("space", p.name), "the grid sampler needs finite parameters; "
                                                  "give this float a step, or list values")
        grid[p.name] = list(grid_values(p.dim))
    return grid


def build_sampler(config: RunConfig) -> BaseSampler:
    """The configured sampler, seeded with ``config.seed``."""
    spec, source = config.sampler, config.sampler.source
    kwargs = dict(spec.kwargs)
    if ":" in spec.name:
        cls = _custom_class(spec, source, BaseSampler, "sampler")
    else:
        import tunecraft.samplers as samplers

        cls = getattr(samplers, SAMPLERS[spec.name])  # ImportError names what is missing
        if spec.name == "grid" and "search_space" not in kwargs:
            if config.space is None:
                raise source.error(spec.path, "the grid sampler needs a 'space' (or a "
                                              "search_space: {name: [values]} argument)")
            kwargs["search_space"] = grid_search_space(config.space, config.source)
        if spec.name == "qmc":
            raw = kwargs.get("search_space")
            if raw is not None:
                declared = parse_space(raw, source=source, path=(*spec.path, "search_space"))
                kwargs["search_space"] = declared.unconditional()
            elif config.space is not None and config.space.unconditional():
                kwargs["search_space"] = config.space.unconditional()
    if config.seed is not None and "seed" in inspect.signature(cls).parameters:
        kwargs["seed"] = config.seed
    sampler = _construct(cls, kwargs, spec, source)
    if not isinstance(sampler, BaseSampler):
        raise source.error(spec.path, f"{spec.name!r} is not a tunecraft sampler")
    return sampler


def build_pruner(config: RunConfig) -> BasePruner:
    """The configured pruner."""
    return _build_pruner(config.pruner, config.pruner.source)


def _build_pruner(spec: PluginSpec, source: Source) -> BasePruner:
    if ":" in spec.name:
        cls = _custom_class(spec, source, BasePruner, "pruner")
    else:
        import tunecraft.pruners as pruners

        cls = getattr(pruners, PRUNERS[spec.name])
    kwargs = dict(spec.kwargs)
    if isinstance(kwargs.get("wrapped"), (str, Mapping)):
        # wrappers (patient, smoothed) take a pruner: {name: patient, wrapped: median, ...}
        inner = parse_plugin(kwargs["wrapped"], (*spec.path, "wrapped"), source, "pruner",
                             PRUNER_NAMES)
        kwargs["wrapped"] = _build_pruner(inner, source)
    pruner = _construct(cls, kwargs, spec, source)
    if not isinstance(pruner, BasePruner):
        raise source.error(spec.path, f"{spec.name!r} is not a tunecraft pruner")
    return pruner


def _import_file(file: str, config: RunConfig) -> Any:
    candidates = [os.path.join(config.base_dir, file), os.path.abspath(file)]
    found = next((c for c in candidates if os.path.isfile(c)), None)
    if found is None:
        raise config.source.error(("objective",), f"no file {file!r} next to the config or "
                                                  "in the current directory")
    name = os.path.splitext(os.path.basename(found))[0]
    module_spec = importlib.util.spec_from_file_location(name, found)
    if module_spec is None or module_spec.loader is None:
        raise config.source.error(("objective",), f"cannot import {found!r} as Python")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def load_objective(config: RunConfig) -> Callable[..., Any]:
    """Import ``module:function`` (or ``file.py:function``) from the config's folder or cwd.

    Raises:
        ConfigError: the module or function does not exist. Exceptions raised while the
            module itself runs propagate unchanged (they are bugs in user code).
    """
    ref, source = config.objective, config.source
    module_name, _, attr = ref.rpartition(":")
    for folder in (os.getcwd(), config.base_dir):  # the config's folder ends up first
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)
    if module_name.endswith(".py"):
        module = _import_file(module_name, config)
    else:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name + ".").startswith(exc.name + "."):
                raise source.error(("objective",), f"no module named {exc.name!r} (looked in "
                                                   f"{config.base_dir} and the current "
                                                   "directory)") from None
            raise
    obj: Any = module
    for part in attr.split("."):
        nxt = getattr(obj, part, None)
        if nxt is None:
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise source.error(("objective",), f"{module_name} has no attribute {part!r}"
                                               f"{did_you_mean(part, names)}")
        obj = nxt
    if not callable(obj):
        raise source.error(("objective",), f"{ref!r} is not callable")
    return obj  # type: ignore[no-any-return]


def with_space(objective: Callable[..., Any], space: DeclaredSpace | None
               ) -> Callable[..., Any]:
    """Wrap ``objective`` so that the declared space is suggested before it is called."""
    if space is None:
        return objective

    def run(trial: Any) -> Any:
        suggest_space(trial, space)
        return objective(trial)

    run.__name__ = getattr(objective, "__name__", "objective")
    run.__doc__ = objective.__doc__
    return run


__all__ = ["ConfigError", "build_pruner", "build_sampler", "grid_search_space",
           "load_objective", "with_space"]
