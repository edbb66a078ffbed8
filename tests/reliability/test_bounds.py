"""Resource bounds: absurd inputs fail with a clear message (or are quarantined) within bounded
memory and time. Each case runs the command line in a child process under an address-space
limit (conftest.MEMORY_LIMIT) and a timeout; a failure must be a documented exit code with
one line per problem naming the file, and no traceback.

Decisions (docs/security.md, "Resource bounds"): a cell that makes its CSV line longer than the
reader's limit (2 MB) quarantines its row as `malformed_row`, and the run goes on; a header of
more columns than a table can use, a workbook that unpacks to far more than its size, and
binary garbage are structural problems (exit 3); an absurd framework value is a framework
problem (exit 4).
"""
from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import openpyxl
import polars as pl
import pytest

TIMEOUT = 90  # seconds: a normal run of the small world takes well under half of it


def run_bounded(kit, *args) -> subprocess.CompletedProcess:
    try:
        return kit.rating_cli(*args, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no answer within {TIMEOUT} s: the input is not bounded in time")


def assert_clean_failure(r: subprocess.CompletedProcess, code: int, *files: str) -> list[str]:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == code, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "Out of Memory" not in r.stderr and "MemoryError" not in r.stderr
    assert lines and all(len(line) < 400 for line in lines), "one short line per problem"
    for name in files:
        assert sum(line.startswith(name + ":") for line in lines) == 1, f"{name}: {r.stderr}"
    return lines


def test_a_10mb_cell_quarantines_its_row(tmp_path, small_city_world, kit):
    data = kit.copy_world(small_city_world, tmp_path / "data")
    with open(data / "failure_records.csv", "a", encoding="utf-8") as fh:
        fh.write("FR-HUGE,440100,disciplinary,2,2024-01-05,,active,,说明" + "X" * (10 << 20) + "\n")
    r = run_bounded(kit, *kit.run_args(data, tmp_path / "out"))
    assert r.returncode == 0, r.stderr[-2000:]
    q = pl.read_csv(tmp_path / "out" / "quarantine" / "failure_records.csv", infer_schema_length=0)
    huge = q.filter(pl.col("detail").str.contains("FR-HUGE"))
    assert huge["reason"].to_list() == ["malformed_row"] and len(huge["detail"][0]) < 200
    assert (tmp_path / "out" / "quarantine" / "failure_records.csv").stat().st_size < 100_000


def test_a_long_description_is_clipped_in_the_reports(tmp_path, small_city_world, kit):
    """A 1 MB description is a readable row (under the line limit): it is rated and listed, but
    a unit page shows its first 300 characters and how many more there are."""
    data = kit.copy_world(small_city_world, tmp_path / "data")
    with open(data / "failure_records.csv", "a", encoding="utf-8") as fh:
        fh.write("FR-LONG,440100,disciplinary,2,2024-01-05,,active,,说明" + "Y" * (1 << 20) + "\n")
    r = run_bounded(kit, *kit.run_args(data, tmp_path / "out"))
    assert r.returncode == 0, r.stderr[-2000:]
    page = (tmp_path / "out" / "units" / "440100.html").read_text(encoding="utf-8")
    assert "FR-LONG" in page
    assert "说明" + "Y" * 298 + f"… (+{(1 << 20) + 2 - 300:,})" in page and "Y" * 301 not in page
    assert len(page.encode()) < 1 << 20


def test_a_million_columns_is_a_structural_problem(tmp_path, small_city_world, kit):
    data = kit.copy_world(small_city_world, tmp_path / "data")
    lines = (data / "complaints.csv").read_text(encoding="utf-8").splitlines()
    n = 1_000_000
    with open(data / "complaints.csv", "w", encoding="utf-8") as fh:
        fh.write(lines[0] + "," + ",".join(f"x{i}" for i in range(n)) + "\n")
        for line in lines[1:4]:
            fh.write(line + "," * n + "\n")
    r = run_bounded(kit, *kit.run_args(data, tmp_path / "out"))
    problems = assert_clean_failure(r, 3, "complaints.csv")
    assert any(("column" in p or "header" in p) for p in problems if p.startswith("complaints.csv")), problems
    assert not (tmp_path / "out").exists()


def _raw_deflate(data: bytes, final: bool) -> bytes:
    """`data` as a raw deflate stream, ending on a byte boundary (full flush) unless `final`:
    such pieces can be repeated and concatenated into one valid stream."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def zip_bomb(path: Path, unpacked: int) -> Path:
    """An XLSX whose first sheet unpacks to `unpacked` bytes of rows from about 1/1000 of that;
    built without compressing it all (one compressed megabyte of rows, repeated)."""
    book = openpyxl.Workbook()
    book.active.append(["contract_id", "unit_id", "kind", "signed_on", "status"])
    buf = io.BytesIO()
    book.save(buf)
    members = {i.filename: zipfile.ZipFile(buf).read(i.filename) for i in zipfile.ZipFile(buf).infolist()}
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1">' + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % c for c in
                                      (b"contract_id", b"unit_id", b"kind", b"signed_on", b"status")) + b"</row>")
    row = (b'<row><c t="inlineStr"><is><t>C1</t></is></c><c t="inlineStr"><is><t>440100</t></is></c>'
           b'<c t="inlineStr"><is><t>ppp</t></is></c><c t="inlineStr"><is><t>2024-01-01</t></is></c>'
           b'<c t="inlineStr"><is><t>ongoing</t></is></c></row>')
    chunk = row * ((1 << 20) // len(row))
    tail = b"</sheetData></worksheet>"
    repeat = (unpacked - len(head) - len(tail)) // len(chunk)
    packed_chunk = _raw_deflate(chunk, False)
    crc = zlib.crc32(head)
    for _ in range(repeat):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    sheet = (_raw_deflate(head, False), packed_chunk, repeat, _raw_deflate(tail, True))
    size = len(head) + repeat * len(chunk) + len(tail)
    central, offset = [], 0
    with open(path, "wb") as fh:
        for name, data in members.items():
            bname = name.encode()
            if name == "xl/worksheets/sheet1.xml":
                first, piece, times, last = sheet
                csize, usize, c = len(first) + times * len(piece) + len(last), size, crc
            else:
                packed = _raw_deflate(data, True)
                csize, usize, c = len(packed), len(data), zlib.crc32(data)
            fh.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, c, csize, usize, len(bname), 0) + bname)
            if name == "xl/worksheets/sheet1.xml":
                fh.write(first)
                for _ in range(times):
                    fh.write(piece)
                fh.write(last)
            else:
                fh.write(packed)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, c, csize, usize,
                                       len(bname), 0, 0, 0, 0, 0, offset) + bname)
            offset = fh.tell()
        cd = b"".join(central)
        fh.write(cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(cd), offset, 0))
    return path


def test_a_zip_bomb_posing_as_xlsx_is_refused(tmp_path, small_city_world, kit):
    data = kit.copy_world(small_city_world, tmp_path / "data")
    (data / "contracts.csv").unlink()
    bomb = zip_bomb(data / "contracts.xlsx", 2 << 30)
    assert bomb.stat().st_size < 16 << 20
    with zipfile.ZipFile(bomb) as z:  # a well-formed archive: the bomb is in its size only
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size >= (2 << 30) - (1 << 20)
    r = run_bounded(kit, *kit.run_args(data, tmp_path / "out"))
    assert_clean_failure(r, 3, "contracts.xlsx")


def test_binary_garbage_is_a_structural_problem(tmp_path, small_city_world, kit):
    data = kit.copy_world(small_city_world, tmp_path / "data")
    rng = random.Random(7)
    (data / "complaints.csv").write_bytes(bytes(rng.getrandbits(8) for _ in range(1 << 20)))
    (data / "failure_records.csv").write_bytes(b"\x00" * (1 << 20))
    (data / "contracts.csv").unlink()
    (data / "contracts.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(4096))
    (data / "debt.csv").unlink()
    (data / "debt.parquet").write_bytes(b"PAR1" + bytes(rng.getrandbits(8) for _ in range(4096)) + b"PAR1")
    r = run_bounded(kit, *kit.run_args(data, tmp_path / "out"))
    assert_clean_failure(r, 3, "complaints.csv", "failure_records.csv", "contracts.xlsx", "debt.parquet")
    assert not (tmp_path / "out").exists()


def test_an_absurd_framework_window_is_a_framework_problem(tmp_path, small_city_world, kit):
    from indicators.framework_load import default_framework_path

    text = default_framework_path().read_text(encoding="utf-8")
    framework = tmp_path / "f.toml"
    framework.write_text(text.replace('measure = "count"', 'measure = "count"\nwindow = 1000000000', 1),
                         encoding="utf-8")
    r = run_bounded(kit, *kit.run_args(small_city_world, tmp_path / "out", "--framework", framework))
    lines = assert_clean_failure(r, 4)
    assert any("window" in line for line in lines), r.stderr


# ---- errors: every failure a user can cause is an engine error with a documented exit code ----
def cli(*args) -> tuple[int, str]:
    """`rating ARGS` in this process: the exit code and standard error."""
    import contextlib

    from rating.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:  # argparse: usage errors
            code = stop.code
    return code, err.getvalue()


def test_user_errors_have_documented_exit_codes(tmp_path, small_city_world, kit):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    not_toml = tmp_path / "f.toml"
    not_toml.write_bytes(b"\xff\xfe[[[")
    quick = ("--replications", "2", "--as-of", kit.AS_OF.isoformat())
    cases = [
        (3, ("run", tmp_path / "missing", "--out", tmp_path / "o")),
        (3, ("run", a_file, "--out", tmp_path / "o")),
        (4, ("run", small_city_world, "--out", tmp_path / "o", "--framework", tmp_path / "missing.toml")),
        (4, ("run", small_city_world, "--out", tmp_path / "o", "--framework", not_toml)),
        (5, ("run", small_city_world, "--out", a_file, *quick)),
        (2, ("run", small_city_world, "--out", tmp_path / "o", "--replications", "-1")),
        (2, ("run", small_city_world, "--out", tmp_path / "o", "--seed", "-5")),
        (2, ("run", small_city_world, "--out", tmp_path / "o", "--as-of", "yesterday")),
        (3, ("run", small_city_world, "--out", tmp_path / "o", "--replications", "2", "--as-of", "1980-01-01")),
        (5, ("synth", "--out", a_file)),
        (1, ("validate", small_city_world, "--as-of", "1980-01-01")),
        (0, ("validate", small_city_world, "--as-of", kit.AS_OF.isoformat())),
        (2, ("run", small_city_world, "--no-such-option")),
    ]
    for code, args in cases:
        got, err = cli(*args)
        assert (got, "Traceback" in err, "internal error" in err) == (code, False, False), f"{args}: {got} {err}"
    assert not (tmp_path / "o").exists()
