"""The six pinned indicators of the default framework, computed by a whole run, equal an
independent DuckDB query over the raw files written here (exact for counts, 1e-12 for ratios)."""
from __future__ import annotations

import duckdb
import polars as pl
import pytest

# A region's value covers its own rows and those of its departments (scope "region"), and a count
# per staff divides by the staff of all of them (exposure that matches scope); failure
# records count by their lifecycle: revoked and under_objection never, rectified at half weight.
INDEPENDENT = """
WITH units AS (SELECT * FROM read_csv('{d}/units.csv', all_varchar=true)),
stats AS (SELECT unit_id, CAST(year AS BIGINT) AS year, CAST(population AS DOUBLE) AS population,
                 CAST(staff AS DOUBLE) AS staff FROM read_csv('{d}/unit_stats.csv', all_varchar=true)),
owner AS (SELECT unit_id AS src, unit_id AS dst FROM units
          UNION ALL SELECT unit_id, region_id FROM units WHERE kind = 'department'),
covered_staff AS (SELECT o.dst AS unit_id, s.year, sum(s.staff) AS staff FROM stats s JOIN owner o ON s.unit_id = o.src
                  GROUP BY ALL),
c AS (SELECT o.dst AS unit_id, year(CAST(received_at AS TIMESTAMP)) AS year, kind,
             CAST(due_at AS TIMESTAMP) AS due_at, CAST(resolved_at AS TIMESTAMP) AS resolved_at, satisfaction
      FROM read_csv('{d}/complaints.csv', all_varchar=true) t JOIN owner o ON t.unit_id = o.src),
f AS (SELECT o.dst AS unit_id, year(CAST(occurred_on AS DATE)) AS year,
             CASE severity WHEN '1' THEN 1 WHEN '2' THEN 3 WHEN '3' THEN 10 END
             * CASE status WHEN 'rectified' THEN 0.5 WHEN 'revoked' THEN 0 WHEN 'under_objection' THEN 0 ELSE 1 END AS w
      FROM read_csv('{d}/failure_records.csv', all_varchar=true) t JOIN owner o ON t.unit_id = o.src),
k AS (SELECT o.dst AS unit_id, year(CAST(due_on AS DATE)) AS year,
             CAST(fulfilled_on AS DATE) <= CAST(due_on AS DATE) AS ontime
      FROM read_csv('{d}/contracts.csv', all_varchar=true) t JOIN owner o ON t.unit_id = o.src
      WHERE due_on IS NOT NULL AND due_on <> '')
SELECT unit_id, year, 'complaints_per_10k' AS indicator,
       count(*) FILTER (WHERE kind IN ('complaint', 'report')) / any_value(population) * 10000 AS expected
FROM c JOIN stats USING (unit_id, year) GROUP BY ALL
UNION ALL
SELECT unit_id, year, 'complaint_ontime_rate',
       count(*) FILTER (WHERE due_at IS NOT NULL AND resolved_at <= due_at) / count(*) FILTER (WHERE due_at IS NOT NULL)
FROM c GROUP BY ALL HAVING count(*) FILTER (WHERE due_at IS NOT NULL) > 0
UNION ALL
SELECT unit_id, year, 'satisfaction_rate',
       count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basic')) / count(*) FILTER (WHERE satisfaction <> '')
FROM c GROUP BY ALL HAVING count(*) FILTER (WHERE satisfaction <> '') > 0
UNION ALL
SELECT unit_id, year, 'failure_weighted_per_100_staff', sum(w) / any_value(staff) * 100
FROM f JOIN covered_staff USING (unit_id, year) GROUP BY ALL
UNION ALL
SELECT unit_id, CAST(year AS BIGINT), 'debt_ratio', CAST(debt_balance AS DOUBLE) / CAST(fiscal_capacity AS DOUBLE)
FROM read_csv('{d}/debt.csv', all_varchar=true)
UNION ALL
SELECT unit_id, year, 'contract_ontime_rate', count(*) FILTER (WHERE ontime) / count(*)
FROM k GROUP BY ALL
"""


def test_pinned_indicators_match_independent_query(small_world, small_run):
    expected = duckdb.connect().sql(INDEPENDENT.format(d=small_world.as_posix())).pl()
    years = small_run.scores["year"].unique()
    expected = expected.filter(pl.col("year").is_in(years.implode()))
    got = small_run.indicators.filter(pl.col("indicator").is_in(expected["indicator"].unique().implode()))
    joined = expected.join(got, on=["unit_id", "year", "indicator"], how="left")
    assert joined.height > 500
    for code, part in joined.partition_by("indicator", as_dict=True).items():
        e, v = part["expected"].to_numpy(), part["value"].to_numpy()
        assert part["value"].null_count() == 0, code
        assert v == pytest.approx(e, rel=1e-12, abs=1e-12), code
    # counts behind the rates are exact: numerators are whole numbers for unweighted shares
    shares = got.filter(pl.col("indicator").is_in(["complaint_ontime_rate", "satisfaction_rate", "contract_ontime_rate"]))
    assert (shares["numerator"] == shares["numerator"].round(0)).all()
    # units with no complaints in a year get a real zero volume, not a missing value
    cpk = small_run.indicators.filter(pl.col("indicator") == "complaints_per_10k")
    assert cpk["value"].null_count() == 0
