"""Data for the what-if weights of the overview page.

The page recomputes the index in the browser from the published scores of the index's children
(the dimensions): the same weighted mean over the available, applicable children as the rating,
the same data threshold, grade bands and veto caps, and ranks within year, kind and level.
Only the published result is official; the page says so, shows each change against the
published score, rank and grade, names the columns it does not recompute, and refuses weights
that are negative or add up to zero with a message (`messages`).
"""
from __future__ import annotations

import polars as pl

from reports.i18n import message, node_label
from reports.weights import applicability

SUPPORTED = ("arithmetic", "geometric")


def caps(framework, veto) -> int:
    """Index (0 = best) of the worst grade cap among the vetoes of a scores `veto` cell; -1 if none."""
    order = {g.code: i for i, g in enumerate(framework.grades)}
    return max((order.get(v.cap, -1) for v in framework.vetoes_in(veto)), default=-1)


def whatif_data(framework, latest: pl.DataFrame, lang: str) -> dict | None:
    """The JSON the page script reads; None when the index cannot be recomputed in the page
    (a child of the index without a published score column, or an unsupported method)."""
    root = framework.nodes[0]
    kids = framework.children(root.code)
    method = framework.aggregation_of(root)[0]
    if not kids or method not in SUPPORTED or any(k.code not in latest.columns for k in kids):
        return None
    codes = [k.code for k in kids]
    app = applicability(framework).filter(pl.col("code").is_in(codes))
    app_set = {(r[0], r[1], r[2]) for r in app.iter_rows()}
    groups, gidx, units = [], {}, []
    for row in latest.select("unit_id", "kind", "level", "veto", *codes).iter_rows(named=True):
        key = (row["kind"], row["level"])
        if key not in gidx:
            gidx[key] = len(groups)
            groups.append({"kind": row["kind"], "level": row["level"],
                           "app": [1 if (c, row["kind"], row["level"]) in app_set else 0 for c in codes]})
        values = [None if row[c] is None else round(float(row[c]), 4) for c in codes]
        units.append([row["unit_id"], gidx[key], values, caps(framework, row["veto"])])
    return {
        "dims": [{"code": k.code, "label": node_label(k, lang), "weight": float(k.weight)} for k in kids],
        "method": method,
        "threshold": float(framework.methods.get("data_threshold") or 0.0),
        "grades": [{"code": g.code, "min": float(g.min), "label": node_label(g, lang)} for g in framework.grades],
        "groups": groups,
        "units": units,
        "messages": {"stale": message("whatif_stale", lang), "zero_total": message("whatif_zero", lang),
                     "bad_weight": message("whatif_negative", lang), "was": message("whatif_was", lang),
                     "changed": message("whatif_changed", lang)},
    }


def controls(data: dict | None) -> list[dict]:
    """One weight control per child of the index, with its published weight and share."""
    if not data:
        return []
    tot = sum(d["weight"] for d in data["dims"]) or 1.0
    return [{"code": d["code"], "label": d["label"], "weight": f"{d['weight']:g}",
             "share": f"{100 * d['weight'] / tot:.0f}%"} for d in data["dims"]]
