"""Exceptions raised by tunecraft; all derive from TunecraftError except TrialPruned."""

from __future__ import annotations


class TunecraftError(Exception):
    """Base class of tunecraft's own errors."""


class TrialPruned(Exception):
    """Raise inside an objective to stop the trial early and record it as PRUNED.

    It is not a TunecraftError on purpose: ``except TunecraftError`` in user code must not
    swallow the pruning signal.
    """


class StudyNotFound(TunecraftError, KeyError):
    """No study of that name exists in the storage."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "study not found"


class DuplicatedStudyError(TunecraftError):
    """A study of that name already exists; pass ``load_if_exists=True`` to reuse it."""


class IncompatibleSpace(TunecraftError, ValueError):
    """One parameter name was asked with two different distributions in one study."""


class TrialFinishedError(TunecraftError, RuntimeError, ValueError):
    """A write was attempted on a trial that is already finished.

    Also a RuntimeError (Optuna's ``UpdateFinishedTrialError``) and a ValueError (what
    Optuna's ``tell`` raises for a finished trial), so Optuna code catching either works."""


class StorageError(TunecraftError):
    """The storage could not complete an operation (after retries)."""


class SchemaVersionError(StorageError):
    """The storage was written by a newer, incompatible tunecraft version."""


class ConfigError(TunecraftError, ValueError):
    """A configuration file or mapping is invalid; the message names file, line and key."""


class SearchSpaceExhausted(TunecraftError):
    """A finite sampler (grid) has handed out every point; ``optimize`` stops quietly."""


class CLIUsageError(TunecraftError):
    """A command-line tool was used wrongly (Optuna's name; tunecraft's CLI exits with 2)."""


class ExperimentalWarning(Warning):
    """An experimental feature was used; its interface may change without deprecation."""


# Optuna's names for the same errors (``optuna.exceptions``), so that ``except`` clauses
# written for Optuna keep working.
OptunaError = TunecraftError
StorageInternalError = StorageError
UpdateFinishedTrialError = TrialFinishedError
