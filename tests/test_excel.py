"""OUT/rating.xlsx: opened with a reader, it holds the numbers of the CSV files; and the grade
migration matrix."""
from __future__ import annotations

import math
import re
import zipfile

import openpyxl
import polars as pl
import pytest

from reports import excel
from reports.excel import HEADERS, header, write_workbook
from rating.migration import UNGRADED, migration

SHEETS = ["scores", "indicators", "normalised", "alerts", "risk", "migration", "methodology"]
MACHINE_PATH = re.compile(r"(/home/|/Users/|/root/|/tmp/|/var/folders/|[A-Za-z]:\\)")


def _read(path) -> dict[str, list[list]]:
    """Every sheet of a workbook as rows padded to the sheet's width (the reader drops trailing
    empty cells), in sheet order."""
    wb = openpyxl.load_workbook(path, read_only=True)
    sheets = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        width = max((len(r) for r in rows), default=0)
        sheets[ws.title] = [r + [None] * (width - len(r)) for r in rows]
    wb.close()
    return sheets


@pytest.fixture(scope="module")
def books(small_run, tmp_path_factory):
    """The run's workbook in Chinese, and in English without the indicator sheets (to save time),
    each written and read back once."""
    out = tmp_path_factory.mktemp("xlsx")
    english = {k: v for k, v in small_run.tables.items() if k in ("scores", "units", "risk")}
    return {"zh": _read(write_workbook(small_run.tables, small_run.framework, small_run.manifest, out / "zh.xlsx")),
            "en": _read(write_workbook(english, small_run.framework, small_run.manifest, out / "en.xlsx", lang="en"))}


def _codes(heads, lang, framework):
    """Map headers back to column codes."""
    back = {header(c, lang, framework): c for c in [*HEADERS, *[n.code for n in framework.nodes]]}
    return [back.get(h, h) for h in heads]  # a column without a header of its own keeps its code


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _same(a, b) -> bool:
    """Equal, both missing, or the same number (to 15 significant digits: what Excel shows)."""
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-15, abs_tol=0.0)
    return a == b


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scores_sheet_holds_the_numbers_of_scores_csv(books, small_run, lang):
    csv = pl.read_csv(small_run.out / "scores.csv", infer_schema_length=None)
    rows = books[lang]["scores"]
    cols = _codes(rows[0], lang, small_run.framework)
    assert [c for c in cols if c not in ("name", "kind", "level")] == csv.columns
    assert len(rows) - 1 == csv.height
    sheet = {(r[cols.index("unit_id")], r[cols.index("year")]): dict(zip(cols, r)) for r in rows[1:]}
    numeric = [c for c, t in csv.schema.items() if t.is_numeric()]
    assert {"score", "rank", "rank_low", "rank_high"} <= set(numeric)
    from reports.labels import grade_label_expr

    # the grade column shows a capped grade with what the score earns ("C (否决; 得分对应 B)")
    labelled = csv.select(grade_label_expr(csv.columns, lang).alias("label"))["label"].to_list()
    assert any(a != b for a, b in zip(labelled, csv["grade"].to_list()))  # the run has capped grades
    for rec, label in zip(csv.iter_rows(named=True), labelled):
        got = sheet[(rec["unit_id"], rec["year"])]
        for c in csv.columns:
            want = label if c == "grade" else rec[c]
            assert _same(got[c], want), (rec["unit_id"], rec["year"], c, got[c], want)


def test_sheets_and_headers(books, small_run):
    assert list(books["zh"]) == SHEETS
    assert list(books["en"]) == ["scores", "risk", "migration", "methodology"]
    for lang, first in (("zh", ["单位代码", "名称", "类型", "层级", "年度", "得分", "排名", "排名下限", "排名上限", "等级"]),
                        ("en", ["Unit code", "Name", "Kind", "Level", "Year", "Score", "Rank"])):
        assert books[lang]["scores"][0][:len(first)] == first
    dims = [n.name_zh for n in small_run.framework.children(small_run.framework.code)]
    head = books["zh"]["scores"][0]
    assert [h for h in head if h in dims] == dims


def test_indicator_sheets_hold_every_value(books, small_run):
    ind = small_run.tables["indicators"]
    fw = small_run.framework
    for sheet, col in (("indicators", "value"), ("normalised", "normalised")):
        rows = books["zh"][sheet]
        names = {n.name_zh: n.code for n in fw.computed}
        codes = [names.get(h) for h in rows[0]]
        cells = {(r[0], r[2], codes[j]): v for r in rows[1:] for j, v in enumerate(r) if codes[j] and v is not None}
        expected = {(u, y, i): v for u, y, i, v in ind.select("unit_id", "year", "indicator", col).drop_nulls().iter_rows()
                    if math.isfinite(v)}
        assert cells.keys() == expected.keys()
        assert all(_same(cells[k], v) for k, v in expected.items())


def test_alerts_and_risk_sheets(books, small_run):
    alerts = books["zh"]["alerts"]
    assert alerts[0] == ["单位代码", "名称", "年度", "预警等级", "来源", "预警规则", "预警内容"]
    assert len(alerts) - 1 == small_run.tables["alerts"].height
    risk = books["en"]["risk"]
    assert len(risk) - 1 == small_run.tables["risk"].height
    assert sorted(r[3] for r in risk[1:]) == sorted(small_run.tables["risk"]["probability"].to_list())


def test_migration_sheet(books, small_run):
    grades = [g.code for g in small_run.framework.grades]
    m = migration(small_run.scores, grades)
    rows = books["en"]["migration"]
    assert rows[0][:3] == ["From year", "To year", "Grade in from year"]
    assert len(rows) - 1 == m.height
    assert [r[3:] for r in rows[1:]] == [list(r[3:]) for r in m.iter_rows()]
    assert rows[-1][0] == "All years"


def test_methodology_sheet(books, small_run):
    rows = books["zh"]["methodology"]
    first = {r[0] for r in rows if r}
    fw = small_run.framework
    assert {n.code for n in fw.nodes + fw.auxiliary} <= first
    assert {"指标体系", "等级划分", "一票否决", "方法设置", "运行记录", "framework.sha256", "seed"} <= first
    weights = {r[0]: r[7] for r in rows if r and r[0] in {n.code for n in fw.indicators}}
    assert abs(sum(weights.values()) - 1) < 1e-9  # the weights in the index add up to one


def test_no_machine_paths_in_any_cell(books):
    for sheets in books.values():
        for title, rows in sheets.items():
            for row in rows:
                for v in row:
                    assert not (isinstance(v, str) and MACHINE_PATH.search(v)), (title, v)


def test_long_tables_continue_on_another_sheet(small_run, tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "MAX_ROWS", 1001)
    scores = small_run.scores.head(2500)
    path = write_workbook({"scores": scores}, None, {}, tmp_path / "split.xlsx", lang="en")
    sheets = _read(path)
    assert list(sheets) == ["scores", "scores 2", "scores 3", "migration", "methodology"]
    assert [len(sheets[n]) - 1 for n in ("scores", "scores 2", "scores 3")] == [1000, 1000, 500]


def test_bad_language(tmp_path, small_run):
    with pytest.raises(ValueError):
        write_workbook(small_run.tables, small_run.framework, {}, tmp_path / "x.xlsx", lang="fr")


# -- migration ---------------------------------------------------------------------------------


def test_migration_counts_consecutive_years_only():
    s = pl.DataFrame({"unit_id": ["a", "a", "a", "b", "b"], "year": [2020, 2021, 2023, 2021, 2022],
                      "grade": ["A", "B", "A", "C", "C"]})
    m = migration(s, grades=["A", "B", "C"])
    assert m.filter(pl.col("from_year").is_not_null())["from_year"].unique().sort().to_list() == [2020, 2021]
    pooled = m.filter(pl.col("from_year").is_null())
    assert pooled["total"].sum() == 2  # a 2020->2021 and b 2021->2022; a 2021->2023 is not consecutive
    assert pooled.filter(pl.col("grade") == "A")["B"].item() == 1
    assert pooled.filter(pl.col("grade") == "C")["C"].item() == 1
    assert UNGRADED not in m.columns


def test_migration_of_a_run(small_run):
    s = small_run.scores
    grades = [g.code for g in small_run.framework.grades]
    m = migration(s, grades)
    years = sorted(s["year"].unique().to_list())
    for y in years[:-1]:
        both = s.filter(pl.col("year") == y).join(s.filter(pl.col("year") == y + 1), on="unit_id").height
        assert m.filter(pl.col("from_year") == y)["total"].sum() == both
        block = m.filter(pl.col("from_year") == y)
        from_counts = dict(s.filter(pl.col("year") == y).group_by("grade").len().fill_null(UNGRADED).iter_rows())
        for g, total in block.select("grade", "total").iter_rows():
            assert total == from_counts.get(g, 0)
    pairs = m.filter(pl.col("from_year").is_not_null())
    pooled = m.filter(pl.col("from_year").is_null())
    for c in [*grades, "total"]:
        assert pooled[c].sum() == pairs[c].sum()


def test_text_from_the_data_is_never_a_formula(tmp_path):
    scores = pl.DataFrame({"unit_id": ["440100"], "year": [2024], "score": [90.0], "rank": [1], "grade": ["A"]})
    units = pl.DataFrame({"unit_id": ["440100"], "name": ["=HYPERLINK(\"http://example.com\",\"x\")\x07"]})
    path = write_workbook({"scores": scores, "units": units}, None, {}, tmp_path / "f.xlsx")
    wb = openpyxl.load_workbook(path)
    cell = wb["scores"]["B2"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(\"http://example.com\",\"x\")", "s")


def test_two_writes_give_the_same_bytes(small_run, tmp_path):
    """Same run, same bytes: the document is dated by the run's as-of date, not the moment it is
    written, and the archive's entries carry a fixed date."""
    a = write_workbook(small_run.tables, small_run.framework, small_run.manifest, tmp_path / "a.xlsx")
    b = write_workbook(small_run.tables, small_run.framework, small_run.manifest, tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    book = openpyxl.load_workbook(a, read_only=True)
    assert book.properties.created.date().isoformat() == small_run.manifest["parameters"]["as_of"]
    book.close()


def test_cells_keep_the_exact_number_and_any_text(tmp_path):
    """Numbers come back as the same double (the CSV files' shortest text, not 16 digits); text
    that looks like markup, and text with surrounding spaces, comes back as it was; text that
    looks like Excel's own escape (`_x0041_` is "A" to Excel) is escaped in turn, as Excel does;
    NaN and infinities are empty cells; booleans stay booleans."""
    texts = ["<r><t>x</t></r>", "a & b < c > d", "_x0041_", "  padded ", "line\nbreak", "中文"]
    scores = pl.DataFrame({"unit_id": [f"44010{i}" for i in range(6)], "year": [2024] * 6,
                           "score": [0.30000000000000004, 1 / 3, float("nan"), float("inf"), 1e-7, 2.0],
                           "grade": texts, "borderline": [True, False, None, True, False, True]})
    rows = _read(write_workbook({"scores": scores}, None, {}, tmp_path / "t.xlsx"))["scores"][1:]
    assert [r[2] for r in rows] == [0.30000000000000004, 1 / 3, None, None, 1e-7, 2.0]
    assert [r[3] for r in rows] == [t.replace("_x0041_", "_x005F_x0041_") for t in texts]  # openpyxl keeps escapes
    assert [r[4] for r in rows] == [True, False, None, True, False, True]


def test_header_text_that_looks_like_markup(tmp_path):
    scores = pl.DataFrame({"unit_id": ["440100"], "year": [2024], "grade": ["A"], "<r>odd</r>": [1.0]})
    rows = _read(write_workbook({"scores": scores}, None, {}, tmp_path / "h.xlsx"))["scores"]
    assert rows[0][3] == "<r>odd</r>"


def test_benchmark_against_polars_runs(small_run):
    """benchmarks/excel.py times the workbook and polars.write_excel on the same sheets of a run."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "benchmarks.excel", str(small_run.out), "--repeat", "1"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "reports.excel.write_workbook" in proc.stdout and "engine / polars:" in proc.stdout


def test_every_part_is_deflated_and_inflates_with_the_standard_library(small_run, tmp_path):
    """The archive is compressed (by ISA-L) into plain deflate streams: the standard library's
    zlib reads every part back with a matching checksum, and the sheets shrink several times."""
    path = write_workbook(small_run.tables, small_run.framework, small_run.manifest, tmp_path / "a.xlsx")
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every part inflates and matches its CRC
        infos = z.infolist()
        assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
        sheets = [i for i in infos if i.filename.startswith("xl/worksheets/")]
        assert sum(i.compress_size for i in sheets) * 4 < sum(i.file_size for i in sheets)
