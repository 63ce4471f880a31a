"""Running trials: the optimize loop, worker processes, GPUs, Dask and Ray, with leases and
retries.

``study.optimize(objective, n_trials=..., executor=...)`` keeps the storage as the single
source of truth: the driver reserves trials and submits ids; workers (local processes, Dask
or Ray workers, ``tunecraft worker`` processes on other machines) run them and record their
own results under a lease. See docs/distributed.md.

The modules here drive a study through its public lifecycle (``reserve`` / ``begin`` /
``tell``) and import no study module at run time; the names below load on first use, so that
the study (which renews leases with :mod:`tunecraft.execution.leases`) imports no executor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunecraft._lazy import LazyExports

if TYPE_CHECKING:
    from tunecraft.execution.driver import objective_ref as objective_ref
    from tunecraft.execution.driver import stop_trial as stop_trial
    from tunecraft.execution.executors import ProcessPool as ProcessPool
    from tunecraft.execution.executors import RayExecutor as RayExecutor
    from tunecraft.execution.executors import dask_executor as dask_executor
    from tunecraft.execution.retry import RetryInfo as RetryInfo
    from tunecraft.execution.retry import retry_info as retry_info

_EXPORTS = LazyExports(__name__, {
    "ProcessPool": "tunecraft.execution.executors",
    "RayExecutor": "tunecraft.execution.executors",
    "RetryInfo": "tunecraft.execution.retry",
    "dask_executor": "tunecraft.execution.executors",
    "objective_ref": "tunecraft.execution.driver",
    "retry_info": "tunecraft.execution.retry",
    "stop_trial": "tunecraft.execution.driver",
})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
