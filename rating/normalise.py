"""Normalisation methods: bring indicators with different units onto one scale.

Each method is a small function over a 1-D float array (NaN = missing) whose values are already
multiplied by the indicator's direction, as COINr does; NaN stays NaN. Parameters given in the
units of the data (goalposts, targets, fixed bounds) must be in the same direction-adjusted space:
`normalise` passes them through unchanged, exactly like COINr's `n_*` functions, and
`rating.coinr.indicator_params` maps raw-unit iMeta columns onto that space.

Notes
-----
Statistics (min, max, mean, sd, ranks) use the non-missing values only. A method that has no
spread to work with (constant column for min-max, z-score, distance to max) returns all NaN, as
COINr does, rather than inventing a value.
"""
from __future__ import annotations

import numpy as np

from indicators.errors import MethodError


def _nan_like(x: np.ndarray) -> np.ndarray:
    return np.full(x.shape, np.nan)


def _range(x: np.ndarray) -> tuple[float, float] | None:
    ok = x[~np.isnan(x)]
    if ok.size == 0:
        return None
    return float(ok.min()), float(ok.max())


def minmax(x: np.ndarray, lower: float = 0.0, upper: float = 100.0) -> np.ndarray:
    """`(x - min) / (max - min) * (upper - lower) + lower`; a constant column gives NaN.

    Examples
    --------
    >>> minmax(np.array([1.0, 2.0, np.nan, 5.0]))
    array([  0.,  25.,  nan, 100.])
    """
    r = _range(x)
    if r is None or r[0] == r[1]:
        return _nan_like(x)
    return (x - r[0]) / (r[1] - r[0]) * (upper - lower) + lower


def zscore(x: np.ndarray, mean: float = 0.0, sd: float = 1.0) -> np.ndarray:
    """`(x - mean(x)) / sd(x) * sd + mean` with the sample standard deviation (n - 1).

    Examples
    --------
    >>> zscore(np.array([1.0, 2.0, 3.0]), 10, 2)
    array([ 8., 10., 12.])
    """
    ok = x[~np.isnan(x)]
    if ok.size < 2:
        return _nan_like(x)
    s = ok.std(ddof=1)
    if s == 0:
        return _nan_like(x)
    return (x - ok.mean()) / s * sd + mean


def _rank_min(x: np.ndarray) -> np.ndarray:
    """Ascending ranks 1..n over non-missing values, ties get the lowest rank, NaN kept."""
    out = _nan_like(x)
    ok = ~np.isnan(x)
    srt = np.sort(x[ok])
    out[ok] = np.searchsorted(srt, x[ok], side="left") + 1
    return out


def rank(x: np.ndarray) -> np.ndarray:
    """Ascending rank (1 = lowest value, i.e. worst after direction), ties get the minimum rank.

    Examples
    --------
    >>> rank(np.array([3.0, 1.0, 3.0, np.nan]))
    array([ 2.,  1.,  2., nan])
    """
    return _rank_min(x)


def borda(x: np.ndarray) -> np.ndarray:
    """Borda score `rank(x) - 1` (0 = lowest).

    Examples
    --------
    >>> borda(np.array([3.0, 1.0, 3.0]))
    array([1., 0., 1.])
    """
    return _rank_min(x) - 1


def prank(x: np.ndarray) -> np.ndarray:
    """Percentile rank `(rank(x) - 1) / (n - 1)` in [0, 1], n = number of non-missing values.

    Examples
    --------
    >>> prank(np.array([10.0, 20.0, 20.0, 40.0, np.nan]))
    array([0.        , 0.33333333, 0.33333333, 1.        ,        nan])
    """
    n = int((~np.isnan(x)).sum())
    if n < 2:
        return _nan_like(x)
    return (_rank_min(x) - 1) / (n - 1)


def fracmax(x: np.ndarray) -> np.ndarray:
    """Fraction of the maximum `x / max(x)`; a zero maximum gives NaN.

    Examples
    --------
    >>> fracmax(np.array([1.0, 2.0, 4.0]))
    array([0.25, 0.5 , 1.  ])
    """
    r = _range(x)
    if r is None or r[1] == 0:
        return _nan_like(x)
    return x / r[1]


def dist2max(x: np.ndarray) -> np.ndarray:
    """Distance to the maximum `1 - (max - x) / (max - min)` (min-max onto [0, 1]).

    Examples
    --------
    >>> dist2max(np.array([0.0, 5.0, 10.0]))
    array([0. , 0.5, 1. ])
    """
    r = _range(x)
    if r is None or r[0] == r[1]:
        return _nan_like(x)
    return 1 - (r[1] - x) / (r[1] - r[0])


def dist2ref(x: np.ndarray, iref: float, cap_max: bool = False) -> np.ndarray:
    """Distance to a reference unit `1 - (x_ref - x) / (x_ref - min)`; `iref` is a 0-based
    position in `x`; with `cap_max` values above the reference score 1.

    Examples
    --------
    >>> dist2ref(np.array([0.0, 5.0, 10.0]), 1)
    array([0., 1., 2.])
    >>> dist2ref(np.array([0.0, 5.0, 10.0]), 1, cap_max=True)
    array([0., 1., 1.])
    """
    i = int(iref)
    if not 0 <= i < x.size or i != iref:
        raise MethodError(f"dist2ref: reference position {iref!r} is not a position in 0..{x.size - 1}")
    r = _range(x)
    ref = x[i]
    if r is None or np.isnan(ref) or ref == r[0]:
        return _nan_like(x)
    y = 1 - (ref - x) / (ref - r[0])
    return np.minimum(y, 1.0) if cap_max else y


def dist2targ(x: np.ndarray, target: float, cap_max: bool = False) -> np.ndarray:
    """Distance to a target `(x - min) / (target - min)`; with `cap_max` values beyond the
    target score 1. For a reversed indicator pass the target times -1 (COINr's `use_iMeta`).

    Examples
    --------
    >>> dist2targ(np.array([0.0, 5.0, 10.0]), 5.0)
    array([0., 1., 2.])
    >>> dist2targ(np.array([0.0, 5.0, 10.0]), 5.0, True)
    array([0., 1., 1.])
    """
    if target is None or np.isnan(target):
        raise MethodError("dist2targ: the target is missing (iMeta column `Target`)")
    r = _range(x)
    if r is None or target == r[0]:
        return _nan_like(x)
    y = (x - r[0]) / (target - r[0])
    return np.minimum(y, 1.0) if cap_max else y


def goalposts(x: np.ndarray, lower: float, upper: float, scale: float = 1.0, trunc: bool = True) -> np.ndarray:
    """Goalposts `(x - lower) / (upper - lower)`, clipped to [0, 1] when `trunc`, times `scale`.

    `lower` scores 0 and `upper` scores 1; both are in the direction-adjusted space of `x`.

    Examples
    --------
    >>> goalposts(np.array([10.0, 20.0, 52.5, 90.0]), 20, 85)
    array([0. , 0. , 0.5, 1. ])
    >>> goalposts(np.array([90.0]), 20, 85, 100, False)
    array([107.69230769])
    """
    if upper == lower:
        raise MethodError(f"goalposts: the lower and upper goalpost are equal ({lower!r})")
    y = (x - lower) / (upper - lower)
    if trunc:
        y = np.clip(y, 0.0, 1.0)
    return y * scale


def scaled(x: np.ndarray, lower: float = 0.0, upper: float = 100.0, factor: float = 100.0) -> np.ndarray:
    """Fixed-bound scaling `(x - lower) / (upper - lower) * factor` (no data-driven part, no clipping).

    Examples
    --------
    >>> scaled(np.array([0.0, 5.0, 10.0]), 0, 10)
    array([  0.,  50., 100.])
    """
    if upper == lower:
        raise MethodError(f"scaled: the lower and upper bound are equal ({lower!r})")
    return (x - lower) / (upper - lower) * factor


def none(x: np.ndarray) -> np.ndarray:
    """No normalisation: the (direction-adjusted) values pass through.

    Examples
    --------
    >>> none(np.array([1.0, np.nan]))
    array([ 1., nan])
    """
    return x.copy()


NORMALISERS = {
    "minmax": minmax,
    "zscore": zscore,
    "rank": rank,
    "prank": prank,
    "borda": borda,
    "fracmax": fracmax,
    "dist2max": dist2max,
    "dist2ref": dist2ref,
    "dist2targ": dist2targ,
    "goalposts": goalposts,
    "scaled": scaled,
    "none": none,
}


def normalise(x: np.ndarray, method: str = "minmax", params: tuple = (), direction: int = 1) -> np.ndarray:
    """Multiply by `direction` (+1/-1), then apply the named method with positional `params`.

    Parameters
    ----------
    x : numpy.ndarray
        1-D raw values, NaN = missing.
    method : str
        A key of `NORMALISERS`.
    params : tuple
        Positional parameters of the method, in direction-adjusted space.
    direction : int
        +1 if a higher raw value is better, -1 if worse.

    Returns
    -------
    numpy.ndarray
        Normalised values, same length; NaN where `x` is NaN.

    Notes
    -----
    Missing values stay missing and are ignored by the statistics of the method.

    Examples
    --------
    >>> normalise(np.array([1.0, 3.0, 2.0]), "minmax", (0, 100), direction=-1)
    array([100.,   0.,  50.])
    >>> normalise(np.array([1.0, 3.0, 2.0]), "rank")
    array([1., 3., 2.])
    """
    try:
        f = NORMALISERS[method]
    except KeyError:
        raise MethodError(f"unknown normalisation method {method!r}; expected one of {sorted(NORMALISERS)}") from None
    if direction not in (1, -1):
        raise MethodError(f"direction must be 1 or -1, got {direction!r}")
    try:
        return f(np.asarray(x, dtype=float) * direction, *params)
    except TypeError as e:
        raise MethodError(f"normalisation {method!r} got unsuitable parameters {params!r}: {e}") from None
