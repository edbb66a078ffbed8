"""Coverage: years a record table does not report on are missing, never a clean record; absent
tables take their indicators out of the run, and the manifest says what the rating covers."""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl
import pytest

import rating
from indicators.compute import compute_indicators
from indicators.coverage import coverage_text, table_coverage
from indicators.delivery import Delivery, TableCoverage, read_delivery
from indicators.errors import InputError
from indicators.framework_load import load_framework
from indicators.load import load
from indicators.synth import generate

AS_OF = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small world, 2020-2024, whose failure records start in 2023 and without contracts."""
    d = tmp_path_factory.mktemp("coverage") / "data"
    generate(d, seed=3, years=(2020, 2024), complaints=20_000)
    fr = pl.read_csv(d / "failure_records.csv", infer_schema_length=0)
    fr.filter(pl.col("occurred_on").str.slice(0, 4).cast(pl.Int64) >= 2023).write_csv(d / "failure_records.csv")
    (d / "contracts.csv").unlink()
    return d


@pytest.fixture(scope="module")
def run(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("coverage-out") / "out"
    return rating.run(world, replications=0, out=out, as_of=AS_OF)


def failure_indicators(fw):
    return [n.code for n in fw.computed if n.definition.table == "failure_records"]


@pytest.mark.integration
def test_failure_indicators_have_no_value_before_the_table_starts(run):
    fw = run.framework
    ind = run.staged.indicators.filter(pl.col("indicator").is_in(failure_indicators(fw)))
    before = ind.filter(pl.col("year") < 2023)
    assert before.height > 0
    assert before["value"].null_count() == before.height
    assert before["numerator"].null_count() == before.height
    assert before["outside_coverage"].all()
    after = ind.filter(pl.col("year") >= 2023)
    assert not after["outside_coverage"].any()
    # inside coverage, a unit without records has a real zero
    assert (after["numerator"] == 0).any() and after["value"].null_count() < after.height


@pytest.mark.integration
def test_lawful_administration_is_missing_not_perfect_where_records_are_not_covered(run):
    scores = run.scores
    before = scores.filter(pl.col("year") < 2023)
    assert before["lawful"].null_count() == before.height
    assert scores.filter(pl.col("year") >= 2023)["lawful"].null_count() == 0
    # the early years are not scored as if nothing went wrong
    assert not (before["lawful"] == 100).any()


@pytest.mark.integration
def test_outside_coverage_flag_is_written_to_indicators_csv(run):
    csv = pl.read_csv(run.out / "indicators.csv", schema_overrides={"unit_id": pl.String})
    assert {"numerator", "denominator", "outside_coverage"} <= set(csv.columns)
    rows = csv.filter(pl.col("indicator").is_in(failure_indicators(run.framework)) & (pl.col("year") < 2023))
    assert rows.height and rows["outside_coverage"].all() and rows["value"].null_count() == rows.height


@pytest.mark.integration
def test_absent_table_takes_its_indicators_out_and_the_manifest_says_so(run):
    manifest = json.loads((run.out / "manifest.json").read_text(encoding="utf-8"))
    cov = manifest["coverage"]
    assert cov["contracts"]["present"] is False and cov["contracts"]["years"] == []
    assert cov["failure_records"]["years"] == [2023, 2024]
    assert cov["complaints"]["years"] == [2020, 2021, 2022, 2023, 2024]
    contract_codes = {n.code for n in run.framework.indicators if n.definition.table == "contracts"}
    assert contract_codes and contract_codes <= set(manifest["scope"]["indicators_out"])
    assert not contract_codes & {n.code for n in run.rated.indicators}
    assert "contract_ontime_rate" not in set(run.indicators["indicator"].unique())
    assert 0 < manifest["scope"]["covered_weight"] < 1


def test_declared_coverage_overrides_what_the_rows_show(world, tmp_path):
    (world / "delivery.toml").write_text(
        '[coverage.failure_records]\nfirst_year = 2021\nunits = ["440100", "440300"]\n', encoding="utf-8")
    try:
        fw = load_framework()
        con = duckdb.connect()
        loaded = load(world, con, as_of=AS_OF, lifecycle=fw.lifecycle)
        run_sql = lambda qs: [con.sql(q).pl() for q in qs]  # noqa: E731
        cov = table_coverage(run_sql, set(loaded.present), read_delivery(world))
        assert cov["failure_records"]["years"] == [2021, 2022, 2023, 2024]
        assert cov["failure_records"]["declared"] and cov["failure_records"]["units"] == ["440100", "440300"]
        ind = compute_indicators(con, fw, set(loaded.present), coverage=cov).filter(
            pl.col("indicator").is_in(failure_indicators(fw)))
        declared_units = ind.filter(pl.col("unit_id").is_in(["440100", "440300"]))
        # declared as covered from 2021: no record in 2021-2022 is a real zero count
        counts = [n.code for n in fw.computed if n.definition.table == "failure_records"
                  and n.definition.measure in ("count", "weighted_count", "sum")]
        mid = declared_units.filter(pl.col("year").is_between(2021, 2022))
        assert not mid["outside_coverage"].any()
        assert mid.filter(pl.col("indicator").is_in(counts))["numerator"].null_count() == 0
        assert declared_units.filter(pl.col("year") == 2020)["outside_coverage"].all()
        # other units are outside the declared coverage in every year
        others = ind.filter(~pl.col("unit_id").is_in(["440100", "440300"]))
        assert others["outside_coverage"].all() and others["value"].null_count() == others.height
    finally:
        (world / "delivery.toml").unlink()


@pytest.mark.parametrize("text, message", [
    ("[coverage.tickets]\nfirst_year = 2020\n", "coverage.tickets: expected a record table"),
    ("[coverage.debt]\nfirst_year = 2025\nlast_year = 2020\n", "coverage.debt: expected first_year <= last_year"),
    ("[coverage.debt]\nfirst_year = '2020'\n", "coverage.debt.first_year: expected a year"),
    ("[coverage.debt]\nunits = ['Guangzhou']\n", "coverage.debt.units: expected a non-empty list of unit ids"),
    ("[fiscal_capacity]\ndefinition = 'guess'\n", "fiscal_capacity.definition: expected default or given or derived"),
    ("[fiscal_capacity]\ncomponents = ['gdp']\n", "fiscal_capacity.components: expected distinct columns"),
    ("[coverage\n", "delivery.toml: not a valid TOML file"),
])
def test_delivery_file_errors_name_the_key(tmp_path, text, message):
    (tmp_path / "delivery.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_delivery(tmp_path)
    assert str(e.value).startswith("delivery.toml: ") and message in str(e.value) and "\n" not in str(e.value)


def test_delivery_defaults_without_a_file(tmp_path):
    d = read_delivery(tmp_path)
    assert d == Delivery() and not d.declared and d.fiscal.definition == "default"
    assert read_delivery("hdfs://cluster/data") == Delivery()
    (tmp_path / "delivery.toml").write_text("[coverage.debt]\nlast_year = 2024\n", encoding="utf-8")
    assert read_delivery(tmp_path).coverage == {"debt": TableCoverage(None, 2024, None)}


def test_coverage_text():
    assert coverage_text({"present": True, "years": [2023, 2024, 2025]}) == "2023–2025"
    assert coverage_text({"present": True, "years": [2019, 2021]}, "en") == "2019, 2021"
    assert coverage_text({"present": False, "years": []}) == "无数据"
