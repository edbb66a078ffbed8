"""Real data shipped with the engine, written out as data folders in the input contract.

`write_example("guangdong-debt", dir)` writes Guangdong's 21 cities with their statutory debt,
debt limits and revenue, 2018-2025, from public government figures (guangdong_debt/SOURCE.md).
"""
from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

from indicators.errors import OutputError, UsageError

NAMES = ("guangdong-debt",)
PROVINCE = ("440000", "广东省", "Guangdong Province")
DEBT_COLUMNS = ("debt_balance", "debt_limit", "general_budget_revenue", "government_fund_revenue")

DELIVERY = """\
# What this delivery holds, for the engine (docs/input.md): only statutory debt and revenue.
[coverage.debt]
first_year = {first}
last_year = {last}

[fiscal_capacity]
definition = "derived"
components = ["general_budget_revenue", "government_fund_revenue"]
note_zh = "来源未提供上级转移支付收入，综合财力以一般公共预算收入与政府性基金收入之和近似，债务率因此高于财政部口径"
note_en = "Transfers received are not in the source: fiscal capacity is approximated by general budget revenue + government fund revenue, so the debt ratio is higher than the MoF's"
"""

README = """\
# 广东省地级市政府债务（真实公开数据）/ Guangdong's cities: statutory debt (real public figures)

Written by `rating example guangdong-debt`. Rate it: `rating run {dir} --out OUT`.

- `units.csv`: the province 440000 and its {n_cities} prefecture-level cities.
- `debt.csv`: per city and year {first}-{last}: statutory debt balance and limit (法定债务余额、限额),
  general public budget revenue (一般公共预算收入) and government fund revenue (政府性基金收入), in yuan.
- `unit_stats.csv`: resident population where the source gives it (persons).
- `delivery.toml`: fiscal capacity (综合财力) = general budget revenue + government fund revenue; the source
  has no transfers received (转移支付), so the debt ratio is higher than the Ministry of Finance's 债务率.
  Where fund revenue is missing (every year before 2024, some cities in 2024-2025) the debt ratio is missing.
- `panel.csv`: the same figures with each city-year's source grade; the engine does not read it.

Source: chenfei2008c/china-local-debt-atlas (commit 1dce311a9ab55b0ff528b60ad6f4202e9790051e), a research
compilation of provincial finance-department debt tables and budget reports; not published by a
government body. Grades: A1/A2 official budget or debt tables, B2 rating reports or other secondary
material. An empty figure was not collected; it is never zero.

The result rates the fiscal dimension only (no failure records, complaints or contracts): it is not
an official integrity rating.
"""


def _panel_text() -> str:
    return resources.files(__package__).joinpath("guangdong_debt", "panel.csv").read_text("utf-8")


def _csv(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def guangdong_debt(dir: str = "DATA") -> dict[str, str]:
    """The files of the Guangdong debt data folder: file name -> text (`dir` is named in the README)."""
    from indicators.synth.world import divisions

    text = _panel_text()
    panel = list(csv.DictReader(io.StringIO(text)))
    name_en = {d.code: d.name_en for d in divisions()}
    cities = dict.fromkeys((r["admin_code"], r["city_name"]) for r in panel)
    years = sorted({int(r["year"]) for r in panel})
    units = [[*PROVINCE, "region", "province", "", PROVINCE[0]]]
    units += [[code, name, name_en.get(code, ""), "region", "city", PROVINCE[0], code] for code, name in cities]
    return {
        "units.csv": _csv(("unit_id", "name", "name_en", "kind", "level", "parent_id", "region_id"), units),
        "unit_stats.csv": _csv(("unit_id", "year", "population"),
                               [(r["admin_code"], r["year"], r["population"]) for r in panel]),
        "debt.csv": _csv(("unit_id", "year", *DEBT_COLUMNS),
                         [(r["admin_code"], r["year"], *(r[c] for c in DEBT_COLUMNS)) for r in panel]),
        "delivery.toml": DELIVERY.format(first=years[0], last=years[-1]),
        "panel.csv": text,
        "README.md": README.format(dir=dir, n_cities=len(cities), first=years[0], last=years[-1]),
    }


def write_example(name: str, dir: str | Path, *, force: bool = False) -> list[Path]:
    """Write the example data folder `name` (one of NAMES) to `dir` and return the files written.

    `dir` may exist only when empty, unless `force` is given; then the example's files replace
    their namesakes and other files are kept.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = write_example("guangdong-debt", Path(tmp) / "gd")
    >>> [p.name for p in written]
    ['units.csv', 'unit_stats.csv', 'debt.csv', 'delivery.toml', 'panel.csv', 'README.md']
    """
    if name not in NAMES:
        raise UsageError(f"unknown example {name!r}; the examples are: {', '.join(NAMES)}")
    root = Path(dir)
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root}: exists and is not a folder; choose another folder for the example")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise OutputError(f"{root}: folder is not empty; choose a new folder, or pass --force to write the "
                          "example's files into it")
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for file, text in guangdong_debt(str(root)).items():
        (root / file).write_text(text, encoding="utf-8")
        written.append(root / file)
    return written
