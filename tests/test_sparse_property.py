"""Sparse and uneven deliveries: every valid data folder either rates or stops with a documented
input error, never with an internal error.

The strategy builds small folders from scratch in the input contract (docs/input.md): one to
twenty-eight regions and departments of Guangdong (or departments whose region is missing), one
to four years, and any subset of the record tables, each possibly empty, starting late, stopping
early, skipping a year, reaching beyond unit_stats's years or holding a single year, with units
that have no records; unit_stats may skip unit-years or a whole year; debt may have no derivable
fiscal capacity; a delivery.toml may declare coverage and the fiscal-capacity rule. Tables come
as CSV (UTF-8, BOM, GBK), XLSX or Parquet, with or without their empty optional columns. Runs
vary the uncertainty analysis, language, audience and the years rated.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import random
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rating
from indicators import contract
from indicators.delivery import FISCAL_COMPONENTS
from indicators.errors import EngineError
from rating.cli import main

AS_OF = dt.date(2025, 6, 30)
pytestmark = pytest.mark.slow  # a hundred sparse folders, each rated or refused
YEARS = (2021, 2022, 2023, 2024)
# unit_id, name, kind, level, parent_id (region_id is the unit's own id for a region, the
# prefix for a department)
UNITS = (
    ("440000", "广东省", "region", "province", ""),
    ("440100", "广州市", "region", "city", "440000"),
    ("440300", "深圳市", "region", "city", "440000"),
    ("440103", "荔湾区", "region", "county", "440100"),
    ("440000-FINANCE", "广东省财政厅", "department", "province", "440000"),
    ("440100-DRC", "广州市发展和改革委员会", "department", "city", "440100"),
    ("440300-EDU", "深圳市教育局", "department", "city", "440300"),
    ("440103-HEALTH", "荔湾区卫生健康局", "department", "county", "440103"),
)
#: Guangzhou's other districts, each with a finance bureau: enough counties for peer-based alerts.
DISTRICTS = (("440104", "越秀区"), ("440105", "海珠区"), ("440106", "天河区"), ("440111", "白云区"),
             ("440112", "黄埔区"), ("440113", "番禺区"), ("440114", "花都区"), ("440115", "南沙区"),
             ("440117", "从化区"), ("440118", "增城区"))
WIDE = UNITS + tuple(u for code, name in DISTRICTS for u in (
    (code, name, "region", "county", "440100"), (f"{code}-FINANCE", f"{name}财政局", "department", "county", code)))
REGIONS = [u[0] for u in UNITS if u[2] == "region"]
DEPARTMENTS = [u[0] for u in UNITS if u[2] == "department"]


def write_table(folder: Path, table: str, rows: list[dict], how: tuple[str, bool]) -> None:
    """`rows` as `<table>.<format>` (CSV in UTF-8, UTF-8 with BOM or GBK; XLSX; Parquet of text),
    leaving out the optional columns that hold nothing when `how` says so, as deliveries do."""
    fmt, lean = how
    cols = [c.name for c in contract.TABLES[table].columns
            if not lean or c.required or any(r.get(c.name) is not None for r in rows)]
    cells = [[None if r.get(c) is None else str(r[c]) for c in cols] for r in rows]
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        for row in [cols, *cells]:
            sheet.append(row)
        book.save(folder / f"{table}.xlsx")
    elif fmt == "parquet":
        frame = pl.DataFrame(cells, schema={c: pl.String for c in cols}, orient="row")
        frame.write_parquet(folder / f"{table}.parquet")
    else:
        with (folder / f"{table}.csv").open("w", encoding=fmt, newline="") as f:
            csv.writer(f).writerows([cols, *[["" if v is None else v for v in row] for row in cells]])


DESCRIPTIONS = ("未在判决确定的期限内履行生效判决确定的给付义务", "拖欠中小企业账款问题整改不力，主要负责人被约谈问责",
                "工作人员在招商引资项目中违规作出承诺，受到政务处分", "网上办事事项未按规定时限办结")
TOPICS = ("教育", "医疗卫生", "政务服务", "住房保障", "交通运输")


def maybe(rng: random.Random, value, p_missing=0.3):
    """`value`, or None (an empty optional cell) now and then."""
    return None if rng.random() < p_missing else value


def day_in(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


def money(rng: random.Random, lo=0, hi=10**9):
    return rng.choice([lo, 1, 1234.5, 10**6, 3.7e7, hi, rng.randint(lo, hi)])


def failure_row(rng, i, unit, year):
    status = rng.choice(contract.FAILURE_STATUSES)
    occurred = day_in(rng, year)
    changed = occurred + dt.timedelta(days=rng.randrange(200))
    needs_date = status in ("rectified", "repaired", "revoked")
    return {"record_id": f"F{i:04d}", "unit_id": unit, "category": rng.choice(contract.FAILURE_CATEGORIES),
            "severity": rng.randint(1, 3), "occurred_on": occurred, "amount": maybe(rng, money(rng)),
            "status": status, "status_changed_on": changed if needs_date else maybe(rng, changed, 0.7),
            "description": maybe(rng, rng.choice(DESCRIPTIONS))}


def complaint_row(rng, i, unit, year):
    received = dt.datetime.combine(day_in(rng, year), dt.time(rng.randrange(24), 30))
    resolved = received + dt.timedelta(hours=rng.randrange(24 * 60))
    return {"ticket_id": f"T{i:05d}", "unit_id": unit, "received_at": received.isoformat(),
            "kind": rng.choice(contract.TICKET_KINDS), "topic": maybe(rng, rng.choice(TOPICS)),
            "due_at": maybe(rng, (received + dt.timedelta(days=rng.randint(1, 30))).isoformat()),
            "resolved_at": maybe(rng, resolved.isoformat()) if resolved.date() <= AS_OF else None,
            "satisfaction": maybe(rng, rng.choice(contract.SATISFACTION)), "repeat": rng.choice(["true", "false"])}


def debt_row(rng, unit, year, fiscal: str):
    row = {"unit_id": unit, "year": year, "debt_balance": money(rng), "debt_limit": maybe(rng, money(rng, 1)),
           "debt_service": maybe(rng, money(rng)), "overdue_amount": maybe(rng, money(rng)),
           "disclosure_due": maybe(rng, dt.date(year, 6, 30)), "disclosed_on": maybe(rng, day_in(rng, year))}
    if fiscal == "given":
        row["fiscal_capacity"] = maybe(rng, money(rng, 1), 0.2)
    elif fiscal == "components":
        row |= {c: maybe(rng, money(rng), 0.2) for c in FISCAL_COMPONENTS}
    elif fiscal == "partial":  # never all three components and no fiscal_capacity: nothing derivable
        row |= {c: money(rng) for c in rng.sample(FISCAL_COMPONENTS, rng.randint(0, 2))}
    return row


def contract_row(rng, i, unit, year):
    signed = day_in(rng, year)
    due = signed + dt.timedelta(days=rng.randrange(500))
    fulfilled = signed + dt.timedelta(days=rng.randrange(600))
    return {"contract_id": f"C{i:04d}", "unit_id": unit, "kind": rng.choice(contract.CONTRACT_KINDS),
            "signed_on": signed, "due_on": maybe(rng, due), "amount": maybe(rng, money(rng)),
            "fulfilled_on": maybe(rng, fulfilled) if fulfilled <= AS_OF else None,
            "status": rng.choice(contract.CONTRACT_STATUSES), "arrears_amount": maybe(rng, money(rng)),
            "counterparty_sme": maybe(rng, rng.choice(["true", "false"]))}


ROWS = {"failure_records": failure_row, "complaints": complaint_row, "contracts": contract_row}
#: The uneven shapes a delivery takes: "mixed" is some regions and departments, "wide" every region.
SHAPES = ("mixed", "wide", "only_regions", "only_departments", "one_unit", "departments_without_regions")
#: Where a record table's rows fall: "beyond" reaches a year before and after unit_stats's years,
#: "gap" skips a year in the middle.
SPANS = ("all", "late", "early", "one_year", "empty", "beyond", "gap")


def choose_units(rng: random.Random, shape: str) -> tuple[list[dict], list[str]]:
    """Rows of `units` (consistent kind, level, parent and region) and the units given unit_stats."""
    catalog = WIDE if shape == "wide" else UNITS
    regions = rng.sample(REGIONS, rng.randint(1, len(REGIONS)))
    if shape == "wide":
        regions = [u[0] for u in WIDE if u[2] == "region"]
    depts = [u[0] for u in catalog if u[2] == "department" and u[0].split("-")[0] in regions]
    depts = rng.sample(depts, rng.randint(0, len(depts)))
    if shape in ("only_departments", "departments_without_regions") and not depts:
        depts = [rng.choice(DEPARTMENTS)]
        regions = sorted(set(regions) | {depts[0].split("-")[0]})
    if shape == "only_regions":
        depts = []
    if shape == "one_unit":
        regions, depts = regions[:1], []
    listed = set(regions) | set(depts)
    units = [{"unit_id": uid, "name": name, "name_en": None, "kind": kind, "level": level,
              "parent_id": parent if parent in listed else None, "region_id": uid.split("-")[0]}
             for uid, name, kind, level, parent in catalog if uid in listed]
    if shape == "departments_without_regions":  # no department's region is listed: none is accepted
        units = [u for u in units if u["kind"] == "department"]
    return units, depts if shape == "only_departments" else [u["unit_id"] for u in units]


def delivery_toml(rng: random.Random, years: list[int], units: list[str]) -> str:
    """A delivery.toml declaring coverage of some record tables and, now and then, the fiscal rule."""
    parts = []
    for table in rng.sample(contract.RECORD_TABLES, rng.randint(0, 3)):
        first = rng.choice([None, years[0] - 1, *years])
        last = rng.choice([None, years[-1] + 1, *[y for y in years if first is None or y >= first]])
        keys = [f"first_year = {first}"] if first is not None else []
        keys += [f"last_year = {last}"] if last is not None else []
        if units and rng.random() < 0.5:  # 440999 is a well-formed id of no unit
            chosen = rng.sample([*units, "440999"], rng.randint(1, len(units) + 1))
            keys.append("units = [" + ", ".join(f'"{u}"' for u in chosen) + "]")
        parts.append(f"[coverage.{table}]\n" + "\n".join(keys))
    if rng.random() < 0.5:
        comps = rng.sample(FISCAL_COMPONENTS, rng.randint(1, 3))
        parts.append(f'[fiscal_capacity]\ndefinition = "{rng.choice(["given", "derived", "default"])}"\n'
                     f'components = {json.dumps(comps)}\nnote_zh = "综合财力近似"\nnote_en = "approximated"')
    return "\n\n".join(parts) + "\n"


def build_folder(shape: str, seed: int) -> tuple[dict, dict[str, list[dict]], str | None]:
    """(summary, rows per table, delivery.toml text or None): a valid but uneven data folder."""
    rng = random.Random(seed)
    units, stated = choose_units(rng, shape)
    n_years = rng.randint(1, len(YEARS))
    first = rng.choice(YEARS[:len(YEARS) - n_years + 1])
    years = list(range(first, first + n_years))
    p_stats = rng.choice([1.0, 0.85, 0.5])  # below 1: units without unit_stats in some years
    gap = rng.choice(years[1:-1]) if len(years) > 2 and rng.random() < 0.15 else None  # a year nobody reports
    stats = [{"unit_id": u, "year": y, "population": maybe(rng, rng.choice([0, 1, 5e4, 1.2e7]), 0.1),
              "staff": maybe(rng, rng.choice([0, 1, 30, 2000]), 0.1), "budget": maybe(rng, money(rng), 0.1)}
             for u in stated for y in years if y != gap and rng.random() < p_stats]
    tables = {"units": units, "unit_stats": stats}
    ids = [u["unit_id"] for u in units]
    one_year = rng.choice(years) if rng.random() < 0.15 else None  # every record in one year
    for table in contract.RECORD_TABLES:
        if rng.random() < 0.4:
            continue  # the table is missing
        span = rng.choice(SPANS)
        lo, hi = years[0], years[-1]
        if span == "late":
            lo = rng.choice(years)
        elif span == "early":
            hi = rng.choice(years)
        elif span == "beyond":
            lo, hi = lo - 1, min(hi + 1, AS_OF.year - 1)
        if span == "one_year" or one_year:
            lo = hi = one_year or rng.choice(years)
        skip = rng.choice(years[1:-1]) if span == "gap" and len(years) > 2 else None
        at = [y for y in range(lo, hi + 1) if y != skip] or [lo]
        owners = [u["unit_id"] for u in units if u["kind"] == "region"] if table == "debt" else ids
        if not owners or span == "empty":
            tables[table] = []  # a header and no rows
            continue
        owners = rng.sample(owners, rng.randint(1, len(owners)))  # the others have no rows at all
        if table == "debt":
            fiscal = rng.choice(["given", "components", "partial", "none"])
            tables[table] = [debt_row(rng, u, y, fiscal) for u in owners for y in at if rng.random() < 0.8]
        else:
            tables[table] = [ROWS[table](rng, i, rng.choice(owners), rng.choice(at))
                             for i in range(rng.randint(1, rng.choice([5, 60, 400])))]
    delivery = delivery_toml(rng, years, ids) if rng.random() < 0.35 else None
    a, b = sorted(rng.sample(years, 2)) if len(years) > 1 else (years[0], years[0])
    rated = rng.choices([None, list(range(a, b + 1)), [years[0] - 1]], [0.8, 0.17, 0.03])[0]  # run --years
    formats = ["utf-8"] * 5 + ["utf-8-sig", "gbk", "xlsx", "parquet"]
    how = {t: (rng.choice(formats), rng.random() < 0.5) for t in tables}
    summary = {"shape": shape, "units": ids, "years": years, "rated_years": rated, "unit_stats": len(stats),
               **{t: len(tables[t]) for t in contract.RECORD_TABLES if t in tables}, "delivery": delivery, "how": how}
    return summary, tables, delivery


@st.composite
def folders(draw):
    """(summary, writer): a valid but uneven data folder, written by `writer(path)`. Hypothesis
    picks the shape and a seed; the seed draws the rest, which keeps examples varied."""
    shape = draw(st.one_of(st.just("mixed"), st.sampled_from(SHAPES)))  # "mixed" about half the time
    summary, tables, delivery = build_folder(shape, draw(st.integers(0, 2**32 - 1)))

    def write(path: Path) -> Path:
        path.mkdir(parents=True)
        for name, rows in tables.items():
            write_table(path, name, rows, summary["how"][name])
        if delivery is not None:
            (path / "delivery.toml").write_text(delivery, encoding="utf-8")
        return path

    return summary, write


def assert_documented(err: EngineError) -> None:
    """A documented input error: a head line, then one line per problem."""
    lines = str(err).split("\n")
    assert lines[0].strip() and len(lines) == 1 + len(err.problems), str(err)
    assert all(line.strip() for line in lines), str(err)


def rate_or_refuse(data: Path, out: Path, **options):
    """Rate `data` into `out`; None when the engine refused it with a documented input error."""
    try:
        result = rating.run(data, out=out, as_of=AS_OF, **options)
    except EngineError as err:
        assert_documented(err)
        return None
    for name in ("index.html", "scores.csv", "manifest.json"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["coverage"]) == set(contract.RECORD_TABLES)
    assert manifest["scope"]["covered"]
    ind = result.tables["indicators"]
    assert ind.filter(pl.col("outside_coverage") & pl.col("value").is_not_null()).is_empty()  # missing, not zero
    assert rating.Result.load(out).tables["scores"].height == result.tables["scores"].height
    return result


#: Run options: a small or no uncertainty analysis (0 also turns the sensitivity analysis off),
#: either language and audience.
OPTIONS = st.fixed_dictionaries({"replications": st.sampled_from([0, 5, 1]), "lang": st.sampled_from(["zh", "en"]),
                                 "audience": st.sampled_from(["internal", "public"])})
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]


# 100 examples take about 100 s of CPU, 95-105 s on two otherwise idle CPUs (a folder rates in
# 0.3-3 s, most of it writing the reports and the workbook): about 70 ratings and 30 refusals,
# every shape, and most combinations of tables, spans and formats.
@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=SLOW)
@given(folder=folders(), options=OPTIONS)
def test_a_sparse_folder_rates_or_stops_with_a_documented_input_error(folder, options):
    summary, write = folder
    with tempfile.TemporaryDirectory() as tmp:
        rate_or_refuse(write(Path(tmp) / "data"), Path(tmp) / "out", years=summary["rated_years"], **options)


# A few folders through the command line: `validate` and `run` agree on whether the folder can be
# rated, an input error exits 3 (1 from validate, 2 from explaining what does not apply), never 70.
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[*SLOW, HealthCheck.function_scoped_fixture])
@given(folder=folders(), indicator=st.sampled_from(["failure_weighted_per_100_staff", "complaint_ontime_rate",
                                                    "debt_ratio", "contract_ontime_rate", "counting_failures"]))
def test_the_command_line_never_reports_an_internal_error_on_a_sparse_folder(folder, indicator, capsys):
    summary, write = folder
    with tempfile.TemporaryDirectory() as tmp:
        data, out = write(Path(tmp) / "data"), Path(tmp) / "out"
        checked = main(["validate", str(data), "--as-of", AS_OF.isoformat(), "--quiet"])
        err = capsys.readouterr().err
        assert checked in (0, 1), err
        code = main(["run", str(data), "--out", str(out), "--as-of", AS_OF.isoformat(), "--replications", "0",
                     "--quiet"])
        err = capsys.readouterr().err
        assert code in (0, 3), err
        assert (code == 0) == (out / "index.html").is_file() == (checked == 0), err
        explained = main(["explain", summary["units"][-1], indicator, "--year", str(summary["years"][-1]),
                          "--data", str(data), "--as-of", AS_OF.isoformat(), "--quiet"])
        err = capsys.readouterr().err
        assert explained in (0, 2, 3), err
