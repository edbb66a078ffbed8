"""The indicator audit of a rated world: coverage, flat scales, internal consistency, duplicates.

All figures are on the normalised values that enter the index (0-100), over every unit-year to
which an indicator applies (its kinds and levels), pooled over peer groups: the scales are the
ones the framework's normalisation produced, so pooling compares what is aggregated.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import Framework
from rating.audit import correlations, cronbach

#: Flags: coverage below this share of applicable unit-years.
LOW_COVERAGE = 0.5
#: Flags: near-constant when this share of values is one value, or the sd is below FLAT_SD points.
MODAL_SHARE, FLAT_SD = 0.9, 5.0
#: Flags: near-duplicate siblings above this |r|.
DUPLICATE_R = 0.9


def applicable(units: pl.DataFrame, fw: Framework) -> pl.DataFrame:
    """unit_id, indicator for every index indicator that applies to the unit (kinds and levels)."""
    rows = [(u, n.code) for u, kind, level in units.select("unit_id", "kind", "level").iter_rows()
            for n in fw.indicators if kind in n.kinds and level in n.levels]
    return pl.DataFrame(rows, orient="row", schema={"unit_id": pl.String, "indicator": pl.String})


def indicator_flags(indicators: pl.DataFrame, units: pl.DataFrame, fw: Framework) -> pl.DataFrame:
    """Per index indicator: dimension, applicable unit-years, values, coverage, the share of the
    most common normalised value, mean and sd of the normalised values.

    >>> from indicators.framework_load import load_framework
    >>> fw = load_framework()
    >>> u = pl.DataFrame({"unit_id": ["a", "b"], "kind": ["region"] * 2, "level": ["city"] * 2})
    >>> ind = pl.DataFrame({"unit_id": ["a", "b"], "year": [1, 1], "indicator": ["debt_ratio"] * 2,
    ...                     "normalised": [100.0, None]})
    >>> indicator_flags(ind, u, fw).filter(pl.col("indicator") == "debt_ratio").select(
    ...     "applicable", "values", "coverage", "modal_share").rows()
    [(2, 1, 0.5, 1.0)]
    """
    years = indicators.select("year").unique()
    app = applicable(units, fw).join(years, how="cross")
    vals = app.join(indicators.select("unit_id", "year", "indicator", "normalised"),
                    on=["unit_id", "year", "indicator"], how="left")
    stats = vals.group_by("indicator").agg(
        pl.len().alias("applicable"), pl.col("normalised").count().alias("values"),
        pl.col("normalised").mean().alias("mean"), pl.col("normalised").std().alias("sd"),
        pl.col("normalised").round(6).drop_nulls().value_counts(sort=True).first().struct.field("count")
        .alias("modal"))
    dims = pl.DataFrame({"indicator": [n.code for n in fw.indicators], "dimension": [n.parent for n in fw.indicators],
                         "order": list(range(len(fw.indicators)))})
    return (dims.join(stats, on="indicator", how="left").sort("order").with_columns(
        pl.col("applicable").fill_null(0), pl.col("values").fill_null(0))
        .with_columns((pl.col("values") / pl.col("applicable")).alias("coverage"),
                      (pl.col("modal") / pl.col("values")).alias("modal_share"))
        .select("indicator", "dimension", "applicable", "values", "coverage", "modal_share", "mean", "sd"))


def wide(indicators: pl.DataFrame, fw: Framework) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(values, structure) for rating.audit: one row per unit-year, one column per index indicator."""
    codes = [n.code for n in fw.indicators]
    values = (indicators.filter(pl.col("indicator").is_in(codes))
              .pivot(on="indicator", index=["unit_id", "year"], values="normalised", aggregate_function="first"))
    values = values.with_columns([pl.lit(None, pl.Float64).alias(c) for c in codes if c not in values.columns])
    structure = pl.DataFrame({"iCode": codes, "Parent": [n.parent for n in fw.indicators], "Level": [1] * len(codes)})
    return values, structure


def consistency(values: pl.DataFrame, structure: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(alpha, pairs). alpha per dimension: `k`, the standardised alpha of the mean pairwise
    correlation r (`k r / (1 + (k - 1) r)`, pairs with at least three units), and the listwise
    Cronbach's alpha with its complete units. pairs: every pair of siblings with r and n.

    >>> s = pl.DataFrame({"iCode": ["a", "b"], "Parent": ["P", "P"], "Level": [1, 1]})
    >>> v = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    >>> consistency(v, s)[0].select("group", "k", pl.col("standardised").round(4)).rows()
    [('P', 2, 0.75)]
    """
    pairs = correlations(values, structure).filter(pl.col("relation") == "same_group").select(
        pl.col("a").replace_strict(dict(zip(structure["iCode"], structure["Parent"]))).alias("group"), "a", "b", "r", "n")
    mean_r = pairs.drop_nulls("r").group_by("group").agg(pl.col("r").mean().alias("mean_r"))
    alpha = (cronbach(values, structure).select("group", "k", pl.col("n").alias("listwise_n"),
                                                pl.col("alpha").alias("listwise"))
             .join(mean_r, on="group", how="left")
             .with_columns((pl.col("k") * pl.col("mean_r") / (1 + (pl.col("k") - 1) * pl.col("mean_r")))
                           .alias("standardised")))
    return alpha.select("group", "k", "mean_r", "standardised", "listwise", "listwise_n"), pairs


def audit(indicators: pl.DataFrame, units: pl.DataFrame, fw: Framework) -> dict[str, pl.DataFrame]:
    """The audit of one rated world: `indicators` (flags), `alpha` and `pairs` (see above)."""
    app = applicable(units, fw)
    ind = indicators.join(app, on=["unit_id", "indicator"], how="semi")
    values, structure = wide(ind, fw)
    alpha, pairs = consistency(values, structure)
    return {"indicators": indicator_flags(ind, units, fw), "alpha": alpha, "pairs": pairs}


def flags(row: dict) -> list[str]:
    """The audit's flags for one indicator row (median figures over worlds)."""
    out = []
    if row["coverage"] is None or row["coverage"] < LOW_COVERAGE:
        out.append("low coverage")
    if (row["modal_share"] is not None and row["modal_share"] >= MODAL_SHARE) or (
            row["sd"] is not None and not np.isnan(row["sd"]) and row["sd"] < FLAT_SD):
        out.append("near-constant")
    return out
