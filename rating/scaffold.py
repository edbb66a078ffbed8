"""``rating init DIR``: a project folder for an evaluator to fill in.

The folder holds the default framework to edit (``framework.toml``), one template per input
table in ``data/`` (CSV, UTF-8 with BOM so that spreadsheet programs show Chinese correctly) and
the same templates as Excel files in ``templates/`` (a table may be given as ``.xlsx`` instead:
replace the CSV by it), and a short README. Every template holds the contract's header and one
example row; the example rows are valid together, so a fresh project already validates.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from indicators.contract import TABLES, UNIT_ID_PATTERN, Table
from indicators.errors import OutputError
from indicators.framework_load import default_framework_path

#: One example row per input table, valid under the input contract (and together: every row
#: names the example unit). Keys are exactly the contract's columns.
EXAMPLES: dict[str, dict[str, object]] = {
    "units": {"unit_id": "440000", "name": "广东省", "name_en": "Guangdong Province", "kind": "region",
              "level": "province", "parent_id": "", "region_id": "440000"},
    "unit_stats": {"unit_id": "440000", "year": 2024, "population": 127060000, "staff": 5700,
                   "budget": 398000000000},
    "failure_records": {"record_id": "EXAMPLE-0001", "unit_id": "440000", "category": "broken_commitment",
                        "severity": 2, "occurred_on": "2024-03-15", "amount": 250000, "status": "rectified",
                        "status_changed_on": "2024-06-30", "description": "未按承诺时限兑现企业奖励资金（示例）"},
    "complaints": {"ticket_id": "EXAMPLE-0001", "unit_id": "440000", "received_at": "2024-03-15T09:30:00",
                   "kind": "complaint", "topic": "营商环境", "due_at": "2024-03-29T23:59:59",
                   "resolved_at": "2024-03-20T16:00:00", "satisfaction": "satisfied", "repeat": "false"},
    "debt": {"unit_id": "440000", "year": 2024, "debt_balance": 307000000000, "debt_limit": 345000000000,
             "fiscal_capacity": 433000000000, "general_budget_revenue": 147000000000,
             "government_fund_revenue": 126000000000, "transfers_received": 160000000000,
             "debt_service": 27400000000, "overdue_amount": 0,
             "disclosure_due": "2024-06-30", "disclosed_on": "2024-05-17"},
    "contracts": {"contract_id": "EXAMPLE-0001", "unit_id": "440000", "kind": "procurement",
                  "signed_on": "2024-01-10", "due_on": "2024-09-30", "amount": 1200000,
                  "fulfilled_on": "2024-09-15", "status": "fulfilled", "arrears_amount": 0,
                  "counterparty_sme": "true"},
}
TYPE_TEXT = {"VARCHAR": "text", "BIGINT": "integer", "DOUBLE": "number", "DATE": "date YYYY-MM-DD",
             "TIMESTAMP": "timestamp YYYY-MM-DDTHH:MM:SS", "BOOLEAN": "true/false"}

README = """# 政务诚信评价项目 / Integrity rating project

本文件夹由 `rating init` 生成。/ Created by `rating init`.

1. 在 `data/` 中按模板填写数据：每张表一个文件，第一行为列名（勿改），第二行为示例，填写前请删除示例行。
   也可改用 `templates/` 中的 Excel 模板：把填好的 `<表名>.xlsx` 放入 `data/` 并删除同名 CSV（每张表只能有一个文件）。
   Fill in `data/`: one file per table, header row unchanged; delete the example row first. To use Excel instead,
   put the filled `templates/<table>.xlsx` into `data/` and delete the CSV of the same table.
2. 如需调整指标、权重、等级或预警规则，编辑 `framework.toml`。/ Edit `framework.toml` to change indicators,
   weights, grades or alert rules.
3. 在本文件夹中检查数据 / In this folder, check the data: `rating validate data`
4. 评价 / Rate: `rating run data --framework framework.toml --out out` — 结果见 `out/index.html`、`out/scores.csv`、
   `out/rating.xlsx`。/ Results in `out/`.

日期格式 YYYY-MM-DD，时间 YYYY-MM-DDTHH:MM:SS，金额单位为元；CSV 可用 UTF-8 或 GBK 编码。
Dates are YYYY-MM-DD, timestamps YYYY-MM-DDTHH:MM:SS, money in yuan; CSV may be UTF-8 or GBK.
单位代码：地区为6位行政区划代码（如 440100），部门为“地区代码-部门代码”（如 440100-DRC）。
Unit codes: a region's 6-digit code (440100); a department `<region>-<DEPT>` (440100-DRC).

## 数据表 / Tables (* 必填列 required column)

{tables}
"""


def _example_text(v) -> str:
    return "" if v is None else str(v)


def _allowed(col) -> str:
    if col.enum:
        return " | ".join(col.enum)
    if col.pattern == UNIT_ID_PATTERN:
        return "440100 | 440100-DRC"
    if col.min_value is not None or col.max_value is not None:
        lo, hi = (f"{v:g}" if v is not None else "" for v in (col.min_value, col.max_value))
        return f"{lo}–{hi}"
    return ""


def _table_line(t: Table) -> str:
    need = "必需 required" if t.required else "可选 optional"
    cols = ", ".join(f"{c.name}{'*' if c.required else ''}" for c in t.columns)
    return f"- `{t.name}` ({need}): {cols}"


def _write_csv(t: Table, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(t.column_names)
        w.writerow([_example_text(EXAMPLES[t.name][c]) for c in t.column_names])


def _write_xlsx(t: Table, path: Path) -> None:
    """Sheet 1: header and example row (what the reader reads); sheet 2: the column dictionary."""
    wb = Workbook()
    ws = wb.active
    ws.title = t.name
    bold = Font(bold=True)
    ws.append(list(t.column_names))
    ws.append([EXAMPLES[t.name][c] if EXAMPLES[t.name][c] != "" else None for c in t.column_names])
    for j, c in enumerate(t.columns, start=1):
        ws.cell(row=1, column=j).font = bold
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = max(12, len(c.name) + 4)
    ws.freeze_panes = "A2"
    info = wb.create_sheet("columns")
    info.append(["column", "type", "required", "allowed"])
    for c in t.columns:
        info.append([c.name, TYPE_TEXT.get(c.type, c.type), "yes" if c.required else "no", _allowed(c)])
    for j in range(1, 5):
        info.cell(row=1, column=j).font = bold
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 22, 34
    info.column_dimensions["D"].width = 60
    wb.save(path)


def init_project(dir: str | Path, *, force: bool = False) -> list[Path]:
    """Create a project folder at `dir` and return the files written.

    Parameters
    ----------
    dir : path
        The folder to create. It may exist only when empty, unless `force` is given.
    force : bool
        Write into a non-empty folder, replacing the files this function writes (others are kept).

    Raises
    ------
    OutputError
        `dir` is a file, or a non-empty folder without `force`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp) / "project"
    ...     written = [p.relative_to(root).as_posix() for p in init_project(root)]
    ...     units = (root / "data" / "units.csv").read_text(encoding="utf-8-sig")
    >>> written[:4]
    ['README.md', 'framework.toml', 'data/units.csv', 'data/unit_stats.csv']
    >>> units.splitlines()[0]
    'unit_id,name,name_en,kind,level,parent_id,region_id'
    """
    root = Path(dir)
    if root.exists() and not root.is_dir():
        raise OutputError(f"{root}: exists and is not a folder; choose another folder for the project")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise OutputError(f"{root}: folder is not empty; choose a new folder, or pass --force to write the "
                          "project files into it")
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    written = [root / "README.md", root / "framework.toml"]
    tables = "\n".join(_table_line(t) for t in TABLES.values())
    written[0].write_text(README.format(tables=tables), encoding="utf-8")
    shutil.copyfile(default_framework_path(), written[1])
    for t in TABLES.values():
        _write_csv(t, root / "data" / f"{t.name}.csv")
        written.append(root / "data" / f"{t.name}.csv")
    for t in TABLES.values():
        _write_xlsx(t, root / "templates" / f"{t.name}.xlsx")
        written.append(root / "templates" / f"{t.name}.xlsx")
    return written
