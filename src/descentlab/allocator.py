"""Keep freed NumPy buffers in the process instead of returning them to the kernel.

Training allocates the same large arrays every step (im2col windows, activations,
gradients). With glibc's defaults, arrays above the mmap threshold are mapped afresh and
unmapped when freed, and the top of the heap is trimmed back to the kernel: the next step
then page-faults all of that memory in again, which costs a LeNet step about 40% of its
time (see docs/benchmarks.md). PyTorch avoids this with a caching allocator; here two
``mallopt`` settings give the same effect: blocks up to 32 MiB come from the heap, and the
heap is trimmed only when 64 MiB at its top are free.

Importing descentlab changes nothing in the process: the settings are applied only by an
explicit :func:`tune_malloc` (``descentlab.tune_malloc()``), which ``descentlab train`` and
``descentlab bench`` call. It does nothing off Linux/glibc, when the environment sets
``DESCENTLAB_MALLOC_TUNING=0``, or when it already tunes glibc itself
(``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_``). The settings last for the process.
"""

from __future__ import annotations

import os
import sys

MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 64 * 1024 * 1024
_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def _glibc():
    try:
        import ctypes

        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "gnu_get_libc_version") else None


def release_free_memory() -> bool:
    """Hand every free heap page back to the kernel now (glibc's ``malloc_trim(0)``).

    For measurements: with the tuning above, memory freed earlier stays resident, so a
    resident-set baseline taken without this would hide later allocations that reuse it.
    """
    if sys.platform != "linux":
        return False
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))


#: Whether :func:`tune_malloc` has applied the settings in this process.
MALLOC_TUNED = False


def tune_malloc() -> bool:
    """Keep freed arrays in the process (the two ``mallopt`` settings above), for training.

    Returns:
        True if the settings are in force (applied now or by an earlier call); False where
        they do not apply (not glibc, ``DESCENTLAB_MALLOC_TUNING=0``, the user's own
        ``MALLOC_*_`` variables).
    """
    global MALLOC_TUNED
    if MALLOC_TUNED:
        return True
    if sys.platform != "linux" or os.environ.get("DESCENTLAB_MALLOC_TUNING", "1") == "0":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    libc = _glibc()
    if libc is None:
        return False  # musl and others have no mallopt of this kind
    import ctypes

    mallopt = libc.mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    MALLOC_TUNED = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return MALLOC_TUNED
