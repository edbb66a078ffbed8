"""Contexts of the unit pages (units/<unit_id>.html).

Every frame is prepared for all units at once (joins and window expressions over whole frames)
and grouped by unit in one pass; the per-unit loop only picks its rows and formats them.
A unit page shows the latest year the unit was rated in, and its trend over all years.
"""
from __future__ import annotations

import math
from math import copysign
from typing import Iterator

import polars as pl

from indicators.framework import VETO_SEPARATOR
from reports.alerts_page import rule_names
from reports import counts, evidence as ev, fmt, records as rec, scope, svg, unit_risk, weights, wording
from reports.i18n import (CATEGORY, SEVERITY, STATUS, alert_label, kind_label, level_label, lookup, message,
                          node_label, source_label, unit_text)
from reports.tables import ALERT_ORDER, Inputs, RowGroups, rows_of
from reports.labels import grade_label

STRONG = 3  # strengths and weaknesses listed
LOSS_FLOOR = 0.005  # points: a smaller loss shows as 0.00 and is not a loss worth listing


class Prepared:
    """The per-unit row groups every page draws from: every polars step here, once; the rows of a
    unit become dicts when its page asks for them (see tables.RowGroups)."""

    def __init__(self, inp: Inputs, evidence: dict | None = None):
        fw, s = inp.framework, inp.scores
        current = s.group_by("unit_id").agg(pl.col("year").max())
        cur = s.join(current, on=["unit_id", "year"], how="semi")
        years = sorted(set(current["year"].drop_nulls().to_list()))
        ind = inp.indicators.join(current, on=["unit_id", "year"], how="semi")
        carried = weights.carried(fw, ind, cur, inp.dims).rename({"code": "indicator"})
        pct = weights.percentiles(inp.indicators, s, years)
        ind = (ind.join(carried.select("unit_id", "year", "indicator", "eff", "contribution"),
                        on=["unit_id", "year", "indicator"], how="left")
               .join(pct, on=["unit_id", "year", "indicator"], how="left"))
        self.current = dict(zip(current["unit_id"].to_list(), current["year"].to_list()))
        self.scores = RowGroups(s.sort("unit_id", "year"))
        self.indicators = RowGroups(ind, by="indicator")
        dim = carried.filter(pl.col("indicator").is_in(list(inp.dims)))
        self.dim_eff = dict(zip(zip(dim["unit_id"].to_list(), dim["indicator"].to_list()), dim["eff"].to_list()))
        lvl = pl.col("level").replace_strict(ALERT_ORDER, default=9, return_dtype=pl.Int64)
        self.alerts = RowGroups(inp.alerts.sort(pl.col("year"), lvl, "rule", descending=[True, False, False]))
        self.risk = RowGroups(inp.risk.join(current, on=["unit_id", "year"], how="semi"))
        self.rule_names = rule_names(fw, inp.alerts["rule"].unique().drop_nulls().to_list(), inp.lang)
        units = inp.units
        self.units = {r["unit_id"]: r for r in rows_of(units)}
        if inp.internal and not inp.records.is_empty():
            self.behind = RowGroups(rec.behind_deductions(inp.records, units, fw, current), key="target")
            self.pending = RowGroups(rec.pending(inp.records, units), key="target")
        else:
            self.behind, self.pending = {}, {}
        rows = _dates_as_text(ev.behind(evidence, units, fw, current)) if inp.internal and evidence else None
        self.rows_behind = RowGroups(rows, key="target") if rows is not None and not rows.is_empty() else {}
        by_code = {n.code: n for n in fw.nodes + fw.auxiliary}
        self.definitions = {code: n.definition for code, n in by_code.items() if n.is_indicator}
        self.nodes = {code: n for code, n in by_code.items() if n.is_indicator}
        self.info = {}
        for n in fw.nodes + fw.auxiliary:
            top, depth = n, 0
            while top.parent is not None and top.parent != fw.nodes[0].code:
                top, depth = by_code[top.parent], depth + 1
            self.info[n.code] = {"label": node_label(n, inp.lang), "unit": n.unit,
                                 "unit_text": unit_text(n.unit, inp.lang), "top": top.code,
                                 "depth": depth + (n.parent is not None)}
        self._layouts: dict = {}
        default = float(fw.methods.get("min_count") or counts.MIN_CASES)
        #: per indicator: (definition, fewest cases, formatter of its raw value), for every row of it
        self.cells = {code: (self.definitions.get(code), counts.minimum(self.definitions.get(code), default),
                             fmt.measurer(n.unit)) for code, n in by_code.items()}
        self.grades = {g.code: i for i, g in enumerate(fw.grades)}
        self.grade_bounds = [{"code": g.code, "min": g.min} for g in fw.grades]  # the trend chart's lines
        self.grade_names = {g.code: node_label(g, inp.lang) for g in fw.grades}
        #: `_counts` by (indicator, thin flag, numerator, denominator): most pages repeat the same few
        self.counts_memo: dict = {}
        self.data_years = scope.unit_years(inp)
        self.debt_rules, self.fiscal_note = scope.capacity_rules(fw), scope.fiscal_note(inp)
        self.risk_parts = unit_risk.RiskParts(inp, current)

    def layout(self, fw, kind, level) -> list:
        """The index indicators that apply to a kind and level (all when unknown), in order."""
        key = (kind, level)
        if key not in self._layouts:
            self._layouts[key] = [n.code for n in fw.indicators
                                  if kind is None or (kind in n.kinds and level in n.levels)]
        return self._layouts[key]


def _dates_as_text(rows: pl.DataFrame) -> pl.DataFrame:
    """The dates and times inside the contracts' and tickets' rows (`row_<table>` structs) as
    the cells write them, YYYY-MM-DD (`fmt.date` writes a text as it is): formatted by polars
    once for all rows, where a Python date object per value costs more to make than to write."""
    out = []
    for name, dtype in rows.schema.items():
        if isinstance(dtype, pl.Struct):
            dates = [pl.field(f.name).dt.strftime("%Y-%m-%d") for f in dtype.fields
                     if f.dtype in (pl.Date, pl.Datetime)]
            if dates:
                out.append(pl.col(name).struct.with_fields(dates))
    return rows.with_columns(out) if out else rows


def link(uid, inp: Inputs, units: dict) -> dict | None:
    if not uid:
        return None
    u = units.get(uid)
    return {"label": u["label"] if u else uid, "href": f"{uid}.html" if uid in inp.paged else None, "id": uid}


def header(uid: str, inp: Inputs, p: Prepared) -> dict:
    u = p.units.get(uid) or {"label": uid, "name": None, "name_en": None, "kind": None, "level": None,
                             "parent_id": None, "region_id": None, "city_id": None}
    other = u.get("name_en") if inp.lang == "zh" else u.get("name")
    region = u.get("region_id") if u.get("region_id") not in (None, uid, u.get("parent_id")) else None
    return {"id": uid, "label": u["label"], "other_name": other if other and other != u["label"] else None,
            "kind": kind_label(u.get("kind"), inp.lang), "level": level_label(u.get("level"), inp.lang),
            "parent": link(u.get("parent_id"), inp, p.units), "region": link(region, inp, p.units)}


def summary(row: dict, inp: Inputs, p: Prepared, grades: dict) -> dict:
    t = inp.t
    g, gu = row.get("grade"), row.get("grade_uncapped")
    names = p.grade_names
    honours = row.get("honours_eligible")
    risk = p.risk.get(row["unit_id"], [])
    return {
        "year": row["year"], "score": fmt.num(row["score"]), "scored": not fmt.missing(row["score"]),
        "score_interval": fmt.interval(row["score_low"], row["score_high"], 1),
        "rank": fmt.integer(row["rank"]), "peers": fmt.integer(row.get("peers")),
        "rank_interval": fmt.interval(row["rank_low"], row["rank_high"]),
        "rank_median": fmt.integer(row["rank_median"]),
        "grade": g or fmt.DASH, "grade_name": names.get(g, ""), "grade_idx": grades.get(g, ""),
        "grade_uncapped": gu or fmt.DASH, "changes": unit_risk.grade_changes(row, inp),
        "honours": fmt.DASH if honours is None else (t["eligible"] if honours else t["not_eligible"]),
        "honours_reason": fmt.bilingual(row.get("honours_reason"), inp.lang) if row.get("honours_reason") else "",
        "outlook": unit_risk.outlook_label(row.get("outlook"), inp.lang),
        "alert": row.get("alert") or "", "alert_label": alert_label(row.get("alert"), inp.lang),
        "alert_detail": unit_risk.alert_detail(row["unit_id"], inp, p.risk_parts),
        "risk": fmt.pct(risk[0]["probability"], 1) if risk and inp.internal else None,
    }


def dimensions(row: dict, inp: Inputs, p: Prepared, colour: str) -> dict:
    t = inp.t
    rows = []
    for d in inp.dims:
        v, m = row.get(d), row.get(f"{d}__median")
        rows.append({"code": d, "label": p.info[d]["label"], "depth": p.info[d]["depth"],
                     "value": fmt.num(v), "median": fmt.num(m),
                     "diff": fmt.signed(None if fmt.missing(v) or fmt.missing(m) else v - m),
                     "eff": fmt.pct(p.dim_eff.get((row["unit_id"], d)), 1), "_v": v, "_m": m})
    top = [r for r in rows if r["depth"] == 1]
    desc = "; ".join(f"{r['label']}: {r['value']} ({t['peer_median']} {r['median']})" for r in top)
    chart = svg.dimension_bars([{"label": r["label"], "value": r["_v"], "median": r["_m"]} for r in top],
                               colour=colour, title=t["dimensions_vs_peers"], desc=desc,
                               legend={"unit": t["score"], "median": t["peer_median"]}) if top else None
    return {"rows": rows, "chart": chart, "svg": svg.bars_svg(chart) if chart else None}


def trend(rows: list[dict], inp: Inputs, colours: dict, grades: list[dict] | None = None) -> dict:
    """The table and chart of a unit's scores over the years (`grades`: the framework's
    [{code, min}], built once for all pages when given). Formats are written out here, as
    `fmt.num`, `fmt.interval`, `fmt.integer` and `fmt.signed` write them (thousands of pages)."""
    t, fw, lang = inp.t, inp.framework, inp.lang
    dash, signed = fmt.DASH, fmt.signed
    table, points, desc = [], [], []
    for r in rows:
        score, low, high, g = r["score"], r["score_low"], r["score_high"], r.get("grade")
        rank, rlo, rhi, yoy = r["rank"], r["rank_low"], r["rank_high"], r.get("yoy")
        shown = dash if score is None or score != score else f"{score:,.1f}"
        label = (grade_label(r, lang) if r.get("veto") else g) or dash
        table.append({"year": r["year"], "score": shown,
                      "score_interval": dash if low is None or low != low or high is None or high != high
                      else f"{low:.1f}–{high:.1f}",
                      "rank": dash if rank is None or rank != rank else f"{int(rank):,d}",
                      "rank_interval": dash if rlo is None or rlo != rlo or rhi is None or rhi != rhi
                      else f"{int(rlo)}–{int(rhi)}",
                      "grade": label, "yoy": dash if yoy is None else signed(yoy)})
        points.append({"year": r["year"], "score": score, "low": low, "high": high,
                       "colour": colours.get(g, "#757575"), "grade": g})
        desc.append(f"{r['year']}: {shown} {label}")
    if grades is None:
        grades = [{"code": g.code, "min": g.min} for g in fw.grades]
    chart = svg.trend(points, grades=grades, title=t["trend"], desc="; ".join(desc))
    return {"rows": table, "chart": chart, "svg": svg.trend_svg(chart)}


def indicator_rows(uid: str, unit: dict, inp: Inputs, p: Prepared) -> tuple[list[dict], list[dict]]:
    """Rows of the index's indicators (grouped under their dimension) and of the auxiliary ones.

    The hottest loop of the unit pages (about twenty rows a page): formats are written out here
    (`fmt.num` and `fmt.pct` inline) rather than called per cell."""
    fw, info, cells, lang, memo = inp.framework, p.info, p.cells, inp.lang, p.counts_memo
    have = p.indicators.get(uid, {})
    groups: dict[str, dict] = {}
    empty: dict = {}
    dash = fmt.DASH
    for code in p.layout(fw, unit.get("kind"), unit.get("level")):
        r, i = have.get(code, empty), info[code]
        outside = bool(r.get("outside_coverage"))
        x, eff, c = r.get("normalised"), r.get("eff"), r.get("contribution")
        mean, pct = r.get("peer_mean"), r.get("percentile")
        lost = None if x is None or eff is None or c is None or mean is None else max(mean - x, 0.0) * eff
        grp = groups.get(i["top"])
        if grp is None:
            grp = groups[i["top"]] = {"label": info[i["top"]]["label"], "rows": []}
        d, need, measure = cells[code]
        if outside or not r:
            cnt = _NO_COUNTS
        else:  # `_counts`' memo looked up here: most rows are in it
            n, den = r.get("numerator"), r.get("denominator")
            cnt = memo.get((code, r.get("thin"), n, den)) if (n is None or (n == n and (n or copysign(1.0, n) > 0))) \
                and (den is None or (den == den and (den or copysign(1.0, den) > 0))) else None
            if cnt is None:
                cnt = _counts(d, need, r, inp, outside, lang, memo, code)
        grp["rows"].append({
            "code": code, "label": i["label"], "unit": i["unit_text"], "dimension": grp["label"],
            "value": dash if outside else measure(r.get("value")), "outside": outside, **cnt,
            "normalised": dash if x is None or x != x else f"{x:,.1f}", "n_records": 0,
            "eff": dash if eff is None or eff != eff else f"{100 * eff:.1f}%",
            "contribution": dash if c is None or c != c else f"{c:,.2f}",
            "lost": dash if lost is None or lost != lost else f"{lost:,.2f}", "_lost": lost,
            "percentile": dash if pct is None or pct != pct else f"{pct:,.0f}", "_pct": pct,
        })
    aux = []
    for n in fw.auxiliary:
        code = n.code
        if code in have:
            r, i = have[code], info[code]
            outside = bool(r.get("outside_coverage"))
            d, need, measure = cells[code]
            aux.append({"code": code, "label": i["label"], "unit": i["unit_text"],
                        "value": dash if outside else measure(r.get("value")), "outside": outside,
                        **_counts(d, need, r, inp, outside, lang, memo, code)})
    return list(groups.values()), aux


def evidence_counts(code: str, r: dict, inp: Inputs, p: Prepared, outside: bool) -> dict:
    """The counts behind a value ("2/4份合同") and whether it rests on too few cases."""
    d, need, _ = p.cells.get(code) or (None, 0.0, None)
    return dict(_counts(d, need, r, inp, outside, inp.lang, p.counts_memo, code))


_NO_COUNTS = {"counts": "", "thin": False, "thin_text": ""}


def _counts(d, need: float, r: dict, inp: Inputs, outside: bool, lang: str, memo: dict | None = None,
            code: str | None = None) -> dict:
    """`evidence_counts` with the definition and its fewest cases (`counts.minimum`) given; kept
    in `memo` by (`code`, flag, numerator, denominator) when given (one language and framework per
    memo: `Prepared.counts_memo`). The result is shared: copy it, never change it."""
    if outside or not r:
        return _NO_COUNTS
    flag, den, n = r.get("thin"), r.get("denominator"), r.get("numerator")
    key = (code, flag, n, den) if memo is not None and _keyable(n) and _keyable(den) and flag == flag else None
    if key is not None:
        hit = memo.get(key)
        if hit is not None:
            return hit
    # counts.is_thin, written out
    thin = (flag is not None and flag == flag and bool(flag)) or (
        bool(need) and den is not None and den == den and float(den) < need)
    text = message("thin_value", lang, n=fmt.integer(den), min=f"{need:g}") if thin and need else (
        inp.t["thin_value_bare"] if thin else "")
    out = {"counts": counts.counts_text(d, n, den, lang), "thin": thin, "thin_text": text}
    if key is not None:
        memo[key] = out
    return out


def _keyable(x) -> bool:
    """Whether a count may key `_counts`' memo: equal keys print the same (not NaN, which never
    equals itself, nor -0.0, which equals 0.0 but prints "-0")."""
    return x is None or (x == x and (x != 0 or math.copysign(1.0, x) > 0))


def losses(groups: list[dict], row: dict, inp: Inputs) -> dict:
    """Every indicator on which the unit falls behind its peers, largest first: points lost = the
    weight the indicator carried in the score x (peer group's mean normalised value - the unit's),
    so that losses mean the same under any normalisation (against 100 a z-scored average unit
    would "lose" 50 points on everything)."""
    rows = [r for g in groups for r in g["rows"] if not fmt.missing(r["_lost"]) and r["_lost"] >= LOSS_FLOOR]
    rows.sort(key=lambda r: (-r["_lost"], r["code"]))
    total = sum(r["_lost"] for r in rows)
    top = rows[:STRONG]
    text = message("losses_text", inp.lang, score=fmt.num(row.get("score")), lost=fmt.num(total, 1),
                   n=len(top), top=fmt.num(sum(r["_lost"] for r in top), 1)) if rows and not fmt.missing(
        row.get("score")) else ""
    return {"rows": rows, "total": fmt.num(total, 2), "text": text}


def strengths(groups: list[dict]) -> list[dict]:
    """The indicators on which the unit stands highest among its peers (percentile >= 50).
    Weaknesses are the largest losses of points (`losses`), not the lowest percentiles."""
    rows = [r for g in groups for r in g["rows"] if not fmt.missing(r["_pct"])]
    rows.sort(key=lambda r: (-r["_pct"], r["code"]))
    return [r for r in rows if r["_pct"] >= 50][:STRONG]


def alert_rows(rows: list[dict], inp: Inputs, p: Prepared) -> list[dict]:
    en = inp.lang == "en"
    return [{"year": r["year"], "level": r["level"] or "", "level_label": alert_label(r["level"], inp.lang),
             "source": source_label(r["source"], inp.lang), "rule": p.rule_names.get(r["rule"]) or fmt.text(r["rule"]),
             "message": fmt.text((r["message_en"] or r["message"]) if en else (r["message"] or r["message_en"])),
             "evidence": fmt.evidence(r["evidence"]) if inp.internal else [],
             "note": p.fiscal_note if p.fiscal_note and scope.about_capacity(r["rule"], r["evidence"], p.debt_rules)
             else ""} for r in rows]


def record_row(r: dict, uid: str, inp: Inputs, p: Prepared) -> dict:
    lang = inp.lang
    against = link(r["unit_id"], inp, p.units) if r["unit_id"] != uid else None
    return {"id": fmt.text(r["record_id"]), "against": against,
            "category": lookup(CATEGORY, r["category"], lang), "severity": lookup(SEVERITY, r["severity"], lang),
            "occurred_on": fmt.date(r["occurred_on"]), "status": lookup(STATUS, r["status"], lang),
            "status_changed_on": fmt.date(r["status_changed_on"]), "amount": fmt.num(r["amount"], 0),
            "weight": fmt.num(r["weight"], 2), "description": fmt.clip(r["description"])}


def evidence_records(uid: str, inp: Inputs, p: Prepared, groups: list[dict]) -> list[dict]:
    """The failure records behind the unit's deductions, each once, with the indicators it
    counts in; records behind the largest losses first. Each shown indicator row gets
    `n_records`, the number of records behind it."""
    shown = {r["code"]: r for g in groups for r in g["rows"]}
    by_id: dict[str, dict] = {}
    for r in p.behind.get(uid, []):
        code = r["indicator"]
        rec_ = by_id.get(r["record_id"])
        if rec_ is None:
            rec_ = by_id[r["record_id"]] = {**record_row(r, uid, inp, p), "_codes": [], "_lost": 0.0,
                                            "_order": (r["occurred_on"] is None, r["occurred_on"], r["record_id"])}
        if code not in rec_["_codes"]:
            rec_["_codes"].append(code)
            row = shown.get(code)
            if row is not None:
                row["n_records"] = row.get("n_records", 0) + 1
                rec_["_lost"] = max(rec_["_lost"], row["_lost"] or 0.0)
    out = list(by_id.values())
    for r in out:
        r["_codes"].sort(key=lambda c: (-((shown.get(c) or {}).get("_lost") or 0.0), c))
        r["indicators"] = [p.info[c]["label"] if c in p.info else c for c in r["_codes"]]
    out.sort(key=lambda r: (-r["_lost"], r["_order"]))
    return out


def evidence_rows(uid: str, inp: Inputs, p: Prepared, groups: list[dict]) -> list[dict]:
    """The contracts and tickets behind the unit's rate indicators, one group per indicator,
    the indicator that cost most points first."""
    shown = {r["code"]: r for g in groups for r in g["rows"]}
    lang, t = inp.lang, inp.t
    out: dict[str, dict] = {}
    for r in p.rows_behind.get(uid, []):
        code = r["indicator"]
        g = out.get(code)
        if g is None:
            row = shown.get(code) or {}
            noun = t[f"ev_noun_{r['table']}"]
            have = p.indicators.get(uid, {}).get(code, {})
            n = ev.against_count(p.nodes[code], have.get("numerator"), have.get("denominator")) \
                if code in p.nodes else None
            n = r["n"] if n is None else max(int(round(n)), len([x for x in p.rows_behind[uid]
                                                                 if x["indicator"] == code]))
            g = out[code] = {"code": code, "table": r["table"], "_lost": row.get("_lost") or 0.0,
                             "summary": message("evidence_rows_summary", lang, label=p.info.get(code, {}).get(
                                 "label", code), lost=row.get("lost", fmt.DASH), n=fmt.integer(n), noun=noun),
                             "more": message("evidence_rows_more", lang, n=fmt.integer(n - ev.LIMIT))
                             if n > ev.LIMIT else "",
                             "headers": [t[h] for h in ev.HEADERS[r["table"]]], "rows": []}
        item = r[f"row_{r['table']}"]
        against = link(item.get("unit_id"), inp, p.units) if item.get("unit_id") != uid else None
        g["rows"].append(ev.row_cells(r["table"], item, against, lang, t, lambda v: wording.value(v, lang)
                                      if v is not None else fmt.DASH))
    return sorted(out.values(), key=lambda g: (-g["_lost"], g["code"]))


def veto_rows(row: dict, uid: str, inp: Inputs, p: Prepared) -> list[dict]:
    """Each veto that capped the grade, with the value that triggered it and whose record it
    was: the records behind the veto's indicator (internal edition), else the scores' structured
    `veto_unit_id` / `veto_record_id` columns; a veto on a value without records (e.g. the debt
    ratio) is the unit's own."""
    out = []
    lang = inp.lang
    have = p.indicators.get(uid, {})
    behind = p.behind.get(uid, [])
    for v in inp.framework.vetoes_in(row.get("veto")):
        ind = have.get(v.indicator, {})
        info = p.info.get(v.indicator, {})
        d = p.definitions.get(v.indicator)
        hits = [r for r in behind if r["indicator"] == v.indicator]
        if d is None or d.table != rec.TABLE:
            whose, ids = [link(uid, inp, p.units)], []
        elif hits:
            ids = sorted({r["record_id"] for r in hits})
            whose = [link(u, inp, p.units) for u in dict.fromkeys(
                sorted({r["unit_id"] for r in hits}, key=lambda u: (u != uid, u)))]
        else:
            whose = [link(u, inp, p.units) for u in str(row.get("veto_unit_id") or "").split(VETO_SEPARATOR) if u]
            ids = [x for x in str(row.get("veto_record_id") or "").split(VETO_SEPARATOR) if x] if inp.internal else []
        out.append({"code": v.code, "reason": v.reason(lang), "cap": v.cap,
                    "indicator": info.get("label", v.indicator),
                    "value": fmt.measure(ind.get("value"), info.get("unit") or ""),
                    "whose": whose, "records": [fmt.text(x) for x in ids]})
    return out


def unit_context(uid: str, inp: Inputs, p: Prepared, colours: dict) -> dict | None:
    """The context of one unit's page, or None when the unit has no scores. Pure Python over the
    dicts of `p` (no polars call): forked processes build their own share of the pages with it."""
    years = p.scores.get(uid, [])
    row = next((r for r in years if r["year"] == p.current.get(uid)), years[-1] if years else None)
    if row is None:
        return None
    grades = p.grades
    unit = p.units.get(uid, {})
    groups, aux = indicator_rows(uid, unit, inp, p)
    evidence = evidence_records(uid, inp, p, groups) if inp.internal else []
    good = strengths(groups)
    lost = losses(groups, row, inp)
    colour = colours.get(row.get("grade"), "#757575")
    return {
        "unit": header(uid, inp, p), "summary": summary(row, inp, p, grades),
        "dimensions": dimensions(row, inp, p, colour), "trend": trend(years, inp, colours, p.grade_bounds),
        "indicator_groups": groups, "auxiliary": aux, "strengths": good, "losses": lost,
        "vetoes": veto_rows(row, uid, inp, p),
        "alerts": alert_rows(p.alerts.get(uid, []), inp, p),
        "data_years": p.data_years.get(uid, []) if p.data_years is not None else [],
        "explanations": unit_risk.explanation_rows(uid, inp, p.risk_parts, p.info),
        "grade_probs": unit_risk.grade_probabilities(row, inp, grades),
        "evidence": evidence, "evidence_rows": evidence_rows(uid, inp, p, groups) if inp.internal else [],
        "evidence_note": message("evidence_rows_note", inp.lang, limit=ev.LIMIT),
        "pending": [record_row(r, uid, inp, p) for r in p.pending.get(uid, [])] if inp.internal else [],
    }


def paged_units(inp: Inputs, p: Prepared) -> list[str]:
    """The ids of the units that get a page (those with scores), in unit id order."""
    return [uid for uid in sorted(inp.paged) if uid in p.scores]


def unit_contexts(inp: Inputs, colours: dict, evidence: dict | None = None) -> Iterator[tuple[str, dict]]:
    """(unit_id, context) for every unit with scores, in unit id order. `evidence`: the contracts
    and tickets frames by table name (internal edition; see reports.evidence)."""
    p = Prepared(inp, evidence)
    for uid in paged_units(inp, p):
        yield uid, unit_context(uid, inp, p, colours)
