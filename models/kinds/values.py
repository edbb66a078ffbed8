"""Alert rows from indicator values, shared by the kinds over values (band, threshold, event)."""
from __future__ import annotations

import polars as pl

from indicators.framework import Framework
from models.alert import OP_TEXT, alert, figure, names, unit_of


def present(values: pl.DataFrame, code: str, min_denominator: float = 0) -> pl.DataFrame:
    """The indicator's present values; with `min_denominator`, only those resting on at least
    that many cases (a share of 20 tickets swings by 10 points on two of them: not evidence)."""
    v = values.filter(pl.col("indicator") == code, pl.col("value").is_not_null(), ~pl.col("value").is_nan())
    if min_denominator and v.height:
        if "denominator" not in values.columns:
            raise ValueError(f"indicator {code}: a rule with min_denominator needs the values' denominators")
        v = v.filter(pl.col("denominator") >= min_denominator)
    return v


def value_rows(hits: pl.DataFrame, rule: dict, level: str, threshold: float, framework: Framework) -> list[dict]:
    """One alert per row of `hits` (unit_id, year, value), with the figure and the line in words."""
    out = []
    code = rule["indicator"]
    zh, en = names(framework, code)
    u = unit_of(framework, code)
    t_zh, t_en = figure(threshold, u)
    op_zh, op_en = OP_TEXT.get(rule.get("op"), ("不低于", "at least"))
    for r in hits.sort("unit_id", "year").iter_rows(named=True):
        ev = {"indicator": code, "value": r["value"], "threshold": threshold}
        v_zh, v_en = figure(r["value"], u)
        base_zh = base_en = ""
        if rule.get("min_denominator"):
            ev["denominator"] = r["denominator"]
            base_zh, base_en = f"（基数{r['denominator']:,.0f}）", f" (base {r['denominator']:,.0f})"
        text = (f"{zh} {v_zh}{base_zh}，{op_zh}预警线{t_zh}", f"{en} {v_en}{base_en}, {op_en} the line {t_en}")
        out.append(alert(rule, r["unit_id"], r["year"], level, ev, framework=framework, text=text,
                         value=r["value"], threshold=threshold))
    return out
