"""Peers on the simulated learning curves (``curves.py``): DEHB and syne-tune's schedulers.

Each is driven by its own ask/tell interface on the same curves, seeds and epoch budget as
tunecraft and Optuna, one configuration at a time (one worker):

- ``dehb`` (Awad et al., IJCAI 2021; package ``dehb``): fidelities 1, 3, 9, 27 (eta = 3),
  its defaults otherwise. DEHB evaluates a configuration at a fidelity from scratch (a
  promoted configuration is a new DE individual), so an evaluation at fidelity ``b`` costs
  ``b`` epochs, as in its paper.
- ``synetune-asha``, ``synetune-bohb`` (syne-tune's ``baselines.ASHA`` and ``BOHB``: ASHA's
  stopping rule, random search or BOHB's KDE; ``grace_period=1``, ``reduction_factor=3``,
  ``max_t=27``, its defaults otherwise): a trial reports every epoch and stops when told, as
  syne-tune's ``Tuner`` runs it (``on_trial_result``, then ``on_trial_remove`` on STOP).

Installed where they install (``pip install dehb syne-tune``; DEHB 0.1.2 pins numpy < 2 and
was installed without its dependencies, see benchmarks/results/issue-18.md).
"""

from __future__ import annotations

import datetime
import logging
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

PEERS = ("dehb", "synetune-asha", "synetune-bohb")


def _config(c: Any) -> tuple[float, ...]:
    return (float(c["lr"]), float(c["weight_decay"]), float(int(c["width"])),
            float(c["dropout"]))


def run_peer(method: str, curve: Callable[[tuple[float, ...], int], float], ledger: Any,
             seed: int, r: int, eta: int, score: Callable[[tuple[float, ...]], float]) -> None:
    """Run ``method`` until ``ledger.finish`` says the budget is spent."""
    if method == "dehb":
        _dehb(curve, ledger, seed, r, eta, score)
    elif method in ("synetune-asha", "synetune-bohb"):
        _synetune(method, curve, ledger, seed, r, eta, score)
    else:
        raise ValueError(f"method={method!r} is unknown; use one of {PEERS}")


def _dehb(curve: Callable[[tuple[float, ...], int], float], ledger: Any, seed: int, r: int,
          eta: int, score: Callable[[tuple[float, ...]], float]) -> None:
    import ConfigSpace as CS
    from dehb import DEHB

    cs = CS.ConfigurationSpace(seed=seed)
    cs.add([CS.Float("lr", (1e-4, 1.0), log=True),
            CS.Float("weight_decay", (1e-6, 1e-2), log=True),
            CS.Integer("width", (16, 512), log=True), CS.Float("dropout", (0.0, 0.8))])
    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        # DEHB 0.1.2 calls ConfigSpace APIs that ConfigSpace 1.x deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        opt = DEHB(cs=cs, dimensions=4, min_fidelity=1, max_fidelity=r, eta=eta, n_workers=1,
                   seed=seed, output_path=out, save_freq="end", log_level="ERROR")
        while True:
            job = opt.ask()
            x = _config(job["config"])
            fidelity = round(float(job["fidelity"]))
            value = curve(x, fidelity)
            opt.tell(job, {"fitness": value, "cost": float(fidelity)})
            if ledger.finish(fidelity, score(x) if fidelity >= r else None):
                return


def _synetune(method: str, curve: Callable[[tuple[float, ...], int], float], ledger: Any,
              seed: int, r: int, eta: int, score: Callable[[tuple[float, ...]], float]
              ) -> None:
    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import lograndint, loguniform, uniform
    from syne_tune.optimizer.baselines import ASHA, BOHB
    from syne_tune.optimizer.scheduler import SchedulerDecision

    logging.getLogger("syne_tune").setLevel(logging.ERROR)
    np.random.seed(seed)  # ASHA draws brackets from the global generator (one bracket here)
    space = {"lr": loguniform(1e-4, 1.0), "weight_decay": loguniform(1e-6, 1e-2),
             "width": lograndint(16, 512), "dropout": uniform(0.0, 0.8)}
    cls = ASHA if method == "synetune-asha" else BOHB
    scheduler = cls(space, metric="error", time_attr="epoch", max_t=r, do_minimize=True,
                    random_seed=seed, grace_period=1, reduction_factor=eta)
    number = 0
    while True:
        suggestion = scheduler.suggest()
        trial = Trial(trial_id=number, config=suggestion.config,
                      creation_time=datetime.datetime.now())
        number += 1
        scheduler.on_trial_add(trial)
        x = _config(suggestion.config)
        trained = 0
        for t in range(1, r + 1):
            trained = t
            decision = scheduler.on_trial_result(trial, {"error": curve(x, t), "epoch": t})
            if decision == SchedulerDecision.STOP:
                scheduler.on_trial_remove(trial)
                break
        if ledger.finish(trained, score(x) if trained >= r else None):
            return
