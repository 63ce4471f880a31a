"""The artifact store: a directory of named byte blobs, such as the checkpoints of paused trials.

Keys are ``/``-separated names (``<study>/<trial>/<step>.ckpt`` for checkpoints); each blob
is one file, written atomically (a temporary file renamed into place), so a reader in another
process sees a whole file or none. The store is plain files, so it survives a restart of the
study: a trial resumed after a crash finds the checkpoint its predecessor left. Trials record
only the key, so the directory may be moved if every process is pointed at the new place.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.parse
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from tunecraft.artifacts.exceptions import ArtifactNotFound

_SEGMENT = re.compile(r"^[A-Za-z0-9._%+-]+$")
DEFAULT_DIRNAME = "tunecraft-artifacts"
ARTIFACTS_ATTR = "artifacts_root"
"""Study attribute recording the artifact directory given to ``create_study``."""


def _check_key(key: str) -> list[str]:
    if not isinstance(key, str) or not key:
        raise ValueError(f"artifact key {key!r} must be a non-empty string")
    parts = key.split("/")
    for part in parts:
        if not _SEGMENT.match(part) or part in (".", ".."):
            raise ValueError(f"artifact key {key!r} has an invalid part {part!r}; use letters, "
                             "digits and . _ % + - between slashes")
    return parts


def quote(name: str) -> str:
    """``name`` made safe as one key segment (a study name may hold any character)."""
    out = urllib.parse.quote(name, safe="")
    if out in ("", ".", ".."):
        return "%" + out.replace(".", "%2E")
    return out


class ArtifactStore:
    """Blobs in a directory, created when the first blob is written.

    Args:
        root: The directory (relative paths are resolved now, against the current
            directory).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        if not isinstance(root, (str, os.PathLike)) or not str(root):
            raise ValueError(f"root={root!r} must be a directory path")
        self.root = Path(root).expanduser().resolve()

    def path(self, key: str) -> Path:
        """The file that holds ``key``."""
        return self.root.joinpath(*_check_key(key))

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` atomically (replacing any older blob)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        self._write(key, lambda f: f.write(data))

    def put_stream(self, key: str, source: BinaryIO) -> None:
        """Store what can be read from the binary file ``source`` under ``key`` atomically,
        copied in chunks (a checkpoint need not fit in memory twice)."""
        if not callable(getattr(source, "read", None)):
            raise TypeError(f"source must be a binary file opened for reading, got "
                            f"{type(source).__name__}")
        self._write(key, lambda f: shutil.copyfileobj(source, f))

    def _write(self, key: str, fill: Callable[[BinaryIO], object]) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                fill(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        """The blob stored under ``key``; KeyError when there is none."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(f"no artifact {key!r} in {self.root}") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, prefix: str) -> bool:
        """Delete the blob ``prefix``, or everything under it; True if something was there."""
        target = self.path(prefix)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            return True
        try:
            target.unlink()
            return True
        except FileNotFoundError:
            return False

    # Optuna's artifact-store protocol (``optuna.artifacts``): streams by artifact id
    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The blob ``artifact_id`` opened for reading; ArtifactNotFound when there is none."""
        try:
            return self.path(artifact_id).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self.root}") from None

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store what ``content_body`` reads under ``artifact_id`` (see :meth:`put_stream`)."""
        self.put_stream(artifact_id, content_body)

    def remove(self, artifact_id: str) -> None:
        """Delete the blob ``artifact_id``; ArtifactNotFound when there is none."""
        if not self.path(artifact_id).is_file() or not self.delete(artifact_id):
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self.root}")

    def children(self, prefix: str) -> list[str]:
        """Names directly under ``prefix`` (no temporary files), sorted."""
        target = self.path(prefix)
        if not target.is_dir():
            return []
        return sorted(p.name for p in target.iterdir() if not p.name.startswith(".tmp-"))

    def __repr__(self) -> str:
        return f"ArtifactStore({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArtifactStore) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)


def default_store(storage: Any) -> ArtifactStore:
    """Where a study keeps artifacts when none is configured.

    Next to a SQLite file ``x.db``: ``x.db.artifacts/``; for in-memory storage a temporary
    directory removed when the interpreter exits; otherwise ``./tunecraft-artifacts``.
    """
    url = getattr(storage, "url", None)
    if isinstance(url, str) and url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):].split("?", 1)[0]
        if path and path != ":memory:":
            return ArtifactStore(path + ".artifacts")
    if getattr(storage, "shared", True) is False:  # in-memory: lives in this process only
        tmp = tempfile.mkdtemp(prefix="tunecraft-artifacts-")
        store = ArtifactStore(tmp)
        weakref.finalize(store, shutil.rmtree, tmp, True)
        return store
    return ArtifactStore(DEFAULT_DIRNAME)


def as_store(value: str | os.PathLike[str] | ArtifactStore | None, storage: Any
             ) -> ArtifactStore:
    """An ArtifactStore from a path, a store, or None (the default for ``storage``)."""
    if value is None:
        return default_store(storage)
    if isinstance(value, ArtifactStore):
        return value
    if isinstance(value, (str, os.PathLike)):
        return ArtifactStore(value)
    raise TypeError(f"artifacts={value!r} must be a directory path, an ArtifactStore or None")


def checkpoint_key(study: str, trial: int, step: int) -> str:
    """The key of trial ``trial``'s checkpoint at ``step``."""
    return f"{quote(study)}/{int(trial)}/{int(step)}.ckpt"


def collect_checkpoints(store: ArtifactStore, study: str, keep: set[int],
                        known: int) -> list[int]:
    """Delete the checkpoints of the study's trials numbered below ``known`` that are not in
    ``keep`` (trials at or above ``known`` may be newer than the caller's history); returns
    the numbers deleted."""
    prefix = quote(study)
    deleted = []
    for name in store.children(prefix):
        if name.isdigit() and int(name) < known and int(name) not in keep:
            store.delete(f"{prefix}/{name}")
            deleted.append(int(name))
    return deleted
