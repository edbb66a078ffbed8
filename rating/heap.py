"""Memory settings of a run: freed memory kept for reuse (`kept`: glibc's malloc; elsewhere
nothing changes), and no huge pages for the analysis (`small_pages`).

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
against 0.10 s in 4 KiB pages. The Monte Carlo, which fills such arrays once each, took 4.26-4.64 s
with the advice and 4.03-4.05 s without (three alternating runs each); the early warning, which
reads its arrays again and again, took 3.03-3.26 s with it and 3.27-3.38 s without. So
`small_pages` turns the advice off for the analysis alone (rating.uncertainty.uncertainty).
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
    """Within the block, freed memory below 512 MiB stays with the process for reuse; yields
    whether the setting applies (glibc). On leaving, free memory goes back to the kernel and
    glibc's defaults are set again."""
    libc = _glibc()
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


@contextmanager
def small_pages() -> Iterator[None]:
    """Within the block numpy asks the kernel for no huge pages (see the module's notes); on
    leaving, its advice is what it was."""
    before = _huge_pages(False)
    try:
        yield
    finally:
        _huge_pages(before)


def _huge_pages(on: bool) -> bool:
    """Set whether numpy advises the kernel to back its large arrays with huge pages; return the
    setting before (True where numpy cannot say)."""
    core = getattr(np, "_core", None) or np.core  # numpy 2, numpy 1
    setter = getattr(core.multiarray, "_set_madvise_hugepage", None)
    return True if setter is None else bool(setter(on))
