"""Engines of the indicator stage: where the record tables are scanned.

`duckdb` (the default) loads and validates every table into an embedded DuckDB connection and
computes the indicators there. `spark` leaves the record tables (failure records, complaints,
contracts) where they are, as Parquet under a path or URI, and runs the same generated queries
on a Spark cluster (docs/spark.md); the small tables are still validated by DuckDB on the driver.

Both engines fill the same driver connection (units, unit_stats and the helper relations) and
return the same frames, so that rating, early warning and reports run unchanged after them.

Examples
--------
>>> import datetime as dt, tempfile, duckdb
>>> from indicators.framework_load import load_framework
>>> from indicators.synth import generate
>>> fw, con = load_framework(), duckdb.connect()
>>> with tempfile.TemporaryDirectory() as data, open_engine("duckdb") as engine:
...     _ = generate(data, seed=1, years=(2023, 2024), complaints=5_000)
...     loaded = engine.load(data, con, as_of=dt.date(2026, 1, 1), lifecycle=fw.lifecycle)
...     ind = engine.compute_indicators(con, fw, set(loaded.present))
>>> ind.columns
['unit_id', 'year', 'indicator', 'value', 'numerator', 'denominator', 'outside_coverage']
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import polars as pl

from indicators.errors import EngineUnavailable, UsageError
from indicators.framework import Framework
from indicators.lifecycle import Lifecycle

#: The engines `open_engine` knows, the default first.
ENGINES = ("duckdb", "spark")
#: Spark master URLs checked before a JVM is launched: yarn, local[...] exactly as Spark parses
#: them, and the cluster managers' schemes (their host and port are the cluster's to check).
SPARK_MASTER = re.compile(r"yarn|local(\[(\d+|\*)(, *\d+)?\])?|local-cluster\[\d+, *\d+, *\d+\]|(spark|k8s)://.+")


class DuckDBEngine:
    """The embedded engine: every table validated and loaded into the driver's DuckDB."""

    name = "duckdb"

    def load(self, data, con: duckdb.DuckDBPyConnection, *, as_of: dt.date,
             lifecycle: Lifecycle = Lifecycle()):
        from indicators.load import load

        return load(Path(data), con, as_of=as_of, lifecycle=lifecycle)

    def compute_indicators(self, con: duckdb.DuckDBPyConnection, framework: Framework, present: set[str],
                           years: list[int] | None = None, coverage: dict | None = None) -> pl.DataFrame:
        from indicators.compute import compute_indicators

        return compute_indicators(con, framework, present, years, coverage)

    def coverage(self, con: duckdb.DuckDBPyConnection, present: set[str], delivery) -> dict:
        """The record tables' coverage (indicators.coverage), from the tables in `con`."""
        from indicators.coverage import table_coverage

        return table_coverage(lambda queries: [con.sql(q).pl() for q in queries], present, delivery)

    def monthly_tickets(self, con: duckdb.DuckDBPyConnection,
                        kinds: tuple[str, ...] = ("complaint", "report")) -> pl.DataFrame:
        from indicators.monthly import monthly_tickets

        return monthly_tickets(con, kinds)

    def describe(self) -> dict:
        """What a run's manifest records about the engine."""
        return {"name": self.name, "version": duckdb.__version__}

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_engine(name: str = "duckdb", *, spark_master: str | None = None, framework: Framework | None = None,
                spark_conf: dict[str, str] | None = None):
    """The engine called `name`. For `spark`, `framework` (when given) is checked first for
    what the engine refuses, so that a run fails before a cluster is asked for anything;
    `spark_master` defaults to the master spark-submit was given, else `local[*]`."""
    if name == "duckdb":
        return DuckDBEngine()
    if name != "spark":
        raise EngineUnavailable(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")
    try:
        from indicators.engines.spark import SparkEngine, check_framework
    except ImportError as e:
        raise EngineUnavailable(
            f"the spark engine needs pyspark and sqlglot ({e.name} is missing): "
            "pip install 'integrity-rating[spark]'") from None
    if framework is not None:
        check_framework(framework)
    check_master(spark_master)
    return SparkEngine(spark_master, conf=spark_conf)


def check_master(url: str | None) -> None:
    """Refuse a Spark master URL that Spark would refuse, before a JVM is started for it.

    >>> check_master("local[*]"), check_master("spark://head:7077"), check_master(None)
    (None, None, None)
    >>> check_master("head:7077")
    Traceback (most recent call last):
    ...
    indicators.errors.UsageError: Spark master 'head:7077': expected yarn, local, local[N], spark://HOST:PORT or k8s://URL
    """
    if url is not None and not SPARK_MASTER.fullmatch(url):
        raise UsageError(f"Spark master {url!r}: expected yarn, local, local[N], spark://HOST:PORT or k8s://URL")
