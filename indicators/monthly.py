"""Monthly complaint counts per unit: the input of the spike alert rule.

One query over the staged `complaints` table. Every unit gets every calendar month between the
first and the last month present in the table, with a real zero where it received nothing, so
that a unit's own history has no gaps.
"""

from __future__ import annotations

import duckdb
import polars as pl

MONTHLY_SCHEMA = {"unit_id": pl.String, "month": pl.Date, "tickets": pl.Int64}


def monthly_tickets(
    con: duckdb.DuckDBPyConnection, kinds: tuple[str, ...] = ("complaint", "report")
) -> pl.DataFrame:
    """unit_id, month (first day), tickets: tickets of `kinds` received per unit and month.

    Notes
    -----
    Grain: one row per unit of `units` and calendar month from the first to the last month of
    `received_at` in the whole table (all kinds), sorted by unit and month. A missing
    `complaints` table gives an empty frame (unknown, not zero).

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE units AS SELECT '440100' AS unit_id")
    >>> _ = con.execute("CREATE TABLE complaints AS SELECT * FROM (VALUES "
    ...     "(TIMESTAMP '2024-01-03 09:00', '440100', 'complaint'), "
    ...     "(TIMESTAMP '2024-03-09 10:00', '440100', 'consultation')) t(received_at, unit_id, kind)")
    >>> monthly_tickets(con)["tickets"].to_list()
    [1, 0, 0]
    """
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name IN ('complaints', 'units')"
        ).fetchall()
    }
    if tables != {"complaints", "units"}:
        return pl.DataFrame(schema=MONTHLY_SCHEMA)
    q = """
        WITH t AS (
          SELECT unit_id, CAST(date_trunc('month', received_at) AS DATE) AS month, count(*) AS tickets
          FROM complaints WHERE kind IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL),
        span AS (
          SELECT CAST(date_trunc('month', min(received_at)) AS DATE) AS lo,
                 CAST(date_trunc('month', max(received_at)) AS DATE) AS hi FROM complaints),
        months AS (
          SELECT CAST(unnest(generate_series(lo, hi, INTERVAL 1 MONTH)) AS DATE) AS month
          FROM span WHERE lo IS NOT NULL)
        SELECT u.unit_id, m.month, CAST(coalesce(t.tickets, 0) AS BIGINT) AS tickets
        FROM units u CROSS JOIN months m LEFT JOIN t ON t.unit_id = u.unit_id AND t.month = m.month
        ORDER BY u.unit_id, m.month
    """
    return con.sql(q, params=[list(kinds)]).pl().cast(MONTHLY_SCHEMA)
