"""A private PostgreSQL server for tests that crash, stop or restart the database.

Never the shared service at 127.0.0.1:5432: each :class:`PrivateCluster` runs ``initdb`` into
its own folder and ``pg_ctl`` on a free port, so a test may kill it at will. As root (CI),
the server runs as the ``postgres`` user, which ``initdb`` requires.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(
        f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"{name} not found: install PostgreSQL's server package "
                           "(Debian: postgresql) to run the database-outage tests")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    """One throw-away PostgreSQL server: ``start``, ``crash`` (SIGKILL to every server
    process: what a power cut leaves), ``stop`` and ``remove``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tunecraft-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_root = os.geteuid() == 0
        os.chmod(self.root, 0o755)
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run([_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                   "--no-sync", "-E", "UTF8"])

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120,
                              stdin=subprocess.DEVNULL)

    def start(self) -> None:
        """Start the server (crash recovery included) and wait until it accepts queries;
        nothing to do when it runs."""
        if any(_alive(p) for p in self.pids()):
            return
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
                   "-c fsync=on -c max_connections=60 -c shared_buffers=16MB")
        done = self._run([_bin("pg_ctl"), "-D", str(self.data), "-l",
                          str(self.root / "server.log"), "-o", options, "-w", "-t", "90",
                          "start"], check=False)
        if done.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"private PostgreSQL did not start: {done.stderr}\n{log}")

    def pids(self) -> list[int]:
        """The postmaster and every backend of this cluster."""
        pid_file = self.data / "postmaster.pid"
        try:
            master = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True,
                             text=True).stdout.split()
        return [master, *(int(p) for p in out)]

    def crash(self) -> None:
        """Kill every server process at once (no checkpoint, no WAL flush), as a crash does;
        the next :meth:`start` runs crash recovery."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while self.pids() and any(_alive(p) for p in self.pids()):
            if time.monotonic() > deadline:
                raise RuntimeError("private PostgreSQL did not die after SIGKILL")
            time.sleep(0.05)
        # what a clean shutdown removes: the pid file and the socket's lock
        (self.data / "postmaster.pid").unlink(missing_ok=True)
        for leftover in self.root.glob(f".s.PGSQL.{self.port}*"):
            leftover.unlink(missing_ok=True)

    def stop(self) -> None:
        self._run([_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                  check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (not yet reaped by its parent) is dead for our purposes
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
