"""Alert levels: the model's levels by what they deliver, and the merge of all alerts over time.

A model level means an expected next-year event rate of at least `level_lift` times the base rate
(the event rate of the years the model learnt from), for at most `level_share` of the rated units
of the year (the highest probabilities first): fixed in the framework, never re-optimised from one
year to the next. The model issues no level below the lowest lift (no blue: a probability below
the base rate is no warning).

A unit's level in a year is the highest level among its counted alerts (status "alert"; watch-list
rows are shown but never counted). Levels rise at once. After a rule condition clears, its level is
held for `hold_periods` clean periods (a `hold` alert says what triggered it, when, and until when)
and only then lowered. Model forecasts are never held (a forecast covers one year), nor is a
condition whose records were all granted a credit repair.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import ALERT_LEVELS, ALERT_RANK
from models.alert import ALERT_SCHEMA, LEVEL_EN, LEVEL_ZH, action_of, frame, row
from models.rules import sort_alerts

NAME = {v: k for k, v in ALERT_RANK.items()}
LEVELS_SCHEMA = {"unit_id": pl.String, "year": pl.Int64, "level": pl.String, "rule_level": pl.String,
                 "model_level": pl.String, "held": pl.Boolean}
HOLD = "hold"


def model_levels(p: np.ndarray, base_rate: float, lift: dict, share: dict, n_rated: int | None = None) -> list:
    """The level of each probability of one year: the highest level whose lift times the base
    rate it reaches, while that level holds fewer than its share of the `n_rated` units (default:
    all of `p`); the highest probabilities first (ties: the order given). None: no model level.

    Examples
    --------
    >>> p = np.array([0.5, 0.45, 0.3, 0.12, 0.05])
    >>> model_levels(p, 0.1, {"red": 4.0, "orange": 2.0, "yellow": 1.1}, {"red": 0.2, "orange": 0.4, "yellow": 0.4})
    ['red', 'orange', 'orange', 'yellow', None]
    """
    p = np.asarray(p, dtype=float)
    n = len(p) if n_rated is None else n_rated
    out: list = [None] * len(p)
    order = np.argsort(-p, kind="stable")
    used = {lv: 0 for lv in ALERT_LEVELS}
    for i in order:
        for lv in ALERT_LEVELS:
            if lv not in lift:
                continue
            if p[i] >= lift[lv] * base_rate - 1e-12 and used[lv] + 1 <= share.get(lv, 1.0) * n + 1e-9:
                out[i] = lv
                used[lv] += 1
                break
    return out


def model_alerts(risk: pl.DataFrame, rule: dict | None = None, rule_code: str = "risk_model") -> pl.DataFrame:
    """Alerts of source "model" from rows unit_id, year, probability, level, base_rate, lift (the
    level's multiple of the base rate), model and top (the labels of the features that raised the
    probability most, zh and en): one per unit-year with a level. `rule` gives the action, owner
    and follow-up days (default: the level's)."""
    rows = []
    has = set(risk.columns)
    for r in risk.filter(pl.col("level").is_not_null()).sort("unit_id", "year").iter_rows(named=True):
        lv, p, base = r["level"], r["probability"], r["base_rate"]
        ratio = p / base if base else float("nan")
        top_zh = list(r["top_zh"] or []) if "top_zh" in has else []
        top_en = list(r["top_en"] or []) if "top_en" in has else []
        ev = {"probability": round(p, 6), "base_rate": round(base, 6), "ratio": round(ratio, 3),
              "level_lift": r["lift"], "model": r["model"], "next_year": r["year"] + 1,
              "top_features": list(r["top"] or []) if "top" in has else []}
        msg = (f"模型预测{r['year'] + 1}年发生严重失信事件的概率为{p:.0%}，为基准率{base:.1%}的{ratio:.1f}倍"
               f"（{LEVEL_ZH[lv]}预警：≥{r['lift']:g}倍）",
               f"Model probability of a serious integrity event in {r['year'] + 1}: {p:.0%}, {ratio:.1f} times the "
               f"base rate {base:.1%} ({lv} level: at least {r['lift']:g} times)")
        text = (f"概率{p:.1%}；基准率{base:.1%}；主要因素：{'、'.join(top_zh) or '—'}",
                f"probability {p:.1%}; base rate {base:.1%}; main factors: {', '.join(top_en) or '—'}")
        rows.append(row(unit_id=r["unit_id"], year=r["year"], level=lv, source="model", rule=rule_code,
                        status="alert", origin_unit_id=r["unit_id"], message=msg, evidence=ev, evidence_text=text,
                        todo=action_of(rule or {}, lv)))
    return frame(rows)


def _holdable(alerts: pl.DataFrame) -> pl.Expr:
    """Rule conditions that may be held: counted rule alerts, except those whose records were all
    granted a credit repair."""
    repaired = pl.col("evidence").str.json_path_match("$.repaired").cast(pl.Int64, strict=False).fill_null(0)
    total = pl.col("evidence").str.json_path_match("$.records_total").cast(pl.Int64, strict=False).fill_null(0)
    return (pl.col("source") == "rule") & (pl.col("rule") != HOLD) & ~((total > 0) & (repaired >= total))


FULL = ("（本年度该级预警已达上限，列入观察名单）", " (this level is full this year: on the watch list)")


def _protected() -> pl.Expr:
    """Alerts a level's share never moves to the watch list: the model's (already within the
    share) and those of rules with a legal basis."""
    return (pl.col("source") == "model") | pl.col("evidence").str.json_path_match("$.legal_basis").is_not_null()


def within_shares(alerts: pl.DataFrame, grid: pl.DataFrame, share: dict, priority: pl.DataFrame | None = None) -> pl.DataFrame:
    """`alerts` with the rule alerts beyond a level's share of the year's rated units moved to the
    watch list, from red down: at each level, the units held there by a model alert or a rule
    with a legal basis stay; the others fill what is left of the share by `priority` (unit_id,
    year, priority: the model's probability; higher first, then more alerts, then unit id), and the
    rest have their alerts at that level shown on the watch list (their level is then what their
    other alerts give, and competes at the level below).

    Examples
    --------
    >>> a = frame([{"unit_id": u, "year": 2024, "level": "red", "source": "rule", "rule": "x", "status": "alert",
    ...             "origin_unit_id": u, "evidence": "{}", "message": "", "message_en": ""} for u in "abcd"])
    >>> g = pl.DataFrame({"unit_id": list("abcdefghij"), "year": [2024] * 10})
    >>> p = pl.DataFrame({"unit_id": list("abcd"), "year": [2024] * 4, "priority": [0.1, 0.4, 0.3, 0.2]})
    >>> within_shares(a, g, {"red": 0.2}, p).sort("unit_id")["status"].to_list()
    ['watch', 'alert', 'alert', 'watch']
    """
    if not share or alerts.is_empty():
        return alerts
    rated = (grid.filter(pl.col("rated")) if "rated" in grid.columns else grid).group_by("year").agg(pl.len().alias("rated"))
    keys = ["unit_id", "year"]
    prio = (priority.select(*keys, pl.col("priority").cast(pl.Float64)) if priority is not None
            else grid.select(*keys).with_columns(pl.lit(None, pl.Float64).alias("priority")))
    a = alerts.with_row_index("_i").with_columns(pl.col("level").replace_strict(ALERT_RANK, default=0).alias("_r"),
                                                 _protected().alias("_p"))
    for lv in ALERT_LEVELS:
        if lv not in share:
            continue
        rank = ALERT_RANK[lv]
        live = a.filter(pl.col("status") == "alert")
        top = live.group_by(keys).agg(pl.col("_r").max().alias("top"), pl.len().alias("n"),
                                      pl.col("_p").filter(pl.col("_r") == rank).any().alias("kept"))
        at = top.filter(pl.col("top") == rank).join(rated, on="year", how="left").join(prio, on=keys, how="left")
        cap = (pl.lit(float(share[lv])) * pl.col("rated").fill_null(0)).floor()
        at = at.with_columns((cap - pl.col("kept").sum().over("year")).clip(lower_bound=0).alias("free"))
        order = (at.filter(~pl.col("kept"))
                 .sort(pl.col("priority").fill_null(-1.0), "n", "unit_id", descending=[True, True, False])
                 .with_columns(pl.int_range(1, pl.len() + 1).over("year").alias("place")))
        out = order.filter(pl.col("place") > pl.col("free")).select(keys)
        if out.is_empty():
            continue
        hit = a.join(out.with_columns(pl.lit(True).alias("_out")), on=keys, how="left")["_out"].fill_null(False)
        move = hit & (a["_r"] == rank) & (a["status"] == "alert") & ~a["_p"]
        a = a.with_columns(
            pl.when(move).then(pl.lit("watch")).otherwise(pl.col("status")).alias("status"),
            pl.when(move).then(pl.col("message") + FULL[0]).otherwise(pl.col("message")).alias("message"),
            pl.when(move).then(pl.col("message_en") + FULL[1]).otherwise(pl.col("message_en")).alias("message_en"))
    return a.sort("_i").drop("_i", "_r", "_p")


def merge(alerts: pl.DataFrame, grid: pl.DataFrame, hold_periods: int = 1, *, share: dict | None = None,
          priority: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(alerts with `hold` rows added, levels per unit and year).

    grid: unit_id, year of every unit-year (a year without alerts is a clean period), and
    optionally `rated`: a year without a score is not a clean period but a gap (nothing known).
    The levels frame has unit_id, year, level (null: no alert), rule_level, model_level, held.
    Only counted alerts (status "alert") make levels; with `share`, a level's rule alerts beyond
    its share are shown on the watch list (within_shares); only rule conditions are held.

    Examples
    --------
    >>> from models.alert import frame
    >>> a = frame([{"unit_id": "u", "year": 2022, "level": "red", "source": "rule", "rule": "x", "status": "alert",
    ...             "origin_unit_id": "u", "evidence": "{}"}])
    >>> g = pl.DataFrame({"unit_id": ["u"] * 3, "year": [2022, 2023, 2024]})
    >>> merge(a, g, hold_periods=1)[1]["level"].to_list()
    ['red', 'red', None]
    """
    alerts = within_shares(alerts, grid, share or {}, priority)
    counted = alerts.filter(pl.col("status") == "alert").with_columns(
        pl.col("level").replace_strict(ALERT_RANK, default=0).alias("r"), _holdable(alerts).alias("h"))
    raw = counted.group_by("unit_id", "year").agg(
        pl.col("r").max().alias("raw"),
        pl.col("r").filter(pl.col("source") == "rule").max().alias("rule"),
        pl.col("r").filter(pl.col("source") == "model").max().alias("model"),
        pl.col("r").filter(pl.col("h")).max().alias("hr"),
    )
    why = (counted.filter(pl.col("h")).with_columns(pl.col("r").max().over("unit_id", "year").alias("top"))
           .filter(pl.col("r") == pl.col("top")).sort("unit_id", "year", "rule", "origin_unit_id")
           .group_by("unit_id", "year", maintain_order=True)
           .agg(pl.col("rule").unique(maintain_order=True).alias("why"),
                pl.col("evidence_text").alias("why_zh"), pl.col("evidence_text_en").alias("why_en")))
    rated = grid.select("unit_id", "year", pl.col("rated") if "rated" in grid.columns else pl.lit(True).alias("rated"))
    g = (pl.concat([grid.select("unit_id", "year"), alerts.select("unit_id", "year")]).unique()
         .join(raw, on=["unit_id", "year"], how="left").join(why, on=["unit_id", "year"], how="left")
         .join(rated, on=["unit_id", "year"], how="left").sort("unit_id", "year"))
    levels, holds = [], []
    state: dict = {}
    for r in g.iter_rows(named=True):
        unit, year = r["unit_id"], r["year"]
        raw_r, hr = r["raw"] or 0, r["hr"] or 0
        prev = state.pop(unit, None)
        if prev is not None and prev["year"] != year - 1:
            prev = None  # a gap in the years: no state carries over
        if r["rated"] is False and not raw_r:  # not rated and no alert: unknown, not clean
            levels.append((unit, year, None, None, None, False))
            continue
        held = 0
        if hr and (prev is None or hr >= prev["level"]):
            cur = {"level": hr, "clean": 0, "from": year, "why": r["why"], "zh": r["why_zh"], "en": r["why_en"]}
        elif prev is not None and prev["clean"] < hold_periods:
            cur = {**prev, "clean": prev["clean"] + 1}
            held = cur["level"]
            if held > raw_r:
                holds.append((unit, year, cur))
        elif hr:
            cur = {"level": hr, "clean": 0, "from": year, "why": r["why"], "zh": r["why_zh"], "en": r["why_en"]}
        else:
            cur = None
        if cur is not None:
            state[unit] = {**cur, "year": year}
        final = max(raw_r, held)
        levels.append((unit, year, NAME.get(final), NAME.get(r["rule"]), NAME.get(r["model"]), held > raw_r))
    hold_rows = [_hold_row(unit, year, h, hold_periods) for unit, year, h in holds]
    out = sort_alerts(pl.concat([alerts.select(list(ALERT_SCHEMA)), frame(hold_rows)]))
    return out, pl.DataFrame(levels, schema=LEVELS_SCHEMA, orient="row")


def _hold_row(unit: str, year: int, h: dict, hold_periods: int) -> dict:
    """The `hold` alert of a unit-year: what triggered the held level, when, and when it ends."""
    lv = NAME[h["level"]]
    last = year + hold_periods - h["clean"]
    until = f"{last}-12-31"
    rules = "、".join(h["why"] or [])
    msg = (f"维持{LEVEL_ZH[lv]}预警至{last}年底：{h['from']}年因{rules}触发，该条件{year}年已不再满足"
           f"（第{h['clean']}个无触发年度，共维持{hold_periods}个）；{last + 1}年起如无新触发即降级",
           f"{LEVEL_EN[lv]} level held until the end of {last}: triggered in {h['from']} by {', '.join(h['why'] or [])}; "
           f"the condition no longer holds in {year} (clean year {h['clean']} of {hold_periods}); "
           f"lowered from {last + 1} unless it recurs")
    text = (f"{h['from']}年触发：" + "；".join(t for t in h["zh"] or [] if t),
            f"triggered in {h['from']}: " + "; ".join(t for t in h["en"] or [] if t))
    ev = {"held_from": h["from"], "rules": h["why"], "clean_periods": h["clean"], "hold_periods": hold_periods,
          "held_until": until}
    return row(unit_id=unit, year=year, level=lv, source="rule", rule=HOLD, status="alert", origin_unit_id=unit,
               message=msg, evidence=ev, evidence_text=text, todo=action_of({}, lv), held_until=until)


__all__ = ["ALERT_SCHEMA", "LEVELS_SCHEMA", "merge", "model_alerts", "model_levels"]
