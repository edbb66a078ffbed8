"""Ranks of scores: 1 = best (highest), ties share the lowest rank ("min", competition ranking);
`rank_matrix` ranks many replications at once (with tied bands), `rank_rows` ranks them into rows
of a result as they come, `quantiles` summarises them.

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


def missing(dtype):
    """The mark of an unranked cell in a rank matrix of `dtype`: NaN for a float type, the largest
    value for an integer one (sorted last either way; an integer type holds ranks in less memory).

    Examples
    --------
    >>> missing(np.float32), missing(np.int16)
    (nan, 32767)
    """
    dtype = np.dtype(dtype)
    return float("nan") if dtype.kind == "f" else int(np.iinfo(dtype).max)


def unranked(R: np.ndarray) -> np.ndarray:
    """Where a rank matrix (or part of one) holds no rank (`missing`)."""
    return np.isnan(R) if R.dtype.kind == "f" else R == missing(R.dtype)


def rank_dtype(groups: np.ndarray):
    """The smallest integer type that holds every rank within `groups` (negative: not ranked) and
    the `missing` mark: int16 below 32,767 units in a group, else int32.

    Examples
    --------
    >>> rank_dtype(np.array([0, 0, 1, -1])).__name__
    'int16'
    """
    g = np.asarray(groups)
    largest = int(np.bincount(g[g >= 0]).max()) if (g >= 0).any() else 0
    return np.int16 if largest < np.iinfo(np.int16).max else np.int32


#: Low bits of a float64 that are zero in scores kept to 40 significant bits (as the Monte Carlo
#: evaluation rounds them): the ranking drops them to pack a score and its column in one int64.
_LOW = 13
#: Cells (rows x columns of one peer group) ranked at a time, so that a block stays in the cache.
_CELLS = 1 << 16


def rank_matrix(scores: np.ndarray, groups: np.ndarray, ties: str = "min", dtype=np.float64):
    """Ranks (1 = best, NaN kept) of each row of `scores` (replications x units) within the
    column groups `groups`, vectorised over the replications; columns of a negative group are
    not ranked (NaN). `ties`: "min" (tied scores share the first of their positions), "max" (the
    last), or "both" (a pair: the band of positions tied scores occupy). `dtype` of the result:
    a float type (float32 holds ranks exactly, in half the memory), or an integer type that holds
    them (`rank_dtype`), unranked cells then `missing`.

    Examples
    --------
    >>> rank_matrix(np.array([[3.0, 1.0, 3.0, np.nan], [0.0, 2.0, 1.0, 5.0]]), np.zeros(4, int))
    array([[ 1.,  3.,  1., nan],
           [ 4.,  2.,  3.,  1.]])
    >>> rank_matrix(np.array([[3.0, 1.0, 3.0]]), np.array([0, -1, 0]), ties="max")
    array([[ 2., nan,  2.]])
    """
    if ties not in ("min", "max", "both"):
        raise ValueError(f"ties: expected min, max or both, got {ties!r}")
    scores = np.asarray(scores, dtype=float)
    res = {t: np.full(scores.shape, missing(dtype), dtype=dtype) for t in (("min", "max") if ties == "both" else (ties,))}
    rank_rows(res, np.arange(scores.shape[0]), scores, groups)
    return (res["min"], res["max"]) if ties == "both" else res[ties]


def rank_rows(out: dict, rows: np.ndarray, scores: np.ndarray, groups: np.ndarray, serial: bool = False,
              ties: list | None = None, gather: bool = False) -> None:
    """`rank_matrix` of `scores` (len(rows) x units) written into the rows `rows` of the arrays
    in `out` ("min" and/or "max": C-ordered, units wide), so that a caller can rank replications
    as they are evaluated; columns of a negative group are not written. Each peer group is ranked
    a block of rows at a time (`_sorted`), on up to `THREADS` threads unless `serial`. With
    `gather`, `scores` is as tall as the results and the rows `rows` of it are ranked: a caller
    that keeps the scores need not stack the rows it ranks into a copy first.

    With a list `ties`, the "max" ranks of the few cells whose tie band is wider than one are
    appended to it instead, as pairs (flat positions in `out`'s arrays, ranks): a caller that
    needs the band's last position only where it differs from the first need not hold a second
    matrix (`tie_ends`)."""
    if not all(r.flags.c_contiguous and r.ndim == 2 and r.shape[1] == scores.shape[1] for r in out.values()):
        raise ValueError("rank_rows: the results must be C-ordered matrices as wide as the scores")
    groups = np.asarray(groups)
    perm = np.argsort(groups, kind="stable")  # groups side by side: each is a slice
    gs = groups[perm]
    bounds = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1], True])
    base = np.asarray(rows, dtype=np.int64) * scores.shape[1]  # flat position of each row's first unit
    dtype = next(iter(out.values())).dtype
    gap = missing(dtype)  # an unranked cell; for an integer type also above every rank
    top = np.inf if dtype.kind == "f" else gap

    at = np.asarray(rows, dtype=np.int64)[:, None] if gather else None

    def block(cols: np.ndarray, lo: int, hi: int) -> None:
        x = scores[at[lo:hi], cols] if gather else scores[lo:hi, cols]  # a copy
        nan = np.isnan(x)
        has_nan = bool(nan.any())
        order, val = _sorted(x, nan, has_nan)
        tie = val[:, 1:] == val[:, :-1]  # ties take the rank of their first (min) or last (max)
        rows = tie.any(axis=1)  # rare: only rows with a tie pay for it
        pos = np.arange(1, cols.size + 1, dtype=dtype)
        first = np.broadcast_to(pos, x.shape)
        if has_nan:  # sorted last: no rank
            first = np.where(pos <= (cols.size - nan.sum(axis=1))[:, None], pos, gap).astype(dtype, copy=False)
        dest = cols[order]
        dest += base[lo:hi, None]  # flat positions in the result
        if ties is not None and rows.any():
            _log_ties(ties, tie[rows], first[rows], dest[rows], pos, top)
        for t, res in out.items():
            p = first
            if rows.any():
                p, tr, no = first.copy(), tie[rows], np.zeros((int(rows.sum()), 1), bool)
                if t == "min":
                    acc = np.maximum.accumulate(np.where(np.c_[no, tr], 0, pos), axis=1)
                else:
                    acc = np.minimum.accumulate(np.where(np.c_[tr, no], top, pos)[:, ::-1], axis=1)[:, ::-1]
                p[rows] = np.where(unranked(first[rows]), gap, acc)
            res.reshape(-1)[dest.reshape(-1)] = p.reshape(-1)

    n, tasks = len(rows), []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if gs[a] < 0:
            continue
        step = max(1, _CELLS // int(b - a))
        tasks += [(perm[a:b], lo, min(lo + step, n)) for lo in range(0, n, step)]
    if serial:
        for task in tasks:
            block(*task)
    else:
        threaded(block, tasks)


def _log_ties(ties: list, tie: np.ndarray, first: np.ndarray, dest: np.ndarray, pos: np.ndarray, top) -> None:
    """Append (positions, last ranks) of the cells of rows with a tie whose band is wider than one;
    `tie[:, j]`: sorted positions j and j + 1 are equal, `first`: the ranks without ties (`missing`:
    none); `top`: a value above every rank of `pos`'s type."""
    no = np.zeros((tie.shape[0], 1), bool)
    low = np.maximum.accumulate(np.where(np.c_[no, tie], 0, pos), axis=1)
    high = np.minimum.accumulate(np.where(np.c_[tie, no], top, pos)[:, ::-1], axis=1)[:, ::-1]
    wide = (high > low) & ~unranked(first)
    ties.append((dest[wide], high[wide].astype(pos.dtype)))


def tie_ends(R: np.ndarray, ties: list) -> tuple[np.ndarray, np.ndarray]:
    """The columns of `R` (the "min" ranks `rank_rows` wrote) where some cell's tie band is wider
    than one, and those columns of the "max" ranks: `R`'s with the logged `ties` put in.

    Examples
    --------
    >>> R, ties = np.full((2, 3), np.nan, np.float32), []
    >>> rank_rows({"min": R}, np.arange(2), np.array([[5.0, 5.0, 1.0], [3.0, 2.0, 1.0]]), np.zeros(3, int), ties=ties)
    >>> cols, high = tie_ends(R, ties)
    >>> R.tolist(), cols.tolist(), high.tolist()
    ([[1.0, 1.0, 3.0], [1.0, 2.0, 3.0]], [0, 1], [[2.0, 2.0], [1.0, 2.0]])
    """
    n = R.shape[1]
    at = np.concatenate([a for a, _ in ties]) if ties else np.zeros(0, np.int64)
    val = np.concatenate([v for _, v in ties]) if ties else np.zeros(0, R.dtype)
    cols = np.unique(at % n)
    high = R[:, cols]
    high[at // n, np.searchsorted(cols, at % n)] = val
    return cols, high


def _sorted(x: np.ndarray, nan: np.ndarray, has_nan: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `x` (overwritten), its columns from the highest score to the lowest, NaN last,
    and per sorted position a value that is equal exactly where the scores are (NaN: unequal).

    Scores with their `_LOW` lowest bits zero are packed into one int64 per cell, the score's
    order above and its column below: one sort of integers gives both the order and the tie
    runs, at about half the cost of an argsort and a gather. Other scores, or a group too
    wide for the packed keys, take the argsort; both give the same ranks."""
    m = x.shape[1]
    ok = ~nan if has_nan else True
    if has_nan and nan.all():
        return np.broadcast_to(np.arange(m), x.shape), np.full(x.shape, np.nan)
    bits = max(1, (m - 1).bit_length())  # of a column
    if not (x.view(np.int64) & ((1 << _LOW) - 1)).any(where=ok):
        key = x.view(np.int64) >> _LOW
        if key.min(where=ok, initial=0) < 0:  # negative scores (or -0.0): order the two's complement
            x += 0.0  # -0.0 equals 0.0
            np.right_shift(x.view(np.int64), _LOW, out=key)
            key ^= (key >> 63) & ((1 << (63 - _LOW)) - 1)
        lo = int(key.min(where=ok, initial=np.iinfo(np.int64).max))
        hi = int(key.max(where=ok, initial=np.iinfo(np.int64).min))
        if (hi - lo + 1 + m).bit_length() + bits <= 63:
            np.subtract(hi, key, out=key)  # highest first, from 0
            if has_nan:  # last, each its own value
                np.copyto(key, hi - lo + 1 + np.arange(m), where=nan)
            key <<= bits
            key |= np.arange(m)
            key.sort(axis=1)
            order = key & ((1 << bits) - 1)
            key >>= bits
            return order, key
    np.negative(x, out=x)
    order = np.argsort(x, axis=1)  # NaN last
    return order, np.take_along_axis(x, order, axis=1)


def quantiles(M: np.ndarray, qs, block: int = 64, at_least=None):
    """Order-statistic quantiles (inverted CDF) over axis 0 ignoring NaN (in an integer rank
    matrix, its `missing` mark); NaN for an empty column (float64 for an integer matrix).
    Columns are sorted `block` at a time as rows of a transposed copy (a strided sort down each
    column of a wide matrix costs twice as much), on up to `THREADS` threads. With thresholds
    `at_least`, also the count of each column's values >= each threshold (thresholds x columns;
    -inf counts the values present), from the same sorted blocks: no further pass over `M`.

    Examples
    --------
    >>> quantiles(np.array([[1.0, np.nan], [2.0, 4.0], [3.0, np.nan]]), [0.05, 0.5, 0.95])
    array([[1., 4.],
           [2., 4.],
           [3., 4.]])
    >>> quantiles(np.array([[1.0, np.nan], [2.0, 4.0]]), [0.5], at_least=[-np.inf, 2.0])[1]
    array([[2, 1],
           [1, 1]])
    """
    qs, n = np.asarray(qs, dtype=float), M.shape[0]
    thresholds = np.asarray([] if at_least is None else at_least, dtype=float)  # compared in float64
    out = np.full((qs.size, M.shape[1]), np.nan, dtype=M.dtype if n and M.dtype.kind == "f" else float)
    integer = M.dtype.kind != "f"  # an integer rank matrix: `missing` (its largest value) sorts last
    counts = np.zeros((thresholds.size, M.shape[1]), dtype=np.int64)

    def columns(lo: int) -> None:
        srt = M[:, lo:lo + block].T.copy()
        srt.sort(axis=1, kind="stable" if integer else None)  # NaN (`missing`) last; integers: radix
        no = unranked(srt)
        n_ok = n - no.sum(axis=1)
        idx = np.clip(np.ceil(np.outer(qs, n_ok) - 1e-9).astype(np.int64) - 1, 0, n - 1)
        out[:, lo:lo + block] = np.where(n_ok > 0, np.take_along_axis(srt, idx.T, axis=1).T, np.nan)
        for i, t in enumerate(thresholds):
            counts[i, lo:lo + block] = ((srt >= t) & ~no if integer else srt >= t).sum(axis=1)

    if n:
        threaded(columns, [(lo,) for lo in range(0, M.shape[1], block)])
    return out if at_least is None else (out, counts)
