"""Weights as they worked out for each unit-year: the weight each indicator actually carried
(missing and non-applicable siblings dropped, the others renormalised, as the aggregation does)
and so its contribution to the score. The nominal weights are the framework's
(`Framework.weight_shares`, `Framework.effective_weights`).

With weighted arithmetic means at every level above an indicator, the contributions of a
unit's indicators add up to its score; under any other aggregation a contribution is not
defined and is left missing.
"""
from __future__ import annotations

import polars as pl


def additive(framework) -> dict[str, bool]:
    """Whether a node's contribution to the index is defined: arithmetic means all the way up."""
    arith = {a.code: framework.aggregation_of(a)[0] == "arithmetic" for a in framework.aggregates}
    out = {}
    for n in framework.nodes:
        out[n.code] = n.parent is None or (arith[n.parent] and out[n.parent])
    return out


def applicability(framework) -> pl.DataFrame:
    """code, kind, level for every (node, kind, level) the node applies to (an aggregate applies
    where any indicator below it does)."""
    sets: dict[str, set] = {}
    for n in reversed(framework.nodes):  # children before parents
        if n.is_indicator:
            sets[n.code] = {(k, lv) for k in n.kinds for lv in n.levels}
        else:
            sets[n.code] = set().union(*(sets[c.code] for c in framework.children(n.code)))
    rows = sorted((c, k, lv) for c, s in sets.items() for k, lv in s)
    return pl.DataFrame(rows, schema={"code": pl.String, "kind": pl.String, "level": pl.String}, orient="row")


def carried(framework, indicators: pl.DataFrame, scores: pl.DataFrame, dims) -> pl.DataFrame:
    """unit_id, year, code, x, eff, contribution for every node below the index.

    `indicators` holds the normalised indicator values and `scores` the aggregate columns (and
    kind, level) of the unit-years to explain. `eff` is the weight the node carried in that
    unit's score; `contribution` = x * eff where defined.
    """
    index = framework.nodes[0].code
    nodes = pl.DataFrame(
        [(n.code, n.parent, float(n.weight), framework.depth(n.code)) for n in framework.nodes[1:]],
        schema={"code": pl.String, "parent": pl.String, "w": pl.Float64, "depth": pl.Int64}, orient="row",
    )
    keys = scores.select("unit_id", "year", "kind", "level", "score")
    codes = [n.code for n in framework.indicators]
    ind = (indicators.filter(pl.col("indicator").is_in(codes))
           .select("unit_id", "year", pl.col("indicator").alias("code"), pl.col("normalised").alias("x")))
    agg = (scores.select("unit_id", "year", *dims)
           .unpivot(index=["unit_id", "year"], variable_name="code", value_name="x") if dims else None)
    vals = pl.concat([ind, agg], how="vertical_relaxed") if agg is not None else ind
    app = applicability(framework).with_columns(pl.lit(True).alias("_app"))
    vals = (vals.join(keys, on=["unit_id", "year"], how="inner")
            .join(app, on=["code", "kind", "level"], how="left")
            .with_columns(pl.when(pl.col("_app")).then(pl.col("x")).otherwise(None).alias("x"))
            .join(nodes, on="code", how="inner"))
    avail = pl.col("x").is_not_null()
    siblings = (pl.col("w") * avail.cast(pl.Float64)).sum().over("unit_id", "year", "parent")
    vals = vals.with_columns(pl.when(avail).then(pl.col("w") / siblings).otherwise(None).alias("share"))
    out = []
    parent_eff = keys.select("unit_id", "year", pl.lit(index).alias("parent"),
                             pl.when(pl.col("score").is_not_null()).then(1.0).otherwise(None).alias("peff"))
    for d in range(1, int(nodes["depth"].max() or 0) + 1):
        level = (vals.filter(pl.col("depth") == d).join(parent_eff, on=["unit_id", "year", "parent"], how="left")
                 .with_columns((pl.col("share") * pl.col("peff")).alias("eff")))
        out.append(level)
        parent_eff = level.select("unit_id", "year", pl.col("code").alias("parent"), pl.col("eff").alias("peff"))
    add = additive(framework)
    res = pl.concat(out, how="vertical_relaxed") if out else vals.with_columns(pl.lit(None, pl.Float64).alias("eff"))
    res = res.with_columns(pl.col("code").replace_strict(add, default=False, return_dtype=pl.Boolean).alias("_add"))
    return res.select(
        "unit_id", "year", "code", "x", "eff",
        pl.when(pl.col("_add")).then(pl.col("x") * pl.col("eff")).otherwise(None).alias("contribution"),
    )


def percentiles(indicators: pl.DataFrame, scores: pl.DataFrame, years) -> pl.DataFrame:
    """unit_id, year, indicator, percentile, peer_mean: the mid-rank percentile (0-100, higher =
    better) of the normalised value among units of the same year, kind and level with a value,
    and the mean normalised value of those units."""
    keys = scores.select("unit_id", "year", "kind", "level")
    df = (indicators.filter(pl.col("year").is_in(list(years)), pl.col("normalised").is_not_null())
          .join(keys, on=["unit_id", "year"], how="inner"))
    grp = ["year", "indicator", "kind", "level"]
    return df.select("unit_id", "year", "indicator", (
        (pl.col("normalised").rank("average").over(grp) - 0.5) / pl.col("normalised").count().over(grp) * 100
    ).alias("percentile"), pl.col("normalised").mean().over(grp).alias("peer_mean"))
