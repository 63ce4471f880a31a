"""Optuna's ``RDBStorage``: tunecraft's SQL storage, carrying Optuna's heartbeat settings.

``RDBStorage(url, heartbeat_interval=, grace_period=, heartbeat_stale_trial_callback=)`` is a
:class:`~tunecraft.storage.sql.SQLStorage` (SQLite or PostgreSQL) whose settings become the
lease policy of every study opened on it: ``heartbeat_interval`` is how often a worker renews
the leases of its RUNNING trials, ``grace_period`` (default: twice the interval, as in Optuna)
how long a lease lasts without renewal, and the callback decides the retries: a
:class:`RetryHeartbeatStaleTrialCallback` sets ``max_retries``; any other callable is called
with the study and each stale trial, as Optuna calls it, and nothing is retried for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from tunecraft.record import FrozenTrial
from tunecraft.storage import normalize_url
from tunecraft.storage.leases import Reaped
from tunecraft.storage.sql import SQLStorage
from tunecraft.storages._callbacks import REMOVED_IN, RetryHeartbeatStaleTrialCallback

StaleCallback = Callable[[Any, FrozenTrial], None]


def _positive(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float(
            "inf"):
        raise ValueError(f"{name}={value!r} must be a positive number of seconds (or None)")
    return float(value)


class RDBStorage(SQLStorage):
    """Studies in a SQLite file or PostgreSQL database, with Optuna's heartbeat arguments.

    Args:
        url: ``sqlite:///PATH`` or ``postgresql://USER@HOST:PORT/DATABASE`` (an in-memory
            SQLite URL is refused: no worker process could see it; pass ``storage=None``).
        engine_kwargs: Extra arguments for ``sqlalchemy.create_engine``.
        skip_compatibility_check: Accepted for Optuna's signature; tunecraft always checks
            the schema version (and upgrades an older one).
        heartbeat_interval: Seconds between lease renewals of a RUNNING trial (tunecraft
            always keeps leases; None: its default, 10 s).
        grace_period: Seconds a lease lasts without renewal before its trial is stale;
            default twice ``heartbeat_interval`` (None without one: tunecraft's default).
        heartbeat_stale_trial_callback: :class:`RetryHeartbeatStaleTrialCallback` to retry
            stale trials, or a function ``(study, trial)`` called for each one. None with a
            ``heartbeat_interval``: stale trials are not retried (Optuna's behaviour); None
            without: tunecraft's default of two retries.
        failed_trial_callback: Deprecated (as in Optuna 4.9) name of the argument above.
        skip_table_creation: Accepted for Optuna's signature; tables are created when absent.
    """

    def __init__(
        self,
        url: str,
        engine_kwargs: Mapping[str, Any] | None = None,
        skip_compatibility_check: bool = False,
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        heartbeat_stale_trial_callback: StaleCallback | None = None,
        failed_trial_callback: StaleCallback | None = None,
        skip_table_creation: bool = False,
    ) -> None:
        if heartbeat_stale_trial_callback is not None and failed_trial_callback is not None:
            raise ValueError("pass heartbeat_stale_trial_callback= or failed_trial_callback=, "
                             "not both (failed_trial_callback is its deprecated name)")
        if failed_trial_callback is not None:
            warnings.warn("failed_trial_callback= is deprecated (as in Optuna 4.9) and will be "
                          f"removed in {REMOVED_IN}; use heartbeat_stale_trial_callback=.",
                          FutureWarning, stacklevel=2)
        callback = heartbeat_stale_trial_callback or failed_trial_callback
        if callback is not None and not callable(callback):
            raise TypeError(f"heartbeat_stale_trial_callback={callback!r} must be a "
                            "RetryHeartbeatStaleTrialCallback or a function (study, trial)")
        self.heartbeat_interval = _positive("heartbeat_interval", heartbeat_interval)
        self.grace_period = _positive("grace_period", grace_period)
        self.heartbeat_stale_trial_callback = callback
        self.skip_compatibility_check = bool(skip_compatibility_check)
        self.skip_table_creation = bool(skip_table_creation)
        super().__init__(normalize_url(url), engine_kwargs=engine_kwargs)

    def study_options(self) -> dict[str, Any]:
        """The lease policy given to every study opened on this storage (``Study`` keyword
        arguments): renewal interval, lease length and retries, from Optuna's arguments."""
        options: dict[str, Any] = {}
        if self.heartbeat_interval is not None:
            options["heartbeat_interval"] = self.heartbeat_interval
            options["stale_grace"] = self.grace_period or 2 * self.heartbeat_interval
        elif self.grace_period is not None:
            options["stale_grace"] = self.grace_period
        callback = self.heartbeat_stale_trial_callback
        if isinstance(callback, RetryHeartbeatStaleTrialCallback):
            options["max_retries"] = callback.max_retries
        elif callback is not None or self.heartbeat_interval is not None:
            options["max_retries"] = 0
        return options

    def reap_stale(self, study: str, *, max_retries: int = 2, force: bool = False
                   ) -> list[Reaped]:
        """Mark stale trials as every storage does, then call a plain (non-retry) callback
        with the study and each trial marked, as Optuna calls it."""
        reaped = super().reap_stale(study, max_retries=max_retries, force=force)
        callback = self.heartbeat_stale_trial_callback
        if reaped and callback is not None and not isinstance(
                callback, RetryHeartbeatStaleTrialCallback):
            from tunecraft.study.api import load_study

            handle = load_study(study_name=study, storage=self)
            for record in self.trials(study, [r.number for r in reaped]):
                callback(handle, record)
        return reaped

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "heartbeat_interval": self.heartbeat_interval,
                "grace_period": self.grace_period,
                "callback": self.heartbeat_stale_trial_callback}

    def __setstate__(self, state: dict[str, Any]) -> None:
        RDBStorage.__init__(self, state["url"], state["engine_kwargs"],
                            heartbeat_interval=state["heartbeat_interval"],
                            grace_period=state["grace_period"],
                            heartbeat_stale_trial_callback=state["callback"])

    def __repr__(self) -> str:
        return f"RDBStorage({self._safe_url()!r})"


__all__ = ["RDBStorage"]
