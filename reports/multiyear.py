"""The multi-year view of index.html: units per grade in every year, and the grade migration
matrix (rating.migration) of every pair of consecutive years and pooled, for all units and for
each peer group, so the reader sees who moved between grades without opening migration.csv.
"""
from __future__ import annotations

import polars as pl

from rating.migration import UNGRADED, migration
from reports.i18n import message
from reports.peers import group_label, groups
from reports.tables import Inputs


def _grade_heads(order: list[str], inp: Inputs, grades: dict) -> list[dict]:
    return [{"code": g, "label": inp.t["not_rated_short"] if g == UNGRADED else g,
             "idx": grades[g]["idx"] if g in grades else ""} for g in order]


def by_year(scores: pl.DataFrame, codes: list[str]) -> list[dict]:
    """Per year (newest first): units per grade (framework order), unrated units, all units and
    the median score."""
    counts = scores.group_by("year", "grade").len()
    table = {(y, g): n for y, g, n in counts.iter_rows()}
    medians = dict(scores.group_by("year").agg(pl.col("score").median()).iter_rows())
    out = []
    for y in sorted(scores["year"].drop_nulls().unique().to_list(), reverse=True):
        n = [table.get((y, g), 0) for g in codes]
        total = sum(v for (yy, _), v in table.items() if yy == y)
        med = medians.get(y)
        out.append({"year": y, "counts": n, "unrated": total - sum(n), "total": total,
                    "median": "—" if med is None else f"{med:.1f}"})
    return out


def matrices(scores: pl.DataFrame, codes: list[str], inp: Inputs, grades: dict) -> list[dict]:
    """Each year pair's migration matrix (newest first, then pooled over all pairs): rows are the
    grade in the first year, columns the grade in the second; with the units that moved up,
    stayed and moved down among the graded ones."""
    m = migration(scores.select("unit_id", "year", "grade"), codes)
    order = [c for c in m.columns if c not in ("from_year", "to_year", "grade", "total")]
    rank = {g: i for i, g in enumerate(codes)}  # 0 = best
    out = []
    keys = m.select("from_year", "to_year").unique(maintain_order=True).rows()
    keys = sorted((k for k in keys if k[0] is not None), reverse=True) + [k for k in keys if k[0] is None]
    for fy, ty in keys:
        block = m.filter(pl.col("from_year").is_null() if fy is None else pl.col("from_year") == fy)
        rows, up = [], 0
        down = same = 0
        for r in block.iter_rows(named=True):
            rows.append({"grade": r["grade"], "counts": [r[c] for c in order], "total": r["total"],
                         "diag": order.index(r["grade"])})
            if r["grade"] in rank:
                for c in order:
                    if c not in rank or not r[c]:
                        continue
                    d = rank[c] - rank[r["grade"]]
                    up, same, down = up + r[c] * (d < 0), same + r[c] * (d == 0), down + r[c] * (d > 0)
        out.append({"key": "all" if fy is None else f"{fy}-{ty}",
                    "label": inp.t["all_years_pooled"] if fy is None else f"{fy} → {ty}",
                    "from": fy, "to": ty, "heads": _grade_heads(order, inp, grades), "rows": rows,
                    "up": up, "same": same, "down": down,
                    "summary": message("migration_summary", inp.lang, up=up, same=same, down=down)})
    return out


def multiyear(inp: Inputs, grades: dict) -> dict | None:
    """The view's data, or None when the run rated a single year."""
    scores = inp.scores.filter(pl.col("year").is_not_null())
    if scores["year"].n_unique() < 2:
        return None
    codes = [g.code for g in inp.framework.grades]
    views = [{"key": "all", "label": inp.t["all_units"], "scores": scores}]
    views += [{"key": f"{kind}-{level}", "label": group_label(kind, level, inp.lang), "scores": sub}
              for (kind, level), sub in groups(scores) if sub["unit_id"].n_unique() > 1]
    out = []
    for v in views:
        out.append({"key": v["key"], "label": v["label"], "years": by_year(v["scores"], codes),
                    "pairs": matrices(v["scores"], codes, inp, grades)})
    return {"views": out, "grades": _grade_heads(codes, inp, grades), "first": out[0]["pairs"][0]["key"]}
