"""Row checks: the contract turned into SQL, run over the raw text of a table in one pass.

`checks` derives from contract.TABLES the ordered list of checks a row must pass; the first
failing one gives the row its stable reason code (docs/input.md lists them all). `stage_sql`
reads a source once, keeping typed values, the index of the first failing check and, for
failing rows only, the text as read: memory grows with the accepted data, not with the raw
text. Checks that need other rows (`duplicate_flags_sql`) or the unit graph
(`unit_hierarchy_flags`, plain Python: units are few) become flags on row ids afterwards, and
`quarantine_sql` turns each rejected row into `row, <columns as text>, reason, detail`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
    value) and x<i> (value as read); None marks a flag set later. `detail` is over the
    quarantine aliases d<i> (text as read) and the typed columns, and reads as a sentence.
    """

    code: str
    column: str | None
    condition: str | None
    detail: str


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
            out.append(Check("missing_value", c.name, f"r{i} IS NULL", _say(f"{c.name} is empty")))
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
            listed = ", ".join(map(sql_literal, c.enum))
            add("bad_enum", i, f"t{i} NOT IN ({listed})", values=", ".join(c.enum))
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
                Check("date_out_of_range", c.name, f"t{i} < {early} OR CAST(t{i} AS DATE) > {late}", detail)
            )
        if c.name == table.year_column:
            cond = f"t{i} < {first_year} OR t{i} > {as_of.year}"
            add("date_out_of_range", i, cond, "year_out_of_range", low=first_year, high=as_of.year)
    for i, c in enumerate(table.columns):
        if c.required_if and c.required_if[0] in present:
            other, values = c.required_if
            cond = f"r{i} IS NULL AND t{at[other]} IN ({', '.join(map(sql_literal, values))})"
            detail = _say(f"{c.name} is empty; it is required when {other} is ", at[other])
            out.append(Check("missing_status_date", c.name, cond, detail))
        if c.not_before and {c.name, c.not_before} <= present:
            j = at[c.not_before]
            detail = _say(f"{c.name} ", i, f" is before {c.not_before} ", j)
            out.append(Check("date_order", c.name, f"t{i} < t{j}", detail))
        if c.refers_to and refs and c.name in present:
            absent = _say(f"{c.name} ", i, " is not in units")
            rejected = _say(f"{c.name} ", i, " was quarantined in units (")
            detail = f"CASE WHEN _unit_reason IS NULL THEN {absent} ELSE concat({rejected}, _unit_reason, ')') END"
            out.append(
                Check("unknown_unit", c.name, f"t{i} NOT IN (SELECT unit_id FROM units)", detail)
            )
        if c.refers_to == "region" and refs and c.name in present:
            cond = f"t{i} NOT IN (SELECT unit_id FROM units WHERE kind = 'region')"
            add("not_a_region", i, cond, table=source.table)
    out.extend(Check(code, None, None, "NULL") for code in FLAG_CODES)
    return out


def stage_sql(source: Source, target: str, scan: str, rules: list[Check]) -> str:
    """CREATE the table `target`: typed contract columns, `_n` (the row's ordinal among the
    rows the reader returned), `_chk` (index of the first failing check, NULL when the row
    passes) and `_raw<i>` (text as read, failing rows only)."""
    cols = contract.TABLES[source.table].columns
    parsed = [typed_sql(source, c, i) for i, c in enumerate(cols)]
    raw = "_n, " + ", ".join(f"{sql_ident(c.name)} AS x{i}" for i, c in enumerate(cols))
    trimmed = "_n, " + ", ".join(f"x{i}, {r} AS r{i}" for i, (r, _) in enumerate(parsed))
    typed = "_n, " + ", ".join(f"x{i}, r{i}, {t} AS t{i}" for i, (_, t) in enumerate(parsed))
    when = " ".join(f"WHEN {k.condition} THEN {n}" for n, k in enumerate(rules) if k.condition)
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
        SELECT {final}, _n, _chk{keep} FROM d"""


def duplicate_flags_sql(
    source: Source, target: str, rules: list[Check], flags: str, gaps: str
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
            SELECT _n, {key}, hash({content}) AS h FROM {sql_ident(target)} WHERE _chk IS NULL
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
        WITH s AS (SELECT * FROM {sql_ident(target)} WHERE _chk IS NOT NULL),
        q AS (
            SELECT s.*, {texts}f.detail AS _flag, {unit_reason} AS _unit_reason
            FROM s LEFT JOIN {tables["flags"]} f ON f.n = s._n {unit_join}
        )
        SELECT CAST(q._n + COALESCE(gp.j, 0) AS BIGINT) AS "row", {out}
               {reason} AS reason, COALESCE(_flag, {detail}) AS detail
        FROM q ASOF LEFT JOIN (SELECT g, max(j) AS j FROM {tables["gaps"]} GROUP BY g) gp
            ON q._n > gp.g"""
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
        FROM {rejects_rows_sql(tables["rejects"])}"""
    return f'SELECT * FROM ({sql}) ORDER BY "row", reason'


def rejects_rows_sql(rejects: str) -> str:
    """A subquery over DuckDB's rejects table: one row per rejected record, with `r`, its
    1-based data row number (blank lines directly before it are not counted)."""
    lead = "regexp_extract(csv_line, '^[\\r\\n]*')"
    return f"""(
        SELECT CAST(line AS BIGINT) - 1 - (length({lead}) - length(replace({lead}, chr(10), ''))) AS r,
               error_type, error_message, csv_line
        FROM (SELECT line, any_value(error_type) AS error_type, any_value(error_message) AS error_message,
                     any_value(csv_line) AS csv_line
              FROM {rejects} GROUP BY line))"""


def _missing(unit_id: str, why: dict[str, str]) -> str:
    if unit_id in why:
        return f"'{unit_id}' was quarantined in units ({why[unit_id]})"
    return f"'{unit_id}' is not in units"


def unit_hierarchy_flags(
    units: list[tuple[int, str, str, str | None, str]], rejected: dict[str, str]
) -> list[tuple[int, str, str]]:
    """Flags `(row id, code, detail)` from the unit hierarchy.

    `units` holds `(row id, unit_id, kind, parent_id, region_id)` of the units that passed
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
