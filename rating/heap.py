"""Freed memory kept for reuse while a run works (glibc's malloc; elsewhere nothing changes).

By default glibc hands memory back to the kernel as soon as a little is free at the top of the
heap, and gives each allocation above 128 KiB (adapting up to 32 MiB) its own mapping, returned
on free. The Monte Carlo allocates and frees arrays of a few MiB thousands of times, so the
kernel maps and zeroes the same amount of memory again and again: about 0.6 s of the analysis's
8 s of CPU at province scale (benchmarks/RESULTS.md). `kept` raises both limits for the duration of a run, then
returns what is free and sets glibc's documented defaults again. Arrays of 32 MiB or more still
get their own mappings, so the largest ones never linger.

numpy also asks the kernel (madvise) to back each array of 4 MiB or more with 2 MiB pages. Where
the kernel then has to compact memory to find them (transparent huge pages on "madvise", as on
the machine of benchmarks/RESULTS.md), the first touch of a fresh 240 MB array took 0.22-0.40 s
against 0.10 s in 4 KiB pages, and the analysis's 4.26-4.64 s against 4.03-4.05 s in three
alternating runs each. `kept` turns that advice off for the run and back on after.
"""
from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

#: mallopt(3) parameters and the values of a run: allocations below MMAP_THRESHOLD come from the
#: heap, whose free top is returned to the kernel beyond TRIM_THRESHOLD and grown TOP_PAD at a time.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
RUN = {M_MMAP_THRESHOLD: 32 << 20, M_TRIM_THRESHOLD: 512 << 20, M_TOP_PAD: 64 << 20}
#: glibc's defaults (mallopt(3)); once set, the mapping threshold no longer adapts.
DEFAULTS = {M_MMAP_THRESHOLD: 128 << 10, M_TRIM_THRESHOLD: 128 << 10, M_TOP_PAD: 128 << 10}


def _glibc():
    """The C library if it is glibc (it has mallopt and malloc_trim), else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version  # glibc only: musl and others differ in mallopt's parameters
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (OSError, AttributeError, TypeError):
        return None


@contextmanager
def kept() -> Iterator[bool]:
    """Within the block, freed memory below 512 MiB stays with the process for reuse and numpy
    asks for no huge pages; yields whether the heap's setting applies (glibc). On leaving, free memory
    goes back to the kernel and glibc's defaults and numpy's advice are set again."""
    libc = _glibc()
    huge = _huge_pages(False)
    try:
        if libc is None:
            yield False
            return
        for param, value in RUN.items():
            libc.mallopt(param, value)
        try:
            yield True
        finally:
            for param, value in DEFAULTS.items():
                libc.mallopt(param, value)
            libc.malloc_trim(0)
    finally:
        _huge_pages(huge)


def _huge_pages(on: bool) -> bool:
    """Set whether numpy advises the kernel to back its large arrays with huge pages; return the
    setting before (True where numpy cannot say)."""
    setter = getattr(np._core.multiarray, "_set_madvise_hugepage", None)
    return True if setter is None else bool(setter(on))
