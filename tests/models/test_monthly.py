"""Monthly complaint counts (indicators/monthly.py), the spike rule's input."""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from indicators.monthly import monthly_tickets


def con_with(tickets):
    con = duckdb.connect()
    con.execute("CREATE TABLE units AS SELECT * FROM (VALUES ('a'), ('b')) t(unit_id)")
    con.execute("CREATE TABLE complaints (unit_id VARCHAR, received_at TIMESTAMP, kind VARCHAR)")
    for row in tickets:
        con.execute("INSERT INTO complaints VALUES (?, ?, ?)", list(row))
    return con


def test_every_unit_gets_every_month_with_real_zeros():
    con = con_with([("a", dt.datetime(2024, 1, 31, 23, 59), "complaint"), ("a", dt.datetime(2024, 1, 2), "report"),
                    ("a", dt.datetime(2024, 3, 1), "consultation"), ("b", dt.datetime(2024, 2, 10), "complaint")])
    m = monthly_tickets(con)
    assert m.schema == pl.Schema({"unit_id": pl.String, "month": pl.Date, "tickets": pl.Int64})
    assert m.rows() == [("a", dt.date(2024, 1, 1), 2), ("a", dt.date(2024, 2, 1), 0), ("a", dt.date(2024, 3, 1), 0),
                        ("b", dt.date(2024, 1, 1), 0), ("b", dt.date(2024, 2, 1), 1), ("b", dt.date(2024, 3, 1), 0)]
    assert monthly_tickets(con, kinds=("consultation",))["tickets"].sum() == 1


def test_no_complaints_table_no_rows():
    con = duckdb.connect()
    con.execute("CREATE TABLE units AS SELECT 'a' AS unit_id")
    assert monthly_tickets(con).height == 0
    assert monthly_tickets(con_with([])).height == 0  # an empty table has no months
