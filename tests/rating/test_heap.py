"""Freed memory kept for reuse during a run, and returned after it (rating.heap)."""
from __future__ import annotations

import os

import numpy as np

from rating import heap

MIB = 1 << 20


def _rss() -> int:
    """Resident bytes of this process (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_freed_memory_stays_for_reuse_within_a_run_and_goes_back_after_it():
    with heap.kept() as applied:
        base = _rss()
        blocks = [np.ones(MIB) for _ in range(8)]  # 8 MiB each: the Monte Carlo's sizes
        del blocks
        held = _rss() - base
    released = _rss() - base
    if not applied:  # not glibc: nothing changes
        assert heap._glibc() is None
        return
    assert held > 48 * MIB  # freed, still the process's: the next arrays reuse it unfaulted
    assert released < 16 * MIB  # after the run it is the kernel's again
