"""The run as one Excel workbook, ``OUT/rating.xlsx``, for evaluators who work in spreadsheets.

Sheets (named by table code, so scripts find them in either language): ``scores`` (scores.csv with
unit names), ``indicators`` (indicator values, one row per unit and year, one column per
indicator), ``normalised`` (the normalised values of the index indicators), ``alerts``, ``risk``,
``migration`` (grade migration between consecutive years, rating.migration) and ``methodology``
(the framework hierarchy, grade scale, vetoes and methods, and the run manifest). Headers are in
Chinese (``lang="zh"``) or English; cell values are those of the CSV files, unrounded: number
formats only change how they show, and numbers are stored to 16 significant digits (openpyxl's
format; Excel shows 15). Written with openpyxl in write-only mode; the cell contents are the same
for the same run, the file bytes are not (the zip records times).
"""
from __future__ import annotations

import json
import math
from pathlib import Path, PurePath

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from indicators.contract import TABLES
from indicators.framework import Definition, Framework
from rating.migration import UNGRADED, migration

#: Column code -> (Chinese header, English header). Dimension and indicator columns are headed by
#: the framework's names instead; input columns by the contract's Chinese names.
_INPUT_COLUMNS = {("units", "unit_id"): "Unit code", ("units", "name"): "Name", ("units", "kind"): "Kind",
                  ("units", "level"): "Level", ("unit_stats", "year"): "Year"}
HEADERS: dict[str, tuple[str, str]] = {
    **{column: (TABLES[table].column(column).zh, en) for (table, column), en in _INPUT_COLUMNS.items()},
    "score": ("得分", "Score"), "rank": ("排名", "Rank"),
    "rank_low": ("排名下限", "Rank (5th percentile)"), "rank_high": ("排名上限", "Rank (95th percentile)"),
    "grade": ("等级", "Grade"), "rank_median": ("排名中位数", "Median rank"),
    "score_low": ("得分下限", "Score (5th percentile)"), "score_high": ("得分上限", "Score (95th percentile)"),
    "grade_uncapped": ("否决前等级", "Grade before vetoes"), "veto": ("一票否决", "Veto"),
    "honours_eligible": ("可参评表彰", "Eligible for honours"), "honours_reason": ("不可参评原因", "Reason not eligible"),
    "override": ("人工调整", "Override"), "outlook": ("展望", "Outlook"),
    "source": ("来源", "Source"), "rule": ("预警规则", "Rule"), "message": ("预警内容", "Message"),
    "alert_level": ("预警等级", "Alert level"), "probability": ("次年严重失信事件概率", "Probability of a serious event next year"),
    "from_year": ("起始年度", "From year"), "to_year": ("次年", "To year"), "from_grade": ("起始年度等级", "Grade in from year"),
    UNGRADED: ("未评级", "Ungraded"), "total": ("合计", "Total"), "all_years": ("全部年度", "All years"),
    "code": ("代码", "Code"), "parent": ("上级代码", "Parent"), "depth": ("层次", "Depth"), "node_type": ("节点类型", "Node type"),
    "name_zh": ("中文名称", "Name (Chinese)"), "name_en": ("英文名称", "Name (English)"), "weight": ("权重", "Weight"),
    "effective_weight": ("在总指数中的权重", "Weight in the index"), "direction": ("方向", "Direction"),
    "unit": ("单位", "Unit"), "normalise": ("标准化方法", "Normalisation"), "aggregate": ("汇总方法", "Aggregation"),
    "definition": ("定义", "Definition"), "description": ("说明", "Description"), "min": ("最低分", "Minimum score"),
    "indicator": ("指标", "Indicator"), "op": ("条件", "Condition"), "value": ("阈值", "Value"), "cap": ("最高等级", "Grade cap"),
    "reason": ("原因", "Reason"), "key": ("项目", "Item"), "setting": ("取值", "Value"),
}
SECTIONS = {"hierarchy": ("指标体系", "Indicator hierarchy"), "grades": ("等级划分", "Grade scale"),
            "vetoes": ("一票否决", "Vetoes"), "methods": ("方法设置", "Methods"), "manifest": ("运行记录", "Run manifest")}
NODE_TYPES = {"index": ("总指数", "index"), "dimension": ("维度", "dimension"), "indicator": ("指标", "indicator"),
              "auxiliary": ("辅助指标", "auxiliary")}
SCORE_FORMATS = {"score": "0.00", "score_low": "0.00", "score_high": "0.00", "probability": "0.000"}
MAX_ROWS = 1_048_576  # rows of an Excel sheet, header included
_BOLD = Font(bold=True)


def header(code: str, lang: str = "zh", framework: Framework | None = None) -> str:
    """The column header of `code`: the catalogue's, a framework node's name, or the code itself.

    Examples
    --------
    >>> header("rank_low"), header("rank_low", "en"), header("extra_column")
    ('排名下限', 'Rank (5th percentile)', 'extra_column')
    """
    i = 0 if lang == "zh" else 1
    if framework is not None:
        try:
            node = framework.node(code)
            return node.name_zh if i == 0 else node.name_en
        except KeyError:
            pass
    return HEADERS[code][i] if code in HEADERS else code


def write_workbook(result_tables: dict[str, pl.DataFrame], framework: Framework | None, manifest: dict,
                   path: str | Path, *, lang: str = "zh") -> Path:
    """Write the run's tables to an Excel workbook at `path` and return the path.

    Parameters
    ----------
    result_tables : dict of polars.DataFrame
        ``Result.tables``: ``scores`` (required), ``indicators``, ``alerts``, ``risk`` and ``units``
        (for names) when present.
    framework : Framework or None
        Names for dimension and indicator columns and the methodology sheet (codes without it).
    manifest : dict
        The run manifest, listed in the methodology sheet (paths shown by file name only).
    lang : {"zh", "en"}
        Language of the headers and names.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> scores = pl.DataFrame({"unit_id": ["440100", "440300"], "year": [2024, 2024], "score": [91.5, 78.25],
    ...                        "rank": [1, 2], "grade": ["A", "C"]})
    >>> p = write_workbook({"scores": scores}, None, {"seed": 0}, Path(tempfile.mkdtemp()) / "rating.xlsx")
    >>> ws = openpyxl.load_workbook(p, read_only=True)["scores"]
    >>> [list(r) for r in ws.iter_rows(values_only=True)]
    [['单位代码', '年度', '得分', '排名', '等级'], ['440100', 2024, 91.5, 1, 'A'], ['440300', 2024, 78.25, 2, 'C']]
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    path = Path(path)
    wb = Workbook(write_only=True)
    wb.properties.creator = "integrity-rating"
    units = result_tables.get("units")
    names = _names(units, lang)
    scores = result_tables["scores"]
    _sheet(wb, "scores", _with_names(scores, names, units), lang, framework)
    ind = result_tables.get("indicators")
    if ind is not None:
        codes = [n.code for n in framework.computed] if framework is not None else None
        _sheet(wb, "indicators", _with_names(_wide(ind, "value", codes), names), lang, framework)
        idx = [n.code for n in framework.indicators] if framework is not None else None
        _sheet(wb, "normalised", _with_names(_wide(ind.drop_nulls("normalised"), "normalised", idx), names),
               lang, framework)
    if result_tables.get("alerts") is not None:
        _sheet(wb, "alerts", _with_names(_alerts(result_tables["alerts"], lang), names), lang, framework)
    if result_tables.get("risk") is not None:
        _sheet(wb, "risk", _with_names(result_tables["risk"], names), lang, framework)
    grades = [g.code for g in framework.grades] if framework is not None else None
    _sheet(wb, "migration", _migration_sheet(migration(scores, grades), lang), lang, None)
    _methodology(wb, framework, manifest, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _names(units: pl.DataFrame | None, lang: str) -> pl.DataFrame | None:
    if units is None or "name" not in units.columns:
        return None
    col = "name_en" if lang == "en" and "name_en" in units.columns else "name"
    return units.select("unit_id", pl.col(col).alias("name"))


def _with_names(df: pl.DataFrame, names: pl.DataFrame | None, units: pl.DataFrame | None = None) -> pl.DataFrame:
    """The unit's name (and, for scores, its kind and level) right after unit_id."""
    if names is None or "unit_id" not in df.columns or "name" in df.columns:
        return df
    extra = names
    if units is not None:
        extra = extra.join(units.select("unit_id", *[c for c in ("kind", "level") if c in units.columns]),
                           on="unit_id", how="left")
    rest = [c for c in df.columns if c != "unit_id"]
    return df.join(extra, on="unit_id", how="left").select("unit_id", *extra.columns[1:], *rest)


def _wide(ind: pl.DataFrame, values: str, codes: list[str] | None) -> pl.DataFrame:
    """One row per unit and year, one column per indicator (in framework order)."""
    wide = ind.pivot(on="indicator", index=["unit_id", "year"], values=values, aggregate_function="first")
    present = [c for c in wide.columns if c not in ("unit_id", "year")]
    order = [c for c in codes if c in present] if codes is not None else sorted(present)
    return wide.select("unit_id", "year", *order).sort("unit_id", "year")


def _alerts(alerts: pl.DataFrame, lang: str) -> pl.DataFrame:
    msg = "message_en" if lang == "en" and "message_en" in alerts.columns else "message"
    cols = [c for c in ("unit_id", "year", "level", "source", "rule") if c in alerts.columns]
    return alerts.select(*cols, pl.col(msg).alias("message")).rename({"level": "alert_level"}, strict=False)


def _migration_sheet(m: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Pooled rows say 'all years' instead of an empty year."""
    everything = header("all_years", lang)
    return m.with_columns([pl.col(c).cast(pl.String).fill_null(everything) for c in ("from_year", "to_year")]
                          ).rename({"grade": "from_grade"})


def _cell_value(ws, v):
    """A value as written: no NaN or infinity, no control characters Excel refuses, and text that
    looks like a formula (``=...``) kept as text, never evaluated."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("", v)
        if v.startswith("="):
            cell = WriteOnlyCell(ws, value=v)
            cell.data_type = "s"
            return cell
    return v


def _width(text) -> float:
    s = "" if text is None else str(text)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _sheet(wb: Workbook, title: str, df: pl.DataFrame, lang: str, framework: Framework | None) -> None:
    """One table per sheet: bold header, frozen header row and id columns, a filter, widths; a
    table too long for one sheet continues in `title 2`, `title 3`, ..."""
    heads = [header(c, lang, framework) for c in df.columns]
    per_sheet = MAX_ROWS - 1
    for part, start in enumerate(range(0, max(df.height, 1), per_sheet)):
        chunk = df.slice(start, per_sheet)
        ws = wb.create_sheet(title if part == 0 else f"{title} {part + 1}")
        keys = sum(1 for c in df.columns[:3] if c in ("unit_id", "name", "year"))
        ws.freeze_panes = f"{get_column_letter(keys + 1)}2"
        sample = chunk.head(200).rows()
        for j, h in enumerate(heads):
            w = max([_width(h)] + [_width(r[j]) for r in sample])
            ws.column_dimensions[get_column_letter(j + 1)].width = min(60, max(8, w + 2))
        if df.width:
            ws.auto_filter.ref = f"A1:{get_column_letter(df.width)}{chunk.height + 1}"
        ws.append([_bold(ws, h) for h in heads])
        fmts = {j: SCORE_FORMATS[c] for j, c in enumerate(df.columns) if c in SCORE_FORMATS}
        if framework is not None:
            fmts.update({j: "0.00" for j, c in enumerate(df.columns)
                         if c in {n.code for n in framework.aggregates} and title != "migration"})
        for row in chunk.iter_rows():
            vals = [_cell_value(ws, v) for v in row]
            for j, fmt in fmts.items():
                if vals[j] is not None:
                    cell = WriteOnlyCell(ws, value=vals[j])
                    cell.number_format = fmt
                    vals[j] = cell
            ws.append(vals)


def _bold(ws, value) -> Cell:
    cell = _cell_value(ws, value)
    cell = cell if isinstance(cell, Cell) else WriteOnlyCell(ws, value=cell)
    cell.font = _BOLD
    return cell


def definition_text(d: Definition | None) -> str:
    """A one-line summary of how an indicator is computed from its table.

    Examples
    --------
    >>> from indicators.framework import Condition
    >>> definition_text(Definition(table="failure_records", measure="count", per="staff", scale=100,
    ...                            where=(Condition("category", "eq", "broken_commitment"),)))
    'count of failure_records where category = broken_commitment; per staff × 100'
    """
    if d is None:
        return ""
    what = {"count": f"count of {d.table}", "weighted_count": f"weighted count of {d.table} by {d.weight_column}",
            "sum": f"sum of {d.table}.{d.column}", "share": f"share of {d.table}",
            "ratio": f"sum of {d.table}.{d.column} / sum of {d.denominator_column}",
            "mean": f"mean of {d.table}.{d.column}", "median_days": f"median days {d.start} -> {d.end} in {d.table}",
            "value": f"{d.table}.{d.column}"}.get(d.measure, f"{d.measure} of {d.table}")
    parts = [what + (f" where {_conditions(d.where)}" if d.where else "")]
    if d.numerator:
        parts.append(f"counted if {_conditions(d.numerator)}")
    if d.per:
        parts.append(f"per {d.per}" + (f" × {d.scale:g}" if d.scale != 1 else ""))
    elif d.scale != 1:
        parts.append(f"× {d.scale:g}")
    t = TABLES.get(d.table)
    if d.date and t is not None and d.date not in (t.date_column, t.year_column):
        parts.append(f"year of {d.date}")
    if d.window > 1:
        parts.append(f"{d.window}-year window")
    if d.scope == "unit":
        parts.append("own records only")
    return "; ".join(parts)


_OPS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in",
        "lt_column": "<", "le_column": "≤", "gt_column": ">", "ge_column": "≥"}


def _conditions(conds) -> str:
    out = []
    for c in conds:
        if c.op == "is_null":
            out.append(f"{c.column} is {'' if c.value else 'not '}null")
        else:
            v = ", ".join(map(str, c.value)) if isinstance(c.value, (list, tuple)) else c.value
            out.append(f"{c.column} {_OPS.get(c.op, c.op)} {v}")
    return " and ".join(out)


def _effective_weights(fw: Framework) -> dict[str, float]:
    eff = {fw.code: 1.0}
    for n in fw.nodes:  # breadth-first: parents come first
        kids = fw.children(n.code)
        total = sum(k.weight for k in kids)
        for k in kids:
            eff[k.code] = eff[n.code] * (k.weight / total if total > 0 else 0.0)
    return eff


def hierarchy_table(fw: Framework, lang: str = "zh") -> pl.DataFrame:
    """The framework as a table: one row per node (index, dimensions, indicators, then auxiliary
    indicators) with names, weights, the weight in the index, direction, methods and definition."""
    eff = _effective_weights(fw)
    i = 0 if lang == "zh" else 1
    rows = []
    for n in fw.nodes + fw.auxiliary:
        kind = ("index" if n.parent is None and not n.is_indicator else "auxiliary" if n in fw.auxiliary
                else "indicator" if n.is_indicator else "dimension")
        norm = (n.normalise or fw.methods.get("normalise")) if n.is_indicator and kind != "auxiliary" else None
        if norm and n.goalposts:
            norm = f"{norm} ({n.goalposts[0]:g} -> {n.goalposts[1]:g})"
        rows.append({"code": n.code, "parent": n.parent, "depth": fw.depth(n.code) if kind != "auxiliary" else None,
                     "node_type": NODE_TYPES[kind][i], "name_zh": n.name_zh, "name_en": n.name_en,
                     "weight": n.weight if kind not in ("index", "auxiliary") else None,
                     "effective_weight": eff.get(n.code) if kind != "auxiliary" else None,
                     "direction": n.direction if n.is_indicator else None, "unit": n.unit or None,
                     "normalise": norm, "aggregate": None if n.is_indicator else (n.aggregate or fw.methods.get("aggregate")),
                     "definition": definition_text(n.definition) or None, "description": n.description or None})
    return pl.DataFrame(rows, schema={"code": pl.String, "parent": pl.String, "depth": pl.Int64, "node_type": pl.String,
                                      "name_zh": pl.String, "name_en": pl.String, "weight": pl.Float64,
                                      "effective_weight": pl.Float64, "direction": pl.Int64, "unit": pl.String,
                                      "normalise": pl.String, "aggregate": pl.String, "definition": pl.String,
                                      "description": pl.String}, orient="row")


def _flatten(obj, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(obj, dict):
        out = []
        for k in sorted(obj, key=str):
            out += _flatten(obj[k], f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(obj, (list, tuple)):
        return [(prefix, json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str))]
    last = prefix.rsplit(".", 1)[-1]
    if last in ("path", "file", "source") and isinstance(obj, str) and obj:
        obj = PurePath(obj).name  # never where files lay on a machine
    return [(prefix, obj if isinstance(obj, (int, float, bool)) or obj is None else str(obj))]


def _methodology(wb: Workbook, fw: Framework | None, manifest: dict, lang: str) -> None:
    """Sections one below the other, each with a bold title and header row."""
    i = 0 if lang == "zh" else 1
    ws = wb.create_sheet("methodology")
    for col, w in zip("ABCDEFGHIJKLMN", (24, 22, 8, 12, 26, 36, 8, 10, 8, 10, 22, 14, 60, 60)):
        ws.column_dimensions[col].width = w
    if fw is not None:
        ws.append([_bold(ws, f"{fw.name_zh if i == 0 else fw.name_en} ({fw.code}) {fw.version}")])
        ws.append([])
        h = hierarchy_table(fw, lang)
        _section(ws, SECTIONS["hierarchy"][i], h.columns, h.iter_rows(), lang)
        _section(ws, SECTIONS["grades"][i], ["code", "min", "name_zh", "name_en"],
                 [(g.code, g.min, g.name_zh, g.name_en) for g in fw.grades], lang)
        _section(ws, SECTIONS["vetoes"][i], ["code", "indicator", "op", "value", "cap", "reason"],
                 [(v.code, v.indicator, v.op, v.value, v.cap, v.reason_zh if i == 0 else v.reason_en)
                  for v in fw.vetoes], lang)
        settings = {"methods": fw.methods, "uncertainty": fw.uncertainty, "model": fw.model}
        _section(ws, SECTIONS["methods"][i], ["key", "setting"], _flatten(settings), lang)
    _section(ws, SECTIONS["manifest"][i], ["key", "setting"], _flatten(manifest), lang)


def _section(ws, title: str, columns: list[str], rows, lang: str) -> None:
    ws.append([_bold(ws, title)])
    ws.append([_bold(ws, header(c, lang)) for c in columns])
    for row in rows:
        ws.append([_cell_value(ws, v) for v in row])
    ws.append([])
