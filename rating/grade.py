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


def veto_sources(scores: pl.DataFrame, records: pl.DataFrame | None, framework: Framework) -> pl.DataFrame:
    """`scores` with whose record triggered each veto that holds: `veto_unit_id` (the units whose
    records count towards the veto's indicator in the year, the unit itself first, joined by
    `VETO_SEPARATOR`) and `veto_record_id` (those records' ids, sorted). A region's record-based
    indicator counts its departments' records too (scope "region"), so a region can be capped
    by a department's listing: these columns name it. A veto on a value without records (e.g. the
    debt ratio) names the unit itself and no record. Null where no veto holds, and for a
    record-based veto when `records` is not given."""
    hit = scores.filter(pl.col("veto").is_not_null()).select("unit_id", "year", "veto")
    parts = []
    for v in framework.vetoes:
        rows = hit.filter(pl.col("veto").str.split(VETO_SEPARATOR).list.contains(v.code)).select("unit_id", "year")
        node = next((n for n in framework.computed if n.code == v.indicator), None)
        d = node.definition if node is not None else None
        if d is None or d.table != "failure_records":  # the unit's own figure, no record
            parts.append(rows.with_columns(pl.col("unit_id").alias("source"), pl.lit(None, pl.String).alias("record_id")))
            continue
        if records is None or records.is_empty():  # whose record it was is not known here
            continue
        found = _matching_records(records, d)
        own = found.with_columns(pl.col("unit_id").alias("target"))
        if d.scope == "region":  # a department's record counts for its region too
            own = pl.concat([own, found.filter(pl.col("unit_id").str.contains("-", literal=True))
                             .with_columns(pl.col("unit_id").str.split("-").list.first().alias("target"))])
        got = rows.join(own.rename({"unit_id": "source"}), left_on=["unit_id", "year"], right_on=["target", "year"])
        parts.append(got.select("unit_id", "year", "source", "record_id"))
    schema = {"unit_id": pl.String, "year": pl.Int64, "source": pl.String, "record_id": pl.String}
    found = pl.concat([p.cast(schema) for p in parts]) if parts else pl.DataFrame(schema=schema)
    found = found.unique().with_columns((pl.col("source") != pl.col("unit_id")).alias("_other"))
    per = found.sort("unit_id", "year", "_other", "source", "record_id", nulls_last=True).group_by(
        "unit_id", "year", maintain_order=True).agg(
        pl.col("source").unique(maintain_order=True).str.join(VETO_SEPARATOR).alias("veto_unit_id"),
        pl.col("record_id").drop_nulls().unique().sort().str.join(VETO_SEPARATOR).alias("veto_record_id"))
    per = per.with_columns(pl.when(pl.col("veto_record_id") == "").then(None).otherwise(pl.col("veto_record_id"))
                           .alias("veto_record_id"))
    return scores.drop("veto_unit_id", "veto_record_id", strict=False).join(per, on=["unit_id", "year"], how="left")


def _matching_records(records: pl.DataFrame, d) -> pl.DataFrame:
    """unit_id, year, record_id of the counting records meeting the definition's conditions."""
    import duckdb

    from indicators.compute import conditions_sql

    date = d.date or "occurred_on"
    counting = "r.counting AND " if "counting" in records.columns else ""
    con = duckdb.connect()
    try:
        con.register("records", records)
        return con.sql(f'SELECT r.unit_id, CAST(year(r."{date}") AS BIGINT) AS year, r.record_id FROM records r '
                       f"WHERE {counting}{conditions_sql(d.where)}").pl()
    finally:
        con.close()


def published_probabilities(scores: pl.DataFrame, framework: Framework, borderline: float) -> pl.DataFrame:
    """The grade probabilities (`p_grade_<code>`) and `borderline` of the grade as published: a
    veto that holds is a fact of the records, so in every replication the grade is capped as the
    published one is (the probability of grades better than the cap moves to the cap); an
    analyst's override is no outcome of the analysis, so its row shows no probability.
    `borderline`: the published grade's probability is below `borderline`.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> fw = load_framework()
    >>> s = pl.DataFrame({"grade": ["C", "B"], "veto": ["V1", None], "override": [None, None],
    ...                   "p_grade_A": [0.6, 0.1], "p_grade_B": [0.3, 0.8], "p_grade_C": [0.1, 0.1],
    ...                   "p_grade_D": [0.0, 0.0]})
    >>> published_probabilities(s, fw, 0.9).select("p_grade_A", "p_grade_C", "borderline").rows()
    [(0.0, 1.0, False), (0.1, 0.1, True)]
    """
    codes = [g.code for g in framework.grades]
    cols = [f"p_grade_{c}" for c in codes]
    if not all(c in scores.columns for c in cols):
        return scores
    order = {c: i for i, c in enumerate(codes)}
    caps = {v.code: order.get(v.cap, -1) for v in framework.vetoes}
    cap = (pl.col("veto").str.split(VETO_SEPARATOR).list.eval(pl.element().replace_strict(caps, default=-1,
                                                                                          return_dtype=pl.Int64))
           .list.max().fill_null(-1)) if "veto" in scores.columns else pl.lit(-1)
    df = scores.with_columns(cap.alias("_cap"))
    above = [pl.when(pl.col("_cap") >= i).then(pl.col(cols[i])).otherwise(0.0) for i in range(len(codes))]
    new = []
    for i, c in enumerate(cols):
        capped = (pl.when(pl.col("_cap") > i).then(0.0)  # better than the cap: never published
                  .when(pl.col("_cap") == i).then(pl.sum_horizontal(above[:i + 1]))
                  .otherwise(pl.col(c)))
        capped = pl.when(pl.col(c).is_null()).then(None).otherwise(capped)  # no analysis, no probability
        if "override" in scores.columns:
            capped = pl.when(pl.col("override").is_not_null()).then(None).otherwise(capped)
        new.append(capped.alias(c))
    df = df.with_columns(new)
    own = pl.coalesce([pl.when(pl.col("grade") == code).then(pl.col(c)) for code, c in zip(codes, cols)])
    return df.with_columns((own < borderline).alias("borderline")).drop("_cap")
