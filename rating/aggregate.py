"""Aggregation methods: combine the children of a node into the node's score.

Each method takes `X` (units x children, NaN = missing) and weights `w` (children,) and
returns one value per unit. Row-wise means drop missing children and renormalise the weights of
the others (COINr's default); whole-table methods (Copeland, Mazziotta-Pareto, TOPSIS) also use
the other units' values, so `X` must hold the whole table of one parent group.

Notes
-----
A unit with no available child gets NaN. `aggregate(..., data_threshold=t)` also gives NaN when
the available share of the children (or of their weight) is below `t`. Weights are relative:
multiplying them all by a positive constant changes nothing.
"""
from __future__ import annotations

import numpy as np

from indicators.errors import MethodError
from rating.methods import Method, Registry


def _weights(X: np.ndarray) -> np.ndarray:
    """Zero weight where a child is missing."""
    return ~np.isnan(X)


def _column_stats(X: np.ndarray) -> tuple[np.ndarray, ...]:
    """Mean, population sd, min and max of each column over its available values (NaN if none)."""
    ok = ~np.isnan(X)
    n = ok.sum(axis=0)
    X0 = np.where(ok, X, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(n > 0, X0.sum(axis=0) / n, np.nan)
        sd = np.where(n > 0, np.sqrt(np.where(ok, (X - mu) ** 2, 0.0).sum(axis=0) / n), np.nan)
    lo = np.where(n > 0, np.where(ok, X, np.inf).min(axis=0), np.nan)
    hi = np.where(n > 0, np.where(ok, X, -np.inf).max(axis=0), np.nan)
    return mu, sd, lo, hi


def _renorm(X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit weights over the available children, summing to 1 (NaN rows where none)."""
    W = np.where(_weights(X), w, 0.0)
    tot = W.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        W = np.where(tot > 0, W / tot, np.nan)
    return W, tot[:, 0] > 0


def arithmetic(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted arithmetic mean over the available children.

    Examples
    --------
    >>> arithmetic(np.array([[1.0, 3.0], [2.0, np.nan]]), np.array([1.0, 3.0]))
    array([2.5, 2. ])
    """
    W, ok = _renorm(X, w)
    return np.where(ok, np.nansum(np.where(np.isnan(X), 0.0, X) * W, axis=1), np.nan)


def _positive(X: np.ndarray, name: str) -> None:
    bad = X[~np.isnan(X)] <= 0
    if bad.any():
        raise MethodError(
            f"{name} mean needs positive values but {int(bad.sum())} are zero or negative "
            f"(minimum {np.nanmin(X):g}); normalise to a positive range, e.g. minmax:1,100"
        )


def geometric(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted geometric mean `exp(sum(w log x) / sum(w))` over the available children;
    refuses values <= 0.

    Examples
    --------
    >>> geometric(np.array([[1.0, 100.0], [4.0, np.nan]]), np.array([1.0, 1.0]))
    array([10.,  4.])
    """
    _positive(X, "geometric")
    W, ok = _renorm(X, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        L = np.where(np.isnan(X), 0.0, np.log(np.where(np.isnan(X), 1.0, X)))
    return np.where(ok, np.exp((L * np.nan_to_num(W)).sum(axis=1)), np.nan)


def harmonic(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted harmonic mean `sum(w) / sum(w / x)` over the available children; refuses values <= 0.

    Examples
    --------
    >>> harmonic(np.array([[1.0, 4.0]]), np.array([1.0, 1.0]))
    array([1.6])
    """
    _positive(X, "harmonic")
    W, ok = _renorm(X, w)
    inv = np.where(np.isnan(X), 0.0, 1.0 / np.where(np.isnan(X), 1.0, X))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, 1.0 / (inv * np.nan_to_num(W)).sum(axis=1), np.nan)


def generalised(X: np.ndarray, w: np.ndarray, p: float = 1.0) -> np.ndarray:
    """Weighted generalised (power) mean `(sum(w x^p) / sum(w))^(1/p)` over the available children.

    `p = 1` is the arithmetic, `p = -1` the harmonic mean and `p = 0` (the limit) the geometric
    mean. Non-positive values are refused when `p <= 0`, negative ones when `p` is not an integer.

    Examples
    --------
    >>> generalised(np.array([[1.0, 7.0]]), np.array([1.0, 1.0]), 2)
    array([5.])
    """
    p = float(p)
    if p == 0:
        return geometric(X, w)
    vals = X[~np.isnan(X)]
    if p < 0:
        _positive(X, f"generalised (p={p:g})")
    elif not p.is_integer() and (vals < 0).any():
        raise MethodError(f"generalised mean with non-integer p={p:g} needs non-negative values")
    W, ok = _renorm(X, w)
    P = np.where(np.isnan(X), 0.0, np.where(np.isnan(X), 1.0, X) ** p)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (P * np.nan_to_num(W)).sum(axis=1)
        return np.where(ok, np.sign(s) * np.abs(s) ** (1.0 / p), np.nan)


def median(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted median over the available children: the value where the cumulative weight
    reaches one half; exactly one half averages it with the next value (the usual median
    for equal weights).

    Examples
    --------
    >>> median(np.array([[1.0, 2.0, 9.0, 10.0], [1.0, 2.0, 9.0, np.nan]]), np.ones(4))
    array([5.5, 2. ])
    >>> median(np.array([[1.0, 2.0, 9.0]]), np.array([1.0, 1.0, 3.0]))
    array([9.])
    """
    W, ok = _renorm(X, w)
    order = np.argsort(np.where(np.isnan(X), np.inf, X), axis=1, kind="stable")
    Xs = np.take_along_axis(X, order, axis=1)
    cum = np.cumsum(np.nan_to_num(np.take_along_axis(W, order, axis=1)), axis=1)
    tol = 1e-12
    k = np.argmax(cum >= 0.5 - tol, axis=1)
    k2 = np.argmax(cum > 0.5 + tol, axis=1)
    rows = np.arange(X.shape[0])
    half = np.abs(cum[rows, k] - 0.5) <= tol
    out = np.where(half, (Xs[rows, k] + Xs[rows, k2]) / 2, Xs[rows, k])
    return np.where(ok, out, np.nan)


def copeland(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Copeland scores (COINr `a_copeland`): for each pair of units the outranking share is the
    weight of the children where the first is higher plus half the weight of ties; shares above
    one half count +1, below -1, equal 0; the score is the row sum. Whole-table method.

    Notes
    -----
    As in COINr's `outrankMatrix`, a pair is computed once for the first unit and the reverse
    share is one minus it, and weights are normalised over all children (a child missing for
    either unit of a pair counts for neither). Shares are rounded to 12 decimals before the
    comparison with one half.

    Examples
    --------
    >>> X = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], dtype=float)
    >>> copeland(X, np.ones(3))
    array([-1.,  1., -3.,  3.])
    """
    n = X.shape[0]
    wn = w / w.sum()
    O = np.zeros((n, n))
    for k in range(X.shape[1]):
        c = X[:, k]
        O += wn[k] * ((c[:, None] > c[None, :]) + 0.5 * (c[:, None] == c[None, :]))
    upper = np.triu(np.ones((n, n), bool), 1)
    O = np.where(upper, O, (1.0 - O.T))
    O = np.round(O, 12)
    S = np.where(O > 0.5, 1.0, np.where(O < 0.5, -1.0, 0.0))
    np.fill_diagonal(S, 0.0)
    return S.sum(axis=1)


def mpi(X: np.ndarray, w: np.ndarray, penalty: float = -1.0) -> np.ndarray:
    """Mazziotta-Pareto index: each child is standardised over the units to mean 100 and
    (population) sd 10, then a unit's score is `M + penalty * S * S / M`, with `M` and `S` the
    weighted mean and sd of its standardised values. `penalty = -1` penalises unbalanced
    profiles (for indices where higher is better). Whole-table method.

    Notes
    -----
    Column statistics use the available values; a constant child carries no information and is
    left out. A unit's mean and sd use its available children with weights renormalised.

    Examples
    --------
    >>> X = np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0]])
    >>> np.round(mpi(X, np.ones(2)), 4)
    array([ 87.7526, 105.7704, 105.7704])
    """
    mu, sd, _, _ = _column_stats(X)
    with np.errstate(invalid="ignore", divide="ignore"):
        Z = np.where(sd > 0, 100 + 10 * (X - mu) / np.where(sd > 0, sd, 1.0), np.nan)
    W, ok = _renorm(Z, w)
    Wn = np.nan_to_num(W)
    Z0 = np.nan_to_num(Z)
    M = (Z0 * Wn).sum(axis=1)
    S = np.sqrt((((Z0 - M[:, None]) ** 2) * Wn).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, M + float(penalty) * S * S / M, np.nan)


def topsis(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """TOPSIS closeness `d- / (d+ + d-)` in [0, 1]: children are vector-normalised over the units,
    weighted, and each unit's Euclidean distances to the best (`d+`) and worst (`d-`) profile are
    compared. Whole-table method; higher is better.

    Notes
    -----
    Column norms and best/worst values use the available values; a unit's distances use its
    available children with weights renormalised over them.

    Examples
    --------
    >>> X = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    >>> topsis(X, np.ones(2))
    array([0. , 0.5, 1. ])
    """
    norm = np.sqrt(np.nansum(X ** 2, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        R = np.where(norm > 0, X / np.where(norm > 0, norm, 1.0), np.nan)
    _, _, worst, best = _column_stats(R)
    W, ok = _renorm(R, w)
    Wn = np.nan_to_num(W)
    dp = np.sqrt(np.nansum((Wn * (R - best)) ** 2, axis=1))
    dm = np.sqrt(np.nansum((Wn * (R - worst)) ** 2, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok & (dp + dm > 0), dm / (dp + dm), np.nan)


_LEFT_OUT = ("缺失或不适用的子项不参与计算，其余权重按比例放大。",
             "missing or non-applicable children are left out and the other weights scaled up.")
AGGREGATORS = Registry("aggregation", [
    Method("arithmetic", arithmetic, ("加权算术平均", "weighted arithmetic mean"),
           ("子项得分按权重加权算术平均；" + _LEFT_OUT[0], "Weighted arithmetic mean of the children; " + _LEFT_OUT[1]),
           data_args=2),
    Method("geometric", geometric, ("加权几何平均", "weighted geometric mean"),
           ("子项得分按权重加权几何平均（仅限正值）；" + _LEFT_OUT[0],
            "Weighted geometric mean of the children (positive values only); " + _LEFT_OUT[1]), data_args=2),
    Method("harmonic", harmonic, ("加权调和平均", "weighted harmonic mean"),
           ("子项得分按权重加权调和平均（仅限正值）；" + _LEFT_OUT[0],
            "Weighted harmonic mean of the children (positive values only); " + _LEFT_OUT[1]), data_args=2),
    Method("generalised", generalised, ("加权幂平均", "weighted power mean"),
           ("加权幂平均 (Σw·x^p / Σw)^(1/p)：p = 1为算术平均，p = 0为几何平均，p = −1为调和平均；" + _LEFT_OUT[0],
            "Weighted power mean (Σw·x^p / Σw)^(1/p): p = 1 is the arithmetic, p = 0 the geometric and p = −1 the "
            "harmonic mean; " + _LEFT_OUT[1]), data_args=2),
    Method("median", median, ("加权中位数", "weighted median"),
           ("加权中位数：按得分排序后累计权重达到一半处的子项得分；" + _LEFT_OUT[0],
            "Weighted median: the child's score where the cumulative weight, in order of score, reaches one half; "
            + _LEFT_OUT[1]), data_args=2),
    Method("copeland", copeland, ("Copeland方法", "Copeland"),
           ("Copeland方法：单位两两比较，在多数权重的子项上领先者得1分、落后者得−1分，得分为合计；结果取决于其他单位。",
            "Copeland: units are compared in pairs; the one ahead on most of the children's weight scores +1 and "
            "the other −1, and a unit's score is the sum; it depends on the other units."),
           data_args=2, whole_table=True),
    Method("mpi", mpi, ("Mazziotta-Pareto指数", "Mazziotta-Pareto index"),
           ("Mazziotta-Pareto指数：子项标准化为均值100、标准差10后取加权均值，并扣除各子项不均衡的惩罚；结果取决于其他单位。",
            "Mazziotta-Pareto index: the children standardised to mean 100 and SD 10, their weighted mean less a "
            "penalty for an unbalanced profile; it depends on the other units."), data_args=2, whole_table=True),
    Method("topsis", topsis, ("TOPSIS", "TOPSIS"),
           ("TOPSIS：按与最好、最差方案的距离计算相对接近度，取值0–1；结果取决于其他单位。",
            "TOPSIS: closeness to the best profile relative to the worst, from 0 to 1; it depends on the other "
            "units."), data_args=2, whole_table=True),
])

#: Methods whose result for one unit depends on the other units.
WHOLE_TABLE = frozenset(m.name for m in AGGREGATORS.values() if m.whole_table)


def availability(available: np.ndarray, w: np.ndarray | None = None, by: str = "children") -> np.ndarray:
    """Share of a unit's children that are available: by count (`"children"`, COINr's
    `dat_thresh`) or by weight (`"weight"`).

    Examples
    --------
    >>> availability(np.array([[True, False, True]]))
    array([0.66666667])
    >>> availability(np.array([[True, False, True]]), np.array([1.0, 2.0, 1.0]), by="weight")
    array([0.5])
    """
    available = np.asarray(available, bool)
    if by == "children":
        return available.mean(axis=1)
    if by == "weight":
        w = np.asarray(w, float)
        return (available * w).sum(axis=1) / w.sum()
    raise MethodError(f"availability by {by!r}: expected 'children' or 'weight'")


def aggregate(X: np.ndarray, w: np.ndarray, method: str = "arithmetic", params: tuple = (), *,
              data_threshold: float | None = None, available: np.ndarray | None = None,
              threshold_by: str = "children") -> np.ndarray:
    """Aggregate with the named method and positional `params`.

    Parameters
    ----------
    X : numpy.ndarray
        Units x children, NaN = missing.
    w : numpy.ndarray
        Relative weights of the children.
    method, params
        A method of `AGGREGATORS` and its positional parameters (e.g. `p` of `generalised`).
    data_threshold : float, optional
        Minimum available share (0-1) of children (or weight, `threshold_by="weight"`); below it
        the score is NaN.
    available : numpy.ndarray, optional
        Bool mask of children that count as available for the threshold (default: not NaN), e.g.
        to leave imputed cells out of the count.

    Returns
    -------
    numpy.ndarray
        One score per unit; NaN for units without any child or below the threshold.

    Notes
    -----
    Whole-table methods are computed over the units with at least one available child.

    Examples
    --------
    >>> X = np.array([[50.0, np.nan, np.nan], [20.0, 40.0, 60.0]])
    >>> aggregate(X, np.ones(3))
    array([50., 40.])
    >>> aggregate(X, np.ones(3), data_threshold=0.5)
    array([nan, 40.])
    """
    m = AGGREGATORS.lookup(method)
    params = m.bind(params)
    X = np.asarray(X, dtype=float)
    w = np.asarray(w, dtype=float)
    if X.ndim != 2 or w.ndim != 1 or w.size != X.shape[1]:
        raise MethodError(f"aggregate: X must be units x children and w one weight per child; got {X.shape} and {w.shape}")
    if np.isnan(w).any() or w.sum() == 0:
        raise MethodError(f"aggregate: weights must be finite and not all zero, got {w.tolist()}")
    out = np.full(X.shape[0], np.nan)
    rows = (~np.isnan(X)).any(axis=1)
    if rows.any():
        out[rows] = m.function(X[rows], w, *params)
    if data_threshold is not None:
        avail = ~np.isnan(X) if available is None else np.asarray(available, bool) & ~np.isnan(X)
        out[availability(avail, w, threshold_by) < float(data_threshold)] = np.nan
    return out
