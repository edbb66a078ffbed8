"""The early-warning and uncertainty parts of a unit page: the grade's vetoes and analyst
override, how the alert level was reached (rule vs model, held), the features that raised the
model's risk most, and the grade probabilities of the uncertainty analysis.

Model internals (model level, explanations) exist only in the internal edition: `tables.prepare`
drops their frames for the public one.
"""
from __future__ import annotations

import re

import polars as pl
from markupsafe import Markup

from reports import fmt
from reports.badges import grade_html
from reports.fmt import escape_output
from reports.i18n import alert_label, lookup, message
from reports.labels import OUTLOOK
from reports.tables import Inputs, group_rows, rows_of

_OVERRIDE = re.compile(r"^(?P<before>[^:]*?) -> (?P<after>[^:]*?): (?P<rest>.*)$", re.S)
BAR_PX = 120  # width of the largest contribution's bar


def parse_override(text) -> dict | None:
    """The override column ("C -> B: reason (analyst)") as its parts; the whole text as the
    reason when it does not have that form.

    Examples
    --------
    >>> parse_override("C -> B: 已完成整改 (张三)")
    {'before': 'C', 'after': 'B', 'reason': '已完成整改', 'analyst': '张三'}
    >>> parse_override("C -> B: 整改完成 (见附件) (李四)")["reason"]
    '整改完成 (见附件)'
    >>> parse_override("free text")["reason"], parse_override(None)
    ('free text', None)
    """
    if fmt.missing(text) or not str(text).strip():
        return None
    m = _OVERRIDE.match(str(text).strip())
    if not m:
        return {"before": fmt.DASH, "after": fmt.DASH, "reason": str(text), "analyst": None}
    rest, analyst = m["rest"].strip(), None
    if rest.endswith(")") and " (" in rest:  # the analyst is the last parenthesis
        rest, _, analyst = rest[:-1].rpartition(" (")
    return {"before": m["before"].strip(), "after": m["after"].strip(), "reason": rest.strip(),
            "analyst": analyst.strip() if analyst else None}


def outlook_label(value, lang: str) -> str:
    return fmt.DASH if fmt.missing(value) or value == "" else lookup(OUTLOOK, value, lang)


class RiskParts:
    """The per-unit rows of the optional frames (built once for all pages)."""

    def __init__(self, inp: Inputs, current: pl.DataFrame):
        self.levels, self.departments = {}, {}
        if inp.levels is not None:
            rows = inp.levels.join(current, on=["unit_id", "year"], how="semi")
            self.levels = {r["unit_id"]: r for r in rows_of(rows)}
            self.departments = department_levels(rows, inp.units)
        self.explanations = {}
        if inp.explanations is not None:
            rows = inp.explanations.join(current, on=["unit_id", "year"], how="semi").sort("unit_id", "rank")
            self.explanations = group_rows(rows)


def department_levels(levels: pl.DataFrame, units: pl.DataFrame) -> dict[str, dict[str, int]]:
    """{region: {level: departments at that level}}: a region's departments' alerts rolled up
    (one record, one alert: they are not the region's own level).

    Examples
    --------
    >>> lv = pl.DataFrame({"unit_id": ["R-A", "R-B", "R"], "level": ["red", "red", None]})
    >>> u = pl.DataFrame({"unit_id": ["R-A", "R-B", "R"], "kind": ["department"] * 2 + ["region"],
    ...                   "region_id": ["R", "R", "R"]})
    >>> department_levels(lv, u)
    {'R': {'red': 2}}
    """
    d = (levels.filter(pl.col("level").is_not_null())
         .join(units.filter(pl.col("kind") == "department").select("unit_id", "region_id"), on="unit_id")
         .group_by("region_id", "level").len().sort("region_id", "level"))
    out: dict[str, dict[str, int]] = {}
    for region, level, n in d.iter_rows():
        out.setdefault(region, {})[level] = n
    return out


def rollup_text(counts: dict[str, int], lang: str) -> str | None:
    """"下属部门：红色2个、橙色1个" / "Departments: 2 red, 1 orange" (most severe first)."""
    from indicators.framework import ALERT_LEVELS

    parts = [(lv, counts[lv]) for lv in ALERT_LEVELS if counts.get(lv)]
    if not parts:
        return None
    if lang == "zh":
        return "下属部门：" + "、".join(f"{alert_label(lv, lang)}{n}个" for lv, n in parts)
    return "Departments: " + ", ".join(f"{n} {lv}" for lv, n in parts)


def grade_changes(row: dict, inp: Inputs) -> dict:
    """The vetoes (with the cap they caused) and the analyst override, kept apart."""
    lang = inp.lang
    ov = parse_override(row.get("override"))
    if ov is not None and not inp.internal:
        ov["analyst"] = None  # the public edition names no analyst
    g, gu = row.get("grade"), row.get("grade_uncapped")
    capped = ov["before"] if ov and ov["before"] != fmt.DASH else g
    vetoes = [{"code": v.code, "reason": f"{v.code}: {v.reason(lang)}"} for v in inp.framework.vetoes_in(row.get("veto"))]
    capped_by_veto = capped and gu and capped != gu and (vetoes or ov is None)
    cap = message("veto_cap", lang, before=gu, after=capped) if capped_by_veto else None
    return {"vetoes": vetoes, "cap": cap, "override": ov}


def alert_detail(uid: str, inp: Inputs, parts: RiskParts) -> dict | None:
    """Level, rule level, model level and whether it is held (from the levels frame)."""
    r = parts.levels.get(uid)
    if r is None:
        return None
    lang = inp.lang

    def lv(x):
        return {"level": x or "", "label": alert_label(x, lang) if x else inp.t["no_warning"]}

    return {"level": lv(r["level"]), "rule": lv(r["rule_level"]), "model": lv(r["model_level"]),
            "held": bool(r["held"]), "departments": rollup_text(parts.departments.get(uid, {}), lang)}


def _feature_value(feature: str, v, info: dict) -> str:
    if fmt.missing(v):
        return fmt.DASH
    family, _, code = feature.partition(":")
    if family == "value" and code in info:
        return fmt.measure(v, info[code]["unit"])
    text = f"{abs(v):.4g}" if family in ("change", "score_change") else f"{v:.4g}"
    if family in ("change", "score_change") and v != 0:
        text = ("+" if v > 0 else "−") + text
    return text


def explanation_rows(uid: str, inp: Inputs, parts: RiskParts, info: dict) -> Markup:
    """The features that raised the unit's model risk most, as the rows of their table (every
    text escaped); empty when there are none."""
    rows = parts.explanations.get(uid, [])
    top = max((r["contribution"] or 0.0 for r in rows), default=0.0)
    e, out = escape_output, []
    for r in rows:
        c = r["contribution"]
        label = (r["label_zh"] or r["label_en"]) if inp.lang == "zh" else (r["label_en"] or r["label_zh"])
        bar = "" if fmt.missing(c) or top <= 0 else \
            f'<span class="bar" style="width: {max(0.0, c) / top * BAR_PX:.0f}px"></span>'
        out.append(f'<tr><td class="num">{e(r["rank"])}</td><th scope="row">{e(fmt.text(label))}<br>'
                   f'<code class="muted">{e(fmt.text(r["feature"]))}</code></th>'
                   f'<td class="num">{e(_feature_value(r["feature"] or "", r["value"], info))}</td>'
                   f'<td class="num">{bar}{fmt.DASH if fmt.missing(c) else f"{c:+.3f}"}</td></tr>')
    return Markup("".join(out))


def grade_probabilities(row: dict, inp: Inputs, grades: dict) -> dict | None:
    """P(grade) for every grade (the rows of their table as `html`, every text escaped) and the
    borderline flag, when the scores carry them."""
    if not inp.grade_probs:
        return None
    own = f' <span class="muted">{escape_output(inp.t["grade_of_score"])}</span>'
    out = []
    for code, col in inp.grade_probs:
        p = row.get(col)
        bar = "" if fmt.missing(p) else \
            f'<span class="bar" style="width: {max(0.0, min(1.0, p)) * BAR_PX:.0f}px"></span>'
        out.append(f'<tr><th scope="row">{grade_html(code, grades.get(code, ""))}'
                   f'{own if code == row.get("grade") else ""}</th>'  # the published grade, after vetoes
                   f'<td class="num">{bar}{fmt.pct(p, 0)}</td></tr>')
    b = row.get("borderline")
    text = None if b is None else inp.t["borderline_yes" if b else "borderline_no"]
    return {"html": Markup("".join(out)), "borderline": b, "text": text}
