"""Alert levels: from model probabilities, and merged with the rule alerts over time.

A unit's level in a year is the highest level among its alerts (rule or model). Levels rise at
once; after the triggers clear, the level is held for `hold_periods` clean periods (a `hold`
alert says so) and only then lowered (hysteresis, as in early-warning practice).
"""
from __future__ import annotations

import polars as pl

from indicators.framework import ALERT_LEVELS, ALERT_RANK
from models.rules import ALERT_SCHEMA, LEVEL_ZH, sort_alerts

NAME = {v: k for k, v in ALERT_RANK.items()}
LEVELS_SCHEMA = {"unit_id": pl.String, "year": pl.Int64, "level": pl.String, "rule_level": pl.String,
                 "model_level": pl.String, "held": pl.Boolean}


def level_of(p: float, cuts: dict) -> str | None:
    """The highest level whose cut-off the probability reaches (None: below every cut-off).

    Examples
    --------
    >>> level_of(0.2, {"red": 0.5, "orange": 0.3, "yellow": 0.15, "blue": None})
    'yellow'
    """
    for level in ALERT_LEVELS:
        c = cuts.get(level)
        if c is not None and p >= c:
            return level
    return None


def model_alerts(risk: pl.DataFrame, rule_code: str = "risk_model") -> pl.DataFrame:
    """Alerts of source "model" from rows unit_id, year, probability, level, cutoff, model, top
    (top features, a list of text): one per unit-year whose probability reaches a cut-off."""
    import json

    rows = []
    for r in risk.filter(pl.col("level").is_not_null()).sort("unit_id", "year").iter_rows(named=True):
        ev = {"probability": round(r["probability"], 6), "cutoff": r["cutoff"], "model": r["model"],
              "next_year": r["year"] + 1, "top_features": list(r["top"] or [])}
        lv = r["level"]
        rows.append({
            "unit_id": r["unit_id"], "year": r["year"], "level": lv, "source": "model", "rule": rule_code,
            "message": f"模型预测{r['year'] + 1}年发生严重失信事件的概率为{r['probability']:.0%}，"
                       f"达到{LEVEL_ZH[lv]}预警线{r['cutoff']:.0%}",
            "message_en": f"Model probability of a serious integrity event in {r['year'] + 1}: "
                          f"{r['probability']:.0%}, at or above the {lv} cut-off {r['cutoff']:.0%}",
            "evidence": json.dumps(ev, ensure_ascii=False, sort_keys=True),
        })
    return pl.DataFrame(rows, schema=ALERT_SCHEMA)


def merge(alerts: pl.DataFrame, grid: pl.DataFrame, hold_periods: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(alerts with `hold` rows added, levels per unit and year).

    grid: unit_id, year of every unit-year (a year without alerts is a clean period), and
    optionally `rated`: a year without a score is not a clean period but a gap (nothing known).
    The levels frame has unit_id, year, level (null: no alert), rule_level, model_level, held.

    Examples
    --------
    >>> a = pl.DataFrame({"unit_id": ["u"], "year": [2022], "level": ["red"], "source": ["rule"],
    ...     "rule": ["x"], "message": [""], "message_en": [""], "evidence": ["{}"]})
    >>> g = pl.DataFrame({"unit_id": ["u"] * 3, "year": [2022, 2023, 2024]})
    >>> merge(a, g, hold_periods=1)[1]["level"].to_list()
    ['red', 'red', None]
    """
    import json

    raw = alerts.with_columns(pl.col("level").replace_strict(ALERT_RANK, default=0).alias("r")).group_by("unit_id", "year").agg(
        pl.col("r").max().alias("raw"),
        pl.col("r").filter(pl.col("source") == "rule").max().alias("rule"),
        pl.col("r").filter(pl.col("source") == "model").max().alias("model"),
        pl.col("rule").filter(pl.col("r") == pl.col("r").max()).sort().alias("why"),
        pl.col("source").filter(pl.col("r") == pl.col("r").max()).sort().first().alias("src"),
    )
    rated = grid.select("unit_id", "year", pl.col("rated") if "rated" in grid.columns else pl.lit(True).alias("rated"))
    g = (pl.concat([grid.select("unit_id", "year"), alerts.select("unit_id", "year")]).unique()
         .join(raw, on=["unit_id", "year"], how="left").join(rated, on=["unit_id", "year"], how="left")
         .sort("unit_id", "year"))
    levels, holds = [], []
    state = {}
    for r in g.iter_rows(named=True):
        raw_r = r["raw"] or 0
        prev = state.get(r["unit_id"])
        if prev is not None and prev["year"] != r["year"] - 1:
            prev = None  # a gap in the years: no state carries over
        if r["rated"] is False and not raw_r:  # not rated and no alert: unknown, not clean
            state.pop(r["unit_id"], None)
            levels.append((r["unit_id"], r["year"], None, None, None, False))
            continue
        if prev is None or raw_r >= prev["level"]:
            cur = {"level": raw_r, "clean": 0, "from": r["year"], "why": r["why"] or [], "src": r["src"]}
        elif prev["clean"] < hold_periods:
            cur = {**prev, "clean": prev["clean"] + 1}
            holds.append((r["unit_id"], r["year"], cur))
        else:
            cur = {"level": raw_r, "clean": 0, "from": r["year"], "why": r["why"] or [], "src": r["src"]}
        cur["year"] = r["year"]
        state[r["unit_id"]] = cur
        levels.append((r["unit_id"], r["year"], NAME.get(cur["level"]), NAME.get(r["rule"]), NAME.get(r["model"]),
                       cur["level"] > raw_r))
    rows = []
    for unit, year, h in holds:
        lv = NAME[h["level"]]
        rows.append({
            "unit_id": unit, "year": year, "level": lv, "source": h["src"] or "rule", "rule": "hold",
            "message": f"维持{LEVEL_ZH[lv]}预警：{h['from']}年的预警条件已解除"
                       f"（已连续{h['clean']}个无此预警的周期，满{hold_periods}个周期后降级）",
            "message_en": f"{lv.capitalize()} level held: the {h['from']} trigger has cleared "
                          f"({h['clean']} of {hold_periods} clean period(s) before it is lowered)",
            "evidence": json.dumps({"held_from": h["from"], "rules": h["why"], "clean_periods": h["clean"],
                                    "hold_periods": hold_periods}, ensure_ascii=False, sort_keys=True),
        })
    out = sort_alerts(pl.concat([alerts.select(list(ALERT_SCHEMA)), pl.DataFrame(rows, schema=ALERT_SCHEMA)]))
    return out, pl.DataFrame(levels, schema=LEVELS_SCHEMA, orient="row")
