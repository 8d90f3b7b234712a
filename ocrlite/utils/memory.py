"""Giving memory back to the system after a large input (glibc keeps freed blocks in its arenas otherwise)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

#: Inputs at least this large (pixels) are followed by a trim: smaller ones leave little behind.
TRIM_AFTER_PIXELS = 4_000_000


@functools.lru_cache(maxsize=1)
def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_memory() -> bool:
    """Return freed heap memory to the system (glibc ``malloc_trim``); False where there is no such call
    (macOS, Windows, musl): their allocators return large blocks themselves."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(0))
