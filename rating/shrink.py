"""Empirical-Bayes (credibility) estimates of rates from small numbers.

A share of 2 out of 4 contracts or one failure record in a 31-person bureau says little; dividing
gives extreme values that min-max scaling turns into 0 or 100. These functions estimate each
unit's rate as a credibility-weighted mix of its own numerator / denominator and its peers'
mean, with a prior fitted by the method of moments within each group (peer group x year):

    shrink(num, den, groups, family) -> numpy.ndarray

- ``num``, ``den``: float arrays of shape (rows,) or (rows, R) - a trailing axis holds R
  replications (e.g. Monte Carlo resamples of the numerators), each fitted separately.
  NaN in either, or ``den <= 0``, gives NaN (the value is missing, not estimated).
- ``groups``: integer array of length rows; rows with the same code share one prior. Codes
  below 0 are left out (their estimate is NaN).
- ``family``: ``"beta-binomial"`` (num successes out of den trials; returns the estimated
  share) or ``"gamma-poisson"`` (num events over exposure den; returns events per unit of
  exposure - multiply by the indicator's scale afterwards) or ``"none"`` (num / den).

The result has the shape of ``num``. Everything is vectorised (sorting by group and
``np.add.reduceat``); the same inputs always give the same bytes.

Method of moments (Kleinman 1973 for shares; the analogue for Poisson rates): with weights
n_i (trials or exposure), pooled mean m = sum(num) / sum(den), S = sum n_i (r_i - m)^2 over the
k units of a group, N = sum n_i,

- beta-binomial: rho = (S / (m (1 - m)) - (k - 1)) / (N - sum n_i^2 / N - (k - 1)),
  prior strength M = 1 / rho - 1, estimate (num + m M) / (den + M);
- gamma-Poisson: v = (S - (k - 1) m) / (N - sum n_i^2 / N), prior strength M = m / v,
  estimate (num + m M) / (den + M).

Between-unit variance that the data cannot distinguish from sampling noise (rho or v <= 0) is
floored at a small fraction of the total, so the estimates keep the units' order and never
collapse to one value. A group with fewer than two units keeps the plain ratio.

Experience over years (actuarial credibility over time): a unit's integrity persists from year
to year while a department's yearly evidence is thin, so the evidence behind a unit's year-t
estimate may be its year-t counts plus its earlier years' counts, discounted:

    pool_years(num, den, unit, year, years, discount) -> (num, den)

sums discount**l times the numerator and the denominator of year t - l, l = 0 .. years - 1, before
the prior is fitted and the estimate formed. Only years up to t enter, so a year's estimate does
not move when a later year is added. `experience` applies the framework's setting
(`[methods] experience_years`, `experience_discount`) to the indicators it shrinks.
"""
from __future__ import annotations

import numpy as np

from indicators.errors import MethodError

FAMILIES = ("beta-binomial", "gamma-poisson", "none")
#: Floor of the between-unit variance, as a share of the pooled variance: keeps the order of
#: the units when the data look like pure noise, while shrinking them almost all the way.
FLOOR = 0.02


def _group_sums(sorted_x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums over consecutive runs (rows sorted by group), any trailing axes kept."""
    return np.add.reduceat(sorted_x, starts, axis=0)


def prior_strength(num: np.ndarray, den: np.ndarray, groups: np.ndarray, family: str) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the prior mean m and the prior strength M of its group (same shape as `num`),
    fitted by the method of moments on the rows with a value. NaN where the group has no
    usable rows; M = 0 (no shrinkage) where the group has fewer than two."""
    if family not in FAMILIES[:2]:
        raise MethodError(f"shrinkage {family!r}: unknown family; use one of {', '.join(FAMILIES)}")
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    groups = np.asarray(groups)
    if num.shape != den.shape or num.shape[:1] != groups.shape:
        raise MethodError(f"shrinkage: numerator {num.shape}, denominator {den.shape} and groups {groups.shape} "
                          "do not line up")
    ok = ~np.isnan(num) & ~np.isnan(den) & (den > 0) & (groups >= 0).reshape((-1,) + (1,) * (num.ndim - 1))
    y = np.where(ok, num, 0.0)
    n = np.where(ok, den, 0.0)
    order = np.argsort(groups, kind="stable")
    g_sorted = groups[order]
    if g_sorted.size == 0:
        return np.full(num.shape, np.nan), np.zeros(num.shape)
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    run = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, g_sorted.size]))
    ys, ns, oks = y[order], n[order], ok[order].astype(float)
    N = _group_sums(ns, starts)
    Y = _group_sums(ys, starts)
    k = _group_sums(oks, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = Y / N
        r = np.where(oks > 0, ys / np.where(ns > 0, ns, 1.0), 0.0)
        S = _group_sums(ns * (r - m[run]) ** 2, starts)
        N2 = _group_sums(ns ** 2, starts) / N
        if family == "beta-binomial":
            base = m * (1 - m)
            total = S / N  # weighted variance of the observed shares
            rho = (S / base - (k - 1)) / (N - N2 - (k - 1))
            rho = np.clip(np.where(np.isfinite(rho), rho, 0.0), FLOOR * total / np.where(base > 0, base, 1.0), 1 - 1e-9)
            M = 1.0 / rho - 1.0
            M = np.where(base > 0, M, 0.0)  # all 0 or all 1: nothing to shrink toward
        else:
            total = S / N
            v = (S - (k - 1) * m) / (N - N2)
            v = np.maximum(np.where(np.isfinite(v), v, 0.0), FLOOR * total)
            M = np.where((v > 0) & (m > 0), m / np.where(v > 0, v, 1.0), 0.0)
        M = np.where(k >= 2, M, 0.0)
        M = np.where(np.isfinite(M), M, 0.0)
    inv = np.empty_like(order)
    inv[order] = np.arange(order.size)
    return m[run][inv], M[run][inv]


def shrink(num: np.ndarray, den: np.ndarray, groups: np.ndarray, family: str) -> np.ndarray:
    """Credibility estimates of num / den toward each group's prior mean (see the module text).

    Examples
    --------
    >>> num = np.array([0.0, 1.0, 9.0, 30.0, 60.0])
    >>> den = np.array([2.0, 2.0, 10.0, 40.0, 80.0])
    >>> est = shrink(num, den, np.zeros(5, int), "beta-binomial")
    >>> bool(abs(est[0] - 0.75) < abs(0.0 - 0.75))  # 0 of 2 is pulled toward the pooled 0.75
    True
    >>> shrink(num, den, np.zeros(5, int), "none")[:2]
    array([0. , 0.5])
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    if family == "none":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    m, M = prior_strength(num, den, groups, family)
    ok = ~np.isnan(num) & ~np.isnan(den) & (den > 0) & ~np.isnan(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = (num + np.where(M > 0, m * M, 0.0)) / (den + M)
    return np.where(ok, est, np.nan)


def credibility(den: np.ndarray, groups: np.ndarray, num: np.ndarray, family: str) -> np.ndarray:
    """Weight each row's own ratio carries in its estimate, den / (den + M), from 0 to 1."""
    _, M = prior_strength(num, den, groups, family)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(den) > 0, den / (den + M), np.nan)


def pool_years(num: np.ndarray, den: np.ndarray, unit: np.ndarray, year: np.ndarray, years: int,
               discount: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's numerator and denominator plus the same unit's earlier years' (up to `years` - 1
    back), year t - l weighted by `discount`**l. Rows are unit-years (`unit` integer codes, `year`
    integers, at most one row per pair; any order); trailing axes of `num`/`den` (indicators) are
    pooled column by column. A row without usable evidence of its own (NaN, or den <= 0) is
    returned as given: it has no value to estimate. An earlier year without usable evidence adds
    nothing. `years` <= 1 returns the inputs unchanged.

    Examples
    --------
    >>> num, den = np.array([1.0, 2.0, 0.0]), np.array([4.0, 4.0, 2.0])
    >>> pool_years(num, den, np.array([0, 0, 0]), np.array([2020, 2021, 2022]), 2, 0.5)
    (array([1. , 2.5, 1. ]), array([4., 6., 4.]))
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    if int(years) <= 1:
        return num, den
    if not 0 < discount <= 1:
        raise MethodError(f"experience discount {discount!r}: expected a number above 0 and at most 1")
    unit = np.asarray(unit).astype(np.int64).reshape(-1)
    year = np.asarray(year).astype(np.int64).reshape(-1)
    if num.shape != den.shape or num.shape[:1] != unit.shape or unit.shape != year.shape:
        raise MethodError(f"experience: numerator {num.shape}, denominator {den.shape}, units {unit.shape} "
                          f"and years {year.shape} do not line up")
    span = int(year.max() - year.min()) + int(years) + 1 if year.size else 1
    key = unit * span + (year - (year.min() if year.size else 0))
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if sorted_key.size and (sorted_key[1:] == sorted_key[:-1]).any():
        raise MethodError("experience: more than one row for a unit and year")
    usable = ~np.isnan(num) & ~np.isnan(den) & (den > 0)
    out_num, out_den = num.copy(), den.copy()
    for lag in range(1, int(years)):  # a handful of lags, each one vectorised over all rows
        pos = np.searchsorted(sorted_key, key - lag)
        pos = np.minimum(pos, sorted_key.size - 1)
        found = sorted_key[pos] == key - lag
        src = order[pos]
        add = usable & usable[src] & found.reshape((-1,) + (1,) * (num.ndim - 1))
        w = float(discount) ** lag
        out_num = np.where(add, out_num + w * num[src], out_num)
        out_den = np.where(add, out_den + w * den[src], out_den)
    return out_num, out_den


def experience(num: np.ndarray, den: np.ndarray, keys, framework, codes=None) -> tuple[np.ndarray, np.ndarray]:
    """The framework's experience setting applied to a rows x indicators numerator and
    denominator matrix (rows: `keys` with unit_id and year; columns: `codes`, by default the
    framework's indicators): indicators the framework shrinks pool their earlier years
    (`pool_years`), others keep the year's own. Off (`experience_years` 0 or 1): the inputs."""
    m = getattr(framework, "methods", None) or {}
    years = int(m.get("experience_years") or 1)
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    if years <= 1 or num.size == 0:
        return num, den
    defs = {n.code: n.definition for n in framework.indicators}
    codes = [n.code for n in framework.indicators] if codes is None else list(codes)
    cols = np.array([defs.get(c) is not None and defs[c].shrink_family != "none" for c in codes], dtype=bool)
    if not cols.any():
        return num, den
    unit = keys["unit_id"].rank("dense").to_numpy()  # integer codes of the unit ids
    year = keys["year"].to_numpy()
    pn, pd_ = pool_years(num[:, cols], den[:, cols], unit, year, years, float(m.get("experience_discount", 1.0)))
    out_num, out_den = num.copy(), den.copy()
    out_num[:, cols], out_den[:, cols] = pn, pd_
    return out_num, out_den
