"""How rank 0 of a Lightning run reaches its trial: directly in the process that owns the trial,
or over a local socket from a process that Lightning spawned (``strategy="ddp_spawn"``).

A :class:`~tunecraft.trial.Trial` holds locks and storage connections, so it stays in the
process that called ``trainer.fit``. When Lightning pickles the trainer into worker processes,
the callback starts a :class:`Server` there and sends its address instead; rank 0 then asks
the owner to report each value and gets the pruner's decision back. Messages are
length-prefixed JSON (never pickle), and a connection must first present the random token that
travelled with the pickled callback.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import socket
import struct
import threading
from typing import Any

from tunecraft.decision import Decision
from tunecraft.trial import Trial

logger = logging.getLogger("tunecraft")

_HEADER = struct.Struct("!I")
MAX_MESSAGE = 1 << 20


class Owner:
    """The trial's side of the link: report, decide and store checkpoints, in this process.

    Steps a resumed trial inherited from the trial it continues are neither reported nor
    decided again (a promoted trial must not be paused at the rung that promoted it).
    """

    def __init__(self, trial: Trial) -> None:
        self.trial = trial
        self.stopped_at: int | None = None
        self.decision: Decision | None = None

    def report(self, value: float, step: int) -> str:
        """Report ``value`` at ``step``; the pruner's decision as ``Decision.value``."""
        resumed = self.trial.resumed_from
        if resumed is not None and step <= resumed.step:
            return Decision.CONTINUE.value
        self.trial.report(value, step)
        decision = self.trial.decide()
        if decision is not Decision.CONTINUE:
            self.stopped_at, self.decision = step, decision
        return decision.value

    def store_checkpoint(self, path: str, step: int) -> None:
        """Put the checkpoint file at ``path`` into the study's artifact store."""
        with open(path, "rb") as f:
            self.trial.save_checkpoint(f.read(), step)


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = sock.recv(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket) -> dict[str, Any] | None:
    """The next message, or None when the peer closed the connection."""
    head = _recv_exact(sock, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > MAX_MESSAGE:
        raise ConnectionError(f"message of {size} bytes is larger than {MAX_MESSAGE}")
    body = _recv_exact(sock, size)
    if body is None:
        return None
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ConnectionError("malformed message")
    return message


class Server:
    """Serves one :class:`Owner` to the processes Lightning starts, until :meth:`close`.

    A thread accepts connections on 127.0.0.1 and serves each in a thread of its own (rank 0
    connects once per ``fit``/``validate`` call; a stray client never blocks it).
    """

    def __init__(self, owner: Owner) -> None:
        self.owner = owner
        self.token = secrets.token_hex(16)
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.address: tuple[str, int] = self._sock.getsockname()[:2]
        self._closed = threading.Event()
        self._lock = threading.Lock()  # guards _conns
        self._owner_lock = threading.Lock()  # one call into the trial at a time
        self._conns: dict[socket.socket, threading.Thread] = {}
        self._name = f"tunecraft-lightning-trial-{owner.trial.number}"
        self._thread = threading.Thread(target=self._accept, daemon=True, name=self._name)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Stop serving and wait for the threads (connections in use are cut)."""
        self._closed.set()
        me = threading.current_thread()
        if self._thread is not me:
            self._thread.join()  # no new connection after this
        with self._lock:
            threads = list(self._conns.items())
        for conn, thread in threads:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            if thread is not me:
                thread.join()

    def _accept(self) -> None:
        try:
            while not self._closed.is_set():
                try:
                    conn, _ = self._sock.accept()
                except TimeoutError:
                    continue
                except OSError:
                    break
                conn.settimeout(None)
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                          name=f"{self._name}-conn")
                with self._lock:
                    self._conns[conn] = thread
                thread.start()
        finally:
            self._sock.close()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                self._handle(conn)
        except (OSError, ValueError) as exc:
            if not self._closed.is_set():
                logger.warning("Trial %d: the link to a Lightning worker broke (%s)",
                               self.owner.trial.number, exc)
        finally:
            with self._lock:
                self._conns.pop(conn, None)

    def _handle(self, conn: socket.socket) -> None:
        hello = _recv(conn)
        if hello is None or not hmac.compare_digest(str(hello.get("token", "")), self.token):
            return
        _send(conn, {"ok": True})
        while True:
            message = _recv(conn)
            if message is None:
                return
            try:
                with self._owner_lock:
                    reply = self._dispatch(message)
            except Exception as exc:  # the worker raises it with this text
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            _send(conn, reply)

    def _dispatch(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message.get("op")
        if op == "report":
            return {"decision": self.owner.report(float(message["value"]),
                                                  int(message["step"]))}
        if op == "checkpoint":
            self.owner.store_checkpoint(str(message["path"]), int(message["step"]))
            return {"ok": True}
        raise ValueError(f"unknown operation {op!r}")


class Remote:
    """The worker's side of the link: forwards reports and checkpoints to the owner."""

    def __init__(self, address: tuple[str, int], token: str, number: int) -> None:
        self.address = address
        self.token = token
        self.number = number
        self._sock: socket.socket | None = None

    def report(self, value: float, step: int) -> str:
        decision: str = self._call({"op": "report", "value": value, "step": step})["decision"]
        return decision

    def store_checkpoint(self, path: str, step: int) -> None:
        self._call({"op": "checkpoint", "path": path, "step": step})

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _call(self, message: dict[str, Any]) -> dict[str, Any]:
        if self._sock is None:
            sock = socket.create_connection(self.address)
            _send(sock, {"token": self.token})
            if _recv(sock) is None:
                sock.close()
                raise ConnectionError(f"the process that owns trial {self.number} refused "
                                      "the link")
            self._sock = sock
        _send(self._sock, message)
        reply = _recv(self._sock)
        if reply is None:
            self.close()
            raise ConnectionError(
                f"the process that owns trial {self.number} closed the link (was "
                "PruningCallback.check_pruned() called before fit() returned?)")
        if "error" in reply:
            raise RuntimeError(f"trial {self.number}: {reply['error']}")
        return reply
