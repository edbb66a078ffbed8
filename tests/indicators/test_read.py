"""Readers and the load entry point: structural problems, encodings, formats, outputs."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from indicators import contract, gb_text, read
from indicators.errors import FrameworkError, InputError
from indicators.lifecycle import Lifecycle, staging_view_sql
from indicators import load as load_module
from indicators.load import TableCounts, load, summary_table, write_quarantine
from indicators.validate import FLAG_CODES, checks, stage_sql

ALL_TABLES = list(contract.TABLES)


def table_rows(con, names) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in names}


@pytest.fixture(scope="module")
def clean_rows(tmp_path_factory, kit) -> dict[str, list[tuple]]:
    """The clean world as loaded from plain UTF-8 CSV: what every other variant must equal."""
    folder = kit.write_world(tmp_path_factory.mktemp("clean") / "data")
    with duckdb.connect(config={"threads": 1}) as con:
        load(folder, con, as_of=kit.AS_OF)
        return table_rows(con, ALL_TABLES)


# ---- the corpus -------------------------------------------------------------------------------


def test_structural_case(structural_case, kit, tmp_path, con):
    folder = kit.build_case(structural_case, tmp_path / "data")
    tables = "SELECT table_name, estimated_size FROM duckdb_tables() WHERE NOT temporary ORDER BY 1"
    before = con.execute(tables).fetchall()
    with pytest.raises(InputError) as caught:
        load(folder, con, as_of=kit.AS_OF)
    error = caught.value
    assert str(error).splitlines()[0] == f"data folder {folder} cannot be rated"
    assert error.exit_code == 3
    assert len(error.problems) == len(structural_case["expect"])
    for expected, problem in zip(structural_case["expect"], error.problems):
        assert problem.startswith(expected)
        assert "\n" not in problem
    assert con.execute(tables).fetchall() == before  # a refused folder changes nothing


def test_variant_case(variant_case, kit, tmp_path, con, clean_rows):
    case = {"tables": ALL_TABLES, **variant_case}
    loaded = load(kit.build_case(case, tmp_path / "data"), con, as_of=kit.AS_OF)
    assert {t: c.quarantined for t, c in loaded.counts.items()} == {t: 0 for t in ALL_TABLES}
    for table, encoding in case.get("encodings", {}).items():
        assert loaded.encodings[table] == encoding
    rows = table_rows(con, ALL_TABLES)
    if "units_gb18030" in str(case.get("corpus")):  # two names carry characters outside GBK
        rows["units"] = [
            clean_rows["units"][i] if i in (1, 3) else r for i, r in enumerate(rows["units"])
        ]
    assert rows == clean_rows


@pytest.mark.parametrize("fmt", ["csv", "parquet", "parquet-text", "xlsx"])
def test_clean_world_validates_in_every_format(fmt, kit, tmp_path, con, clean_rows):
    loaded = load(kit.write_world(tmp_path / "data", fmt=fmt), con, as_of=kit.AS_OF)
    assert loaded.present == tuple(ALL_TABLES)
    for table in ALL_TABLES:
        n = len(kit.CLEAN[table])
        assert loaded.counts[table] == TableCounts(read=n, accepted=n, quarantined=0)
        assert loaded.quarantine[table].height == 0
    assert table_rows(con, ALL_TABLES) == clean_rows
    for table in ALL_TABLES:
        described = con.execute(f"DESCRIBE {table}").fetchall()
        assert [(c[0], c[1]) for c in described] == [
            (c.name, c.type) for c in contract.TABLES[table].columns
        ]


# ---- encodings --------------------------------------------------------------------------------


def test_chinese_text_after_a_long_ascii_stretch_is_detected(tmp_path):
    path = tmp_path / "units.csv"
    ascii_part = "unit_id,name\n" + "440100,Guangzhou\n" * 80_000  # ~1.4 MB
    path.write_bytes(ascii_part.encode() + "440300,深圳市\n".encode("gbk") * 50)
    assert read.detect_encoding(path) == "gbk"


def test_a_long_ascii_file_is_utf8(tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"unit_id,name\n" + b"440100,Guangzhou\n" * 200_000)  # ~3.4 MB
    assert read.detect_encoding(path) == "utf-8"


UNITS_HEADER = "unit_id,name,name_en,kind,level,parent_id,region_id\n"


def units_file(path: Path, names: list[str], encoding: str, rows: int = 4) -> Path:
    """A units CSV whose only non-ASCII text is `names`, repeated over `rows` rows."""
    lines = [f"44{i:04d},{names[i % len(names)]},X,region,city,440000,440100\n" for i in range(rows)]
    path.write_bytes((UNITS_HEADER + "".join(lines)).encode(encoding))
    return path


@pytest.mark.parametrize("name", ["杭州市", "武汉市", "广州市", "番禺区", "市场监督管理局", "鑫垚公司"])
@pytest.mark.parametrize("rows", [1, 3, 12])
def test_one_short_gbk_name_repeated_is_gbk(name, rows, tmp_path):
    """charset-normalizer alone guessed cp932 or johab for 杭州市 and 武汉市 and refused them."""
    assert read.detect_encoding(units_file(tmp_path / "units.csv", [name], "gbk", rows)) == "gbk"


def test_a_units_file_with_one_gbk_name_loads_that_name(tmp_path, kit, con):
    world = kit.copy_world()
    for row in world["units"]:
        row["name"] = "武汉市"
    folder = kit.write_world(tmp_path / "data", world)
    kit.write_csv(folder / "units.csv", world["units"], contract.TABLES["units"].column_names, "gbk")
    loaded = load(folder, con, as_of=kit.AS_OF)
    assert loaded.encodings["units"] == "gbk"
    assert con.execute("SELECT DISTINCT name FROM units").fetchall() == [("武汉市",)]


@pytest.mark.parametrize("name", ["刘䶮", "广州𠀀市"])  # U+4DAE (extension A), U+20000 (B)
def test_a_name_with_a_gb18030_only_character_is_gb18030(name, tmp_path, kit, con):
    world = kit.copy_world()
    for row in world["units"]:
        row["name"] = name
    folder = kit.write_world(tmp_path / "data", world)
    path = kit.write_csv(
        folder / "units.csv", world["units"], contract.TABLES["units"].column_names, "gb18030"
    )
    assert read.detect_encoding(path) == "gb18030"
    load(folder, con, as_of=kit.AS_OF)
    assert con.execute("SELECT DISTINCT name FROM units").fetchall() == [(name,)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
@pytest.mark.parametrize("name", ["杭州市", "武汉市", "Zoë"])
def test_utf8_with_or_without_bom_wins_over_gb(encoding, name, tmp_path):
    path = units_file(tmp_path / "units.csv", [name], encoding)
    assert read.detect_encoding(path) == encoding


@pytest.mark.parametrize(
    ("encoding", "names"),
    [
        ("cp1252", ["São Paulo"]),
        ("cp1252", ["Ação Social"]),  # ça decodes as one GB2312 level-2 hanzi
        ("cp1252", ["Müller GmbH", "Straße", "Crème brûlée", "Señor"]),
        ("latin-1", ["Cantão", "Região", "Província"]),
        ("shift_jis", ["東京都"]),
        ("shift_jis", ["さいたま市", "横浜市役所", "カタカナ"]),
        ("big5", ["臺北市政府"]),
        ("big5", ["臺北市", "新北市", "國家發展委員會", "廣州市"]),
    ],
)
def test_latin1_shift_jis_and_big5_are_not_read_as_chinese(encoding, names, tmp_path):
    data = units_file(tmp_path / "units.csv", names, encoding).read_bytes()
    first = next(i for i, byte in enumerate(data) if byte >= 0x80)
    with pytest.raises(read.Unreadable) as caught:
        read.detect_encoding(tmp_path / "units.csv")
    assert str(caught.value).startswith(
        f"cannot be decoded as UTF-8, GBK or GB18030 (byte 0x{data[first]:02X} at offset {first} is not UTF-8;"
    )


def test_the_refusal_names_the_file_and_the_offset_past_an_ascii_stretch(tmp_path, kit, con):
    """Many ASCII lines around a few Latin-1 ones must not dilute the evidence either."""
    folder = kit.write_world(tmp_path / "data")
    ascii_part = (UNITS_HEADER + "440100,Guangzhou,X,region,city,440000,440100\n" * 30_000).encode()
    latin = "440300,São Paulo,X,region,city,440000,440300\n".encode("cp1252")
    (folder / "units.csv").write_bytes(ascii_part + latin * 20 + ascii_part[len(UNITS_HEADER) :])
    with pytest.raises(InputError) as caught:
        load(folder, con, as_of=kit.AS_OF)
    offset = len(ascii_part) + len("440300,S")
    assert len(ascii_part) > read.SAMPLE_BYTES  # the sample starts past the ASCII stretch
    assert caught.value.problems[0].startswith(
        f"units.csv: cannot be decoded as UTF-8, GBK or GB18030 (byte 0xE3 at offset {offset:,} is not UTF-8"
    )


def test_a_stray_quote_before_the_header_is_one_line_of_problem(tmp_path, kit, con):
    folder = kit.write_world(tmp_path / "data")
    (folder / "units.csv").write_bytes(b'"' + (folder / "units.csv").read_bytes())
    with pytest.raises(InputError) as caught:
        load(folder, con, as_of=kit.AS_OF)
    assert caught.value.problems == [
        "units.csv: the header row holds a line break inside quotes: check for a stray quote"
    ]


@pytest.mark.parametrize(
    ("text", "chinese"),
    [
        ("广州市（本级）、深圳市·南山区，“阳光”公司；二〇二三年①", True),
        ("禅城区", True),  # one level-2 hanzi in three
        ("鑫垚公司", True),  # a level-2 and a GBK-only hanzi in four
        ("张喆", True),  # a GBK-only hanzi in two
        ("𠀀", True),  # four bytes in GB18030: no other encoding yields them by chance
        ("婧媛", False),  # only level-2 hanzi: left to charset-normalizer
        ("Guangzhou", False),  # no hanzi at all
        ("玢", False),  # a lone level-2 hanzi, as cp1252 "çã" decodes
        ("搶嫗搒", False),  # GBK-only hanzi, as Shift-JIS 東京都 decodes
        ("市场ア", False),  # kana
        ("市场\ue000", False),  # private use
        ("市场\x07", False),  # a control character
    ],
)
def test_plausibly_chinese(text, chinese):
    assert gb_text.plausibly_chinese(text) is chinese


def test_transcoding_is_exact_across_chunk_boundaries(tmp_path, monkeypatch, kit):
    text = "".join(f"{i},广州市{i}号𠀀\n" for i in range(300))
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("gb18030"))
    monkeypatch.setattr(read, "CHUNK_BYTES", 7)
    source = read.Source("units", path, "csv", ["unit_id", "name"], encoding="gb18030")
    source.prepare(tmp_path)
    assert source.read_path.read_text("utf-8") == text


def test_bom_and_gbk_headers_are_clean(tmp_path, kit):
    for encoding in ("utf-8-sig", "gbk"):
        path = kit.write_csv(
            tmp_path / f"units-{encoding}.csv",
            kit.CLEAN["units"],
            contract.TABLES["units"].column_names,
            encoding,
        )
        with duckdb.connect(config={"threads": 1}) as con:
            source = read.open_source(con, "units", path)
        assert source.header == list(contract.TABLES["units"].column_names)
        assert source.problems() == []


# ---- values as written by people and spreadsheets ---------------------------------------------


def test_spreadsheet_cells_of_any_type_are_read_as_the_contract_says(tmp_path, kit, con):
    world = kit.copy_world()
    world["unit_stats"][0]["year"] = 2022.0  # a float cell holding a whole number
    world["units"][1]["unit_id"] = 440100  # an id typed as a number
    world["contracts"][0]["signed_on"] = dt.datetime(2022, 3, 1)  # a date cell at midnight
    world["complaints"][0]["repeat"] = "是"
    folder = kit.write_world(tmp_path / "data", world, fmt="xlsx")
    loaded = load(folder, con, as_of=kit.AS_OF)
    assert sum(c.quarantined for c in loaded.counts.values()) == 0
    assert con.execute("SELECT signed_on FROM contracts WHERE contract_id = 'C001'").fetchall() == [
        (dt.date(2022, 3, 1),)
    ]


def test_timestamps_with_an_offset_are_converted_to_china_time(tmp_path, kit, con):
    world = kit.copy_world()
    rows = world["complaints"]
    rows[0]["received_at"] = "2023-01-01T01:30:00Z"
    rows[1]["received_at"] = "2023-02-02T09:30:01+08:00"
    rows[2]["received_at"] = "2023-03-02T20:30:02-0500"
    rows[3]["received_at"] = "2023-04-04 09:30"
    kit.write_world(tmp_path / "data", world, tables=["units", "unit_stats", "complaints"])
    load(tmp_path / "data", con, as_of=kit.AS_OF)
    got = [
        r[0]
        for r in con.execute(
            "SELECT received_at FROM complaints ORDER BY ticket_id LIMIT 4"
        ).fetchall()
    ]
    assert got == [
        dt.datetime(2023, 1, 1, 9, 30),
        dt.datetime(2023, 2, 2, 9, 30, 1),
        dt.datetime(2023, 3, 3, 9, 30, 2),
        dt.datetime(2023, 4, 4, 9, 30),
    ]


def test_spaces_and_boolean_spellings(tmp_path, kit, con):
    world = kit.copy_world()
    world["failure_records"][0].update(status=" active\u3000", severity=" 2 ")
    world["contracts"][1]["counterparty_sme"] = "否"
    world["contracts"][2]["counterparty_sme"] = "Yes"
    kit.write_world(
        tmp_path / "data", world, tables=["units", "unit_stats", "failure_records", "contracts"]
    )
    loaded = load(tmp_path / "data", con, as_of=kit.AS_OF)
    assert sum(c.quarantined for c in loaded.counts.values()) == 0
    assert con.execute("SELECT status, severity FROM failure_records LIMIT 1").fetchall() == [
        ("active", 2)
    ]
    assert con.execute("SELECT counterparty_sme FROM contracts").fetchall() == [
        (True,),
        (False,),
        (True,),
        (None,),
    ]


def test_extra_and_missing_optional_columns(tmp_path, kit, con):
    folder = kit.write_world(tmp_path / "data", tables=["units", "unit_stats"])
    columns = [c for c in contract.TABLES["contracts"].column_names if c != "arrears_amount"]
    rows = [{**r, "remark": "备注"} for r in kit.CLEAN["contracts"]]
    kit.write_csv(folder / "contracts.csv", rows, [*columns, "remark"])
    kit.write_csv(folder / "debt.csv", [], contract.TABLES["debt"].column_names)  # header only
    loaded = load(folder, con, as_of=kit.AS_OF)
    assert loaded.extra_columns["contracts"] == ["remark"]
    assert loaded.counts["debt"] == TableCounts(0, 0, 0)
    assert con.execute("SELECT count(arrears_amount), count(*) FROM contracts").fetchall() == [
        (0, 4)
    ]
    assert "remark" not in [c[0] for c in con.execute("DESCRIBE contracts").fetchall()]
    assert loaded.present == ("units", "unit_stats", "debt", "contracts")


@pytest.mark.parametrize("numbered", [False, True], ids=["rowid", "row_number"])
def test_row_numbers_count_rows_the_parser_rejected(numbered, tmp_path, kit, con, monkeypatch):
    if numbered:  # the fallback for a plan that would not keep file order
        monkeypatch.setattr(load_module, "_keeps_file_order", lambda con, stage: False)
    folder = kit.write_world(tmp_path / "data", tables=["units", "unit_stats"])
    cols = contract.TABLES["failure_records"].column_names
    good = [kit.as_text(v) for v in kit.CLEAN["failure_records"][0].values()]
    lines = [",".join(cols)]
    lines.append(",".join(["F1", *good[1:]]))
    lines.append("F2,440100,too,few")
    lines.append(",".join(["F3", *good[1:-1], '"two\nlines"']))
    lines.append("F4,oops")
    lines.append(",".join(["F5", *good[1:3], "9", *good[4:]]))
    lines.append(",".join(["F1", *good[1:]]))
    (folder / "failure_records.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load(folder, con, as_of=kit.AS_OF)
    frame = loaded.quarantine["failure_records"]
    assert frame.select("row", "reason").rows() == [
        (2, "malformed_row"),
        (4, "malformed_row"),
        (5, "out_of_range"),
        (6, "duplicate_row"),
    ]
    assert "exact copy of row 1" in frame["detail"][3]
    assert loaded.counts["failure_records"] == TableCounts(read=6, accepted=2, quarantined=4)


def test_blank_lines_are_not_rows_even_around_rejected_rows(tmp_path, kit, con):
    folder = kit.write_world(tmp_path / "data", tables=["units", "unit_stats"])
    cols = contract.TABLES["failure_records"].column_names
    good = [kit.as_text(v) for v in kit.CLEAN["failure_records"][0].values()]
    row = lambda rid, severity="2": ",".join([rid, *good[1:3], severity, *good[4:]])  # noqa: E731
    lines = [
        ",".join(cols),
        row("F1"),
        "",
        "F2,440100",
        "",
        "",
        row("F3"),
        row("F4", "9"),
        row("F5"),
    ]
    (folder / "failure_records.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load(folder, con, as_of=kit.AS_OF)
    frame = loaded.quarantine["failure_records"]
    assert frame.select("row", "reason").rows() == [(2, "malformed_row"), (4, "out_of_range")]
    assert loaded.counts["failure_records"] == TableCounts(read=5, accepted=3, quarantined=2)


def test_the_staging_query_keeps_file_order_for_every_table(kit, tmp_path):
    """Row numbers are row ids only if DuckDB plans the staging query as a batch insert;
    otherwise the load falls back to numbering rows on one thread (slower, still exact)."""
    folder = kit.write_world(tmp_path / "data")
    con = duckdb.connect(config={"threads": 4})  # a single thread needs no batch insert
    for table in ALL_TABLES:
        source = read.open_source(con, table, folder / f"{table}.csv")
        source.prepare(tmp_path)
        rules = checks(source, kit.AS_OF)
        stage = stage_sql(
            source, f"probe_{table}", source.scan_sql("probe_rejects", False), rules, False
        )
        assert load_module._keeps_file_order(con, stage), table


# ---- outputs ----------------------------------------------------------------------------------


def test_quarantine_files_summary_and_hashes(tmp_path, kit, con):
    world = kit.copy_world()
    world["complaints"][3]["kind"] = "praise"
    world["complaints"][1]["satisfaction"] = "meh"
    folder = kit.write_world(tmp_path / "data", world)
    loaded = load(folder, con, as_of=kit.AS_OF)
    written = write_quarantine(loaded, tmp_path / "out")
    assert written == [tmp_path / "out" / "quarantine" / "complaints.csv"]
    text = written[0].read_text("utf-8")
    assert text.splitlines()[0] == ",".join(
        ["row", *contract.TABLES["complaints"].column_names, "reason", "detail"]
    )
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["2", "4"]
    write_quarantine(loaded, tmp_path / "again")
    assert (tmp_path / "again" / "quarantine" / "complaints.csv").read_text("utf-8") == text
    summary = summary_table(loaded)
    assert re.search(r"complaints\s+10\s+8\s+2", summary)
    assert re.search(r"bad_enum\s+2", summary)
    for table, path in loaded.files.items():
        assert loaded.sha256[table] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_load_keeps_the_connection_settings_and_can_run_twice(kit, clean_dir, con):
    con.execute("SET preserve_insertion_order = false")
    load(clean_dir, con, as_of=kit.AS_OF)
    loaded = load(clean_dir, con, as_of=kit.AS_OF)
    setting = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    con.execute("SET preserve_insertion_order = true")
    assert setting == [(False,)]
    assert loaded.counts["units"].accepted == len(kit.CLEAN["units"])
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert names == set(ALL_TABLES)


def test_not_a_folder(tmp_path, con, kit):
    with pytest.raises(InputError, match="not a folder"):
        load(tmp_path / "missing", con, as_of=kit.AS_OF)


# ---- the staged failure records ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lifecycle", "expected"),
    [
        (
            Lifecycle(),
            {
                "F002": (True, False, 0.5, None),
                "F003": (True, False, 1.0, dt.date(2023, 1, 10)),
                "F004": (False, True, 0.0, None),
                "F005": (False, False, 0.0, None),
            },
        ),
        (
            Lifecycle(
                rectified_weight=1.0,
                count_repaired_after_repair=True,
                count_under_objection=True,
                count_revoked=True,
            ),
            {
                "F002": (True, False, 1.0, None),
                "F003": (True, False, 1.0, None),
                "F004": (True, True, 1.0, None),
                "F005": (True, False, 1.0, None),
            },
        ),
    ],
)
def test_staged_failure_records(lifecycle, expected, kit, clean_dir, con):
    load(clean_dir, con, as_of=kit.AS_OF, lifecycle=lifecycle)
    rows = con.execute(
        "SELECT record_id, counting, pending, weight, counts_until FROM stg_failure_records"
    ).fetchall()
    got = {r[0]: r[1:] for r in rows}
    assert {k: got[k] for k in expected} == expected
    assert got["F001"] == (True, False, 1.0, None)
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE table_name = 'stg_failure_records'"
        ).fetchall()
    )
    assert [types[c] for c in ("counting", "pending", "weight", "counts_until")] == [
        "BOOLEAN",
        "BOOLEAN",
        "DOUBLE",
        "DATE",
    ]


def test_a_discount_outside_0_1_is_refused():
    with pytest.raises(FrameworkError, match="rectified_weight"):
        staging_view_sql(Lifecycle(rectified_weight=1.5))


# ---- documentation ----------------------------------------------------------------------------


def test_every_reason_code_and_structural_message_is_documented(kit):
    doc = (Path(__file__).parents[2] / "docs" / "input.md").read_text("utf-8")
    codes = {"malformed_row", "bad_encoding", *FLAG_CODES}
    for table in contract.TABLES:
        header = list(contract.TABLES[table].column_names)
        source = read.Source(table, Path(f"{table}.csv"), "csv", header, encoding="gbk")
        codes |= {check.code for check in checks(source, kit.AS_OF)}
    missing = sorted(code for code in codes if f"`{code}`" not in doc)
    assert not missing, f"reason codes missing from docs/input.md: {missing}"
    messages = [
        "required table missing",
        "more than one file",
        "missing required column",
        "appears",
        "file is empty",
        "encoded as UTF-16",
        "cannot be decoded as UTF-8, GBK or GB18030",
        "cannot be read as Parquet",
        "cannot be read as an Excel workbook",
    ]
    assert [m for m in messages if m not in doc] == []


def test_a_second_load_leaves_no_table_of_the_first(kit, clean_dir, tmp_path, con):
    load(clean_dir, con, as_of=kit.AS_OF)
    smaller = kit.write_world(tmp_path / "smaller", tables=["units", "unit_stats", "debt"])
    load(smaller, con, as_of=kit.AS_OF)
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    views = con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall()
    assert names == {"units", "unit_stats", "debt"} and views == [(0,)]
