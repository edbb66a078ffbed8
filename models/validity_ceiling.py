"""How well any linear score of the indicators could track latent integrity: a ceiling for VALIDITY.md.

Per peer group, the latent (what the published score is compared with) is regressed on the
indicators' estimates of the year alone, then on the same plus the unit's two previous years'.
The estimates are the year's own evidence shrunk toward the peer group and year (rating.shrink,
whatever the framework's experience setting), each z-scored within peer group and year (a missing
value counts as the peer average). The fit is least squares with the latent demeaned within peer
group and year, because only positions within a group and year count; its Spearman correlation
with the latent is computed within group and year and its median over years reported, as for the
published score. In sample: the weights fitted on every unit-year of the world (the oracle, an
upper bound that overfits small groups); cross-validated: each fifth of the units scored with
weights fitted on the other four fifths (what weights chosen from data could reach).
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import Framework
from rating.shrink import shrink

#: Earlier years a unit's history model adds (lags 1 .. HISTORY).
HISTORY = 2
#: Folds of units for the cross-validated ceiling.
FOLDS = 5
KEY = ["unit_id", "year"]


def own_estimates(indicators: pl.DataFrame, groups: pl.DataFrame, fw: Framework) -> tuple[pl.DataFrame, list[str]]:
    """unit_id, year, group and one column per index indicator: the estimate from the year's own
    numerator and denominator (shrunk within group and year where the framework shrinks it, its
    value otherwise), z-scored within group and year; 0 where missing."""
    codes = [n.code for n in fw.indicators]
    long = (indicators.filter(pl.col("indicator").is_in(codes))
            .join(groups.select("unit_id", "group"), on="unit_id").filter(pl.col("group").is_not_null()))
    cols = []
    for n in fw.indicators:
        part = long.filter(pl.col("indicator") == n.code).sort(KEY)
        if part.is_empty():
            continue
        family = n.definition.shrink_family if n.definition is not None else "none"
        value = part["value"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if family != "none" and {"numerator", "denominator"} <= set(part.columns):
            gy = (part["group"] + "|" + part["year"].cast(pl.String)).to_numpy()
            codes_g = np.unique(gy, return_inverse=True)[1].astype(np.int64)
            num = part["numerator"].cast(pl.Float64).fill_null(np.nan).to_numpy()
            den = part["denominator"].cast(pl.Float64).fill_null(np.nan).to_numpy()
            ok = ~np.isnan(value)
            est = shrink(num, den, np.where(ok, codes_g, -1), family) * float(n.definition.scale or 1.0)
            value = np.where(ok & ~np.isnan(est), est, value)
        cols.append(part.select(*KEY, "group").with_columns(pl.Series(n.code, value).fill_nan(None)))
    names = [c.columns[-1] for c in cols]
    wide = groups.filter(pl.col("group").is_not_null()).select("unit_id", "group")
    frame = None
    for c in cols:
        frame = c if frame is None else frame.join(c, on=[*KEY, "group"], how="full", coalesce=True)
    if frame is None:
        return wide.with_columns(pl.lit(None, pl.Int64).alias("year")), []
    over = ["group", "year"]
    z = [((pl.col(c) - pl.col(c).mean().over(over)) / pl.col(c).std().over(over)) for c in names]
    frame = frame.with_columns([pl.when(e.is_finite()).then(e).otherwise(0.0).fill_null(0.0).alias(c)
                                for e, c in zip(z, names)])
    return frame.sort(KEY), names


def with_history(frame: pl.DataFrame, names: list[str], lags: int = HISTORY) -> tuple[pl.DataFrame, list[str]]:
    """The frame with each feature of the unit's year t - l (l = 1 .. lags) beside year t's; 0
    where the unit has no such year."""
    out, added = frame, []
    for lag in range(1, lags + 1):
        prev = frame.select("unit_id", (pl.col("year") + lag).alias("year"),
                            *[pl.col(c).alias(f"{c}@{lag}") for c in names])
        out = out.join(prev, on=KEY, how="left")
        added += [f"{c}@{lag}" for c in names]
    return out.with_columns([pl.col(c).fill_null(0.0) for c in added]), names + added


def _fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    A = np.column_stack([np.ones(len(y)), X])
    return np.linalg.lstsq(A, y, rcond=None)[0]


def _predict(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return beta[0] + X @ beta[1:]


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman correlation with average ranks for ties (as models.validity's); None below three
    pairs or without spread."""
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3:
        return None
    rx = pl.Series(x[ok]).rank("average").to_numpy().astype(float)
    ry = pl.Series(y[ok]).rank("average").to_numpy().astype(float)
    a, b = rx - rx.mean(), ry - ry.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else None


def ceiling(frame: pl.DataFrame, names: list[str], target: str) -> dict[str, dict[str, float | None]]:
    """Per group: median over years of the within-year Spearman of the fitted score with `target`,
    in sample and cross-validated over folds of units."""
    out = {}
    f = frame.filter(pl.col(target).is_not_null()).with_columns(
        (pl.col(target) - pl.col(target).mean().over("group", "year")).alias("_y"),
        (pl.col("unit_id").rank("dense") % FOLDS).alias("_fold"))
    for (g,), part in f.group_by(["group"], maintain_order=True):
        X = part.select(names).to_numpy().astype(float)
        y = part["_y"].to_numpy().astype(float)
        inside = _predict(X, _fit(X, y))
        folds = part["_fold"].to_numpy()
        cv = np.full(len(y), np.nan)
        for k in np.unique(folds):
            test = folds == k
            if (~test).sum() > X.shape[1] + 1:
                cv[test] = _predict(X[test], _fit(X[~test], y[~test]))
        years = part["year"].to_numpy()
        res = {}
        for name, fitted in (("in_sample", inside), ("cross_validated", cv)):
            per_year = [spearman(fitted[years == t], y[years == t]) for t in np.unique(years)]
            per_year = [r for r in per_year if r is not None]
            res[name] = float(np.median(per_year)) if per_year else None
        out[g] = res
    return out


def evaluate_ceiling(indicators: pl.DataFrame, groups: pl.DataFrame, truth: pl.DataFrame, fw: Framework,
                     target: str = "covered") -> dict[str, dict]:
    """{"year": per group {in_sample, cross_validated}, "history": the same with the previous
    years' estimates}: see the module text."""
    frame, names = own_estimates(indicators, groups, fw)
    if not names:
        return {"year": {}, "history": {}}
    frame = frame.join(truth.select(*KEY, target), on=KEY, how="inner")
    hist, hnames = with_history(frame, names)
    return {"year": ceiling(frame, names, target), "history": ceiling(hist, hnames, target)}
