"""Fiscal capacity (综合财力) of the staged `debt` table, by the rule `delivery.toml` declares.

The rule (`indicators.delivery.FiscalRule`) takes the `fiscal_capacity` column as delivered
(`given`), the sum of its revenue columns (`derived`), or the column where given and else that
sum (`default`, by default over all three revenue columns). `apply_fiscal_rule` writes the result
back into `debt.fiscal_capacity` (NULL where the rule gives nothing), so indicators dividing by
fiscal capacity are missing there, and returns the counts and wording a run's manifest records.
"""
from __future__ import annotations

import duckdb

from indicators.contract import TABLES
from indicators.delivery import FiscalRule

_ZH = {c.name: c.zh for c in TABLES["debt"].columns}


def components(rule: FiscalRule) -> tuple[str, ...]:
    """The revenue columns the rule adds up (none when capacity is given)."""
    return () if rule.definition == "given" else rule.components


def fiscal_problems(rule: FiscalRule, file: str, present: list[str]) -> list[str]:
    """One line per debt column a declared rule needs and the debt file lacks (the default rule
    needs none): such a file cannot follow its own declaration."""
    needed = {"given": ("fiscal_capacity",), "derived": rule.components}.get(rule.definition, ())
    return [f"{file}: missing column {c} ({_ZH[c]}), which delivery.toml [fiscal_capacity] "
            f"definition = \"{rule.definition}\" needs" for c in needed if c not in present]


def capacity_sql(rule: FiscalRule) -> tuple[str, str]:
    """SQL over the staged debt columns: (capacity the rule gives, 'given' | 'derived' | NULL).

    A sum is taken only when every component is present in the row, and only when positive: a
    capacity of 0 would make every ratio over it infinite.
    """
    added = " + ".join(f'"{c}"' for c in components(rule))
    derived = f"({added}) > 0" if added else "false"
    given = '"fiscal_capacity" IS NOT NULL' if rule.definition != "derived" else "false"
    source = f"CASE WHEN {given} THEN 'given' WHEN {derived} THEN 'derived' END"
    capacity = f"CASE WHEN {given} THEN \"fiscal_capacity\" WHEN {derived} THEN {added or 'NULL'} END"
    return capacity, source


def definition_text(rule: FiscalRule) -> tuple[str, str]:
    """The rule in words, Chinese and English, the declaration's notes appended.

    >>> definition_text(FiscalRule("derived", ("general_budget_revenue", "government_fund_revenue")))[0]
    '综合财力 = 一般公共预算收入 + 政府性基金收入（未含转移支付）'
    """
    if rule.definition == "given":
        zh, en = "数据提供的综合财力（fiscal_capacity 列）", "the fiscal_capacity column as delivered"
    else:
        zh = " + ".join(_ZH[c] for c in rule.components)
        en = " + ".join(c.replace("_", " ") for c in rule.components)
        if "transfers_received" not in rule.components:
            zh, en = f"{zh}（未含转移支付）", f"{en} (transfers not included)"
        if rule.definition == "default":
            zh = f"数据提供的综合财力（fiscal_capacity 列）；未提供时 = {zh}"
            en = f"the fiscal_capacity column where given, else {en}"
    zh, en = f"综合财力 = {zh}", f"Fiscal capacity = {en}"
    return (f"{zh}。{rule.note_zh}" if rule.note_zh else zh), (f"{en}. {rule.note_en}" if rule.note_en else en)


def apply_fiscal_rule(con: duckdb.DuckDBPyConnection, rule: FiscalRule) -> dict:
    """Set `debt.fiscal_capacity` in `con` to the capacity `rule` gives; return the manifest's
    `fiscal_capacity` entry: definition, components, rows_given / rows_derived / rows_missing
    (they add up to the accepted debt rows) and text_zh / text_en."""
    capacity, source = capacity_sql(rule)
    given, derived, missing = con.execute(
        f"SELECT count(*) FILTER (WHERE s = 'given'), count(*) FILTER (WHERE s = 'derived'), "
        f"count(*) FILTER (WHERE s IS NULL) FROM (SELECT {source} AS s FROM debt)"
    ).fetchall()[0]
    if rule.definition != "given":
        con.execute(f"UPDATE debt SET fiscal_capacity = {capacity}")
    text_zh, text_en = definition_text(rule)
    return {"definition": rule.definition, "components": list(components(rule)), "rows_given": given,
            "rows_derived": derived, "rows_missing": missing, "text_zh": text_zh, "text_en": text_en}
