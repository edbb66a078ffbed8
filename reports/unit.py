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
from markupsafe import Markup

from indicators.framework import VETO_SEPARATOR
from reports.alerts_page import rule_names
from reports import badges, counts, evidence as ev, fmt, records as rec, scope, svg, unit_risk, weights, wording
from reports.i18n import (CATEGORY, SEVERITY, STATUS, alert_label, kind_label, level_label, lookup, message,
                          node_label, source_label, unit_text)
from reports.tables import ALERT_ORDER, Inputs, RowGroups, rows_of
from reports.labels import grade_label

STRONG = 3  # strengths and weaknesses listed
LOSS_FLOOR = 0.005  # points: a smaller loss shows as 0.00 and is not a loss worth listing


#: The columns the unit pages read of a unit's scores of every year (`trend`, `labels.grade_label`)
#: and of its alerts: the rows of a page hold these alone.
_HISTORY = ("unit_id", "year", "score", "score_low", "score_high", "grade", "grade_uncapped", "rank", "rank_low",
            "rank_high", "yoy", "veto", "override")
_ALERT = ("year", "level", "source", "rule", "message", "message_en", "evidence")


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
        #: every column of a unit's scores, one row built at a time (`score_rows.row`); `scores`:
        #: the columns of the trend, of every year
        self.score_rows = RowGroups(s.sort("unit_id", "year"))
        self.scores = self.score_rows.only(_HISTORY)
        ind = ind.with_columns(pl.lit(None).alias(c) for c in _INDICATOR if c not in ind.columns)
        self.indicators = RowGroups(ind, by="indicator", columns=_INDICATOR)
        dim = carried.filter(pl.col("indicator").is_in(list(inp.dims)))
        self.dim_eff = dict(zip(zip(dim["unit_id"].to_list(), dim["indicator"].to_list()), dim["eff"].to_list()))
        lvl = pl.col("level").replace_strict(ALERT_ORDER, default=9, return_dtype=pl.Int64)
        self.alerts = RowGroups(inp.alerts.sort(pl.col("year"), lvl, "rule", descending=[True, False, False]),
                                columns=_ALERT)
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
        self.words = _Words(inp.lang)
        self.rows_behind = {}
        if rows is not None and not rows.is_empty():  # each row's table row written here, once
            html = ev.rows_html(rows, lambda uid, target: link_html(uid, inp, self) if uid != target else fmt.DASH,
                                inp.t, self.words)
            self.rows_behind = RowGroups(rows.select("target", "indicator", "table", "n",
                                                     pl.Series("html", html, dtype=pl.String)), key="target",
                                         columns=("indicator", "table", "n", "html"))
        by_code = {n.code: n for n in fw.nodes + fw.auxiliary}
        self.definitions = {code: n.definition for code, n in by_code.items() if n.is_indicator}
        self.nodes = {code: n for code, n in by_code.items() if n.is_indicator}
        self.info = {}
        for n in fw.nodes + fw.auxiliary:
            top, depth = n, 0
            while top.parent is not None and top.parent != fw.nodes[0].code:
                top, depth = by_code[top.parent], depth + 1
            label, text = node_label(n, inp.lang), unit_text(n.unit, inp.lang)
            self.info[n.code] = {"label": label, "unit": n.unit, "unit_text": text, "top": top.code,
                                 "depth": depth + (n.parent is not None),
                                 "label_html": fmt.escape_output(label), "unit_html": fmt.escape_output(text)}
        #: texts of the catalogue the rows of a page write in Python, escaped once
        self.html = {k: fmt.escape_output(inp.t[k]) for k in ("outside_coverage", "thin_mark")}
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
    """The unit's dimensions against its peers' medians: the chart, and the table's rows (`html`,
    the labels escaped; the numbers are formatted here)."""
    t, info, uid = inp.t, p.info, row["unit_id"]
    num, signed, dash = fmt.num, fmt.signed, fmt.DASH
    top, html = [], []
    for d in inp.dims:
        v, m, i = row.get(d), row.get(f"{d}__median"), info[d]
        value, median = num(v), num(m)
        eff = p.dim_eff.get((uid, d))
        html.append(f'<tr{_SUB if i["depth"] > 1 else ""}><th scope="row">{i["label_html"]}</th>'
                    f'<td class="num">{value}</td><td class="num">{median}</td><td class="num">'
                    f'{signed(None if v is None or v != v or m is None or m != m else v - m)}</td>'
                    f'<td class="num">{dash if eff is None or eff != eff else f"{100 * eff:.1f}%"}</td></tr>\n')
        if i["depth"] == 1:
            top.append({"label": i["label"], "value": v, "median": m, "text": value, "median_text": median})
    desc = "; ".join(f"{r['label']}: {r['text']} ({t['peer_median']} {r['median_text']})" for r in top)
    chart = svg.dimension_bars(top, colour=colour, title=t["dimensions_vs_peers"], desc=desc,
                               legend={"unit": t["score"], "median": t["peer_median"]}) if top else None
    return {"html": Markup("".join(html)), "chart": chart, "svg": svg.bars_svg(chart) if chart else None}


_SUB = ' class="sub"'


def trend(rows: list[tuple], inp: Inputs, colours: dict, grades: list[dict] | None = None) -> dict:
    """The table (its rows as `html`) and chart of a unit's scores over the years (`rows`: tuples
    of the `_HISTORY` columns; `grades`: the framework's [{code, min}], built once for all pages
    when given). Formats are written out here, as `fmt.num`, `fmt.interval`, `fmt.integer` and
    `fmt.signed` write them, and the table rows too, every text escaped (thousands of pages)."""
    t, fw, lang = inp.t, inp.framework, inp.lang
    dash, signed, esc = fmt.DASH, fmt.signed, fmt.escape_text
    table, points, desc = [], [], []
    for r in rows:
        _, year, score, low, high, g, _, rank, rlo, rhi, yoy, veto, _ = r
        shown = dash if score is None or score != score else f"{score:,.1f}"
        label = (grade_label(dict(zip(_HISTORY, r)), lang) if veto else g) or dash
        table.append(
            f'<tr><th scope="row">{year}</th><td class="num">{shown}</td><td class="num">'
            f'{dash if low is None or low != low or high is None or high != high else f"{low:.1f}–{high:.1f}"}'
            f'</td><td class="num">{dash if rank is None or rank != rank else f"{int(rank):,d}"}</td>'
            f'<td class="num">'
            f'{dash if rlo is None or rlo != rlo or rhi is None or rhi != rhi else f"{int(rlo)}–{int(rhi)}"}'
            f'</td><td>{esc(label)}</td><td class="num">{dash if yoy is None else signed(yoy)}</td></tr>\n')
        points.append({"year": year, "score": score, "low": low, "high": high,
                       "colour": colours.get(g, "#757575"), "grade": g})
        desc.append(f"{year}: {shown} {label}")
    if grades is None:
        grades = [{"code": g.code, "min": g.min} for g in fw.grades]
    chart = svg.trend(points, grades=grades, title=t["trend"], desc="; ".join(desc))
    return {"html": Markup("".join(table)), "chart": chart, "svg": svg.trend_svg(chart)}


def indicator_rows(uid: str, unit: dict, inp: Inputs, p: Prepared) -> tuple[IndicatorRows, list[dict], Markup, Markup]:
    """Rows of the index's indicators and of the auxiliary ones, and the bodies of their two
    tables (the index's grouped under their dimension; the rows escaped here).

    The hottest loop of the unit pages (about twenty rows a page): the unit's rows are read as
    tuples (`_INDICATOR` order), formats are written out here (`fmt.num` and `fmt.pct` inline)
    rather than called per cell, and the table rows are written here once (a template loop
    costs several times as much)."""
    fw, info, cells, lang, memo = inp.framework, p.info, p.cells, inp.lang, p.counts_memo
    have = {t[0]: t for t in p.indicators.tuples(uid)}
    shown = IndicatorRows()
    facts = shown.facts
    html: dict[str, list] = {}
    dash = fmt.DASH
    outside_html = f' <span class="muted outside">{p.html["outside_coverage"]}</span>'
    thin_mark = p.html["thin_mark"]
    blank = _BLANK
    for code in p.layout(fw, unit.get("kind"), unit.get("level")):
        t, i = have.get(code, blank), info[code]
        _, v, x, flag, n, den, outside, eff, c, pct, mean = t
        outside = bool(outside)
        lost = None if x is None or eff is None or c is None or mean is None else max(mean - x, 0.0) * eff
        top = i["top"]
        rows = html.get(top)
        if rows is None:
            rows = html[top] = [f'<tbody>\n<tr class="group"><th scope="rowgroup" colspan="8">'
                                f'{info[top]["label_html"]}</th></tr>\n']
        d, need, measure = cells[code]
        if outside or t is blank:
            cnt = _NO_COUNTS
        else:  # `_counts`' memo looked up here: most rows are in it
            cnt = memo.get((code, flag, n, den)) if (n is None or (n == n and (n or copysign(1.0, n) > 0))) \
                and (den is None or (den == den and (den or copysign(1.0, den) > 0))) else None
            if cnt is None:
                cnt = _counts(d, need, _row(t), inp, outside, lang, memo, code)
        value = dash if outside else measure(v)
        normalised = dash if x is None or x != x else f"{x:,.1f}"
        eff_text = dash if eff is None or eff != eff else f"{100 * eff:.1f}%"
        contribution = dash if c is None or c != c else f"{c:,.2f}"
        lost_text = dash if lost is None or lost != lost else f"{lost:,.2f}"
        percentile = dash if pct is None or pct != pct else f"{pct:,.0f}"
        thin = cnt["thin"]
        facts[code] = (lost, pct, code, i, info[top]["label"], value, outside, cnt, normalised, eff_text, contribution,
                       lost_text, percentile)
        # the numbers above are written by this function (no text to escape); every text is escaped
        mark = f' <strong class="thin-mark" title="{cnt["thin_html"]}">⚠ {thin_mark}</strong>' if thin else ""
        rows.append(
            f'<tr{_THIN if thin else ""}><th scope="row">{i["label_html"]}</th><td class="num">{value}'
            f'{outside_html if outside else ""}</td><td>{cnt["counts_html"] or i["unit_html"]}{mark}</td>'
            f'<td class="num">{normalised}</td><td class="num">{eff_text}</td><td class="num">{contribution}</td>'
            f'<td class="num">{lost_text}</td><td class="num">{percentile}</td></tr>\n')
    aux, aux_html = [], []
    for node in fw.auxiliary:
        code = node.code
        t = have.get(code)
        if t is not None:
            i = info[code]
            outside = bool(t[6])
            d, need, measure = cells[code]
            n, den = t[4], t[5]
            cnt = None if outside else memo.get((code, t[3], n, den)) if (
                n is None or (n == n and (n or copysign(1.0, n) > 0))) and (
                den is None or (den == den and (den or copysign(1.0, den) > 0))) else None
            if cnt is None:
                cnt = _counts(d, need, _row(t), inp, outside, lang, memo, code)
            value = dash if outside else measure(t[1])
            aux.append({"code": code, "label": i["label"], "unit": i["unit_text"], "value": value,
                        "outside": outside, **cnt})
            aux_html.append(f'<tr><th scope="row">{i["label_html"]}</th><td class="num">{value}'
                            f'{outside_html if outside else ""}</td>'
                            f'<td>{cnt["counts_html"] or i["unit_html"]}</td></tr>')
    return (shown, aux, Markup("".join(["".join(rows) + "</tbody>\n" for rows in html.values()])),
            Markup("".join(aux_html)))


class IndicatorRows:
    """A unit's rows of the index's indicators (`indicator_rows`): the facts of each, by code, and
    its dict made only when a part of the page asks for it (the losses, the strengths, the
    records behind a row; most rows are only written in the table), then kept: the parts
    share it (`evidence_records` counts the records behind the rows the losses show)."""

    __slots__ = ("facts", "_made")

    def __init__(self):
        #: code -> (points lost, percentile, code, info, dimension, value, outside, counts, normalised,
        #: effective weight, contribution, points lost as text, percentile as text)
        self.facts: dict[str, tuple] = {}
        self._made: dict[str, dict] = {}

    def get(self, code, default=None) -> dict | None:
        row = self._made.get(code)
        if row is None:
            f = self.facts.get(code)
            if f is None:
                return default
            lost, pct, code, i, dimension, value, outside, cnt, normalised, eff, contribution, lost_text, pctl = f
            row = self._made[code] = {
                "code": code, "label": i["label"], "unit": i["unit_text"], "dimension": dimension,
                "value": value, "outside": outside, **cnt, "normalised": normalised, "n_records": 0,
                "eff": eff, "contribution": contribution, "lost": lost_text, "_lost": lost,
                "percentile": pctl, "_pct": pct}
        return row


#: The columns of a unit's indicator rows, in the order `indicator_rows` reads them; the row of
#: an indicator the unit has no value for.
_INDICATOR = ("indicator", "value", "normalised", "thin", "numerator", "denominator", "outside_coverage", "eff",
              "contribution", "percentile", "peer_mean")
_BLANK = (None,) * len(_INDICATOR)


def _row(t: tuple) -> dict:
    """An indicator row's tuple as the dict `_counts` reads."""
    return dict(zip(_INDICATOR, t))


_THIN = ' class="thin"'


def evidence_counts(code: str, r: dict, inp: Inputs, p: Prepared, outside: bool) -> dict:
    """The counts behind a value ("2/4份合同") and whether it rests on too few cases."""
    d, need, _ = p.cells.get(code) or (None, 0.0, None)
    return dict(_counts(d, need, r, inp, outside, inp.lang, p.counts_memo, code))


_NO_COUNTS = {"counts": "", "thin": False, "thin_text": "", "counts_html": "", "thin_html": ""}


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
    words = counts.counts_text(d, n, den, lang)
    out = {"counts": words, "thin": thin, "thin_text": text,  # and both escaped, for the rows written in Python
           "counts_html": fmt.escape_output(words), "thin_html": fmt.escape_output(text)}
    if key is not None:
        memo[key] = out
    return out


def _keyable(x) -> bool:
    """Whether a count may key `_counts`' memo: equal keys print the same (not NaN, which never
    equals itself, nor -0.0, which equals 0.0 but prints "-0")."""
    return x is None or (x == x and (x != 0 or math.copysign(1.0, x) > 0))


def losses(shown: IndicatorRows, row: dict, inp: Inputs) -> dict:
    """Every indicator on which the unit falls behind its peers, largest first (and as the rows of
    their table, `html`, with the records behind each: call after `evidence_records`): points lost = the
    weight the indicator carried in the score x (peer group's mean normalised value - the unit's),
    so that losses mean the same under any normalisation (against 100 a z-scored average unit
    would "lose" 50 points on everything)."""
    rows = [shown.get(code) for code, f in shown.facts.items() if not fmt.missing(f[0]) and f[0] >= LOSS_FLOOR]
    rows.sort(key=lambda r: (-r["_lost"], r["code"]))
    total = sum(r["_lost"] for r in rows)
    top = rows[:STRONG]
    text = message("losses_text", inp.lang, score=fmt.num(row.get("score")), lost=fmt.num(total, 1),
                   n=len(top), top=fmt.num(sum(r["_lost"] for r in top), 1)) if rows and not fmt.missing(
        row.get("score")) else ""
    e, html = fmt.escape_output, []
    for k, r in enumerate(rows, 1):  # the rows of the losses' table, every text escaped
        thin = f' <strong class="thin-mark" title="{r["thin_html"]}">⚠ {r["thin_html"]}</strong>' if r["thin"] else ""
        records = "" if not inp.internal else (f'<td class="num"><a href="#records">{e(r["n_records"])}</a></td>'
                                               if r["n_records"] else '<td class="num">—</td>')
        html.append(f'<tr{_THIN if r["thin"] else ""}><td class="num">{k}</td><th scope="row">{e(r["label"])}</th>'
                    f'<td>{e(r["dimension"])}</td><td class="num">{r["value"]}</td><td>{r["counts_html"] or fmt.DASH}'
                    f'{thin}</td><td class="num">{r["normalised"]}</td><td class="num">{r["eff"]}</td>'
                    f'<td class="num"><strong>{r["lost"]}</strong></td>{records}</tr>\n')
    return {"rows": rows, "total": fmt.num(total, 2), "text": text, "html": Markup("".join(html))}


def strengths(shown: IndicatorRows) -> list[dict]:
    """The indicators on which the unit stands highest among its peers (percentile >= 50).
    Weaknesses are the largest losses of points (`losses`), not the lowest percentiles."""
    ranked = sorted((-f[1], code) for code, f in shown.facts.items() if not fmt.missing(f[1]))
    return [shown.get(code) for code in [code for pct, code in ranked if -pct >= 50][:STRONG]]


def alert_rows(rows: list[dict], inp: Inputs, p: Prepared) -> Markup:
    """The unit's alerts as the rows of its alerts table (`_macros.alerts_table`), every text
    escaped; empty when it has none."""
    lang, en, internal, e = inp.lang, inp.lang == "en", inp.internal, fmt.escape_text  # every text here a str
    out = []
    for r in rows:
        level, rule = r["level"], r["rule"]
        text = fmt.text((r["message_en"] or r["message"]) if en else (r["message"] or r["message_en"]))
        note = p.fiscal_note if p.fiscal_note and scope.about_capacity(rule, r["evidence"], p.debt_rules) else ""
        note = f'<br><span class="muted fiscal-note">{e(note)}</span>' if note else ""
        evidence = f'<td>{badges.evidence_html(fmt.evidence(r["evidence"]))}</td>' if internal else ""
        out.append(f'<tr><td>{r["year"]}</td><td class="nowrap">{badges.alert_html(level, alert_label(level, lang))}'
                   f'</td><td class="nowrap">{e(source_label(r["source"], lang))}</td>'
                   f'<td>{e(p.rule_names.get(rule) or fmt.text(rule))}</td><td class="msg">{e(text)}{note}</td>'
                   f'{evidence}</tr>\n')
    return Markup("".join(out))


def record_row(r: dict, uid: str, inp: Inputs, p: Prepared) -> dict:
    lang = inp.lang
    against = link(r["unit_id"], inp, p.units) if r["unit_id"] != uid else None
    return {"id": fmt.text(r["record_id"]), "against": against,
            "category": lookup(CATEGORY, r["category"], lang), "severity": lookup(SEVERITY, r["severity"], lang),
            "occurred_on": fmt.date(r["occurred_on"]), "status": lookup(STATUS, r["status"], lang),
            "status_changed_on": fmt.date(r["status_changed_on"]), "amount": fmt.num(r["amount"], 0),
            "weight": fmt.num(r["weight"], 2), "description": fmt.clip(r["description"])}


def evidence_records(uid: str, inp: Inputs, p: Prepared, shown: IndicatorRows) -> list[dict]:
    """The failure records behind the unit's deductions, each once, with the indicators it
    counts in; records behind the largest losses first. Each shown indicator row gets
    `n_records`, the number of records behind it."""
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


def evidence_rows(uid: str, inp: Inputs, p: Prepared, shown: IndicatorRows) -> list[dict]:
    """The contracts and tickets behind the unit's rate indicators, one group per indicator,
    the indicator that cost most points first; each group's table rows as `html` (written by
    `Prepared`)."""
    behind = p.rows_behind.tuples(uid) if p.rows_behind else []  # indicator, table, n, html
    if not behind:
        return []
    lang, t = inp.lang, inp.t
    out: dict[str, dict] = {}
    html: dict[str, list] = {}
    have = None
    for code, table, n, row_html in behind:
        g = out.get(code)
        if g is None:
            row = shown.get(code) or {}
            noun = t[f"ev_noun_{table}"]
            if have is None:
                have = {t_[0]: t_ for t_ in p.indicators.tuples(uid)}  # `_INDICATOR` columns
            num, den = have[code][4:6] if code in have else (None, None)
            against = ev.against_count(p.nodes[code], num, den) if code in p.nodes else None
            n = n if against is None else max(int(round(against)), sum(1 for x in behind if x[0] == code))
            g = out[code] = {"code": code, "table": table, "_lost": row.get("_lost") or 0.0,
                             "summary": message("evidence_rows_summary", lang, label=p.info.get(code, {}).get(
                                 "label", code), lost=row.get("lost", fmt.DASH), n=fmt.integer(n), noun=noun),
                             "more": message("evidence_rows_more", lang, n=fmt.integer(n - ev.LIMIT))
                             if n > ev.LIMIT else "",
                             "headers": [t[h] for h in ev.HEADERS[table]]}
            html[code] = []
        html[code].append(row_html)
    for code, g in out.items():
        g["html"] = Markup("".join(html[code]))
    return sorted(out.values(), key=lambda g: (-g["_lost"], g["code"]))


def link_html(uid, inp: Inputs, p: Prepared) -> str:
    """`link` as the page writes it (`unit_link` of reports.render): the unit's name, linked to its
    page when it has one, escaped; the dash for none."""
    a = link(uid, inp, p.units)
    return fmt.DASH if a is None else badges.link_html(a["label"], a["href"])


class _Words(dict):
    """A coded value of the contracts' and tickets' rows in words (`wording.value`), escaped;
    each value worded once (the same few recur on every page). Keyed with the value's type
    (True, 1 and 1.0 are one key of a dict, but are worded differently)."""

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang

    def __call__(self, v) -> str:
        key = (v.__class__, v)
        hit = self.get(key)
        if hit is None:
            hit = self[key] = fmt.DASH if v is None else fmt.escape_output(wording.value(v, self.lang))
        return hit


def veto_rows(row: dict, uid: str, inp: Inputs, p: Prepared) -> list[dict]:
    """Each veto that capped the grade, with the value that triggered it and whose record it
    was: the records behind the veto's indicator (internal edition), else the scores' structured
    `veto_unit_id` / `veto_record_id` columns; a veto on a value without records (e.g. the debt
    ratio) is the unit's own."""
    out = []
    lang = inp.lang
    vetoes = inp.framework.vetoes_in(row.get("veto"))
    have = p.indicators.get(uid, {}) if vetoes else {}
    behind = p.behind.get(uid, []) if vetoes else []
    for v in vetoes:
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
    years = p.scores.tuples(uid)  # `_HISTORY` columns
    if not years:
        return None
    current = p.current.get(uid)
    row = p.score_rows.row(uid, next((i for i, r in enumerate(years) if r[1] == current), -1))
    grades = p.grades
    unit = p.units.get(uid, {})
    shown, aux, table, aux_table = indicator_rows(uid, unit, inp, p)
    evidence = evidence_records(uid, inp, p, shown) if inp.internal else []
    good = strengths(shown)
    lost = losses(shown, row, inp)
    colour = colours.get(row.get("grade"), "#757575")
    return {
        "unit": header(uid, inp, p), "summary": summary(row, inp, p, grades),
        "dimensions": dimensions(row, inp, p, colour), "trend": trend(years, inp, colours, p.grade_bounds),
        "indicator_table": table, "auxiliary": aux, "auxiliary_table": aux_table,
        "strengths": good, "losses": lost,
        "vetoes": veto_rows(row, uid, inp, p),
        "alerts": alert_rows(p.alerts.get(uid, []), inp, p),
        "data_years": p.data_years.get(uid, []) if p.data_years is not None else [],
        "explanations": unit_risk.explanation_rows(uid, inp, p.risk_parts, p.info),
        "grade_probs": unit_risk.grade_probabilities(row, inp, grades),
        "evidence": evidence, "evidence_rows": evidence_rows(uid, inp, p, shown) if inp.internal else [],
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
