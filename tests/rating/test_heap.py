"""Freed memory kept for reuse during a run (rating.heap)."""
from __future__ import annotations

import resource

import numpy as np

from rating import heap


def _faults_of_a_second_allocation(nbytes: int) -> int:
    """Minor page faults of allocating and filling `nbytes` right after the same was freed."""
    a = np.ones(nbytes // 8)
    del a
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    b = np.ones(nbytes // 8)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del b
    return faults


def test_freed_memory_is_reused_within_a_run_and_returned_after_it():
    size = 3 << 20  # below numpy's huge-page size: each 4 KiB page faults once when fresh
    with heap.kept() as applied:
        inside = _faults_of_a_second_allocation(size)
    after = _faults_of_a_second_allocation(size)
    if not applied:  # not glibc: nothing changes
        assert heap._glibc() is None
        return
    assert inside < 64  # the freed pages came back without the kernel mapping them again
    assert after > (size >> 12) // 2  # the defaults again: a fresh mapping, every page faulted
