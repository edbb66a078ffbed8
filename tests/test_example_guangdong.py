"""`rating example guangdong-debt`: the shipped real-data panel, its build, its data folder, and
a run of it through the command line.

tests/data/guangdong_debt_atlas.csv has the atlas file's header and its Guangdong rows (2018-2026)
with only the columns the build reads filled, plus two rows of other provinces.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import polars as pl
import pytest

from indicators.errors import OutputError, UsageError
from indicators.examples import write_example
from indicators.examples.build_guangdong_debt import PANEL, build, main as build_main
from rating.cli import main

ATLAS = Path(__file__).parent / "data" / "guangdong_debt_atlas.csv"
AS_OF = "2026-06-30"
CITIES = 21
YEARS = list(range(2018, 2026))


def _panel() -> pl.DataFrame:
    return pl.read_csv(PANEL, schema_overrides={"admin_code": pl.String})


def _read(path: Path) -> pl.DataFrame:
    # types from the whole file: the province's first years have no value at all in indicators.csv
    return pl.read_csv(path, schema_overrides={"unit_id": pl.String}, infer_schema_length=None)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example written and rated through the command line: (data folder, output folder)."""
    root = tmp_path_factory.mktemp("gd")
    data, out = root / "data", root / "out"
    assert main(["example", "guangdong-debt", str(data)]) == 0
    assert main(["--quiet", "run", str(data), "--out", str(out), "--replications", "20", "--as-of", AS_OF]) == 0
    return data, out


# -- the shipped panel and its build ---------------------------------------------------------------

def test_shipped_panel_is_what_the_build_produces(tmp_path):
    out = tmp_path / "panel.csv"
    assert build_main([str(ATLAS), "--out", str(out)]) == 0
    assert out.read_bytes() == PANEL.read_bytes()


def test_panel_holds_the_21_cities_2018_2025_in_yuan():
    p = _panel()
    assert p.columns == ["admin_code", "city_name", "year", "debt_balance", "debt_limit", "general_budget_revenue",
                         "government_fund_revenue", "population", "source_grade"]
    assert p["admin_code"].n_unique() == CITIES and p.height == CITIES * len(YEARS)
    assert p["admin_code"].str.starts_with("44").all() and sorted(p["year"].unique()) == YEARS
    assert set(p["source_grade"]) <= {"A1", "A2", "B2", "D"}
    gz = p.filter((pl.col("admin_code") == "440100") & (pl.col("year") == 2024)).row(0, named=True)
    # the atlas: 6482.84 亿元 balance, 1954.74 and 1281.75 亿元 revenue, 1897.80 万人
    assert (gz["debt_balance"], gz["general_budget_revenue"], gz["government_fund_revenue"], gz["population"]) == (
        648_284_000_000, 195_474_000_000, 128_175_000_000, 18_978_000)


def test_build_names_file_row_and_column_of_a_bad_figure(tmp_path):
    lines = ATLAS.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2403.79", "24O3.79")  # 广州市 2018, data row 2
    bad = tmp_path / "atlas.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 2, column statutory_debt_balance_100m: '24O3.79'"):
        build(bad)
    assert build_main([str(bad), "--out", str(tmp_path / "p.csv")]) == 3


# -- the data folder -------------------------------------------------------------------------------

@pytest.mark.integration
def test_data_folder_follows_the_contract(example):
    data, _ = example
    units, stats, debt = _read(data / "units.csv"), _read(data / "unit_stats.csv"), _read(data / "debt.csv")
    assert units.height == 1 + CITIES
    province = units.filter(pl.col("unit_id") == "440000").row(0, named=True)
    assert (province["kind"], province["level"], province["parent_id"]) == ("region", "province", None)
    cities = units.filter(pl.col("unit_id") != "440000")
    assert set(cities["level"]) == {"city"} and set(cities["parent_id"].cast(pl.String)) == {"440000"}
    assert sorted(stats["year"].unique()) == YEARS and "440000" not in set(stats["unit_id"])
    assert debt.columns == ["unit_id", "year", "debt_balance", "debt_limit", "general_budget_revenue",
                            "government_fund_revenue"]
    delivery = tomllib.loads((data / "delivery.toml").read_text(encoding="utf-8"))
    fiscal = delivery["fiscal_capacity"]
    assert fiscal["definition"] == "derived"
    assert fiscal["components"] == ["general_budget_revenue", "government_fund_revenue"]
    assert "转移支付" in fiscal["note_zh"] and "transfers" in fiscal["note_en"].lower()
    assert "chenfei2008c/china-local-debt-atlas" in (data / "README.md").read_text(encoding="utf-8")


def test_write_example_refuses_a_non_empty_folder_and_unknown_names(tmp_path):
    (tmp_path / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="--force"):
        write_example("guangdong-debt", tmp_path)
    assert len(write_example("guangdong-debt", tmp_path, force=True)) == 6
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "x"
    with pytest.raises(UsageError, match="guangdong-debt"):
        write_example("guangdong", tmp_path / "new")


# -- the run ---------------------------------------------------------------------------------------

@pytest.mark.integration
def test_first_unit_year_without_a_score_does_not_crash(example):
    """Regression: the grade column was built from an object array, which polars cannot cast when
    its first item is None (`ComputeError: cannot cast 'Object' type`, exit 70). Here the province,
    first in (unit_id, year) order, has no debt and no score; cities later have one."""
    _, out = example
    scores = _read(out / "scores.csv").sort("unit_id", "year")
    assert scores.row(0, named=True)["unit_id"] == "440000" and scores["score"][0] is None
    assert scores["score"].is_not_null().any() and scores["grade"].is_not_null().any()


@pytest.mark.integration
def test_first_city_year_without_debt_does_not_crash(tmp_path):
    """The same situation with cities only: the first city's 2018 has no debt row."""
    data, out = tmp_path / "data", tmp_path / "out"
    write_example("guangdong-debt", data)
    units = _read(data / "units.csv").filter(pl.col("unit_id") != "440000").with_columns(parent_id=pl.lit(None))
    units.write_csv(data / "units.csv")
    debt = _read(data / "debt.csv")
    debt.filter(~((pl.col("unit_id") == "440100") & (pl.col("year") == 2018))).write_csv(data / "debt.csv")
    assert main(["--quiet", "run", str(data), "--out", str(out), "--replications", "20", "--as-of", AS_OF]) == 0
    scores = _read(out / "scores.csv").sort("unit_id", "year")
    assert scores.row(0, named=True)["unit_id"] == "440100" and scores["score"][0] is None
    assert scores["score"].is_not_null().any()


@pytest.mark.integration
def test_the_21_cities_are_rated_in_the_years_of_the_data(example):
    _, out = example
    scores = _read(out / "scores.csv")
    cities = scores.filter(pl.col("unit_id") != "440000")
    assert cities["unit_id"].n_unique() == CITIES and cities.height == CITIES * len(YEARS)
    assert sorted(scores["year"].unique()) == YEARS  # no year outside the data
    # debt_limit_usage alone carries too little of the fiscal weight: a score needs a debt ratio
    ind = _read(out / "indicators.csv").filter((pl.col("indicator") == "debt_ratio") & pl.col("value").is_not_null())
    scored = cities.filter(pl.col("score").is_not_null())
    assert set(scored.select("unit_id", "year").iter_rows()) == set(ind.select("unit_id", "year").iter_rows())
    assert scored.height == 31 and scored["grade"].is_not_null().all()


@pytest.mark.integration
def test_debt_ratio_is_balance_over_budget_plus_fund_revenue(example):
    _, out = example
    ind = _read(out / "indicators.csv").filter(pl.col("indicator") == "debt_ratio")
    assert sorted(ind["year"].unique()) == YEARS
    got = {(u, y): v for u, y, v in ind.select("unit_id", "year", "value").iter_rows()}
    seen = 0
    for r in _panel().iter_rows(named=True):
        b, g, f = r["debt_balance"], r["general_budget_revenue"], r["government_fund_revenue"]
        want = None if g is None or f is None else float(b) / (float(g) + float(f))
        assert got[(r["admin_code"], r["year"])] == want, (r["admin_code"], r["year"])
        seen += want is not None
    assert seen == 31  # fund revenue was collected for 2024 and 2025 only
    assert got[("440000", 2024)] is None


@pytest.mark.integration
def test_manifest_says_fiscal_only_and_not_official(example):
    _, out = example
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    scope = manifest["scope"]
    assert scope["official"] is False and scope["reason_en"]
    assert scope["covered"] == ["fiscal"]
    assert set(scope["not_covered"]) == {"commitment", "lawful", "responsiveness"}
    fiscal = manifest["fiscal_capacity"]
    assert fiscal["definition"] == "derived" and fiscal["rows_derived"] == 31
    assert fiscal["rows_given"] == 0 and fiscal["rows_missing"] == CITIES * len(YEARS) - 31


def test_shipped_files_are_package_data():
    with open(Path(__file__).parents[1] / "pyproject.toml", "rb") as f:
        data = tomllib.load(f)["tool"]["setuptools"]["package-data"]["indicators.examples"]
    assert {"guangdong_debt/*.csv", "guangdong_debt/*.md"} <= set(data)
    assert (PANEL.parent / "SOURCE.md").is_file()
