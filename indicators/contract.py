"""The input contract as data: tables, their columns, types, enumerations and keys.

One declaration read by the readers and validators, the synthetic generator and the indicator
compiler, so the three cannot drift apart. Types are DuckDB type names.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: unit_id of a region (6-digit GB/T 2260 code) or a department (`<region>-<DEPT>`).
UNIT_ID_PATTERN = r"^[0-9]{6}(-[A-Z][A-Z0-9_]{0,31})?$"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # VARCHAR, BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN
    required: bool = True
    enum: tuple[str, ...] | None = None
    event_date: bool = False  # when something happened: must lie in [1990, run date]
    money: bool = False  # yuan, never negative


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    date_column: str | None = None  # the column that places a row in a period
    year_column: str | None = None  # tables keyed by year instead of a date
    extra: dict = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


UNIT_KINDS = ("region", "department")
LEVELS = ("province", "city", "county", "township")
FAILURE_CATEGORIES = (
    "judgment_lost",
    "judgment_unperformed",
    "dishonest_debtor",
    "administrative_penalty",
    "disciplinary",
    "accountability",
    "broken_commitment",
    "online_service_shortfall",
)
FAILURE_STATUSES = ("active", "rectified", "repaired", "under_objection", "revoked")
TICKET_KINDS = ("complaint", "report", "consultation", "suggestion")
SATISFACTION = ("satisfied", "basic", "dissatisfied")
CONTRACT_KINDS = ("procurement", "ppp", "investment_promotion", "policy_commitment", "court_judgment")
CONTRACT_STATUSES = ("ongoing", "fulfilled", "late", "breached", "terminated")

C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "units",
            (
                C("unit_id", "VARCHAR"),
                C("name", "VARCHAR"),
                C("name_en", "VARCHAR", required=False),
                C("kind", "VARCHAR", enum=UNIT_KINDS),
                C("level", "VARCHAR", enum=LEVELS),
                C("parent_id", "VARCHAR", required=False),
                C("region_id", "VARCHAR"),
            ),
            key=("unit_id",),
            required=True,
        ),
        Table(
            "unit_stats",
            (
                C("unit_id", "VARCHAR"),
                C("year", "BIGINT"),
                C("population", "DOUBLE", required=False),
                C("staff", "DOUBLE", required=False),
                C("budget", "DOUBLE", required=False, money=True),
            ),
            key=("unit_id", "year"),
            required=True,
            year_column="year",
        ),
        Table(
            "failure_records",
            (
                C("record_id", "VARCHAR"),
                C("unit_id", "VARCHAR"),
                C("category", "VARCHAR", enum=FAILURE_CATEGORIES),
                C("severity", "BIGINT"),
                C("occurred_on", "DATE", event_date=True),
                C("amount", "DOUBLE", required=False, money=True),
                C("status", "VARCHAR", enum=FAILURE_STATUSES),
                C("status_changed_on", "DATE", required=False, event_date=True),
                C("description", "VARCHAR", required=False),
            ),
            key=("record_id",),
            date_column="occurred_on",
        ),
        Table(
            "complaints",
            (
                C("ticket_id", "VARCHAR"),
                C("unit_id", "VARCHAR"),
                C("received_at", "TIMESTAMP", event_date=True),
                C("kind", "VARCHAR", enum=TICKET_KINDS),
                C("topic", "VARCHAR", required=False),
                C("due_at", "TIMESTAMP", required=False),
                C("resolved_at", "TIMESTAMP", required=False, event_date=True),
                C("satisfaction", "VARCHAR", required=False, enum=SATISFACTION),
                C("repeat", "BOOLEAN"),
            ),
            key=("ticket_id",),
            date_column="received_at",
        ),
        Table(
            "debt",
            (
                C("unit_id", "VARCHAR"),
                C("year", "BIGINT"),
                C("debt_balance", "DOUBLE", money=True),
                C("debt_limit", "DOUBLE", required=False, money=True),
                C("fiscal_capacity", "DOUBLE", money=True),
                C("debt_service", "DOUBLE", required=False, money=True),
                C("overdue_amount", "DOUBLE", required=False, money=True),
                C("disclosure_due", "DATE", required=False),
                C("disclosed_on", "DATE", required=False, event_date=True),
            ),
            key=("unit_id", "year"),
            year_column="year",
        ),
        Table(
            "contracts",
            (
                C("contract_id", "VARCHAR"),
                C("unit_id", "VARCHAR"),
                C("kind", "VARCHAR", enum=CONTRACT_KINDS),
                C("signed_on", "DATE", event_date=True),
                C("due_on", "DATE", required=False),
                C("amount", "DOUBLE", required=False, money=True),
                C("fulfilled_on", "DATE", required=False, event_date=True),
                C("status", "VARCHAR", enum=CONTRACT_STATUSES),
                C("arrears_amount", "DOUBLE", required=False, money=True),
                C("counterparty_sme", "BOOLEAN", required=False),
            ),
            key=("contract_id",),
            date_column="signed_on",
        ),
    )
}

#: Tables the engine cannot rate without.
REQUIRED_TABLES = tuple(name for name, t in TABLES.items() if t.required)
#: Record tables: optional; a missing one makes its indicators missing, never zero.
RECORD_TABLES = ("failure_records", "complaints", "debt", "contracts")
