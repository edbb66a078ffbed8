"""Readers: find each table's file in a data folder and expose it to DuckDB as raw columns.

A table comes as `<table>.csv`, `.parquet` or `.xlsx` (contract.FILE_FORMATS). Opening a file
only reads what structural checks need (encoding sample, header, Parquet schema), so every
structural problem of every table is known before any row is validated. `Source.prepare` then
makes the file readable by DuckDB's CSV reader where needed: GBK/GB18030 CSV is transcoded to
UTF-8 in streaming chunks and XLSX is streamed (openpyxl read-only) into a UTF-8 CSV, both in a
temporary folder the caller owns. Row validation happens in SQL over `Source.scan_sql`, with
`typed_sql` turning text into the contract types (docs/input.md, "Values"). A header may name
a column in English or in Chinese (`contract.Column.zh`); the scan yields contract names only.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import charset_normalizer
import duckdb

from indicators import contract, gb_text

SAMPLE_BYTES = 1 << 20  # encoding detection looks at about 1 MB of text
ASCII_SCAN_BYTES = 64 << 20  # ...found within the first 64 MB, else the file is taken as UTF-8
CHUNK_BYTES = 1 << 22  # streaming transcoding and hashing
MAX_COLUMNS = 16_384  # the width of an Excel sheet; the widest table of the contract has ten
MAX_XLSX_UNPACKED = 1 << 30  # bytes a workbook may unpack to ...
MAX_XLSX_RATIO = 100  # ... and, above 64 MB, at most this many times its packed size
MAX_LISTED = 20  # header names a missing-column message lists
CLOSE = 0.6  # difflib ratio from which a header name is offered as the closest to a missing column
_WIDE_CHAR = re.compile("[\u0800-\uffff]")  # three-byte UTF-8: CJK and friends
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*\n?")
_CHINESE = {"gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950"}
_WIDE_BOMS = {codecs.BOM_UTF32_LE: "UTF-32", codecs.BOM_UTF32_BE: "UTF-32"}  # before UTF-16:
_WIDE_BOMS |= {codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16"}  # shared prefix


class Unreadable(Exception):
    """A file that cannot be read at all; the message completes '<file>: ...'."""


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def find_files(data_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each contract table to its file in `data_dir`; list the structural problems.

    A table with more than one file (say `units.csv` and `units.xlsx`) is a problem, not a
    choice we make for the user; so is a missing required table. Other files are ignored.
    """
    files: dict[str, Path] = {}
    problems: list[str] = []
    for name, table in contract.TABLES.items():
        found = [data_dir / f"{name}.{ext}" for ext in contract.FILE_FORMATS]
        found = [p for p in found if p.is_file()]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            problems.append(f"{names}: more than one file for table {name}; keep exactly one")
        elif found:
            files[name] = found[0]
        elif table.required:
            options = ", ".join(f"{name}.{ext}" for ext in contract.FILE_FORMATS)
            problems.append(f"{name}: required table missing (no {options} in the data folder)")
    return files, problems


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks so memory stays bounded."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _encoding_sample(fh) -> tuple[int, bytes]:
    """About SAMPLE_BYTES of the file cut at line ends, and the offset in the file where it
    starts: past a leading all-ASCII stretch (up to ASCII_SCAN_BYTES: isascii runs at memory
    speed) so that the sample holds some text."""
    sample = fh.read(SAMPLE_BYTES)
    start = 0
    scanned = len(sample)
    while sample.isascii() and len(sample) == SAMPLE_BYTES and scanned < ASCII_SCAN_BYTES:
        chunk = fh.read(SAMPLE_BYTES)
        if not chunk:
            break
        start, scanned = scanned, scanned + len(chunk)
        if not chunk.isascii():
            sample = chunk + fh.read(SAMPLE_BYTES)
            cut = sample.find(b"\n") + 1
            sample, start = sample[cut:], start + cut
    if len(sample) >= SAMPLE_BYTES and b"\n" in sample:
        sample = sample[: sample.rfind(b"\n") + 1]  # never end inside a multi-byte character
    return start, sample


def _mostly_decodes(sample: bytes, codec: str) -> str | None:
    """`sample` decoded, or None when it does not decode. A few bad bytes (U+FFFD, dropped) are
    tolerated among at least four times as many multi-byte characters: the row checks
    quarantine their rows as `bad_encoding`, and other encodings rarely yield that many."""
    text = sample.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    if bad == 0:
        return text
    if len(text) >= 5 * bad and len(_WIDE_CHAR.findall(text)) - bad >= 4 * bad:  # cheap test first
        return text.replace("\ufffd", "")
    return None


def _first_bad_byte(sample: bytes, codec: str, start: int) -> str | None:
    """Where `sample` (at file offset `start`) first fails to decode as `codec`, for messages;
    None when it decodes."""
    try:
        sample.decode(codec)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        return f"byte 0x{sample[exc.start]:02X} at offset {offset:,} is not {exc.encoding.upper()}"
    return None


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV file: one of contract.CSV_ENCODINGS, else `Unreadable`.

    Deliveries come as UTF-8 (with or without BOM) or GBK/GB18030, so those are tried in turn:
    UTF-8 when the sample decodes as UTF-8 (a few bad bytes tolerated, see `_mostly_decodes`);
    else GB18030 when it decodes as such into plausible Chinese (`gb_text`: mostly common
    hanzi, no kana, control or private-use characters), which holds even for a file whose
    only Chinese is one short name. Otherwise charset-normalizer must find GB18030 at least
    as coherent as its best guess overall on the lines holding non-ASCII bytes (ASCII lines
    would dilute the evidence): Latin-1, Shift-JIS and Big5 text often decodes as GBK byte by
    byte, and must not be read as Chinese garbage. The refusal names the first byte that is
    not UTF-8 (and, if any, not GB18030) by its offset in the file.
    """
    with open(path, "rb") as fh:
        start, sample = _encoding_sample(fh)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for bom, name in _WIDE_BOMS.items():
        if sample.startswith(bom):
            raise Unreadable(f"encoded as {name}; save it as UTF-8 (or GBK) and try again")
    if _mostly_decodes(sample, "utf-8") is not None:
        return "utf-8"
    text = _mostly_decodes(sample, "gb18030")
    judged = sample if text is None else text.encode("gb18030")  # the decodable rest
    if text is not None and gb_text.plausibly_chinese(text):
        return _gb_name(judged)
    judged = b"".join(_NON_ASCII_LINE.findall(judged))
    gb = charset_normalizer.from_bytes(judged, cp_isolation=["gb18030"]).best()
    best = charset_normalizer.from_bytes(judged).best()
    if gb is not None and (best is None or best.encoding in _CHINESE or gb.chaos <= best.chaos):
        return _gb_name(judged)
    where = _first_bad_byte(sample, "utf-8", start)
    where += f"; {_first_bad_byte(sample, 'gb18030', start) or 'as GB18030 it is not Chinese text'}"
    guess = f"; it looks like {best.encoding}" if best is not None else ""
    raise Unreadable(f"cannot be decoded as UTF-8, GBK or GB18030 ({where}){guess}; save it as UTF-8")


def _gb_name(sample: bytes) -> str:
    """'gbk' when the sample is plain GBK, else 'gb18030' (both are read as GB18030)."""
    try:
        sample.decode("gbk")
        return "gbk"
    except UnicodeDecodeError:
        return "gb18030"


def _csv_header(path: Path, encoding: str) -> list[str]:
    """The header row of a CSV file (decoding errors replaced: they surface as bad names)."""
    codec = "gb18030" if encoding in ("gbk", "gb18030") else "utf-8-sig"
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    text = head.decode(codec, errors="replace")
    if len(head) == SAMPLE_BYTES and "\n" not in text:
        raise Unreadable(f"the header row is longer than {SAMPLE_BYTES >> 20} MB: not a table of the contract")
    try:
        row = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error as exc:
        raise Unreadable(f"the header row cannot be read as CSV ({exc})") from exc
    if row is None:
        raise Unreadable("file is empty (no header row)")
    if len(row) > MAX_COLUMNS:
        raise Unreadable(f"the header has {len(row):,} columns; at most {MAX_COLUMNS:,} are read")
    if any("\n" in name or "\r" in name for name in row):
        raise Unreadable("the header row holds a line break inside quotes: check for a stray quote")
    return [name.strip() for name in row]


def _cell_text(value) -> str:
    """An Excel cell value as the text a CSV export would hold (ISO dates, plain numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _check_archive(path: Path) -> None:
    """Refuse a workbook that unpacks to far more than it holds (a zip bomb) before reading it;
    a damaged archive is left to openpyxl, which says what is wrong."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    # NotImplementedError: a zip version or compression Python cannot read (e.g. a damaged header)
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        return
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > MAX_XLSX_UNPACKED or (unpacked > 64 << 20 and unpacked > MAX_XLSX_RATIO * packed):
        raise Unreadable(
            f"unpacks to {unpacked >> 20:,} MB from {packed >> 20:,} MB: refused as a likely zip bomb "
            f"(at most {MAX_XLSX_UNPACKED >> 20:,} MB, and {MAX_XLSX_RATIO}:1 above 64 MB); save it as CSV"
        )


def _xlsx_rows(path: Path):
    """The first sheet as lists of text: the header (first non-blank row, trailing blank cells
    dropped), then each row cut or padded to the header's width. Blank rows are yielded only
    when data follows them, so trailing blank rows, which spreadsheets often keep, vanish."""
    import openpyxl  # imported here: only XLSX inputs pay for it

    _check_archive(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise Unreadable(
            f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})"
        ) from exc
    try:
        width, blanks = None, 0
        for values in book.worksheets[0].iter_rows(values_only=True) if book.worksheets else ():
            row = [_cell_text(v) for v in values]
            if not any(cell.strip() for cell in row):
                blanks += width is not None
                continue
            if width is None:
                header = [cell.strip() for cell in row]
                while header and not header[-1]:
                    header.pop()
                if len(header) > MAX_COLUMNS:
                    raise Unreadable(f"the header has {len(header):,} columns; at most {MAX_COLUMNS:,} are read")
                width = len(header)
                yield header
                continue
            yield from [[""] * width] * blanks
            blanks = 0
            yield (row + [""] * width)[:width]
    except Unreadable:
        raise
    except Exception as exc:
        raise Unreadable(
            f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        book.close()


def _xlsx_header(path: Path) -> list[str]:
    rows = _xlsx_rows(path)
    try:
        header = next(rows, None)
    finally:
        rows.close()
    if not header:
        raise Unreadable("the first sheet is empty (no header row)")
    return header


def _parquet_schema(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_literal(path)})").fetchall()
    except duckdb.Error as exc:
        raise Unreadable(f"cannot be read as Parquet ({str(exc).splitlines()[0]})") from exc
    return {name: type_ for name, type_, *_ in rows}


def column_positions(table: str, header: list[str]) -> dict[str, list[int]]:
    """Contract column -> positions in `header` of its English or Chinese name (Column.zh)."""
    aliases = contract.TABLES[table].aliases
    out: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        if name in aliases:
            out.setdefault(aliases[name], []).append(i)
    return out


def header_problems(file: str, table: str, header: list[str]) -> list[str]:
    """One line per contract column the header names twice, or lacks although it is required.

    A missing column's line lists the names found and the closest unused one (difflib over the
    column's English and Chinese names), or says when only the case differs.
    """
    out = []
    positions = column_positions(table, header)
    unused = [n for n in dict.fromkeys(header) if n and n not in contract.TABLES[table].aliases]
    lowered = {name.lower(): name for name in header}
    for column in contract.TABLES[table].columns:
        names = [header[i] for i in positions.get(column.name, [])]
        if len(set(names)) > 1:
            both = " and ".join(dict.fromkeys(names))
            out.append(f"{file}: columns {both} both name column {column.name}; keep one")
        elif len(names) > 1:
            out.append(f"{file}: column {names[0]} appears {len(names)} times")
        elif not names and column.required:
            if column.name in lowered:
                hint = f" (found '{lowered[column.name]}': names are case-sensitive)"
            else:
                shown = [n for n in header if n]
                found = ", ".join(shown[:MAX_LISTED]) + (f", ... ({len(shown) - MAX_LISTED} more)"
                                                         if len(shown) > MAX_LISTED else "")
                hint = f" ({column.zh}); found: {found or 'no named column'}"
                if near := closest(column, unused):
                    hint += f"; closest: {near}"
            out.append(f"{file}: missing required column {column.name}{hint}")
    return out


def closest(column: contract.Column, names: list[str]) -> str | None:
    """The name in `names` most like the column's English or Chinese name, if any is close."""

    def score(name: str) -> float:
        return max(difflib.SequenceMatcher(None, name.lower(), n).ratio() for n in (column.name, column.zh) if n)

    best = max(names, key=score, default=None)
    return best if best is not None and score(best) >= CLOSE else None


@dataclass
class Source:
    """One input file, opened for structural checks and, after `prepare`, for row checks."""

    table: str
    path: Path
    format: str  # csv, parquet or xlsx
    header: list[str]  # column names in file order
    encoding: str | None = None  # CSV only
    native_types: dict[str, str] = field(default_factory=dict)  # Parquet only
    read_path: Path | None = None  # what DuckDB reads; set by prepare()

    @property
    def transcoded(self) -> bool:
        """True when undecodable bytes were replaced by U+FFFD while transcoding."""
        return self.encoding in ("gbk", "gb18030")

    @cached_property
    def positions(self) -> dict[str, list[int]]:
        """Contract column -> positions in the header of the names (English or Chinese) naming it."""
        return column_positions(self.table, self.header)

    @property
    def present(self) -> list[str]:
        """Contract columns found in the file, in contract order."""
        return [c for c in contract.TABLES[self.table].column_names if c in self.positions]

    @property
    def extra_columns(self) -> list[str]:
        known = contract.TABLES[self.table].aliases
        return [c for c in dict.fromkeys(self.header) if c and c not in known]

    def file_name(self, column: str) -> str:
        """The header name under which the file holds contract column `column`."""
        return self.header[self.positions[column][0]]

    def source_type(self, column: str) -> str:
        """DuckDB type of a column as the scan yields it (VARCHAR unless Parquet says else)."""
        if column not in self.positions:
            return "VARCHAR"
        return self.native_types.get(self.file_name(column), "VARCHAR")

    def problems(self) -> list[str]:
        """Structural problems of the header: missing required or repeated contract columns."""
        if len(self.header) == 1 and any(sep in self.header[0] for sep in ";\t|"):
            single = f"the header is a single column ('{self.header[0][:60]}')"
            return [f"{self.path.name}: {single}; fields must be separated by commas"]
        return header_problems(self.path.name, self.table, self.header)

    def prepare(self, workdir: Path) -> None:
        """Make the file readable by DuckDB: transcode GB CSV, convert XLSX to UTF-8 CSV."""
        if self.format == "csv" and self.transcoded:
            self.read_path = workdir / f"{self.table}.utf8.csv"
            decoder = codecs.getincrementaldecoder("gb18030")(errors="replace")
            with open(self.path, "rb") as src, open(self.read_path, "wb") as dst:
                while chunk := src.read(CHUNK_BYTES):
                    dst.write(decoder.decode(chunk).encode("utf-8"))
                dst.write(decoder.decode(b"", final=True).encode("utf-8"))
        elif self.format == "xlsx":
            self.read_path = workdir / f"{self.table}.xlsx.csv"
            with open(self.read_path, "w", encoding="utf-8", newline="") as dst:
                csv.writer(dst, lineterminator="\n").writerows(_xlsx_rows(self.path))
        else:
            self.read_path = self.path

    def scan_sql(self, rejects: str, numbered: bool) -> str:
        """A SELECT yielding one raw column per contract column (NULL when absent) and, when
        `numbered` (always for Parquet), `_n`: the 1-based ordinal of the row as read.

        CSV is read as text with an explicit dialect; rows the CSV parser cannot split
        (wrong field count, stray quotes, bad UTF-8) land in the temp table `rejects`.
        Parquet is read natively, selecting the contract columns only.
        """
        table = contract.TABLES[self.table]
        path = sql_literal(self.read_path or self.path)
        if self.format == "parquet":
            picks = [
                f"{sql_ident(self.file_name(c))} AS {sql_ident(c)}"
                if c in self.positions
                else f"NULL::VARCHAR AS {sql_ident(c)}"
                for c in table.column_names
            ]
            return f"SELECT file_row_number + 1 AS _n, {', '.join(picks)} FROM read_parquet({path}, file_row_number=true)"
        position = {c: at[0] for c, at in self.positions.items()}
        spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(self.header)))
        picks = [
            f"c{position[c]} AS {sql_ident(c)}"
            if c in position
            else f"NULL::VARCHAR AS {sql_ident(c)}"
            for c in table.column_names
        ]
        reader = (
            f"read_csv({path}, header=true, auto_detect=false, delim=',', quote='\"', "
            f"escape='\"', columns={{{spec}}}, store_rejects=true, "
            f"rejects_table={sql_literal(rejects)}, rejects_scan={sql_literal(rejects + '_scan')}, "
            "rejects_limit=0)"
        )
        # row_number() OVER () numbers rows in file order, but runs on one thread
        number = "row_number() OVER () AS _n, " if numbered else ""
        return f"SELECT {number}{', '.join(picks)} FROM {reader}"


_SPACE = " \t\r\n\u3000\u00a0"  # trimmed from both ends of every value
SPACE = sql_literal(_SPACE)
_EDGE = sql_literal(f"^[{_SPACE}]|[{_SPACE}]$")  # a value that needs trimming
_INT = r"[+-]?[0-9]+(\.0*)?"
_NUM = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]00:00(:00(\.0+)?)?)?"
_OFFSET = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)"
_TS = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?" + _OFFSET + "?)?"
)
_CST_MINUTES = 8 * 60  # timestamps with an offset are converted to China Standard Time


def typed_sql(source: Source, column: contract.Column, i: int) -> tuple[str, str]:
    """SQL for (r<i>, t<i>): the trimmed text (NULL when empty) and the value in the contract
    type (NULL when it does not parse) of the raw column x<i>. docs/input.md, "Values"."""
    if source.source_type(column.name) == column.type and column.type != "VARCHAR":
        return f"x{i}", f"x{i}"  # Parquet already holds the contract type
    x = f"x{i}" if source.source_type(column.name) == "VARCHAR" else f"CAST(x{i} AS VARCHAR)"
    # trim only values that start or end with white space: trimming them all costs more than
    # every check together
    edge = f"regexp_matches({x}, {_EDGE})"
    r, v = f"CASE WHEN {edge} THEN NULLIF(trim({x}, {SPACE}), '') ELSE NULLIF({x}, '') END", f"r{i}"
    match = f"CASE WHEN regexp_full_match({v}, '{{}}') THEN TRY_CAST({{}} AS {column.type}) END"
    if column.type in ("BIGINT", "DOUBLE"):
        return r, match.format(_INT if column.type == "BIGINT" else _NUM, v)
    if column.type == "DATE":
        return r, match.format(_DATE, f"left({v}, 10)")
    if column.type == "BOOLEAN":
        yes, no = (
            sql_literal("(?i)" + "|".join(map(re.escape, words)))
            for words in (contract.BOOLEAN_TRUE, contract.BOOLEAN_FALSE)
        )
        return (
            r,
            f"CASE WHEN regexp_full_match({v}, {yes}) THEN true WHEN regexp_full_match({v}, {no}) THEN false END",
        )
    if column.type != "TIMESTAMP":
        return r, v
    off = f"regexp_extract({v}, '{_OFFSET}$')"
    digits = f"replace(substr({off}, 2), ':', '')"
    minutes = (
        f"CAST({digits}[1:2] AS INTEGER) * 60 + COALESCE(TRY_CAST({digits}[3:4] AS INTEGER), 0)"
    )
    offset = (
        f"CASE WHEN {off} = 'Z' THEN 0 WHEN {off}[1] = '-' THEN -({minutes}) ELSE {minutes} END"
    )
    local = f"TRY_CAST(regexp_replace({v}, '{_OFFSET}$', '') AS TIMESTAMP)"
    return r, (
        f"CASE WHEN NOT regexp_full_match({v}, '{_TS}') THEN NULL"
        f" WHEN regexp_matches({v}, ':[0-9]{{2}}(\\.[0-9]+)?{_OFFSET}$')"
        f" THEN {local} + to_minutes({_CST_MINUTES} - ({offset}))"
        f" ELSE TRY_CAST({v} AS TIMESTAMP) END"
    )


def open_source(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> Source:
    """Open `path` for structural checks; raises `Unreadable` with a one-line reason."""
    fmt = path.suffix.lstrip(".").lower()
    try:
        if path.stat().st_size == 0:
            raise Unreadable("file is empty (no header row)")
        if fmt == "csv":
            encoding = detect_encoding(path)
            return Source(table, path, fmt, _csv_header(path, encoding), encoding=encoding)
        if fmt == "xlsx":
            return Source(table, path, fmt, _xlsx_header(path))
        types = _parquet_schema(con, path)
        return Source(table, path, fmt, list(types), native_types=types)
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from exc
