"""After the score: analyst overrides of the grade, and the outlook.

Overrides come from `overrides.csv` in the data folder (unit_id, year, grade, reason, analyst):
each is applied after the vetoes, logged in `override` beside the grade it replaced, and never
touches the score. The outlook (positive / stable / negative) reads the score's trend and the
year's open alerts, the way rating agencies pair a rating with its direction.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from indicators.errors import InputError
from indicators.framework import ALERT_LEVELS, Framework

OVERRIDE_COLUMNS = ("unit_id", "year", "grade", "reason", "analyst")
NO_OVERRIDES = pl.DataFrame(schema={c: (pl.Int64 if c == "year" else pl.String) for c in OVERRIDE_COLUMNS})


def read_overrides(data: Path, framework: Framework, scores: pl.DataFrame) -> pl.DataFrame:
    """The overrides file of a data folder (empty when there is none); every problem refused at once."""
    path = Path(data) / "overrides.csv"
    if not path.is_file():
        return NO_OVERRIDES
    try:
        df = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except Exception as e:  # unreadable file: one line naming it
        raise InputError(f"{path}: cannot read overrides ({e})") from None
    missing = [c for c in OVERRIDE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(OVERRIDE_COLUMNS)}")
    grades = {g.code for g in framework.grades}
    known = set(zip(scores["unit_id"].to_list(), scores["year"].to_list()))
    problems = []
    for i, r in enumerate(df.iter_rows(named=True), start=2):
        year = r["year"].strip() if r["year"] else ""
        if not year.isdigit():
            problems.append(f"{path}, row {i}, column year: {r['year']!r} is not a year")
        elif (r["unit_id"], int(year)) not in known:
            problems.append(f"{path}, row {i}: unit {r['unit_id']!r} is not rated in {year}")
        if r["grade"] not in grades:
            problems.append(f"{path}, row {i}, column grade: {r['grade']!r} is not a grade; expected one of {', '.join(sorted(grades))}")
        for c in ("reason", "analyst"):
            if not (r[c] or "").strip():
                problems.append(f"{path}, row {i}, column {c}: empty; every override needs a {c}")
    if problems:
        raise InputError(f"{path}: {len(problems)} problem(s) in the overrides", problems)
    out = df.select(*OVERRIDE_COLUMNS).with_columns(pl.col("year").str.strip_chars().cast(pl.Int64))
    if out.select("unit_id", "year").is_duplicated().any():
        raise InputError(f"{path}: more than one override for the same unit and year")
    return out


def apply_overrides(scores: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """Replace grades by the analysts' and record `override` = "<from> -> <to>: reason (analyst)"."""
    o = overrides.select("unit_id", "year", pl.col("grade").alias("_g"),
                         (pl.col("reason") + " (" + pl.col("analyst") + ")").alias("_why"))
    df = scores.join(o, on=["unit_id", "year"], how="left")
    return df.with_columns(
        pl.when(pl.col("_g").is_not_null())
        .then(pl.col("grade").fill_null("—") + " -> " + pl.col("_g") + ": " + pl.col("_why"))
        .otherwise(None).alias("override"),
        pl.coalesce("_g", "grade").alias("grade"),
    ).drop("_g", "_why")


def outlook(scores: pl.DataFrame, alerts: pl.DataFrame, change: float = 3.0) -> pl.Series:
    """Negative when the score fell by more than `change` points on the year or a red or orange
    alert is open in the year; positive when it rose by more than `change` with no alert above
    yellow; stable otherwise (and for a unit's first rated year); none for a unit-year without a score."""
    severe = (alerts.filter(pl.col("level").is_in(list(ALERT_LEVELS[:2])))  # red, orange
              .select("unit_id", "year").unique()
              .with_columns(pl.lit(True).alias("_severe")))
    df = scores.select("unit_id", "year", "score").sort("unit_id", "year").with_columns(
        (pl.col("score") - pl.col("score").shift(1).over("unit_id")).alias("_d"))
    df = df.join(severe, on=["unit_id", "year"], how="left").with_columns(pl.col("_severe").fill_null(False))
    label = (pl.when(pl.col("score").is_null()).then(pl.lit(None, pl.String))  # no rating, no outlook
             .when(pl.col("_severe") | (pl.col("_d") < -change)).then(pl.lit("negative"))
             .when(pl.col("_d") > change).then(pl.lit("positive"))
             .otherwise(pl.lit("stable")))
    got = df.with_columns(label.alias("outlook")).select("unit_id", "year", "outlook")
    return scores.select("unit_id", "year").join(got, on=["unit_id", "year"], how="left")["outlook"]
