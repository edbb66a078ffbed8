"""Outlier treatment of raw indicator values (COINr's `Treat` defaults), plus Box-Cox.

The default rule, per indicator: an indicator passes if `|skewness| < 2` or `excess kurtosis < 3.5`
(bias-corrected sample statistics). A failing indicator is winsorised on the side of its skew, one
extreme value (with its ties) at a time, re-testing after each step, up to 5 points. If it still
fails, the *original* values are log-transformed instead: `log(x - min + 0.01 (max - min))`
(`log_CT`), or Box-Cox transformed if asked. Every changed point is recorded.

Notes
-----
Statistics ignore missing values; missing values are never changed. Fewer than 4 values, or a
constant indicator, give undefined statistics: the indicator is left untreated (COINr returns the
vector unchanged with a warning).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from indicators.errors import MethodError
from rating.methods import Method, Registry


def skew(x: np.ndarray) -> float:
    """Bias-corrected sample skewness `G1 = sqrt(n(n-1))/(n-2) * m3 / m2^1.5` (Excel SKEW).

    Examples
    --------
    >>> round(skew(np.array([1.0, 2.0, 3.0, 10.0, np.nan])), 6)
    1.763633
    """
    v = np.asarray(x, float)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 3:
        return float("nan")
    d = v - v.mean()
    s2 = (d ** 2).sum()
    if s2 == 0:
        return float("nan")
    return float(np.sqrt(n) * (d ** 3).sum() / s2 ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2))


def kurt(x: np.ndarray) -> float:
    """Bias-corrected sample excess kurtosis
    `G2 = ((n+1)(n sum d^4 / (sum d^2)^2 - 3) + 6)(n-1) / ((n-2)(n-3))` (Excel KURT).

    Examples
    --------
    >>> round(kurt(np.array([1.0, 2.0, 3.0, 10.0, np.nan])), 6)
    3.228
    """
    v = np.asarray(x, float)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 4:
        return float("nan")
    d = v - v.mean()
    s2 = (d ** 2).sum()
    if s2 == 0:
        return float("nan")
    r = n * (d ** 4).sum() / s2 ** 2
    return float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def check_skew_kurt(x: np.ndarray, skew_thresh: float = 2.0, kurt_thresh: float = 3.5) -> tuple[bool | None, float, float]:
    """`(passes, skew, kurt)`: passes if `|skew| < skew_thresh` or `kurt < kurt_thresh`;
    `None` when the statistics are undefined.

    Examples
    --------
    >>> check_skew_kurt(np.array([1.0, 2.0, 3.0, 4.0]))[0]
    True
    >>> check_skew_kurt(np.r_[np.arange(20.0), 500.0])[0]
    False
    """
    s, k = skew(x), kurt(x)
    if np.isnan(s) or np.isnan(k):
        return None, s, k
    return bool(abs(s) < skew_thresh or k < kurt_thresh), s, k


def winsorise(x: np.ndarray, winmax: int = 5, skew_thresh: float = 2.0,
              kurt_thresh: float = 3.5) -> tuple[np.ndarray, np.ndarray, int]:
    """COINr's `winsorise`: while failing and fewer than `winmax` points are winsorised, set all
    points equal to the current maximum (if skew >= 0, flag `winhi`) to the largest remaining
    value, or all points equal to the minimum (`winlo`) to the smallest remaining one.

    Returns
    -------
    tuple
        `(values, flags, n_winsorised)`; `flags` is `""`, `"winhi"` or `"winlo"` per point.

    Notes
    -----
    Ties at the extreme move together, so the last step can take the count past `winmax`.

    Examples
    --------
    >>> x, flags, n = winsorise(np.r_[np.arange(1.0, 21.0), 200.0, 300.0])
    >>> x[-3:], n
    (array([20., 20., 20.]), 2)
    >>> flags[-3:].tolist()
    ['', 'winhi', 'winhi']
    """
    x = np.array(x, dtype=float)
    passing = check_skew_kurt(x, skew_thresh, kurt_thresh)[0]
    imax = np.zeros(x.size, bool)
    imin = np.zeros(x.size, bool)
    nwin = 0
    while passing is False and nwin < winmax:
        if skew(x) >= 0:
            imax = x == np.nanmax(x)
            rest = x[~imax & ~np.isnan(x)]
            if rest.size == 0:
                break
            x[imax] = rest.max()
        else:
            imin = x == np.nanmin(x)
            rest = x[~imin & ~np.isnan(x)]
            if rest.size == 0:
                break
            x[imin] = rest.min()
        nwin = int(imax.sum() + imin.sum())
        passing = check_skew_kurt(x, skew_thresh, kurt_thresh)[0]
    flags = np.where(imax, "winhi", np.where(imin, "winlo", ""))
    return x, flags, nwin


def log_ct(x: np.ndarray) -> np.ndarray:
    """COIN Tool log transform `log(x - min + 0.01 (max - min))`.

    Examples
    --------
    >>> np.round(log_ct(np.array([0.0, 1.0, 100.0])), 4)
    array([0.    , 0.6931, 4.6151])
    """
    x = np.asarray(x, float)
    lo, hi = np.nanmin(x), np.nanmax(x)
    return np.log(x - lo + 0.01 * (hi - lo))


def boxcox(x: np.ndarray, lam: float, makepos: bool = True) -> np.ndarray:
    """Box-Cox `(x^lam - 1) / lam` (`log x` for `lam = 0`); `makepos` first shifts to `x - min + 1`.

    Examples
    --------
    >>> boxcox(np.array([0.0, 3.0, 8.0]), 0.5)
    array([0., 2., 4.])
    """
    x = np.asarray(x, float)
    if makepos:
        x = x - np.nanmin(x) + 1
    if lam == 0:
        return np.log(x)
    return (x ** lam - 1) / lam


@dataclass(frozen=True)
class Treated:
    """One treated indicator: values, per-point flags and a summary (skew/kurtosis before/after)."""

    x: np.ndarray
    flags: np.ndarray
    details: dict = field(default_factory=dict)


def treat(x: np.ndarray, winmax: int = 5, skew_thresh: float = 2.0, kurt_thresh: float = 3.5,
          f2: str = "log_ct", lam: float | None = None) -> Treated:
    """Two-step treatment of one indicator: winsorise, then `f2` (`"log_ct"` or `"boxcox"`) on the
    original values if winsorising did not make it pass.

    Examples
    --------
    >>> t = treat(np.r_[np.arange(1.0, 21.0), 200.0, 300.0])
    >>> t.details["treatment"], t.details["n_winsorised"], t.flags.tolist().count("winhi")
    ('winsorise', 2, 2)
    >>> treat(np.arange(10.0)).details["treatment"]
    'none'
    """
    x = np.asarray(x, float)
    none_flags = np.full(x.size, "", dtype=object)
    p0, s0, k0 = check_skew_kurt(x, skew_thresh, kurt_thresh)
    det = {"skew": s0, "kurt": k0, "passes": p0, "treatment": "none", "n_winsorised": 0,
           "skew_treated": s0, "kurt_treated": k0, "passes_treated": p0}
    if p0 is None or p0:
        return Treated(x.copy(), none_flags, det)
    xw, flags, nwin = winsorise(x, winmax, skew_thresh, kurt_thresh)
    p1, s1, k1 = check_skew_kurt(xw, skew_thresh, kurt_thresh)
    if p1 is None:
        return Treated(x.copy(), none_flags, det)
    if p1:
        det.update(treatment="winsorise", n_winsorised=nwin, skew_treated=s1, kurt_treated=k1, passes_treated=p1)
        return Treated(xw, flags.astype(object), det)
    if f2 == "log_ct":
        x2, flag = log_ct(x), "log_CT"
    elif f2 == "boxcox":
        if lam is None:
            raise MethodError("Box-Cox treatment needs a lambda, e.g. boxcox:0.5")
        x2, flag = boxcox(x, float(lam)), "boxcox"
    else:
        raise MethodError(f"unknown second treatment step {f2!r}; expected 'log_ct' or 'boxcox'")
    p2, s2, k2 = check_skew_kurt(x2, skew_thresh, kurt_thresh)
    det.update(treatment=flag, n_winsorised=0, skew_treated=s2, kurt_treated=k2, passes_treated=p2)
    return Treated(x2, np.where(np.isnan(x), "", flag).astype(object), det)


def untreated(x: np.ndarray) -> Treated:
    """No treatment: the values pass through.

    Examples
    --------
    >>> untreated(np.array([1.0, 500.0])).details
    {'treatment': 'none'}
    """
    x = np.asarray(x, float)
    return Treated(x.copy(), np.full(x.size, "", dtype=object), {"treatment": "none"})


def winsorise_or_log(x: np.ndarray, winmax: int = 5, skew_thresh: float = 2.0, kurt_thresh: float = 3.5) -> Treated:
    """COINr's default: winsorise up to `winmax` points, else `log_CT` of the original values."""
    return treat(x, winmax, skew_thresh, kurt_thresh)


def winsorise_or_boxcox(x: np.ndarray, lam: float, winmax: int = 5) -> Treated:
    """Winsorise up to `winmax` points, else Box-Cox (`lam`) of the original values."""
    return treat(x, winmax, f2="boxcox", lam=lam)


TREATMENTS = Registry("treatment", [
    Method("none", untreated, ("不处理", "none"), ("原值使用，不作处理。", "Values are used as they are.")),
    Method("winsorise", winsorise_or_log, ("缩尾处理", "winsorising"),
           ("偏度或峰度过高的指标，将极端值逐个替换为次极端值（最多WINMAX个，默认5个），直至分布正常；仍不正常时，改为对原值取对数。",
            "Where an indicator is too skewed or heavy-tailed, its extreme values are replaced by the next value "
            "in, one at a time (at most WINMAX, default 5), until it is not; if that is not enough, the original "
            "values are log-transformed instead.")),
    Method("boxcox", winsorise_or_boxcox, ("缩尾或Box-Cox变换", "winsorising or Box-Cox"),
           ("同缩尾处理；缩尾后分布仍不正常时，改为对原值作参数为λ的Box-Cox变换。",
            "As winsorising; where that is not enough, the original values are Box-Cox transformed with λ "
            "instead."), usage="boxcox:LAMBDA[,WINMAX]"),
])


def treat_matrix(X: np.ndarray, codes: list[str], units: list[str], method: str = "winsorise",
                 params: tuple = ()) -> tuple[np.ndarray, pl.DataFrame, pl.DataFrame]:
    """Treat every column of `X` (units x indicators) by a method of `TREATMENTS`.

    `method` is `"none"`, `"winsorise"` (params: winmax, skew and kurtosis thresholds; then `log_CT`)
    or `"boxcox"` (params: lambda, winmax; Box-Cox as the second step).

    Returns
    -------
    tuple
        `(X_treated, points, details)`: `points` has one row per changed value (`iCode`, `uCode`,
        `flag`, `value`, `treated`), `details` one row per indicator.

    Examples
    --------
    >>> X = np.c_[np.r_[np.arange(1.0, 21.0), 200.0, 300.0], np.arange(22.0)]
    >>> Xt, points, details = treat_matrix(X, ["a", "b"], [f"u{i}" for i in range(22)])
    >>> points.rows()
    [('a', 'u20', 'winhi', 200.0, 20.0), ('a', 'u21', 'winhi', 300.0, 20.0)]
    """
    m = TREATMENTS.lookup(method)
    params = m.bind(params)
    X = np.asarray(X, float)
    Xt = np.empty_like(X)
    points, details = [], []
    for j, code in enumerate(codes):
        t = m.function(X[:, j], *params)
        Xt[:, j] = t.x
        details.append({"iCode": code, **t.details})
        for i in np.flatnonzero(t.flags != ""):
            points.append((code, units[i], str(t.flags[i]), float(X[i, j]), float(t.x[i])))
    pts = pl.DataFrame(points, schema={"iCode": pl.String, "uCode": pl.String, "flag": pl.String,
                                       "value": pl.Float64, "treated": pl.Float64}, orient="row")
    return Xt, pts, pl.DataFrame(details) if details else pl.DataFrame(schema={"iCode": pl.String, "treatment": pl.String})
