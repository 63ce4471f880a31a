"""``tunecraft run CONFIG.yaml``: run (or continue) the study a YAML config describes.

``n_trials`` is the study's total: ``run`` counts the trials already finished (COMPLETE or
PRUNED) and runs only the rest, so re-running the same command after a crash or Ctrl-C
continues the study instead of starting over; a finished study runs nothing. FAIL trials do
not count, so they are retried. Several ``run`` processes on one storage share the total.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any

from tunecraft import registry
from tunecraft._names import check_study_name, visible
from tunecraft.cli._common import (
    UsageError,
    add_storage_option,
    check_flag,
    console,
    count_arg,
    open_storage,
    seconds_arg,
    storage_url,
)

if TYPE_CHECKING:
    from tunecraft.config import PluginSpec, RunConfig
    from tunecraft.history import History


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "run", help="run or continue the study described by a YAML config",
        description="Run the study described by CONFIG.yaml until it has n_trials finished "
                    "(COMPLETE or PRUNED) trials in total; running it again continues the "
                    "same study. Flags override the config.")
    p.add_argument("config", metavar="CONFIG.yaml", help="the run config (see docs/cli.md)")
    add_storage_option(p)
    p.add_argument("--study", metavar="NAME", help="study name (default: config 'study', "
                                                   "else the config file name)")
    p.add_argument("--n-trials", type=count_arg, metavar="N",
                   help="total number of finished trials the study should reach")
    p.add_argument("--timeout", type=seconds_arg, metavar="SECONDS",
                   help="stop starting trials after this many seconds (this invocation)")
    p.add_argument("--seed", type=int, help="sampler seed")
    p.add_argument("--sampler", metavar="SPEC",
                   help=registry.help_text("sampler", "{name: tpe, n_startup_trials: 5}"))
    p.add_argument("--pruner", metavar="SPEC",
                   help=registry.help_text("pruner", "{name: median, n_warmup_steps: 2}"))
    p.add_argument("--n-jobs", type=int, metavar="N",
                   help="trials to run at once, each in its own worker process sharing the "
                        "study's storage (-1: one per CPU core; default 1: in this process)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (it is off anyway when stdout is not a terminal, unless "
                        "TUNECRAFT_PROGRESS=1)")
    p.add_argument("--fail-fast", action="store_true",
                   help="stop at the first error in the objective (as study.optimize does "
                        "by default); without it a failed trial is recorded as FAIL with its "
                        "traceback and the run goes on")
    p.set_defaults(handler=handle)


def _override_plugin(current: PluginSpec, flag: str, raw: str, kind: str,
                     names: tuple[str, ...]) -> PluginSpec:
    from tunecraft.config import PluginSpec, loads_yaml
    from tunecraft.config.run import parse_plugin
    from tunecraft.config.source import Source

    value, _ = loads_yaml(raw, flag)
    spec = parse_plugin(value, (flag,), Source(), kind, names)
    if spec.name == current.name:  # same plugin: flag arguments on top of the config's
        return PluginSpec(spec.name, {**current.kwargs, **spec.kwargs}, spec.path, spec.source)
    return spec


def apply_flags(config: RunConfig, args: argparse.Namespace) -> RunConfig:
    """The config with the command-line overrides applied."""
    from tunecraft.config.run import PRUNER_NAMES, SAMPLER_NAMES
    from tunecraft.execution.executors import N_JOBS

    changes: dict[str, Any] = {}
    for flag, field in (("study", "study"), ("n_trials", "n_trials"), ("timeout", "timeout"),
                        ("seed", "seed"), ("n_jobs", "n_jobs")):
        value = getattr(args, flag)
        if value is not None:
            changes[field] = value
    if args.n_jobs is not None:
        check_flag("run", "--n-jobs", args.n_jobs, *N_JOBS)
    if args.sampler is not None:
        changes["sampler"] = _override_plugin(config.sampler, "--sampler", args.sampler,
                                              "sampler", SAMPLER_NAMES)
    if args.pruner is not None:
        changes["pruner"] = _override_plugin(config.pruner, "--pruner", args.pruner, "pruner",
                                             PRUNER_NAMES)
    if args.study is not None:
        try:
            check_study_name(args.study)
        except ValueError as exc:
            raise UsageError(f"tunecraft run: error: --study: {exc}") from None
    return config.replace(**changes)


def _space_key(config: RunConfig, name: str) -> tuple[str, ...]:
    """The key path of parameter ``name`` in the config's space (groups included)."""
    for path in config.source.lines:
        if (len(path) >= 2 and path[0] == "space" and path[-1] == name
                and (len(path) == 2 or path[-2] == "space")):
            return tuple(str(p) for p in path)
    return ("space",)


def check_stored_space(config: RunConfig, history: History, url: str) -> None:
    """Refuse, before the first trial, a declared space that contradicts the distributions
    the study has already recorded: every trial would fail with IncompatibleSpace."""
    if config.space is None:
        return
    stored = history.param_distributions()
    for name, dim in config.space.dims.items():
        known = stored.get(name)
        if known is not None and known != dim:
            raise config.source.error(
                _space_key(config, name),
                f"parameter {name!r} is {known} in study {config.study!r} in {visible(url)}, "
                f"but this config declares {dim}; a study keeps one distribution per "
                "parameter: rename the parameter, or start a new study (--study NEW_NAME)")


def handle(args: argparse.Namespace) -> int:
    from tunecraft.config import load_run_config
    from tunecraft.config.build import build_pruner, build_sampler, load_objective, with_space
    from tunecraft.record import TrialState
    from tunecraft.study import MaxTrialsCallback, create_study
    from tunecraft.study.callbacks import count_trials

    from .best import render_best

    config = apply_flags(load_run_config(args.config), args)
    if config.n_trials is None and config.timeout is None:
        raise config.source.error((), "set n_trials or timeout (in the config, or with "
                                      "--n-trials / --timeout)")
    try:
        objective = load_objective(config)
    except Exception as exc:
        from tunecraft.exceptions import ConfigError

        if isinstance(exc, ConfigError):
            raise
        traceback.print_exc()
        print(f"tunecraft: error: importing the objective {config.objective!r} failed: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sampler, pruner = build_sampler(config), build_pruner(config)
    url = storage_url(args, config.storage)
    storage = open_storage(url, must_exist=False, access="write")
    try:
        existing = storage.study_directions(config.study) if config.study in \
            storage.study_names() else None
        if existing is not None and existing != config.directions:
            raise config.source.error(
                ("directions",) if len(config.directions) > 1 else ("direction",),
                f"study {config.study!r} in {visible(url)} has directions "
                f"{[d.value for d in existing]}, not {[d.value for d in config.directions]}; "
                "fix the config or pass --study NEW_NAME")
        if existing is not None and config.study is not None:
            check_stored_space(config, storage.history(config.study), url)
        study = create_study(storage=storage, sampler=sampler, pruner=pruner,
                             study_name=config.study, load_if_exists=True,
                             directions=list(config.directions))
        # workers joining later (tunecraft worker) follow the config this run follows
        from tunecraft.config import load_yaml
        from tunecraft.execution.configured import (
            ConfiguredObjective,
            effective_config,
            store_run_config,
        )

        data = effective_config(load_yaml(args.config)[0], config)
        path = os.path.abspath(args.config)
        store_run_config(storage, study.study_name, data, path)
        runnable = ConfiguredObjective(data, path, with_space(objective, config.space))
        done = count_trials(study)
        remaining = None if config.n_trials is None else max(config.n_trials - done, 0)
        err = console(stderr=True)
        if remaining == 0:
            err.print(f"Study {study.study_name!r} already has {done} finished trials "
                      f"(n_trials: {config.n_trials}); nothing to run. Raise --n-trials to "
                      "run more.")
        else:
            what = f"up to {remaining} more" if remaining is not None else "trials"
            limit = f" for at most {config.timeout:g}s" if config.timeout else ""
            err.print(f"Study {study.study_name!r} in {visible(url)}: {done} finished; running "
                      f"{what}{limit} with {type(sampler).__name__}.")
            before = len(study.trials)
            # other workers on the same study may reach the total first
            callbacks = [] if config.n_trials is None else [MaxTrialsCallback(config.n_trials)]
            show = False if args.no_progress else None  # None: a terminal, or TUNECRAFT_PROGRESS
            study.optimize(runnable, n_trials=remaining,
                           timeout=config.timeout, n_jobs=config.n_jobs,
                           callbacks=callbacks, show_progress_bar=show,
                           catch=() if args.fail_fast else (Exception,))
            ran = study.trials[before:]
            failed = [t for t in ran if t.state is TrialState.FAIL]
            if ran and len(failed) == len(ran):  # a broken objective is not a success
                err.print(f"All {len(ran)} trials of this run failed; the last one: "
                          f"{visible(failed[-1].fail_reason)}")
                return 1
        render_best(console(), study.history(), study.study_name)
        return 0
    finally:
        storage.close()
