"""Normalisation and imputation within groups, one pass per column instead of one per group.

The Monte Carlo normalises every data set it draws within every peer group and year (tens of
groups). Calling `rating.normalise.normalise` once per group and column costs more in Python
than in arithmetic, so the methods whose statistics are sums, minima or maxima (`zscore`,
`minmax`) are computed here for all groups at once from per-group sums (`numpy.bincount`);
element-wise methods (`goalposts`, `scaled`, `none`) take the whole column; any other method falls
back to the per-group loop. Results equal the per-group functions up to float rounding (sums in
another order), with the same rules for missing values and groups without spread.
"""
from __future__ import annotations

import numpy as np

from rating.impute import impute as impute_values
from rating.normalise import normalise as normalise_values

#: Methods without any statistic of the data: one call for the whole column.
ELEMENTWISE = ("goalposts", "scaled", "none")


def normalise_column(x: np.ndarray, groups: np.ndarray, method: str, params: tuple, direction: int) -> np.ndarray:
    """`rating.normalise.normalise` of `x` within each group of `groups` (codes 0..G-1).

    Examples
    --------
    >>> x, g = np.array([1.0, 2.0, 3.0, 10.0, np.nan, 30.0]), np.array([0, 0, 0, 1, 1, 1])
    >>> normalise_column(x, g, "zscore", (50, 10), 1)
    array([40.        , 50.        , 60.        , 42.92893219,         nan, 57.07106781])
    >>> normalise_column(x, g, "minmax", (0, 100), -1)
    array([100.,  50.,   0., 100.,  nan,   0.])
    """
    if method in ELEMENTWISE:
        return normalise_values(x, method, params, direction)
    if method not in ("zscore", "minmax"):
        out = np.full(x.shape, np.nan)
        for g in np.unique(groups):
            rows = groups == g
            out[rows] = normalise_values(x[rows], method, params, direction)
        return out
    v = np.asarray(x, dtype=float) * direction
    ok = ~np.isnan(v)
    G = int(groups.max()) + 1 if groups.size else 0
    n = np.bincount(groups[ok], minlength=G).astype(float)
    with np.errstate(all="ignore"):
        if method == "zscore":
            lo, hi = (float(p) for p in (tuple(params) + (0.0, 1.0)[len(params):])[:2])
            mean = np.bincount(groups[ok], v[ok], minlength=G) / n
            dev = v - mean[groups]
            sd = np.sqrt(np.bincount(groups[ok], dev[ok] ** 2, minlength=G) / (n - 1))
            good = (n >= 2) & (sd > 0)
            return np.where(good[groups], dev / sd[groups] * hi + lo, np.nan)
        lower, upper = (float(p) for p in (tuple(params) + (0.0, 100.0)[len(params):])[:2])
        mn, mx = np.full(G, np.inf), np.full(G, -np.inf)
        np.minimum.at(mn, groups[ok], v[ok])
        np.maximum.at(mx, groups[ok], v[ok])
        good = (n >= 1) & (mx > mn)
        return np.where(good[groups], (v - mn[groups]) / (mx - mn)[groups] * (upper - lower) + lower, np.nan)


def impute_groups(X: np.ndarray, groups: np.ndarray, stat: str, applicable: np.ndarray) -> np.ndarray:
    """`X` with its missing applicable cells filled by the column's `stat` (mean or median)
    within each group (codes 0..G-1), as `rating.impute.impute` does group by group.

    Examples
    --------
    >>> X = np.array([[1.0], [np.nan], [3.0], [np.nan]])
    >>> impute_groups(X, np.array([0, 0, 0, 1]), "mean", np.ones((4, 1), bool))[:, 0]
    array([ 1.,  2.,  3., nan])
    """
    if stat != "mean":
        out = X.copy()
        for g in np.unique(groups):
            rows = groups == g
            out[rows] = np.where(applicable[rows], impute_values(X[rows], stat)[0], X[rows])
        return out
    G = int(groups.max()) + 1 if groups.size else 0
    out = X.copy()
    for j in range(X.shape[1]):
        ok = ~np.isnan(X[:, j])
        n = np.bincount(groups[ok], minlength=G)
        with np.errstate(all="ignore"):
            mean = np.where(n > 0, np.bincount(groups[ok], X[ok, j], minlength=G) / n, np.nan)
        out[:, j] = np.where(~ok & applicable[:, j], mean[groups], X[:, j])
    return out
