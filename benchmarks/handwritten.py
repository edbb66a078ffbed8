"""The default framework's indicators written out by hand, as the engine's reference points.

`duckdb_one_pass(data)` is one SQL statement over the Parquet files of a data folder: every
record table is scanned once (one GROUP BY per table, conditional aggregates for all of its
indicators), the small results are joined to the grid of rated units and years and divided by
their denominators. It is the floor the engine's indicator stage is measured against.
`polars_streaming(data)` computes the same as one polars lazy query collected with the streaming
engine, planned the way that engine runs best (complaints: counts per unit first, then added up
over the unit scopes; the median over a narrow projection with integer keys).

Both return the same wide frame: `unit_id`, `year` and one column per computed indicator of the
default framework (25 rated, 3 auxiliary), null where the engine has no value or no row.
They follow the engine's rules for that framework, and nothing else:
- rated years are the years of `unit_stats`; an indicator applies to the kinds of unit it names
  (the five debt indicators to regions only);
- a region's value covers its own rows and its departments' rows (debt: the unit's own rows);
- failure records count by their lifecycle: revoked and under_objection never, rectified at
  half weight;
- counts and sums are zero when a unit has no rows in a year; a share or ratio with a zero
  denominator, or one below its minimum (3 for three indicators), is missing;
- a count per population, staff or budget whose denominator is missing keeps the scaled count,
  as the engine does (`indicators.compute.finish`);
- all six tables are present, as in the synthetic world.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

#: Rated and auxiliary indicators of the default framework, in the order of the output columns.
INDICATORS = (
    "contract_ontime_rate", "contract_breach_rate", "investment_promise_ontime", "ppp_breach_rate",
    "sme_arrears_share", "broken_commitment_per_100_staff", "judgment_unperformed_per_100_staff",
    "failure_weighted_per_100_staff", "judgment_lost_per_100_staff", "penalty_per_100_staff",
    "discipline_per_100_staff", "failure_amount_per_10k_budget", "rectification_rate",
    "complaints_per_10k", "complaint_ontime_rate", "satisfaction_rate", "repeat_complaint_rate",
    "resolution_days_median", "unresolved_rate", "online_shortfall_per_100_staff", "debt_ratio",
    "debt_service_ratio", "overdue_debt_ratio", "debt_limit_usage", "debt_disclosure_ontime",
    "dishonest_debtor_listings", "serious_failures", "counting_failures",
)
#: Indicators that apply to regions only.
REGION_ONLY = ("debt_ratio", "debt_service_ratio", "overdue_debt_ratio", "debt_limit_usage", "debt_disclosure_ontime")
#: Lifecycle of the default framework: these statuses never count, rectified counts half.
NOT_COUNTING = ("revoked", "under_objection")
RECTIFIED_WEIGHT = 0.5

ONE_PASS_SQL = """
WITH
u AS (SELECT unit_id, kind, region_id FROM read_parquet({units})),
scope AS (SELECT unit_id AS source, unit_id AS target FROM u
          UNION ALL SELECT unit_id, region_id FROM u WHERE kind = 'department' AND region_id <> unit_id),
raw_st AS (SELECT unit_id, year, population, staff, budget FROM read_parquet({unit_stats})),
-- a region's counts per staff divide by the staff of everything its records cover (itself and
-- its departments; missing if any of them is), the engine's exposure rule
cov AS (SELECT s.target AS unit_id, x.year, CASE WHEN count(*) = count(x.staff) THEN sum(x.staff) END AS staff
        FROM raw_st x JOIN scope s ON x.unit_id = s.source GROUP BY ALL),
st AS (SELECT r.unit_id, r.year, r.population, cov.staff, r.budget FROM raw_st r LEFT JOIN cov USING (unit_id, year)),
yrs AS (SELECT DISTINCT year FROM st),
c AS (
  SELECT s.target AS unit_id, year(r.received_at) AS year,
         count(*) FILTER (WHERE r.kind IN ('complaint', 'report')) AS n_cr,
         count(*) FILTER (WHERE r.due_at IS NOT NULL AND r.resolved_at <= r.due_at) AS n_ontime,
         count(r.due_at) AS n_due,
         count(*) FILTER (WHERE r.satisfaction IN ('satisfied', 'basic')) AS n_sat,
         count(r.satisfaction) AS n_rated,
         count(*) FILTER (WHERE r.kind IN ('complaint', 'report') AND r.repeat) AS n_repeat,
         median(date_diff('second', r.received_at, r.resolved_at) / 86400.0) AS days_median,
         count(*) FILTER (WHERE r.resolved_at IS NULL) AS n_open,
         count(*) AS n
  FROM read_parquet({complaints}) r JOIN scope s ON r.unit_id = s.source
  WHERE year(r.received_at) IN (SELECT year FROM yrs)
  GROUP BY ALL),
f AS (
  SELECT s.target AS unit_id, year(r.occurred_on) AS year,
         sum(r.w) FILTER (WHERE r.category = 'broken_commitment') AS broken,
         sum(r.w) FILTER (WHERE r.category IN ('judgment_unperformed', 'dishonest_debtor')) AS unperformed,
         sum(r.w * CASE r.severity WHEN 1 THEN 1.0 WHEN 2 THEN 3.0 WHEN 3 THEN 10.0 ELSE 0 END) AS weighted,
         sum(r.w) FILTER (WHERE r.category = 'judgment_lost') AS lost,
         sum(r.w) FILTER (WHERE r.category = 'administrative_penalty') AS penalty,
         sum(r.w) FILTER (WHERE r.category IN ('disciplinary', 'accountability')) AS discipline,
         sum(r.w * r.amount) AS amount,
         count(*) FILTER (WHERE r.counting AND r.status IN ('rectified', 'repaired')) AS n_rectified,
         count(*) FILTER (WHERE r.counting) AS n_counting,
         sum(r.w) FILTER (WHERE r.category = 'online_service_shortfall') AS online,
         sum(r.w) FILTER (WHERE r.category = 'dishonest_debtor') AS debtor,
         sum(r.w) FILTER (WHERE r.severity = 3) AS serious,
         sum(r.w) AS counting
  FROM (SELECT unit_id, occurred_on, category, severity, amount, status,
               status NOT IN {not_counting} AS counting,
               CASE WHEN status IN {not_counting} THEN 0.0 WHEN status = 'rectified' THEN {rectified} ELSE 1.0 END AS w
        FROM read_parquet({failure_records})) r JOIN scope s ON r.unit_id = s.source
  WHERE year(r.occurred_on) IN (SELECT year FROM yrs)
  GROUP BY ALL),
k AS (
  SELECT s.target AS unit_id, year(r.due_on) AS year,
         count(*) AS n_due,
         count(*) FILTER (WHERE r.fulfilled_on <= r.due_on) AS n_ontime,
         count(*) FILTER (WHERE r.status = 'breached') AS n_breached,
         count(*) FILTER (WHERE r.kind = 'investment_promotion') AS n_invest,
         count(*) FILTER (WHERE r.kind = 'investment_promotion' AND r.fulfilled_on <= r.due_on) AS n_invest_ontime,
         count(*) FILTER (WHERE r.kind = 'ppp') AS n_ppp,
         count(*) FILTER (WHERE r.kind = 'ppp' AND r.status = 'breached') AS n_ppp_breached,
         sum(r.arrears_amount) FILTER (WHERE r.counterparty_sme AND r.arrears_amount IS NOT NULL AND r.amount IS NOT NULL) AS arrears,
         sum(r.amount) FILTER (WHERE r.counterparty_sme AND r.arrears_amount IS NOT NULL AND r.amount IS NOT NULL) AS sme_amount
  FROM read_parquet({contracts}) r JOIN scope s ON r.unit_id = s.source
  WHERE year(r.due_on) IN (SELECT year FROM yrs)
  GROUP BY ALL),
d AS (
  SELECT unit_id, year,
         sum(debt_balance) FILTER (WHERE debt_balance IS NOT NULL AND fiscal_capacity IS NOT NULL) AS bal_fc,
         sum(fiscal_capacity) FILTER (WHERE debt_balance IS NOT NULL AND fiscal_capacity IS NOT NULL) AS fc_bal,
         sum(debt_service) FILTER (WHERE debt_service IS NOT NULL AND fiscal_capacity IS NOT NULL) AS service,
         sum(fiscal_capacity) FILTER (WHERE debt_service IS NOT NULL AND fiscal_capacity IS NOT NULL) AS fc_service,
         sum(overdue_amount) FILTER (WHERE overdue_amount IS NOT NULL AND debt_balance IS NOT NULL) AS overdue,
         sum(debt_balance) FILTER (WHERE overdue_amount IS NOT NULL AND debt_balance IS NOT NULL) AS bal_overdue,
         sum(debt_balance) FILTER (WHERE debt_balance IS NOT NULL AND debt_limit IS NOT NULL) AS bal_limit,
         sum(debt_limit) FILTER (WHERE debt_balance IS NOT NULL AND debt_limit IS NOT NULL) AS debt_limit,
         count(*) FILTER (WHERE disclosure_due IS NOT NULL AND disclosed_on <= disclosure_due) AS n_disclosed,
         count(disclosure_due) AS n_disclosure_due
  FROM read_parquet({debt})
  WHERE unit_id IN (SELECT unit_id FROM u) AND year IN (SELECT year FROM yrs)
  GROUP BY ALL)
SELECT g.unit_id, g.year,
  share(k.n_ontime, k.n_due) AS contract_ontime_rate,
  share(k.n_breached, k.n_due) AS contract_breach_rate,
  share(k.n_invest_ontime, k.n_invest, 3) AS investment_promise_ontime,
  share(k.n_ppp_breached, k.n_ppp, 3) AS ppp_breach_rate,
  share(k.arrears, k.sme_amount) AS sme_arrears_share,
  per(f.broken, st.staff, 100) AS broken_commitment_per_100_staff,
  per(f.unperformed, st.staff, 100) AS judgment_unperformed_per_100_staff,
  per(f.weighted, st.staff, 100) AS failure_weighted_per_100_staff,
  per(f.lost, st.staff, 100) AS judgment_lost_per_100_staff,
  per(f.penalty, st.staff, 100) AS penalty_per_100_staff,
  per(f.discipline, st.staff, 100) AS discipline_per_100_staff,
  per(f.amount, st.budget, 10000) AS failure_amount_per_10k_budget,
  share(f.n_rectified, f.n_counting, 3) AS rectification_rate,
  per(c.n_cr, st.population, 10000) AS complaints_per_10k,
  share(c.n_ontime, c.n_due) AS complaint_ontime_rate,
  share(c.n_sat, c.n_rated) AS satisfaction_rate,
  share(c.n_repeat, c.n_cr) AS repeat_complaint_rate,
  c.days_median AS resolution_days_median,
  share(c.n_open, c.n) AS unresolved_rate,
  per(f.online, st.staff, 100) AS online_shortfall_per_100_staff,
  region(g.kind, share(d.bal_fc, d.fc_bal)) AS debt_ratio,
  region(g.kind, share(d.service, d.fc_service)) AS debt_service_ratio,
  region(g.kind, share(d.overdue, d.bal_overdue)) AS overdue_debt_ratio,
  region(g.kind, share(d.bal_limit, d.debt_limit)) AS debt_limit_usage,
  region(g.kind, share(d.n_disclosed, d.n_disclosure_due)) AS debt_disclosure_ontime,
  coalesce(f.debtor, 0) AS dishonest_debtor_listings,
  coalesce(f.serious, 0) AS serious_failures,
  coalesce(f.counting, 0) AS counting_failures
FROM (SELECT unit_id, kind, year FROM u CROSS JOIN yrs) g
LEFT JOIN st USING (unit_id, year)
LEFT JOIN c USING (unit_id, year)
LEFT JOIN f USING (unit_id, year)
LEFT JOIN k USING (unit_id, year)
LEFT JOIN d USING (unit_id, year)
ORDER BY g.unit_id, g.year
"""

# A share is missing when its denominator is missing, zero or below the minimum; a count per
# population/staff/budget is zero when the unit has no rows and keeps the scaled count when the
# denominator is missing (the engine's rule).
MACROS = """
CREATE OR REPLACE TEMP MACRO share(num, den, lo := 0) AS
  CASE WHEN den > 0 AND den >= lo THEN CAST(num AS DOUBLE) / den END;
CREATE OR REPLACE TEMP MACRO per(num, den, scale) AS
  CASE WHEN den IS NULL THEN coalesce(num, 0) * scale
       WHEN den > 0 THEN coalesce(num, 0) / den * scale END;
CREATE OR REPLACE TEMP MACRO region(kind, v) AS CASE WHEN kind = 'region' THEN v END;
"""


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def duckdb_one_pass_sql(data: str | Path) -> str:
    """The statement `duckdb_one_pass` runs (macros created separately)."""
    data = Path(data)
    files = {t: _literal(data / f"{t}.parquet")
             for t in ("units", "unit_stats", "complaints", "failure_records", "contracts", "debt")}
    return ONE_PASS_SQL.format(**files, not_counting=str(NOT_COUNTING), rectified=RECTIFIED_WEIGHT)


def duckdb_one_pass(data: str | Path, con=None) -> pl.DataFrame:
    """Every indicator for every rated unit and year, in one DuckDB statement over Parquet."""
    import duckdb

    con = con or duckdb.connect()
    con.execute(MACROS)
    return con.sql(duckdb_one_pass_sql(data)).pl()


def polars_streaming(data: str | Path) -> pl.DataFrame:
    """The same indicators as one polars lazy query, collected with the streaming engine."""
    data = Path(data)

    def scan(table: str) -> pl.LazyFrame:
        return pl.scan_parquet(data / f"{table}.parquet")

    col = pl.col
    units = scan("units").select("unit_id", "kind", "region_id")
    scope = pl.concat([
        units.select(source=col("unit_id"), target=col("unit_id")),
        units.filter((col("kind") == "department") & (col("region_id") != col("unit_id")))
        .select(source=col("unit_id"), target=col("region_id")),
    ])
    stats = scan("unit_stats").select("unit_id", col("year").cast(pl.Int64), "population", "staff", "budget")
    covered_staff = (stats.join(scope, left_on="unit_id", right_on="source").group_by("target", "year")
                     .agg(pl.when(col("staff").null_count() == 0).then(col("staff").sum()).alias("staff"))
                     .rename({"target": "unit_id"}))  # the engine's exposure rule: staff of what the records cover
    stats = stats.drop("staff").join(covered_staff, on=["unit_id", "year"], how="left")
    years = stats.select("year").unique()

    def by_target(frame: pl.LazyFrame, date: str) -> pl.LazyFrame:
        frame = frame.with_columns(year=col(date).dt.year().cast(pl.Int64)).join(years, on="year", how="semi")
        return frame.join(scope, left_on="unit_id", right_on="source").drop("unit_id").rename({"target": "unit_id"})

    def count_if(cond: pl.Expr) -> pl.Expr:
        return cond.fill_null(False).sum()

    # Complaints, the big table, in the two plans polars' streaming engine runs best: counts per
    # unit and year (a streaming group-by), then added up over the unit scopes (small); and the
    # median, which no engine can stream, over a narrow projection with integer unit keys.
    index = units.with_row_index("uix")
    scope_ix = pl.concat([
        index.select(source=col("uix"), target=col("uix")),
        index.filter((col("kind") == "department") & (col("region_id") != col("unit_id")))
        .join(index.select(region_id=col("unit_id"), target=col("uix")), on="region_id")
        .select(source=col("uix"), target=col("target")),
    ])
    rows = (scan("complaints").select("unit_id", "received_at", "kind", "due_at", "resolved_at", "satisfaction", "repeat")
            .with_columns(year=col("received_at").dt.year().cast(pl.Int64)).join(years, on="year", how="semi")
            .join(index.select("unit_id", "uix"), on="unit_id"))
    cr = col("kind").is_in(["complaint", "report"])
    counts = rows.group_by("uix", "year").agg(
        n_cr=count_if(cr),
        n_ontime=count_if(col("due_at").is_not_null() & (col("resolved_at") <= col("due_at"))),
        n_due=col("due_at").count(),
        n_sat=count_if(col("satisfaction").is_in(["satisfied", "basic"])),
        n_rated=col("satisfaction").count(),
        n_repeat=count_if(cr & col("repeat")),
        n_open=count_if(col("resolved_at").is_null()),
        n=pl.len(),
    )
    counts = (counts.join(scope_ix, left_on="uix", right_on="source").group_by("target", "year")
              .agg(pl.exclude("uix").cast(pl.Int64).sum()))
    days = (col("resolved_at").dt.epoch("s") - col("received_at").dt.epoch("s")) / 86400.0
    median = (rows.select("uix", "year", days=days).join(scope_ix, left_on="uix", right_on="source")
              .group_by("target", "year").agg(days_median=col("days").median()))
    c = (counts.join(median, on=["target", "year"], how="full", coalesce=True)
         .join(index.select(target=col("uix"), unit_id=col("unit_id")), on="target").drop("target"))

    counting = ~col("status").is_in(list(NOT_COUNTING))
    w = col("w")

    def wsum(cond: pl.Expr) -> pl.Expr:
        return w.filter(cond.fill_null(False)).sum()

    severity_weight = (pl.when(col("severity") == 1).then(1.0).when(col("severity") == 2).then(3.0)
                       .when(col("severity") == 3).then(10.0).otherwise(0.0))
    f = by_target(scan("failure_records").select("unit_id", "occurred_on", "category", "severity", "amount", "status")
                  .with_columns(counting=counting,
                                w=pl.when(~counting).then(0.0).when(col("status") == "rectified")
                                .then(RECTIFIED_WEIGHT).otherwise(1.0)), "occurred_on").group_by("unit_id", "year").agg(
        broken=wsum(col("category") == "broken_commitment"),
        unperformed=wsum(col("category").is_in(["judgment_unperformed", "dishonest_debtor"])),
        weighted=(w * severity_weight).sum(),
        lost=wsum(col("category") == "judgment_lost"),
        penalty=wsum(col("category") == "administrative_penalty"),
        discipline=wsum(col("category").is_in(["disciplinary", "accountability"])),
        amount=(w * col("amount")).sum(),
        n_rectified=count_if(col("counting") & col("status").is_in(["rectified", "repaired"])),
        n_counting=count_if(col("counting")),
        online=wsum(col("category") == "online_service_shortfall"),
        debtor=wsum(col("category") == "dishonest_debtor"),
        serious=wsum(col("severity") == 3),
        counting=w.sum(),
    )

    ontime = col("fulfilled_on") <= col("due_on")
    sme = col("counterparty_sme").fill_null(False) & col("arrears_amount").is_not_null() & col("amount").is_not_null()
    k = by_target(scan("contracts").select("unit_id", "kind", "due_on", "fulfilled_on", "status", "amount",
                                           "arrears_amount", "counterparty_sme"), "due_on").group_by("unit_id", "year").agg(
        n_due=pl.len(),
        n_ontime=count_if(ontime),
        n_breached=count_if(col("status") == "breached"),
        n_invest=count_if(col("kind") == "investment_promotion"),
        n_invest_ontime=count_if((col("kind") == "investment_promotion") & ontime),
        n_ppp=count_if(col("kind") == "ppp"),
        n_ppp_breached=count_if((col("kind") == "ppp") & (col("status") == "breached")),
        arrears=_sum_or_null(col("arrears_amount"), sme),
        sme_amount=_sum_or_null(col("amount"), sme),
    )

    def both(a: str, b: str) -> pl.Expr:
        return col(a).is_not_null() & col(b).is_not_null()

    d = (scan("debt").with_columns(col("year").cast(pl.Int64)).join(years, on="year", how="semi")
         .join(units.select("unit_id"), on="unit_id", how="semi").group_by("unit_id", "year").agg(
        bal_fc=_sum_or_null(col("debt_balance"), both("debt_balance", "fiscal_capacity")),
        fc_bal=_sum_or_null(col("fiscal_capacity"), both("debt_balance", "fiscal_capacity")),
        service=_sum_or_null(col("debt_service"), both("debt_service", "fiscal_capacity")),
        fc_service=_sum_or_null(col("fiscal_capacity"), both("debt_service", "fiscal_capacity")),
        overdue=_sum_or_null(col("overdue_amount"), both("overdue_amount", "debt_balance")),
        bal_overdue=_sum_or_null(col("debt_balance"), both("overdue_amount", "debt_balance")),
        bal_limit=_sum_or_null(col("debt_balance"), both("debt_balance", "debt_limit")),
        debt_limit=_sum_or_null(col("debt_limit"), both("debt_balance", "debt_limit")),
        n_disclosed=count_if(col("disclosure_due").is_not_null() & (col("disclosed_on") <= col("disclosure_due"))),
        n_disclosure_due=col("disclosure_due").count(),
    ))

    def share(num: str, den: str, lo: float = 0) -> pl.Expr:
        return pl.when((col(den) > 0) & (col(den) >= lo)).then(col(num).cast(pl.Float64) / col(den))

    def per(num: str, den: str, scale: float) -> pl.Expr:
        n = col(num).fill_null(0).cast(pl.Float64)
        return pl.when(col(den).is_null()).then(n * scale).when(col(den) > 0).then(n / col(den) * scale)

    def region(v: pl.Expr) -> pl.Expr:
        return pl.when(col("kind") == "region").then(v)

    grid = units.select("unit_id", "kind").join(years, how="cross")
    out = (grid.join(stats, on=["unit_id", "year"], how="left")
           .join(c, on=["unit_id", "year"], how="left").join(f, on=["unit_id", "year"], how="left")
           .join(k, on=["unit_id", "year"], how="left", suffix="_k").join(d, on=["unit_id", "year"], how="left")
           .select(
               "unit_id", "year",
               contract_ontime_rate=share("n_ontime_k", "n_due_k"),
               contract_breach_rate=share("n_breached", "n_due_k"),
               investment_promise_ontime=share("n_invest_ontime", "n_invest", 3),
               ppp_breach_rate=share("n_ppp_breached", "n_ppp", 3),
               sme_arrears_share=share("arrears", "sme_amount"),
               broken_commitment_per_100_staff=per("broken", "staff", 100),
               judgment_unperformed_per_100_staff=per("unperformed", "staff", 100),
               failure_weighted_per_100_staff=per("weighted", "staff", 100),
               judgment_lost_per_100_staff=per("lost", "staff", 100),
               penalty_per_100_staff=per("penalty", "staff", 100),
               discipline_per_100_staff=per("discipline", "staff", 100),
               failure_amount_per_10k_budget=per("amount", "budget", 10000),
               rectification_rate=share("n_rectified", "n_counting", 3),
               complaints_per_10k=per("n_cr", "population", 10000),
               complaint_ontime_rate=share("n_ontime", "n_due"),
               satisfaction_rate=share("n_sat", "n_rated"),
               repeat_complaint_rate=share("n_repeat", "n_cr"),
               resolution_days_median=col("days_median"),
               unresolved_rate=share("n_open", "n"),
               online_shortfall_per_100_staff=per("online", "staff", 100),
               debt_ratio=region(share("bal_fc", "fc_bal")),
               debt_service_ratio=region(share("service", "fc_service")),
               overdue_debt_ratio=region(share("overdue", "bal_overdue")),
               debt_limit_usage=region(share("bal_limit", "debt_limit")),
               debt_disclosure_ontime=region(share("n_disclosed", "n_disclosure_due")),
               dishonest_debtor_listings=col("debtor").fill_null(0.0),
               serious_failures=col("serious").fill_null(0.0),
               counting_failures=col("counting").fill_null(0.0),
           ).sort("unit_id", "year"))
    return out.collect(engine="streaming")


def _sum_or_null(x: pl.Expr, cond: pl.Expr) -> pl.Expr:
    """SQL's `sum(x) FILTER (WHERE cond)`: null when no row passes (polars' sum would give 0)."""
    kept = x.filter(cond)
    return pl.when(kept.count() > 0).then(kept.sum())
