"""Ranks of scores: 1 = best (highest), ties share the lowest rank ("min", competition ranking).

Notes
-----
Missing scores keep a missing rank and are not counted (R's `rank(-x, ties.method = "min",
na.last = "keep")`, as COINr's `rank_df` does). Ties are exact float equality; round the scores
first to rank on published precision.
"""
from __future__ import annotations

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
