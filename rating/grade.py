"""Grades, vetoes, honours eligibility and ranks: the rating an evaluator signs.

The raw score is never overwritten: a veto caps the grade and records its code beside it (the
reason is the framework's, `Framework.vetoes_in`).
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import VETO_SEPARATOR, Framework

OPS = {"gt": np.greater, "ge": np.greater_equal, "lt": np.less, "le": np.less_equal, "eq": np.equal}


def grade_of(score: np.ndarray, framework: Framework) -> pl.Series:
    """The grade band of each score (grades are sorted best first); null where the score is missing.
    A string Series, built from a list: polars cannot cast an object array whose first item is None."""
    out = np.full(score.shape, None, dtype=object)
    for g in reversed(framework.grades):  # worst first, better bands overwrite
        out[(score >= g.min) & ~np.isnan(score)] = g.code
    return pl.Series("grade", out.tolist(), dtype=pl.String)


def ranks(df: pl.DataFrame, score: str = "score", by=("year", "kind", "level")) -> pl.Series:
    """Rank 1 = best within each peer group (same year, kind and level); ties share the lowest rank."""
    return df.select(
        pl.col(score).fill_nan(None).rank(method="min", descending=True).over(list(by)).cast(pl.Int64)
    ).to_series()


def apply_vetoes(scores: pl.DataFrame, auxiliary: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Cap grades where a veto rule holds; adds `grade_uncapped` and `veto`: the codes of the
    vetoes that hold, in the framework's order, joined by `VETO_SEPARATOR` (null: none)."""
    order = {g.code: i for i, g in enumerate(framework.grades)}  # 0 = best
    df = scores.with_columns(pl.col("grade").alias("grade_uncapped"), pl.lit(None, pl.String).alias("veto"))
    for v in framework.vetoes:
        hits = auxiliary.filter(pl.col("indicator") == v.indicator).select("unit_id", "year", pl.col("value").alias("_v"))
        df = df.join(hits, on=["unit_id", "year"], how="left")
        hit = OPS[v.op](df["_v"].fill_null(np.nan).to_numpy(), v.value)
        cap_rank = order[v.cap]
        worse = np.array([g is not None and order[g] < cap_rank for g in df["grade"].to_list()])
        capped = hit & worse
        df = df.with_columns(
            pl.when(pl.Series(capped)).then(pl.lit(v.cap)).otherwise(pl.col("grade")).alias("grade"),
            pl.when(pl.Series(hit)).then(
                pl.when(pl.col("veto").is_null()).then(pl.lit(v.code))
                .otherwise(pl.col("veto") + VETO_SEPARATOR + v.code)
            ).otherwise(pl.col("veto")).alias("veto"),
        ).drop("_v")
    return df


def honours(scores: pl.DataFrame, indicators: pl.DataFrame, framework: Framework) -> pl.DataFrame:
    """Eligibility for honours (粤府〔2017〕140号 二(五)): a value above zero of the framework's
    honours indicator (counting failure records) in the year makes a unit ineligible."""
    h = framework.honours
    if not h:
        return scores.with_columns(pl.lit(None, pl.Boolean).alias("honours_eligible"),
                                   pl.lit(None, pl.String).alias("honours_reason"))
    rec = (indicators.filter(pl.col("indicator") == h["indicator"])
           .select("unit_id", "year", pl.col("value").alias("_n")))
    df = scores.join(rec, on=["unit_id", "year"], how="left")
    reason = f"{h.get('reason_zh', '')} / {h.get('reason_en', '')}".strip(" /")
    return df.with_columns(
        pl.when(pl.col("_n").is_null()).then(None).otherwise(pl.col("_n") == 0).alias("honours_eligible"),
        pl.when(pl.col("_n") > 0).then(pl.lit(reason)).otherwise(pl.lit(None, pl.String)).alias("honours_reason"),
    ).drop("_n")
