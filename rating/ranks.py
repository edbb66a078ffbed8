"""Ranks of scores: 1 = best (highest), ties share the lowest rank ("min", competition ranking);
`rank_matrix` ranks many replications at once (with tied bands), `quantiles` summarises them.

Notes
-----
Missing scores keep a missing rank and are not counted (R's `rank(-x, ties.method = "min",
na.last = "keep")`, as COINr's `rank_df` does). Ties are exact float equality; round the scores
first to rank on published precision.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl


def rank(scores: np.ndarray, descending: bool = True) -> np.ndarray:
    """Competition ranks of `scores` as floats (NaN where the score is missing).

    Parameters
    ----------
    scores : numpy.ndarray
        1-D scores, NaN = missing.
    descending : bool
        True (default): the highest score ranks 1. False: the lowest ranks 1.

    Returns
    -------
    numpy.ndarray
        Ranks 1..n over the non-missing scores; tied scores share the lowest rank.

    Examples
    --------
    >>> rank(np.array([0.5, 0.9, 0.5, np.nan, 0.1]))
    array([ 2.,  1.,  2., nan,  4.])
    >>> rank(np.array([3.0, 1.0, 2.0]), descending=False)
    array([3., 1., 2.])
    """
    x = np.asarray(scores, dtype=float)
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    v = -x[ok] if descending else x[ok]
    out[ok] = np.searchsorted(np.sort(v), v, side="left") + 1
    return out


def rank_series(scores: np.ndarray, name: str = "rank") -> pl.Series:
    """`rank` as a nullable `Int64` polars Series (null where the score is missing).

    Examples
    --------
    >>> rank_series(np.array([2.0, np.nan, 5.0])).to_list()
    [2, None, 1]
    """
    r = rank(scores)
    return pl.Series(name, [None if np.isnan(v) else int(v) for v in r], dtype=pl.Int64)


#: Threads of the ranking and of the Monte Carlo evaluation (the machine's cores, at most 2):
#: sorting and the array work release the GIL; each thread ranks its own peer groups, or
#: evaluates its own data sets.
THREADS = min(2, os.cpu_count() or 1)


def threaded(fn, tasks: list[tuple]) -> None:
    """`fn(*task)` for every task, on up to `THREADS` threads; the first error is raised."""
    if THREADS < 2 or len(tasks) < 2:
        for task in tasks:
            fn(*task)
        return
    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(fn, *task) for task in tasks]:
            future.result()


def rank_matrix(scores: np.ndarray, groups: np.ndarray, ties: str = "min", dtype=np.float64):
    """Ranks (1 = best, NaN kept) of each row of `scores` (replications x units) within the
    column groups `groups`, vectorised over the replications. `ties`: "min" (tied scores share
    the first of their positions), "max" (the last), or "both" (a pair: the band of positions
    tied scores occupy). `dtype` of the result (float32 holds ranks exactly, in half the memory).

    Examples
    --------
    >>> rank_matrix(np.array([[3.0, 1.0, 3.0, np.nan], [0.0, 2.0, 1.0, 5.0]]), np.zeros(4, int))
    array([[ 1.,  3.,  1., nan],
           [ 4.,  2.,  3.,  1.]])
    >>> rank_matrix(np.array([[3.0, 1.0, 3.0]]), np.zeros(3, int), ties="max")
    array([[2., 3., 2.]])
    """
    if ties not in ("min", "max", "both"):
        raise ValueError(f"ties: expected min, max or both, got {ties!r}")
    perm = np.argsort(groups, kind="stable")  # groups side by side: each is a slice
    gs = groups[perm]
    bounds = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1], True])
    res = {t: np.empty(scores.shape, dtype=dtype) for t in (("min", "max") if ties == "both" else (ties,))}

    def group(cols: np.ndarray) -> None:
        s = -scores[:, cols]
        nan = np.isnan(s)
        if has_nan := bool(nan.any()):
            s[nan] = np.inf  # last, as NaN would be, and the sort keeps its fast path
        order = np.argsort(s, axis=1)
        srt = np.take_along_axis(s, order, axis=1)
        tie = srt[:, 1:] == srt[:, :-1]  # ties take the rank of their first (min) or last (max)
        pos = np.broadcast_to(np.arange(1.0, cols.size + 1), srt.shape)
        no = np.zeros((len(srt), 1), bool)
        for t, out in res.items():
            p = pos
            if tie.any() and t == "min":
                p = np.maximum.accumulate(np.where(np.c_[no, tie], 0, pos), axis=1)
            elif tie.any():
                p = np.minimum.accumulate(np.where(np.c_[tie, no], np.inf, pos)[:, ::-1], axis=1)[:, ::-1]
            part = np.empty(s.shape)
            np.put_along_axis(part, order, p, axis=1)
            if has_nan:
                part[nan] = np.nan
            out[:, cols] = part

    threaded(group, [(perm[lo:hi],) for lo, hi in zip(bounds[:-1], bounds[1:])])
    return (res["min"], res["max"]) if ties == "both" else res[ties]


def quantiles(M: np.ndarray, qs) -> np.ndarray:
    """Order-statistic quantiles (inverted CDF) over axis 0 ignoring NaN; NaN for an empty column.

    Examples
    --------
    >>> quantiles(np.array([[1.0, np.nan], [2.0, 4.0], [3.0, np.nan]]), [0.05, 0.5, 0.95])
    array([[1., 4.],
           [2., 4.],
           [3., 4.]])
    """
    n_ok = (~np.isnan(M)).sum(axis=0)
    srt = np.sort(M, axis=0)
    idx = np.clip(np.ceil(np.outer(qs, n_ok) - 1e-9).astype(np.int64) - 1, 0, max(M.shape[0] - 1, 0))
    out = np.take_along_axis(srt, idx, axis=0) if M.shape[0] else np.full(idx.shape, np.nan)
    out[:, n_ok == 0] = np.nan
    return out
