"""The headline of index.html: what a reader needs first about the latest year.

Per peer group the best and the worst unit and the largest move up and down (cities first),
the number of units in each grade and the number at each alert level. Ties go to the lower
unit id, so the headline is the same on every run of the same data.
"""
from __future__ import annotations

import polars as pl

from reports import fmt
from reports.i18n import alert_label, node_label
from reports.labels import grade_label
from reports.peers import group_label, groups
from reports.tables import ALERT_ORDER, Inputs


def _unit(row: dict, inp: Inputs, grades: dict) -> dict:
    g = grades.get(row.get("grade"))
    return {"id": row["unit_id"], "label": row["label"],
            "href": f"units/{row['unit_id']}.html" if row["unit_id"] in inp.paged else None,
            "score": fmt.num(row["score"]), "grade_text": grade_label(row, inp.lang) or fmt.DASH,
            "grade_idx": "" if g is None else g["idx"], "yoy": fmt.signed(row.get("yoy")),
            "prev_grade": row.get("prev_grade") or fmt.DASH}


def _first(df: pl.DataFrame, by: str, descending: bool) -> dict | None:
    if df.is_empty():
        return None
    return df.sort([by, "unit_id"], descending=[descending, False]).row(0, named=True)


def peer_groups(latest: pl.DataFrame, inp: Inputs, grades: dict) -> tuple[list[dict], list[dict]]:
    """(rows, single): a row per peer group of two or more scored units with its best, worst,
    largest rise and largest fall; and the units that are a group of their own (the province)."""
    scored = latest.filter(pl.col("score").is_not_null())
    rows, single = [], []
    for (kind, level), sub in groups(scored):
        if sub.height == 1:
            single.append({"group": group_label(kind, level, inp.lang), **_unit(sub.row(0, named=True), inp, grades)})
            continue
        moved = sub.filter(pl.col("yoy").is_not_null())
        up = _first(moved.filter(pl.col("yoy") > 0), "yoy", True)
        down = _first(moved.filter(pl.col("yoy") < 0), "yoy", False)
        rows.append({"group": group_label(kind, level, inp.lang), "key": f"{kind}-{level}", "n": sub.height,
                     "best": _unit(_first(sub, "score", True), inp, grades),
                     "worst": _unit(_first(sub, "score", False), inp, grades),
                     "up": _unit(up, inp, grades) if up else None,
                     "down": _unit(down, inp, grades) if down else None})
    return rows, single


def grade_counts(latest: pl.DataFrame, inp: Inputs, grades: dict) -> list[dict]:
    """Units per grade in the latest year (every peer group together), then the unrated ones."""
    counts = dict(latest.group_by("grade").len().iter_rows())
    out = [{"code": g.code, "label": node_label(g, inp.lang), "idx": grades[g.code]["idx"],
            "n": counts.get(g.code, 0)} for g in inp.framework.grades]
    unrated = sum(n for g, n in counts.items() if g not in grades)
    if unrated:
        out.append({"code": "", "label": inp.t["insufficient_data"], "idx": "", "n": unrated})
    return out


def alert_counts(latest: pl.DataFrame, inp: Inputs) -> list[dict]:
    """Units at each alert level (their most severe alert) in the latest year, most severe first."""
    counts = dict(latest.group_by("alert").len().iter_rows())
    return [{"level": lv, "label": alert_label(lv, inp.lang), "n": counts.get(lv, 0)}
            for lv in sorted(ALERT_ORDER, key=ALERT_ORDER.get)]


def headline(latest: pl.DataFrame, inp: Inputs, grades: dict) -> dict:
    """Everything the headline shows, as plain data."""
    rows, single = peer_groups(latest, inp, grades)
    return {"groups": rows, "single": single, "n": latest.height,
            "grades": grade_counts(latest, inp, grades), "alerts": alert_counts(latest, inp),
            "any_moves": any(r["up"] or r["down"] for r in rows)}
