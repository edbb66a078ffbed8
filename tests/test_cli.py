"""The command line end to end: outputs of a run and their columns, help, errors and exit codes."""
from __future__ import annotations

import logging
import csv
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from indicators.compute import prepare
from indicators.explain import records_behind
from indicators.framework import VETO_SEPARATOR
from indicators.framework_load import default_framework_path, load_framework
from indicators.load import load
from rating.cli import _summary, main, parser

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
        assert next(csv.reader(fh)) == ["unit_id", "year", "indicator", "value", "normalised", "numerator",
                                        "denominator", "outside_coverage", "estimate", "thin"]
    with open(out / "alerts.csv", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["unit_id", "year", "level", "source", "rule", "message", "status",
                                         "origin_unit_id", "message_en", "evidence", "evidence_text", "evidence_text_en",
                                         "action", "action_en", "owner", "owner_en", "follow_up", "held_until"]
    assert pl.read_csv(out / "risk.csv").columns == ["unit_id", "year", "probability"]


def test_manifest_reconciles(small_run):
    m = json.loads((small_run.out / "manifest.json").read_text(encoding="utf-8"))
    assert set(m["inputs"]) == {"units", "unit_stats", "failure_records", "complaints", "debt", "contracts"}
    for table, info in m["inputs"].items():
        assert info["rows_read"] == info["rows_accepted"] + info["rows_quarantined"], table
        assert len(info["sha256"]) == 64
    assert m["seed"] == 3 and len(m["framework"]["sha256"]) == 64
    assert set(m["timings"]) >= {"load", "indicators", "rating", "early_warning", "reports"}


def test_ranks_and_grades_follow_the_scores_and_ranks_lie_in_their_intervals(small_world, small_run):
    """rank = 1 + the peers (same year, kind and level) scoring higher; grade_uncapped is the band of
    the score and grade the worse of it and the caps of the vetoes that hold; the rank interval
    holds its median, stays within the peer group and holds the rank (a tie at the nominal
    methods may break one way in nearly every replication, hence not always)."""
    units = pl.read_csv(small_world / "units.csv", infer_schema_length=0).select("unit_id", "kind", "level")
    scores = small_run.scores.join(units, on="unit_id", how="left")
    assert scores["kind"].null_count() == 0 and small_run.scores["override"].null_count() == scores.height
    missing = scores.filter(pl.col("score").is_null())
    assert missing.height > 0
    assert missing.select("rank", "rank_low", "rank_high", "grade").null_count().row(0) == (missing.height,) * 4
    rated = scores.drop_nulls("score")
    for _, peers in rated.group_by("year", "kind", "level"):
        s = peers["score"].to_list()
        assert peers["rank"].to_list() == [1 + sum(other > x for other in s) for x in s]
        assert peers["rank_low"].min() >= 1 and peers["rank_high"].max() <= peers.height
    assert (rated["rank_low"] <= rated["rank_median"]).all() and (rated["rank_median"] <= rated["rank_high"]).all()
    inside = rated.filter(pl.col("rank").is_between(pl.col("rank_low"), pl.col("rank_high")))
    assert inside.height >= 0.99 * rated.height, rated.join(inside, on=["unit_id", "year"], how="anti")
    fw = small_run.framework
    order = [g.code for g in fw.grades]  # best first
    band = [next(g.code for g in fw.grades if x >= g.min) for x in rated["score"]]
    assert rated["grade_uncapped"].to_list() == band
    caps = {v.code: order.index(v.cap) for v in fw.vetoes}
    expected = [order[max([order.index(u), *(caps[c] for c in (v or "").split(VETO_SEPARATOR) if c)])]
                for u, v in zip(rated["grade_uncapped"], rated["veto"])]
    assert rated["grade"].to_list() == expected
    assert (rated["grade"] != rated["grade_uncapped"]).sum() > 0  # vetoes lower some grades here
    assert set(rated["grade"]) == set(order)


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


def test_help_lists_every_method_and_exit_code():
    from rating.aggregate import AGGREGATORS
    from rating.cli import INTERNAL, INTERRUPTED, NOT_RATED, _errors
    from rating.impute import IMPUTERS
    from rating.normalise import NORMALISERS
    from rating.treat import TREATMENTS

    score = parser()._subparsers._group_actions[0].choices["score"]
    helps = {a.dest: a.help for a in score._actions}
    for dest, registry in (("normalise", NORMALISERS), ("aggregate", AGGREGATORS), ("treat", TREATMENTS),
                           ("impute", IMPUTERS)):
        assert [m for m in registry.values() if m.usage not in helps[dest]] == [], dest
    codes = {0, NOT_RATED, INTERNAL, INTERRUPTED} | {cls.exit_code for cls in _errors()}
    shown = re.findall(r"(?:: |; )(\d+) ", parser().epilog)
    assert sorted(map(int, shown)) == sorted(codes)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Exit codes", 1)[1].split("\n\n", 2)[1]
    assert sorted(int(row.split("|")[1]) for row in table.splitlines()[2:]) == sorted(codes)


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


@pytest.mark.slow
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


# -- an evaluator's first real folder: validate, options, years, explain, score, the run summary --------

AS_OF = "2026-06-30"


@pytest.fixture
def debt_world(small_world, tmp_path) -> Path:
    """The small world with its debt table only among the record tables (fast to load and rate)."""
    d = tmp_path / "debt-only"
    d.mkdir()
    for name in ("units.csv", "unit_stats.csv", "debt.csv"):
        (d / name).write_bytes((small_world / name).read_bytes())
    return d


def test_validate_reports_coverage_and_what_can_be_computed(debt_world):
    r = rating_cli("validate", debt_world, "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "unit_stats" in out and "2021–2024" in out and "with rows" in out
    assert "absent: failure_records, complaints, contracts (optional tables" in out
    assert "fiscal capacity (综合财力): given in" in out
    assert "indicators: 3 of 15 can be computed" in out  # index indicators; auxiliary ones are not counted
    assert "fiscal (财政与债务 Fiscal and debt): 3 of 3, covered" in out
    assert "- complaints absent: complaint_ontime_rate" in out and "responsiveness" in out


def test_validate_without_fiscal_capacity_says_which_indicators_are_lost(debt_world):
    debt = pl.read_csv(debt_world / "debt.csv")
    debt.drop("fiscal_capacity").write_csv(debt_world / "debt.csv")
    r = rating_cli("validate", debt_world, "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    assert "debt: fiscal capacity neither given nor derivable in any row: debt_ratio\n" in r.stdout
    # derivable from the revenue columns: computable again
    debt.with_columns(
        general_budget_revenue=pl.col("fiscal_capacity") * 0.5, government_fund_revenue=pl.col("fiscal_capacity") * 0.3,
        transfers_received=pl.col("fiscal_capacity") * 0.2).drop("fiscal_capacity").write_csv(debt_world / "debt.csv")
    r = rating_cli("validate", debt_world, "--as-of", AS_OF)
    assert r.returncode == 0 and "indicators: 3 of 15" in r.stdout and "derived in" in r.stdout


def test_validate_warns_of_jumps_without_quarantining(debt_world):
    debt = pl.read_csv(debt_world / "debt.csv")
    unit = debt.sort("unit_id")["unit_id"][0]
    jump = (pl.col("unit_id") == unit) & (pl.col("year") == 2023)
    debt.with_columns(pl.when(jump).then(pl.col("debt_balance") * 10).otherwise("debt_balance")
                      .alias("debt_balance")).write_csv(debt_world / "debt.csv")
    stats = pl.read_csv(debt_world / "unit_stats.csv")  # every unit's population doubles in 2024
    stats.with_columns(pl.when(pl.col("year") == 2024).then(pl.col("population") * 2).otherwise("population")
                       .alias("population")).write_csv(debt_world / "unit_stats.csv")
    r = rating_cli("validate", debt_world, "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    debt_line = next(line for line in r.stdout.splitlines() if line.startswith("debt "))
    assert debt_line.split()[1:4] == [f"{debt.height:,}", f"{debt.height:,}", "0"]  # read, accepted, none quarantined
    lines = r.stderr.splitlines()
    assert lines[0].startswith("rating: warning: ") and "change by more than half" in lines[0]
    assert any(line.strip().startswith(f"debt_balance {unit} 2022 -> 2023: ") and "亿元" in line for line in lines)
    assert any(line.strip().startswith(f"debt_balance {unit} 2023 -> 2024: ") for line in lines)
    assert any(re.fullmatch(r"population \S+ 2023 -> 2024: [\d,]+ -> [\d,]+ \(\+\d+%\)", line.strip()) for line in lines)
    more = [line for line in lines if line.strip().startswith("population: ") and line.endswith(" more")]
    assert len(more) == 1  # the list is capped and says how many more
    assert len([line for line in lines if line.strip().startswith("population ")]) == 10
    r = rating_cli("validate", debt_world, "--as-of", AS_OF, "--quiet")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""


def test_validate_exits_1_when_nothing_can_be_rated(debt_world, tmp_path):
    fw = tmp_path / "fw.toml"
    fw.write_text(default_framework_path().read_text(encoding="utf-8")
                  + '\n[publication]\nrequired_tables = ["failure_records"]\n', encoding="utf-8")
    r = rating_cli("validate", debt_world, "--as-of", AS_OF, "--framework", fw)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1] == (
        f"rating: cannot rate {debt_world}: failure_records: required for publication by the framework, absent")
    (debt_world / "debt.csv").unlink()  # units and unit_stats only: no indicator
    r = rating_cli("validate", debt_world, "--as-of", AS_OF)
    assert r.returncode == 1
    assert r.stderr.strip() == f"rating: cannot rate {debt_world}: no indicator of the framework can be computed from these tables"
    units = pl.read_csv(debt_world / "units.csv")  # every unit quarantined
    units.with_columns(pl.lit("nowhere").alias("kind")).write_csv(debt_world / "units.csv")
    r = rating_cli("validate", debt_world, "--as-of", AS_OF)
    assert r.returncode == 1 and "units: no row accepted" in r.stderr and "no unit can be rated" in r.stderr


def test_global_options_before_or_after_the_command():
    p = parser()
    for argv in (["--quiet", "validate", "d"], ["validate", "d", "--quiet"], ["validate", "--quiet", "d"]):
        args = p.parse_args(argv)
        assert args.quiet and not args.debug and not args.verbose, argv
    args = p.parse_args(["--debug", "run", "d", "--verbose"])
    assert args.debug and args.verbose and not args.quiet
    for command in ("demo", "run", "synth", "init", "example", "validate", "score", "explain"):
        assert "--quiet" in p._subparsers._group_actions[0].choices[command].format_help(), command


def test_run_rates_only_the_years_asked_for(debt_world, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(debt_world), "--out", str(out), "--as-of", AS_OF, "--replications", "5",
                 "--years", "2023-2030"]) == 0
    scores = pl.read_csv(out / "scores.csv")
    assert sorted(scores["year"].unique()) == [2023, 2024]
    assert pl.read_csv(out / "indicators.csv")["year"].unique().sort().to_list() == [2023, 2024]
    printed = capsys.readouterr().out
    assert "over 2 years (2023-2024)" in printed and "None" not in printed
    assert "\nscope: covered fiscal" in printed and "not covered commitment, lawful, responsiveness" in printed
    assert "not official: " in printed
    r = rating_cli("run", debt_world, "--out", tmp_path / "o2", "--as-of", AS_OF, "--years", "2030-2031")
    assert r.returncode == 3 and "no row in the years asked for (2030-2031)" in r.stderr and "Traceback" not in r.stderr


def test_run_summary_counts_units_without_a_grade_as_not_rated(capsys):
    from indicators.framework_load import load_framework
    from rating.pipeline import Result

    scores = pl.DataFrame({"unit_id": ["a", "b", "c", "d", "a"], "year": [2025, 2025, 2025, 2025, 2024],
                           "grade": ["B", None, "A", None, "C"]})
    scope = {"covered": ["fiscal"], "not_covered": ["lawful"], "covered_weight": 0.2, "official": False,
             "reason_zh": "…", "reason_en": "the computable indicators carry 20% of the index weight"}
    _summary(Result(tables={"scores": scores, "alerts": pl.DataFrame()}, manifest={"scope": scope},
                    framework=load_framework(), out=Path("o")))
    lines = capsys.readouterr().out.splitlines()
    assert "2025: A: 1, B: 1, not rated: 2;" in lines[0] and "None" not in lines[0]
    assert lines[1] == ("scope: covered fiscal (20% of the index weight); not covered lawful; "
                        "not official: the computable indicators carry 20% of the index weight")
    _summary(Result(tables={"scores": scores, "alerts": pl.DataFrame()}, framework=load_framework(), out=Path("o"),
                    manifest={"scope": {**scope, "not_covered": [], "official": True, "covered_weight": 1.0}}))
    assert capsys.readouterr().out.splitlines()[1] == "scope: covered fiscal (100% of the index weight); official result"


def test_explain_names_numerator_and_denominator_and_formats_amounts(debt_world):
    r = rating_cli("explain", "440100", "debt_ratio", "--year", "2024", "--data", debt_world, "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    value, num, den = lines[1], lines[2], lines[3]
    assert value.split()[0] == "value" and value.split()[1].endswith("%")
    assert "(debt_balance / fiscal_capacity)" in value
    assert "亿元 (" in num and "债务余额 debt_balance" in num and "records" not in num
    assert "亿元 (" in den and "综合财力 fiscal_capacity" in den and "records" not in den
    assert not re.search(r"\d[.]?\d*e[+]?\d", r.stdout)  # no 8.2557e10
    debt = pl.read_csv(debt_world / "debt.csv", schema_overrides={"unit_id": pl.String})
    row = debt.filter((pl.col("unit_id") == "440100") & (pl.col("year") == 2024)).row(0, named=True)
    assert f"({row['debt_balance']:,.0f} 元)" in num and f"({row['fiscal_capacity']:,.0f} 元)" in den
    assert f"{row['debt_balance']:,.2f}" in r.stdout  # the record itself, with thousands separators
    expected = row["debt_balance"] / row["fiscal_capacity"] * 100
    assert float(value.split()[1].rstrip("%").replace(",", "")) == pytest.approx(expected, abs=0.006)


def _asem_panel(tmp_path) -> Path:
    """ASEM's iData as two years, the second with every indicator 1.5 times the first."""
    asem = Path(__file__).parent / "data" / "external" / "asem"
    idata = pl.read_csv(asem / "iData.csv")
    meta = pl.read_csv(asem / "iMeta.csv")
    codes = meta.filter(pl.col("Type") == "Indicator")["iCode"].to_list()
    later = idata.with_columns(pl.col("Time") + 1, *[pl.col(c).cast(pl.Float64) * 1.5 for c in codes])
    path = tmp_path / "iData.csv"
    pl.concat([idata.with_columns([pl.col(c).cast(pl.Float64) for c in codes]), later]).write_csv(path)
    return path


@pytest.mark.slow
def test_score_counts_unit_years_keeps_names_and_normalises_per_year_or_pooled(tmp_path):
    imeta = Path(__file__).parent / "data" / "external" / "asem" / "iMeta.csv"
    idata = _asem_panel(tmp_path)
    r = rating_cli("score", idata, imeta, "--out", tmp_path / "time")
    assert r.returncode == 0, r.stderr
    assert "scored 51 units over 2 time points (102 unit-years)" in r.stdout
    per_year = pl.read_csv(tmp_path / "time" / "scores.csv")
    assert per_year.columns[:3] == ["uCode", "uName", "Time"]
    assert per_year.filter(pl.col("uCode") == "AUT")["uName"].to_list() == ["Austria", "Austria"]
    # per time point, scaling every value leaves the scores as they were
    first, second = (per_year.filter(pl.col("Time") == t).sort("uCode") for t in sorted(per_year["Time"].unique()))
    assert first["Index"].to_list() == pytest.approx(second["Index"].to_list())
    assert rating_cli("score", idata, imeta, "--out", tmp_path / "pooled", "--normalise-over", "pooled").returncode == 0
    pooled = pl.read_csv(tmp_path / "pooled" / "scores.csv")
    first, second = (pooled.filter(pl.col("Time") == t).sort("uCode") for t in sorted(pooled["Time"].unique()))
    assert first["Index"].to_list() != pytest.approx(second["Index"].to_list())
    assert first["Index"].mean() < second["Index"].mean()  # pooled: the larger values score higher
    assert "--normalise-over" in rating_cli("score", "--help").stdout


def test_a_quiet_command_leaves_no_state_behind(tmp_path):
    """In-process calls (tests, notebooks): --quiet silences that command only."""
    from rating import progress

    assert main(["--quiet", "validate", str(tmp_path / "missing")]) != 0
    assert progress._state["quiet"] is False
    assert not [h for h in logging.getLogger("rating").handlers if h.get_name() == progress._HANDLER]
