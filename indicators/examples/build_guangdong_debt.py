"""Build the shipped Guangdong cities' debt panel (guangdong_debt/panel.csv) from the atlas file
``city_macro_fiscal.csv`` that guangdong_debt/SOURCE.md names.

    python -m indicators.examples.build_guangdong_debt ATLAS_CSV [--out FILE]

Keeps the 21 prefecture-level cities of Guangdong (province code 44) in 2018-2025 and converts
亿元 to yuan and 万人 to persons, exactly (decimal arithmetic, whole numbers).
"""
from __future__ import annotations

import argparse
import csv
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from indicators.errors import InputError

PROVINCE_CODE = "44"
YEARS = range(2018, 2026)
N_CITIES = 21
PANEL = Path(__file__).with_name("guangdong_debt") / "panel.csv"

#: panel column -> (atlas column, multiplier to yuan or persons); None: copied as text
COLUMNS = {
    "admin_code": ("admin_code_6", None),
    "city_name": ("city_name_cn", None),
    "year": ("metric_year", None),
    "debt_balance": ("statutory_debt_balance_100m", 10**8),
    "debt_limit": ("statutory_debt_limit_100m", 10**8),
    "general_budget_revenue": ("general_public_revenue_100m", 10**8),
    "government_fund_revenue": ("gov_fund_revenue_100m", 10**8),
    "population": ("resident_population_10k", 10**4),
    "source_grade": ("source_grade", None),
}
GRADES = ("A1", "A2", "B2", "D")


def _whole(text: str, factor: int, where: str) -> int | None:
    """`text` (a decimal in 亿元 or 万人) times `factor` as a whole number; None when empty."""
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip()) * factor
    except InvalidOperation:
        raise InputError(f"{where}: {text!r} is not a decimal number") from None
    if value != value.to_integral_value() or value < 0:
        raise InputError(f"{where}: {text!r} is not a non-negative amount with at most "
                         f"{len(str(factor)) - 1} decimals")
    return int(value)


def build(atlas: str | Path) -> list[dict]:
    """The panel rows (dicts keyed by COLUMNS, sorted by admin_code and year) read from the atlas file.

    Raises InputError naming the file, row and column when a column is missing, a figure is not
    a number, a grade is unknown, or the rows are not one per city and year for 21 cities.
    """
    path = Path(atlas)
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c, _ in COLUMNS.values() if c not in (reader.fieldnames or [])] + (
            [] if "province_code" in (reader.fieldnames or []) else ["province_code"])
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = []
        for n, raw in enumerate(reader, start=1):
            if raw["province_code"].strip() != PROVINCE_CODE or not raw["metric_year"].strip().isdigit() \
                    or int(raw["metric_year"]) not in YEARS:
                continue
            row = {}
            for name, (col, factor) in COLUMNS.items():
                where = f"{path}: row {n}, column {col}"
                row[name] = raw[col].strip() if factor is None else _whole(raw[col], factor, where)
            row["year"] = int(row["year"])
            if row["source_grade"] not in GRADES:
                raise InputError(f"{path}: row {n}, column source_grade: {row['source_grade']!r} is not one of "
                                 f"{', '.join(GRADES)}")
            if row["debt_balance"] is None:
                raise InputError(f"{path}: row {n}, column statutory_debt_balance_100m: empty; every city-year "
                                 "of the panel needs a debt balance")
            rows.append(row)
    rows.sort(key=lambda r: (r["admin_code"], r["year"]))
    keys = [(r["admin_code"], r["year"]) for r in rows]
    cities = {r["admin_code"] for r in rows}
    if len(set(keys)) != len(keys) or len(cities) != N_CITIES or len(rows) != N_CITIES * len(YEARS):
        raise InputError(f"{path}: expected one row per city and year for {N_CITIES} Guangdong cities in "
                         f"{YEARS[0]}-{YEARS[-1]}; found {len(rows)} rows for {len(cities)} cities")
    return rows


def write_panel(rows: list[dict], out: str | Path) -> None:
    """Write the panel as UTF-8 CSV; a missing figure is an empty field."""
    with Path(out).open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m indicators.examples.build_guangdong_debt", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("atlas", type=Path, help="city_macro_fiscal.csv of the atlas (see guangdong_debt/SOURCE.md)")
    p.add_argument("--out", type=Path, default=PANEL, help="panel CSV to write (default: the shipped panel)")
    args = p.parse_args(argv)
    try:
        rows = build(args.atlas)
    except (InputError, OSError) as err:
        print(f"build_guangdong_debt: error: {err}", file=sys.stderr)
        return 3
    write_panel(rows, args.out)
    print(f"wrote {args.out}: {len(rows)} city-years, {len({r['admin_code'] for r in rows})} cities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
