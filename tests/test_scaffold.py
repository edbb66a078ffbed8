"""`rating init`: the project folder, its templates, and a hand-filled project rated end to end."""
from __future__ import annotations

import csv
import datetime as dt
import shutil

import duckdb
import openpyxl
import polars as pl
from polars.testing import assert_frame_equal
import pytest

from indicators.contract import TABLES
from indicators.errors import OutputError
from indicators.framework_load import default_framework_path
from indicators.load import load
from rating.scaffold import EXAMPLES, init_project

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    return root, init_project(root)


def test_examples_follow_the_contract():
    assert list(EXAMPLES) == list(TABLES)
    for name, table in TABLES.items():
        assert tuple(EXAMPLES[name]) == table.column_names, name


def test_init_writes_the_project(project):
    root, written = project
    names = {p.relative_to(root).as_posix() for p in written}
    assert names == ({"README.md", "framework.toml"} | {f"data/{t}.csv" for t in TABLES}
                     | {f"templates/{t}.xlsx" for t in TABLES})
    assert all(p.is_file() for p in written)
    assert (root / "framework.toml").read_bytes() == default_framework_path().read_bytes()
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "rating validate data" in readme and "rating run data --framework framework.toml" in readme
    for name in TABLES:
        assert f"`{name}`" in readme


@pytest.mark.parametrize("table", list(TABLES))
def test_csv_template(project, table):
    root, _ = project
    raw = (root / "data" / f"{table}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheet programs then read the Chinese right
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == TABLES[table].column_names
    assert len(rows) == 2


@pytest.mark.parametrize("table", list(TABLES))
def test_xlsx_template(project, table):
    root, _ = project
    wb = openpyxl.load_workbook(root / "templates" / f"{table}.xlsx", read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert tuple(rows[0]) == TABLES[table].column_names
    assert len(rows) == 2
    described = [r[0] for r in list(wb["columns"].iter_rows(values_only=True))[1:]]
    assert tuple(described) == TABLES[table].column_names


def _all_accepted(data):
    loaded = load(data, duckdb.connect(), as_of=AS_OF)
    assert set(loaded.present) == set(TABLES)
    for name in TABLES:
        c = loaded.counts[name]
        assert (c.read, c.accepted, c.quarantined) == (1, 1, 0), name


def test_fresh_project_validates(project):
    root, _ = project
    _all_accepted(root / "data")


def test_xlsx_templates_validate(project, tmp_path):
    root, _ = project
    data = tmp_path / "xlsx-data"
    data.mkdir()
    for name in TABLES:
        shutil.copy(root / "templates" / f"{name}.xlsx", data)
    _all_accepted(data)


def test_refuses_a_non_empty_folder(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError) as err:
        init_project(root)
    assert err.value.exit_code == 5 and "--force" in str(err.value)
    written = init_project(root, force=True)
    assert (root / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert len(written) == 2 + 2 * len(TABLES)


def test_refuses_a_file_and_accepts_an_empty_folder(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError):
        init_project(tmp_path / "file")
    (tmp_path / "empty").mkdir()
    assert init_project(tmp_path / "empty")


# -- a small hand-made data set: three cities and two of their departments over two years.
# Every indicator orders the units the same way: Guangzhou best, then Shenzhen, then Zhuhai
# (and Guangzhou's department before Shenzhen's), so the ranks are known in advance.
YEARS = (2022, 2023)
REGIONS = {"440100": ("广州市", "Guangzhou", 18_800_000, 5000), "440300": ("深圳市", "Shenzhen", 17_600_000, 4000),
           "440400": ("珠海市", "Zhuhai", 2_400_000, 1500)}
DEPTS = {"440100-DRC": ("广州市发展和改革委员会", "440100", 300), "440300-DRC": ("深圳市发展和改革委员会", "440300", 250)}
QUALITY = {"440100": 0, "440100-DRC": 0, "440300": 1, "440300-DRC": 1, "440400": 2}  # 0 best


def _units():
    rows = [[u, n, f"{en} City", "region", "city", "", u] for u, (n, en, _, _) in REGIONS.items()]
    rows += [[u, n, f"{REGIONS[r][1]} DRC", "department", "city", r, r] for u, (n, r, _) in DEPTS.items()]
    return rows


def _unit_stats():
    rows = []
    for y in YEARS:
        for u, (_, _, pop, staff) in REGIONS.items():
            rows.append([u, y, pop, staff, staff * 2_000_000])
        for u, (_, r, staff) in DEPTS.items():
            rows.append([u, y, REGIONS[r][2], staff, staff * 1_000_000])
    return rows


def _failure_records():
    rows, n = [], 0
    plan = {"440300": [("administrative_penalty", 1, "active")],
            "440300-DRC": [("broken_commitment", 2, "rectified")],
            "440400": [("dishonest_debtor", 3, "active"), ("judgment_lost", 2, "active"),
                       ("online_service_shortfall", 2, "under_objection")]}
    for y in YEARS:
        for unit, recs in plan.items():
            for cat, sev, status in recs:
                n += 1
                changed = f"{y}-11-30" if status != "active" else ""
                rows.append([f"R{n:04d}", unit, cat, sev, f"{y}-0{n % 9 + 1}-15", 100_000 * sev, status, changed, ""])
    return rows


def _complaints():
    rows, n = [], 0
    for y in YEARS:
        for unit, q in QUALITY.items():
            for i in range(4 + 2 * q):
                n += 1
                late = i < q * 2  # worse units handle more tickets late
                due = f"{y}-03-{10 + i:02d}T23:59:59"
                resolved = "" if (q == 2 and i == 0) else f"{y}-03-{(14 + i) if late else (5 + i):02d}T12:00:00"
                satisfaction = "dissatisfied" if late else "satisfied"
                rows.append([f"T{n:05d}", unit, f"{y}-03-{1 + i:02d}T09:00:00", "complaint", "营商环境", due, resolved,
                             satisfaction, "true" if late and q == 2 else "false"])
    return rows


def _debt():
    rows = []
    for y in YEARS:
        for unit, ratio, overdue, disclosed in (("440100", 0.8, 0, f"{y}-05-20"), ("440300", 1.0, 0, f"{y}-06-25"),
                                                ("440400", 2.5, 200_000_000, f"{y}-08-10")):
            capacity = 100_000_000_000
            rows.append([unit, y, int(ratio * capacity), int(ratio * capacity * 1.2), capacity, "", "", "",
                         int(capacity * 0.05 * (1 + ratio)), overdue, f"{y}-06-30", disclosed])
    return rows


def _contracts():
    rows, n = [], 0
    for y in YEARS:
        for unit, q in QUALITY.items():
            for i in range(3):
                n += 1
                bad = i < q  # the first q contracts of a worse unit go wrong
                status = "breached" if bad and q == 2 else "late" if bad else "fulfilled"
                fulfilled = "" if status == "breached" else f"{y}-{(10 if bad else 8):02d}-{10 + i:02d}"
                rows.append([f"C{n:04d}", unit, "ppp" if i == 2 else "procurement", f"{y}-01-{10 + i:02d}",
                             f"{y}-09-{10 + i:02d}", 1_000_000, fulfilled, status, 300_000 if status == "breached" else 0,
                             "true"])
    return rows


FILL = {"units": _units, "unit_stats": _unit_stats, "failure_records": _failure_records, "complaints": _complaints,
        "debt": _debt, "contracts": _contracts}


def _fill(data):
    """Replace each template's example row by the hand-made rows, keeping the template's header."""
    for name, rows in FILL.items():
        path = data / f"{name}.csv"
        header = next(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows())


@pytest.mark.integration
def test_filled_project_rates_end_to_end(project, tmp_path):
    import rating

    root, _ = project
    _fill(root / "data")
    out = tmp_path / "out"
    result = rating.run(root / "data", framework=root / "framework.toml", out=out, as_of=AS_OF, seed=0,
                        replications=20)
    manifest = result.manifest
    assert all(v["rows_quarantined"] == 0 for v in manifest["inputs"].values())
    scores = result.scores
    assert scores.height == (len(REGIONS) + len(DEPTS)) * len(YEARS)
    assert scores["score"].null_count() == 0
    for year in YEARS:
        ranks = dict(scores.filter(pl.col("year") == year).select("unit_id", "rank").iter_rows())
        assert (ranks["440100"], ranks["440300"], ranks["440400"]) == (1, 2, 3), (year, ranks)
        assert (ranks["440100-DRC"], ranks["440300-DRC"]) == (1, 2), (year, ranks)
    # Zhuhai is listed as a dishonest judgment debtor each year: its grade is capped by the veto.
    zhuhai = scores.filter(pl.col("unit_id") == "440400")
    assert zhuhai["veto"].str.starts_with("V1").all()
    written = pl.read_csv(out / "scores.csv")
    assert_frame_equal(written.select("unit_id", "year", "rank"), scores.select("unit_id", "year", "rank"))
    assert (out / "index.html").is_file()
