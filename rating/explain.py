"""Plain words for one indicator value (`rating explain`): what its numerator and denominator
are, in the evaluator's terms (债务余额 debt_balance / 综合财力 fiscal_capacity), with amounts
in 元 / 万元 / 亿元 and ratios and shares as percentages."""
from __future__ import annotations

import math

import polars as pl

from indicators.contract import TABLES
from indicators.framework import Node

#: Chinese names of the record tables (columns have theirs in the contract).
TABLES_ZH = {"failure_records": "失信记录", "complaints": "投诉举报工单", "debt": "政府债务", "contracts": "合同与承诺"}
#: Units of measure shown as percentages.
PERCENT_UNITS = ("ratio", "share", "share of amount")


def amount(x: float | None, exact: bool = True) -> str:
    """Yuan in 亿元 or 万元 with thousands separators, and (if `exact`) the yuan.

    >>> amount(8.2557e10), amount(8.2557e10, exact=False)
    ('825.57 亿元 (82,557,000,000 元)', '825.57 亿元')
    >>> amount(123456.0), amount(980.5), amount(None)
    ('12.35 万元 (123,456 元)', '980.50 元', '—')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    for size, name in ((1e8, "亿元"), (1e4, "万元")):
        if abs(x) >= size:
            return f"{x / size:,.2f} {name}" + (f" ({x:,.0f} 元)" if exact else "")
    return f"{x:,.2f} 元"


def number(x: float | None) -> str:
    """A count or other figure: whole numbers with thousands separators, else two decimals.

    >>> number(1234.0), number(12.5), number(None)
    ('1,234', '12.50', '—')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def value_text(x: float | None, unit: str) -> str:
    """An indicator's value in its unit of measure: ratios and shares as percentages.

    >>> value_text(0.83123, "ratio"), value_text(2.3456, "records per 100 staff")
    ('83.12%', '2.35 records per 100 staff')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "— (missing)"
    if unit in PERCENT_UNITS:
        return f"{x * 100:,.2f}%"
    return f"{x:,.2f} {unit}".rstrip()


def term(column: str, table: str) -> str:
    """A column with its Chinese name: '债务余额 debt_balance' ('工作人员数 unit_stats.staff' for
    unit_stats).

    >>> term("debt_balance", "debt"), term("staff", "unit_stats")
    ('债务余额 debt_balance', '工作人员数 unit_stats.staff')
    """
    zh = TABLES[table].column(column).zh
    name = f"{table}.{column}" if table == "unit_stats" else column
    return f"{zh} {name}" if zh else name


def is_money(table: str, column: str | None) -> bool:
    try:
        return column is not None and TABLES[table].column(column).money
    except KeyError:
        return False


def explain_lines(node: Node, numerator: float | None, denominator: float | None, value: float | None) -> list[str]:
    """The value, numerator and denominator of one indicator, each with what it is.

    >>> from indicators.framework_load import load_framework
    >>> for line in explain_lines(load_framework().node("debt_ratio"), 8.2557e10, 9.9e10, 0.8339):
    ...     print(line)
      value        83.39%  (debt_balance / fiscal_capacity)
      numerator    825.57 亿元 (82,557,000,000 元)  债务余额 debt_balance: sum over the rows of 政府债务 debt
      denominator  990.00 亿元 (99,000,000,000 元)  综合财力 fiscal_capacity: sum over the same rows
    """
    d = node.definition
    table = f"{TABLES_ZH.get(d.table, '')} {d.table}".strip()
    money = is_money(d.table, d.column)
    if d.measure == "count":
        weighted = " (lifecycle-weighted)" if d.table == "failure_records" else ""
        num_what, num_text = f"records of {table} that count{weighted}", number(numerator)
    elif d.measure == "weighted_count":
        num_what = f"records of {table} weighted by {d.weight_column} ({', '.join(f'{k}: {w:g}' for k, w in d.weights)})"
        num_text = number(numerator)
    elif d.measure in ("sum", "value"):
        num_what = f"{term(d.column, d.table)}: sum over the rows of {table}"
        num_text = amount(numerator) if money else number(numerator)
    elif d.measure == "share":
        what = f"{term(d.column, d.table)} of the rows" if d.column else "rows"
        num_what = f"{what} of {table} that meet the indicator's condition"
        num_text = amount(numerator) if money else number(numerator)
    elif d.measure == "ratio":
        num_what, num_text = f"{term(d.column, d.table)}: sum over the rows of {table}", (amount if money else number)(numerator)
    elif d.measure == "mean":
        num_what, num_text = f"mean {term(d.column, d.table)} over the rows of {table}", (amount if money else number)(numerator)
    else:  # median_days
        num_what, num_text = f"median days from {d.start} to {d.end} over the rows of {table}", number(numerator)
    if d.per:
        den_text = amount(denominator) if is_money("unit_stats", d.per) else number(denominator)
        den_what = f"{term(d.per, 'unit_stats')} of the unit and year"
    elif d.measure == "share":
        den_text = amount(denominator) if money else number(denominator)
        den_what = f"{term(d.column, d.table) + ' of the ' if d.column else ''}rows of {table} the indicator applies to"
    elif d.measure == "ratio":
        den_text = amount(denominator) if is_money(d.table, d.denominator_column) else number(denominator)
        den_what = f"{term(d.denominator_column, d.table)}: sum over the same rows"
    else:
        den_text, den_what = "—", "none: the value is the numerator"
    how = f"  ({d.column} / {d.denominator_column})" if d.measure == "ratio" else ""
    scale = f"; value = numerator / denominator x {d.scale:g}" if d.scale != 1 else ""
    width = max(len(num_text), len(den_text))
    lines = [f"  value        {value_text(value, node.unit)}{how}",
             f"  numerator    {num_text:<{width}}  {num_what}",
             f"  denominator  {den_text:<{width}}  {den_what}{scale}"]
    if value is None:
        lines.append(f"  missing:     {missing_reason(node, numerator, denominator)}")
    return lines


def missing_reason(node: Node, numerator: float | None, denominator: float | None) -> str:
    """Why an indicator has no value, from its numerator and denominator."""
    d = node.definition
    if d.measure == "ratio" and numerator is None:
        return f"no row of {d.table} has both {d.column} and {d.denominator_column}"
    if d.per and denominator is None:
        return f"unit_stats.{d.per} is missing for the unit and year"
    if denominator is not None and (denominator <= 0 or denominator < d.min_denominator):
        return f"the denominator is below the minimum of {max(d.min_denominator, 0):g} (min_denominator)"
    return f"no row of {d.table} for the unit and year"


def records_display(records: pl.DataFrame, table: str) -> pl.DataFrame:
    """The records as printed: amounts as text with thousands separators (12,345,678.00).

    >>> records_display(pl.DataFrame({"year": [2024], "debt_balance": [8.2557e10]}), "debt").row(0)
    (2024, '82,557,000,000.00')
    """
    money = [c for c in records.columns if is_money(table, c)]
    return records.with_columns([pl.Series(c, [None if v is None else f"{v:,.2f}" for v in records[c].to_list()],
                                           dtype=pl.String) for c in money])
