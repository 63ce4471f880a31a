"""Out-of-memory detection, memory release and a measured CPU peak for the batch-size finder.

Every allocator failure counts as out of memory: CUDA's ``OutOfMemoryError``, cuBLAS/cuDNN
allocation failures, torch's CPU allocator (``DefaultCPUAllocator: can't allocate memory``),
oneDNN/mkldnn failing to create a primitive (what a CPU convolution raises when its workspace
cannot be allocated), Apple's MPS backend, ``std::bad_alloc`` and Python's ``MemoryError``.

On CPU the peak of a step is *measured* from the process's resident memory: Linux keeps a
high-water mark of the resident set (``VmHWM`` in ``/proc/self/status``) that writing ``5`` to
``/proc/self/clear_refs`` resets (Linux 4.0+, see ``proc(5)``), so each step's peak is read
exactly, not estimated. Freed memory that the C library keeps is handed back first with glibc's
``malloc_trim(0)``, so that earlier, larger attempts do not inflate later readings.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["RssMeter", "is_oom", "release_memory"]

OOM_TEXT = (
    "out of memory",  # CUDA, MPS ("MPS backend out of memory"), HIP
    "can't allocate memory",  # torch's DefaultCPUAllocator
    "not enough memory",  # DefaultCPUAllocator on Windows
    "could not create a primitive",  # oneDNN / mkldnn when its buffers cannot be allocated
    "bad_alloc",  # std::bad_alloc surfaced as a RuntimeError
    "CUBLAS_STATUS_ALLOC_FAILED",
    "CUDNN_STATUS_ALLOC_FAILED",
    "CUDNN_STATUS_NOT_SUPPORTED",  # cuDNN with a batch too large for its kernels (Lightning)
)


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocator failure of any device (see the module docstring)."""
    import torch

    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(exc, RuntimeError) and any(s in str(exc) for s in OOM_TEXT)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None  # glibc only (not musl)


_LIBC = _libc()


def release_memory(device: torch.device) -> None:
    """Free what a finished or failed attempt left behind: collect garbage (tensors held by
    reference cycles, e.g. a traceback's frames), empty the device's cache, and hand the C
    heap's free pages back to the system (``malloc_trim``, glibc only)."""
    import torch

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class RssMeter:
    """The process's resident memory and its resettable high-water mark (Linux only)."""

    def __init__(self) -> None:
        self.available = self._try()

    @staticmethod
    def _read(key: str) -> int:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        raise OSError(f"{key} is not in /proc/self/status")

    def _try(self) -> bool:
        try:
            self.reset()
            self.rss()
            self.peak()
        except OSError:
            return False
        return True

    def reset(self) -> None:
        """Start a new high-water mark at the current resident size."""
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")

    def rss(self) -> int:
        """Resident bytes now."""
        return self._read("VmRSS")

    def peak(self) -> int:
        """Largest resident size since the last :meth:`reset`."""
        return self._read("VmHWM")


def available_bytes() -> int | None:
    """How many more bytes this process can take on Linux before an allocation fails or the
    kernel's OOM killer steps in: the least of the address-space limit's headroom
    (``RLIMIT_AS`` minus ``VmSize``), the cgroup's (``memory.max`` minus ``memory.current``)
    and ``MemAvailable``. None where none can be read."""
    import resource

    room: list[int] = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    try:
        if soft != resource.RLIM_INFINITY:
            room.append(soft - RssMeter._read("VmSize"))
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    room.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as f:
            current = int(f.read().strip())
        if limit != "max":
            room.append(int(limit) - current)
    except (OSError, ValueError):
        pass
    return max(0, min(room)) if room else None
