"""The benchmark runner works at a tiny size, and the hand-written implementations it compares the
engine with (one-pass DuckDB SQL, polars streaming, pandas) give the engine's indicator values:
otherwise the comparison would mean nothing."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `benchmarks` is a folder of the repository, not an installed package

from benchmarks import handwritten  # noqa: E402


@pytest.fixture(scope="module")
def parquet_world(tmp_path_factory) -> Path:
    """A tiny synthetic world in Parquet, with every table (the hand-written queries read the files)."""
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("bench") / "data"
    generate(data, seed=11, years=(2023, 2024), scale="demo", complaints=20_000, fmt="parquet")
    return data


@pytest.fixture(scope="module")
def engine_wide(parquet_world) -> pl.DataFrame:
    """The engine's indicators (load + compute_indicators), one column per indicator."""
    from indicators.compute import compute_indicators
    from indicators.framework_load import load_framework
    from indicators.load import load

    fw = load_framework()
    con = duckdb.connect()
    loaded = load(parquet_world, con, as_of=dt.date(2026, 6, 30), lifecycle=fw.lifecycle)
    # the hand-written queries read the raw files: they agree only if no row was rejected
    assert all(c.quarantined == 0 for c in loaded.counts.values())
    long = compute_indicators(con, fw, set(loaded.present))
    assert sorted(long["indicator"].unique()) == sorted(handwritten.INDICATORS)
    return long.pivot(on="indicator", index=["unit_id", "year"], values="value")


def assert_same_values(got: pl.DataFrame, engine: pl.DataFrame) -> None:
    """Same unit-years; every indicator equal to 1e-9 (relative), missing where the engine's is."""
    assert got.columns == ["unit_id", "year", *handwritten.INDICATORS]
    joined = got.join(engine, on=["unit_id", "year"], how="full", suffix="_engine", coalesce=True)
    assert joined.height == got.height
    with_values = 0
    for code in handwritten.INDICATORS:
        a = joined[code].cast(pl.Float64).to_numpy()
        b = joined[f"{code}_engine"].cast(pl.Float64).to_numpy()
        same = (np.isnan(a) == np.isnan(b)) & (np.isnan(a) | np.isclose(a, b, rtol=1e-9, atol=0))
        assert same.all(), f"{code}: {(~same).sum()} unit-years differ"
        with_values += bool((~np.isnan(b)).any())
    assert with_values >= 25  # in a tiny world a few rare shares have no denominator of 3 anywhere


@pytest.mark.parametrize("method", ["duckdb_one_pass", "polars_streaming", "pandas"])
def test_hand_written_indicators_equal_the_engine(method, parquet_world, engine_wide):
    if method == "pandas":
        from benchmarks.pandas_impl import pandas_indicators as run
    else:
        run = getattr(handwritten, method)
    assert_same_values(run(parquet_world), engine_wide)


@pytest.mark.slow
def test_runner_at_a_tiny_size(tmp_path):
    """`python -m benchmarks` end to end: data from `rating synth`, every case in its own process,
    the tables printed, the measurements written."""
    out = tmp_path / "bench.json"
    cases = "engine,duckdb,polars,pandas"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", "3000", "--rounds", "1", "--cases", cases,
         "--scale", "demo", "--years", "2023-2024", "--replications", "10", "--data-dir", str(tmp_path / "data"),
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out.read_text())
    records = {r["case"]: r for r in doc["records"]}
    assert all(r["ok"] for r in records.values()), [r.get("error") for r in records.values()]
    stages = records["engine"]["stages"]
    for name in ("load", "indicators", "compute_indicators", "rating", "uncertainty", "early_warning", "reports", "run"):
        assert stages[name]["s"] > 0 and stages[name]["peak_mib"] > 0, name
    assert records["engine"]["unit_pages"] > 0
    assert doc["data"]["3000"]["rows"]["complaints"] == 3000
    text = proc.stdout
    assert "### 3,000 complaint rows" in text
    assert "| **whole run** (`rating.run`) |" in text
    assert "| hand-written one-pass DuckDB query |" in text and "| engine: `compute_indicators` |" in text
    # the summary can be printed again from the measurements
    again = subprocess.run([sys.executable, "-m", "benchmarks", "--report", str(out)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "### 3,000 complaint rows" in again.stdout
    # and side by side with another measurement (here: itself), every stage with its share of the run
    both = subprocess.run([sys.executable, "-m", "benchmarks", "--compare", str(out), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert both.returncode == 0 and "| before: median s | share | after: median s | share |" in both.stdout
    assert "| **whole run** (`rating.run`) |" in both.stdout and "| 1.0x |" in both.stdout


def test_sizes_parse():
    from benchmarks.runner import parse_size, size_label

    assert [parse_size(s) for s in ("1e6", "10^7", "100_000_000", "3000")] == [10**6, 10**7, 10**8, 3000]
    assert [size_label(n) for n in (10**6, 3000)] == ["10^6", "3,000"]


def test_monte_carlo_error_is_the_spread_over_seeds():
    """The draws case's error: per unit-year the sd over seeds of each published column, then its
    mean and 90th percentile; rows with a missing value in any seed are left out; the borderline
    share counts unit-years whose flag differs."""
    from benchmarks.uncertainty import monte_carlo_error

    def summary(low, flag):
        return pl.DataFrame({"rank_low": low, "rank_high": [9.0, 9.0, 9.0], "rank_median": [5.0, 5.0, 5.0],
                             "score_low": [1.0, 2.0, 3.0], "score_high": [4.0, 5.0, 6.0],
                             "p_grade_A": [0.5, 0.5, 0.5], "borderline": flag})

    err = monte_carlo_error([summary([1.0, 2.0, None], [True, False, False]),
                             summary([3.0, 2.0, 7.0], [True, True, False])])
    sd = np.std([[1.0, 3.0], [2.0, 2.0]], axis=1, ddof=1)  # the third row has a missing value
    assert err["rank_low"] == pytest.approx((sd.mean(), np.percentile(sd, 90)))
    assert err["rank_high"] == (0.0, 0.0) and err["p_grade_A"] == (0.0, 0.0)
    assert err["borderline"] == pytest.approx(1 / 3)
