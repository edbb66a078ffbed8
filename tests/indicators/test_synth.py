"""The synthetic Guangdong world: contract validity, documented properties, determinism, formats
and the chunked path of the complaints table (docs/synthetic-world.md)."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from indicators import contract
from indicators.synth import _generate, generate
from indicators.synth import complaints as synth_complaints
from indicators.synth import nuisance
from indicators.synth.calendar import Calendar
from indicators.synth.io import schema
from indicators.synth.world import build

TODAY = dt.date.today()
EARLIEST = dt.date(1990, 1, 1)
RECORD_TABLES = ("failure_records", "complaints", "debt", "contracts")
POLARS = {"VARCHAR": pl.String, "BIGINT": pl.Int64, "DOUBLE": pl.Float64, "DATE": pl.Date,
          "TIMESTAMP": pl.Datetime("us"), "BOOLEAN": pl.Boolean}
TEXT_FORMAT = {
    "BIGINT": r"-?[0-9]+",
    "DOUBLE": r"-?[0-9]+(\.[0-9]+)?",
    "DATE": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "TIMESTAMP": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}",
    "BOOLEAN": r"true|false",
}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    """The default demo world (seed 2017, 2019-2025, 420,000 tickets, CSV)."""
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out)


@pytest.fixture(scope="module")
def tables(demo) -> dict[str, pl.DataFrame]:
    out, _ = demo
    return {name: read_csv(out / f"{name}.csv", name) for name in contract.TABLES}


def read_csv(path: Path, table: str) -> pl.DataFrame:
    """Read a CSV as text, check every cell's format, then cast to the contract types."""
    raw = pl.read_csv(path, infer_schema_length=0)  # empty cells are missing (null)
    t = contract.TABLES[table]
    # the contract's columns in its order; an optional one the generator does not produce is left out
    assert tuple(raw.columns) == tuple(c.name for c in t.columns if c.required or c.name in raw.columns)
    casts = []
    for c in (c for c in t.columns if c.name in raw.columns):
        col = raw.get_column(c.name).drop_nulls()
        if c.type in TEXT_FORMAT:
            bad = col.filter(~col.str.contains(f"^(?:{TEXT_FORMAT[c.type]})$"))
            assert bad.is_empty(), f"{table}.{c.name}: {bad.head(3).to_list()} not in the contract format"
        if c.type == "DATE":
            casts.append(pl.col(c.name).str.to_date("%Y-%m-%d"))
        elif c.type == "TIMESTAMP":
            casts.append(pl.col(c.name).str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us"))
        elif c.type == "BOOLEAN":
            casts.append(pl.col(c.name) == "true")
        else:
            casts.append(pl.col(c.name).cast(POLARS[c.type]))
    return raw.with_columns(casts)


def read_folder(out: Path) -> dict[str, pl.DataFrame]:
    got = {}
    for name in contract.TABLES:
        if (out / f"{name}.parquet").exists():
            got[name] = pl.read_parquet(out / f"{name}.parquet")
        else:
            got[name] = read_csv(out / f"{name}.csv", name)
    return got


def contract_problems(tabs: dict[str, pl.DataFrame]) -> list[str]:
    """Every rule a validator applies to the input contract, as a list of violations."""
    problems: list[str] = []

    def check(ok, what: str) -> None:
        if not bool(ok):
            problems.append(what)

    units = tabs["units"]
    unit_ids = set(units["unit_id"].to_list())
    regions = set(units.filter(pl.col("kind") == "region")["unit_id"].to_list())
    for name, df in tabs.items():
        t = contract.TABLES[name]
        check(df.select(t.key).is_duplicated().sum() == 0, f"{name}: duplicate keys {t.key}")
        for c in t.columns:
            if c.name not in df.columns:
                check(not c.required, f"{name}.{c.name}: required column missing")
                continue
            col = df.get_column(c.name)
            check(col.dtype == POLARS[c.type], f"{name}.{c.name}: type {col.dtype}, expected {c.type}")
            if c.required:
                check(col.null_count() == 0, f"{name}.{c.name}: missing required values")
            if c.enum:
                check(col.drop_nulls().is_in(list(c.enum)).all(), f"{name}.{c.name}: value outside {c.enum}")
            if c.money:
                check((col.drop_nulls() >= 0).all(), f"{name}.{c.name}: negative money")
            if c.event_date:
                d = col.drop_nulls().cast(pl.Date)
                check(d.is_empty() or (d.min() >= EARLIEST and d.max() <= TODAY), f"{name}.{c.name}: date out of range")
            if c.name == "unit_id" and name != "units":
                check(col.is_in(list(unit_ids)).all(), f"{name}.unit_id: unknown unit")
            if c.name in ("unit_id", "parent_id", "region_id"):
                check(col.drop_nulls().str.contains(contract.UNIT_ID_PATTERN).all(), f"{name}.{c.name}: bad id")
            # rules the contract may declare as column attributes
            if getattr(c, "positive", False):
                check((col.drop_nulls() > 0).all(), f"{name}.{c.name}: not positive")
            lo, hi = getattr(c, "min_value", None), getattr(c, "max_value", None)
            if lo is not None:
                check((col.drop_nulls() >= lo).all(), f"{name}.{c.name}: below {lo}")
            if hi is not None:
                check((col.drop_nulls() <= hi).all(), f"{name}.{c.name}: above {hi}")
        if t.year_column:
            check(df[t.year_column].is_between(1990, TODAY.year).all(), f"{name}: year out of range")
    fr, cp, debt, ct = (tabs[n] for n in RECORD_TABLES)
    check(fr["severity"].is_between(1, 3).all(), "failure_records.severity outside 1-3")
    need = fr.filter(pl.col("status").is_in(["repaired", "rectified", "revoked"]))
    check(need["status_changed_on"].null_count() == 0, "status_changed_on missing for a status change")
    check(fr.filter(pl.col("status_changed_on") < pl.col("occurred_on")).is_empty(), "status change before occurrence")
    check(cp.filter(pl.col("resolved_at") < pl.col("received_at")).is_empty(), "resolved_at before received_at")
    check(cp.filter(pl.col("due_at") < pl.col("received_at")).is_empty(), "due_at before received_at")
    check((debt["fiscal_capacity"] > 0).all(), "fiscal_capacity not positive")
    check(debt["unit_id"].is_in(list(regions)).all(), "debt for a department")
    check(ct.filter(pl.col("fulfilled_on") < pl.col("signed_on")).is_empty(), "fulfilled before signed")
    # the unit hierarchy
    rows = {r["unit_id"]: r for r in units.iter_rows(named=True)}
    for uid, r in rows.items():
        if r["kind"] == "region":
            check(r["region_id"] == uid, f"region {uid}: region_id differs")
        else:
            reg = rows.get(r["region_id"])
            check(reg is not None and reg["kind"] == "region", f"department {uid}: region unknown")
            check(r["parent_id"] == r["region_id"] and uid.startswith(r["region_id"] + "-"),
                  f"department {uid}: parent/region")
            check(reg is not None and r["level"] == reg["level"], f"department {uid}: level differs from region")
        check(r["parent_id"] is None or r["parent_id"] in rows, f"{uid}: unknown parent")
        seen, cur = set(), uid
        while cur is not None and cur not in seen:
            seen.add(cur)
            cur = rows[cur]["parent_id"] if cur in rows else None
        check(cur is None, f"{uid}: parent cycle")
    return problems


def sha256_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- contract


def test_demo_folder_is_valid_per_contract(demo, tables):
    out, summary = demo
    assert contract_problems(tables) == []
    assert sorted(summary["files"]) == sorted(
        [f"{t}.csv" for t in contract.TABLES] + ["_truth/latent.csv", "_truth/events.csv"])
    for name, df in tables.items():
        assert summary["rows"][name] == df.height
    assert summary["rows"]["complaints"] == 420_000
    head = (out / "complaints.csv").read_bytes()[:200].decode()
    assert head.startswith("ticket_id,unit_id,received_at,kind,topic,due_at,resolved_at,satisfaction,repeat\n")


@pytest.mark.slow  # 420,000 complaints
def test_demo_folder_passes_the_loader_without_quarantine(demo):
    import duckdb
    from indicators.load import load

    out, _ = demo
    loaded = load(out, duckdb.connect(), as_of=TODAY)
    assert {t: c.quarantined for t, c in loaded.counts.items()} == {t: 0 for t in contract.TABLES}


def test_units_are_the_real_divisions(tables):
    units = tables["units"]
    regions = units.filter(pl.col("kind") == "region")
    assert regions.filter(pl.col("level") == "city").height == 21
    assert regions.filter(pl.col("level") == "county").height == 122
    province = regions.filter(pl.col("level") == "province")
    assert province.rows() == [("440000", "广东省", "Guangdong Province", "region", "province", None, "440000")]
    cities = regions.filter(pl.col("level") == "city")
    assert (cities["parent_id"] == "440000").all()
    counties = regions.filter(pl.col("level") == "county")
    assert counties["parent_id"].is_in(cities["unit_id"].to_list()).all()
    # Dongguan and Zhongshan govern towns directly: no county-level units
    assert counties.filter(pl.col("parent_id").is_in(["441900", "442000"])).is_empty()
    assert units.filter(pl.col("unit_id") == "440100-DRC")["name"].to_list() == ["广州市发展和改革局"]
    depts = units.filter(pl.col("kind") == "department")
    assert depts.height == 21 * 8 + 122 * 4


def test_province_scale_rates_every_department():
    world = build(2017, 2024, 2025, "province")
    ids = set(world.unit_id.tolist())
    assert "440100-PUB_RES_TRADE" in ids and "440100-SCI_TECH" in ids
    assert "440103-SCI_TECH" not in ids and "440103-HOUSING" in ids
    assert len(ids) == 1 + 21 + 122 + 21 * 34 + 122 * 28
    # a unit's latent path and events do not depend on which other units the scale rates
    demo = build(2017, 2024, 2025, "demo")
    shared = np.isin(world.unit_id, demo.unit_id)
    assert np.array_equal(world.unit_id[shared], demo.unit_id)
    assert np.array_equal(world.latent[shared], demo.latent)
    assert np.array_equal(world.event[shared], demo.event)
    assert np.array_equal(world.fiscal_capacity[shared & world.is_region], demo.fiscal_capacity[demo.is_region])


def test_population_is_census_for_cities_and_split_for_counties(tables):
    stats = tables["unit_stats"].filter(pl.col("year") == 2020)
    units = tables["units"]
    pop = stats.join(units, on="unit_id")
    gz = pop.filter(pl.col("unit_id") == "440100")["population"].item()
    assert gz == pytest.approx(18_676_600, rel=1e-4)
    counties = pop.filter((pl.col("kind") == "region") & (pl.col("level") == "county"))
    by_city = counties.group_by("parent_id").agg(pl.col("population").sum())
    city_pop = dict(pop.filter((pl.col("kind") == "region") & (pl.col("level") == "city"))
                    .select("unit_id", "population").iter_rows())
    for city, total in by_city.iter_rows():
        assert total == pytest.approx(city_pop[city], rel=1e-3)
    depts = pop.filter(pl.col("kind") == "department")
    assert depts["staff"].is_between(30, 500).all()
    regions = pop.filter(pl.col("kind") == "region")
    assert regions["staff"].is_between(100, 10_000).all()


# ---------------------------------------------------------------- dynamics and records


def test_event_rate_and_events_are_the_serious_records(demo, tables):
    out, summary = demo
    events = pl.read_csv(out / "_truth/events.csv")
    latent = pl.read_csv(out / "_truth/latent.csv")
    assert events.height == latent.height == tables["units"].height * 7
    assert 0.03 <= events["event"].mean() <= 0.10
    fr = tables["failure_records"]
    serious = (fr.filter((pl.col("severity") == 3) & (pl.col("status") != "revoked")
                         & pl.col("category").is_in(["dishonest_debtor", "judgment_unperformed"]))
               .select("unit_id", pl.col("occurred_on").dt.year().alias("year")).unique()
               .with_columns(pl.lit(1).alias("record")))
    joined = events.join(serious, on=["unit_id", "year"], how="left").with_columns(pl.col("record").fill_null(0))
    assert (joined["record"] == joined["event"]).all()


def test_latent_persistence_regional_correlation_and_deterioration(tables, demo):
    out, _ = demo
    latent = pl.read_csv(out / "_truth/latent.csv")
    events = pl.read_csv(out / "_truth/events.csv")
    units = tables["units"]
    lag = latent.sort("unit_id", "year").with_columns(pl.col("latent").shift(1).over("unit_id").alias("prev"))
    assert lag.select(pl.corr("latent", "prev")).item() > 0.7  # persistence
    counties = (latent.join(units.filter((pl.col("kind") == "region") & (pl.col("level") == "county")), on="unit_id")
                .join(latent.rename({"unit_id": "parent_id", "latent": "city_latent"}), on=["parent_id", "year"]))
    assert counties.select(pl.corr("latent", "city_latent")).item() > 0.3  # regional correlation
    fall = lag.with_columns((pl.col("prev") - pl.col("latent")).alias("fall")).drop_nulls("fall").join(
        events, on=["unit_id", "year"])
    assert fall.filter(pl.col("fall") > 0.25)["event"].mean() > 1.5 * fall.filter(pl.col("fall") <= 0)["event"].mean()
    world = build(2017, 2019, 2025, "demo")
    assert (world.trend == -1).sum() > 0 and (world.trend == 1).sum() > 0  # spells of several years


def test_every_failure_category_status_and_severity(tables):
    fr = tables["failure_records"]
    assert set(fr["category"]) == set(contract.FAILURE_CATEGORIES)
    assert set(fr["status"]) == set(contract.FAILURE_STATUSES)
    assert set(fr["severity"]) == {1, 2, 3}
    assert fr.filter(pl.col("status") == "active")["status_changed_on"].null_count() == fr.filter(
        pl.col("status") == "active").height
    assert fr["record_id"].str.contains(r"^FR-[0-9]{8}$").all()


def test_descriptions_hold_some_personal_data(tables):
    desc = tables["failure_records"]["description"].drop_nulls()
    id_re = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9X](?![0-9])")
    mobile_re = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
    land_re = re.compile(r"(?<![0-9])0[0-9]{2,3}-[2-8][0-9]{7}(?![0-9])")
    has = {name: desc.map_elements(lambda s, r=r: bool(r.search(s)), return_dtype=pl.Boolean)
           for name, r in (("id", id_re), ("mobile", mobile_re), ("landline", land_re))}
    for name, flags in has.items():
        assert flags.sum() > 10, name
    any_pii = has["id"] | has["mobile"] | has["landline"]
    assert 0.05 < any_pii.mean() < 0.25  # most descriptions are plain text
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    for text in desc.filter(has["id"]).head(50):
        number = id_re.search(text).group(0)
        assert "10X98765432"[sum(int(c) * w for c, w in zip(number[:17], weights)) % 11] == number[17]


def test_complaints_rhythm_deadlines_and_latent_link(tables, demo):
    out, _ = demo
    cp = tables["complaints"]
    per_weekday = cp.group_by(pl.col("received_at").dt.weekday().alias("wd")).len().sort("wd")["len"].to_list()
    assert per_weekday[0] > 1.2 * per_weekday[5]  # Monday vs Saturday
    month = cp.group_by(pl.col("received_at").dt.month().alias("m")).len().sort("m")["len"].to_list()
    assert month[1] / 28.25 < 0.85 * month[6] / 31  # February (Spring Festival) vs July
    assert set(cp["kind"]) == set(contract.TICKET_KINDS)
    cal = Calendar(2019, 2026)
    sample = cp.sample(3000, seed=1)
    received = sample["received_at"].dt.date().to_numpy().astype("datetime64[D]")
    due = sample["due_at"].dt.date().to_numpy().astype("datetime64[D]")
    working = np.busday_count(np.busday_offset(received, 0, roll="forward", holidays=cal.holidays), due,
                              holidays=cal.holidays)
    expected = sample["kind"].replace_strict(synth_complaints.KIND_DEADLINE, return_dtype=pl.Int64).to_numpy()
    assert (working == expected).all()
    # on-time handling follows the latent integrity
    ontime = cp.group_by("unit_id", pl.col("received_at").dt.year().alias("year")).agg(
        (pl.col("resolved_at") <= pl.col("due_at")).fill_null(False).mean().alias("ontime"), pl.len().alias("n"))
    latent = pl.read_csv(out / "_truth/latent.csv").join(ontime, on=["unit_id", "year"]).filter(pl.col("n") >= 20)
    assert latent.select(pl.corr("latent", "ontime", method="spearman")).item() > 0.4
    assert cp["resolved_at"].null_count() > 0 and cp["satisfaction"].null_count() > 0
    assert set(cp["satisfaction"].drop_nulls()) == set(contract.SATISFACTION)


def test_debt_crosses_the_warning_bands(tables):
    debt = tables["debt"].with_columns((pl.col("debt_balance") / pl.col("fiscal_capacity")).alias("ratio"))
    assert debt.height == 144 * 7
    band = debt.with_columns(
        pl.when(pl.col("ratio") >= 3).then(3).when(pl.col("ratio") >= 2).then(2)
        .when(pl.col("ratio") >= 1.2).then(1).otherwise(0).alias("band"))
    assert set(band["band"]) == {0, 1, 2, 3}
    moves = band.sort("unit_id", "year").group_by("unit_id").agg(pl.col("band").first().alias("a"),
                                                                  pl.col("band").last().alias("b"))
    for edge in (1, 2, 3):  # some regions cross each band edge over the years
        assert moves.filter((pl.col("a") < edge) & (pl.col("b") >= edge)).height > 0
    assert (debt["overdue_amount"].drop_nulls() == 0).mean() > 0.85
    assert (debt["overdue_amount"].drop_nulls() > 0).sum() > 0
    assert debt["disclosed_on"].null_count() > 0
    assert debt.filter(pl.col("disclosed_on") > pl.col("disclosure_due")).height > 0


def test_contracts_every_kind_and_status_consistent_with_dates(tables):
    ct = tables["contracts"]
    assert set(ct["kind"]) == set(contract.CONTRACT_KINDS)
    assert set(ct["status"]) == set(contract.CONTRACT_STATUSES)
    assert ct.filter((pl.col("status") == "late") & ~(pl.col("fulfilled_on") > pl.col("due_on"))).is_empty()
    assert ct.filter((pl.col("status") == "fulfilled") & ~(pl.col("fulfilled_on") <= pl.col("due_on"))).is_empty()
    assert ct.filter(pl.col("status").is_in(["ongoing", "breached", "terminated"]))["fulfilled_on"].null_count() == \
        ct.filter(pl.col("status").is_in(["ongoing", "breached", "terminated"])).height
    assert (ct.filter(pl.col("status") == "breached")["arrears_amount"].drop_nulls() > 0).all()
    sme_arrears = ct.filter(pl.col("counterparty_sme") & (pl.col("arrears_amount") > 0))
    assert sme_arrears.height > 50
    assert ct.filter((pl.col("status") == "ongoing") & (pl.col("due_on") > dt.date(2025, 12, 31))).height > 0


def test_serious_events_are_predictable_to_a_realistic_degree(tables, demo):
    """A logistic model on last year's indicators, trained on earlier years, tested out of time."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    out, _ = demo
    fr, cp, debt, ct = (tables[n] for n in RECORD_TABLES)
    key = ["unit_id", "year"]
    feats = [
        cp.group_by("unit_id", pl.col("received_at").dt.year().alias("year")).agg(
            (pl.col("resolved_at") <= pl.col("due_at")).fill_null(False).mean().alias("ontime"),
            (pl.col("satisfaction") == "dissatisfied").mean().alias("dissatisfied"),
            pl.col("repeat").mean().alias("repeat")),
        fr.filter(pl.col("status") != "revoked").group_by("unit_id", pl.col("occurred_on").dt.year().alias("year")).agg(
            pl.len().alias("records"), (pl.col("severity") == 3).sum().alias("serious")),
        ct.group_by("unit_id", pl.col("signed_on").dt.year().alias("year")).agg(
            pl.col("status").is_in(["late", "breached"]).mean().alias("bad_contracts")),
        debt.select(*key, (pl.col("debt_balance") / pl.col("fiscal_capacity")).alias("debt_ratio")),
    ]
    events = pl.read_csv(out / "_truth/events.csv")
    x = events.select(key)
    for f in feats:
        x = x.join(f, on=key, how="left")
    cols = [c for c in x.columns if c not in key]
    x = x.with_columns([pl.col(c).cast(pl.Float64).fill_null(0.0).fill_nan(0.0) for c in cols])
    data = events.join(x.with_columns(pl.col("year") + 1), on=key, how="inner")
    train, test = data.filter(pl.col("year") <= 2023), data.filter(pl.col("year") >= 2024)
    xm = train.select(cols).to_numpy()
    mu, sd = xm.mean(axis=0), xm.std(axis=0) + 1e-9
    model = LogisticRegression(max_iter=1000).fit((xm - mu) / sd, train["event"].to_numpy())
    auc = roc_auc_score(test["event"].to_numpy(), model.predict_proba((test.select(cols).to_numpy() - mu) / sd)[:, 1])
    assert 0.70 <= auc <= 0.85


def test_nuisance_factors_move_the_records_not_the_truth(tmp_path):
    kw = dict(seed=4, years=(2023, 2024), complaints=20_000)
    clean, noisy = tmp_path / "clean", tmp_path / "noisy"
    generate(clean, nuisance=0, **kw)
    generate(noisy, **kw)
    a, b = sha256_tree(clean), sha256_tree(noisy)
    for same in ("_truth/latent.csv", "_truth/events.csv", "units.csv", "unit_stats.csv", "debt.csv"):
        assert a[same] == b[same], same
    for moved in ("failure_records.csv", "complaints.csv", "contracts.csv"):
        assert a[moved] != b[moved], moved
    # strength 0: no factor at all, so every record follows the latent integrity alone
    world = build(4, 2023, 2024, "demo", nuisance=0)
    for name in nuisance.FACTORS:
        assert not getattr(world.nuisance, name).any()
        assert (world.nuisance.multiplier(name) == 1).all()


def test_nuisance_factors_have_their_documented_strength():
    world = build(2017, 2019, 2025, "province")
    half = build(2017, 2019, 2025, "province", nuisance=0.5)
    for name, (persistent, yearly) in nuisance.FACTORS.items():
        f = getattr(world.nuisance, name)
        unit_mean = f.mean(axis=1)
        assert unit_mean.std() == pytest.approx(np.sqrt(persistent ** 2 + yearly ** 2 / 7), rel=0.1), name
        assert (f - unit_mean[:, None]).std() == pytest.approx(yearly * np.sqrt(6 / 7), rel=0.1), name
        assert np.allclose(getattr(half.nuisance, name), f / 2)
        assert world.nuisance.multiplier(name).mean() == pytest.approx(1.0, abs=0.05)  # volumes keep their totals
    # a unit's factors do not depend on which other units the scale rates
    demo = build(2017, 2019, 2025, "demo")
    shared = np.isin(world.unit_id, demo.unit_id)
    assert np.array_equal(world.nuisance.filing[shared], demo.nuisance.filing)
    # unrelated to integrity
    assert abs(np.corrcoef(world.nuisance.handling.ravel(), world.latent.ravel())[0, 1]) < 0.05


# ---------------------------------------------------------------- determinism, formats, scale


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path):
    kw = dict(years=(2023, 2024), complaints=20_000)
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, seed=7, **kw)
    generate(b, seed=7, **kw)
    generate(c, seed=8, **kw)
    ha, hb, hc = sha256_tree(a), sha256_tree(b), sha256_tree(c)
    assert ha == hb
    assert ha["units.csv"] == hc["units.csv"]  # the units are real, not random
    assert ha["complaints.csv"] != hc["complaints.csv"]


def test_complaints_total_is_exact_and_records_scale_with_it(tmp_path):
    small = generate(tmp_path / "s", years=(2024, 2025), complaints=12_345)
    big = generate(tmp_path / "b", years=(2024, 2025), complaints=240_000)
    assert small["rows"]["complaints"] == 12_345
    assert big["rows"]["complaints"] == 240_000
    assert big["rows"]["contracts"] > 1.5 * small["rows"]["contracts"]
    assert big["rows"]["debt"] == small["rows"]["debt"] == 144 * 2
    # the truth does not depend on the volume of records
    assert (tmp_path / "s/_truth/events.csv").read_bytes() == (tmp_path / "b/_truth/events.csv").read_bytes()


def test_parquet_has_the_contract_types(tmp_path):
    out = tmp_path / "p"
    summary = generate(out, years=(2024, 2025), complaints=10_000, fmt="parquet")
    assert all(f.endswith(".parquet") or f.startswith("_truth/") for f in summary["files"])
    for name in contract.TABLES:
        got = pq.read_schema(out / f"{name}.parquet")
        want = [f for f in schema(name) if f.name in got.names or contract.TABLES[name].column(f.name).required]
        assert got.names == [f.name for f in want]  # an optional column the generator leaves out is absent
        assert [f.type for f in got] == [f.type for f in want]
    assert str(pq.read_schema(out / "complaints.parquet").field("received_at").type) == "timestamp[us]"
    assert str(pq.read_schema(out / "contracts.parquet").field("signed_on").type) == "date32[day]"
    assert contract_problems(read_folder(out)) == []
    # a later CSV run into the same folder leaves no ambiguous second copy of a table
    generate(out, years=(2024, 2025), complaints=10_000, fmt="csv")
    assert not list(out.glob("*.parquet"))


def test_chunked_complaints_are_bounded_and_deterministic(tmp_path):
    kw = dict(years=(2024, 2025), complaints=25_000, fmt="parquet", chunk_rows=6_000)
    _generate(tmp_path / "a", **kw)
    _generate(tmp_path / "b", **kw)
    a, b = tmp_path / "a/complaints.parquet", tmp_path / "b/complaints.parquet"
    assert a.read_bytes() == b.read_bytes()
    meta = pq.ParquetFile(a).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [6_000] * 4 + [1_000]
    # each chunk depends only on (seed, chunk): regenerate chunk 2 alone
    world = build(2017, 2024, 2025, "demo")
    cal = Calendar(2024, 2025)
    plan = synth_complaints.Plan(world, cal, 25_000)
    extras = synth_complaints.extras(world)
    alone = synth_complaints.chunk(world, cal, plan, 2, 12_000, 18_000, extras)
    assert alone.equals(pq.ParquetFile(a).read_row_group(2))
    ids = pq.read_table(a, columns=["ticket_id"])["ticket_id"].to_pylist()
    assert ids[0] == "T0000000001" and ids[-1] == "T0000025000" and len(set(ids)) == 25_000
    assert contract_problems(read_folder(tmp_path / "a")) == []


@pytest.mark.parametrize("kwargs", [
    {"scale": "huge"}, {"years": (2019, TODAY.year)}, {"years": (2025, 2019)}, {"years": (1980, 1985)},
    {"fmt": "xlsx"}, {"complaints": -1}, {"seed": -3}, {"nuisance": -1}, {"nuisance": "strong"},
])
def test_bad_arguments_are_rejected(tmp_path, kwargs):
    with pytest.raises(ValueError):
        generate(tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()
