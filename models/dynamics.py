"""What the alert kinds over time and peers share (models.kinds.trend, peer, spike): a target's
series per unit and year, the years where the index rests on other data, and robust z-scores of
monthly complaints against a unit's own history.

A rule's `target` is "score" (or the index code), "grade", an aggregate of the hierarchy (a
column of the scores frame) or an indicator (from the values frame, oriented by its direction).
Peer groups are year x kind x level when the scores frame carries kind and level.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import Framework

PEER_KEYS = ("kind", "level")
MAD_SCALE = 1.4826  # MAD of a normal distribution -> its standard deviation


def peer_keys(scores: pl.DataFrame | None) -> list[str]:
    return [k for k in PEER_KEYS if scores is not None and k in scores.columns]


def target_series(values: pl.DataFrame | None, scores: pl.DataFrame | None, target: str,
                  framework: Framework) -> pl.DataFrame | None:
    """unit_id, year, x, direction (+1: higher is better) and the peer keys; None without data.

    For "grade", x is minus the grade's position in the scale (best grade 0), so that a fall of
    one grade is a fall of one in x.
    """
    keys = peer_keys(scores)
    if target == "grade" and scores is not None and "grade" in scores.columns:
        pos = {g.code: float(i) for i, g in enumerate(framework.grades)}
        x = -pl.col("grade").replace_strict(pos, default=None, return_dtype=pl.Float64)
        return scores.select("unit_id", "year", x.alias("x"), pl.lit(1).alias("direction"), *keys)
    col = "score" if target in ("score", framework.code) else target
    if scores is not None and col in scores.columns:
        return scores.select("unit_id", "year", pl.col(col).cast(pl.Float64).alias("x"), pl.lit(1).alias("direction"), *keys)
    if values is None or target not in {n.code for n in framework.computed}:
        return None
    v = values.filter(pl.col("indicator") == target).select(
        "unit_id", "year", pl.col("value").alias("x"), pl.lit(framework.node(target).direction).alias("direction"))
    if keys:
        v = v.join(scores.select("unit_id", "year", *keys), on=["unit_id", "year"], how="left")
    return v


def coverage_changes(values: pl.DataFrame | None, framework: Framework) -> pl.DataFrame:
    """unit_id, year where the index rests on other data than the year before (a record table's
    coverage starts or stops): a composite's change there is an artefact of the data, not a fall.

    >>> from indicators.framework_load import load_framework
    >>> v = pl.DataFrame({"unit_id": ["a"] * 4, "year": [2022, 2022, 2023, 2023],
    ...                   "indicator": ["debt_ratio", "failure_weighted_per_100_staff"] * 2,
    ...                   "outside_coverage": [False, True, False, False]})
    >>> coverage_changes(v, load_framework()).rows()
    [('a', 2023)]
    """
    if values is None or "outside_coverage" not in values.columns:
        return pl.DataFrame(schema={"unit_id": pl.String, "year": pl.Int64})
    index = [n.code for n in framework.indicators]
    sig = (values.filter(pl.col("indicator").is_in(index) & pl.col("outside_coverage"))
           .group_by("unit_id", "year").agg(pl.col("indicator").sort().str.join(",").alias("out")))
    grid = values.select("unit_id", "year").unique().join(sig, on=["unit_id", "year"], how="left").with_columns(
        pl.col("out").fill_null(""))
    prev = grid.select("unit_id", (pl.col("year") + 1).alias("year"), pl.col("out").alias("before"))
    return (grid.join(prev, on=["unit_id", "year"]).filter(pl.col("out") != pl.col("before"))
            .select("unit_id", pl.col("year").cast(pl.Int64)).sort("unit_id", "year"))


def clean(s: pl.DataFrame) -> pl.DataFrame:
    return s.filter(pl.col("x").is_not_null() & ~pl.col("x").is_nan())


def nanmedian(a: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN where there is no value): np.nanmedian's
    result to the bit, from one sort instead of a masked array per window.

    Examples
    --------
    >>> nanmedian(np.array([[1.0, np.nan, 4.0, 2.0], [np.nan] * 4])).tolist()
    [2.0, nan]
    """
    s = np.sort(a, axis=-1)  # NaN last
    n = (~np.isnan(a)).sum(axis=-1, keepdims=True)
    lo = np.take_along_axis(s, np.maximum(n - 1, 0) // 2, axis=-1)[..., 0]
    hi = np.take_along_axis(s, n // 2, axis=-1)[..., 0]
    return (lo + hi) / 2


def robust_z(counts: np.ndarray, history: int, min_history: int,
             at: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, median, MAD) of each month against the unit's previous `history` months.

    counts: (units, months), NaN where unknown. z = (x - median) / max(1.4826 MAD, sqrt(median), 1):
    the floor keeps quiet units (MAD 0) from alarming on a handful of tickets. Months with fewer
    than `min_history` known months before them get NaN. With `at` (a boolean mask of counts'
    shape) only those months are computed, the others are NaN: the same values where computed, for
    a fraction of the work when few months can fire.

    Examples
    --------
    >>> x = np.array([[5, 6, 5, 4, 5, 6, 30.0]])
    >>> z, med, mad = robust_z(x, history=6, min_history=6)
    >>> round(float(z[0, -1]), 1), float(med[0, -1])
    (11.2, 5.0)
    >>> np.isnan(robust_z(x, 6, 6, at=x > 10)[0][0, :-1]).all()
    np.True_
    """
    u, m = counts.shape
    counts = counts.astype(float)
    padded = np.concatenate([np.full((u, history), np.nan), counts], axis=1)
    win = np.lib.stride_tricks.sliding_window_view(padded, history, axis=1)[:, :m, :]
    ui, mi = np.nonzero(np.ones((u, m), dtype=bool) if at is None else at)
    win, x = win[ui, mi], counts[ui, mi]  # (cells, history): the windows of the months computed
    med = nanmedian(win)
    mad = nanmedian(np.abs(win - med[:, None]))
    enough = (~np.isnan(win)).sum(axis=1) >= min_history
    scale = np.maximum.reduce([MAD_SCALE * np.nan_to_num(mad), np.sqrt(np.maximum(np.nan_to_num(med), 0)), np.ones_like(med)])
    out = [np.full((u, m), np.nan) for _ in range(3)]
    for full, v in zip(out, (np.where(enough, (x - med) / scale, np.nan), np.where(enough, med, np.nan),
                             np.where(enough, mad, np.nan))):
        full[ui, mi] = v
    return tuple(out)
