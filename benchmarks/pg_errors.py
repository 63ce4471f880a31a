"""Issue #12 (item 6): seconds until a permanent PostgreSQL error reaches the user.

Each case opens `SQLStorage` on a URL that no retry can fix (unknown database, unknown role,
unresolvable host, a port where no server ever answered) and times the `StorageError`. Before
the fix every case retried for the outage budget (120 s). Needs the shared server on
127.0.0.1:5432 for the first two cases.

    python -m benchmarks.pg_errors --repeat 3
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time

from tunecraft.exceptions import StorageError
from tunecraft.storage.sql import SQLStorage

BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cases() -> dict[str, str]:
    return {
        "unknown database": BASE.replace("/test", "/no_such_db_tunecraft"),
        "unknown role": BASE.replace("postgres@", "no_such_role_tunecraft@"),
        "unresolvable host": BASE.replace("127.0.0.1", "no-such-host.invalid"),
        "refused, never reached": BASE.replace(":5432", f":{_free_port()}"),
    }


def _seconds(url: str) -> float:
    started = time.monotonic()
    try:
        SQLStorage(url).close()
    except StorageError:
        return time.monotonic() - started
    raise SystemExit(f"{url}: opened without an error; the benchmark's premise is wrong")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| case | median seconds to StorageError | target |")
    print("|---|---|---|")
    for name, url in _cases().items():
        times = [_seconds(url) for _ in range(args.repeat)]
        print(f"| {name} | {statistics.median(times):.1f} | < 10 s |")


if __name__ == "__main__":
    main()
