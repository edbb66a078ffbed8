"""What a data folder declares about itself: `delivery.toml` (optional, docs/input.md).

An evaluator's delivery is partial and uneven; this small file says which years and units each
record table reports on, and how the debt table's fiscal capacity (综合财力) is defined. Without
the file, coverage is inferred from the rows and fiscal capacity follows the default rule.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from indicators.contract import RECORD_TABLES, UNIT_ID_PATTERN
from indicators.errors import InputError

FILE_NAME = "delivery.toml"
#: Revenue columns of the debt table that fiscal capacity may be derived from (all optional).
FISCAL_COMPONENTS = ("general_budget_revenue", "government_fund_revenue", "transfers_received")
FISCAL_DEFINITIONS = ("default", "given", "derived")


@dataclass(frozen=True)
class TableCoverage:
    """The years (and units) a record table reports on; None means "as the rows show"."""

    first_year: int | None = None
    last_year: int | None = None
    units: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FiscalRule:
    """How fiscal capacity is obtained: `given` (the fiscal_capacity column), `derived` (the sum of
    `components`, all present in the row) or `default` (given where present, else the sum of all
    three FISCAL_COMPONENTS where all are present)."""

    definition: str = "default"
    components: tuple[str, ...] = FISCAL_COMPONENTS
    note_zh: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class Delivery:
    coverage: dict[str, TableCoverage] = field(default_factory=dict)
    fiscal: FiscalRule = FiscalRule()
    declared: bool = False  # the folder has a delivery.toml


def _fail(path: Path, key: str, expected: str, got) -> InputError:
    return InputError(f"{path.name}: {key}: expected {expected}, got {got!r}")


def _year(path: Path, key: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1990 <= value <= 2200:
        raise _fail(path, key, "a year between 1990 and 2200", value)
    return value


def read_delivery(data_dir: Path | str) -> Delivery:
    """The declarations of `data_dir/delivery.toml`, or the defaults when there is none.

    >>> read_delivery("no/such/folder")
    Delivery(coverage={}, fiscal=FiscalRule(definition='default', components=('general_budget_revenue', 'government_fund_revenue', 'transfers_received'), note_zh='', note_en=''), declared=False)
    """
    if "://" in str(data_dir):  # a folder on a cluster (spark engine): nothing declared
        return Delivery()
    path = Path(data_dir) / FILE_NAME
    if not path.is_file():
        return Delivery()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: not a valid TOML file ({exc})") from None
    unknown = sorted(set(doc) - {"coverage", "fiscal_capacity"})
    if unknown:
        raise _fail(path, unknown[0], "one of the sections [coverage.<table>], [fiscal_capacity]", unknown[0])
    coverage = {}
    for table, spec in (doc.get("coverage") or {}).items():
        if table not in RECORD_TABLES:
            raise _fail(path, f"coverage.{table}", f"a record table ({', '.join(RECORD_TABLES)})", table)
        if not isinstance(spec, dict) or set(spec) - {"first_year", "last_year", "units"}:
            raise _fail(path, f"coverage.{table}", "keys first_year, last_year, units", spec)
        first = _year(path, f"coverage.{table}.first_year", spec.get("first_year"))
        last = _year(path, f"coverage.{table}.last_year", spec.get("last_year"))
        if first is not None and last is not None and first > last:
            raise _fail(path, f"coverage.{table}", "first_year <= last_year", f"{first} > {last}")
        units = spec.get("units")
        if units is not None:
            if not isinstance(units, list) or not units or not all(
                    isinstance(u, str) and re.fullmatch(UNIT_ID_PATTERN, u) for u in units):
                raise _fail(path, f"coverage.{table}.units", "a non-empty list of unit ids", units)
            units = tuple(sorted(set(units)))
        coverage[table] = TableCoverage(first, last, units)
    fiscal = FiscalRule()
    spec = doc.get("fiscal_capacity")
    if spec is not None:
        if not isinstance(spec, dict) or set(spec) - {"definition", "components", "note_zh", "note_en"}:
            raise _fail(path, "fiscal_capacity", "keys definition, components, note_zh, note_en", spec)
        definition = spec.get("definition", "default")
        if definition not in FISCAL_DEFINITIONS:
            raise _fail(path, "fiscal_capacity.definition", " or ".join(FISCAL_DEFINITIONS), definition)
        components = spec.get("components", list(FISCAL_COMPONENTS))
        if not isinstance(components, list) or not components or any(c not in FISCAL_COMPONENTS for c in components) \
                or len(set(components)) != len(components):
            raise _fail(path, "fiscal_capacity.components", f"distinct columns among {', '.join(FISCAL_COMPONENTS)}",
                        components)
        notes = {k: spec.get(k, "") for k in ("note_zh", "note_en")}
        for k, v in notes.items():
            if not isinstance(v, str):
                raise _fail(path, f"fiscal_capacity.{k}", "text", v)
        fiscal = FiscalRule(definition, tuple(components), notes["note_zh"], notes["note_en"])
    return Delivery(coverage=coverage, fiscal=fiscal, declared=True)
