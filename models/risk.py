"""Early-warning model: probability of a serious integrity event in year t+1 from data up to t.

The target comes from the data (severity-3 failure records of the framework's event categories
that count under the lifecycle rules), never from a generator's ground truth. Every prediction
is out of time: the probability for year t comes from a model fitted only on pairs (s, s+1)
with s + 1 <= t, so no row sees its own future.
"""
from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from indicators.framework import Framework

RISK_SCHEMA = {"unit_id": pl.String, "year": pl.Int64, "probability": pl.Float64}


def serious_events(con: duckdb.DuckDBPyConnection, framework: Framework) -> pl.DataFrame:
    """unit_id, year, events: counting serious records per unit and year (a region includes its departments)."""
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    grid = "SELECT u.unit_id, y.year FROM units u CROSS JOIN rated_years y"
    if "stg_failure_records" not in views:
        return con.sql(f"SELECT unit_id, year, NULL::BIGINT AS events FROM ({grid})").pl()
    cats = ", ".join("'" + c.replace("'", "''") + "'" for c in framework.model["event_categories"])
    sev = int(framework.model["event_severity"])
    q = f"""
        WITH e AS (
          SELECT s.target AS unit_id, year(r.occurred_on) AS year, count(*) AS events
          FROM stg_failure_records r JOIN scope_region s ON r.unit_id = s.source
          WHERE r.counting AND r.severity >= {sev} AND r.category IN ({cats})
          GROUP BY ALL)
        SELECT g.unit_id, g.year, coalesce(e.events, 0) AS events
        FROM ({grid}) g LEFT JOIN e USING (unit_id, year)
    """
    return con.sql(q).pl().with_columns(pl.col("year").cast(pl.Int64))


def features(scores: pl.DataFrame, feature_cols: list[str]) -> pl.DataFrame:
    """Features of year t: the scores and their change from t-1. A missing feature is filled with
    the median of the same year (never of later years, which would leak the future)."""
    df = scores.sort("unit_id", "year")
    changes = [(pl.col(c) - pl.col(c).shift(1).over("unit_id")).alias(f"d_{c}") for c in feature_cols]
    df = df.with_columns(changes)
    cols = feature_cols + [f"d_{c}" for c in feature_cols]
    return df.with_columns([pl.col(c).fill_nan(None).fill_null(pl.col(c).fill_nan(None).median().over("year")).fill_null(0.0) for c in cols]), cols


def predict_out_of_time(scores: pl.DataFrame, events: pl.DataFrame, feature_cols: list[str], seed: int = 0) -> pl.DataFrame:
    """risk.csv: for each unit and year t, P(serious event in t+1) from a model fitted on earlier years."""
    df, cols = features(scores, feature_cols)
    nxt = events.select("unit_id", (pl.col("year") - 1).alias("year"), (pl.col("events") > 0).cast(pl.Int8).alias("target"))
    df = df.join(nxt, on=["unit_id", "year"], how="left")
    years = sorted(df["year"].unique().to_list())
    out = []
    for t in years:
        train = df.filter((pl.col("year") + 1 <= t) & pl.col("target").is_not_null())
        y = train["target"].to_numpy()
        if len(train) < 20 or y.min() == y.max():
            continue  # not enough history to fit an honest model for this year
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, random_state=seed))
        model.fit(train.select(cols).to_numpy(), y)
        test = df.filter(pl.col("year") == t)
        p = model.predict_proba(test.select(cols).to_numpy())[:, 1]
        out.append(test.select("unit_id", "year").with_columns(pl.Series("probability", p)))
    if not out:
        return pl.DataFrame(schema=RISK_SCHEMA)
    return pl.concat(out).sort("unit_id", "year")
