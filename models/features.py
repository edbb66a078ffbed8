"""The feature frame of the early-warning model: one row per unit and year t, from data <= t.

Columns (all Float64, null where unknown), named `<family>:<code>`:

- `value:<indicator>` and `change:<indicator>`: every computed indicator (index and auxiliary)
  and its change from t-1;
- `score:<aggregate>` and `score_change:<aggregate>`: the composite (the index code) and each
  aggregate of the hierarchy, and their change from t-1;
- `rule:<alert code>`: the highest level a rule alert gave the unit in t (red 4 ... blue 1, 0 none);
- `kind:<kind>`, `level:<level>`: the unit's kind and administrative level (0/1);
- `events:t`, `events:3y`: the serious events of t and of t-2..t (added by models.risk).

The set of columns comes from the framework and the input contract, never from the data, so
removing a year of data cannot change the columns of the other years.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.contract import LEVELS, UNIT_KINDS
from indicators.framework import ALERT_RANK, Framework
from models.alert import names
from models.rules import LEVEL_ZH

KEYS = ["unit_id", "year"]


def _changes(df: pl.DataFrame, cols: list[str], prefix: str, strip: str) -> pl.DataFrame:
    """The change of each column from the unit's previous year (null without that year)."""
    prev = df.select("unit_id", (pl.col("year") + 1).alias("year"), *[pl.col(c).alias(f"_p{i}") for i, c in enumerate(cols)])
    out = df.join(prev, on=KEYS, how="left")
    return out.with_columns([(pl.col(c) - pl.col(f"_p{i}")).alias(prefix + c.removeprefix(strip)) for i, c in enumerate(cols)]) \
              .drop([f"_p{i}" for i in range(len(cols))])


def build_features(values: pl.DataFrame, framework: Framework, *, scores: pl.DataFrame | None = None,
                   alerts: pl.DataFrame | None = None) -> pl.DataFrame:
    """unit_id, year and the feature columns of every unit-year found in `values` or `scores`.

    Parameters
    ----------
    values : long indicator values (unit_id, year, indicator, value).
    framework : gives the indicators, aggregates and rule codes (hence the columns).
    scores : unit_id, year, score, the aggregate columns and optionally kind and level.
    alerts : rule alerts (ALERT_SCHEMA); only rows with source "rule" are used.

    Notes
    -----
    NaN values are turned into nulls. Nothing is imputed here: the model fills missing values
    with medians of its own training years.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> v = pl.DataFrame({"unit_id": ["a", "a"], "year": [2023, 2024],
    ...                   "indicator": ["debt_ratio"] * 2, "value": [1.0, 1.5]})
    >>> f = build_features(v, load_framework())
    >>> f.filter(pl.col("year") == 2024)["change:debt_ratio"].to_list()
    [0.5]
    """
    codes = [n.code for n in framework.computed]
    v = values.filter(pl.col("indicator").is_in(codes)).select(
        *KEYS, "indicator", pl.col("value").cast(pl.Float64).fill_nan(None))
    wide = v.pivot(on="indicator", index=KEYS, values="value", aggregate_function="first") if v.height else v.select(KEYS)
    wide = wide.with_columns([pl.lit(None, pl.Float64).alias(c) for c in codes if c not in wide.columns])
    wide = wide.select(*KEYS, *[pl.col(c).alias(f"value:{c}") for c in codes])
    grid = wide.select(KEYS)
    aggs = [n.code for n in framework.aggregates]
    if scores is not None:
        grid = pl.concat([grid, scores.select(KEYS)]).unique()
    out = grid.join(wide, on=KEYS, how="left")
    out = _changes(out, [f"value:{c}" for c in codes], "change:", "value:")
    cols = {a: ("score" if a == framework.code else a) for a in aggs}
    have = scores is not None
    s = (scores.select(*KEYS, *[pl.col(c).cast(pl.Float64).fill_nan(None).alias(f"score:{a}") if c in scores.columns
                                else pl.lit(None, pl.Float64).alias(f"score:{a}") for a, c in cols.items()])
         if have else grid.select(*KEYS, *[pl.lit(None, pl.Float64).alias(f"score:{a}") for a in aggs]))
    s = _changes(s, [f"score:{a}" for a in aggs], "score_change:", "score:")
    out = out.join(s, on=KEYS, how="left")
    onehot = []
    for col, options in (("kind", UNIT_KINDS), ("level", LEVELS)):
        present = have and col in scores.columns
        onehot += [(pl.col(col) == o).cast(pl.Float64).alias(f"{col}:{o}") if present
                   else pl.lit(None, pl.Float64).alias(f"{col}:{o}") for o in options]
    if have and ("kind" in scores.columns or "level" in scores.columns):
        kl = scores.select(*KEYS, *[c for c in ("kind", "level") if c in scores.columns])
        out = out.join(kl, on=KEYS, how="left").with_columns(onehot).drop([c for c in ("kind", "level") if c in kl.columns])
    else:
        out = out.with_columns(onehot)
    rule_codes = [a["code"] for a in framework.alerts]
    flags = (alerts.filter(pl.col("source") == "rule", pl.col("rule").is_in(rule_codes))
             .with_columns(pl.col("level").replace_strict(ALERT_RANK, default=0, return_dtype=pl.Float64).alias("rank"))
             .group_by(*KEYS, "rule").agg(pl.col("rank").max())) if alerts is not None else None
    for code in rule_codes:
        if flags is not None and flags.height:
            f = flags.filter(pl.col("rule") == code).select(*KEYS, pl.col("rank").alias(f"rule:{code}"))
            out = out.join(f, on=KEYS, how="left").with_columns(pl.col(f"rule:{code}").fill_null(0.0))
        else:
            out = out.with_columns(pl.lit(0.0 if alerts is not None else None, pl.Float64).alias(f"rule:{code}"))
    return out.sort(KEYS)


def event_history(events: pl.DataFrame) -> pl.DataFrame:
    """unit_id, year, `events:t` (serious events in t) and `events:3y` (in t-2..t, over the years
    present); null where the events are unknown.

    Examples
    --------
    >>> e = pl.DataFrame({"unit_id": ["a"] * 4, "year": [2021, 2022, 2023, 2024], "events": [1, 0, 2, 0]})
    >>> event_history(e).sort("year")["events:3y"].to_list()
    [1.0, 1.0, 3.0, 2.0]
    """
    e = events.select(*KEYS, pl.col("events").cast(pl.Float64).alias("events:t"))
    lag = [e.select("unit_id", (pl.col("year") + k).alias("year"), pl.col("events:t").alias(f"_l{k}")) for k in (1, 2)]
    for f in lag:
        e = e.join(f, on=KEYS, how="left")
    return e.with_columns(pl.sum_horizontal("events:t", "_l1", "_l2").alias("events:3y")) \
            .with_columns(pl.when(pl.col("events:t").is_null()).then(None).otherwise(pl.col("events:3y")).alias("events:3y")) \
            .drop("_l1", "_l2")


def feature_columns(frame: pl.DataFrame) -> list[str]:
    """Every column but the keys and the target, in frame order."""
    return [c for c in frame.columns if c not in (*KEYS, "target")]


def matrix(frame: pl.DataFrame, cols: list[str]) -> np.ndarray:
    """The one polars -> numpy step: a float matrix in the frame's row order, NaN for null."""
    if not cols:
        return np.empty((frame.height, 0))
    return frame.select([pl.col(c).cast(pl.Float64) for c in cols]).to_numpy().astype(float)


def label(feature: str, framework: Framework) -> tuple[str, str]:
    """(zh, en) reading of a feature column.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> label("change:debt_ratio", load_framework())
    ('债务率（同比变化）', 'Debt ratio (change from previous year)')
    """
    family, _, code = feature.partition(":")
    if family in ("value", "score"):
        return names(framework, code)
    if family in ("change", "score_change"):
        zh, en = names(framework, code)
        return f"{zh}（同比变化）", f"{en} (change from previous year)"
    if family == "rule":
        rule = next((a for a in framework.alerts if a["code"] == code), {})
        what = rule.get("indicator") or rule.get("target")
        if not what:
            return f"规则预警：{code}", f"Rule alert: {code}"
        zh, en = names(framework, what)
        return f"规则预警：{zh}（{code}）", f"Rule alert: {en} ({code})"
    if family == "kind":
        return {"region": ("地区", "Region"), "department": ("部门", "Department")}.get(code, (code, code))
    if family == "level":
        zh = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇级"}.get(code, code)
        return f"层级：{zh}", f"Level: {code}"
    if feature == "unit_type":
        return "单位类型与层级", "Unit kind and level"
    if feature == "events:t":
        return "本年度严重失信事件数", "Serious integrity events in the year"
    if feature == "events:3y":
        return "近三年严重失信事件数", "Serious integrity events in the last three years"
    return feature, feature


__all__ = ["build_features", "event_history", "feature_columns", "matrix", "label", "LEVEL_ZH"]
