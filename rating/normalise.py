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
from rating.methods import Method, Registry


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


NORMALISERS = Registry("normalisation", [
    Method("minmax", minmax, ("最小-最大标准化", "min-max"),
           ("(x − 最小值) / (最大值 − 最小值)，线性换算到L–U（默认0–100），最小值和最大值取自一同比较的单位；逆向指标先取反。",
            "(x − min) / (max − min), scaled onto L–U (default 0–100) with the minimum and maximum of the units "
            "compared together; indicators where lower is better are reversed first.")),
    Method("zscore", zscore, ("标准分数", "z-score"),
           ("标准分数：(x − 均值) / 标准差 × S + M（默认M为0、S为1）。",
            "Standard score: (x − mean) / standard deviation × S + M (by default M = 0 and S = 1).")),
    Method("rank", rank, ("排名", "rank"),
           ("按数值由低到高排名（1为最差），并列取最小名次。",
            "Rank from the lowest value to the highest (1 = worst); ties share the lowest rank.")),
    Method("prank", prank, ("百分位排名", "percentile rank"),
           ("百分位排名：(名次 − 1) / (有数据的单位数 − 1)，取值0–1。",
            "Percentile rank: (rank − 1) / (units with a value − 1), from 0 to 1.")),
    Method("borda", borda, ("Borda得分", "Borda score"),
           ("Borda得分：名次 − 1（0为最差）。", "Borda score: rank − 1 (0 = worst).")),
    Method("fracmax", fracmax, ("最大值比例", "fraction of the maximum"),
           ("x / 最大值。", "x / max.")),
    Method("dist2max", dist2max, ("与最大值的距离", "distance to the maximum"),
           ("1 − (最大值 − x) / (最大值 − 最小值)，取值0–1。", "1 − (max − x) / (max − min), from 0 to 1.")),
    Method("dist2ref", dist2ref, ("与参照单位的距离", "distance to a reference unit"),
           ("1 − (参照值 − x) / (参照值 − 最小值)：参照单位得1；可将高于参照值者记为1。",
            "1 − (reference − x) / (reference − min): the reference unit scores 1; values beyond it may be "
            "capped at 1."), usage="dist2ref:UCODE[,CAP_MAX]"),
    Method("dist2targ", dist2targ, ("与目标值的距离", "distance to a target"),
           ("(x − 最小值) / (目标值 − 最小值)：达到目标得1；可将超过目标者记为1。",
            "(x − min) / (target − min): the target scores 1; values beyond it may be capped at 1."),
           usage="dist2targ[:TARGET,CAP_MAX]"),
    Method("goalposts", goalposts, ("目标值区间", "goalposts"),
           ("按给定的最差值与最好值线性换算（最差为0，最好为满分），超出部分截断。",
            "Scaled linearly from the given worst value (0) to the best (full marks), clipped outside them."),
           usage="goalposts[:LOWER,UPPER,SCALE,TRUNC]"),
    Method("scaled", scaled, ("固定区间换算", "fixed-bound scaling"),
           ("(x − L) / (U − L) × 系数（默认100），区间固定，不随数据变化。",
            "(x − L) / (U − L) × factor (default 100), with fixed bounds that do not depend on the data.")),
    Method("none", none, ("不标准化", "none"),
           ("原值使用（逆向指标取反），不作标准化。", "Values are used as they are (reversed where lower is better).")),
])


def normalise(x: np.ndarray, method: str = "minmax", params: tuple = (), direction: int = 1) -> np.ndarray:
    """Multiply by `direction` (+1/-1), then apply the named method with positional `params`.

    Parameters
    ----------
    x : numpy.ndarray
        1-D raw values, NaN = missing.
    method : str
        A method of `NORMALISERS`.
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
    m = NORMALISERS.lookup(method)
    if direction not in (1, -1):
        raise MethodError(f"direction must be 1 or -1, got {direction!r}")
    return m.function(np.asarray(x, dtype=float) * direction, *m.bind(params))
