"""Optuna's artifact API (``optuna.artifacts``) over tunecraft's :class:`ArtifactStore`.

A file uploaded for a trial or a study is stored under a fresh UUID as its artifact id, and
its :class:`ArtifactMeta` is recorded as the system attribute ``artifacts:<id>`` of the trial
(or the study attribute of that name), as Optuna records it, so ``get_all_artifact_meta``
finds it again and a study imported from Optuna keeps its artifacts' metadata.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, BinaryIO, Protocol

from tunecraft.artifacts._store import ArtifactStore
from tunecraft.record import FrozenTrial, thaw
from tunecraft.trial_context import TrialControl

ARTIFACTS_ATTR_PREFIX = "artifacts:"
"""Prefix of the attributes that hold artifact metadata (Optuna's spelling)."""
DEFAULT_MIME_TYPE = "application/octet-stream"


class OptunaArtifactStore(Protocol):
    """What ``upload_artifact``/``download_artifact`` need of a store (Optuna's protocol)."""

    def open_reader(self, artifact_id: str) -> BinaryIO: ...
    def write(self, artifact_id: str, content_body: BinaryIO) -> None: ...
    def remove(self, artifact_id: str) -> None: ...


class FileSystemArtifactStore(ArtifactStore):
    """Optuna's ``FileSystemArtifactStore``: artifacts as files in ``base_path``.

    Each artifact is the file ``base_path/<artifact_id>``, written atomically (a reader in
    another process sees the whole file or none).

    Args:
        base_path: The directory (created when the first artifact is written).
    """

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        super().__init__(base_path)

    def __repr__(self) -> str:
        return f"FileSystemArtifactStore({str(self.root)!r})"


@dataclass
class ArtifactMeta:
    """An uploaded artifact: its id, the uploaded file's name, MIME type and encoding."""

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


def _kind(study_or_trial: Any) -> str:
    """'trial' (a live trial), 'frozen' or 'study'; TypeError for anything else."""
    if isinstance(study_or_trial, FrozenTrial):
        return "frozen"
    if isinstance(getattr(study_or_trial, "control", None), TrialControl):
        return "trial"
    if isinstance(getattr(study_or_trial, "study_name", None), str) and hasattr(
            study_or_trial, "storage"):
        return "study"
    raise TypeError(f"study_or_trial={study_or_trial!r} must be a Trial, a FrozenTrial or a "
                    "Study")


def upload_artifact(
    *,
    artifact_store: OptunaArtifactStore,
    file_path: str | os.PathLike[str],
    study_or_trial: Any,
    storage: Any = None,
    mimetype: str | None = None,
    encoding: str | None = None,
) -> str:
    """Copy the file ``file_path`` into ``artifact_store`` for a trial or a study.

    Args:
        artifact_store: A :class:`FileSystemArtifactStore` (or any store with Optuna's
            ``open_reader``/``write``/``remove``).
        file_path: The file to upload.
        study_or_trial: The running :class:`~tunecraft.Trial` (inside the objective) or the
            :class:`~tunecraft.Study`. A ``FrozenTrial`` is refused: it is the record of a
            finished trial, and tunecraft does not change finished trials.
        storage: Accepted for Optuna's signature; the trial or study knows its storage.
        mimetype: Default: guessed from the file name (``application/octet-stream``).
        encoding: Default: guessed from the file name (e.g. ``gzip``), else None.

    Returns:
        The artifact id, for :func:`download_artifact`.
    """
    kind = _kind(study_or_trial)
    if kind == "frozen":
        raise ValueError(
            f"trial {study_or_trial.number} is a FrozenTrial, the record of a finished trial, "
            "which tunecraft does not change; upload inside the objective with its live Trial, "
            "or attach the file to the Study")
    filename = os.path.basename(os.fspath(file_path))
    guessed_type, guessed_encoding = mimetypes.guess_type(filename)
    meta = ArtifactMeta(str(uuid.uuid4()), filename, mimetype or guessed_type or DEFAULT_MIME_TYPE,
                        encoding or guessed_encoding)
    with open(file_path, "rb") as f:
        artifact_store.write(meta.artifact_id, f)
    key = ARTIFACTS_ATTR_PREFIX + meta.artifact_id
    if kind == "trial":
        study_or_trial.control.set_system_attr(key, asdict(meta))
    else:
        study_or_trial.storage.set_study_attr(study_or_trial.study_name, key, asdict(meta))
    return meta.artifact_id


def download_artifact(*, artifact_store: OptunaArtifactStore, file_path: str | os.PathLike[str],
                      artifact_id: str) -> None:
    """Copy artifact ``artifact_id`` to the new file ``file_path`` (FileExistsError if there
    is one already; ArtifactNotFound if the store has no such artifact)."""
    if os.path.exists(file_path):
        raise FileExistsError(f"File already exists: {os.fspath(file_path)}; download to a new "
                              "path or remove it first")
    with artifact_store.open_reader(artifact_id) as reader, open(file_path, "xb") as writer:
        shutil.copyfileobj(reader, writer)


def _metas(attrs: Mapping[str, Any]) -> list[ArtifactMeta]:
    out = []
    for key, raw in attrs.items():
        if not key.startswith(ARTIFACTS_ATTR_PREFIX):
            continue
        data = json.loads(raw) if isinstance(raw, str) else thaw(raw)  # Optuna stores JSON text
        out.append(ArtifactMeta(str(data["artifact_id"]), str(data["filename"]),
                                str(data["mimetype"]), data.get("encoding")))
    return out


def get_all_artifact_meta(study_or_trial: Any, *, storage: Any = None) -> list[ArtifactMeta]:
    """The artifacts uploaded for a trial (live or frozen) or for a study (not its trials'),
    in upload order. ``storage`` is accepted for Optuna's signature and not needed."""
    kind = _kind(study_or_trial)
    if kind == "frozen":
        return _metas(study_or_trial.system_attrs)
    if kind == "trial":
        study = study_or_trial.study
        study_or_trial.flush()  # the uploads recorded so far, with the trial's other writes
        (record,) = study.storage.trials(study.study_name, [study_or_trial.number])
        return _metas(record.system_attrs)
    return _metas(study_or_trial.storage.study_attrs(study_or_trial.study_name))


__all__ = ["ARTIFACTS_ATTR_PREFIX", "ArtifactMeta", "FileSystemArtifactStore",
           "OptunaArtifactStore", "download_artifact", "get_all_artifact_meta",
           "upload_artifact"]
