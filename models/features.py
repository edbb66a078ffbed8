"""The feature frame of the early-warning model: one row per unit and year t, from data <= t.

Columns (all Float64, null where unknown), named `<family>:<code>`:

- `value:<indicator>` and `change:<indicator>`: every computed indicator (index and auxiliary)
  and its change from t-1;
- `score:<aggregate>` and `score_change:<aggregate>`: the composite (the index code) and each
  aggregate of the hierarchy, and their change from t-1;
- `rule:<alert code>`: the highest level a rule alert gave the unit in t (red 4 ... blue 1, 0 none);
- `score_3y:<index>`: the composite's mean over t-2..t (the years the unit was scored): one
  year's score is a noisy reading of a persistent integrity, three are a steadier one;
- `family:score`, `family:score_3y`: the mean composite (and three-year mean) of the departments of
  the unit's region in t; `region:score`, `region:score_3y`: the region's own (a region is its own
  region). A region's target counts its departments' records, so their standing is its risk too;
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
    out = out.join(_context(s.select(*KEYS, pl.col(f"score:{framework.code}").alias("score")), scores, framework.code),
                   on=KEYS, how="left")
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


#: The columns of `_context`, after `score_3y:<index>`.
CONTEXT = ("family:score", "family:score_3y", "region:score", "region:score_3y")


def region_of(units: pl.DataFrame) -> pl.Expr:
    """The region of each unit: the `region_id` column when the frame has it, else the region code
    that a department's id starts with (`<region code>-<dept code>`, the input contract)."""
    if "region_id" in units.columns:
        return pl.col("region_id").fill_null(pl.col("unit_id").str.split("-").list.first())
    return pl.col("unit_id").str.split("-").list.first()


def _context(score: pl.DataFrame, scores: pl.DataFrame | None, index: str) -> pl.DataFrame:
    """unit_id, year, `score_3y:<index>` and the CONTEXT columns from the composite `score` of
    every unit-year; null where the kind (hence who is a department) is unknown.

    Examples
    --------
    >>> s = pl.DataFrame({"unit_id": ["440100", "440100-A", "440100-B"] * 2, "year": [2023] * 3 + [2024] * 3,
    ...                   "score": [50.0, 40.0, 60.0, 52.0, 44.0, 62.0]})
    >>> k = s.with_columns(kind=pl.when(pl.col("unit_id").str.contains("-")).then(pl.lit("department")).otherwise(pl.lit("region")))
    >>> c = _context(s, k, "GDI").filter(pl.col("year") == 2024).sort("unit_id")
    >>> c["score_3y:GDI"].to_list(), c["family:score"].to_list(), c["region:score_3y"].to_list()
    ([51.0, 42.0, 61.0], [53.0, 53.0, 53.0], [51.0, 51.0, 51.0])
    """
    lag = [score.select("unit_id", (pl.col("year") + k).alias("year"), pl.col("score").alias(f"_s{k}")) for k in (1, 2)]
    out = score
    for f in lag:
        out = out.join(f, on=KEYS, how="left")
    out = out.with_columns(pl.when(pl.col("score").is_not_null()).then(pl.mean_horizontal("score", "_s1", "_s2"))
                           .alias("score_3y")).drop("_s1", "_s2")
    names = [f"score_3y:{index}", *CONTEXT]
    if scores is None or "kind" not in scores.columns:
        return out.select(*KEYS, pl.col("score_3y").alias(names[0]), *[pl.lit(None, pl.Float64).alias(c) for c in CONTEXT])
    who = scores.select(*KEYS, "kind", region_of(scores).alias("_region")).unique(KEYS, keep="first")
    out = out.join(who, on=KEYS, how="left")
    dept, reg = pl.col("kind") == "department", pl.col("kind") == "region"
    over = ["_region", "year"]
    known = pl.col("kind").is_not_null()
    return out.select(
        *KEYS, pl.col("score_3y").alias(names[0]),
        pl.when(known).then(pl.col("score").filter(dept).mean().over(over)).alias("family:score"),
        pl.when(known).then(pl.col("score_3y").filter(dept).mean().over(over)).alias("family:score_3y"),
        pl.when(known).then(pl.col("score").filter(reg).mean().over(over)).alias("region:score"),
        pl.when(known).then(pl.col("score_3y").filter(reg).mean().over(over)).alias("region:score_3y"))


def context_columns(cols: list[str], index: str) -> list[str]:
    """The columns of the context model (the `logit` candidate), in `cols` order: the composite,
    its three-year mean, the CONTEXT columns and the unit's kind and level. The composite is a
    peer-relative summary of every indicator (50 = the peer average); in the backtest a model of all
    the indicators ranked units within a kind worse than the composite alone (models/BACKTEST.md)."""
    want = {f"score:{index}", f"score_3y:{index}", *CONTEXT}
    return [c for c in cols if c in want or c.startswith(("kind:", "level:"))]


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
    if family == "score_3y":
        zh, en = names(framework, code)
        return f"{zh}（近三年均值）", f"{en} (mean of the last three years)"
    if family in ("family", "region"):
        zh, en = {"family": ("本地区部门平均综合得分", "Mean composite score of the region's departments"),
                  "region": ("所属地区综合得分", "Composite score of the unit's region")}[family]
        return (f"{zh}（近三年均值）", f"{en} (mean of the last three years)") if code == "score_3y" else (zh, en)
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


__all__ = ["build_features", "context_columns", "event_history", "feature_columns", "matrix", "label", "LEVEL_ZH"]
