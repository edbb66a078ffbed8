"""The input contract as data: tables, their columns, types, enumerations and keys.

One declaration read by the readers and validators, the synthetic generator and the indicator
compiler, so the three cannot drift apart. Types are DuckDB type names.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: unit_id of a region (6-digit GB/T 2260 code) or a department (`<region>-<DEPT>`).
UNIT_ID_PATTERN = r"^[0-9]{6}(-[A-Z][A-Z0-9_]{0,31})?$"

#: File formats a table may come in, as `<table>.<format>`.
FILE_FORMATS = ("csv", "parquet", "xlsx")
#: Encodings a CSV file may use (GBK is read as its superset GB18030).
CSV_ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")
#: Event dates (and years of yearly tables) lie in [EARLIEST_DATE, run date].
EARLIEST_DATE = "1990-01-01"
#: Accepted spellings of a boolean, compared case-insensitively after trimming.
BOOLEAN_TRUE = ("true", "t", "1", "yes", "y", "是")
BOOLEAN_FALSE = ("false", "f", "0", "no", "n", "否")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # VARCHAR, BIGINT, DOUBLE, DATE, TIMESTAMP, BOOLEAN
    required: bool = True
    enum: tuple[str, ...] | None = None
    event_date: bool = False  # when something happened: must lie in [1990, run date]
    money: bool = False  # yuan, never negative
    pattern: str | None = None  # regular expression the text must match in full
    min_value: float | None = None  # inclusive bounds of a number
    max_value: float | None = None
    positive: bool = False  # a number that must be > 0
    not_before: str | None = None  # a date/timestamp that may not precede this other column
    required_if: tuple[str, tuple[str, ...]] | None = None  # (column, values): required then
    refers_to: str | None = None  # "unit" or "region": must name an accepted unit of that kind
    zh: str = ""  # Chinese name: accepted in headers as an alias of `name`, and used as a heading


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

    @property
    def aliases(self) -> dict[str, str]:
        """Header name (English or Chinese) -> contract column name."""
        return {n: c.name for c in self.columns for n in (c.name, c.zh) if n}

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
                C("unit_id", "VARCHAR", zh="单位代码", pattern=UNIT_ID_PATTERN),
                C("name", "VARCHAR", zh="名称"),
                C("name_en", "VARCHAR", zh="英文名称", required=False),
                C("kind", "VARCHAR", zh="类型", enum=UNIT_KINDS),
                C("level", "VARCHAR", zh="层级", enum=LEVELS),
                C("parent_id", "VARCHAR", zh="上级单位代码", required=False, pattern=UNIT_ID_PATTERN,
                  refers_to="unit"),
                C("region_id", "VARCHAR", zh="所属地区代码", pattern=UNIT_ID_PATTERN, refers_to="region"),
            ),
            key=("unit_id",),
            required=True,
        ),
        Table(
            "unit_stats",
            (
                C("unit_id", "VARCHAR", zh="单位代码", pattern=UNIT_ID_PATTERN, refers_to="unit"),
                C("year", "BIGINT", zh="年度"),
                C("population", "DOUBLE", zh="常住人口", required=False),
                C("staff", "DOUBLE", zh="工作人员数", required=False),
                C("budget", "DOUBLE", zh="预算支出", required=False, money=True),
            ),
            key=("unit_id", "year"),
            required=True,
            year_column="year",
        ),
        Table(
            "failure_records",
            (
                C("record_id", "VARCHAR", zh="记录编号"),
                C("unit_id", "VARCHAR", zh="单位代码", pattern=UNIT_ID_PATTERN, refers_to="unit"),
                C("category", "VARCHAR", zh="失信类别", enum=FAILURE_CATEGORIES),
                C("severity", "BIGINT", zh="严重程度", min_value=1, max_value=3),
                C("occurred_on", "DATE", zh="发生日期", event_date=True),
                C("amount", "DOUBLE", zh="涉及金额", required=False, money=True),
                C("status", "VARCHAR", zh="状态", enum=FAILURE_STATUSES),
                C("status_changed_on", "DATE", zh="状态变更日期", required=False, event_date=True,
                  required_if=("status", ("rectified", "repaired", "revoked"))),
                C("description", "VARCHAR", zh="事由", required=False),
            ),
            key=("record_id",),
            date_column="occurred_on",
        ),
        Table(
            "complaints",
            (
                C("ticket_id", "VARCHAR", zh="工单编号"),
                C("unit_id", "VARCHAR", zh="单位代码", pattern=UNIT_ID_PATTERN, refers_to="unit"),
                C("received_at", "TIMESTAMP", zh="受理时间", event_date=True),
                C("kind", "VARCHAR", zh="诉求类型", enum=TICKET_KINDS),
                C("topic", "VARCHAR", zh="诉求主题", required=False),
                C("due_at", "TIMESTAMP", zh="办理时限", required=False),
                C("resolved_at", "TIMESTAMP", zh="办结时间", required=False, event_date=True,
                  not_before="received_at"),
                C("satisfaction", "VARCHAR", zh="满意度", required=False, enum=SATISFACTION),
                C("repeat", "BOOLEAN", zh="重复诉求"),
            ),
            key=("ticket_id",),
            date_column="received_at",
        ),
        Table(
            "debt",
            (
                C("unit_id", "VARCHAR", zh="单位代码", pattern=UNIT_ID_PATTERN, refers_to="region"),
                C("year", "BIGINT", zh="年度"),
                C("debt_balance", "DOUBLE", zh="债务余额", money=True),
                C("debt_limit", "DOUBLE", zh="债务限额", required=False, money=True),
                # 综合财力: given, or derived from the revenue columns below (indicators.fiscal)
                C("fiscal_capacity", "DOUBLE", zh="综合财力", required=False, money=True, positive=True),
                C("general_budget_revenue", "DOUBLE", zh="一般公共预算收入", required=False, money=True),
                C("government_fund_revenue", "DOUBLE", zh="政府性基金收入", required=False, money=True),
                C("transfers_received", "DOUBLE", zh="上级转移支付收入", required=False, money=True),
                C("debt_service", "DOUBLE", zh="还本付息额", required=False, money=True),
                C("overdue_amount", "DOUBLE", zh="逾期债务金额", required=False, money=True),
                C("disclosure_due", "DATE", zh="公开期限", required=False),
                C("disclosed_on", "DATE", zh="公开日期", required=False, event_date=True),
            ),
            key=("unit_id", "year"),
            year_column="year",
        ),
        Table(
            "contracts",
            (
                C("contract_id", "VARCHAR", zh="合同编号"),
                C("unit_id", "VARCHAR", zh="单位代码", pattern=UNIT_ID_PATTERN, refers_to="unit"),
                C("kind", "VARCHAR", zh="合同类型", enum=CONTRACT_KINDS),
                C("signed_on", "DATE", zh="签订日期", event_date=True),
                C("due_on", "DATE", zh="约定履行期限", required=False),
                C("amount", "DOUBLE", zh="合同金额", required=False, money=True),
                C("fulfilled_on", "DATE", zh="履行完毕日期", required=False, event_date=True),
                C("status", "VARCHAR", zh="履约状态", enum=CONTRACT_STATUSES),
                C("arrears_amount", "DOUBLE", zh="拖欠金额", required=False, money=True),
                C("counterparty_sme", "BOOLEAN", zh="对方为中小企业", required=False),
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
