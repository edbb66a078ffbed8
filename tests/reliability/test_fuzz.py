"""Fuzzing the readers and the framework loader: no crash, no hang, and the row counts reconcile.

tests/indicators/test_load_fuzz.py damages values and bytes of a clean world; this file adds
what it does not reach: workbooks built cell by cell with every type a spreadsheet holds (dates,
times, floats, booleans, formulas, blank rows, shifted headers, other sheets), CSV files of
hostile text in any dialect the contract allows (BOM, CRLF, GBK, quoted line breaks), and
framework documents mutated anywhere (types, values, SQL, markup), which must either fail
validation or rate a small world without any error but an engine error.
"""
from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import io
import math
import signal
import tempfile
import tomllib
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from indicators import contract
from indicators.errors import EngineError, FrameworkError, InputError
from indicators.framework_load import default_framework_path, load_framework, parse_framework
from indicators.load import load

AS_OF = dt.date(2024, 12, 31)
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
UNITS = [
    ["440000", "广东省", "Guangdong", "region", "province", "", "440000"],
    ["440100", "广州市", "Guangzhou", "region", "city", "440000", "440100"],
    ["440106", "天河区", "Tianhe", "region", "county", "440100", "440106"],
    ["440100-DRC", "广州市发展和改革委员会", "Guangzhou DRC", "department", "city", "440100", "440100"],
]
HOSTILE = ["<script>alert(1)</script>", "x'; DROP TABLE units; --", "../../etc/passwd", "=1+1", "\u3000", "\x00",
           "\ufeff", "是", "NaN", "-0", "1e309", "2024-02-30", "440100", "440100-DRC", "active", "complaint",
           '"', ",", "\r\n", "\\", "{value}", "%s"]


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect(config={"threads": 1})
    yield connection
    connection.close()


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging (the alarm interrupts Python code, which is where loops run)."""
    def stop(*_):
        raise TimeoutError(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def write_base(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "units.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(contract.TABLES["units"].column_names)
        w.writerows(UNITS)
    with open(folder / "unit_stats.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(contract.TABLES["unit_stats"].column_names)
        w.writerows([u[0], y, 1e6, 500, 2e9] for u in UNITS for y in (2023, 2024))
    return folder


def check_reconciled(con, loaded, table: str, expected_read: int) -> None:
    counts, frame = loaded.counts[table], loaded.quarantine[table]
    assert counts.read == expected_read
    assert counts.read == counts.accepted + counts.quarantined and frame.height == counts.quarantined
    assert con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0] == counts.accepted
    rows = frame["row"].to_list()
    assert len(set(rows)) == len(rows) and all(1 <= r <= counts.read for r in rows)
    assert frame["reason"].null_count() == 0 and frame["detail"].null_count() == 0


# ---- XLSX ---------------------------------------------------------------------------------------
CELL = st.one_of(
    st.none(),
    st.sampled_from(HOSTILE),
    st.text(max_size=8),
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.times(),
    st.sampled_from(["=1+1", "=A1", "=NOW()", "=SUM(A:A)"]),
)


def plausible(table: str, column: str):
    """A value that often passes the column's checks, so that rows get past the first check."""
    c = contract.TABLES[table].column(column)
    if c.enum:
        return st.sampled_from(c.enum)
    if c.pattern or c.refers_to:
        return st.sampled_from([u[0] for u in UNITS])
    if c.type in ("DATE", "TIMESTAMP"):
        return st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2024, 12, 1))
    if c.type in ("BIGINT", "DOUBLE"):
        return st.integers(1, 3)
    if c.type == "BOOLEAN":
        return st.booleans()
    return st.text(alphabet="ABC123", min_size=1, max_size=6)


@st.composite
def workbook(draw):
    table = draw(st.sampled_from(["failure_records", "complaints", "contracts", "debt"]))
    columns = list(contract.TABLES[table].column_names)
    columns = draw(st.permutations(columns)) + draw(st.lists(st.sampled_from(["extra", "备注", ""]), max_size=2))
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 6)) == 0:
            rows.append([None] * len(columns))  # a blank row
            continue
        rows.append([draw(st.one_of(CELL, plausible(table, c))) if c in contract.TABLES[table].column_names
                     else draw(CELL) for c in columns])
    return table, columns, rows, draw(st.integers(0, 2)), draw(st.integers(0, 2)), draw(st.booleans())


def text_of(value) -> str:
    return "" if value is None else value if isinstance(value, str) else "x"


@pytest.mark.slow
@FUZZ
@given(wb=workbook())
def test_xlsx_reader_never_crashes_and_reconciles(con, wb):
    table, columns, rows, skip_rows, skip_cols, other_sheet = wb
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_base(Path(tmp) / "data")
        book = openpyxl.Workbook()
        sheet = book.active
        for _ in range(skip_rows):
            sheet.append([])
        try:
            for row in [columns, *rows]:
                sheet.append([None] * skip_cols + row)
            if other_sheet:
                book.create_sheet("other").append(["unit_id", "<script>"])
            book.save(folder / f"{table}.xlsx")
        except (ValueError, TypeError, openpyxl.utils.exceptions.IllegalCharacterError):
            assume(False)  # the writer refuses the value: not a workbook anyone can have
        loaded = load_or_clean_error(con, folder)
        if loaded is None:
            return
    # rows after the header up to the last row holding anything (blank rows between count)
    filled = [i for i, row in enumerate(rows) if any(text_of(v).strip() for v in row)]
    check_reconciled(con, loaded, table, filled[-1] + 1 if filled else 0)


def load_or_clean_error(con, folder: Path):
    """`load` within a minute: the loaded tables, or None after an input error of one line
    per problem (never a crash)."""
    with time_limit(60):
        try:
            return load(folder, con, as_of=AS_OF)
        except InputError as error:
            assert error.problems and all("\n" not in p for p in error.problems)
            return None


# ---- CSV dialects ---------------------------------------------------------------------------------
@st.composite
def csv_file(draw):
    table = draw(st.sampled_from(["failure_records", "complaints", "contracts"]))
    columns = list(contract.TABLES[table].column_names)
    rows = [[draw(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6), plausible(table, c).map(str)))
             for c in columns] for _ in range(draw(st.integers(0, 8)))]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    return table, columns, rows, encoding, newline, quoting


@pytest.mark.slow
@FUZZ
@given(f=csv_file())
def test_csv_dialects_never_crash_and_reconcile(con, f):
    table, columns, rows, encoding, newline, quoting = f
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline, quoting=quoting).writerows([columns, *rows])
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    assume(b"\x00" not in data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_base(Path(tmp) / "data")
        (folder / f"{table}.csv").write_bytes(data)
        loaded = load_or_clean_error(con, folder)
        if loaded is None:
            return
    check_reconciled(con, loaded, table, len(rows))


# ---- the framework loader ----------------------------------------------------------------------
DEFAULT_TEXT = default_framework_path().read_text(encoding="utf-8")
DEFAULT_DOC = tomllib.loads(DEFAULT_TEXT)


def paths(node, prefix=()):
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


PATHS = paths(DEFAULT_DOC)
#: Where a wrong value does harm when unchecked: condition values, numbers, enumerations.
HOT_KEYS = {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "is_null", "weight", "min", "window", "scale",
            "min_denominator", "value", "replications", "event_severity", "event_categories", "levels", "kinds",
            "goalposts", "direction", "rectified_weight", "bands", "quantile", "periods", "weights", "op", "cap",
            "weight_noise", "sensitivity", "bootstrap", "borderline", "data_threshold", "normalise", "aggregate",
            "per", "date", "measure", "table", "column", "level", "z", "history", "share", "days"}
HOT = [p for p in PATHS if p[-1] in HOT_KEYS or len(p) == 1]
SCALAR = st.one_of(
    st.booleans(), st.integers(-(10**12), 10**12), st.floats(), st.text(max_size=12), st.sampled_from(HOSTILE),
    st.dates(min_value=dt.date(1900, 1, 1)),
    st.sampled_from(["count", "share", "ratio", "failure_records", "complaints", "severity", "category", "region",
                     "city", "GDI", "commitment", "A", "red", "band", "event", "minmax:0,100", "geometric", "nan"]),
)
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=3), st.dictionaries(st.sampled_from(
    ["column", "eq", "in", "gt", "is_null", "min", "level", "code", "x"]), SCALAR, max_size=3))


@st.composite
def mutated(draw):
    doc = copy.deepcopy(DEFAULT_DOC)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.one_of(st.sampled_from(HOT), st.sampled_from(PATHS)))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.integers(0, 5)) == 0 and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(VALUE)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the way there
    return doc


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory, kit):
    """One district and its departments, two years: the pipeline in well under a second."""
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("tiny") / "data"
    generate(data, seed=3, years=(2023, 2024), complaints=20_000)
    return kit.shrink(data, "440103")


def rate_or_refuse(world: Path, make) -> None:
    """Build a framework and rate the world with it: an engine error is an answer, any other
    exception is a crash, and the run must end in bounded time."""
    import rating

    with time_limit(60):
        try:
            fw = make()
        except FrameworkError as error:
            assert error.problems or str(error)
            assert all(p.startswith("[") for p in error.problems)
            return
        try:
            rating.run(world, fw, seed=1, replications=2, as_of=dt.date(2025, 6, 30))
        except EngineError:
            pass


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=mutated())
def test_framework_documents_are_refused_or_rated(tiny_world, doc):
    rate_or_refuse(tiny_world, lambda: parse_framework(doc))


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["delete", "insert", "replace"]),
                                st.binary(min_size=1, max_size=4)), min_size=1, max_size=3))
def test_framework_files_are_refused_or_rated(tiny_world, tmp_path, edits):
    data = DEFAULT_TEXT.encode("utf-8")
    for where, kind, blob in edits:
        at = int(where * len(data))
        data = {"delete": data[:at] + data[at + len(blob):], "insert": data[:at] + blob + data[at:],
                "replace": data[:at] + blob + data[at + len(blob):]}[kind]
    path = tmp_path / "framework.toml"
    path.write_bytes(data)
    rate_or_refuse(tiny_world, lambda: load_framework(path))


def test_framework_values_out_of_type_are_validation_errors():
    """Each of these once reached SQL or arithmetic unchecked (found by the fuzzers above)."""
    def ind(**changes):
        doc = copy.deepcopy(DEFAULT_DOC)
        target = next(i for i in doc["indicator"] if any(w.get("column") == "severity" for w in i.get("where", [])))
        target.update(changes)
        return doc

    cases = [
        ind(where=[{"column": "severity", "eq": "abc"}]),
        ind(where=[{"column": "severity", "eq": math.nan}]),
        ind(where=[{"column": "severity", "gt": math.inf}]),
        ind(where=[{"column": "occurred_on", "ge": "yesterday"}]),
        ind(where=[{"column": "severity", "in": ["x'); DROP TABLE units; --"]}]),
        ind(weight=math.nan),
        ind(weight=math.inf),
        ind(levels=3),
        ind(window=10**9),
        {**copy.deepcopy(DEFAULT_DOC), "framework": "x"},
        {**copy.deepcopy(DEFAULT_DOC), "methods": "x"},
        {**copy.deepcopy(DEFAULT_DOC), "uncertainty": {"replications": "x"}},
        {**copy.deepcopy(DEFAULT_DOC), "grade": [{**g, "min": math.nan} for g in DEFAULT_DOC["grade"]]},
    ]
    for i, doc in enumerate(cases):
        with pytest.raises(FrameworkError):
            parse_framework(doc)
