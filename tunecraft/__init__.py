"""tunecraft: hyperparameter tuning for deep learning.

Define-by-run studies (``trial.suggest_float`` & co.), grid/random/quasi-random/TPE samplers,
pruning, and storage that never loses a result (SQLite by default, PostgreSQL for many
machines). Heavy dependencies (torch, scipy, pandas, psycopg) load only when used.
"""

from __future__ import annotations

import importlib as _importlib
from typing import Any as _Any

from tunecraft import distributions, exceptions, logging, pruners, samplers, trial
from tunecraft.direction import StudyDirection
from tunecraft.exceptions import (
    ConfigError,
    DuplicatedStudyError,
    IncompatibleSpace,
    SearchSpaceExhausted,
    StorageError,
    StudyNotFound,
    TrialFinishedError,
    TrialPruned,
    TunecraftError,
)
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Categorical, Float, Int
from tunecraft.study import (
    Study,
    StudySummary,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from tunecraft.trial import Trial, create_trial

__version__ = "0.1.0"

__all__ = [
    "Categorical", "ConfigError", "DuplicatedStudyError", "Float", "FrozenTrial", "History",
    "IncompatibleSpace", "Int", "SearchSpaceExhausted", "StorageError", "Study",
    "StudyDirection", "StudyNotFound", "StudySummary", "Trial", "TrialFinishedError",
    "TrialPruned", "TrialState", "TunecraftError", "copy_study", "create_study", "delete_study",
    "get_all_study_names", "get_all_study_summaries", "load_study", "pruners", "samplers",
    "__version__", "create_trial", "distributions", "exceptions", "importance", "logging",
    "trial", "visualization", "search_space",
]

_LAZY = ("importance", "visualization", "viz", "analysis", "search_space", "storages",
         "artifacts")
"""Submodules loaded on first use (they import plotting and analysis code)."""


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        return _importlib.import_module(f"tunecraft.{name}")
    raise AttributeError(f"module 'tunecraft' has no attribute {name!r}")
