"""What a run publishes, from the scored matrix: the scope, the scores (rounded, ranked, graded,
with their uncertainty, vetoes, honours and analyst overrides), the long indicator table and the
statistical audit; and `RunTables`, every table a run's report shows.

Pure: frames and the framework in, frames out. Nothing is read or written here: the pipeline
reads the overrides file and writes the outputs, and the backtest publishes through the same
functions.

Examples
--------
>>> from rating.uncertainty import demo_scored
>>> scored, fw = demo_scored()  # three cities, grades A >= 50 > B, no veto
>>> none = pl.DataFrame(schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String, "value": pl.Float64})
>>> scores, _ = build_scores(scored, fw, none, seed=0, replications=0)
>>> scores.select("unit_id", "score", "rank", "grade").rows()
[('440100', 0.0, 3, 'B'), ('440200', 75.0, 1, 'A'), ('440300', 62.5, 2, 'A')]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from indicators.coverage import coverage_text
from indicators.errors import InputError
from indicators.framework import Framework
from rating.adjust import NO_OVERRIDES, apply_overrides, outlook
from rating.audit import audit_tables
from rating.grade import apply_vetoes, grade_of, honours, published_probabilities, ranks, veto_sources
from rating.scope import scope_of
from rating.score import Scored, indicator_table
from rating.analysis_cache import summarised
from rating.uncertainty import experiment_from_scored, latest_year

#: Published scores are rounded to this many decimals: far below any meaningful difference, and
#: enough to keep float noise from separating units whose scores are equal.
SCORE_DECIMALS = 9
#: The uncertainty columns joined to the scores, besides one `p_grade_<code>` per grade.
UNCERTAINTY_COLUMNS = ("rank_low", "rank_median", "rank_high", "score_low", "score_high", "borderline")


@dataclass(frozen=True)
class Published:
    """The rating's part of a run: `scores` (one row per unit and year), `indicators` (long, index
    and auxiliary indicators), `sensitivity` indices (no columns when off), `treated` points
    (None without treatment) and the `audit` frames by name."""

    scores: pl.DataFrame
    indicators: pl.DataFrame
    sensitivity: pl.DataFrame
    treated: pl.DataFrame | None
    audit: dict[str, pl.DataFrame]


def rated_framework(fw: Framework, indicators: pl.DataFrame, coverage: dict[str, dict],
                    data: object) -> tuple[Framework, dict]:
    """The framework as rated (`fw` without the index indicators no unit-year has a value of)
    and the manifest's scope entry (rating.scope). Refuses a rating left without any indicator,
    naming the data folder `data` and the absent tables of `coverage`."""
    scope = scope_of(fw, indicators, coverage)
    rated = fw.without(scope["indicators_out"])
    if not rated.indicators:
        years = sorted(indicators["year"].unique().to_list())
        rated_years = coverage_text({"present": bool(years), "years": years}, "en")
        raise InputError(f"data folder {data} cannot be rated: no indicator of the framework can be computed",
                         problems=[f"{t}: absent" if not c["present"] else
                                   f"{t}: no value in the rated years ({rated_years}); it covers "
                                   f"{coverage_text(c, 'en')}, see rating validate" for t, c in coverage.items()])
    return rated, scope


def rounded_aggregates(scored: Scored) -> dict[str, np.ndarray]:
    """Every aggregate's scores (index and dimensions) rounded to SCORE_DECIMALS, by code."""
    return dict(zip(scored.aggregate_codes, np.round(scored.aggregates, SCORE_DECIMALS).T))


def graded(scored: Scored, fw: Framework) -> pl.DataFrame:
    """unit_id, year, kind, level, score, rank (1 = best among peers of the same year, kind and
    level) and grade, from the rounded index score; null score and grade where it is missing."""
    aggs = rounded_aggregates(scored)
    df = scored.keys.with_columns(pl.Series("score", aggs[fw.code]).fill_nan(None))
    df = df.with_columns(ranks(df).alias("rank"))
    return df.with_columns(grade_of(df["score"].fill_null(np.nan).to_numpy(), fw))


def with_uncertainty(scores: pl.DataFrame, scored: Scored, fw: Framework, *, replications: int,
                     seed: int, indicators: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`scores` with the rank and score intervals, grade probabilities and the borderline flag
    of `replications` Monte Carlo draws (null with 0), and the sensitivity indices (a frame
    without columns when the framework's `sensitivity` base sample or `replications` is 0).
    `indicators` (long, with numerators and denominators) lets the data factor redraw values."""
    exp = experiment_from_scored(scored, fw, indicators=indicators, seed=seed)
    base = int(fw.uncertainty["sensitivity"])
    # the sensitivity design is evaluated with the replications (each configuration prepared once)
    # on the latest year's unit-years: earlier years' indices were published with them
    # kept between runs (rating.analysis_cache): a rerun of the same experiment reads it back
    summary, indices = summarised(exp, replications, seed, sensitivity_base=max(base, 0),
                                  resamples=int(fw.uncertainty["bootstrap"]), sensitivity_year=latest_year(exp))
    probs = [c for c in summary.columns if c.startswith("p_grade_")]
    scores = scores.join(summary.select("unit_id", "year", *UNCERTAINTY_COLUMNS, *probs),
                         on=["unit_id", "year"], how="left")
    if base <= 0 or replications <= 0 or indices is None:
        return scores, pl.DataFrame()
    return scores, indices


def capped(scores: pl.DataFrame, indicators: pl.DataFrame, fw: Framework,
           records: pl.DataFrame | None = None) -> pl.DataFrame:
    """`scores` with grades capped by the vetoes (`grade_uncapped`: the grade the score alone
    earns; `veto`; whose record triggered it, `veto_unit_id` and `veto_record_id`, from the
    failure `records` when given) and the honours eligibility (`honours_eligible`,
    `honours_reason`), from the computed `indicators` (long)."""
    computed = indicators.filter(pl.col("indicator").is_in([n.code for n in fw.computed]))
    return honours(veto_sources(apply_vetoes(scores, computed, fw), records, fw), indicators, fw)


def build_scores(scored: Scored, fw: Framework, indicators: pl.DataFrame, *, seed: int, replications: int,
                 overrides: pl.DataFrame | None = None, records: pl.DataFrame | None = None
                 ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The published scores and the sensitivity indices.

    Scores: unit_id, year, score, rank, rank interval, grade (capped by vetoes, then replaced
    by an analyst's override), the uncertainty columns, grade_uncapped, veto, veto_unit_id,
    veto_record_id, honours, one column per dimension and `override` ("<from> -> <to>: reason
    (analyst)"); sorted by unit and year. The grade probabilities and `borderline` are those of
    the published grade (rating.grade.published_probabilities). `overrides` has the columns of
    rating.adjust.read_overrides (none by default); `records` the failure records (for whose
    record a veto is).
    """
    aggs = rounded_aggregates(scored)
    df, sa = with_uncertainty(graded(scored, fw), scored, fw, replications=replications, seed=seed,
                              indicators=indicators)
    df = capped(df, indicators, fw, records)
    dims = [c for c in scored.aggregate_codes if c != fw.code]
    df = df.with_columns([pl.Series(c, aggs[c]).fill_nan(None) for c in dims])
    probs = [c for c in df.columns if c.startswith("p_grade_")]
    cols = ["unit_id", "year", "score", "rank", "rank_low", "rank_high", "grade", "rank_median",
            "score_low", "score_high", "borderline", *probs, "grade_uncapped", "veto", "veto_unit_id",
            "veto_record_id", "honours_eligible", "honours_reason", *dims]
    df = df.select(cols).sort("unit_id", "year")
    df = apply_overrides(df, NO_OVERRIDES if overrides is None else overrides)
    return published_probabilities(df, fw, float(fw.uncertainty.get("borderline", 0.9))), sa


def indicator_rows(scored: Scored, indicators: pl.DataFrame, fw: Framework) -> pl.DataFrame:
    """The long indicator table: every index indicator with its raw and normalised value and
    whether it was imputed, then the auxiliary indicators (not normalised), each with its
    numerator, denominator and `outside_coverage`; sorted by unit, year and indicator."""
    extra = ("numerator", "denominator", "outside_coverage")
    index = indicator_table(scored).join(indicators.select("unit_id", "year", "indicator", *extra),
                                         on=["unit_id", "year", "indicator"], how="left")
    aux = indicators.filter(pl.col("indicator").is_in([n.code for n in fw.auxiliary])).select(
        "unit_id", "year", "indicator", "value", pl.lit(None, pl.Float64).alias("normalised"),
        pl.lit(False).alias("imputed"), *extra)
    return pl.concat([index, aux], how="diagonal").sort("unit_id", "year", "indicator")


def audit_of(scored: Scored, fw: Framework) -> dict[str, pl.DataFrame]:
    """The statistical audit (correlations, Cronbach's alpha, PCA, flags) on the latest year."""
    latest = scored.keys["year"].max()
    rows = (scored.keys["year"] == latest).to_numpy()
    cols = {c: scored.normalised[rows, j] for j, c in enumerate(scored.codes)}
    cols |= {c: scored.aggregates[rows, j] for j, c in enumerate(scored.aggregate_codes)}
    values = pl.DataFrame(cols).fill_nan(None)
    top = max(fw.depth(n.code) for n in fw.nodes)
    structure = pl.DataFrame({
        "iCode": [n.code for n in fw.nodes], "Parent": [n.parent for n in fw.nodes],
        "Level": [1 if n.is_indicator else top - fw.depth(n.code) + 1 for n in fw.nodes],
    })
    return audit_tables(values, structure)


def publish(scored: Scored, indicators: pl.DataFrame, fw: Framework, *, seed: int, replications: int,
            overrides: pl.DataFrame | None = None, records: pl.DataFrame | None = None) -> Published:
    """Everything the rating publishes from `scored` (rating.score.score of `indicators` under
    the rated framework `fw`); `records`: the failure records, for whose record a veto is."""
    scores, sa = build_scores(scored, fw, indicators, seed=seed, replications=replications, overrides=overrides,
                              records=records)
    return Published(scores=scores, indicators=indicator_rows(scored, indicators, fw), sensitivity=sa,
                     treated=scored.treated, audit=audit_of(scored, fw))


def with_outlook(scores: pl.DataFrame, alerts: pl.DataFrame, fw: Framework) -> pl.DataFrame:
    """`scores` with the `outlook` column (rating.adjust.outlook at the framework's change)."""
    return scores.with_columns(outlook(scores, alerts, float(fw.methods["outlook_change"])).alias("outlook"))


@dataclass(frozen=True, eq=False)
class RunTables:
    """Every table a run's report shows (reports.render.render); column lists in reports/README.md.

    `framework` supplies every label, weight, grade, veto and rule (the framework as rated);
    `units` and `scores` are required, any other frame may be None or empty; `records`
    descriptions must already be masked. `manifest`: software, version, seed, framework,
    inputs, timings, and optionally coverage, scope and fiscal capacity. Optional parts add
    to the pages only when given: `audit` (a frame or frames by name: pairwise correlations are
    drawn as a heatmap), `sensitivity` (indices per assumption, or a result with `.indices`),
    and for the internal edition only `model_card`, `backtest`, `predictions` (the model's
    out-of-time predictions), `explanations` and `alert_levels`.
    """

    framework: Framework
    units: pl.DataFrame
    scores: pl.DataFrame
    indicators: pl.DataFrame | None = None
    alerts: pl.DataFrame | None = None
    risk: pl.DataFrame | None = None
    records: pl.DataFrame | None = None
    manifest: dict = field(default_factory=dict)
    audit: pl.DataFrame | dict | None = None
    sensitivity: object = None
    model_card: dict | None = None
    explanations: pl.DataFrame | None = None
    alert_levels: pl.DataFrame | None = None
    backtest: pl.DataFrame | None = None
    predictions: pl.DataFrame | None = None
    #: contracts and 12345 tickets by table name, for the rows behind rate indicators (internal edition)
    evidence: dict | None = None

    @classmethod
    def of(cls, tables: dict[str, pl.DataFrame], *, framework: Framework, manifest: dict,
           records: pl.DataFrame | None = None, model: object = None, evidence: dict | None = None) -> "RunTables":
        """From a run's tables by name (`rating.Result.tables`: `audit_<name>` frames,
        `model_backtest`, ...) and its early-warning outcome `model` (card and predictions)."""
        return cls(
            framework=framework, units=tables["units"], scores=tables["scores"], indicators=tables.get("indicators"),
            alerts=tables.get("alerts"), risk=tables.get("risk"), records=records, manifest=manifest,
            audit={k.removeprefix("audit_"): v for k, v in tables.items() if k.startswith("audit_")},
            sensitivity=tables.get("sensitivity"), explanations=tables.get("explanations"),
            alert_levels=tables.get("alert_levels"), backtest=tables.get("model_backtest"),
            model_card=getattr(model, "card", None), predictions=getattr(model, "predictions", None),
            evidence=evidence)
