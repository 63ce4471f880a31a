"""Helpers of the multi-process fault tests: watch a study, kill a worker, check the outcome."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable

import tunecraft
from tunecraft import TrialState
from tunecraft.history import History
from tunecraft.pruners import NopPruner
from tunecraft.samplers import RandomSampler
from tunecraft.testing import objectives, unique_name


def wait_for(what: str, check: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def one_complete_per_chain(history: History) -> None:
    """Each logical trial (an original and its retries) completed exactly once."""
    root = {}
    for t in history.trials:
        origin = t.system_attrs.get("retry_of")
        root[t.number] = t.number if origin is None else root[int(origin)]
    done = Counter(root[t.number] for t in history.trials if t.state is TrialState.COMPLETE)
    assert all(n == 1 for n in done.values()), done
    chains = set(root.values())
    assert set(done) == chains, f"chains without a COMPLETE trial: {chains - set(done)}"


def run_in_background(study: tunecraft.Study, **kwargs: object) -> Callable[[], None]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            study.optimize(objectives.sleepy, **kwargs)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()

    def join() -> None:
        thread.join(timeout=240)
        assert not thread.is_alive(), "optimize did not return"
        assert not errors, errors

    return join


def kill_a_running_trial(study: tunecraft.Study) -> tuple[int, float]:
    """SIGKILL the process running some trial inside the objective; (its number, when)."""
    found: list[tuple[int, int]] = []

    def inside() -> bool:
        found[:] = [(t.number, t.user_attrs["pid"]) for t in study.history().trials
                    if t.state is TrialState.RUNNING and "pid" in t.user_attrs]
        return bool(found)

    wait_for("a trial inside the objective", inside)
    number, pid = found[0]
    os.kill(pid, signal.SIGKILL)
    return number, time.time()


def check_killed_trial(study: tunecraft.Study, number: int, killed_at: float,
                       n_trials: int) -> None:
    history = study.history()
    dead = history.trial(number)
    assert dead.state is TrialState.STALE, dead
    assert dead.datetime_complete is not None
    assert dead.datetime_complete.timestamp() - killed_at < study.stale_grace  # in one lease
    retry = history.trial(int(dead.system_attrs["retried_by"]))
    assert retry.state is TrialState.COMPLETE and retry.system_attrs["retry_of"] == number
    assert len(history.with_states(TrialState.COMPLETE)) == n_trials
    assert not history.with_states(TrialState.RUNNING, TrialState.WAITING)
    one_complete_per_chain(history)


def lease_study(url: str) -> tunecraft.Study:
    study = tunecraft.create_study(storage=url, study_name=unique_name(),
                                   sampler=RandomSampler(seed=0), pruner=NopPruner())
    study.heartbeat_interval, study.stale_grace = 0.2, 1.5
    return study
