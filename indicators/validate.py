"""Row checks: the contract turned into SQL, run over the raw text of a table in one pass.

`checks` derives from contract.TABLES the ordered list of checks a row must pass; the first
failing one gives the row its stable reason code (docs/input.md lists them all). `stage_sql`
reads a source once, keeping typed values, the index of the first failing check and, for
failing rows only, the text as read: memory grows with the accepted data, not with the raw
text. Checks that need another table run next (`after_sql`); checks that need other rows
(`duplicate_flags_sql`) or the unit hierarchy (indicators.load) become flags on row numbers,
and `quarantine_sql` turns each rejected row into `row, <columns as text>, reason, detail`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from indicators import contract
from indicators.read import SPACE, Source, sql_ident, sql_literal, typed_sql

#: The sentence after `<column> '<value>'` in a detail, per reason code.
_SAYS = {
    "bad_encoding": " holds bytes that are not valid GBK/GB18030",
    "bad_id": " is not a unit id (six digits, or six digits, '-' and an upper-case code)",
    "bad_date": " is not {want}",
    "bad_type": " is not {want}",
    "bad_enum": " is not one of {values}",
    "negative_amount": " is negative (money is 0 or more)",
    "not_positive": " is not positive (must be greater than 0)",
    "out_of_range": " is outside {low}–{high}",
    "year_out_of_range": " is outside {low}–{high} (the run date's year)",
    "not_a_region": " is not a region; {table} is reported per region",
}
_WANT = {
    "DATE": "a date (YYYY-MM-DD)",
    "TIMESTAMP": "a timestamp (ISO 8601, e.g. 2024-03-01T09:30:00)",
    "BIGINT": "a whole number",
    "DOUBLE": "a finite number (digits, '.' as decimal point, no separators)",
    "BOOLEAN": "a boolean (true/false, 1/0, yes/no, 是/否)",
}
#: What DuckDB's CSV reader error types mean, for the detail of a rejected row.
_PARSER_ERRORS = {
    "MISSING COLUMNS": "row has fewer fields than the header",
    "TOO MANY COLUMNS": "row has more fields than the header",
    "UNQUOTED VALUE": "row has a badly quoted field (text after its closing quote, or no end)",
    "INVALID ENCODING": "row holds bytes that are not valid UTF-8",
    "LINE SIZE OVER MAXIMUM": "row is longer than the longest line the reader accepts",
}
#: Checks decided after the one-pass SQL, by other rows or by the unit hierarchy.
FLAG_CODES = (
    "duplicate_key",
    "duplicate_row",
    "region_mismatch",
    "unknown_parent",
    "unknown_region",
    "parent_cycle",
)


@dataclass(frozen=True)
class Check:
    """One row check: a reason code, the column it concerns and its SQL.

    `condition` is over the per-row aliases r<i> (trimmed text, NULL when empty), t<i> (typed
    value) and x<i> (value as read), or, when `after`, over the staged columns; None marks a
    flag set later. `detail` is over the quarantine aliases d<i> (text as read) and the typed
    columns, and reads as a sentence.
    """

    code: str
    column: str | None
    condition: str | None
    detail: str
    after: bool = False  # needs another table: applied by an UPDATE after staging


def any_of(expr: str, values) -> str:
    """SQL: `expr` equals one of `values`, as ORed comparisons: DuckDB plans a long IN list
    as a join, and a join in the staging query would cost the file order of its rows."""
    terms = (f"{expr} = {v if isinstance(v, int) else sql_literal(v)}" for v in values)
    return "(" + " OR ".join(terms) + ")"


def _say(*parts: str | int) -> str:
    """SQL concat of literal text and, for an int i, column i's value quoted (cut when long)."""

    def shown(i: int) -> str:
        return f"('''' || CASE WHEN length(d{i}) > 60 THEN left(d{i}, 57) || '...' ELSE d{i} END || '''')"

    return (
        "concat("
        + ", ".join(shown(p) if isinstance(p, int) else sql_literal(p) for p in parts)
        + ")"
    )


def _number(value: float | None) -> str:
    return "" if value is None else str(int(value)) if float(value).is_integer() else str(value)


def row_number_sql(alias: str, numbered: bool) -> str:
    """SQL for the 1-based ordinal of a staged row among the rows the reader returned: the
    `_n` column when the scan numbered rows, else the row id (the stage kept file order)."""
    return f"{alias}._n" if numbered else f"({alias}.rowid + 1)"


def checks(source: Source, as_of: dt.date) -> list[Check]:
    """Every check of `source`'s table, in the order that decides a row's reason.

    Per column (contract order): undecodable bytes, empty required value, id pattern, type,
    enumeration, sign and range, date window. Then rules across columns, references to
    units, and last the flags (FLAG_CODES) decided after this pass.
    """
    table = contract.TABLES[source.table]
    at = {c.name: i for i, c in enumerate(table.columns)}
    present = set(source.present)
    early, late = f"DATE '{contract.EARLIEST_DATE}'", f"DATE '{as_of.isoformat()}'"
    first_year, refs = int(contract.EARLIEST_DATE[:4]), source.table != "units"
    out: list[Check] = []

    def add(code: str, i: int, condition: str, key: str | None = None, **fmt) -> None:
        name = table.columns[i].name
        out.append(
            Check(code, name, condition, _say(f"{name} ", i, _SAYS[key or code].format(**fmt)))
        )

    for i, c in enumerate(table.columns):
        if c.name not in present:
            continue
        native, want = source.source_type(c.name) == c.type, _WANT.get(c.type)
        if source.transcoded:
            add("bad_encoding", i, f"contains(x{i}, '\ufffd')")
        if c.required:
            empty = _say(f"{c.name} is empty; a value is required")
            out.append(Check("missing_value", c.name, f"r{i} IS NULL", empty))
        if c.pattern:
            add("bad_id", i, f"NOT regexp_full_match(r{i}, {sql_literal(c.pattern)})")
        if c.type in ("DATE", "TIMESTAMP") and not native:
            add("bad_date", i, f"r{i} IS NOT NULL AND t{i} IS NULL", want=want)
        elif c.type == "DOUBLE":  # even a native double may be NaN or infinite
            add(
                "bad_type",
                i,
                f"r{i} IS NOT NULL AND (t{i} IS NULL OR NOT isfinite(t{i}))",
                want=want,
            )
        elif c.type in ("BIGINT", "BOOLEAN") and not native:
            add("bad_type", i, f"r{i} IS NOT NULL AND t{i} IS NULL", want=want)
        if c.enum:
            add("bad_enum", i, f"NOT {any_of(f't{i}', c.enum)}", values=", ".join(c.enum))
        if c.money:
            add("negative_amount", i, f"t{i} < 0")
        if c.positive:
            add("not_positive", i, f"t{i} <= 0")
        if c.min_value is not None or c.max_value is not None:
            low, high = _number(c.min_value), _number(c.max_value)
            add(
                "out_of_range",
                i,
                f"t{i} < {low or '-inf'} OR t{i} > {high or 'inf'}",
                low=low,
                high=high,
            )
        if c.event_date:
            before = _say(f"{c.name} ", i, f" is before {contract.EARLIEST_DATE}")
            after = _say(f"{c.name} ", i, f" is after the run date {as_of.isoformat()}")
            detail = f"CASE WHEN {sql_ident(c.name)} < {early} THEN {before} ELSE {after} END"
            out.append(
                Check(
                    "date_out_of_range",
                    c.name,
                    f"t{i} < {early} OR CAST(t{i} AS DATE) > {late}",
                    detail,
                )
            )
        if c.name == table.year_column:
            cond = f"t{i} < {first_year} OR t{i} > {as_of.year}"
            add("date_out_of_range", i, cond, "year_out_of_range", low=first_year, high=as_of.year)
    for i, c in enumerate(table.columns):
        if c.required_if and c.required_if[0] in present:
            other, values = c.required_if
            cond = f"r{i} IS NULL AND {any_of(f't{at[other]}', values)}"
            detail = _say(f"{c.name} is empty; it is required when {other} is ", at[other])
            out.append(Check("missing_status_date", c.name, cond, detail))
        if c.not_before and {c.name, c.not_before} <= present:
            j = at[c.not_before]
            detail = _say(f"{c.name} ", i, f" is before {c.not_before} ", j)
            out.append(Check("date_order", c.name, f"t{i} < t{j}", detail))
        if c.refers_to and refs and c.name in present:
            col = sql_ident(c.name)
            absent = _say(f"{c.name} ", i, " is not in units")
            rejected = _say(f"{c.name} ", i, " was quarantined in units (")
            detail = f"CASE WHEN _unit_reason IS NULL THEN {absent} ELSE concat({rejected}, _unit_reason, ')') END"
            cond = f"{col} NOT IN (SELECT unit_id FROM units)"
            out.append(Check("unknown_unit", c.name, cond, detail, after=True))
            if c.refers_to == "region":
                cond = f"{col} NOT IN (SELECT unit_id FROM units WHERE kind = 'region')"
                detail = _say(f"{c.name} ", i, _SAYS["not_a_region"].format(table=source.table))
                out.append(Check("not_a_region", c.name, cond, detail, after=True))
    out.extend(Check(code, None, None, "NULL") for code in FLAG_CODES)
    return out


def stage_sql(source: Source, target: str, scan: str, rules: list[Check], numbered: bool) -> str:
    """CREATE the table `target`: typed contract columns, `_chk` (index of the first failing
    check, NULL when the row passes), `_raw<i>` (text as read, failing rows only) and, when
    the scan numbers rows, `_n`. The query holds no join, so that DuckDB can keep file order
    while reading in parallel; checks that need another table run afterwards (`after_sql`)."""
    cols = contract.TABLES[source.table].columns
    parsed = [typed_sql(source, c, i) for i, c in enumerate(cols)]
    n = "_n, " if numbered else ""
    raw = n + ", ".join(f"{sql_ident(c.name)} AS x{i}" for i, c in enumerate(cols))
    trimmed = n + ", ".join(f"x{i}, {r} AS r{i}" for i, (r, _) in enumerate(parsed))
    typed = n + ", ".join(f"x{i}, r{i}, {t} AS t{i}" for i, (_, t) in enumerate(parsed))
    when = " ".join(
        f"WHEN {k.condition} THEN {i}" for i, k in enumerate(rules) if k.condition and not k.after
    )
    final = ", ".join(f"CAST(t{i} AS {c.type}) AS {sql_ident(c.name)}" for i, c in enumerate(cols))
    keep = "".join(
        f", CASE WHEN _chk IS NOT NULL THEN CAST(x{i} AS VARCHAR) END AS _raw{i}"
        for i, c in enumerate(cols)
        if c.name in source.present
    )
    return f"""
        CREATE OR REPLACE TABLE {sql_ident(target)} AS
        WITH src AS ({scan}),
        a AS (SELECT {raw} FROM src),
        b AS (SELECT {trimmed} FROM a),
        c AS (SELECT {typed} FROM b),
        d AS (SELECT *, CAST({f"CASE {when} END" if when else "NULL"} AS SMALLINT) AS _chk FROM c)
        SELECT {final}, {n}_chk{keep} FROM d"""


def after_sql(target: str, rules: list[Check]) -> list[str]:
    """UPDATEs applying, in order, the checks that need another table to rows that passed
    every earlier check (these checks come after all per-row checks, so order is kept)."""
    return [
        f"UPDATE {sql_ident(target)} SET _chk = {i} WHERE _chk IS NULL AND ({k.condition})"
        for i, k in enumerate(rules)
        if k.after
    ]


def duplicate_flags_sql(
    source: Source, target: str, rules: list[Check], flags: str, gaps: str, numbered: bool
) -> str:
    """INSERT into `flags` the rows that repeat a key: all copies when their content differs
    (duplicate_key), all but the first when they are exact copies (duplicate_row)."""
    table = contract.TABLES[source.table]
    key = ", ".join(sql_ident(k) for k in table.key)
    content = ", ".join(sql_ident(c) for c in table.column_names)
    codes = [k.code for k in rules]
    desc = ", ', ', ".join(f"'{k} ''', CAST({sql_ident(k)} AS VARCHAR), ''''" for k in table.key)
    return f"""
        INSERT INTO {flags}
        WITH k AS (
            SELECT {row_number_sql("t", numbered)} AS _n, {key}, hash({content}) AS h
            FROM {sql_ident(target)} t WHERE _chk IS NULL
        ),
        grp AS (
            SELECT {key}, count(*) AS copies, min(_n) AS first_n, min(h) <> max(h) AS conflict
            FROM k GROUP BY {key} HAVING count(*) > 1
        )
        SELECT
            _n,
            CASE WHEN conflict THEN {codes.index("duplicate_key")} ELSE {codes.index("duplicate_row")} END,
            CASE WHEN conflict
                THEN concat({desc}, ' appears in ', copies, ' rows with different content; all are quarantined')
                ELSE concat('exact copy of row ',
                            first_n + (SELECT count(*) FROM {gaps} WHERE g < first_n),
                            ' (', {desc}, '), which is kept')
            END
        FROM k JOIN grp USING ({key})
        WHERE conflict OR _n <> first_n"""


def quarantine_sql(
    source: Source,
    target: str,
    rules: list[Check],
    used: set[int],
    tables: dict[str, str | None],
    numbered: bool,
) -> str:
    """SELECT every rejected row as `row, <present columns as text>, reason, detail`, ordered
    by row; `row` is the 1-based data row in the file, counting rows the CSV parser rejected.

    `used` holds the indices of the checks that failed somewhere (keeps the SQL short);
    `tables` names the helper tables: flags, gaps, rejects and unit_reasons (None if absent).
    """
    cols = contract.TABLES[source.table].columns
    shown = [(i, c) for i, c in enumerate(cols) if c.name in source.present]
    texts = "".join(
        f"COALESCE(s._raw{i}, CAST(s.{sql_ident(c.name)} AS VARCHAR)) AS d{i}, " for i, c in shown
    )
    out = "".join(f"d{i} AS {sql_ident(c.name)}, " for i, c in shown)
    picked = [(n, k) for n, k in enumerate(rules) if n in used] or [
        (-1, Check("", None, None, "NULL"))
    ]
    reason = "CASE _chk " + " ".join(f"WHEN {n} THEN '{k.code}'" for n, k in picked) + " END"
    detail = "CASE _chk " + " ".join(f"WHEN {n} THEN {k.detail}" for n, k in picked) + " END"
    unit_join, unit_reason = "", "NULL"
    if tables["unit_reasons"]:
        unit_join, unit_reason = (
            f"LEFT JOIN {tables['unit_reasons']} u ON u.unit_id = s.unit_id",
            "u.reason",
        )
    sql = f"""
        WITH s AS (
            SELECT *, {row_number_sql("t", numbered)} AS _row FROM {sql_ident(target)} t
            WHERE _chk IS NOT NULL
        ),
        q AS (
            SELECT s.*, {texts}f.detail AS _flag, {unit_reason} AS _unit_reason
            FROM s LEFT JOIN {tables["flags"]} f ON f.n = s._row {unit_join}
        )
        SELECT CAST(q._row + COALESCE(gp.j, 0) AS BIGINT) AS "row", {out}
               {reason} AS reason, COALESCE(_flag, {detail}) AS detail
        FROM q ASOF LEFT JOIN (SELECT g, max(j) AS j FROM {tables["gaps"]} GROUP BY g) gp
            ON q._row > gp.g"""
    if tables["rejects"]:
        nulls = "".join(f"NULL::VARCHAR AS {sql_ident(c.name)}, " for _, c in shown)
        what = " ".join(
            f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in _PARSER_ERRORS.items()
        )
        sql += f"""
        UNION ALL
        SELECT r, {nulls}
               CASE WHEN error_type = 'INVALID ENCODING' THEN 'bad_encoding' ELSE 'malformed_row' END,
               concat(CASE error_type {what} ELSE error_message END, ': ',
                      left(trim(csv_line, {SPACE}), 80))
        FROM {tables["rejects"]}"""
    return f'SELECT * FROM ({sql}) ORDER BY "row", reason'


def rejected_rows_sql(rejects: str, blank_lines: str, readable: int) -> str:
    """A SELECT over DuckDB's rejects table: one row per record the CSV parser rejected, with
    `r`, its 1-based data row number. DuckDB numbers lines counting blank lines, which are not
    rows: `blank_lines` lists their line numbers. The numbers are then kept distinct and within
    the rows read (`readable` rows were returned by the parser), whatever the file holds."""
    r = f"line - 1 - (SELECT count(*) FROM {blank_lines} b WHERE b.line < e.line)"
    capped = f"CAST(j + least(greatest(max(r - j) OVER (ORDER BY j), 0), {readable}) AS BIGINT)"
    return f"""
        SELECT {capped} AS r, error_type, error_message, csv_line FROM (
            SELECT *, row_number() OVER (ORDER BY r, line) AS j FROM (
                SELECT CAST(line AS BIGINT) AS line, {r} AS r, error_type, error_message, csv_line
                FROM (SELECT line, any_value(error_type) AS error_type,
                             any_value(error_message) AS error_message, any_value(csv_line) AS csv_line
                      FROM {rejects} GROUP BY line) e))"""


_QUOTE_OR_NEWLINE = re.compile(rb'["\n]')


def blank_line_numbers(path: Path, chunk_bytes: int = 1 << 22) -> list[int]:
    """Numbers of the blank lines of a CSV file (outside quoted fields), as DuckDB's reader
    counts lines: a record spanning lines counts once. A streaming scan in Python, run only
    when the parser rejected rows of a file that has blank lines (`has_blank_line`)."""
    blanks, line, quoted, previous, offset, last = [], 1, False, -1, 0, b""
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            for match in _QUOTE_OR_NEWLINE.finditer(chunk):
                if match.group() == b'"':
                    quoted = not quoted
                elif not quoted:
                    at = offset + match.start()
                    before = chunk[match.start() - 1 : match.start()] if match.start() else last
                    if at == previous + 1 or (at == previous + 2 and before == b"\r"):
                        blanks.append(line)
                    line, previous = line + 1, at
            offset, last = offset + len(chunk), chunk[-1:]
    return blanks


def has_blank_line(path: Path, chunk_bytes: int = 1 << 22) -> bool:
    """True when the file holds an empty line (or one holding only a carriage return)."""
    with open(path, "rb") as fh:
        tail = b""
        while chunk := fh.read(chunk_bytes):
            if b"\n\n" in tail + chunk or b"\n\r\n" in tail + chunk:
                return True
            tail = chunk[-2:]
    return False
