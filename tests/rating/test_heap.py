"""Freed memory kept for reuse during a run, and returned after it (rating.heap)."""
from __future__ import annotations

import os

import numpy as np
import pytest

from rating import heap

MIB = 1 << 20


def _rss() -> int:
    """Resident bytes of this process (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_freed_memory_stays_for_reuse_within_a_run_and_goes_back_after_it():
    size = 16 * 8 * MIB  # blocks of 8 MiB each: the Monte Carlo's sizes
    with heap.kept() as applied:
        blocks = [np.ones(MIB) for _ in range(16)]
        peak = _rss()
        del blocks
        held = _rss()
    released = _rss()
    if not applied:  # not glibc: nothing changes
        assert heap._glibc() is None
        return
    assert peak - held < size // 8  # freed, still the process's: the next arrays reuse it unfaulted
    assert held - released > size * 3 // 4  # after the run it is the kernel's again


def test_numpy_asks_for_no_huge_pages_within_the_analysis_and_as_before_after_it(monkeypatch):
    import rating.uncertainty as U
    get = np._core.multiarray._get_madvise_hugepage
    start, seen = get(), []
    try:
        for before in (True, False):
            heap._huge_pages(before)
            with pytest.raises(KeyError):
                with heap.small_pages():
                    seen.append(get())
                    raise KeyError("an analysis that fails")
            assert get() is before
        assert seen == [False, False]
        evaluate = U.evaluate
        monkeypatch.setattr(U, "evaluate", lambda *a, **k: seen.append(get()) or evaluate(*a, **k))
        heap._huge_pages(True)
        U.uncertainty(U.demo_experiment(U.Assumptions(impute=True)), replications=20, seed=1)
        assert seen[2:] and not any(seen[2:]) and get() is True  # off while it evaluates, on again after
    finally:
        heap._huge_pages(start)
