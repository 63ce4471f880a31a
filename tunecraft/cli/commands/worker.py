"""``tunecraft worker --storage URL --study NAME --objective MODULE:FUNCTION``: join a study
from any machine and run trials.

The storage holds the study's stored run config (space, sampler, pruner, total; written by
``tunecraft run``); the worker asks for trials, runs the objective named on its command line
and records the results under a lease. The database never chooses code: an objective or a
sampler/pruner class outside tunecraft runs only when named here (docs/security.md). Start
as many as you like, anywhere that reaches the storage; a worker that dies loses only its
running trial, which another worker retries once the lease runs out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from tunecraft.cli._common import (
    UsageError,
    add_storage_option,
    count_arg,
    open_storage,
    seconds_arg,
    storage_url,
)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "worker", help="join a study in a shared storage and run its trials",
        description="Run trials of an existing study: the objective, space, sampler and "
                    "pruner come from the study's stored run config (tunecraft run) or "
                    "stored objective (study.optimize), unless given here. Runs until "
                    "--n-trials trials ran here, the study reached its configured total, "
                    "--timeout passed, or Ctrl-C.")
    add_storage_option(p)
    p.add_argument("--study", metavar="NAME", required=True, help="the study to join")
    p.add_argument("--n-trials", type=count_arg, metavar="N",
                   help="results to record in this worker (a trial it loses to an expired "
                        "lease is replaced; default: until the study's total)")
    p.add_argument("--timeout", type=seconds_arg, metavar="SECONDS",
                   help="start no trial after this many seconds")
    p.add_argument("--objective", metavar="MODULE:FUNCTION",
                   help="the objective to run (imported from this directory); required: a "
                        "worker never runs code named only by the database")
    p.add_argument("--sampler", metavar="SPEC", help="as for tunecraft run")
    p.add_argument("--pruner", metavar="SPEC", help="as for tunecraft run")
    p.add_argument("--seed", type=int, help="sampler seed")
    p.add_argument("--lease", type=seconds_arg, default=60.0, metavar="SECONDS",
                   help="how long a trial stays held without renewal (default 60)")
    p.add_argument("--heartbeat", type=seconds_arg, metavar="SECONDS",
                   help="lease renewal interval (default: a sixth of --lease)")
    p.add_argument("--max-retries", type=count_arg, default=2, metavar="N",
                   help="retries of a trial whose worker vanished (default 2)")
    p.add_argument("--artifacts", metavar="DIR",
                   help="folder of the study's checkpoints (default: next to a SQLite file, "
                        "else ./tunecraft-artifacts); never taken from the database")
    p.add_argument("--fail-fast", action="store_true",
                   help="stop at the first error in the objective; without it a failed trial "
                        "is recorded as FAIL with its traceback and the worker goes on")
    p.add_argument("--json", action="store_true",
                   help='end with one JSON line {"study": NAME, "numbers": [...]} (the trials '
                        "this worker ran) instead of a summary for a person")
    p.set_defaults(handler=handle)


def summary(study: Any, ran: list[Any]) -> str:
    """What this worker did, for a person: its trials by state and the study's best."""
    from collections import Counter

    from tunecraft._names import visible

    if not ran:
        return f"tunecraft worker: ran no trial of {visible(study.study_name)!r}"
    states = Counter(t.state.name for t in ran)
    numbers = ", ".join(f"#{t.number}" for t in ran[:10]) + (", ..." if len(ran) > 10 else "")
    text = (f"tunecraft worker: ran {len(ran)} trial{'s' * (len(ran) != 1)} of "
            f"{visible(study.study_name)!r} ({numbers}): "
            + ", ".join(f"{n} {s}" for s, n in sorted(states.items())))
    if len(study.directions) == 1:
        best = study.history().best_trial()
        if best is not None and best.values:
            text += f"; the study's best value is {best.values[0]:.6g} (trial #{best.number})"
    return text


def handle(args: argparse.Namespace) -> int:
    from tunecraft.cli.commands.run import apply_flags
    from tunecraft.config import parse_run_config
    from tunecraft.config.build import build_pruner, build_sampler
    from tunecraft.execution.configured import (
        ConfiguredObjective,
        code_references,
        stored_config,
    )
    from tunecraft.study import MaxTrialsCallback, Study, within_total

    storage = open_storage(storage_url(args), access="write")
    try:
        if args.study not in storage.study_names():
            raise UsageError(f"tunecraft worker: error: no study named {args.study!r} in "
                             f"{storage_url(args)}; create it first (tunecraft run, or "
                             "create_study)")
        data, _ = stored_config(storage, args.study)
        # the database is data, not code: what runs is named here (docs/security.md)
        for key, ref in code_references(data):
            flag = "--pruner" if key.startswith("pruner") else "--sampler"
            if getattr(args, flag[2:]) is None:
                raise UsageError(
                    f"tunecraft worker: error: study {args.study!r} names the {key} class "
                    f"{ref!r} in its storage; a worker imports no code named only by the "
                    f"database: pass {flag} {ref!r} (or a built-in {flag[2:]}) to run it")
        stored = data.get("objective")
        if not args.objective:
            hint = (f"study {args.study!r} was started with objective {stored!r}; pass "
                    f"--objective {stored}" if isinstance(stored, str)
                    and re.fullmatch(r"[\w.]+(\.py)?:[\w.]+", stored) else
                    f"study {args.study!r} names no objective; pass --objective "
                    "MODULE:FUNCTION")
            raise UsageError(f"tunecraft worker: error: a worker runs only code named on its "
                             f"command line: {hint}")
        data["objective"] = args.objective
        path = None  # import from this directory, never from a folder the database names
        data["study"] = args.study
        data.pop("n_jobs", None)
        config = parse_run_config(data, path=path)
        config = apply_flags(config, argparse.Namespace(
            study=None, n_trials=None, timeout=args.timeout, seed=args.seed, n_jobs=None,
            sampler=args.sampler, pruner=args.pruner))
        objective = ConfiguredObjective(data, path)
        objective.load()  # import now: a missing module is an error before any trial
        lease = float(args.lease)
        total = None if args.n_trials is not None or config.n_trials is None else (
            MaxTrialsCallback(config.n_trials))
        study_class = Study if total is None else within_total(total)
        study = study_class(args.study, storage, build_sampler(config), build_pruner(config),
                            heartbeat_interval=args.heartbeat or lease / 6, stale_grace=lease,
                            max_retries=args.max_retries, artifacts=args.artifacts)
        callbacks: list[Any] = []
        n_trials = args.n_trials
        if total is not None:
            # the study-wide total bounds this worker: a study already at its total runs
            # nothing more (the callback alone ran one trial before it could stop: 31/30),
            # and workers starting at once never fill the last place twice (within_total)
            n_trials = total.remaining(study)
            if n_trials == 0:
                print(f"tunecraft worker: study {args.study!r} already has its "
                      f"{config.n_trials} finished trials; nothing to run", file=sys.stderr)
                if args.json:
                    print(json.dumps({"study": args.study, "numbers": []}), flush=True)
                return 0
            callbacks.append(total)
        ran: list[Any] = []  # the FrozenTrials this worker finished
        callbacks.append(lambda _study, frozen: ran.append(frozen))
        if args.n_trials is None and config.n_trials is None and args.timeout is None:
            print(f"tunecraft worker: running trials of {args.study!r} until Ctrl-C",
                  file=sys.stderr)
        study.optimize(objective, n_trials=n_trials, timeout=args.timeout,
                       callbacks=callbacks, catch=() if args.fail_fast else (Exception,))
        if args.json:
            print(json.dumps({"study": args.study, "numbers": [t.number for t in ran]}),
                  flush=True)
        else:
            print(summary(study, ran), flush=True)
        return 0
    finally:
        storage.close()
