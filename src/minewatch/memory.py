"""Large working arrays on 2 MB pages.

A capture's working arrays (the connection table, the read buffers and their packet rows, the
page reader's buffers) are made fresh for each capture, and the first write to each page of
them is a page fault. On a virtual machine a fault costs several microseconds, and at 4 kB a
page a capture paid tens of milliseconds for them (20 MB written in 4 kB pages: 0.045 s here,
against 0.002 s in 2 MB pages). `np.zeros` leaves the choice to the C library and the kernel:
a block it takes from the heap is cleared by hand, page by page, and a fresh mapping is
rarely aligned so that whole 2 MB pages fit in it. `zeros` maps the array itself, aligned to
2 MB and marked for huge pages (`MADV_HUGEPAGE`, which the kernel's default "madvise" mode
honours), so it is backed 2 MB at a time where it is written and nowhere else. Small arrays,
and systems without the call, get `np.zeros`.
"""

from __future__ import annotations

import mmap

import numpy as np

HUGE = 2 << 20  # bytes in a huge page (x86-64, arm64 with 4 kB base pages)
_ADVICE = getattr(mmap, "MADV_HUGEPAGE", None)  # (Linux only)


def zeros(shape: int | tuple[int, ...], dtype) -> np.ndarray:
    """np.zeros(shape, dtype), on 2 MB pages when it is at least HUGE bytes."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    if size < HUGE or _ADVICE is None:
        return np.zeros(shape, dtype)
    try:
        mapped = mmap.mmap(-1, size + HUGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        mapped.madvise(_ADVICE)
    except (OSError, ValueError):  # (no room for the mapping, advice refused)
        return np.zeros(shape, dtype)
    raw = np.frombuffer(mapped, np.uint8)  # (the array keeps the mapping alive)
    skip = -raw.ctypes.data % HUGE
    return raw[skip:skip + size].view(dtype).reshape(shape)
