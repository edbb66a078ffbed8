"""The input stage: read a data folder, validate every row, stage the accepted rows in DuckDB.

`load` is the one entry point. Structural problems (a required table or column missing, a file
that cannot be read or decoded, two files for one table) of all tables are collected first and
raised together as one `InputError`, one line per problem. Then each table is read and checked
in one SQL pass (indicators.validate); rejected rows go to `Loaded.quarantine` with a stable
reason code and a sentence, accepted rows to a DuckDB table named after the contract table.
Units are loaded first, so the other tables can only refer to accepted units.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from indicators import contract
from indicators.errors import InputError
from indicators.lifecycle import STAGED_FAILURE_RECORDS, Lifecycle, staging_view_sql
from indicators.read import Source, Unreadable, find_files, open_source, sha256_file, sql_ident
from indicators.validate import (
    checks,
    duplicate_flags_sql,
    quarantine_sql,
    rejects_rows_sql,
    stage_sql,
    unit_hierarchy_flags,
)

_FLAGS, _GAPS, _UNIT_REASONS = "_load_flags", "_load_gaps", "_load_unit_reasons"
_HASH_IN_BACKGROUND = 64 << 20  # bytes of input above which hashing runs in a thread
#: Failures while reading a file's rows: the file is broken (DuckDB reports damaged Parquet
#: under many error types), unless the error says the engine's own SQL is wrong.
_UNREADABLE = (Unreadable, OSError, duckdb.Error)
_ENGINE_BUGS = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException)


@dataclass(frozen=True)
class TableCounts:
    """Rows of one table: every row read is either accepted or quarantined."""

    read: int
    accepted: int
    quarantined: int


@dataclass
class Loaded:
    """What `load` found and did; the manifest and the quarantine files are written from it."""

    present: tuple[str, ...]  # tables loaded, in contract order
    files: dict[str, Path]
    counts: dict[str, TableCounts]
    quarantine: dict[str, pl.DataFrame]  # row, <columns as text>, reason, detail
    encodings: dict[str, str]  # CSV tables only
    extra_columns: dict[str, list[str]]
    sha256: dict[str, str]


def _problem_text(path: Path, exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"{path.name}: {text}"
        if isinstance(exc, Unreadable)
        else f"{path.name}: cannot be read ({text})"
    )


@contextlib.contextmanager
def _insertion_order(con: duckdb.DuckDBPyConnection):
    """Keep file order while loading: row numbers are derived from it. Restores the setting."""
    old = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if old else 'false'}")


def _apply_flags(target: str) -> str:
    """SQL: give flagged rows of `target` their check index."""
    return (
        f"UPDATE {target} SET _chk = f.chk FROM {_FLAGS} f "
        f"WHERE {target}._n = f.n AND {target}._chk IS NULL"
    )


def _flag_hierarchy(con: duckdb.DuckDBPyConnection, codes: list[str], reason: str) -> None:
    """Flag units that break the hierarchy; record why each rejected unit id was rejected."""
    ok = con.execute(
        "SELECT _n, unit_id, kind, parent_id, region_id FROM units WHERE _chk IS NULL"
    ).fetchall()
    why = (
        f"SELECT unit_id, arg_min({reason}, _n) AS reason FROM units "
        f"WHERE _chk IS NOT NULL AND unit_id IS NOT NULL GROUP BY unit_id"
    )
    flags = unit_hierarchy_flags(ok, dict(con.execute(why).fetchall()))
    if flags:
        con.executemany(
            f"INSERT INTO {_FLAGS} VALUES (?, ?, ?)",
            [(rid, codes.index(code), detail) for rid, code, detail in flags],
        )
        con.execute(_apply_flags("units"))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_UNIT_REASONS} AS {why}")


def _empty_quarantine(source: Source) -> pl.DataFrame:
    columns = {c: pl.String for c in source.present}
    return pl.DataFrame(
        schema={"row": pl.Int64, **columns, "reason": pl.String, "detail": pl.String}
    )


def _load_table(
    con, source: Source, workdir: Path, as_of: dt.date
) -> tuple[TableCounts, pl.DataFrame]:
    """Stage one table in `con` and return its counts and quarantined rows.

    The stage table is created under the contract name and trimmed in place (rejected rows
    deleted, helper columns dropped), so a large table is never copied.
    """
    name, target = source.table, sql_ident(source.table)
    source.prepare(workdir)
    rejects = None if source.format == "parquet" else f"_load_rejects_{name}"
    drop = f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan" if rejects else ""
    rules = checks(source, as_of)
    codes = [k.code for k in rules]
    con.execute(f"{drop}; {stage_sql(source, name, source.scan_sql(rejects or ''), rules)}")
    parsed_out = rejects and con.execute(f"SELECT count(*) FROM {rejects}").fetchall()[0][0]
    if parsed_out:  # data row numbers must count the rows the CSV parser rejected
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_GAPS} AS SELECT r - row_number() OVER (ORDER BY r) AS g, "
            f"row_number() OVER (ORDER BY r) AS j FROM {rejects_rows_sql(rejects)}"
        )
    dups = duplicate_flags_sql(source, name, rules, _FLAGS, _GAPS)
    con.execute(f"DELETE FROM {_FLAGS}; {dups}; {_apply_flags(target)}")
    if name == "units":
        reason = (
            "CASE _chk " + " ".join(f"WHEN {n} THEN '{c}'" for n, c in enumerate(codes)) + " END"
        )
        _flag_hierarchy(con, codes, reason)
    total, rejected, used = con.execute(
        f"SELECT count(*), count(_chk), list(DISTINCT _chk) FILTER (WHERE _chk IS NOT NULL) FROM {target}"
    ).fetchall()[0]
    frame = _empty_quarantine(source)
    if rejected or parsed_out:
        helpers = {
            "flags": _FLAGS,
            "gaps": _GAPS,
            "rejects": rejects if parsed_out else None,
            "unit_reasons": None if name == "units" else _UNIT_REASONS,
        }
        frame = con.sql(quarantine_sql(source, name, rules, set(used or ()), helpers)).pl()
    raw = [
        f"_raw{i}" for i, c in enumerate(contract.TABLES[name].column_names) if c in source.present
    ]
    trim = [f"DELETE FROM {target} WHERE _chk IS NOT NULL"]
    trim += [f"ALTER TABLE {target} DROP COLUMN {column}" for column in ["_n", "_chk", *raw]]
    con.execute(
        "; ".join(s for s in [*trim, drop, f"DELETE FROM {_GAPS}" if parsed_out else ""] if s)
    )
    counts = TableCounts(
        read=total - rejected + frame.height, accepted=total - rejected, quarantined=frame.height
    )
    return counts, frame


def load(
    data_dir: Path,
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: dt.date,
    lifecycle: Lifecycle = Lifecycle(),
) -> Loaded:
    """Read, validate and stage every contract table found in `data_dir` into `con`.

    Creates one table per present input table (named as in the contract, typed with the
    contract's DuckDB types, accepted rows and contract columns only) and, when failure
    records are present, the view `stg_failure_records` with the lifecycle columns.

    Raises
    ------
    InputError
        When the folder cannot be rated; `problems` holds one line per structural problem,
        naming the file and, where it applies, the column.
    """
    data_dir = Path(data_dir)
    head = f"data folder {data_dir} cannot be rated"
    if not data_dir.is_dir():
        raise InputError(head, problems=[f"{data_dir}: not a folder"])
    files, problems = find_files(data_dir)
    sources: dict[str, Source] = {}
    for name, path in files.items():
        try:
            sources[name] = open_source(con, name, path)
        except Unreadable as exc:
            problems.append(_problem_text(path, exc))
            continue
        problems.extend(sources[name].problems())
    if problems:
        raise InputError(head, problems=problems)
    present = tuple(name for name in contract.TABLES if name in sources)
    counts, quarantine, created = {}, {}, []
    big = sum(files[name].stat().st_size for name in present) > _HASH_IN_BACKGROUND
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        tempfile.TemporaryDirectory(prefix="load-") as tmp,
    ):
        # Large inputs are hashed while DuckDB reads them (both release the GIL).
        hashes = {name: pool.submit(sha256_file, files[name]) for name in present} if big else {}
        try:
            # The connection mirrors this folder: no table or view left from an earlier load.
            stale = [
                f"DROP TABLE IF EXISTS {sql_ident(t)}" for t in contract.TABLES if t not in present
            ]
            con.execute(
                "; ".join(
                    [
                        f"DROP VIEW IF EXISTS {STAGED_FAILURE_RECORDS}",
                        *stale,
                        f"CREATE OR REPLACE TEMP TABLE {_FLAGS} (n BIGINT, chk SMALLINT, detail VARCHAR)",
                        f"CREATE OR REPLACE TEMP TABLE {_GAPS} (g BIGINT, j BIGINT)",
                    ]
                )
            )
            with _insertion_order(con):
                for name in present:
                    created.append(name)
                    try:
                        counts[name], quarantine[name] = _load_table(
                            con, sources[name], Path(tmp), as_of
                        )
                    except _UNREADABLE as exc:
                        if isinstance(exc, _ENGINE_BUGS):
                            raise
                        problems.append(_problem_text(files[name], exc))
                        if name == "units":  # every other table refers to units
                            break
            if problems:
                con.execute("; ".join(f"DROP TABLE IF EXISTS {sql_ident(t)}" for t in created))
                raise InputError(head, problems=problems)
            if "failure_records" in sources:
                con.execute(staging_view_sql(lifecycle))
        finally:
            con.execute(
                "; ".join(f"DROP TABLE IF EXISTS {t}" for t in (_FLAGS, _GAPS, _UNIT_REASONS))
            )
        sha = {name: hashes[name].result() if big else sha256_file(files[name]) for name in present}
    return Loaded(
        present=present,
        files={name: files[name] for name in present},
        counts=counts,
        quarantine=quarantine,
        encodings={n: s.encoding for n, s in sources.items() if s.encoding},
        extra_columns={name: sources[name].extra_columns for name in present},
        sha256=sha,
    )


def summary_table(loaded: Loaded) -> str:
    """Rows read, accepted and quarantined per table, quarantined rows broken down by reason."""
    lines = [f"{'table':<24}{'read':>12}{'accepted':>12}{'quarantined':>13}"]
    for name in loaded.present:
        c = loaded.counts[name]
        lines.append(f"{name:<24}{c.read:>12,}{c.accepted:>12,}{c.quarantined:>13,}")
        frame = loaded.quarantine[name]
        if frame.height:
            by_reason = (
                frame.group_by("reason").len().sort(["len", "reason"], descending=[True, False])
            )
            for reason, n in by_reason.iter_rows():
                lines.append(f"  {reason:<46}{n:>13,}")
    return "\n".join(lines)


def write_quarantine(loaded: Loaded, out_dir: Path) -> list[Path]:
    """Write `out_dir/quarantine/<table>.csv` (UTF-8, ordered by row) for each table with
    rejected rows; returns the files written."""
    written = []
    for name in loaded.present:
        frame = loaded.quarantine[name]
        if frame.height:
            path = Path(out_dir) / "quarantine" / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.sort(["row", "reason"]).write_csv(path)
            written.append(path)
    return written
