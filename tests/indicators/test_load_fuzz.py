"""Random damage to good files: `load` never crashes, and every row read is accounted for.

Value damage rewrites a few cells of the clean world with hostile text (in CSV, Parquet or XLSX):
the load must succeed, read exactly the rows written, and stage only rows that satisfy the
contract. Byte damage flips, inserts and deletes bytes of a file: the load either stops with a
structural `InputError` or reconciles its counts.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indicators import contract
from indicators.errors import InputError
from indicators.load import load
from indicators.read import Source, sql_ident
from indicators.validate import FLAG_CODES, checks

AS_OF = dt.date(2024, 12, 31)
TABLES = list(contract.TABLES)
FUZZ = settings(max_examples=15, deadline=None)
pytestmark = pytest.mark.slow  # many damaged copies of a world, loaded one by one


def documented_reasons() -> set[str]:
    codes = {"malformed_row", "bad_encoding", *FLAG_CODES}
    for table in TABLES:
        source = Source(
            table, Path(f"{table}.csv"), "csv", list(contract.TABLES[table].column_names), "gbk"
        )
        codes |= {check.code for check in checks(source, AS_OF)}
    return codes


REASONS = documented_reasons()
SPECIAL = [
    "",
    " ",
    "NaN",
    "-inf",
    "1e309",
    "-0",
    "0",
    "4",
    "2024-02-30",
    "1989-12-31",
    "2025-01-01",
    "2024-12-31T23:59:59+07:00",
    "99999999999999999999",
    "../x",
    "440100",
    "440100-DRC",
    "440300-EDU",
    "yes",
    "是",
    '"',
    ",",
    "a,b",
    'x"y',
    "\n",
    "line\r\nbreak",
    "active",
    "repaired",
    "region",
    "department",
    "\u3000",
]
TEXT = st.text(
    alphabet=st.sampled_from(list("0123456789-:.,\"' \n\tTZ+eaé广州市") + ["\u3000"]), max_size=12
)
VALUES = st.one_of(st.sampled_from(SPECIAL), TEXT)


@st.composite
def cell(draw):
    table = draw(st.sampled_from(TABLES))
    row = draw(st.integers(0, 20))  # taken modulo the number of clean rows
    column = draw(st.sampled_from(contract.TABLES[table].column_names))
    return table, row, column, draw(VALUES)


def contract_violations(con, table: str) -> list[str]:
    """SQL conditions of the contract that some accepted row of `table` breaks."""
    spec = contract.TABLES[table]
    tests = []
    for c in spec.columns:
        col = sql_ident(c.name)
        if c.required:
            tests.append(f"{col} IS NULL")
        if c.enum:
            tests.append(f"{col} NOT IN ({', '.join(repr(v) for v in c.enum)})")
        if c.pattern:
            tests.append(f"NOT regexp_full_match({col}, '{c.pattern}')")
        if c.money:
            tests.append(f"{col} < 0 OR NOT isfinite({col})")
        if c.event_date:
            tests.append(f"{col} < DATE '1990-01-01' OR CAST({col} AS DATE) > DATE '{AS_OF}'")
        if c.min_value is not None:
            tests.append(f"{col} NOT BETWEEN {c.min_value} AND {c.max_value}")
        if c.refers_to and table != "units":
            tests.append(f"{col} NOT IN (SELECT unit_id FROM units)")
    if table == "units":
        tests.append("parent_id IS NOT NULL AND parent_id NOT IN (SELECT unit_id FROM units)")
    key = ", ".join(sql_ident(k) for k in spec.key)
    tests.append("_copies > 1")  # a key repeated
    counted = ", ".join(f"count(*) FILTER (WHERE {t})" for t in tests)
    copies = f"count(*) OVER (PARTITION BY {key}) AS _copies"
    found = con.execute(f"SELECT {counted} FROM (SELECT *, {copies} FROM {table})").fetchall()[0]
    return [t for t, n in zip(tests, found, strict=True) if n]


def check_reconciled(con, loaded, expected_read=None) -> None:
    for table in loaded.present:
        counts, frame = loaded.counts[table], loaded.quarantine[table]
        assert counts.read == counts.accepted + counts.quarantined
        assert frame.height == counts.quarantined
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == counts.accepted
        assert set(frame["reason"]) <= REASONS
        assert frame["detail"].null_count() == 0
        rows = frame["row"].to_list()
        assert len(set(rows)) == len(rows) and all(1 <= r <= counts.read for r in rows)
        if expected_read is not None:
            assert counts.read == expected_read[table]
        assert contract_violations(con, table) == []


@FUZZ
@given(
    damage=st.lists(cell(), min_size=1, max_size=4),
    fmt=st.sampled_from(["csv", "parquet-text", "xlsx"]),
)
def test_value_damage_is_quarantined_never_staged(kit, con, damage, fmt):
    world = kit.copy_world()
    for table, row, column, value in damage:
        world[table][row % len(world[table])][column] = value
    tables = list(dict.fromkeys(["units", "unit_stats", *(d[0] for d in damage)]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = kit.write_world(Path(tmp) / "data", world, fmt=fmt, tables=tables)
        loaded = load(folder, con, as_of=AS_OF)
        check_reconciled(con, loaded, {t: len(world[t]) for t in tables})


@st.composite
def byte_edits(draw):
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "repeat_line"]))
        edits.append((kind, draw(st.floats(0, 1)), draw(st.binary(min_size=1, max_size=3))))
    return edits


def apply_edits(data: bytes, edits) -> bytes:
    for kind, where, blob in edits:
        at = int(where * len(data))
        if kind == "insert":
            data = data[:at] + blob + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(blob) :]
        elif kind == "replace":
            data = data[:at] + blob + data[at + len(blob) :]
        elif kind == "truncate":
            data = data[:at]
        else:
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            line = data[start : end + 1] if end >= 0 else data[start:] + b"\n"
            data = data[:start] + line + data[start:]
    return data


@FUZZ
@given(
    table=st.sampled_from(TABLES),
    fmt=st.sampled_from(["csv", "csv-gbk", "parquet", "xlsx"]),
    edits=byte_edits(),
)
# a workbook whose central directory asks for a zip version Python cannot read
@example(table="units", fmt="xlsx", edits=[("replace", 0.9375, b"\x00\x00@")])
def test_byte_damage_stops_cleanly_or_reconciles(kit, con, table, fmt, edits):
    tables = list(dict.fromkeys(["units", "unit_stats", table]))
    encoding = "gbk" if fmt == "csv-gbk" else "utf-8"
    fmt = fmt.removesuffix("-gbk")
    with tempfile.TemporaryDirectory() as tmp:
        folder = kit.write_world(Path(tmp) / "data", fmt=fmt, encoding=encoding, tables=tables)
        path = folder / f"{table}.{fmt}"
        path.write_bytes(apply_edits(path.read_bytes(), edits))
        try:
            loaded = load(folder, con, as_of=AS_OF)
        except InputError as error:
            assert error.problems and all("\n" not in p for p in error.problems)
            return
        check_reconciled(con, loaded)
