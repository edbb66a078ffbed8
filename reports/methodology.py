"""Context of methodology.html: the framework (hierarchy, definitions, weights and effective
weights, grades, vetoes, alert rules), the methods, data coverage, inputs and quarantine, the
run manifest, and optional sections (uncertainty, audit, sensitivity, model card) that appear
only when there is something to show.
"""
from __future__ import annotations

import re
from pathlib import PurePath

import polars as pl

from indicators.spec import format_spec, parse_spec
from reports import fmt, plots, statement, wording
from reports.fmt import frame_table
from reports.i18n import (SETTING_TEXT, alert_label, kind_label, level_label, lookup, message, method_explain,
                          method_text, node_label, unit_text)
from reports.labels import ALERT_KINDS, RECORD_TABLES
from reports.model_card import model_section
from reports.scope import data_sources
from reports.sensitivity import sensitivity_section, uncertainty
from reports.tables import Inputs

TABLE_NAMES = {**RECORD_TABLES, "units": ("被评价单位", "rated units"), "unit_stats": ("单位基础数据", "unit statistics")}
STAGES = {"load": ("读取与校验", "load and validate"), "indicators": ("计算指标", "indicators"),
          "rating": ("评分", "rating"), "early_warning": ("风险预警", "early warning"),
          "reports": ("生成报告", "reports"), "excel": ("生成工作簿", "workbook")}
OPS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤", "eq": "=", "ne": "≠"}


def _name(path) -> str:
    """Only the file name of a path: reports never show where files lay on a machine."""
    return PurePath(str(path)).name if path else fmt.DASH


def scope_text(n, lang: str) -> str:
    from indicators.contract import LEVELS, UNIT_KINDS

    kinds = "" if set(n.kinds) == set(UNIT_KINDS) else "/".join(kind_label(k, lang) for k in n.kinds)
    levels = "" if set(n.levels) == set(LEVELS) else "/".join(level_label(lv, lang) for lv in n.levels)
    return " · ".join(x for x in (kinds, levels) if x) or fmt.DASH


def hierarchy(inp: Inputs) -> list[dict]:
    fw, lang = inp.framework, inp.lang
    share, eff = fw.weight_shares(), fw.effective_weights()
    rows = []
    for n in list(fw.nodes):
        rows.append({
            "code": n.code, "label": node_label(n, lang), "depth": fw.depth(n.code), "indicator": n.is_indicator,
            "weight": f"{n.weight:g}", "share": fmt.pct(share[n.code], 1), "eff": fmt.pct(eff[n.code], 1),
            "direction": "" if not n.is_indicator else inp.t["direction_pos" if n.direction > 0 else "direction_neg"],
            "unit": unit_text(n.unit, lang), "scope": scope_text(n, lang),
            "method": (wording.normalisation(fw, n, lang) if n.is_indicator
                       else method_text("aggregate", format_spec(*fw.aggregation_of(n)), lang)),
            "definition": definition_words(n, lang),
        })
    return rows


def definition_words(n, lang: str) -> str:
    """An indicator's definition in the page's language: worded from its structure (the
    framework's own description, English, is used on the English page when it has one that
    reads as prose: no column codes, no Chinese)."""
    d = n.description or ""
    if lang == "en" and d and "_" not in d and not re.search(r"[\u4e00-\u9fff]", d):
        return d
    return wording.definition(n, lang)


def auxiliary(inp: Inputs) -> list[dict]:
    return [{"code": n.code, "label": node_label(n, inp.lang), "unit": unit_text(n.unit, inp.lang),
             "scope": scope_text(n, inp.lang), "definition": definition_words(n, inp.lang)}
            for n in inp.framework.auxiliary]


def rules(inp: Inputs) -> dict:
    fw, lang = inp.framework, inp.lang

    def label(code):
        if code in ("score", fw.code):
            return node_label(fw, lang)
        if code == "grade":
            return inp.t["grade"]
        try:
            return node_label(fw.node(code), lang)
        except KeyError:
            return code or fmt.DASH

    grades = [{"code": g.code, "label": node_label(g, lang), "min": f"{g.min:g}"} for g in fw.grades]
    vetoes = [{"code": v.code, "indicator": label(v.indicator), "condition": f"{OPS.get(v.op, v.op)} {v.value:g}",
               "cap": v.cap, "reason": v.reason_zh if lang == "zh" else v.reason_en} for v in fw.vetoes]
    alerts = []
    for a in fw.alerts:
        try:
            when = wording.alert_rule(a, fw, lang)
        except (KeyError, TypeError, ValueError, AttributeError):  # a kind this version cannot word
            when = lookup(ALERT_KINDS, a.get("kind"), lang)
        levels = [b.get("level") for b in a.get("bands", [])] or [a.get("level")]
        alerts.append({"code": a.get("code", ""), "kind": lookup(ALERT_KINDS, a.get("kind"), lang),
                       "target": label(a.get("indicator") or a.get("target")) if (a.get("indicator") or a.get("target"))
                       else fmt.DASH, "when": when,
                       "levels": [{"level": lv, "label": alert_label(lv, lang)} for lv in dict.fromkeys(levels) if lv],
                       "description": (a.get("description") or "") if lang == "en" else ""})
    return {"grades": grades, "vetoes": vetoes, "alerts": alerts}


def methods(inp: Inputs) -> dict:
    fw, t, lang = inp.framework, inp.t, inp.lang
    m = fw.methods

    def text(v):
        return lookup(SETTING_TEXT, v, lang) if v in SETTING_TEXT else fmt.text(v)

    def row(family, label, spec):
        """The method's name without its parameters (they are stated in words and formulas)."""
        try:
            name = parse_spec(spec)[0]
        except (ValueError, TypeError):
            name = spec
        return label, method_text(family, name, lang), method_explain(family, spec, lang)

    def others(family, label, used):
        """A row for each method some nodes use besides the default (their own, or their depth's)."""
        default = parse_spec(m[family])[0]
        names = dict.fromkeys(name for name, _ in used if name != default)
        return [row(family, f"{label}（{method_text(family, name, lang)}）" if lang == "zh"
                    else f"{label} ({method_text(family, name, lang)})", name) for name in names]

    rows = [row("treat", t["method_treat"], m.get("treat")), row("impute", t["method_impute"], m.get("impute")),
            row("normalise", t["method_normalise"], m.get("normalise")),
            *others("normalise", t["normalisation"], map(fw.normalisation_of, fw.indicators)),
            row("aggregate", t["method_aggregate"], m.get("aggregate")),
            *others("aggregate", t["method_aggregate"], map(fw.aggregation_of, fw.aggregates)),
            (t["method_threshold"], fmt.pct(m.get("data_threshold")), t["method_threshold_explain"]),
            (t["method_over"], text(m.get("normalise_over")), ""),
            (t["method_peer"], text(m.get("peer_group")), "")]
    lc = fw.lifecycle
    yes, no = t["yes"], t["no"]
    life = [(t["lc_rectified_weight"], f"{lc.rectified_weight:g}"),
            (t["lc_count_repaired_after_repair"], yes if lc.count_repaired_after_repair else no),
            (t["lc_count_under_objection"], yes if lc.count_under_objection else no),
            (t["lc_count_revoked"], yes if lc.count_revoked else no)]
    return {"rows": [{"label": a, "value": b, "explain": c} for a, b, c in rows],
            "lifecycle": [{"label": a, "value": b} for a, b in life]}


def coverage(inp: Inputs) -> list[dict]:
    """Per indicator, in the latest year: units it applies to, units with a value, the share."""
    if inp.year is None:
        return []
    latest = inp.scores.filter(pl.col("year") == inp.year).select("unit_id", "kind", "level")
    have = (inp.indicators.filter((pl.col("year") == inp.year) & pl.col("value").is_not_null())
            .join(latest, on="unit_id", how="inner").group_by("indicator", "kind", "level").len())
    have_d = {(r["indicator"], r["kind"], r["level"]): r["len"] for r in have.iter_rows(named=True)}
    sizes = {(r["kind"], r["level"]): r["len"] for r in latest.group_by("kind", "level").len().iter_rows(named=True)}
    rows = []
    for n in inp.framework.computed:
        keys = [(k, lv) for (k, lv) in sizes if k in n.kinds and lv in n.levels]
        app = sum(sizes[k] for k in keys)
        got = sum(have_d.get((n.code, *k), 0) for k in keys)
        rows.append({"code": n.code, "label": node_label(n, inp.lang), "applicable": fmt.integer(app),
                     "with_value": fmt.integer(got), "share": fmt.pct(got / app, 1) if app else fmt.DASH})
    return rows


def manifest(inp: Inputs) -> dict:
    man = inp.manifest
    fw = man.get("framework") or {}
    inputs = [{"table": lookup(TABLE_NAMES, name, inp.lang), "file": _name(v.get("file")), "sha256": fmt.text(v.get("sha256")),
               "read": fmt.integer(v.get("rows_read")), "accepted": fmt.integer(v.get("rows_accepted")),
               "quarantined": fmt.integer(v.get("rows_quarantined"))}
              for name, v in sorted((man.get("inputs") or {}).items()) if isinstance(v, dict)]
    timings = [{"stage": lookup(STAGES, k, inp.lang), "seconds": fmt.num(v, 2)}
               for k, v in (man.get("timings") or {}).items()]
    return {"software": fmt.text(man.get("software")), "version": fmt.text(man.get("version")),
            "seed": fmt.text(man.get("seed")), "framework_file": _name(fw.get("path")),
            "framework_sha256": fmt.text(fw.get("sha256") or inp.framework.sha256),
            "inputs": inputs, "timings": timings}


def _heatmap(df: pl.DataFrame, a: str, b: str, v: str, inp: Inputs, salt: str):
    """A symmetric matrix (pairs a, b with value v) drawn as a heatmap with node labels."""
    labels = list(dict.fromkeys(df[a].to_list() + df[b].to_list()))
    pos = {c: i for i, c in enumerate(labels)}
    m = [[1.0 if i == j else None for j in range(len(labels))] for i in range(len(labels))]
    for x, y, val in df.select(a, b, v).iter_rows():
        m[pos[x]][pos[y]] = m[pos[y]][pos[x]] = val
    names = []
    for code in labels:
        try:
            names.append(node_label(inp.framework.node(code), inp.lang))
        except KeyError:
            names.append(str(code))
    return plots.correlation_heatmap(names, m, title=inp.t["audit"], desc=inp.t["audit_heatmap_desc"], prefix=salt)


def audit_section(audit, inp: Inputs) -> dict | None:
    """Audit results: a frame, or frames by name (e.g. correlations, cronbach, pca_variance,
    correlation_flags). Pairwise values (`a, b, r`, or `row, col, value`) are drawn as a heatmap
    of the indicators; every other frame is shown as a table."""
    frames = audit if isinstance(audit, dict) else {"audit": audit}
    frames = {k: v for k, v in frames.items() if isinstance(v, pl.DataFrame) and not v.is_empty()}
    if not frames:
        return None
    svg, tables = None, []
    for name, df in frames.items():
        cols = set(df.columns)
        if svg is None and ({"a", "b", "r"} <= cols or {"row", "col", "value"} <= cols):
            a, b, v = ("a", "b", "r") if "r" in cols else ("row", "col", "value")
            if {"level_a", "level_b"} <= cols:
                df = df.filter((pl.col("level_a") == 1) & (pl.col("level_b") == 1))
            # no pair of indicators (e.g. one computable indicator): no heatmap, not an empty one
            svg = _heatmap(df, a, b, v, inp, salt=f"audit-{len(tables)}") if df.height else ""
        else:
            tables.append({"caption": statement.pick(AUDIT_NAMES.get(name, (name, name)), inp.lang),
                           "table": frame_table(_audit_labels(df, inp))})
    return {"svg": svg, "tables": tables}


AUDIT_NAMES = {"cronbach": ("内部一致性（Cronbach α系数）", "Internal consistency (Cronbach's alpha)"),
               "pca_variance": ("主成分分析：各主成分解释的方差", "Principal components: variance explained"),
               "correlation_flags": ("需要关注的指标相关性", "Correlations to look at"),
               "correlations": ("相关系数", "Correlations")}
AUDIT_COLUMNS = {"group": ("组", "Group"), "level": ("层级", "Level"), "k": ("子项数", "Children"),
                 "n": ("单位数", "Units"), "alpha": ("α系数", "Alpha"), "component": ("主成分", "Component"),
                 "eigenvalue": ("特征值", "Eigenvalue"), "share": ("方差占比", "Share of variance"),
                 "cumulative": ("累计占比", "Cumulative"), "flag": ("提示", "Flag"), "a": ("指标甲", "First"),
                 "b": ("指标乙", "Second"), "r": ("相关系数", "Correlation"), "relation": ("关系", "Relation")}
AUDIT_VALUES = {"collinear": ("高度共线（可能重复计量）", "collinear (may measure the same thing)"),
                "negative_pair": ("同组内负相关", "negatively correlated within a group"),
                "negative_with_parent": ("与所属上级负相关", "negatively correlated with its own aggregate"),
                "same_group": ("同组", "same group"), "same_level": ("同层级", "same level"),
                "parent": ("上级", "parent"), "ancestor": ("更高层级", "ancestor"), "other": ("其他", "other")}


def _audit_labels(df: pl.DataFrame, inp: Inputs) -> pl.DataFrame:
    """An audit frame with node codes, flags and column names in the page's language."""
    lang, fw = inp.lang, inp.framework
    names = {n.code: node_label(n, lang) for n in fw.nodes + fw.auxiliary}
    names |= {k: statement.pick(v, lang) for k, v in AUDIT_VALUES.items()}
    df = df.with_columns(pl.col(c).replace(names) for c in df.columns if df.schema[c] == pl.String)
    return df.rename({c: statement.pick(AUDIT_COLUMNS[c], lang) for c in df.columns if c in AUDIT_COLUMNS})


def methodology_context(inp: Inputs, *, audit=None, sensitivity=None, card=None, backtest=None,
                        predictions=None) -> dict:
    fw = inp.framework
    hold = (card or {}).get("hold_periods", fw.model["hold_periods"])
    return {
        "framework": {"name": node_label(fw, inp.lang), "code": fw.code, "version": fw.version, "sha256": fw.sha256},
        "hierarchy": hierarchy(inp), "auxiliary": auxiliary(inp), "rules": rules(inp), "methods": methods(inp),
        "data_sources": data_sources(inp), "coverage": coverage(inp), "manifest": manifest(inp),
        "uncertainty": uncertainty(inp),
        "audit": audit_section(audit, inp), "sensitivity": sensitivity_section(sensitivity, inp.lang),
        "model": model_section(inp, card, backtest, predictions),
        "alert_rules_note": message("alert_rules_note", inp.lang, hold=hold),
        "statement": statement.statement(fw, inp.lang),
    }
