"""Optuna's ``optuna.artifacts.exceptions``: the error of a missing artifact."""

from __future__ import annotations

from tunecraft.exceptions import TunecraftError


class ArtifactNotFound(TunecraftError, FileNotFoundError):
    """No artifact of that id is in the store (Optuna's name; also a FileNotFoundError)."""


__all__ = ["ArtifactNotFound"]
