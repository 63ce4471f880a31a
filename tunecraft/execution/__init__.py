"""Running trials in parallel: worker processes, GPUs, Dask and Ray, with leases and retries.

``study.optimize(objective, n_trials=..., executor=...)`` keeps the storage as the single
source of truth: the driver reserves trials and submits ids; workers (local processes, Dask
or Ray workers, ``tunecraft worker`` processes on other machines) run them and record their
own results under a lease. See docs/distributed.md.
"""

from __future__ import annotations

from tunecraft.execution.driver import objective_ref, stop_trial
from tunecraft.execution.executors import ProcessPool, RayExecutor, dask_executor
from tunecraft.execution.retry import RetryInfo, retry_info

__all__ = ["ProcessPool", "RayExecutor", "RetryInfo", "dask_executor", "objective_ref",
           "retry_info", "stop_trial"]
