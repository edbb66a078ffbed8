"""The input stage: read a data folder, validate every row, stage the accepted rows in DuckDB.

`load` is the one entry point. Structural problems (a required table or column missing, a file
that cannot be read or decoded, two files for one table) of all tables are collected first and
raised together as one `InputError`, one line per problem. Then each table is read and checked
in one SQL pass (indicators.validate); rejected rows go to `Loaded.quarantine` with a stable
reason code and a sentence, accepted rows to a DuckDB table named after the contract table.
Units are loaded first, checked against each other (`unit_hierarchy_flags`), so the other
tables can only refer to accepted units.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from indicators import contract
from indicators.delivery import Delivery, read_delivery
from indicators.errors import InputError
from indicators.fiscal import apply_fiscal_rule, fiscal_problems
from indicators.lifecycle import STAGED_FAILURE_RECORDS, Lifecycle, staging_view_sql
from indicators.mask import mask_frame
from indicators.read import Source, Unreadable, find_files, open_source, sha256_file, sql_ident
from indicators.validate import (
    after_sql,
    blank_line_numbers,
    checks,
    duplicate_flags_sql,
    has_blank_line,
    quarantine_sql,
    rejected_rows_sql,
    row_number_sql,
    stage_sql,
)

_FLAGS, _GAPS, _UNIT_REASONS = "_load_flags", "_load_gaps", "_load_unit_reasons"
_REJECTED, _BLANKS = "_load_rejected", "_load_blank_lines"
_HASH_IN_BACKGROUND = 64 << 20  # bytes of input above which hashing runs in a thread
#: Failures while reading a file's rows: the file is broken (DuckDB reports damaged Parquet
#: under many error types), unless the error says the engine's own SQL is wrong.
_UNREADABLE = (Unreadable, OSError, duckdb.Error)
#: Not the input's fault: a bug of the engine, or memory (reported by indicators.db as such).
_ENGINE_BUGS = (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException,
                duckdb.OutOfMemoryException)


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
    #: debt only: the manifest's `fiscal_capacity` entry (indicators.fiscal.apply_fiscal_rule)
    fiscal: dict | None = None


def _problem_text(path: Path, exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"{path.name}: {text}"
        if isinstance(exc, Unreadable)
        else f"{path.name}: cannot be read ({text})"
    )


@contextlib.contextmanager
def _settings(con: duckdb.DuckDBPyConnection):
    """Settings for the load, restored afterwards: file order is kept (row numbers follow
    it), and DuckDB's progress bar shows on a terminal only, never in a pipe or CI log."""
    wanted = {"preserve_insertion_order": True}
    if not sys.stdout.isatty():
        wanted["enable_progress_bar"] = False
    names = ", ".join(f"current_setting('{name}')" for name in wanted)
    old = dict(zip(wanted, con.execute(f"SELECT {names}").fetchall()[0], strict=True))
    changed = {k: v for k, v in wanted.items() if old[k] != v}  # a notebook kernel refuses even a no-op SET

    def apply(settings: dict) -> None:
        for name, value in settings.items():
            try:
                con.execute(f"SET {name} = {str(value).lower()}")
            except duckdb.Error:  # e.g. the progress bar in a kernel without ipywidgets: cosmetic
                if name != "enable_progress_bar":
                    raise

    apply(changed)
    try:
        yield
    finally:
        apply({k: old[k] for k in changed})


def _apply_flags(target: str, numbered: bool) -> str:
    """SQL: give flagged rows of `target` their check index."""
    return (
        f"UPDATE {target} SET _chk = f.chk FROM {_FLAGS} f "
        f"WHERE {row_number_sql(target, numbered)} = f.n AND {target}._chk IS NULL"
    )


def _missing(unit_id: str, why: dict[str, str]) -> str:
    if unit_id in why:
        return f"'{unit_id}' was quarantined in units ({why[unit_id]})"
    return f"'{unit_id}' is not in units"


def unit_hierarchy_flags(
    units: list[tuple[int, str, str, str | None, str]], rejected: dict[str, str]
) -> list[tuple[int, str, str]]:
    """Flags `(row number, code, detail)` from the unit hierarchy.

    `units` holds `(row number, unit_id, kind, parent_id, region_id)` of the units that passed
    every other check (unit ids unique); `rejected` maps unit ids already quarantined to
    their reason. A region must be its own region (region_mismatch). A parent_id must name
    an accepted unit (unknown_parent) and a department's region_id an accepted region
    (unknown_region); this repeats until nothing changes, because rejecting a unit orphans
    the units below it. Units whose parent chain loops are parent_cycle, and the units
    hanging below a loop then become unknown_parent.
    """
    alive = {u[1]: u for u in units}
    why = dict(rejected)
    out: list[tuple[int, str, str]] = []

    def reject(uid: str, code: str, detail: str) -> None:
        out.append((alive.pop(uid)[0], code, detail))
        why[uid] = code

    for uid, (_, _, kind, _, region) in list(alive.items()):
        if kind == "region" and region != uid:
            reject(
                uid,
                "region_mismatch",
                f"region_id '{region}' differs from unit_id '{uid}'; a region is its own region",
            )

    def orphans() -> None:
        changed = True
        while changed:
            changed = False
            for uid, (_, _, kind, parent, region) in list(alive.items()):
                if parent is not None and parent not in alive:
                    reject(uid, "unknown_parent", f"parent_id {_missing(parent, why)}")
                elif kind == "department" and region not in alive:
                    reject(uid, "unknown_region", f"region_id {_missing(region, why)}")
                elif kind == "department" and alive[region][2] != "region":
                    reject(
                        uid, "unknown_region", f"region_id '{region}' is a department, not a region"
                    )
                else:
                    continue
                changed = True

    orphans()
    walked: dict[str, str] = {}
    for start in list(alive):
        path, uid = [], start
        while uid in alive and uid not in walked:
            walked[uid] = start
            path.append(uid)
            uid = alive[uid][3]
        if uid in alive and walked.get(uid) == start:
            loop = path[path.index(uid) :]
            chain = " -> ".join([*loop, uid])
            for member in loop:
                reject(member, "parent_cycle", f"parent_id chain loops: {chain}")
    orphans()
    return out


def _flag_hierarchy(con: duckdb.DuckDBPyConnection, codes: list[str], numbered: bool) -> None:
    """Flag units that break the hierarchy; record why each rejected unit id was rejected."""
    n = row_number_sql("units", numbered)
    reason = "CASE _chk " + " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(codes)) + " END"
    ok = con.execute(
        f"SELECT {n}, unit_id, kind, parent_id, region_id FROM units WHERE _chk IS NULL"
    ).fetchall()
    why = (
        f"SELECT unit_id, arg_min({reason}, {n}) AS reason FROM units "
        "WHERE _chk IS NOT NULL AND unit_id IS NOT NULL GROUP BY unit_id"
    )
    flags = unit_hierarchy_flags(ok, dict(con.execute(why).fetchall()))
    if flags:
        rows = [(row, codes.index(code), detail) for row, code, detail in flags]
        con.executemany(f"INSERT INTO {_FLAGS} VALUES (?, ?, ?)", rows)
        con.execute(_apply_flags("units", numbered))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_UNIT_REASONS} AS {why}")


def _keeps_file_order(con: duckdb.DuckDBPyConnection, stage: str) -> bool:
    """True when DuckDB plans `stage` as a batch insert, which keeps the rows in file order
    while reading in parallel, so a row id is the row's ordinal in the file."""
    plan = " ".join(str(cell) for row in con.execute(f"EXPLAIN {stage}").fetchall() for cell in row)
    return "batch create table as" in plan.lower().replace("_", " ")


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
    deleted, helper columns dropped), so a large table is never copied. Row numbers come from
    the file order DuckDB keeps in a batch insert; should a plan not keep it, the scan numbers
    its rows instead (exact, but read on one thread). Parquet files carry their row numbers.
    """
    name, target = source.table, sql_ident(source.table)
    source.prepare(workdir)
    rejects = None if source.format == "parquet" else f"_load_rejects_{name}"
    drop = f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan" if rejects else ""
    rules = checks(source, as_of)
    codes = [k.code for k in rules]
    numbered = source.format == "parquet"
    stage = stage_sql(source, name, source.scan_sql(rejects or "", numbered), rules, numbered)
    if not numbered and not _keeps_file_order(con, stage):
        numbered = True
        stage = stage_sql(source, name, source.scan_sql(rejects or "", numbered), rules, numbered)
    con.execute("; ".join(s for s in [drop, stage, *after_sql(name, rules)] if s))
    parsed_out = rejects and con.execute(f"SELECT count(*) FROM {rejects}").fetchall()[0][0]
    if parsed_out:  # data row numbers must count the rows the CSV parser rejected
        path = source.read_path or source.path
        blanks = blank_line_numbers(path) if has_blank_line(path) else []
        readable = con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_BLANKS} (line BIGINT)")
        if blanks:
            con.executemany(f"INSERT INTO {_BLANKS} VALUES (?)", [(b,) for b in blanks])
        rows = rejected_rows_sql(rejects, _BLANKS, readable)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_REJECTED} AS {rows}; "
            f"CREATE OR REPLACE TEMP TABLE {_GAPS} AS SELECT r - row_number() OVER (ORDER BY r) AS g, "
            f"row_number() OVER (ORDER BY r) AS j FROM {_REJECTED}"
        )
    con.execute(f"DELETE FROM {_FLAGS}")
    key = ", ".join(sql_ident(k) for k in contract.TABLES[name].key)
    repeated = f"SELECT count(*) > count(DISTINCT ({key})) FROM {target} WHERE _chk IS NULL"
    if con.execute(repeated).fetchall()[0][0]:  # the usual case, no key repeated, costs one pass
        dups = duplicate_flags_sql(source, name, rules, _FLAGS, _GAPS, numbered)
        con.execute(f"{dups}; {_apply_flags(target, numbered)}")
    if name == "units":
        _flag_hierarchy(con, codes, numbered)
    total, rejected, used = con.execute(
        f"SELECT count(*), count(_chk), list(DISTINCT _chk) FILTER (WHERE _chk IS NOT NULL) FROM {target}"
    ).fetchall()[0]
    frame = _empty_quarantine(source)
    if rejected or parsed_out:
        helpers = {
            "flags": _FLAGS,
            "gaps": _GAPS,
            "rejects": _REJECTED if parsed_out else None,
            "unit_reasons": None if name == "units" else _UNIT_REASONS,
        }
        sql = quarantine_sql(source, name, rules, set(used or ()), helpers, numbered)
        frame = con.sql(sql).pl()
    helper_columns = ["_n"] * numbered + ["_chk"]
    helper_columns += [
        f"_raw{i}" for i, c in enumerate(contract.TABLES[name].column_names) if c in source.present
    ]
    trim = [f"DELETE FROM {target} WHERE _chk IS NOT NULL"]
    trim += [f"ALTER TABLE {target} DROP COLUMN {column}" for column in helper_columns]
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
    delivery: Delivery | None = None,
) -> Loaded:
    """Read, validate and stage every contract table found in `data_dir` into `con`.

    Creates one table per present input table (named as in the contract, typed with the
    contract's DuckDB types, accepted rows and contract columns only) and, when failure
    records are present, the view `stg_failure_records` with the lifecycle columns. The debt
    table's fiscal_capacity is the one the fiscal rule of `delivery` (default: read from
    `data_dir/delivery.toml`) gives.

    Raises
    ------
    InputError
        When the folder cannot be rated; `problems` holds one line per structural problem,
        naming the file and, where it applies, the column.
    """
    data_dir = Path(data_dir)
    view = staging_view_sql(lifecycle)  # a bad lifecycle fails before any work
    head = f"data folder {data_dir} cannot be rated"
    if not data_dir.is_dir():
        raise InputError(head, problems=[f"{data_dir}: not a folder"])
    files, problems = find_files(data_dir)
    try:
        delivery = read_delivery(data_dir) if delivery is None else delivery
    except InputError as exc:
        problems.append(str(exc))
        delivery = Delivery()
    sources: dict[str, Source] = {}
    for name, path in files.items():
        try:
            sources[name] = open_source(con, name, path)
        except Unreadable as exc:
            problems.append(_problem_text(path, exc))
            continue
        problems.extend(sources[name].problems())
    if "debt" in sources:
        problems.extend(fiscal_problems(delivery.fiscal, files["debt"].name, sources["debt"].present))
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
            with _settings(con):
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
            fiscal = apply_fiscal_rule(con, delivery.fiscal) if "debt" in sources else None
            if "failure_records" in sources:
                con.execute(view)
        finally:
            helpers = (_FLAGS, _GAPS, _UNIT_REASONS, _REJECTED, _BLANKS)
            con.execute("; ".join(f"DROP TABLE IF EXISTS {t}" for t in helpers))
        sha = {name: hashes[name].result() if big else sha256_file(files[name]) for name in present}
    return Loaded(
        present=present,
        files={name: files[name] for name in present},
        counts=counts,
        quarantine=quarantine,
        encodings={n: s.encoding for n, s in sources.items() if s.encoding},
        extra_columns={name: sources[name].extra_columns for name in present},
        sha256=sha,
        fiscal=fiscal,
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
            # rows as read leave the data layer here: personal data in any text is masked
            mask_frame(frame, exclude=("reason",)).sort(["row", "reason"]).write_csv(path)
            written.append(path)
    return written
