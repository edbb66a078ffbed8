"""The run as one Excel workbook, ``OUT/rating.xlsx``, for evaluators who work in spreadsheets.

Sheets (named by table code, so scripts find them in either language): ``scores`` (scores.csv with
unit names), ``indicators`` (indicator values, one row per unit and year, one column per
indicator), ``normalised`` (the normalised values of the index indicators), ``alerts``, ``risk``,
``migration`` (grade migration between consecutive years, rating.migration) and ``methodology``
(the framework hierarchy, grade scale, vetoes and methods, and the run manifest). Headers are in
Chinese (``lang="zh"``) or English; cell values are those of the CSV files, unrounded: number
formats only change how they show, and numbers are stored as the CSV files write them (the
shortest text that reads back as the same number; Excel shows 15 significant digits).

xlsxwriter writes the workbook (styles, headers, widths, frozen panes, filters, the methodology
sheet); the body of each table, which is nearly all of its cells, is built as worksheet XML by
polars expressions a slice of rows at a time and streamed into the archive, which is what makes
the workbook of a province take seconds instead of writing millions of cells one by one. The same
run gives the same bytes: the document is dated by the run's as-of date and the archive's entries
by a fixed date. The archive is compressed by ISA-L (its default level): about a tenth of zlib's
CPU for a workbook a tenth larger.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePath

import polars as pl
import xlsxwriter
from isal import isal_zlib
from xlsxwriter.utility import xl_col_to_name

from indicators.contract import TABLES
from indicators.framework import Framework
from indicators.spec import format_spec
from rating.migration import UNGRADED, migration
from reports.i18n import normalisation_text
from reports.labels import grade_label_expr

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
#: The document's date when the manifest has no as-of date (so that the bytes still repeat).
UNDATED = dt.datetime(2000, 1, 1)
#: Control characters Excel refuses in a cell (tab, line feed and carriage return are kept).
_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_ILLEGAL_RE = re.compile(_ILLEGAL)


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
        The run manifest, listed in the methodology sheet (paths shown by file name only); its
        ``parameters.as_of`` dates the document.
    lang : {"zh", "en"}
        Language of the headers and names.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> scores = pl.DataFrame({"unit_id": ["440100", "440300"], "year": [2024, 2024], "score": [91.5, 78.25],
    ...                        "rank": [1, 2], "grade": ["A", "C"]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_workbook({"scores": scores}, None, {"seed": 0}, Path(tmp) / "rating.xlsx")
    ...     ws = openpyxl.load_workbook(p)["scores"]
    >>> [list(r) for r in ws.iter_rows(values_only=True)]
    [['单位代码', '年度', '得分', '排名', '等级'], ['440100', 2024, 91.5, 1, 'A'], ['440300', 2024, 78.25, 2, 'C']]
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    skeleton = io.BytesIO()
    # xlsxwriter writes the workbook: styles, headers, widths, panes, filters, properties and the
    # methodology sheet; each table's body is streamed in afterwards (`_Body`)
    wb = xlsxwriter.Workbook(skeleton, {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"author": "integrity-rating", "created": _created(manifest)})
    bold = wb.add_format({"bold": True})
    numbers = {f: wb.add_format({"num_format": f}) for f in sorted(set(SCORE_FORMATS.values()) | {"0.00"})}
    bodies = []
    try:
        for title, df in sheets(result_tables, framework, lang).items():
            bodies += _sheet(wb, bold, numbers, title, df, lang, None if title == "migration" else framework)
        _methodology(wb, bold, framework, manifest, lang)
    finally:
        wb.close()
    _assemble(skeleton, {b.part: b for b in bodies}, path)
    return path


def sheets(result_tables: dict[str, pl.DataFrame], framework: Framework | None, lang: str = "zh"
           ) -> dict[str, pl.DataFrame]:
    """The tables of the workbook, by sheet name, as written (before headers and formats): scores
    with unit names, the wide indicator and normalised tables, alerts, risk and the migration."""
    units = result_tables.get("units")
    names = _names(units, lang)
    scores = result_tables["scores"]
    shown = scores.with_columns(grade_label_expr(scores.columns, lang).alias("grade"))  # capped grades marked
    out = {"scores": _with_names(shown, names, units)}
    ind = result_tables.get("indicators")
    if ind is not None:
        codes = [n.code for n in framework.computed] if framework is not None else None
        out["indicators"] = _with_names(_wide(ind, "value", codes), names)
        idx = [n.code for n in framework.indicators] if framework is not None else None
        out["normalised"] = _with_names(_wide(ind.drop_nulls("normalised"), "normalised", idx), names)
    if result_tables.get("alerts") is not None:
        out["alerts"] = _with_names(_alerts(result_tables["alerts"], lang), names)
    if result_tables.get("risk") is not None:
        out["risk"] = _with_names(result_tables["risk"], names)
    grades = [g.code for g in framework.grades] if framework is not None else None
    out["migration"] = _migration_sheet(migration(scores, grades), lang)
    return out


def _created(manifest: dict) -> dt.datetime:
    """The run's as-of date as the document's date (never the time of writing)."""
    as_of = (manifest.get("parameters") or {}).get("as_of")
    try:
        return dt.datetime.combine(dt.date.fromisoformat(str(as_of)), dt.time()) if as_of else UNDATED
    except ValueError:
        return UNDATED


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


def _width(text) -> float:
    s = "" if text is None else str(text)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _sheet(wb: xlsxwriter.Workbook, bold, numbers: dict, title: str, df: pl.DataFrame, lang: str,
           framework: Framework | None) -> list["_Body"]:
    """One table per sheet: bold header, frozen header row and id columns, a filter, widths; a
    table too long for one sheet continues in `title 2`, `title 3`, ... The bodies to stream in."""
    heads = [header(c, lang, framework) for c in df.columns]
    per_sheet = MAX_ROWS - 1
    fmts = {j: SCORE_FORMATS[c] for j, c in enumerate(df.columns) if c in SCORE_FORMATS}
    if framework is not None:
        aggregates = {n.code for n in framework.aggregates}
        fmts.update({j: "0.00" for j, c in enumerate(df.columns) if c in aggregates})
    keys = sum(1 for c in df.columns[:3] if c in ("unit_id", "name", "year"))
    bodies = []
    for part, start in enumerate(range(0, max(df.height, 1), per_sheet)):
        chunk = df.slice(start, per_sheet)
        ws = wb.add_worksheet(title if part == 0 else f"{title} {part + 1}")
        ws.freeze_panes(1, keys)
        sample = chunk.head(200).rows()
        for j, h in enumerate(heads):
            w = max([_width(h)] + [_width(r[j]) for r in sample])
            ws.set_column(j, j, min(60, max(8, w + 2)))
        if df.width:
            ws.autofilter(0, 0, chunk.height, df.width - 1)
        for j, h in enumerate(heads):
            _put(ws, 0, j, _clean(h), bold)
        if chunk.height and chunk.width:
            # a stand-in last row: the sheet's dimension, and each column's style index as written
            for j in range(chunk.width):
                ws.write_number(chunk.height, j, 0, numbers[fmts[j]] if j in fmts else None)
            bodies.append(_Body(f"xl/worksheets/sheet{len(wb.worksheets())}.xml", chunk, chunk.height + 1))
    return bodies


class _Body:
    """The rows of one sheet below its header, as worksheet XML streamed into the archive in
    slices of `SLICE` rows. Cells hold what the CSV files hold: numbers as their shortest exact
    text, booleans, and text escaped for XML (Excel's `_xHHHH_` escapes included) with the
    control characters Excel refuses removed; an empty cell (null, NaN or infinite) is left out."""

    SLICE = 20_000

    def __init__(self, part: str, df: pl.DataFrame, last_row: int):
        self.part, self.df, self.last_row = part, df, last_row

    def splice(self, xml: bytes, write) -> None:
        """Write the skeleton sheet `xml` with the stand-in row replaced by the body."""
        head, _, rest = xml.partition(f'<row r="{self.last_row}"'.encode())
        standin, _, tail = rest.partition(b"</row>")
        styles = {m[0].decode(): m[1].decode() for m in re.findall(rb'<c r="([A-Z]+)\d+"(?: s="(\d+)")?', standin)}
        write(head)
        cells = [self._cell(name, dtype, xl_col_to_name(j), styles.get(xl_col_to_name(j), ""))
                 for j, (name, dtype) in enumerate(self.df.schema.items())]

        def rows(start: int) -> bytes:
            number = (pl.int_range(pl.len()) + (start + 2)).cast(pl.String).alias("_row")
            return self.df.slice(start, self.SLICE).with_columns(number).select(
                pl.concat_str([pl.lit('<row r="'), pl.col("_row"), pl.lit('">'), *cells, pl.lit("</row>")])
                .str.join("")).item().encode("utf-8")

        # the next slice is built (polars, off the GIL) while this one is compressed (zlib, off the GIL)
        with ThreadPoolExecutor(1) as pool:
            starts = iter(range(0, self.df.height, self.SLICE))
            pending = pool.submit(rows, next(starts))
            for start in starts:
                done, pending = pending.result(), pool.submit(rows, start)
                write(done)
            write(pending.result())
        write(tail)

    @staticmethod
    def _cell(name: str, dtype, letter: str, style: str) -> pl.Expr:
        c = pl.col(name)
        s = f' s="{style}"' if style else ""
        if dtype == pl.Boolean:
            open_, value, close = f'"{s} t="b"><v>', c.cast(pl.UInt8).cast(pl.String), "</v></c>"
        elif dtype.is_numeric():
            if dtype.is_float() or dtype.is_decimal():
                c = c.cast(pl.Float64)
                c = pl.when(c.is_finite()).then(c)
            open_, value, close = f'"{s}><v>', c.cast(pl.String), "</v></c>"
        else:
            text = _excel_text(c if dtype == pl.String else c.cast(pl.String))
            space = pl.when(text.str.contains(r"^\s|\s$")).then(pl.lit(' xml:space="preserve"')).otherwise(pl.lit(""))
            value = pl.concat_str([space, pl.lit(">"), _xml_escape(text)])
            open_, close = f'"{s} t="inlineStr"><is><t', "</t></is></c>"
        return pl.concat_str([pl.lit(f'<c r="{letter}'), pl.col("_row"), pl.lit(open_), value, pl.lit(close)]
                             ).fill_null("")


def _excel_text(s: pl.Expr) -> pl.Expr:
    """Text as Excel stores it: without the control characters it refuses, clipped to its 32,767
    characters, with `_xHHHH_` sequences escaped and carriage returns, U+FFFE and U+FFFF written as
    such escapes (as xlsxwriter does)."""
    s = s.str.replace_all(_ILLEGAL, "").str.slice(0, 32_767)
    return (s.str.replace_all(r"(_x[0-9a-fA-F]{4}_)", "_x005F$1").str.replace_all("\r", "_x000D_", literal=True)
            .str.replace_all("\ufffe", "_xFFFE_", literal=True).str.replace_all("\uffff", "_xFFFF_", literal=True))


def _xml_escape(s: pl.Expr) -> pl.Expr:
    return (s.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True))


def _assemble(skeleton: io.BytesIO, bodies: dict[str, "_Body"], path: Path) -> None:
    """The archive at `path`: xlsxwriter's parts in its order, the sheets with their bodies, every
    entry dated 1 January 1980 (so that the same run gives the same bytes)."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        with zipfile.ZipFile(skeleton) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
                entry.compress_type, entry.create_system, entry.external_attr = zipfile.ZIP_DEFLATED, 3, 0o600 << 16
                body = bodies.get(info.filename)
                big = body is not None and body.df.height * body.df.width > 10_000_000
                with dst.open(entry, "w", force_zip64=big) as out:
                    _fast_deflate(out)
                    if body is None:
                        out.write(src.read(info))
                    else:
                        body.splice(src.read(info), out.write)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _fast_deflate(out) -> None:
    """Compress a zip entry opened for writing with ISA-L's raw deflate instead of zlib's: the same
    format (any reader inflates it), in about a tenth of the CPU (the sheets of a province are
    80 MB of XML). zipfile has no parameter for the compressor, so the entry's own is replaced
    before anything is written; where a Python keeps it elsewhere, zlib's stays (same format)."""
    if getattr(out, "_compressor", None) is not None:
        out._compressor = isal_zlib.compressobj(isal_zlib.ISAL_DEFAULT_COMPRESSION, isal_zlib.DEFLATED, -15)


def _clean(v):
    """A single value as written through xlsxwriter (headers and the methodology sheet)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return _ILLEGAL_RE.sub("", v) if isinstance(v, str) else v


def _put(ws, row: int, col: int, v, fmt=None) -> None:
    """One cell through xlsxwriter; text is always written as text (``=...`` is never a formula)."""
    if v is None:
        return
    if isinstance(v, bool):
        ws.write_boolean(row, col, v, fmt)
    elif isinstance(v, (int, float)):
        ws.write_number(row, col, v, fmt)
    else:
        s = v if isinstance(v, str) else _ILLEGAL_RE.sub("", str(v))
        if s.startswith("<r>") and s.endswith("</r>"):  # xlsxwriter would write it as unescaped markup
            ws.write_rich_string(row, col, "<", "r>", s[3:], *([fmt] if fmt is not None else []))
        else:
            ws.write_string(row, col, s, fmt)


def hierarchy_table(fw: Framework, lang: str = "zh") -> pl.DataFrame:
    """The framework as a table: one row per node (index, dimensions, indicators, then auxiliary
    indicators) with names, weights, the weight in the index, direction, methods and definition."""
    eff = fw.effective_weights()
    i = 0 if lang == "zh" else 1
    rows = []
    for n in fw.nodes + fw.auxiliary:
        kind = ("index" if n.parent is None and not n.is_indicator else "auxiliary" if n in fw.auxiliary
                else "indicator" if n.is_indicator else "dimension")
        norm = normalisation_text(fw, n, arrow="->") if kind == "indicator" else None
        rows.append({"code": n.code, "parent": n.parent, "depth": fw.depth(n.code) if kind != "auxiliary" else None,
                     "node_type": NODE_TYPES[kind][i], "name_zh": n.name_zh, "name_en": n.name_en,
                     "weight": n.weight if kind not in ("index", "auxiliary") else None,
                     "effective_weight": eff.get(n.code) if kind != "auxiliary" else None,
                     "direction": n.direction if n.is_indicator else None, "unit": n.unit or None,
                     "normalise": norm, "aggregate": None if n.is_indicator else format_spec(*fw.aggregation_of(n)),
                     "definition": (n.definition.describe() if n.definition is not None else "") or None,
                     "description": n.description or None})
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


def _methodology(wb: xlsxwriter.Workbook, bold, fw: Framework | None, manifest: dict, lang: str) -> None:
    """Sections one below the other, each with a bold title and header row."""
    i = 0 if lang == "zh" else 1
    ws = wb.add_worksheet("methodology")
    for j, w in enumerate((24, 22, 8, 12, 26, 36, 8, 10, 8, 10, 22, 14, 60, 60)):
        ws.set_column(j, j, w)
    row = 0
    if fw is not None:
        _put(ws, row, 0, _clean(f"{fw.name_zh if i == 0 else fw.name_en} ({fw.code}) {fw.version}"), bold)
        row += 2
        h = hierarchy_table(fw, lang)
        row = _section(ws, bold, row, SECTIONS["hierarchy"][i], h.columns, h.iter_rows(), lang)
        row = _section(ws, bold, row, SECTIONS["grades"][i], ["code", "min", "name_zh", "name_en"],
                       [(g.code, g.min, g.name_zh, g.name_en) for g in fw.grades], lang)
        row = _section(ws, bold, row, SECTIONS["vetoes"][i], ["code", "indicator", "op", "value", "cap", "reason"],
                       [(v.code, v.indicator, v.op, v.value, v.cap, v.reason_zh if i == 0 else v.reason_en)
                        for v in fw.vetoes], lang)
        settings = {"methods": fw.methods, "uncertainty": fw.uncertainty, "model": fw.model}
        row = _section(ws, bold, row, SECTIONS["methods"][i], ["key", "setting"], _flatten(settings), lang)
    _section(ws, bold, row, SECTIONS["manifest"][i], ["key", "setting"], _flatten(manifest), lang)


def _section(ws, bold, row: int, title: str, columns: list[str], rows, lang: str) -> int:
    """A bold title, a bold header row, the rows and an empty row from `row` on; the next free row."""
    _put(ws, row, 0, _clean(title), bold)
    for j, c in enumerate(columns):
        _put(ws, row + 1, j, _clean(header(c, lang)), bold)
    row += 2
    for values in rows:
        for j, v in enumerate(values):
            _put(ws, row, j, _clean(v))
        row += 1
    return row + 1
