"""The Spark engine on a real standalone cluster: a master and two workers started here as
separate processes on 127.0.0.1, the indicator stage of a generated world run on it, and every
value compared with the DuckDB engine's (exact for counts, 1e-12 for the rest).

Needs pyspark, sqlglot and a Java runtime (17 or later): missing any of them fails these tests,
it does not skip them.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal, assert_series_equal
import pyarrow as pa
import pyarrow.parquet as pq
import pyspark
import pytest
import sqlglot  # noqa: F401  (the engine's transpiler: missing, the test fails here)
from pyspark.sql import SparkSession

from indicators.compute import compute_indicators
from indicators.engines import open_engine
from indicators.engines.spark import SparkEngine, check_framework, staging_select, to_spark
from indicators.errors import FrameworkError, InputError
from indicators.framework_load import default_framework_path, load_framework, parse_framework
from indicators.lifecycle import Lifecycle
from indicators.load import load
from indicators.monthly import monthly_tickets

AS_OF = dt.date(2026, 6, 30)
WORKERS = 2
pytestmark = pytest.mark.integration  # a local Spark cluster (Java)
#: Indicators beyond the default framework, so that every measure, operator, window, scope and
#: date override runs on both engines.
EXTRA = [
    dict(code="x_fr_3y", table="failure_records", measure="count", window=3),
    dict(code="x_fr_2y_unit", table="failure_records", measure="weighted_count", window=2, scope="unit",
         weight_column="category", weights={"dishonest_debtor": 5, "judgment_lost": 2.5}),
    dict(code="x_fr_amount_changed", table="failure_records", measure="sum", column="amount", date="status_changed_on",
         where=[{"column": "status_changed_on", "is_null": False}, {"column": "status", "ne": "active"}]),
    dict(code="x_contract_mean", table="contracts", measure="mean", column="amount", scope="unit",
         where=[{"column": "kind", "not_in": ["ppp"]}, {"column": "amount", "gt": 1000.5}]),
    dict(code="x_contract_days", table="contracts", measure="median_days", start="signed_on", end="fulfilled_on"),
    dict(code="x_contract_share_amount", table="contracts", measure="share", column="amount",
         numerator=[{"column": "status", "in": ["fulfilled", "late"]}, {"column": "fulfilled_on", "gt_column": "signed_on"}]),
    dict(code="x_contract_ops", table="contracts", measure="count",
         where=[{"column": "amount", "le": 5000000}, {"column": "amount", "ge": 10}, {"column": "arrears_amount", "lt": 1e9},
                {"column": "fulfilled_on", "ge_column": "signed_on"}, {"column": "due_on", "lt_column": "fulfilled_on"},
                {"column": "counterparty_sme", "is_null": False}]),
    dict(code="x_debt_value", table="debt", measure="value", column="debt_balance", per="population", scale=1e4),
    dict(code="x_sat_shrunk", table="complaints", measure="share", where=[{"column": "repeat", "eq": False}],
         numerator=[{"column": "satisfaction", "eq": "dissatisfied"}], min_denominator=25, small_denominator="shrink"),
    dict(code="x_days_2y", table="complaints", measure="median_days", start="received_at", end="resolved_at",
         window=2, scope="unit", where=[{"column": "kind", "eq": "complaint"}]),
    dict(code="x_repeat_weighted", table="complaints", measure="weighted_count", weight_column="repeat",
         weights={"true": 2, "false": 0.5}),
    dict(code="x_staff", table="unit_stats", measure="value", column="staff", scope="unit"),
]
#: JVM options for short runs on a small machine: quick compiler only, one GC thread.
SMALL_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
#: Measures whose numerator and denominator are counts (or sums of lifecycle weights: exact).
COUNTED = ("count", "weighted_count")


def framework_doc(extra=(), **lifecycle) -> dict:
    doc = tomllib.loads(default_framework_path().read_text(encoding="utf-8"))
    doc["indicator"] += [{"name_zh": e["code"], "name_en": e["code"], **e} for e in extra]
    doc["lifecycle"] = {**doc.get("lifecycle", {}), **lifecycle}
    return doc


# -- the cluster --------------------------------------------------------------------------------

def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if java is None:
        pytest.fail("no Java runtime: the Spark tests need Java 17 or later (Debian: default-jre-headless)")
    return java


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, done, procs: dict, logs: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        for name, proc in procs.items():
            if proc.poll() is not None:
                tail = (logs / f"{name}.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"Spark {name} exited with {proc.returncode} while waiting for {what}:\n{tail}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; logs in {logs}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, request) -> str:
    """A standalone master and two one-core workers, each its own JVM, on 127.0.0.1."""
    java, home = _java(), Path(pyspark.__file__).parent
    logs = tmp_path_factory.mktemp("spark-cluster")
    # a worker builds its executors' command from SPARK_HOME/jars and the Scala version
    scala = next((home / "jars").glob("spark-core_*.jar")).name.split("_")[1].split("-")[0]
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_SCALA_VERSION": scala, "SPARK_LOCAL_IP": "127.0.0.1"}
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    base = [java, *SMALL_JVM, "-Xmx256m", "-cp", f"{home / 'jars'}/*"]
    commands = {"master": [*base, "org.apache.spark.deploy.master.Master",
                           "--host", "127.0.0.1", "--port", str(port), "--webui-port", "0"]}
    procs: dict[str, subprocess.Popen] = {}

    def stop() -> None:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    request.addfinalizer(stop)

    def start(name: str, command: list[str]) -> None:
        with open(logs / f"{name}.log", "wb") as out:
            procs[name] = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                           stdin=subprocess.DEVNULL)

    start("master", commands["master"])
    master_log = logs / "master.log"
    _wait("the master", lambda: "Starting Spark master" in master_log.read_text(errors="replace")
          and "I have been elected leader" in master_log.read_text(errors="replace"), procs, logs)
    for i in range(WORKERS):
        start(f"worker{i}", [*base, "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                             "--cores", "1", "--memory", "1g", "--webui-port", "0",
                             "--work-dir", str(logs / f"work{i}")])
    _wait("the workers", lambda: master_log.read_text(errors="replace").count("Registering worker") >= WORKERS,
          procs, logs)
    return url


@pytest.fixture(scope="module")
def spark(cluster):
    """A session on the cluster, with one executor per worker."""
    session = (SparkSession.builder.master(cluster).appName("integrity-rating-test")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.driver.memory", "512m")
               .config("spark.driver.extraJavaOptions", " ".join(SMALL_JVM))
               .config("spark.executor.extraJavaOptions", " ".join(SMALL_JVM))
               .config("spark.executor.memory", "512m")
               .config("spark.executor.cores", "1")
               .config("spark.cores.max", str(WORKERS))
               .config("spark.sql.shuffle.partitions", str(WORKERS))
               # no Python on the executors: the engine sends them SQL and Arrow data only
               .config("spark.pyspark.python", "/nonexistent/python")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    tracker = session.sparkContext._jsc.sc()
    deadline = time.monotonic() + 90
    while tracker.getExecutorMemoryStatus().size() < WORKERS + 1:  # the driver counts too
        if time.monotonic() > deadline:
            session.stop()
            pytest.fail(f"the cluster {cluster} gave fewer than {WORKERS} executors")
        time.sleep(0.5)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("spark-world") / "data"
    generate(data, seed=5, years=(2022, 2024), complaints=50_000, fmt="parquet")
    return data


def duckdb_stage(data: Path, fw):
    con = duckdb.connect()
    loaded = load(data, con, as_of=AS_OF, lifecycle=fw.lifecycle)
    return con, loaded, compute_indicators(con, fw, set(loaded.present))


# -- the cluster computes what DuckDB computes --------------------------------------------------

def assert_same(got: pl.DataFrame, expected: pl.DataFrame, fw) -> None:
    """Same rows; counts exact; every other number within 1e-12; medians exact."""
    keys = ["unit_id", "year", "indicator"]
    assert_frame_equal(got.select(keys), expected.select(keys))
    exact = {n.code for n in fw.computed if n.definition.measure in (*COUNTED, "median_days")
             or (n.definition.measure == "share" and not n.definition.column)}
    for code in got["indicator"].unique():
        g = got.filter(pl.col("indicator") == code)
        e = expected.filter(pl.col("indicator") == code)
        for col in ("value", "numerator", "denominator"):
            a, b = g[col], e[col]
            assert_series_equal(a.is_null(), b.is_null())
            if code in exact and (col != "value" or fw.node(code).definition.measure == "median_days"):
                assert_series_equal(a, b, check_exact=True)
            else:
                assert a.drop_nulls().to_numpy() == pytest.approx(b.drop_nulls().to_numpy(), rel=1e-12, abs=1e-12), (code, col)


@pytest.fixture(scope="module")
def staged(spark, world):
    """The record stage of the world on the cluster (every measure, window and scope), and the
    same on DuckDB; the engine stays open for the tests that look at its relations."""
    fw = parse_framework(framework_doc(EXTRA))
    con_d, loaded_d, expected = duckdb_stage(world, fw)
    con = duckdb.connect()
    with SparkEngine(session=spark) as engine:
        loaded = engine.load(str(world), con, as_of=AS_OF, lifecycle=fw.lifecycle)
        got = engine.compute_indicators(con, fw, set(loaded.present))
        yield dict(fw=fw, engine=engine, con=con, loaded=loaded, got=got,
                   con_d=con_d, loaded_d=loaded_d, expected=expected)


def test_indicators_on_cluster_equal_duckdb(spark, staged):
    fw, got, loaded, loaded_d = staged["fw"], staged["got"], staged["loaded"], staged["loaded_d"]
    assert spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() == WORKERS + 1
    assert loaded.present == loaded_d.present
    assert loaded.counts == loaded_d.counts and loaded.sha256 == loaded_d.sha256
    assert {t: p.name for t, p in loaded.files.items()} == {t: p.name for t, p in loaded_d.files.items()}
    assert got.height > 80_000 and got["indicator"].n_unique() == len(fw.computed)
    assert_same(got, staged["expected"], fw)


def test_driver_relations_equal_duckdb(staged):
    """What rating, early warning and reports read from the driver connection is the same."""
    con, con_d = staged["con"], staged["con_d"]
    assert_frame_equal(staged["engine"].monthly_tickets(con), monthly_tickets(con_d), check_exact=True)
    for sql in ("SELECT * FROM failure_records", "SELECT * FROM contracts",
                "SELECT * FROM stg_failure_records ORDER BY record_id", "SELECT * FROM units ORDER BY unit_id",
                "SELECT * FROM rated_years ORDER BY year"):
        assert_frame_equal(con.sql(sql).pl(), con_d.sql(sql).pl(), check_exact=True)


@pytest.mark.parametrize("rules", [
    dict(rectified_weight=1.0, count_repaired_after_repair=True, count_under_objection=True),
    dict(rectified_weight=0.25, count_revoked=True),
])
def test_lifecycle_view_is_the_same_sql_on_spark(staged, rules):
    """The lifecycle view is lifecycle.staging_view_sql transpiled, for non-default rules too."""
    select = staging_select(Lifecycle(**rules))
    cols = "record_id, counting, pending, weight, counts_until"
    got = staged["engine"].run(f"SELECT {cols} FROM ({select}) ORDER BY record_id")
    assert_frame_equal(got, staged["con_d"].sql(f"SELECT {cols} FROM ({select}) ORDER BY record_id").pl(), check_exact=True)


def test_whole_run_on_cluster_gives_the_same_scores(cluster, spark, world):
    """rating.run with the spark engine: rating, early warning and reports run as before."""
    import rating

    duck = rating.run(world, as_of=AS_OF, replications=20)
    on_spark = rating.run(world, as_of=AS_OF, replications=20, engine="spark", spark_master=cluster)
    assert not spark.sparkContext._jsc.sc().isStopped()  # the session it found was left running
    for name in ("scores", "alerts", "risk"):
        assert_frame_equal(on_spark.tables[name], duck.tables[name], check_exact=True)
    assert on_spark.manifest["engine"]["name"] == "spark" and on_spark.manifest["engine"]["master"] == cluster
    assert duck.manifest["engine"]["name"] == "duckdb"
    again = on_spark.rerun(seed=1)  # a rating option only: the staged indicators are reused
    assert again.staged is on_spark.staged and again.manifest["engine"] == on_spark.manifest["engine"]


# -- the command line ---------------------------------------------------------------------------

def rating_cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rating.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=900)


def test_cli_run_on_spark_writes_the_same_scores_csv(tmp_path):
    """`rating run DATA --engine spark`, in its own process with its own local[2] session, writes
    scores.csv byte for byte as the default engine does, and its manifest names the engine."""
    from indicators.synth import generate

    data = tmp_path / "data"
    generate(data, seed=11, years=(2022, 2024), complaints=20_000, fmt="parquet")
    common = ["--as-of", AS_OF.isoformat(), "--replications", "20", "--seed", "4"]
    duck = rating_cli("--quiet", "run", data, "--out", tmp_path / "duck", *common)
    assert duck.returncode == 0, duck.stderr
    env = {**os.environ, "JAVA_TOOL_OPTIONS": " ".join(SMALL_JVM)}
    spark = rating_cli("--quiet", "run", data, "--engine", "spark", "--spark-master", "local[2]",
                       "--out", tmp_path / "spark", *common, env=env)
    assert spark.returncode == 0, spark.stderr
    assert (tmp_path / "spark" / "scores.csv").read_bytes() == (tmp_path / "duck" / "scores.csv").read_bytes()
    engines = [json.loads((tmp_path / o / "manifest.json").read_text(encoding="utf-8"))["engine"] for o in ("duck", "spark")]
    assert engines[0]["name"] == "duckdb"
    assert engines[1]["name"] == "spark" and engines[1]["master"] == "local[2]" and engines[1]["version"] == pyspark.__version__


def test_cli_errors_of_the_spark_engine(spark, tmp_path, capsys):
    """Each refusal is one line per problem and the documented exit code, never a traceback."""
    from indicators.synth import generate
    from rating.cli import main

    data = tmp_path / "data"
    generate(data, seed=2, years=(2023, 2024), complaints=2_000)  # CSV
    out = ["--out", tmp_path / "out", "--as-of", AS_OF.isoformat()]
    # a record table as CSV: an input error, listed per table (the active cluster session is used)
    assert main(["run", str(data), "--engine", "spark", *map(str, out)]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"rating: error: data folder {data} cannot be rated"
    assert [line.split(":")[0] for line in err[1:]] == ["failure_records.csv", "complaints.csv", "contracts.csv"]
    assert not (tmp_path / "out").exists()
    # a Spark master without the spark engine: a usage error
    assert main(["run", str(data), "--spark-master", "local[2]", *map(str, out)]) == 2
    assert capsys.readouterr().err == "rating: error: --spark-master local[2]: applies to --engine spark only\n"
    # a master URL Spark would refuse: a usage error, before a JVM is started for it
    assert main(["run", str(data), "--engine", "spark", "--spark-master", "head:7077", *map(str, out)]) == 2
    assert capsys.readouterr().err.startswith("rating: error: Spark master 'head:7077': expected yarn, local")
    # no Java runtime: the engine is unavailable (exit 2), said before anything is read
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"} | {"PATH": str(empty)}
    child = rating_cli("run", data, "--engine", "spark", *out, env=env)
    assert child.returncode == 2
    assert child.stderr.startswith("rating: error: the spark engine needs a Java runtime (17 or later)")
    assert len(child.stderr.splitlines()) == 1


# -- what the engine refuses --------------------------------------------------------------------

def test_refuses_record_tables_that_are_not_contract_parquet(spark, world, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(world, data)
    pl.read_parquet(data / "complaints.parquet").write_csv(data / "complaints.csv")
    (data / "complaints.parquet").unlink()
    contracts = pq.read_table(data / "contracts.parquet")
    i = contracts.schema.get_field_index("due_on")
    pq.write_table(contracts.set_column(i, "due_on", contracts["due_on"].cast(pa.string())), data / "contracts.parquet")
    failures = pq.read_table(data / "failure_records.parquet").drop_columns(["severity"])
    pq.write_table(failures, data / "failure_records.parquet")
    with SparkEngine(session=spark) as engine, pytest.raises(InputError) as err:
        engine.load(data, duckdb.connect(), as_of=AS_OF)
    assert err.value.problems == [
        "failure_records.parquet: missing required column severity (严重程度); found: record_id, unit_id, category, "
        "occurred_on, amount, status, status_changed_on, description",
        "complaints.csv: the spark engine reads record tables as Parquet (a file or a folder of Parquet "
        "files); write complaints.parquet instead, or run with --engine duckdb",
        "contracts.parquet: column due_on is string, expected DATE (Parquet types date)",
    ]


def test_reads_chinese_column_names(spark, world, tmp_path):
    """A record table's columns may be named in Chinese (contract.Column.zh), as for every reader."""
    from indicators.contract import TABLES

    data = tmp_path / "data"
    shutil.copytree(world, data)
    table = pq.read_table(data / "complaints.parquet")
    zh = {c.name: c.zh for c in TABLES["complaints"].columns}
    pq.write_table(table.rename_columns([zh[n] for n in table.column_names]), data / "complaints.parquet")
    fw = load_framework()
    with SparkEngine(session=spark) as engine:
        con = duckdb.connect()
        loaded = engine.load(data, con, as_of=AS_OF, lifecycle=fw.lifecycle)
        got = engine.compute_indicators(con, fw, {"units", "unit_stats", "complaints"})
    assert loaded.counts["complaints"].read == table.num_rows and loaded.extra_columns["complaints"] == []
    _, _, expected = duckdb_stage(world, fw)
    tickets = pl.col("indicator").is_in(["complaints_per_10k", "satisfaction_rate"])
    assert_frame_equal(got.filter(tickets), expected.filter(tickets), check_exact=True)


def test_reads_a_folder_of_parquet_parts(spark, world, tmp_path):
    """A record table may be a folder of part files, as Spark and most data platforms write it."""
    data = tmp_path / "data"
    shutil.copytree(world, data)
    parts = data / "complaints.parquet"
    table = pq.read_table(parts)
    parts.unlink()
    parts.mkdir()
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), parts / "part-0.parquet")
    pq.write_table(table.slice(half), parts / "part-1.parquet")
    fw = load_framework()
    with SparkEngine(session=spark) as engine:
        con = duckdb.connect()
        loaded = engine.load(data, con, as_of=AS_OF, lifecycle=fw.lifecycle)
        got = engine.compute_indicators(con, fw, {"units", "unit_stats", "complaints"})
    assert loaded.counts["complaints"].read == table.num_rows and loaded.sha256["complaints"] is None
    _, _, expected = duckdb_stage(world, fw)
    volume = pl.col("indicator") == "complaints_per_10k"
    assert_frame_equal(got.filter(volume), expected.filter(volume), check_exact=True)


def test_refuses_weighted_counts_keyed_on_numbers():
    doc = framework_doc([dict(code="x_by_amount", table="contracts", measure="weighted_count",
                              weight_column="amount", weights={"100.0": 1})])
    fw = parse_framework(doc)
    with pytest.raises(FrameworkError) as err:
        check_framework(fw)
    assert "[spark_unsupported] indicator x_by_amount" in str(err.value)
    with pytest.raises(FrameworkError):
        open_engine("spark", framework=fw)  # before any session is started
    check_framework(load_framework())  # the default framework runs on Spark


def test_transpiled_sql_keeps_duckdb_meaning():
    sql = to_spark("SELECT date_diff('second', CAST(r.\"a\" AS TIMESTAMP), CAST(r.\"b\" AS TIMESTAMP)) AS s, "
                   "median(r.x) FILTER (WHERE r.k = 'it''s') AS m FROM t AS r GROUP BY ALL")
    assert "UNIX_SECONDS" in sql and "DATEDIFF" not in sql.upper()
    assert sql.count("PERCENTILE_DISC(0.5)") == 2 and "APPROX" not in sql and "MEDIAN" not in sql.upper()
    assert "GROUP BY ALL" in sql


def test_median_plan_gives_duckdb_median_to_the_bit(world):
    """The window plan of a median (split_medians), run on DuckDB itself, equals DuckDB's median."""
    from indicators.compute import group_query, prepare, table_groups
    from indicators.engines.spark import split_medians

    fw = parse_framework(framework_doc(EXTRA))
    con = duckdb.connect()
    loaded = load(world, con, as_of=AS_OF, lifecycle=fw.lifecycle)
    prepare(con)
    present = set(loaded.present) | {"stg_failure_records"}
    checked = 0
    for nodes in table_groups(fw, present):
        sql = group_query(nodes, present)
        main, keys, medians = split_medians(sql)
        for column, query in medians:
            want = con.sql(sql).pl().select(*keys, column).filter(pl.col(column).is_not_null())
            got = con.sql(query).pl().rename({"m": column})
            assert_frame_equal(got.sort(keys), want.sort(keys), check_exact=True)
            checked += 1
        assert "median(" not in main.lower()
    assert checked == 3
