"""Context of alerts.html: one row per unit and year with its level, its reasons in plain words,
the action, owner and follow-up date of each, and its departments' alerts rolled up under a region.

The rows travel as one compact JSON block (every repeated text stored once in a string table)
that reports/static/alerts.js filters, searches and pages on the reader's machine; the page also
carries a summary by year and, for print, the latest year's red and orange list as plain HTML.

Columns the early warning may add (status, origin_unit_id, evidence_text(_en), action(_en),
owner(_en), follow_up, held_until) are used when present; without them an item shows its
message and evidence formatted here. Watch items (status "watch") are shown, never counted.
"""
from __future__ import annotations

import json
import re

import polars as pl

from reports import fmt
from reports.embed import script_json
from reports.i18n import alert_label, kind_label, level_label, lookup, message, node_label
from reports.i18n import CATEGORY
from reports.scope import about_capacity, capacity_rules, fiscal_note
from reports.tables import ALERT_ORDER, Inputs, rows_of

S = pl.String
#: Columns of the alerts frame this page reads besides unit_id, year, level, source, rule, message(_en), evidence.
OPTIONAL = ("status", "origin_unit_id", "evidence_text", "evidence_text_en", "action", "action_en", "owner",
            "owner_en", "follow_up", "held_until")
LEVELS = tuple(ALERT_ORDER)  # red, orange, yellow, blue
WATCH = len(LEVELS)  # level index of a watch item / watch-only row
PRINTED = ("red", "orange")  # the levels of the printed list
PER_PAGE = 50
#: Built-in rule codes that are not framework entries.
BUILT_IN = {"hold": "ap_rule_hold", "risk_model": "ap_rule_risk_model"}
#: A code in brackets at the end of a feature's label ("债务率（debt_band）"): not for readers.
CODE_IN_LABEL = re.compile(r"\s*[（(][a-z][a-z0-9_]*[)）]")


def rule_names(fw, codes, lang: str) -> dict[str, str]:
    """The name of each rule code in the page language: the rule's own `name_zh`/`name_en` when the
    framework gives one, else a phrase from its kind and target ("债务率超过预警线"); never the code."""
    entries = {a.get("code"): a for a in fw.alerts}
    out = {}
    for code in codes:
        a = entries.get(code)
        if code in BUILT_IN and a is None:
            out[code] = message(BUILT_IN[code], lang)
            continue
        if a is None:
            out[code] = message("ap_rule_risk_model", lang) if code and "model" in code else _humanise(code)
            continue
        own = a.get(f"name_{lang}") or a.get("name_zh" if lang == "en" else "name_en")
        if own:
            out[code] = str(own)
            continue
        kind = a.get("kind")
        what = a.get("indicator") or a.get("target")
        name = _target(fw, what, lang) if what else ""
        if kind == "event" and not what:
            cats = [c.value for c in a.get("where") or []
                    if getattr(c, "column", None) == "category" and getattr(c, "op", None) == "eq"]
            name = lookup(CATEGORY, cats[0], lang) if cats else ""
        if kind == "threshold" and name:
            op = {"gt": ("高于", "above"), "ge": ("不低于", "at least"), "lt": ("低于", "below"),
                  "le": ("不高于", "at most"), "eq": ("等于", "equal to")}.get(a.get("op"), ("", ""))
            out[code] = message("ap_rule_threshold", lang, name=name, op=op[0] if lang == "zh" else op[1],
                                value=_limit(fw, what, a.get("value")))
        elif f"ap_rule_{kind}" in _KINDS and (name or kind in ("spike", "overdue")):
            out[code] = message(f"ap_rule_{kind}", lang, name=name)
        else:
            out[code] = name or _humanise(code)
    return out


_KINDS = {"ap_rule_band", "ap_rule_threshold", "ap_rule_event", "ap_rule_trend", "ap_rule_peer", "ap_rule_spike",
          "ap_rule_overdue"}


def _humanise(code) -> str:
    """Last resort for a rule unknown to the framework: its code as words."""
    return str(code or fmt.DASH).replace("_", " ")


def _target(fw, code: str, lang: str) -> str:
    if code in ("score", fw.code):
        return node_label(fw, lang)
    if code == "grade":
        return message("grade", lang)
    try:
        return node_label(fw.node(code), lang)
    except KeyError:
        return _humanise(code)


def _limit(fw, indicator, value) -> str:
    """A threshold in the indicator's unit: shares as percentages."""
    try:
        unit = fw.node(indicator).unit or ""
    except (KeyError, AttributeError):
        unit = ""
    if isinstance(value, (int, float)) and str(unit).lower().startswith("share"):
        return fmt.pct(value, 0)
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def money(x, lang: str) -> str:
    """An amount in yuan with its unit: '1,292.4万元' / 'CNY 12.92 million'.

    >>> money(12924114.06, "zh"), money(12924114.06, "en"), money(350.0, "zh")
    ('1,292.4万元', 'CNY 12.92 million', '350元')
    """
    if fmt.missing(x):
        return fmt.DASH
    x = float(x)
    if lang == "zh":
        if abs(x) >= 1e8:
            return f"{x / 1e8:,.2f}亿元"
        if abs(x) >= 1e4:
            return f"{x / 1e4:,.1f}万元"
        return f"{x:,.0f}元"
    if abs(x) >= 1e6:
        return f"CNY {x / 1e6:,.2f} million"
    return f"CNY {x:,.0f}"


def _n(x) -> str:
    return f"{x:,.0f}" if isinstance(x, (int, float)) else str(x)


def evidence_text(raw, lang: str, names: dict, features: dict) -> str:
    """An alert's evidence (JSON) as plain sentences with units, for runs whose alerts carry no
    `evidence_text`: the facts beyond the message (cases, records, amounts, months, hold, model)."""
    if fmt.missing(raw) or raw == "":
        return ""
    try:
        doc = json.loads(raw)
    except (TypeError, ValueError):
        return str(raw)
    if not isinstance(doc, dict):
        return ""
    sep = "；" if lang == "zh" else "; "
    parts = []
    if isinstance(doc.get("denominator"), (int, float)):
        parts.append(message("ap_ev_cases", lang, n=_n(doc["denominator"])))
    for key in ("amount_due", "overdue_amount"):
        if isinstance(doc.get(key), (int, float)):
            parts.append(message(f"ap_ev_{key}", lang, v=money(doc[key], lang)))
    if isinstance(doc.get("sd"), (int, float)) and isinstance(doc.get("limit"), (int, float)):
        parts.append(message("ap_ev_peer_sd", lang, sd=f"{doc['sd']:.2f}", limit=f"{doc['limit']:.2f}"))
    for m in doc.get("months") or []:
        if isinstance(m, dict):
            parts.append(message("ap_ev_month", lang, month=m.get("month", ""), n=_n(m.get("tickets", "")),
                                 median=_n(m.get("median", "")), z=f"{m.get('z', 0):.1f}"))
    if isinstance(doc.get("years"), list) and doc["years"]:
        parts.append(message("ap_ev_years", lang, v=("、" if lang == "zh" else ", ").join(map(str, doc["years"]))))
    if "held_from" in doc:
        rules = ("、" if lang == "zh" else ", ").join(names.get(r, _humanise(r)) for r in doc.get("rules") or [])
        parts.append(message("ap_ev_hold", lang, year=doc["held_from"], rules=rules or fmt.DASH,
                             clean=doc.get("clean_periods", fmt.DASH), periods=doc.get("hold_periods", fmt.DASH)))
    shown = [features[f] for f in doc.get("top_features") or [] if f in features]  # the message has the probability
    if shown:
        parts.append(message("ap_ev_features", lang, v=("、" if lang == "zh" else ", ").join(shown)))
    ids = doc.get("records")
    if isinstance(ids, list) and ids:
        text = message("ap_ev_records", lang, ids=("、" if lang == "zh" else ", ").join(map(str, ids)))
        total = doc.get("records_total")
        if isinstance(total, int) and total > len(ids):
            text += message("ap_ev_more", lang, n=total)
        parts.append(text)
    return sep.join(parts)


def _columns(alerts: pl.DataFrame, lang: str, internal: bool) -> pl.DataFrame:
    """The alerts with every optional column, each text in the page language (the other as fallback)."""
    df = alerts.with_columns([pl.lit(None, dtype=S).alias(c) for c in OPTIONAL if c not in alerts.columns])
    df = df.with_columns([pl.col(c).cast(S) for c in ("follow_up", "held_until", "status", "origin_unit_id")])

    def pick(zh: str, en: str) -> pl.Expr:
        a, b = (zh, en) if lang == "zh" else (en, zh)
        return pl.coalesce(pl.col(a).cast(S), pl.col(b).cast(S))

    return df.select(
        "unit_id", "year", "level", "source", "rule", "evidence", "origin_unit_id",
        pl.col("follow_up").str.slice(0, 10), pl.col("held_until").str.slice(0, 10),
        (pl.col("status").fill_null("alert") == "watch").alias("watch"),
        pick("message", "message_en").alias("msg"), pick("action", "action_en").alias("act"),
        pick("owner", "owner_en").alias("own"),
        (pick("evidence_text", "evidence_text_en") if internal else pl.lit(None, dtype=S)).alias("ev_text"),
    )


def _unit_rows(items: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """One row per unit and year: the most severe counted level (WATCH when only watch items),
    and for a region the number of its departments at each level; regions whose only alerts are
    their departments' get a row with no level of their own."""
    lv = pl.col("level").replace_strict(ALERT_ORDER, default=None, return_dtype=pl.Int64)
    rows = (items.with_columns(pl.when(~pl.col("watch")).then(lv).otherwise(None).alias("_o"))
            .group_by("unit_id", "year").agg(pl.col("_o").min().fill_null(WATCH).alias("lv"),
                                             pl.col("watch").all().alias("watch_only")))
    info = units.select("unit_id", "kind", "region_id")
    dept = (rows.filter(~pl.col("watch_only")).join(info, on="unit_id", how="inner")
            .filter(pl.col("kind") == "department", pl.col("region_id").is_not_null())
            .group_by(pl.col("region_id").alias("unit_id"), "year", "lv").len())
    roll = (dept.sort("lv").group_by("unit_id", "year", maintain_order=True)
            .agg(pl.struct(pl.col("lv"), pl.col("len")).alias("roll")))
    regions = roll.select("unit_id", "year").join(rows.select("unit_id", "year"), on=["unit_id", "year"], how="anti")
    rows = pl.concat([rows.select("unit_id", "year", "lv"),
                      regions.with_columns(pl.lit(None, dtype=pl.Int64).alias("lv"))])
    return rows.join(roll, on=["unit_id", "year"], how="left").sort(
        pl.col("year"), pl.col("lv").fill_null(WATCH + 1), pl.col("unit_id"), descending=[True, False, False])


class _Strings:
    """A string table: every text stored once, referred to by its index (0 is the empty text)."""

    def __init__(self):
        self.index = {"": 0}
        self.items = [""]

    def __call__(self, text) -> int:
        if fmt.missing(text) or text == "":
            return 0
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.items)
            self.items.append(text)
        return i


def alerts_context(inp: Inputs, colours: dict) -> dict:
    """Everything alerts.html shows: the filters' options, the summary by year, the JSON block of
    rows and items for alerts.js, and the printed list (latest year, red and orange)."""
    t, lang, fw = inp.t, inp.lang, inp.framework
    df = _columns(inp.alerts, lang, inp.internal).filter(pl.col("unit_id").is_not_null(), pl.col("year").is_not_null())
    if not inp.internal:  # the public edition: no model alert, no held-over model level, no evidence
        df = df.filter(pl.col("source") == "rule")
    names = rule_names(fw, sorted(set(df["rule"].drop_nulls().to_list())), lang)
    codes = sorted({a.get("code") for a in fw.alerts if a.get("code")} | set(names) | set(BUILT_IN))
    if codes:  # "债务率（debt_band）" in a model's factor list: the reader gets the name, not the code
        bracketed = r"\s*[（(](?:" + "|".join(re.escape(c) for c in codes) + r")[)）]"
        df = df.with_columns(pl.col("msg").str.replace_all(bracketed, ""), pl.col("ev_text").str.replace_all(bracketed, ""))
    features = {}
    if inp.internal and inp.explanations is not None and inp.explanations.height:
        lab = "label_zh" if lang == "zh" else "label_en"
        ex = inp.explanations.select("feature", pl.coalesce(lab, "label_zh", "label_en", "feature").alias("l")).unique(
            "feature", keep="first")
        features = {f: CODE_IN_LABEL.sub("", lab) for f, lab in zip(ex["feature"].to_list(), ex["l"].to_list())}
    debt_rules, note = capacity_rules(fw), fiscal_note(inp)

    units = inp.units
    unit_rows = _unit_rows(df, units)
    info = {r["unit_id"]: r for r in rows_of(units.select("unit_id", "label", "kind", "level", "city_id"))}
    peer_keys = sorted({(r["kind"], r["level"]) for r in info.values() if r["kind"] and r["level"]},
                       key=lambda k: (k[0] != "region", ("province", "city", "county", "township").index(k[1])
                                      if k[1] in ("province", "city", "county", "township") else 9))
    peers = [{"value": i, "label": _peer_label(k, v, lang)} for i, (k, v) in enumerate(peer_keys)]
    peer_index = {k: i for i, k in enumerate(peer_keys)}
    shown_ids = set(unit_rows["unit_id"].to_list()) | set(df["origin_unit_id"].drop_nulls().to_list())
    city_ids = sorted({info[u]["city_id"] for u in shown_ids if u in info and info[u]["city_id"]})
    cities = [{"value": i, "label": info[c]["label"] if c in info else c} for i, c in enumerate(city_ids)]
    city_index = {c: i for i, c in enumerate(city_ids)}
    unit_list = sorted(shown_ids)
    unit_index = {u: i for i, u in enumerate(unit_list)}
    rule_codes = sorted(names, key=lambda c: (names[c], c))
    rule_index = {c: i for i, c in enumerate(rule_codes)}

    strings = _Strings()
    items: dict[tuple, list] = {}
    printed: dict[tuple, list] = {}
    latest = inp.year if inp.year is not None else (max(df["year"].to_list()) if df.height else None)
    for r in rows_of(df.sort("unit_id", "year", pl.col("level").replace_strict(ALERT_ORDER, default=9,
                                                                                return_dtype=pl.Int64),
                             "rule", "msg", maintain_order=True)):
        lv = ALERT_ORDER.get(r["level"], LEVELS.index("blue"))
        ev = r["ev_text"] if r["ev_text"] else (evidence_text(r["evidence"], lang, names, features)
                                                if inp.internal else "")
        ev = "" if ev == r["msg"] else ev  # nothing beyond the message
        noted = bool(note) and about_capacity(r["rule"], r["evidence"], debt_rules)
        origin = r["origin_unit_id"] if r["origin_unit_id"] and r["origin_unit_id"] != r["unit_id"] else None
        item = [WATCH if r["watch"] else lv, rule_index.get(r["rule"], -1), 1 if r["source"] == "model" else 0,
                strings(r["msg"]), strings(ev), strings(r["act"]), strings(r["own"]), strings(r["follow_up"]),
                strings(r["held_until"]), unit_index.get(origin, -1) if origin else -1,
                strings(note if noted else "")]
        items.setdefault((r["unit_id"], r["year"]), []).append(item)
        if r["year"] == latest and not r["watch"] and r["level"] in PRINTED:
            printed.setdefault(r["unit_id"], []).append({
                "level": r["level"], "label": alert_label(r["level"], lang), "rule": names.get(r["rule"], ""),
                "message": fmt.text(r["msg"]), "action": r["act"] or "", "owner": r["own"] or "",
                "follow_up": r["follow_up"] or "", "note": note if noted else "",
                "origin": info[origin]["label"] if origin in info else (origin or "")})

    rows = []
    for r in rows_of(unit_rows):
        roll = [[x["lv"], x["len"]] for x in (r["roll"] or [])]
        rows.append([unit_index[r["unit_id"]], r["year"], -1 if r["lv"] is None else r["lv"],
                     items.get((r["unit_id"], r["year"]), []), roll])
    data = {
        "latest": latest, "perPage": PER_PAGE, "colon": "：" if lang == "zh" else ": ",
        "sep": "，" if lang == "zh" else ", ",
        "levels": [alert_label(lv, lang) for lv in LEVELS] + [t["ap_watch"]],
        "rollLevels": [alert_label(lv, lang) if lang == "zh" else alert_label(lv, lang).lower() for lv in LEVELS],
        "rules": [names[c] for c in rule_codes],
        "units": [_unit_entry(u, info, city_index, peer_index, inp.paged) for u in unit_list],
        "s": strings.items, "rows": rows,
        "t": {k: t[k] for k in ("ap_action", "ap_owner", "ap_follow_up", "ap_held_until", "ap_origin", "ap_rollup",
                                "ap_show_departments", "ap_region_filter", "ap_no_own_alert", "ap_rows",
                                "ap_no_match", "ap_watch", "ap_departments") + (("evidence",) if inp.internal else ())},
    }
    years = sorted(set(unit_rows["year"].to_list()), reverse=True)
    return {
        "data": data, "years": years, "latest": latest, "cities": cities, "peers": peers,
        "rules": [{"value": i, "label": names[c]} for i, c in enumerate(rule_codes)],
        "levels": [{"value": i, "level": lv, "label": alert_label(lv, lang)} for i, lv in enumerate(LEVELS)]
        + [{"value": WATCH, "level": "watch", "label": t["ap_watch"]}],
        "summary": _summary(unit_rows, df, years, lang, t),
        "summary_levels": [{"level": lv, "label": alert_label(lv, lang)} for lv in LEVELS],
        "printed": _printed(printed, unit_rows, latest, info, inp.paged, lang),
        "print_title": message("ap_print_list", lang, year=latest if latest is not None else fmt.DASH),
        "print_none": message("ap_print_none", lang, year=latest if latest is not None else fmt.DASH),
        "json": script_json(data), "colon": "：" if lang == "zh" else ": ",
        "evidence": inp.internal, "empty": t["no_alerts"], "total": int(df.filter(~pl.col("watch")).height),
    }


def _peer_label(kind: str, level: str, lang: str) -> str:
    sep = "" if lang == "zh" else " "
    return f"{level_label(level, lang)}{sep}{kind_label(kind, lang) if lang == 'zh' else kind_label(kind, lang).lower()}"


def _unit_entry(uid: str, info: dict, city_index: dict, peer_index: dict, paged) -> list:
    """[id, label, city index, peer group index, is a department, has a page]"""
    u = info.get(uid) or {"label": uid, "city_id": None, "kind": None, "level": None}
    return [uid, u["label"] or uid, city_index.get(u["city_id"], -1), peer_index.get((u["kind"], u["level"]), -1),
            1 if u["kind"] == "department" else 0, 1 if uid in paged else 0]


def _summary(unit_rows: pl.DataFrame, items: pl.DataFrame, years, lang: str, t: dict) -> list[dict]:
    """Per year: units at each level, watch-only units (not counted) and the number of alerts."""
    counts = unit_rows.group_by("year", "lv").len()
    c = {(r["year"], r["lv"]): r["len"] for r in counts.iter_rows(named=True)}
    n = items.filter(~pl.col("watch")).group_by("year").len()
    alerts = dict(zip(n["year"].to_list(), n["len"].to_list()))
    return [{"year": y, "counts": [c.get((y, i), 0) for i in range(len(LEVELS))], "watch": c.get((y, WATCH), 0),
             "alerts": alerts.get(y, 0)} for y in years]


def _printed(printed: dict, unit_rows: pl.DataFrame, year, info: dict, paged, lang: str) -> list[dict]:
    """The latest year's red and orange units, most severe first, with their red and orange items."""
    if year is None:
        return []
    rows = unit_rows.filter(pl.col("year") == year, pl.col("lv") <= LEVELS.index(PRINTED[-1]))
    out = []
    for uid, lv in zip(rows["unit_id"].to_list(), rows["lv"].to_list()):
        u = info.get(uid) or {"label": uid}
        out.append({"unit": u["label"] or uid, "unit_id": uid, "href": f"units/{uid}.html" if uid in paged else None,
                    "level": LEVELS[lv], "label": alert_label(LEVELS[lv], lang), "items": printed.get(uid, [])})
    return out
