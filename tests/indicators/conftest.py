"""A tiny clean world in the input contract, and writers for every supported file format.

`CLEAN` holds each table as a list of rows (dicts of Python values). `write_world` writes it
as CSV (any supported encoding), Parquet (native types, or all text) or XLSX, so tests can
damage one value and check the outcome. No test depends on the synthetic generator.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import shutil
import tomllib
from pathlib import Path
from types import SimpleNamespace

import duckdb
import polars as pl
import pytest

from indicators import contract

AS_OF = dt.date(2024, 12, 31)
CORPUS = Path(__file__).parent / "corpus"
D = dt.date
T = dt.datetime

UNITS = [
    ("440000", "广东省", "Guangdong", "region", "province", None, "440000"),
    ("440100", "广州市", "Guangzhou", "region", "city", "440000", "440100"),
    ("440300", "深圳市", "Shenzhen", "region", "city", "440000", "440300"),
    ("440106", "天河区", "Tianhe", "region", "county", "440100", "440106"),
    ("440000-FIN", "广东省财政厅", None, "department", "province", "440000", "440000"),
    (
        "440100-DRC",
        "广州市发展和改革委员会",
        "Guangzhou DRC",
        "department",
        "city",
        "440100",
        "440100",
    ),
    (
        "440300-EDU",
        "深圳市教育局",
        "Shenzhen Education Bureau",
        "department",
        "city",
        "440300",
        "440300",
    ),
]
REGIONS = [u[0] for u in UNITS if u[3] == "region"]

CLEAN: dict[str, list[dict]] = {
    "units": [dict(zip(contract.TABLES["units"].column_names, u)) for u in UNITS],
    "unit_stats": [
        {
            "unit_id": u[0],
            "year": year,
            "population": 1_000_000.0 + i * 1000 + year,
            "staff": 500.0 + i,
            "budget": 2.5e9 + i * 1e7 if i % 3 else None,
        }
        for i, u in enumerate(UNITS)
        for year in (2022, 2023)
    ],
    "failure_records": [
        {
            "record_id": "F001",
            "unit_id": "440100",
            "category": "judgment_lost",
            "severity": 2,
            "occurred_on": D(2023, 3, 14),
            "amount": 120000.0,
            "status": "active",
            "status_changed_on": None,
            "description": "行政诉讼败诉",
        },
        {
            "record_id": "F002",
            "unit_id": "440100-DRC",
            "category": "broken_commitment",
            "severity": 1,
            "occurred_on": D(2022, 7, 1),
            "amount": None,
            "status": "rectified",
            "status_changed_on": D(2022, 12, 1),
            "description": None,
        },
        {
            "record_id": "F003",
            "unit_id": "440300",
            "category": "dishonest_debtor",
            "severity": 3,
            "occurred_on": D(2021, 5, 20),
            "amount": 5.5e6,
            "status": "repaired",
            "status_changed_on": D(2023, 1, 10),
            "description": "列入失信被执行人",
        },
        {
            "record_id": "F004",
            "unit_id": "440300-EDU",
            "category": "disciplinary",
            "severity": 2,
            "occurred_on": D(2024, 2, 29),
            "amount": None,
            "status": "under_objection",
            "status_changed_on": None,
            "description": "联系电话 13800000000",
        },
        {
            "record_id": "F005",
            "unit_id": "440106",
            "category": "administrative_penalty",
            "severity": 1,
            "occurred_on": D(2023, 11, 30),
            "amount": 0.0,
            "status": "revoked",
            "status_changed_on": D(2024, 1, 5),
            "description": '误报, "已撤销"',
        },
        {
            "record_id": "F006",
            "unit_id": "440000-FIN",
            "category": "online_service_shortfall",
            "severity": 1,
            "occurred_on": D(2024, 12, 31),
            "amount": None,
            "status": "active",
            "status_changed_on": None,
            "description": "多行\n描述",
        },
    ],
    "complaints": [
        {
            "ticket_id": f"T{i:04d}",
            "unit_id": UNITS[i % len(UNITS)][0],
            "received_at": T(2023, 1 + i % 12, 1 + i, 9, 30, i),
            "kind": ("complaint", "report", "consultation", "suggestion")[i % 4],
            "topic": ("噪音扰民", "道路维修", None)[i % 3],
            "due_at": T(2025, 1, 15, 17, 0)
            if i == 9
            else T(2023, 1 + i % 12, 1 + i, 9, 30) + dt.timedelta(days=15),
            "resolved_at": None if i % 5 == 4 else T(2023, 1 + i % 12, 2 + i, 10, 0),
            "satisfaction": (None, "satisfied", "basic", "dissatisfied")[i % 4]
            if i % 5 != 4
            else None,
            "repeat": i % 3 == 0,
        }
        for i in range(10)
    ],
    "debt": [
        {
            "unit_id": r,
            "year": year,
            "debt_balance": 1.0e9 * (k + 1),
            "debt_limit": 1.5e9 * (k + 1),
            "fiscal_capacity": 8.0e8 * (k + 1),
            "debt_service": 1.2e8,
            "overdue_amount": 0.0 if k else None,
            "disclosure_due": D(year + 1, 6, 30),
            "disclosed_on": D(year + 1, 6, 1) if year == 2022 else None,
        }
        for k, r in enumerate(REGIONS)
        for year in (2022, 2023)
    ],
    "contracts": [
        {
            "contract_id": "C001",
            "unit_id": "440100",
            "kind": "procurement",
            "signed_on": D(2022, 3, 1),
            "due_on": D(2022, 9, 1),
            "amount": 3.2e6,
            "fulfilled_on": D(2022, 8, 20),
            "status": "fulfilled",
            "arrears_amount": 0.0,
            "counterparty_sme": True,
        },
        {
            "contract_id": "C002",
            "unit_id": "440300",
            "kind": "ppp",
            "signed_on": D(2020, 1, 15),
            "due_on": D(2030, 1, 15),
            "amount": 8.0e8,
            "fulfilled_on": None,
            "status": "ongoing",
            "arrears_amount": None,
            "counterparty_sme": False,
        },
        {
            "contract_id": "C003",
            "unit_id": "440100-DRC",
            "kind": "investment_promotion",
            "signed_on": D(2021, 6, 1),
            "due_on": D(2023, 6, 1),
            "amount": None,
            "fulfilled_on": None,
            "status": "breached",
            "arrears_amount": 1.5e6,
            "counterparty_sme": True,
        },
        {
            "contract_id": "C004",
            "unit_id": "440106",
            "kind": "court_judgment",
            "signed_on": D(2023, 2, 2),
            "due_on": None,
            "amount": 45000.5,
            "fulfilled_on": D(2023, 5, 5),
            "status": "late",
            "arrears_amount": None,
            "counterparty_sme": None,
        },
    ],
}


def as_text(value) -> str:
    """A value as it appears in a CSV written by hand or by a spreadsheet export."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(path: Path, rows: list[dict], columns=None, encoding: str = "utf-8") -> Path:
    columns = list(columns or (rows[0].keys() if rows else []))
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([as_text(row.get(c)) for c in columns])
    return path


_POLARS = {
    "VARCHAR": pl.String,
    "BIGINT": pl.Int64,
    "DOUBLE": pl.Float64,
    "DATE": pl.Date,
    "TIMESTAMP": pl.Datetime("us"),
    "BOOLEAN": pl.Boolean,
}


def _frame(table: str, rows: list[dict], columns: list[str], text: bool) -> pl.DataFrame:
    known = {c.name: c.type for c in contract.TABLES[table].columns}
    schema = {c: pl.String if text or c not in known else _POLARS[known[c]] for c in columns}
    data = {c: [(as_text(r.get(c)) or None) if text else r.get(c) for r in rows] for c in columns}
    return pl.DataFrame(data, schema=schema)


def write_xlsx(path: Path, rows: list[dict], columns: list[str]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    book.save(path)
    return path


def write_table(
    folder: Path,
    table: str,
    rows: list[dict],
    fmt: str = "csv",
    encoding: str = "utf-8",
    columns: list[str] | None = None,
) -> Path:
    """Write one table as `<table>.<ext>`; fmt is csv, parquet, parquet-text or xlsx."""
    columns = list(columns or contract.TABLES[table].column_names)
    if fmt == "csv":
        return write_csv(folder / f"{table}.csv", rows, columns, encoding)
    if fmt.startswith("parquet"):
        path = folder / f"{table}.parquet"
        _frame(table, rows, columns, fmt == "parquet-text").write_parquet(path)
        return path
    if fmt == "xlsx":
        return write_xlsx(folder / f"{table}.xlsx", rows, columns)
    raise ValueError(fmt)


def write_world(
    folder: Path,
    world: dict[str, list[dict]] = CLEAN,
    fmt: str = "csv",
    encoding: str = "utf-8",
    tables=None,
    columns: dict[str, list[str]] | None = None,
) -> Path:
    """Write `world` into `folder`, one file per table; `columns` overrides a table's header."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables or world:
        write_table(folder, table, world[table], fmt, encoding, (columns or {}).get(table))
    return folder


def copy_world() -> dict[str, list[dict]]:
    return {t: [dict(r) for r in rows] for t, rows in CLEAN.items()}


def raw_bytes(text: str) -> bytes:
    """Corpus text with \\xNN escapes (and \\n) turned into raw bytes."""
    return codecs.escape_decode(text.encode("utf-8"))[0]


def corpus_cases(kind: str) -> list[dict]:
    """The [[kind]] cases of corpus/cases.toml (row, structural or variant)."""
    return tomllib.loads((CORPUS / "cases.toml").read_text("utf-8"))[kind]


def build_case(case: dict, folder: Path) -> Path:
    """Write the clean world with the one defect `case` describes (see corpus/cases.toml)."""
    world = copy_world()
    table = case.get("table")
    tables = ["units", "unit_stats", *case.get("tables", []), *([table] if table else [])]
    tables = [t for t in dict.fromkeys(tables) if t not in case.get("remove", [])]
    if "row" in case:
        world[table][case["row"]].update(case["set"])
    for add in case.get("add", []):
        world[table].append({**world[table][add["base"]], **add.get("set", {})})
    columns = {t: list(contract.TABLES[t].column_names) for t in tables}
    if "drop_column" in case:
        t, column = case["drop_column"]
        columns[t].remove(column)
    if "rename_column" in case:
        t, old, new = case["rename_column"]
        columns[t][columns[t].index(old)] = new
        for row in world[t]:
            row[new] = row.pop(old)
    fmt, encoding = case.get("format", "csv"), case.get("encoding", "utf-8")
    write_world(folder, world, fmt, encoding, tables, columns)
    if "raw" in case:
        with open(folder / f"{table}.csv", "ab") as fh:
            fh.write(raw_bytes(case["raw"]) + b"\n")
    if "header" in case:
        t, header = case["header"]
        path = folder / f"{t}.csv"
        lines = path.read_bytes().split(b"\n", 1)
        path.write_bytes(header.encode(encoding) + b"\n" + lines[1])
    if "also" in case:
        t, other = case["also"]
        write_table(folder, t, world[t], other)
    if "file" in case:
        name, content = case["file"]
        (folder / name).write_bytes(raw_bytes(content))
    if "corpus" in case:
        name, source = case["corpus"]
        shutil.copyfile(CORPUS / source, folder / name)
    return folder


def pytest_generate_tests(metafunc):
    """Parametrise `row_case`, `structural_case` and `variant_case` from corpus/cases.toml."""
    for kind in ("row", "structural", "variant"):
        name = f"{kind}_case"
        if name in metafunc.fixturenames:
            cases = corpus_cases(kind)
            metafunc.parametrize(name, cases, ids=[c["name"] for c in cases])


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers of this module, for tests (stateless, so safe to share with hypothesis)."""
    return SimpleNamespace(
        AS_OF=AS_OF,
        CLEAN=CLEAN,
        CORPUS=CORPUS,
        as_text=as_text,
        build_case=build_case,
        copy_world=copy_world,
        write_csv=write_csv,
        write_table=write_table,
        write_world=write_world,
    )


@pytest.fixture(scope="module")
def con():
    """One DuckDB connection per test module: `load` replaces every table it owns, and a
    connection costs more than loading a tiny world. One thread: the tables are tiny."""
    connection = duckdb.connect(config={"threads": 1})
    yield connection
    connection.close()


@pytest.fixture
def clean_dir(tmp_path) -> Path:
    return write_world(tmp_path / "data")
