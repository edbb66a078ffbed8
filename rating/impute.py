"""Imputation of missing indicator values, with every imputed cell flagged.

Methods: `none`; column `mean` / `median` (COINr `i_mean`, `i_median`); `group-mean` /
`group-median` within a unit-group column such as region or level (`i_mean_grp`,
`i_median_grp`); and over time per unit: `locf` (last observation carried forward) and `linear`
interpolation between observations (`impute_panel`).

Notes
-----
Every function returns `(X_imputed, imputed)` where `imputed` is a bool mask of the cells that
were filled. A cell stays missing when nothing can fill it: a column (or group, or unit history)
without any observed value, a unit whose group label is missing, or, over time, a gap before the
first observation (and, for `linear`, after the last one).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from indicators.errors import MethodError
from rating.methods import Method, Param, Registry


def _fill(X: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fill NaN cells of X with `values` (same shape), flagging the cells actually filled."""
    out = np.where(np.isnan(X), values, X)
    return out, np.isnan(X) & ~np.isnan(out)


def _stat(X: np.ndarray, stat: str) -> np.ndarray:
    if stat not in ("mean", "median"):
        raise MethodError(f"imputation statistic {stat!r}: expected 'mean' or 'median'")
    out = np.full(X.shape[1], np.nan)
    for j in range(X.shape[1]):
        v = X[~np.isnan(X[:, j]), j]
        if v.size:
            out[j] = v.mean() if stat == "mean" else np.median(v)
    return out


def impute_column(X: np.ndarray, stat: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """Fill each column's missing cells with the column mean or median.

    Examples
    --------
    >>> X = np.array([[1.0, np.nan], [3.0, 4.0], [np.nan, 6.0], [8.0, np.nan]])
    >>> Xi, flags = impute_column(X)
    >>> Xi[:, 0], flags[:, 1]
    (array([1., 3., 4., 8.]), array([ True, False, False,  True]))
    >>> impute_column(X, "median")[0][2, 0]
    np.float64(3.0)
    """
    X = np.asarray(X, float)
    return _fill(X, np.broadcast_to(_stat(X, stat), X.shape))


def impute_group(X: np.ndarray, groups, stat: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """Fill missing cells with the mean or median of the unit's group (e.g. region) in that column.

    Examples
    --------
    >>> X = np.array([[1.0], [3.0], [np.nan], [10.0], [np.nan], [np.nan]])
    >>> Xi, flags = impute_group(X, ["a", "a", "a", "b", "b", None])
    >>> Xi[:, 0]
    array([ 1.,  3.,  2., 10., 10., nan])
    >>> flags[:, 0].tolist()
    [False, False, True, False, True, False]
    """
    X = np.asarray(X, float)
    g = np.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in groups], dtype=object)
    if g.size != X.shape[0]:
        raise MethodError(f"group imputation: {g.size} group labels for {X.shape[0]} units")
    values = np.full(X.shape, np.nan)
    for label in {v for v in g if v is not None}:
        rows = g == label
        values[rows] = _stat(X[rows], stat)
    return _fill(X, values)


def impute_panel(X: np.ndarray, units, times, method: str = "locf") -> tuple[np.ndarray, np.ndarray]:
    """Fill missing cells from the same unit's other time points: `locf` carries the latest earlier
    observation forward, `linear` interpolates linearly between the nearest earlier and later ones.

    Examples
    --------
    >>> X = np.array([[1.0], [np.nan], [3.0], [np.nan], [np.nan], [5.0]])
    >>> units = ["a", "a", "a", "a", "b", "b"]
    >>> times = [2019, 2020, 2022, 2023, 2019, 2020]
    >>> impute_panel(X, units, times, "linear")[0][:, 0].round(4).tolist()
    [1.0, 1.6667, 3.0, nan, nan, 5.0]
    >>> impute_panel(X, units, times, "locf")[0][:, 0]
    array([ 1.,  1.,  3.,  3., nan,  5.])
    """
    if method not in ("locf", "linear"):
        raise MethodError(f"panel imputation {method!r}: expected 'locf' or 'linear'")
    X = np.asarray(X, float)
    u = np.asarray([str(v) for v in units], dtype=object)
    t = np.asarray(times, dtype=float)
    if u.size != X.shape[0] or t.size != X.shape[0]:
        raise MethodError("panel imputation: units and times must have one entry per row of X")
    values = np.full(X.shape, np.nan)
    for label in np.unique(u):
        rows = np.flatnonzero(u == label)
        rows = rows[np.argsort(t[rows], kind="stable")]
        tt = t[rows]
        for j in range(X.shape[1]):
            v = X[rows, j]
            ok = ~np.isnan(v)
            if not ok.any():
                continue
            if method == "locf":
                last = np.maximum.accumulate(np.where(ok, np.arange(v.size), -1))
                values[rows, j] = np.where(last >= 0, v[np.maximum(last, 0)], np.nan)
            else:
                inside = (tt >= tt[ok].min()) & (tt <= tt[ok].max())
                values[rows, j] = np.where(inside, np.interp(tt, tt[ok], v[ok]), np.nan)
    return _fill(X, values)


def no_imputation(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """No imputation: missing cells stay missing."""
    X = np.asarray(X, float)
    return X.copy(), np.zeros(X.shape, bool)


_GROUP = (Param("col", str),)  # the unit-group column, read by the caller to give the groups
#: The imputation methods. The function's data arguments say what it needs: the matrix (1), plus
#: each unit's group (2), or each row's unit and time point (3).
IMPUTERS = Registry("imputation", [
    Method("none", no_imputation, ("不填补", "none"),
           ("缺失值不填补，按缺失处理（该子项不参与汇总）。",
            "Missing values are not filled: they stay missing and are left out of the aggregation."), params=()),
    Method("mean", partial(impute_column, stat="mean"), ("均值填补", "mean"),
           ("缺失值以一同比较的单位该指标的均值填补。",
            "A missing value is filled with the indicator's mean over the units compared together."), params=()),
    Method("median", partial(impute_column, stat="median"), ("中位数填补", "median"),
           ("缺失值以一同比较的单位该指标的中位数填补。",
            "A missing value is filled with the indicator's median over the units compared together."), params=()),
    Method("group-mean", partial(impute_group, stat="mean"), ("组内均值填补", "group mean"),
           ("缺失值以同组单位该指标的均值填补。", "A missing value is filled with the mean of the unit's group."),
           data_args=2, params=_GROUP),
    Method("group-median", partial(impute_group, stat="median"), ("组内中位数填补", "group median"),
           ("缺失值以同组单位该指标的中位数填补。", "A missing value is filled with the median of the unit's group."),
           data_args=2, params=_GROUP),
    Method("locf", partial(impute_panel, method="locf"), ("沿用上期值", "last value carried forward"),
           ("缺失值沿用该单位上一期的值。", "A missing value carries the unit's previous time point forward."),
           data_args=3, params=()),
    Method("linear", partial(impute_panel, method="linear"), ("线性插值", "linear interpolation"),
           ("缺失值按该单位前后两期线性插值。", "A missing value is interpolated between the unit's time points."),
           data_args=3, params=()),
])


def impute(X: np.ndarray, method: str = "none", *, groups=None, units=None,
           times=None) -> tuple[np.ndarray, np.ndarray]:
    """Impute with a method of `IMPUTERS` (see the module docstring); `groups` is needed by the
    group methods, `units` and `times` by `locf` and `linear`.

    Examples
    --------
    >>> X = np.array([[1.0], [np.nan], [5.0]])
    >>> impute(X, "mean")[0][:, 0]
    array([1., 3., 5.])
    >>> impute(X, "none")[1].any()
    np.False_
    """
    m = IMPUTERS.lookup(method)
    X = np.asarray(X, float)
    if m.data_args == 2:
        if groups is None:
            raise MethodError(f"{method} imputation needs a unit-group column, e.g. {method}:region")
        return m.function(X, groups)
    if m.data_args == 3:
        if units is None or times is None:
            raise MethodError(f"{method} imputation needs units and time points (iData column `Time`)")
        return m.function(X, units, times)
    return m.function(X)
