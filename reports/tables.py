"""Prepared inputs of the reports: the run's frames with their columns ensured, ids validated,
and the per-row facts every page needs (labels, city, peer group, alert level, change on year).

Everything here is vectorised over whole frames; pages then group the prepared rows once.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import polars as pl

from indicators.contract import LEVELS, UNIT_ID_PATTERN, UNIT_KINDS
from indicators.errors import InputError
from indicators.framework import ALERT_ORDER
from reports.i18n import catalogue, check_lang

UNIT_ID = re.compile(UNIT_ID_PATTERN)
AUDIENCES = ("internal", "public")
LEVEL_ORDER = {lv: i for i, lv in enumerate(LEVELS)}
KIND_ORDER = {k: i for i, k in enumerate(UNIT_KINDS)}

S, INT, F, B = pl.String, pl.Int64, pl.Float64, pl.Boolean
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "units": {"unit_id": S, "name": S, "name_en": S, "kind": S, "level": S, "parent_id": S, "region_id": S},
    "scores": {"unit_id": S, "year": INT, "score": F, "rank": F, "rank_low": F, "rank_median": F, "rank_high": F,
               "score_low": F, "score_high": F, "grade": S, "grade_uncapped": S, "veto": S,
               "honours_eligible": B, "honours_reason": S, "outlook": S, "override": S},
    "indicators": {"unit_id": S, "year": INT, "indicator": S, "value": F, "normalised": F,
                   "numerator": F, "denominator": F, "outside_coverage": B},
    "alerts": {"unit_id": S, "year": INT, "level": S, "source": S, "rule": S, "message": S, "message_en": S,
               "evidence": S},
    "risk": {"unit_id": S, "year": INT, "probability": F},
    "levels": {"unit_id": S, "year": INT, "level": S, "rule_level": S, "model_level": S, "held": B},
    "explanations": {"unit_id": S, "year": INT, "rank": INT, "feature": S, "label_zh": S, "label_en": S,
                     "value": F, "contribution": F},
    "records": {"record_id": S, "unit_id": S, "category": S, "severity": INT, "occurred_on": pl.Date,
                "amount": F, "status": S, "status_changed_on": pl.Date, "description": S,
                "counting": B, "pending": B, "weight": F},
}


@dataclass(frozen=True)
class Inputs:
    """The frames of a run, prepared for the pages of one language and audience."""

    framework: object
    units: pl.DataFrame  # + label, city_id, dept_code
    scores: pl.DataFrame  # + kind, level, label, city_id, dept_code, alert, yoy, prev_score, peers
    indicators: pl.DataFrame
    alerts: pl.DataFrame
    risk: pl.DataFrame
    records: pl.DataFrame
    manifest: dict
    dims: tuple[str, ...]  # aggregates below the index, framework order
    year: int | None  # the latest rated year
    lang: str
    audience: str
    paged: frozenset  # unit ids that get a page
    t: dict  # the message catalogue of `lang`
    levels: pl.DataFrame | None = None  # alert levels: rule vs model, held (internal edition)
    explanations: pl.DataFrame | None = None  # model explanations (internal edition)
    grade_probs: tuple = ()  # (grade code, scores column) of the grade probabilities, if any

    @property
    def internal(self) -> bool:
        return self.audience == "internal"


def ensure(df: pl.DataFrame | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The frame with every column of `schema` (missing ones added as nulls); dates parsed from
    text and the key columns cast to the schema's type. Extra columns are kept."""
    if df is None:
        df = pl.DataFrame()
    add = [pl.lit(None, dtype=t).alias(c) for c, t in schema.items() if c not in df.columns]
    if add:
        df = df.with_columns(add) if df.width else pl.DataFrame(schema=schema)
    casts = []
    for c, t in schema.items():
        have = df.schema[c]
        if have == t:
            continue
        if t == pl.Date and have == pl.String:
            casts.append(pl.col(c).str.to_date(strict=False))
        elif t == pl.Date and isinstance(have, pl.Datetime):
            casts.append(pl.col(c).dt.date())
        elif t in (S, INT, F, B) or t == pl.Date:
            casts.append(pl.col(c).cast(t, strict=False))
    return df.with_columns(casts) if casts else df


def validate_ids(ids) -> None:
    """Refuse unit ids that could not safely name a file."""
    bad = sorted({str(i) for i in ids if i is None or not UNIT_ID.match(str(i))})
    if bad:
        shown = ", ".join(repr(b) for b in bad[:10]) + (" ..." if len(bad) > 10 else "")
        raise InputError(f"reports: {len(bad)} unit id(s) do not match {UNIT_ID.pattern}: {shown}")


def city_ids(units: pl.DataFrame) -> dict[str, str | None]:
    """The city each unit lies in: itself for a city, walking up parents (and a department's
    region) otherwise; None for the province and for units without a city above them."""
    info = {r[0]: (r[1], r[2], r[3], r[4]) for r in
            units.select("unit_id", "kind", "level", "parent_id", "region_id").iter_rows()}

    def up(uid: str) -> str | None:
        seen = set()
        while uid is not None and uid not in seen:
            seen.add(uid)
            kind, level, parent, region = info.get(uid, (None, None, None, None))
            if kind == "region" and level == "city":
                return uid
            if kind == "department" and region and region != uid:
                uid = region
            else:
                uid = parent
        return None

    return {uid: up(uid) for uid in info}


def prepare_units(units: pl.DataFrame, lang: str) -> pl.DataFrame:
    name = pl.col("name") if lang == "zh" else pl.coalesce(pl.col("name_en"), pl.col("name"))
    cities = city_ids(units)
    return units.with_columns(
        pl.coalesce(name, pl.col("name"), pl.col("unit_id")).alias("label"),
        pl.Series("city_id", [cities.get(u) for u in units["unit_id"].to_list()], dtype=S),
        pl.when(pl.col("kind") == "department")
        .then(pl.col("unit_id").str.extract(r"-([A-Z][A-Z0-9_]*)$", 1)).otherwise(None).alias("dept_code"),
    )


def max_alert(alerts: pl.DataFrame) -> pl.DataFrame:
    """unit_id, year, alert: the most severe alert level of each unit-year (watch-list items are
    shown on the alerts page but are not alerts)."""
    if "status" in alerts.columns:
        alerts = alerts.filter(pl.col("status") != "watch")
    return (alerts.with_columns(pl.col("level").replace_strict(ALERT_ORDER, default=9, return_dtype=INT).alias("_o"))
            .group_by("unit_id", "year").agg(pl.col("_o").min())
            .with_columns(pl.col("_o").replace_strict({v: k for k, v in ALERT_ORDER.items()}, default=None,
                                                      return_dtype=S).alias("alert"))
            .drop("_o"))


def prepare_scores(scores: pl.DataFrame, units: pl.DataFrame, alerts: pl.DataFrame, dims) -> pl.DataFrame:
    info = units.select("unit_id", "kind", "level", "label", "city_id", "dept_code")
    df = scores.drop([c for c in info.columns if c != "unit_id" and c in scores.columns])
    df = df.join(info, on="unit_id", how="left").with_columns(pl.coalesce("label", "unit_id").alias("label"))
    prev = df.select("unit_id", (pl.col("year") + 1).alias("year"), pl.col("score").alias("prev_score"),
                     pl.col("grade").alias("prev_grade"))
    group = ["year", "kind", "level"]
    df = (df.join(prev, on=["unit_id", "year"], how="left")
          .join(max_alert(alerts), on=["unit_id", "year"], how="left")
          .with_columns((pl.col("score") - pl.col("prev_score")).alias("yoy"),
                        pl.col("score").count().over(group).alias("peers"),
                        *[pl.col(d).median().over(group).alias(f"{d}__median") for d in dims]))
    return df.sort("year", "unit_id")


def grade_probability_columns(scores: pl.DataFrame, framework) -> tuple[tuple[str, str], ...]:
    """(grade, column) of the grade probabilities in `scores` (`p_grade_<code>` or `p_<code>`),
    in the framework's grade order; empty when the scores carry none."""
    out = []
    for g in framework.grades:
        col = next((c for c in (f"p_grade_{g.code}", f"p_{g.code}") if c in scores.columns), None)
        if col is not None:
            out.append((g.code, col))
    return tuple(out)


def prepare(framework, *, units, scores, indicators, alerts, risk, records, manifest,
            lang: str, audience: str, alert_levels=None, explanations=None) -> Inputs:
    """Check the options and ids, ensure every column, and derive the shared facts."""
    check_lang(lang)
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, got {audience!r}")
    root = framework.nodes[0].code
    dims = tuple(a.code for a in framework.aggregates if a.code != root)
    score_schema = {**SCHEMAS["scores"], **{d: F for d in dims}}
    units = ensure(units, SCHEMAS["units"])
    scores = ensure(scores, score_schema)
    indicators = ensure(indicators, SCHEMAS["indicators"])
    alerts = ensure(alerts, SCHEMAS["alerts"])
    risk = ensure(risk, SCHEMAS["risk"])
    records = ensure(records, SCHEMAS["records"])
    probs = grade_probability_columns(scores, framework)
    if probs:
        scores = scores.with_columns([pl.col(c).cast(F, strict=False) for _, c in probs])
    if "borderline" in scores.columns:
        scores = scores.with_columns(pl.col("borderline").cast(B, strict=False))
    levels = ensure(alert_levels, SCHEMAS["levels"]) if alert_levels is not None else None
    explanations = ensure(explanations, SCHEMAS["explanations"]) if explanations is not None else None
    validate_ids(scores["unit_id"].unique().to_list())
    validate_ids(units["unit_id"].to_list())
    if audience == "public":
        # the public edition has no model internals and no record-level evidence
        alerts = alerts.filter(pl.col("source") == "rule").with_columns(pl.lit(None, dtype=S).alias("evidence"))
        risk, records = risk.clear(), records.clear()
        levels = explanations = None
    units = prepare_units(units, lang)
    scores = prepare_scores(scores, units, alerts, dims)
    years = scores["year"].drop_nulls()
    return Inputs(
        framework=framework, units=units, scores=scores, indicators=indicators, alerts=alerts, risk=risk,
        records=records, manifest=dict(manifest or {}), dims=dims,
        year=int(years.max()) if len(years) else None, lang=lang, audience=audience,
        paged=frozenset(scores["unit_id"].to_list()), t=catalogue(lang),
        levels=levels, explanations=explanations, grade_probs=probs,
    )


def rows_of(df: pl.DataFrame) -> list[dict]:
    """`list(df.iter_rows(named=True))`, the same dicts, made from whole columns (`to_list` per
    column): several times faster than polars' row iterator on a frame of thousands of rows."""
    names = df.columns
    return [dict(zip(names, values)) for values in zip(*[df.get_column(c).to_list() for c in names])]


def group_rows(df: pl.DataFrame, key: str = "unit_id") -> dict[str, list[dict]]:
    """The rows of `df` as dicts, grouped by `key` in one pass (row order kept); the columns are
    converted to Python values once each, which is faster than polars' row iterator."""
    out: dict[str, list[dict]] = defaultdict(list)
    names = df.columns
    for values in zip(*(df.get_column(c).to_list() for c in names)):
        row = dict(zip(names, values))
        out[row[key]].append(row)
    return out


_NONE = object()


class RowGroups:
    """`group_rows(df, key)` built on demand: the columns are converted to Python values here (the
    only polars step), each group's row dicts when asked for. A forked process writing some
    of the unit pages builds the rows of its own units only, without calling polars.
    With `by`, a group is a dict of its rows by that column instead of a list.
    Only the group asked for last is kept (a page asks for its own unit's group a few times, and
    never again once written: keeping them all would hold every unit's rows until the end)."""

    def __init__(self, df: pl.DataFrame, key: str = "unit_id", by: str | None = None,
                 columns: list[str] | None = None):
        """`columns`: those the rows hold (default all); the fewer, the less each page builds."""
        df = df.with_row_index("_row").sort(key, "_row", nulls_last=True)  # a group's rows in their order
        self._names = [c for c in df.columns if c != "_row"] if columns is None else list(columns)
        self._columns = [df.get_column(c).to_list() for c in self._names]
        runs = df.get_column(key).rle().struct.unnest()  # the sorted keys' runs: value and length
        lengths = runs.get_column("len").to_list()
        ends = runs.get_column("len").cum_sum().to_list()
        self._spans: dict = {k: (e - n, e) for k, n, e in zip(runs.get_column("value").to_list(), lengths, ends)}
        self._by, self._last, self._hit = by, _NONE, None

    def get(self, key, default=None):
        if key == self._last:
            return self._hit
        span = self._spans.get(key)
        if span is None:
            return default
        a, b = span
        names = self._names
        rows = [dict(zip(names, values)) for values in zip(*[c[a:b] for c in self._columns])]
        hit = {r[self._by]: r for r in rows} if self._by else rows
        self._last, self._hit = key, hit
        return hit

    def tuples(self, key) -> list[tuple]:
        """The rows of group `key` as tuples of the columns, in their order (no dict per row, none
        kept: for a loop that reads every column of every row); [] for no such group."""
        span = self._spans.get(key)
        if span is None:
            return []
        a, b = span
        return list(zip(*[c[a:b] for c in self._columns]))

    def only(self, columns) -> "RowGroups":
        """The same groups, their rows holding `columns` alone (no polars step: the columns
        converted here already are shared)."""
        view = object.__new__(RowGroups)
        at = {c: i for i, c in enumerate(self._names)}
        view._names = list(columns)
        view._columns = [self._columns[at[c]] for c in columns]
        view._spans, view._by, view._last, view._hit = self._spans, self._by, _NONE, None
        return view

    def row(self, key, i: int) -> dict:
        """Row `i` of group `key` alone (the group's other rows not built)."""
        a, b = self._spans[key]
        if not -(b - a) <= i < b - a:
            raise IndexError(i)
        at = a + i if i >= 0 else b + i
        return dict(zip(self._names, [c[at] for c in self._columns]))

    def __getitem__(self, key):
        hit = self.get(key, _NONE)
        if hit is _NONE:
            raise KeyError(key)
        return hit

    def __contains__(self, key) -> bool:
        return key in self._spans

    def __len__(self) -> int:
        return len(self._spans)


def sort_units(df: pl.DataFrame) -> pl.DataFrame:
    """Regions before departments, higher levels first, then by rank and id."""
    return (df.with_columns(pl.col("kind").replace_strict(KIND_ORDER, default=9, return_dtype=INT).alias("_k"),
                            pl.col("level").replace_strict(LEVEL_ORDER, default=9, return_dtype=INT).alias("_l"))
            .sort("_k", "_l", "rank", "unit_id", nulls_last=True).drop("_k", "_l"))
