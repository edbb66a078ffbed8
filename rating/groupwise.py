"""Normalisation and imputation within groups, every column of a matrix in one pass.

The Monte Carlo normalises every data set it draws within every peer group and year (tens of
groups, a dozen columns). Calling `rating.normalise.normalise` once per group and column costs
more in Python than in arithmetic, so the methods whose statistics are sums, minima or maxima
(`zscore`, `minmax`) are computed here for all groups and columns at once: per-group sums of
every column in one `numpy.bincount` over (group, column) bins, minima and maxima in one
`reduceat` over the rows sorted by group (`Groups`). Element-wise methods (`goalposts`,
`scaled`, `none`) take the whole column; any other method falls back to the per-group loop.
A bin's sum adds its cells in row order, exactly as a per-column `bincount` does, so results do
not depend on how many columns are normalised together; they equal the per-group functions up
to float rounding (sums in another order), with the same rules for missing values and groups
without spread.
"""
from __future__ import annotations

import numpy as np

from rating.impute import impute as impute_values
from rating.normalise import normalise as normalise_values

#: Methods without any statistic of the data: one call for the whole column.
ELEMENTWISE = ("goalposts", "scaled", "none")
#: Methods computed here from per-group statistics of every column at once.
STATISTICAL = ("zscore", "minmax")


#: Masks whose per-group counts a `Groups` keeps (`Groups.counts`).
COUNTS_KEPT = 4


class Groups:
    """Group codes (0..G-1 per row) with what the column-wise statistics need, built once and
    reused for every matrix of the same rows: the rows sorted by group (stable) and where each
    group starts among them, and per number of columns the (column, group) bin of every cell.

    The statistics work on matrices held column by column (columns x rows, C order: each
    column of the data contiguous), where a per-column constant is a per-row scalar and numpy's
    loops run the length of a column rather than of a row of a dozen cells.

    Examples
    --------
    >>> g = Groups(np.array([1, 0, 1, 0, 0]))
    >>> g.size, g.order.tolist(), g.starts.tolist()
    (2, [1, 3, 4, 0, 2], [0, 3])
    >>> g.sums(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]))
    array([[11.,  4.]])
    """

    def __init__(self, codes: np.ndarray):
        self.codes = np.asarray(codes, dtype=np.int64)
        self.size = int(self.codes.max()) + 1 if self.codes.size else 0
        self.order = np.argsort(self.codes, kind="stable")
        sorted_codes = self.codes[self.order]
        self.starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]) if self.codes.size \
            else np.zeros(0, np.int64)
        self.present = sorted_codes[self.starts]  # the code of each run of sorted rows
        self._bins: dict[int, np.ndarray] = {}
        self._counts: list[tuple[np.ndarray, np.ndarray]] = []  # (mask, its counts), most recent last

    def bins(self, columns: int) -> np.ndarray:
        """Bin of each cell of a columns x rows matrix, in C order: column * G + group."""
        if columns not in self._bins:
            self._bins[columns] = (np.arange(columns)[:, None] * self.size + self.codes).reshape(-1)
        return self._bins[columns]

    def sums(self, Vt: np.ndarray) -> np.ndarray:
        """Per column and group (columns x G), the sum of `Vt` (columns x rows; 0 where a cell
        does not count), a bin's cells added in row order, as `numpy.bincount` adds a column's."""
        m = Vt.shape[0]
        return np.bincount(self.bins(m), np.ascontiguousarray(Vt).reshape(-1),
                           minlength=m * self.size).reshape(m, self.size)

    def counts(self, ok: np.ndarray) -> np.ndarray:
        """`sums` of the mask `ok` (columns x rows): the cells that count, per column and group.
        The Monte Carlo asks again and again for the same few masks (a drawn data set keeps the
        observed cells' pattern, and so does its imputation): a mask equal to one of the last
        `COUNTS_KEPT` is answered from them. The result is shared: never change it."""
        for mask, n in reversed(self._counts):  # a list kept whole by each append: safe across threads
            if mask.shape == ok.shape and np.array_equal(mask, ok):
                return n
        n = self.sums(ok.astype(float))
        self._counts = [*self._counts[-(COUNTS_KEPT - 1):], (ok.copy(), n)]
        return n

    def spread(self, stat: np.ndarray) -> np.ndarray:
        """A per column and group statistic (columns x G) at every cell (columns x rows)."""
        return np.take(np.ascontiguousarray(stat).reshape(-1), self.bins(stat.shape[0])).reshape(stat.shape[0], -1)

    def extreme(self, Vt: np.ndarray, ufunc) -> np.ndarray:
        """Per column and group (columns x G), `ufunc` (numpy.minimum or numpy.maximum) of `Vt`
        (columns x rows) over the group's rows (groups without rows: the identity, +inf or -inf)."""
        out = np.full((Vt.shape[0], self.size), np.inf if ufunc is np.minimum else -np.inf)
        if self.codes.size:
            out[:, self.present] = ufunc.reduceat(Vt[:, self.order], self.starts, axis=1)
        return out


def _as_groups(groups) -> Groups:
    return groups if isinstance(groups, Groups) else Groups(groups)


def _columns(X: np.ndarray) -> np.ndarray:
    """`X` (rows x columns) held column by column: columns x rows in C order (no copy when `X`
    is in Fortran order)."""
    return np.ascontiguousarray(np.asarray(X, dtype=float).T)


def _params(params: tuple, default: tuple[float, float]) -> tuple[float, float]:
    return tuple(float(p) for p in (tuple(params) + default[len(params):])[:2])


def _masked(V: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """`numpy.where(ok, V, 0.0)` for `keep` = -ok as int64 (all bits set where ok): one AND of
    the bits, a third of the cost of a masked selection."""
    return (np.ascontiguousarray(V).view(np.int64) & keep).view(np.float64)


def _zscore(Vt: np.ndarray, ok: np.ndarray, g: Groups, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """z-scores of the columns `Vt` (columns x rows, direction applied) within groups, times
    `hi` plus `lo` (per column, columns x 1); NaN in a group with fewer than two values or none spread."""
    keep = ok.astype(np.int64)
    np.negative(keep, out=keep)
    n = g.counts(ok)
    with np.errstate(all="ignore"):
        mean = g.sums(_masked(Vt, keep)) / n
        dev = Vt - g.spread(mean)
        sd = np.sqrt(g.sums(_masked(dev ** 2, keep)) / (n - 1))
        sd[(n < 2) | ~(sd > 0)] = np.nan  # no z-score: NaN in every cell of the group
        return dev / g.spread(sd) * hi + lo


def _minmax(Vt: np.ndarray, ok: np.ndarray, g: Groups, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Min-max scaling of the columns `Vt` (columns x rows, direction applied) within groups onto
    [`lower`, `upper`] (per column, columns x 1); NaN in a group without values or spread."""
    mn = g.extreme(np.where(ok, Vt, np.inf), np.minimum)
    mx = g.extreme(np.where(ok, Vt, -np.inf), np.maximum)
    with np.errstate(all="ignore"):
        return np.where(g.spread(mx > mn), (Vt - g.spread(mn)) / g.spread(mx - mn) * (upper - lower) + lower, np.nan)


def _statistical(Xt: np.ndarray, g: Groups, specs, direction) -> np.ndarray:
    """Columns `Xt` (columns x rows) normalised within groups by one method of `STATISTICAL`
    (each column its own parameters and direction), columns x rows."""
    method = specs[0][0]
    Vt = Xt * np.asarray(direction, dtype=float)[:, None]
    a, b = np.array([_params(p, (0.0, 1.0) if method == "zscore" else (0.0, 100.0)) for _, p in specs]).T
    return (_zscore if method == "zscore" else _minmax)(Vt, ~np.isnan(Vt), g, a[:, None], b[:, None])


def normalise_matrix(X: np.ndarray, groups, specs, direction) -> np.ndarray:
    """`rating.normalise.normalise` of each column j of `X` with `specs[j]` = (method, params)
    and `direction[j]`, within each group of `groups` (codes 0..G-1, or a `Groups`); the
    columns of one statistical method are normalised together. The result is in Fortran order
    (column by column; no copy when `X` is too).

    Examples
    --------
    >>> X = np.array([[1.0, 5.0], [2.0, 3.0], [3.0, 1.0], [4.0, np.nan]])
    >>> normalise_matrix(X, np.array([0, 0, 1, 1]), [("zscore", (50, 10)), ("minmax", ())], [1, -1])
    array([[ 42.92893219,   0.        ],
           [ 57.07106781, 100.        ],
           [ 42.92893219,          nan],
           [ 57.07106781,          nan]])
    """
    g = _as_groups(groups)
    Xt = _columns(X)
    methods = {m for m, _ in specs}
    if len(methods) == 1 and methods <= set(STATISTICAL):  # the usual case: no copy of columns
        return _statistical(Xt, g, specs, direction).T
    out = np.empty(Xt.shape)
    for method in STATISTICAL:
        cols = [j for j, (m, _) in enumerate(specs) if m == method]
        if cols:
            out[cols] = _statistical(Xt[cols], g, [specs[j] for j in cols], [direction[j] for j in cols])
    for j, (method, params) in enumerate(specs):
        if method in ELEMENTWISE:
            out[j] = normalise_values(Xt[j], method, params, int(direction[j]))
        elif method not in STATISTICAL:
            out[j] = np.nan
            for code in g.present:
                rows = g.codes == code
                out[j, rows] = normalise_values(Xt[j, rows], method, params, int(direction[j]))
    return out.T


def impute_groups(X: np.ndarray, groups, stat: str, applicable: np.ndarray) -> np.ndarray:
    """`X` with its missing applicable cells filled by the column's `stat` (mean or median)
    within each group (codes 0..G-1, or a `Groups`), as `rating.impute.impute` does group by
    group; the means of every column come from one pass. The result is in Fortran order.

    Examples
    --------
    >>> X = np.array([[1.0], [np.nan], [3.0], [np.nan]])
    >>> impute_groups(X, np.array([0, 0, 0, 1]), "mean", np.ones((4, 1), bool))[:, 0]
    array([ 1.,  2.,  3., nan])
    """
    g = _as_groups(groups)
    if stat != "mean":
        out = X.copy()
        for code in g.present:
            rows = g.codes == code
            out[rows] = np.where(applicable[rows], impute_values(X[rows], stat)[0], X[rows])
        return out
    Xt = _columns(X)
    ok = ~np.isnan(Xt)
    n = g.counts(ok)
    with np.errstate(all="ignore"):
        mean = np.where(n > 0, g.sums(np.where(ok, Xt, 0.0)) / n, np.nan)
    return np.where(~ok & np.asarray(applicable).T, g.spread(mean), Xt).T
