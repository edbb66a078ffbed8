"""Chinese column names in headers, the missing-column message, and fiscal capacity by rule."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
import pytest

from indicators import contract
from indicators.compute import compute_indicators
from indicators.errors import InputError
from indicators.framework_load import load_framework
from indicators.load import load

TABLES = ("units", "unit_stats", "debt")
DOC = Path(__file__).parents[2] / "docs" / "input.md"


def zh_rows(rows: list[dict], table: str, only: set[str] | None = None) -> list[dict]:
    """`rows` keyed by the Chinese names of the columns (all, or those in `only`)."""
    zh = {c.name: c.zh for c in contract.TABLES[table].columns if only is None or c.name in only}
    return [{zh.get(k, k): v for k, v in row.items()} for row in rows]


def zh_header(table: str, only: set[str] | None = None) -> list[str]:
    return [c.zh if only is None or c.name in only else c.name for c in contract.TABLES[table].columns]


def staged(con, table: str) -> pl.DataFrame:
    return con.sql(f"SELECT * FROM {table}").pl()


@pytest.fixture(scope="module")
def english(kit, tmp_path_factory, con):
    folder = kit.write_world(tmp_path_factory.mktemp("english") / "data", tables=TABLES)
    load(folder, con, as_of=kit.AS_OF)
    return {t: staged(con, t) for t in TABLES}


# ---- Chinese column names -----------------------------------------------------------------------


def test_every_column_has_one_chinese_name_of_its_own():
    for table in contract.TABLES.values():
        names = [n for c in table.columns for n in (c.name, c.zh)]
        assert all(c.zh for c in table.columns), table.name
        assert len(set(names)) == len(names), table.name  # no alias names two columns


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "parquet-text"])
def test_chinese_headers_load_as_the_english_ones(fmt, kit, tmp_path, con, english):
    folder = kit.write_world(tmp_path / "data", fmt=fmt, tables=TABLES)
    for t in TABLES:
        if fmt.startswith("parquet"):  # native types (or text) under Chinese names
            path = folder / f"{t}.parquet"
            pl.read_parquet(path).rename({c.name: c.zh for c in contract.TABLES[t].columns}).write_parquet(path)
        else:
            kit.write_table(folder, t, zh_rows(kit.CLEAN[t], t), fmt, columns=zh_header(t))
    if fmt == "parquet":
        assert pl.read_parquet(folder / "debt.parquet").schema["债务余额"] == pl.Float64
    loaded = load(folder, con, as_of=kit.AS_OF)
    assert {t: c.quarantined for t, c in loaded.counts.items()} == {t: 0 for t in TABLES}
    assert loaded.extra_columns == {t: [] for t in TABLES}
    for t in TABLES:
        assert_frame_equal(staged(con, t), english[t], check_exact=True)


def test_chinese_headers_in_a_gbk_csv(kit, tmp_path, con, english):
    folder = kit.write_world(tmp_path / "data", tables=["unit_stats"])
    kit.write_table(folder, "units", zh_rows(kit.CLEAN["units"], "units"), encoding="gbk", columns=zh_header("units"))
    loaded = load(folder, con, as_of=kit.AS_OF)
    assert loaded.encodings["units"] == "gbk" and loaded.counts["units"].quarantined == 0
    assert_frame_equal(staged(con, "units"), english["units"], check_exact=True)


def test_unit_stats_xlsx_with_chinese_headers(kit, tmp_path, con, english):
    folder = kit.write_world(tmp_path / "data", tables=["units"])
    kit.write_table(folder, "unit_stats", zh_rows(kit.CLEAN["unit_stats"], "unit_stats"), "xlsx",
                    columns=zh_header("unit_stats"))
    assert zh_header("unit_stats") == ["单位代码", "年度", "常住人口", "工作人员数", "预算支出"]
    loaded = load(folder, con, as_of=kit.AS_OF)
    assert loaded.counts["unit_stats"].accepted == len(kit.CLEAN["unit_stats"])
    assert_frame_equal(staged(con, "unit_stats"), english["unit_stats"], check_exact=True)


def test_a_header_may_mix_english_and_chinese_names(kit, tmp_path, con, english):
    half = {"unit_id", "kind", "region_id"}
    folder = kit.write_world(tmp_path / "data", tables=["unit_stats"])
    kit.write_table(folder, "units", zh_rows(kit.CLEAN["units"], "units", half), columns=zh_header("units", half)
                    + ["备注"])
    loaded = load(folder, con, as_of=kit.AS_OF)
    assert loaded.counts["units"].quarantined == 0
    assert loaded.extra_columns["units"] == ["备注"]
    assert_frame_equal(staged(con, "units"), english["units"], check_exact=True)


def test_two_names_of_one_column_are_a_structural_problem(kit, tmp_path, con):
    folder = kit.write_world(tmp_path / "data", tables=["unit_stats"])
    header = [*contract.TABLES["units"].column_names, "单位代码"]
    kit.write_table(folder, "units", kit.CLEAN["units"], columns=header)
    with pytest.raises(InputError) as caught:
        load(folder, con, as_of=kit.AS_OF)
    assert caught.value.problems == ["units.csv: columns unit_id and 单位代码 both name column unit_id; keep one"]


def test_a_missing_column_names_what_was_found_and_the_closest(kit, tmp_path, con):
    folder = kit.write_world(tmp_path / "data", tables=["unit_stats"])
    header = ["代码", *zh_header("units")[1:]]
    rows = [{"代码": r["单位代码"], **r} for r in zh_rows(kit.CLEAN["units"], "units")]
    kit.write_table(folder, "units", rows, "xlsx", columns=header)
    with pytest.raises(InputError) as caught:
        load(folder, con, as_of=kit.AS_OF)
    assert caught.value.problems == [
        "units.xlsx: missing required column unit_id (单位代码); "
        "found: 代码, 名称, 英文名称, 类型, 层级, 上级单位代码, 所属地区代码; closest: 代码"
    ]


def test_a_misspelt_english_name_is_offered_and_unrelated_names_are_not(kit, tmp_path, con):
    folder = kit.write_world(tmp_path / "data", tables=["units"])
    kit.write_table(folder, "unit_stats", kit.CLEAN["unit_stats"], columns=["unitid", "period", "population", "staff",
                                                                             "budget"])
    with pytest.raises(InputError) as caught:
        load(folder, con, as_of=kit.AS_OF)
    assert caught.value.problems == [
        "unit_stats.csv: missing required column unit_id (单位代码); found: unitid, period, population, staff, budget; "
        "closest: unitid",
        "unit_stats.csv: missing required column year (年度); found: unitid, period, population, staff, budget",
    ]


def test_every_contract_column_is_documented_with_its_chinese_name():
    """docs/input.md lists every column: `name` | 中文 | type | required, under its table."""
    doc = DOC.read_text("utf-8")
    for table in contract.TABLES.values():
        section = doc.split(f"### `{table.name}`", 1)
        assert len(section) == 2, f"docs/input.md has no section ### `{table.name}`"
        rows = re.findall(r"^\| `(\w+)` \| (\S+) \| (\w+) \| (yes|no) \|", section[1].split("\n### ", 1)[0], re.M)
        expected = [(c.name, c.zh, c.type, "yes" if c.required else "no") for c in table.columns]
        assert rows == expected, table.name


# ---- fiscal capacity ----------------------------------------------------------------------------

A, B, T = "general_budget_revenue", "government_fund_revenue", "transfers_received"
DERIVED = '[fiscal_capacity]\ndefinition = "derived"\ncomponents = ["general_budget_revenue", "government_fund_revenue"]\n'


def debt_world(kit, folder: Path, rows: list[dict], delivery: str | None = None, columns=None) -> Path:
    kit.write_world(folder, tables=["units", "unit_stats"])
    kit.write_table(folder, "debt", rows, columns=columns)
    if delivery is not None:
        (folder / "delivery.toml").write_text(delivery, encoding="utf-8")
    return folder


def debt_rows(kit) -> list[dict]:
    """The clean debt rows: two with capacity given, two derivable from all three revenue
    columns, two with only general budget and fund revenue, two with nothing."""
    rows = [dict(r) for r in kit.CLEAN["debt"]]
    for i, row in enumerate(rows):
        if i >= 2:
            row["fiscal_capacity"] = None
        if 2 <= i < 6:
            row.update({A: 3.0e8 + i * 1e7, B: 2.5e8, T: 1.25e8 if i < 4 else None})
    return rows


def capacities(con, rows: list[dict]) -> list:
    """The staged capacity of each of `rows`, in their order."""
    got = {(u, y): c for u, y, c in con.execute("SELECT unit_id, year, fiscal_capacity FROM debt").fetchall()}
    assert len(got) == len(rows)
    return [got[(r["unit_id"], r["year"])] for r in rows]


def ratios(con) -> dict:
    """debt_ratio by (unit_id, year), as the default framework computes it."""
    ind = compute_indicators(con, load_framework(), {"units", "unit_stats", "debt"})
    ind = ind.filter(pl.col("indicator") == "debt_ratio")
    return {(u, y): v for u, y, v in ind.select("unit_id", "year", "value").iter_rows()}


def test_default_rule_takes_the_column_else_all_three_revenues(kit, tmp_path, con):
    rows = debt_rows(kit)
    loaded = load(debt_world(kit, tmp_path / "data", rows), con, as_of=kit.AS_OF)
    assert loaded.counts["debt"].quarantined == 0
    assert loaded.fiscal == {
        "definition": "default", "components": [A, B, T], "rows_given": 2, "rows_derived": 2, "rows_missing": 4,
        "text_zh": "综合财力 = 数据提供的综合财力（fiscal_capacity 列）；"
                   "未提供时 = 一般公共预算收入 + 政府性基金收入 + 上级转移支付收入",
        "text_en": "Fiscal capacity = the fiscal_capacity column where given, else general budget revenue + "
                   "government fund revenue + transfers received",
    }
    expected = [r["fiscal_capacity"] if i < 2 else r[A] + r[B] + r[T] if i < 4 else None for i, r in enumerate(rows)]
    assert capacities(con, rows) == expected
    got = ratios(con)
    for i, r in enumerate(rows):
        want = r["debt_balance"] / expected[i] if expected[i] is not None else None
        assert got[(r["unit_id"], r["year"])] == want  # exactly, and missing (not 0) without capacity


def test_declared_derived_rule_with_two_components(kit, tmp_path, con):
    rows = debt_rows(kit)
    delivery = DERIVED + 'note_zh = "未提供转移支付收入"\nnote_en = "Transfers not supplied"\n'
    loaded = load(debt_world(kit, tmp_path / "data", rows, delivery), con, as_of=kit.AS_OF)
    assert loaded.fiscal == {
        "definition": "derived", "components": [A, B], "rows_given": 0, "rows_derived": 4, "rows_missing": 4,
        "text_zh": "综合财力 = 一般公共预算收入 + 政府性基金收入（未含转移支付）。未提供转移支付收入",
        "text_en": "Fiscal capacity = general budget revenue + government fund revenue (transfers not included). "
                   "Transfers not supplied",
    }
    expected = [r[A] + r[B] if 2 <= i < 6 else None for i, r in enumerate(rows)]
    assert capacities(con, rows) == expected  # the given column is not what was declared: not used
    got = ratios(con)
    for i, r in enumerate(rows):
        assert got[(r["unit_id"], r["year"])] == (r["debt_balance"] / expected[i] if expected[i] else None)


def test_declared_given_rule(kit, tmp_path, con):
    rows = debt_rows(kit)
    loaded = load(debt_world(kit, tmp_path / "data", rows, '[fiscal_capacity]\ndefinition = "given"\n'), con,
                  as_of=kit.AS_OF)
    assert {k: loaded.fiscal[k] for k in ("definition", "components", "rows_given", "rows_derived", "rows_missing")} \
        == {"definition": "given", "components": [], "rows_given": 2, "rows_derived": 0, "rows_missing": 6}
    assert capacities(con, rows) == [r["fiscal_capacity"] for r in rows]


def test_debt_without_the_capacity_column_is_not_quarantined(kit, tmp_path, con):
    columns = [c for c in contract.TABLES["debt"].column_names if c not in ("fiscal_capacity", A, B, T)]
    loaded = load(debt_world(kit, tmp_path / "data", kit.CLEAN["debt"], columns=columns), con, as_of=kit.AS_OF)
    n = len(kit.CLEAN["debt"])
    assert (loaded.counts["debt"].accepted, loaded.counts["debt"].quarantined) == (n, 0)
    assert (loaded.fiscal["rows_given"], loaded.fiscal["rows_derived"], loaded.fiscal["rows_missing"]) == (0, 0, n)
    assert set(ratios(con).values()) == {None}


def test_a_declared_component_the_file_lacks_is_a_structural_problem(kit, tmp_path, con):
    columns = [c for c in contract.TABLES["debt"].column_names if c != B]
    with pytest.raises(InputError) as caught:
        load(debt_world(kit, tmp_path / "data", debt_rows(kit), DERIVED, columns), con, as_of=kit.AS_OF)
    assert caught.value.problems == [
        'debt.csv: missing column government_fund_revenue (政府性基金收入), which delivery.toml [fiscal_capacity] '
        'definition = "derived" needs'
    ]


def test_a_zero_sum_is_no_capacity(kit, tmp_path, con):
    rows = [dict(r, fiscal_capacity=None, **{A: 0.0, B: 0.0, T: 0.0}) for r in kit.CLEAN["debt"]]
    loaded = load(debt_world(kit, tmp_path / "data", rows), con, as_of=kit.AS_OF)
    assert loaded.fiscal["rows_missing"] == len(rows) and set(capacities(con, rows)) == {None}
