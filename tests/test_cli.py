"""The command line end to end: outputs of a run and their columns, help, errors and exit codes."""
from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from indicators.compute import prepare
from indicators.explain import records_behind
from indicators.framework import load_framework
from indicators.load import load
from rating.cli import main

SCORE_COLUMNS = ["unit_id", "year", "score", "rank", "rank_low", "rank_high", "grade"]


def rating_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rating.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_run_writes_every_output(small_world, small_run):
    out = small_run.out
    for name in ("index.html", "alerts.html", "methodology.html", "scores.csv", "indicators.csv", "alerts.csv",
                 "risk.csv", "manifest.json", "results.duckdb"):
        assert (out / name).is_file(), name
    scores = pl.read_csv(out / "scores.csv")
    assert scores.columns[:7] == SCORE_COLUMNS
    assert {"commitment", "lawful", "responsiveness", "fiscal"} <= set(scores.columns)
    units = pl.read_csv(small_world / "units.csv")
    years = scores["year"].unique().sort().to_list()
    # one row per rated unit and year
    assert scores.height == units.height * len(years)
    assert scores.select("unit_id", "year").is_unique().all()
    for uid in scores["unit_id"].unique().to_list():
        assert (out / "units" / f"{uid}.html").is_file()
    with open(out / "indicators.csv", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["unit_id", "year", "indicator", "value", "normalised"]
    with open(out / "alerts.csv", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["unit_id", "year", "level", "source", "rule", "message"]
    assert pl.read_csv(out / "risk.csv").columns == ["unit_id", "year", "probability"]


def test_manifest_reconciles(small_run):
    m = json.loads((small_run.out / "manifest.json").read_text(encoding="utf-8"))
    assert set(m["inputs"]) == {"units", "unit_stats", "failure_records", "complaints", "debt", "contracts"}
    for table, info in m["inputs"].items():
        assert info["rows_read"] == info["rows_accepted"] + info["rows_quarantined"], table
        assert len(info["sha256"]) == 64
    assert m["seed"] == 3 and len(m["framework"]["sha256"]) == 64
    assert set(m["timings"]) >= {"load", "indicators", "rating", "early_warning", "reports"}


def test_rank_intervals_contain_rank_and_grades_follow_scores(small_run):
    s = small_run.scores.drop_nulls("score")
    assert (s["rank_low"] <= s["rank_median"]).all() and (s["rank_median"] <= s["rank_high"]).all()
    assert set(s["grade"].unique()) <= {"A", "B", "C", "D"}


def test_risk_is_fitted_out_of_time(small_run):
    risk = small_run.risk
    years = sorted(small_run.scores["year"].unique())
    assert risk.height > 0
    assert years[0] not in risk["year"].to_list()  # no history before the first year: no model
    assert risk["probability"].n_unique() > 10 and risk["probability"].is_between(0, 1).all()


def test_existing_run_needs_force(small_world, tmp_path):
    out = tmp_path / "o"
    args = ["run", small_world, "--out", out, "--as-of", "2026-06-30", "--replications", "5"]
    assert main([str(a) for a in args]) == 0
    first = (out / "scores.csv").read_bytes()
    r = rating_cli(*args)
    assert r.returncode == 5 and "pass --force" in r.stderr and "Traceback" not in r.stderr
    assert (out / "scores.csv").read_bytes() == first
    assert main([str(a) for a in args + ["--force"]]) == 0
    assert (out / "scores.csv").read_bytes() == first  # same inputs, same seed: same bytes
    assert not list(tmp_path.glob(".rating-tmp-*"))


def test_missing_required_table_is_one_line_per_problem(tmp_path):
    (tmp_path / "d").mkdir()
    r = rating_cli("run", tmp_path / "d", "--out", tmp_path / "o")
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    assert "units" in r.stderr and "unit_stats" in r.stderr
    assert not (tmp_path / "o").exists()


def test_bad_framework_exit_code(small_world, tmp_path):
    f = tmp_path / "f.toml"
    f.write_text('[framework]\ncode = "X"\nname_zh = "x"\nname_en = "x"\n', encoding="utf-8")
    r = rating_cli("run", small_world, "--out", tmp_path / "o", "--framework", f)
    assert r.returncode == 4 and "[no_root]" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("command", ["", "demo", "run", "synth", "validate", "explain"])
def test_help(command):
    r = rating_cli(*([command] if command else []), "--help")
    assert r.returncode == 0 and "usage: rating" in r.stdout and len(r.stdout) > 200


def test_usage_error_exit_code():
    r = rating_cli("synth", "--out", "x", "--years", "2025-2019")
    assert r.returncode == 2 and "first year is after the last" in r.stderr


def test_validate(small_world, tmp_path):
    r = rating_cli("validate", small_world, "--as-of", "2026-06-30")
    assert r.returncode == 0, r.stderr
    assert "complaints" in r.stdout
    r = rating_cli("validate", tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("indicator", ["failure_weighted_per_100_staff", "complaint_ontime_rate", "debt_ratio"])
def test_explain_records_reproduce_the_value(small_world, small_run, indicator):
    ind = small_run.indicators.filter((pl.col("indicator") == indicator) & (pl.col("numerator") > 0)
                                      & pl.col("unit_id").str.len_chars().eq(6)).sort("unit_id", "year")
    row = ind.row(0, named=True)
    fw = load_framework()
    con = duckdb.connect()
    loaded = load(small_world, con, as_of=dt.date(2026, 6, 30), lifecycle=fw.lifecycle)
    prepare(con)
    recs = records_behind(con, fw, set(loaded.present), row["unit_id"], indicator, row["year"])
    d = fw.node(indicator).definition
    if d.measure == "weighted_count":
        weights = dict(d.weights)
        total = sum(w * weights[str(s)] for w, s in zip(recs["weight"], recs["severity"]))
        assert total == pytest.approx(row["numerator"], rel=1e-12)
    elif d.measure == "share":
        assert recs.height == row["denominator"]
        assert recs["in_numerator"].sum() == row["numerator"]
    else:
        assert recs["debt_balance"].sum() == pytest.approx(row["numerator"], rel=1e-12)
        assert recs["fiscal_capacity"].sum() == pytest.approx(row["denominator"], rel=1e-12)
    r = rating_cli("explain", row["unit_id"], indicator, "--year", row["year"], "--data", small_world, "--as-of", "2026-06-30")
    assert r.returncode == 0, r.stderr
    assert f"records: {recs.height}" in r.stdout


def test_explain_of_an_unknown_indicator_is_a_usage_error(small_world):
    r = rating_cli("explain", "440100", "no_such_indicator", "--year", "2024", "--data", small_world, "--as-of", "2026-06-30")
    assert r.returncode == 2 and "unknown indicator 'no_such_indicator'" in r.stderr and "Traceback" not in r.stderr


def test_memory_limit_option(small_world):
    r = rating_cli("validate", small_world, "--as-of", "2026-06-30", "--memory-limit", "lots")
    assert r.returncode == 2 and "memory limit 'lots'" in r.stderr and "Traceback" not in r.stderr
    r = rating_cli("validate", small_world, "--as-of", "2026-06-30", "--memory-limit", "2MB")
    assert r.returncode == 7 and "out of memory within DuckDB's limit of 2MB" in r.stderr and "Traceback" not in r.stderr
    r = rating_cli("validate", small_world, "--as-of", "2026-06-30", "--memory-limit", "200MB")
    assert r.returncode == 0, r.stderr


def test_score_coinr_tables_with_rank_intervals(tmp_path):
    asem = Path(__file__).parent / "data" / "external" / "asem"
    out = tmp_path / "asem"
    r = rating_cli("score", asem / "iData.csv", asem / "iMeta.csv", "--out", out, "--uncertainty", "200", "--seed", "4")
    assert r.returncode == 0, r.stderr
    s = pl.read_csv(out / "scores.csv")
    assert s.columns[0] == "uCode" and s.columns[-4:] == ["rank", "rank_low", "rank_median", "rank_high"]
    assert s.height == 51
    assert "<table" in (out / "index.html").read_text(encoding="utf-8")
    assert ((s["rank_low"] <= s["rank_median"]) & (s["rank_median"] <= s["rank_high"])).all()
    again = tmp_path / "again"
    rating_cli("score", asem / "iData.csv", asem / "iMeta.csv", "--out", again, "--uncertainty", "200", "--seed", "4")
    assert (again / "scores.csv").read_bytes() == (out / "scores.csv").read_bytes()
    r = rating_cli("score", asem / "iData.csv", asem / "iMeta.csv", "--out", out)
    assert r.returncode == 5 and "--force" in r.stderr
