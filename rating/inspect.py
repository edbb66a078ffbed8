"""What a loaded data folder can give a rating, before any rating (`rating validate`): rows per
table, the years and units each table covers, which indicators and dimensions can be computed,
why the data cannot be rated if it cannot, and year-on-year jumps an evaluator should check."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from indicators.compute import compute_indicators
from indicators.contract import RECORD_TABLES, TABLES
from indicators.coverage import coverage_text
from indicators.framework import Framework, Node
from rating.explain import amount, number
from rating.scope import scope_of, top_dimension

#: A figure changing by more than this share of its previous year's value is listed for checking.
JUMP = 0.5
#: The figures checked for jumps: (table, column).
JUMP_FIGURES = (("debt", "debt_balance"), ("debt", "fiscal_capacity"), ("unit_stats", "population"))


@dataclass(frozen=True)
class Inspection:
    """`tables`: one row per contract table (present, rows, years, units); `indicators`: one row
    per index indicator (dimension, computable, why not); `problems`: why the data cannot be
    rated (empty when it can); `jumps`: figures to check by hand."""

    tables: pl.DataFrame
    reasons: dict[str, list[tuple[str, int]]]  # quarantined rows by reason, per table
    indicators: pl.DataFrame
    dimensions: dict[str, tuple[str, bool]]  # code -> (names, covered)
    covered_weight: float
    scope: dict  # what a run would record as its scope (rating.scope), from the computed indicators
    fiscal: dict | None
    jumps: pl.DataFrame
    problems: list[str]


def _needed_columns(d) -> set[str]:
    """Columns of an indicator's table that must have a value somewhere for it to have one."""
    cols = {d.column, d.denominator_column, d.start, d.end, d.weight_column}
    cols |= {c.column for c in d.where if not (c.op == "is_null" and c.value)}
    return {c for c in cols if c}


def _why_not(node: Node, present: set[str], filled: dict[str, dict[str, int]], cov: dict,
             stat_years: list[int], unit_kinds: set[tuple[str, str]]) -> str:
    """Why `node` cannot be computed ('' when it can)."""
    d = node.definition
    if d.table not in present:
        return f"{d.table} absent"
    if not filled[d.table]["_rows"]:
        return f"{d.table}: no row accepted"
    for col in sorted(_needed_columns(d)):
        if not filled[d.table][col]:
            if col == "fiscal_capacity":
                return "debt: fiscal capacity neither given nor derivable in any row"
            return f"{d.table}.{col}: no value in any row"
    if d.per and not filled["unit_stats"][d.per]:
        return f"unit_stats.{d.per}: no value in any row"
    if not any((k, lv) in unit_kinds for k in node.kinds for lv in node.levels):
        return f"no unit it applies to ({'/'.join(node.kinds)} at {'/'.join(node.levels)} level)"
    years = cov.get(d.table, {}).get("years")
    if years is not None and not set(years) & set(stat_years):
        return f"{d.table} covers {coverage_text(cov[d.table], 'en')}, no year of unit_stats"
    return ""


def jumps(con: duckdb.DuckDBPyConnection, present: set[str], share: float = JUMP) -> pl.DataFrame:
    """Debt balances, fiscal capacities and populations that change by more than `share` of the
    previous year's value from one year to the next for the same unit, largest change first:
    figure, unit_id, year_before, year, before, after."""
    parts = [f"SELECT '{c}' AS figure, unit_id, year, CAST(\"{c}\" AS DOUBLE) AS value FROM {t} WHERE \"{c}\" IS NOT NULL"
             for t, c in JUMP_FIGURES if t in present]
    if not parts:
        return pl.DataFrame(schema={"figure": pl.String, "unit_id": pl.String, "year_before": pl.Int64,
                                    "year": pl.Int64, "before": pl.Float64, "after": pl.Float64})
    return con.sql(f"""
        WITH v AS ({' UNION ALL '.join(parts)}),
        d AS (SELECT figure, unit_id, lag(year) OVER w AS year_before, year, lag(value) OVER w AS before, value AS after
              FROM v WINDOW w AS (PARTITION BY figure, unit_id ORDER BY year))
        SELECT figure, unit_id, year_before, year, before, after FROM d
        WHERE year = year_before + 1 AND abs(after - before) > {float(share)} * abs(before)
        ORDER BY figure, abs(after - before) / nullif(abs(before), 0) DESC NULLS FIRST, unit_id, year""").pl()


def inspect(con: duckdb.DuckDBPyConnection, loaded, framework: Framework, coverage: dict[str, dict]) -> Inspection:
    """Inspect the tables `indicators.load.load` staged in `con` (`loaded` says what it did),
    against `framework` and the record tables' `coverage` (indicators.coverage.table_coverage)."""
    present = set(loaded.present)
    filled: dict[str, dict[str, int]] = {}
    for t in present:  # rows, and rows with a value, of every column an indicator may read
        cols = TABLES[t].column_names
        counts = ", ".join(f'count("{c}")' for c in cols)
        row = con.execute(f"SELECT count(*), {counts} FROM {t}").fetchall()[0]
        filled[t] = {"_rows": row[0], **dict(zip(cols, row[1:]))}
    stat_years = [r[0] for r in con.execute("SELECT DISTINCT year FROM unit_stats ORDER BY 1").fetchall()] \
        if "unit_stats" in present else []
    unit_kinds = set(con.execute("SELECT DISTINCT kind, level FROM units").fetchall()) if "units" in present else set()
    rows = []
    for t, spec in TABLES.items():
        c = loaded.counts.get(t)
        entry = {"table": t, "present": t in present, "required": spec.required,
                 "read": c.read if c else None, "accepted": c.accepted if c else None,
                 "quarantined": c.quarantined if c else None, "years": "", "units": ""}
        if t == "units" and t in present:
            kinds = dict(con.execute("SELECT kind, count(*) FROM units GROUP BY 1").fetchall())
            entry["units"] = ", ".join(f"{n:,} {k}s" for k, n in sorted(kinds.items()))
        elif t == "unit_stats" and t in present:
            entry["years"] = coverage_text({"present": True, "years": stat_years}, "en")
            n = con.execute("SELECT count(DISTINCT unit_id) FROM unit_stats").fetchall()[0][0]
            entry["units"] = f"{n:,} with rows"
        elif t in RECORD_TABLES and t in present:
            cov = coverage[t]
            declared = " (declared)" if cov["declared"] else ""
            entry["years"] = coverage_text(cov, "en") + declared
            who = "all" if cov["units"] == "all" else f"{len(cov['units']):,} declared"
            entry["units"] = f"{who}; {cov['units_with_rows']:,} with rows"
        rows.append(entry)
    tables = pl.DataFrame(rows)
    reasons = {t: [(r, n) for r, n in loaded.quarantine[t].group_by("reason").len()
                   .sort(["len", "reason"], descending=[True, False]).iter_rows()]
               for t in loaded.present if loaded.quarantine[t].height}
    dims = framework.children(framework.code)
    # the indicators themselves, as a run computes them: validate and run cannot disagree
    scope = scope_of(framework, compute_indicators(con, framework, present, coverage=coverage), coverage)
    out = set(scope["indicators_out"])
    ind = pl.DataFrame(
        [(n.code, top_dimension(framework, n.code), n.definition.table,
          (_why_not(n, present, filled, coverage, stat_years, unit_kinds)
           or "no value in any unit-year (e.g. every denominator missing or below its minimum)") if n.code in out else "")
         for n in framework.indicators],
        schema={"indicator": pl.String, "dimension": pl.String, "table": pl.String, "why_not": pl.String},
        orient="row").with_columns(computable=pl.col("why_not") == "")
    ok = set(ind.filter("computable")["indicator"].to_list())
    dimensions = {d.code: (f"{d.name_zh} {d.name_en}", d.code in scope["covered"]) for d in dims}
    problems = [f"{t}: no row accepted ({loaded.counts[t].quarantined:,} quarantined), so no unit can be rated"
                for t in ("units", "unit_stats") if t in present and loaded.counts[t].accepted == 0]
    if not problems and not ok:
        problems.append("no indicator of the framework can be computed from these tables")
    problems += [f"{t}: required for publication by the framework, absent"
                 for t in framework.publication.get("required_tables", []) if t not in present]
    return Inspection(tables=tables, reasons=reasons, indicators=ind, dimensions=dimensions,
                      covered_weight=scope["covered_weight"], scope=scope, fiscal=getattr(loaded, "fiscal", None),
                      jumps=jumps(con, present), problems=problems)


def _figure(figure: str, x: float) -> str:
    money = any(c == figure and TABLES[t].column(c).money for t, c in JUMP_FIGURES)
    return amount(x, exact=False) if money else number(x)


def jump_lines(j: pl.DataFrame, limit: int = 10) -> list[str]:
    """One line per jump, at most `limit` per figure, then how many more.

    >>> j = pl.DataFrame({"figure": ["population"] * 3, "unit_id": ["440100", "440300", "440400"],
    ...                   "year_before": [2023] * 3, "year": [2024] * 3, "before": [1e6, 2e6, 1e6], "after": [3e6, 9e5, 2e6]})
    >>> print("\\n".join(jump_lines(j, limit=2)))
    population 440100 2023 -> 2024: 1,000,000 -> 3,000,000 (+200%)
    population 440300 2023 -> 2024: 2,000,000 -> 900,000 (-55%)
    population: 1 more
    """
    out = []
    for (figure,), part in j.group_by("figure", maintain_order=True):
        for r in part.head(limit).iter_rows(named=True):
            change = f"{(r['after'] - r['before']) / abs(r['before']):+.0%}" if r["before"] else "from 0"
            out.append(f"{figure} {r['unit_id']} {r['year_before']} -> {r['year']}: "
                       f"{_figure(figure, r['before'])} -> {_figure(figure, r['after'])} ({change})")
        if part.height > limit:
            out.append(f"{figure}: {part.height - limit:,} more")
    return out


def report(insp: Inspection, framework: Framework) -> str:
    """The inspection as text: the tables, what is absent, fiscal capacity, the dimensions and
    the indicators that cannot be computed, with why."""
    lines = [f"{'table':<18}{'read':>12}{'accepted':>12}{'quarantined':>13}  {'years':<22}units"]
    absent = []
    for r in insp.tables.iter_rows(named=True):
        if not r["present"]:
            absent.append(r["table"])
            continue
        lines.append(f"{r['table']:<18}{r['read']:>12,}{r['accepted']:>12,}{r['quarantined']:>13,}  "
                     f"{r['years']:<22}{r['units']}")
        lines += [f"  {reason:<46}{n:>13,}" for reason, n in insp.reasons.get(r["table"], [])]
    if absent:
        lost = insp.indicators.filter(pl.col("table").is_in(absent)).height
        lines.append(f"absent: {', '.join(absent)} (optional tables; their {lost} indicator(s) will be missing, not zero)")
    if insp.fiscal:
        f = insp.fiscal
        lines.append(f"fiscal capacity (综合财力): given in {f['rows_given']:,} rows, derived in {f['rows_derived']:,}, "
                     f"missing in {f['rows_missing']:,}; {f['text_en']}")
    ind = insp.indicators
    lines.append(f"indicators: {ind['computable'].sum()} of {ind.height} can be computed, "
                 f"carrying {insp.covered_weight:.0%} of the index weight "
                 f"(official publication needs {float(framework.publication['min_covered_weight']):.0%})")
    for code, (names, covered) in insp.dimensions.items():
        mine = ind.filter(pl.col("dimension") == code)
        lines.append(f"  {code} ({names}): {mine['computable'].sum()} of {mine.height}, "
                     f"{'covered' if covered else 'not covered'}")
        missing = mine.filter(~pl.col("computable")).group_by("why_not", maintain_order=True).agg("indicator")
        lines += [f"    - {why}: {', '.join(codes)}" for why, codes in missing.iter_rows()]
    if ind["computable"].any():
        lines.append("publication: official result" if insp.scope["official"]
                     else f"publication: not official: {insp.scope['reason_en']}")
    return "\n".join(lines)
