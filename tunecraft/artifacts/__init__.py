"""Artifacts: tunecraft's checkpoint store and Optuna's ``optuna.artifacts`` API over it.

:class:`ArtifactStore` (in ``_store``) keeps the checkpoints of paused and retried trials;
:class:`FileSystemArtifactStore`, :func:`upload_artifact`, :func:`download_artifact` and
:func:`get_all_artifact_meta` are Optuna's names for files a trial or study keeps there.
"""

from __future__ import annotations

from tunecraft.artifacts._optuna import (
    ArtifactMeta,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from tunecraft.artifacts._store import (
    ARTIFACTS_ATTR,
    DEFAULT_DIRNAME,
    ArtifactStore,
    as_store,
    checkpoint_key,
    collect_checkpoints,
    default_store,
    quote,
)
from tunecraft.artifacts.exceptions import ArtifactNotFound

__all__ = ["ARTIFACTS_ATTR", "DEFAULT_DIRNAME", "ArtifactMeta", "ArtifactNotFound",
           "ArtifactStore", "FileSystemArtifactStore", "as_store", "checkpoint_key",
           "collect_checkpoints", "default_store", "download_artifact", "get_all_artifact_meta",
           "quote", "upload_artifact"]
