"""Run the GP's linear algebra on one BLAS thread.

The matrices here are small (a few hundred rows), and a multi-threaded BLAS spends more time
waking and synchronising threads than computing; on a busy 2-core machine a triangular solve
of a 40 x 10 system took 1.2 ms with two OpenBLAS threads and 0.05 ms with one. Optuna's GP
sampler limits threads for the same reason. ``threadpoolctl`` (installed with the ``gp``
extra) does the limiting; without it the computation runs unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_depth = 0
_restore: Any = None


@functools.cache
def _controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Limit BLAS/OpenMP pools to one thread inside the block (no-op without
    threadpoolctl). Safe across threads: the first block in limits, the last out restores."""
    global _depth, _restore
    controller = _controller()
    if controller is None:
        yield
        return
    with _lock:
        if _depth == 0:
            _restore = controller.limit(limits=1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore is not None:
                _restore.restore_original_limits()
                _restore = None
