"""The counts behind an indicator value, in words ("2/4 合同", "2 of 4 contracts"), and whether
the value rests on too few cases to be read on its own.

An indicator's definition (indicators.framework.Definition) says what its numerator and
denominator count: rows of a table for a share, records per staff member for a rate, money for a
ratio. The published indicator table carries both numbers (`numerator`, `denominator`); this
module only words them. A value is *thin* when the run flags it (a `thin` column) or when a
share's denominator is below the definition's declared `min_denominator`, or below MIN_CASES
where the framework declares none: the report marks a value a reader should not read alone
even where the rating kept it.
"""
from __future__ import annotations

from reports import fmt

#: Fewest cases a share is read on without a warning when its definition declares no minimum:
#: below ten, one case moves the share by more than ten percentage points.
MIN_CASES = 10

#: What one row of each record table is called: (zh measure word + noun, en singular, en plural).
NOUNS = {
    "contracts": ("份合同", "contract", "contracts"),
    "complaints": ("件工单", "ticket", "tickets"),
    "failure_records": ("条记录", "record", "records"),
    "debt": ("项公开", "disclosure", "disclosures"),
}
#: What a rate is divided by (unit_stats columns).
PER = {
    "staff": ("名工作人员", "staff"),
    "population": ("人", "residents"),
    "budget": ("元预算", "yuan of budget"),
}
MONEY = ("amount", "arrears_amount", "debt_balance", "fiscal_capacity", "debt_service", "overdue_amount",
         "debt_limit")


def _n(x) -> str:
    """A count without decimals when whole, with thousands separators."""
    x = float(x)
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"


def money(x, lang: str) -> str:
    """An amount of yuan a reader takes in at a glance: 亿元/万元 in Chinese, millions in English.

    Examples
    --------
    >>> money(326_680_330_000, "zh"), money(4_403_654.23, "zh"), money(950, "zh"), money(4_403_654, "en")
    ('3,266.80亿元', '440.4万元', '950元', '4.4 million yuan')
    """
    x = float(x)
    if lang == "zh":
        if abs(x) >= 1e8:
            return f"{x / 1e8:,.2f}亿元"
        return f"{x / 1e4:,.1f}万元" if abs(x) >= 1e4 else f"{x:,.0f}元"
    return f"{x / 1e6:,.1f} million yuan" if abs(x) >= 1e6 else f"{x:,.0f} yuan"


def _rows(table: str, n, lang: str) -> str:
    zh, one, many = NOUNS.get(table, ("行", "row", "rows"))
    if lang == "zh":
        return f"{_n(n)}{zh}"
    return f"{_n(n)} {one if float(n) == 1 else many}"


def counts_text(definition, numerator, denominator, lang: str) -> str:
    """The numbers behind one value in words; empty when the definition has none to show.

    Examples
    --------
    >>> from indicators.framework import Definition
    >>> d = Definition(table="contracts", measure="share")
    >>> counts_text(d, 2, 4, "zh"), counts_text(d, 2, 4, "en")
    ('2/4份合同', '2 of 4 contracts')
    >>> r = Definition(table="failure_records", measure="count", per="staff", scale=100)
    >>> counts_text(r, 3, 113, "en")
    '3 records / 113 staff'
    """
    if definition is None or fmt.missing(numerator):
        return ""
    m, table = definition.measure, definition.table
    if m == "share":
        if fmt.missing(denominator):
            return ""
        if lang == "zh":
            return f"{_n(numerator)}/{_rows(table, denominator, lang)}"
        return f"{_n(numerator)} of {_rows(table, denominator, lang)}"
    if m in ("count", "weighted_count", "sum"):
        if m == "sum":
            head = money(numerator, lang)
        elif m == "weighted_count":
            head = f"加权{_n(numerator)}条" if lang == "zh" else f"{_n(numerator)} weighted records"
        else:
            head = _rows(table, numerator, lang)
        if definition.per and not fmt.missing(denominator):
            if definition.per == "budget":
                return f"{head} / {money(denominator, lang)}{'预算' if lang == 'zh' else ' of budget'}"
            zh, en = PER.get(definition.per, (definition.per, definition.per))
            return f"{head} / {_n(denominator)}{zh}" if lang == "zh" else f"{head} / {_n(denominator)} {en}"
        return head
    if m == "ratio" and not fmt.missing(denominator):
        if definition.column in MONEY and definition.denominator_column in MONEY:
            return f"{money(numerator, lang)} / {money(denominator, lang)}"
        return f"{_n(numerator)} / {_n(denominator)}"
    return ""


def minimum(definition, default: float = MIN_CASES) -> float:
    """The fewest cases a share of this definition should rest on: its own `min_count` or
    `min_denominator`, else `default` (the framework's `[methods] min_count`); 0 for other measures
    without a declared minimum."""
    if definition is None:
        return 0.0
    own = getattr(definition, "min_count", None) or definition.min_denominator
    if definition.measure != "share":
        return float(own or 0.0)
    return float(own or default)


def is_thin(definition, denominator, flag=None, default: float = MIN_CASES) -> bool:
    """Whether a value rests on too few cases: the run's own flag, or a denominator below
    `minimum(definition)`.

    Examples
    --------
    >>> from indicators.framework import Definition
    >>> d = Definition(table="contracts", measure="share")
    >>> is_thin(d, 4), is_thin(d, 40), is_thin(d, 40, flag=True), is_thin(d, 4, flag=False)
    (True, False, True, True)
    """
    if flag is not None and not fmt.missing(flag) and bool(flag):
        return True
    need = minimum(definition, default)
    return bool(need) and not fmt.missing(denominator) and float(denominator) < need
