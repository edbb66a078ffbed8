"""What a run's rating covers, read from the manifest's `coverage`, `scope` and `fiscal_capacity`:
the banner of every page, the data sources of the methodology page, each unit's years of data,
and the fiscal capacity note beside debt-ratio alerts.

A manifest without these keys (an earlier run) gives no banner, no section and no note.
"""
from __future__ import annotations

import json
import re

from indicators.contract import RECORD_TABLES
from reports import fmt
from reports.i18n import lookup, message, node_label
from reports.labels import FISCAL_DEFINITION, RECORD_TABLES as TABLE_NAMES


def year_span(years) -> str:
    """Years as runs of consecutive years; the dash when there are none.

    Examples
    --------
    >>> year_span([2023, 2024, 2025])
    '2023–2025'
    >>> year_span([2019, 2020, 2023])
    '2019–2020, 2023'
    >>> year_span([])
    '—'
    """
    ys = sorted({int(y) for y in years or ()})
    if not ys:
        return fmt.DASH
    runs, start = [], ys[0]
    for prev, y in zip(ys, ys[1:] + [None]):
        if y is None or y != prev + 1:
            runs.append(str(start) if start == prev else f"{start}–{prev}")
            start = y
    return ", ".join(runs)


def table_years(c: dict) -> list[int]:
    """The years a table covers: its `years`, else first_year..last_year, else none."""
    if c.get("years"):
        return list(c["years"])
    lo, hi = c.get("first_year"), c.get("last_year")
    return list(range(int(lo), int(hi) + 1)) if lo is not None and hi is not None else []


def tables(manifest: dict) -> list[tuple[str, dict]]:
    """(table, coverage entry) of the manifest's record tables, in the contract's order."""
    cov = manifest.get("coverage")
    if not isinstance(cov, dict):
        return []
    order = [t for t in RECORD_TABLES if t in cov] + sorted(t for t in cov if t not in RECORD_TABLES)
    return [(t, cov[t]) for t in order if isinstance(cov[t], dict)]


def _scope(manifest: dict) -> dict:
    scope = manifest.get("scope")
    return scope if isinstance(scope, dict) else {}


def _node_names(fw, codes, lang: str, scope: dict) -> list[str]:
    """Names of framework nodes in the language: from the framework, else from the scope's
    `names` (code -> [zh, en]; the rated framework lacks the dimensions it could not compute),
    else the code."""
    names = scope.get("names") if isinstance(scope.get("names"), dict) else {}
    out = []
    for code in codes or ():
        try:
            out.append(node_label(fw.node(code), lang))
        except KeyError:
            pair = names.get(code)
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                zh, en = (str(x or "") for x in pair)
                out.append((zh or en) if lang == "zh" else (en or zh))
            else:
                out.append(str(code))
    return out


def is_official(manifest: dict) -> bool:
    """False only when the manifest's scope says so."""
    return _scope(manifest).get("official") is not False


def banner(inp) -> dict:
    """The lines at the top of every page: not official (with the reason), what the rating covers
    and does not, and a run without any score or grade. No lines: a complete official rating."""
    lang, t, fw = inp.lang, inp.t, inp.framework
    scope = _scope(inp.manifest)
    lines = []
    if not is_official(inp.manifest):
        reason = scope.get("reason_zh" if lang == "zh" else "reason_en") or ""
        text = message("scope_unofficial", lang, reason=reason) if reason else t["scope_unofficial_bare"]
        lines.append({"kind": "unofficial", "text": text})
    if scope.get("not_covered"):
        sep = t["list_sep"]
        covered = sep.join(_node_names(fw, scope.get("covered"), lang, scope)) or t["none_available"]
        missing = sep.join(_node_names(fw, scope["not_covered"], lang, scope))
        lines.append({"kind": "coverage", "text": message("scope_covers", lang, covered=covered, not_covered=missing)})
    s = inp.scores
    if s["score"].drop_nulls().is_empty():
        lines.append({"kind": "unscored", "text": t["no_scores"]})
    elif s["grade"].drop_nulls().is_empty():
        lines.append({"kind": "unscored", "text": t["no_grades"]})
    return {"official": is_official(inp.manifest), "lines": lines}


def capacity_rules(fw) -> frozenset:
    """Codes of the alert rules on an indicator that divides by fiscal capacity."""
    inds = {n.code for n in fw.computed if n.definition is not None
            and "fiscal_capacity" in (n.definition.column, n.definition.denominator_column)}
    return frozenset(a.get("code") for a in fw.alerts if a.get("indicator") in inds)


def fiscal_text(manifest: dict, lang: str) -> str:
    """The fiscal capacity definition the run used; empty when the manifest has none."""
    fc = manifest.get("fiscal_capacity")
    if not isinstance(fc, dict):
        return ""
    text = fc.get("text_zh" if lang == "zh" else "text_en")
    if text:
        return str(text)
    return lookup(FISCAL_DEFINITION, fc["definition"], lang) if fc.get("definition") else ""


def first_sentence(text: str) -> str:
    """The first sentence of a text (up to '。' or '. '), for a short note.

    >>> first_sentence("综合财力 = 甲 + 乙。来源未提供丙。")
    '综合财力 = 甲 + 乙。'
    >>> first_sentence("Capacity = a + b. Transfers not supplied.")
    'Capacity = a + b.'
    """
    m = re.match(r".+?(。|\.(?=\s))", text, re.S)
    return m.group(0) if m else text


def fiscal_note(inp) -> str:
    """The short note shown beside a debt-ratio alert: the first sentence of the definition,
    introduced by the term unless the sentence starts with it."""
    text = first_sentence(fiscal_text(inp.manifest, inp.lang))
    if not text or text.lower().startswith(inp.t["fiscal_capacity_term"].lower()):
        return text
    return message("fiscal_capacity_note", inp.lang, text=text)


def about_capacity(rule, evidence, rules: frozenset) -> bool:
    """Whether an alert is one of `rules`, or holds one of them over (evidence `rules`)."""
    if rule in rules:
        return True
    if rule != "hold" or not evidence:
        return False
    try:
        doc = json.loads(evidence)
    except (TypeError, ValueError):
        return False
    held = doc.get("rules") if isinstance(doc, dict) else None
    return isinstance(held, list) and any(r in rules for r in held)


def data_sources(inp) -> dict | None:
    """The methodology section: one row per record table, the fiscal capacity definition when
    debt is present, the computable share of the index weight and the indicators without data."""
    rows = tables(inp.manifest)
    if not rows:
        return None
    t, lang = inp.t, inp.lang
    out = []
    for name, c in rows:
        present = bool(c.get("present"))
        units = c.get("units")
        shown_units = (t["units_all"] if units == "all" else message("units_n", lang, n=fmt.integer(len(units)))
                       if isinstance(units, list) else fmt.DASH)
        out.append({"table": lookup(TABLE_NAMES, name, lang), "code": name,
                    "present": t["present_yes"] if present else t["present_no"],
                    "years": year_span(table_years(c)) if present else fmt.DASH,
                    "basis": (t["declared"] if c.get("declared") else t["inferred"]) if present else fmt.DASH,
                    "units": shown_units if present else fmt.DASH,
                    "with_rows": fmt.integer(c.get("units_with_rows")) if present else fmt.DASH})
    debt = dict(rows).get("debt") or {}
    fc = inp.manifest.get("fiscal_capacity")
    fiscal = None
    if debt.get("present") and isinstance(fc, dict):
        fiscal = {"text": fiscal_text(inp.manifest, lang) or fmt.DASH,
                  "rows": message("fiscal_rows", lang, given=fmt.integer(fc.get("rows_given")),
                                  derived=fmt.integer(fc.get("rows_derived")),
                                  missing=fmt.integer(fc.get("rows_missing")))}
    scope = _scope(inp.manifest)
    weight = scope.get("covered_weight")
    return {"rows": out, "fiscal": fiscal,
            "covered_weight": fmt.pct(weight, 0) if weight is not None else None,
            "indicators_out": t["list_sep"].join(_node_names(inp.framework, scope.get("indicators_out"), lang, scope))}


def unit_years(inp) -> dict[str, list[str]] | None:
    """unit_id -> the lines '<table>: <years>' (or 'no data') of every record table, built once;
    None when the manifest says nothing of coverage. Units outside a table's declared units get
    'no data' for it."""
    rows = tables(inp.manifest)
    if not rows:
        return None
    lang, t = inp.lang, inp.t
    ids = inp.scores["unit_id"].unique().to_list()
    out = {u: [] for u in ids}
    for name, c in rows:
        label = lookup(TABLE_NAMES, name, lang)
        span = year_span(table_years(c)) if c.get("present") else fmt.DASH
        units = c.get("units")
        inside = None if units == "all" or not isinstance(units, list) else set(units)
        lines = {years: message("data_years_line", lang, table=label,
                                years=t["no_data"] if years == fmt.DASH else years) for years in {span, fmt.DASH}}
        for u in ids:  # one of two lines per table: its span, or no data
            out[u].append(lines[span if inside is None or u in inside else fmt.DASH])
    return out

