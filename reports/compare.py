"""Context of compare.html: any two or three units side by side (score, rank, grade, dimensions,
indicators and the trend over the years), driven by one compact JSON block that the page's
script reads; the reader picks the units, the page draws the table and the chart.

Ranks stay those of each unit's own peer group; the page says so when the picked units belong
to different groups.
"""
from __future__ import annotations

import polars as pl

from reports.embed import script_json
from reports.i18n import alert_label, node_label, unit_text
from reports.labels import grade_label_expr
from reports.peers import group_label, group_order
from reports.tables import ALERT_ORDER, Inputs

MAX_UNITS = 3


def _digits(unit: str) -> str:
    """How the script shows an indicator's raw value (reports.fmt.measure): p1 = percentage with
    one decimal, d3 / d2 / d1 = fixed decimals."""
    u = (unit or "").lower()
    return "p1" if u.startswith("share") else "d3" if u == "ratio" else "d1" if u in ("records", "days") else "d2"


def _round(col: str, digits: int) -> pl.Expr:
    return pl.col(col).cast(pl.Float64).round(digits)


def _top_dims(inp: Inputs) -> list:
    root = inp.framework.nodes[0].code
    return [inp.framework.node(d) for d in inp.dims if inp.framework.node(d).parent == root]


def _dim_of(inp: Inputs, code: str, tops: dict[str, int]) -> int | None:
    """The top dimension an indicator belongs to (walking up its parents)."""
    seen = set()
    while code is not None and code not in seen:
        if code in tops:
            return tops[code]
        seen.add(code)
        code = inp.framework.node(code).parent
    return None


def compare_data(inp: Inputs, grades: dict) -> dict | None:
    """The page's data: units (in peer group, then rank order), per unit its latest result, its
    dimension and indicator scores and its score in every year; labels for the script.

    `now[i]` is [score, rank, rank_low, rank_high, grade, alert level, change on year, units in
    the peer group, the grade as shown (with the veto's cap)], or null when not rated this year."""
    scores = inp.scores.filter(pl.col("year").is_not_null())
    if scores.is_empty() or inp.year is None:
        return None
    lang, t = inp.lang, inp.t
    years = sorted(scores["year"].unique().to_list())
    latest = scores.filter(pl.col("year") == inp.year)
    info = (scores.sort("year").group_by("unit_id").agg(pl.col("kind", "level", "label").last())
            .join(latest.select("unit_id", "rank"), on="unit_id", how="left"))
    keys = sorted({(k, lv) for k, lv in info.select("kind", "level").iter_rows()}, key=lambda kl: group_order(*kl))
    gframe = pl.DataFrame({"kind": [k for k, _ in keys], "level": [lv for _, lv in keys], "g": range(len(keys))},
                          schema={"kind": pl.String, "level": pl.String, "g": pl.Int64})
    info = info.join(gframe, on=["kind", "level"], how="left", nulls_equal=True).sort("g", "rank", "unit_id",
                                                                                      nulls_last=True)
    ids = info["unit_id"].to_list()
    order = pl.DataFrame({"unit_id": ids, "_i": range(len(ids))}, schema={"unit_id": pl.String, "_i": pl.Int64})

    def per_unit(df: pl.DataFrame, cols: list[pl.Expr]) -> list[list]:
        rows = order.join(df.select("unit_id", *cols), on="unit_id", how="left").sort("_i").drop("_i", "unit_id")
        return [list(r) for r in rows.iter_rows()]

    peers = latest.group_by("kind", "level").agg(pl.col("score").count().alias("n"))
    now = latest.join(peers, on=["kind", "level"], how="left")
    now = now.with_columns(grade_label_expr(now.columns, lang).alias("_grade_text"))
    now_rows = per_unit(now, [_round("score", 2), pl.col("rank").cast(pl.Int64), pl.col("rank_low").cast(pl.Int64),
                              pl.col("rank_high").cast(pl.Int64), "grade", "alert", _round("yoy", 2), "n",
                              "_grade_text"])
    in_latest = set(latest["unit_id"].to_list())
    now_rows = [r if uid in in_latest else None for uid, r in zip(ids, now_rows)]

    tops = _top_dims(inp)
    dim_rows = per_unit(latest, [_round(d.code, 2) for d in tops]) if tops else [[] for _ in ids]

    top_idx = {d.code: i for i, d in enumerate(tops)}
    inds = [n for n in inp.framework.indicators]
    ind = inp.indicators.filter((pl.col("year") == inp.year) & pl.col("indicator").is_in([n.code for n in inds]))
    if ind.height:
        wide_n = ind.pivot(on="indicator", index="unit_id", values="normalised", aggregate_function="first")
        wide_v = ind.pivot(on="indicator", index="unit_id", values="value", aggregate_function="first")
    else:
        wide_n = wide_v = pl.DataFrame({"unit_id": []}, schema={"unit_id": pl.String})
    inds = [n for n in inds if n.code in wide_n.columns]
    norm = per_unit(wide_n, [_round(n.code, 1) for n in inds]) if inds else [[] for _ in ids]
    raw = per_unit(wide_v, [pl.col(n.code).cast(pl.Float64) for n in inds]) if inds else [[] for _ in ids]
    raw = [[None if v is None else float(f"{v:.6g}") for v in r] for r in raw]

    trend_wide = scores.pivot(on="year", index="unit_id", values="score", aggregate_function="first")
    trend = per_unit(trend_wide, [_round(str(y), 2) for y in years])

    region = [i for i, (k, _) in enumerate(keys) if k == "region"]
    first = next((i for i in region if sum(1 for g in info["g"].to_list() if g == i) > 1), 0)
    in_first = [i for i, g in enumerate(info["g"].to_list()) if g == first]
    default = [in_first[0], in_first[-1]] if len(in_first) > 1 else list(range(min(2, len(ids))))

    return {
        "latest": inp.year, "years": years, "max": MAX_UNITS, "default": default,
        "groups": [group_label(k, lv, lang) for k, lv in keys],
        "units": [[u, lab, g, f"units/{u}.html" if u in inp.paged else None]
                  for u, lab, g in info.select("unit_id", "label", "g").iter_rows()],
        "now": now_rows, "dims": [node_label(d, lang) for d in tops], "dimv": dim_rows,
        "inds": [[node_label(n, lang), unit_text(n.unit, lang), _digits(n.unit), _dim_of(inp, n.code, top_idx)]
                 for n in inds],
        "norm": norm, "raw": raw, "trend": trend,
        "grades": {g: v["idx"] for g, v in grades.items()},
        "alerts": {lv: alert_label(lv, lang) for lv in ALERT_ORDER},
        "t": {k: t[k] for k in ("peer_group", "score", "rank", "rank_interval", "grade", "alert_level", "yoy",
                                "dimensions", "indicators", "trend", "year", "cmp_mixed_groups", "cmp_pick_two",
                                "cmp_raw", "cmp_rank_of", "cmp_not_rated", "cmp_none", "cmp_unit_n", "unit",
                                "normalised")},
    }


def compare_context(inp: Inputs, grades: dict) -> dict:
    """What compare.html shows: the pickers' count and the JSON block (None without scores)."""
    data = compare_data(inp, grades)
    return {"json": script_json(data) if data else None, "pickers": list(range(MAX_UNITS)),
            "n_units": len(data["units"]) if data else 0}
