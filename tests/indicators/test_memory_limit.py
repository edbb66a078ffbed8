"""The record stage under a memory limit below what its tables need: DuckDB spills to its
private temporary folder, the indicators are the same, and the folder is gone afterwards."""
from __future__ import annotations

import datetime as dt
import glob
import os
import tempfile

import pytest

from indicators.compute import compute_indicators
from indicators.db import record_stage_connection
from indicators.errors import ResourceError, UsageError
from indicators.framework import load_framework
from indicators.load import load
from rating.pipeline import _Timer, stage

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One year of a world with 600,000 complaints (about 100 MB in DuckDB)."""
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("mem") / "data"
    generate(data, seed=5, years=(2024, 2024), scale="demo", complaints=600_000, fmt="parquet")
    return data


def _spill_dirs() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "rating-spill-*")))


def _stage(data, limit):
    fw = load_framework()
    with record_stage_connection(limit) as con:
        loaded = load(data, con, as_of=AS_OF, lifecycle=fw.lifecycle)
        spilled = con.sql("SELECT sum(temporary_storage_bytes) FROM duckdb_memory()").fetchall()[0][0]
        ind = compute_indicators(con, fw, set(loaded.present))
    return ind, spilled


def test_a_tight_memory_limit_spills_and_gives_the_same_indicators(world):
    before = _spill_dirs()
    free, spilled_free = _stage(world, "8GB")
    tight, spilled = _stage(world, "48MB")
    assert spilled_free == 0 and spilled > 10_000_000  # the tables did not fit: blocks went to disk
    assert tight.equals(free)
    assert _spill_dirs() <= before  # the spill folders are removed


def test_medians_in_parts_are_the_same_to_the_bit(world, monkeypatch):
    """Medians cannot spill; under a limit their group query runs over disjoint sets of units,
    and gives the same counts and medians (the complaints group holds no sum of doubles, whose
    last bit would depend on the order of additions)."""
    from indicators import compute

    fw = load_framework()
    with record_stage_connection("8GB") as con:
        loaded = load(world, con, as_of=AS_OF, lifecycle=fw.lifecycle)
        one = compute_indicators(con, fw, set(loaded.present))
        groups = compute.table_groups(fw, set(loaded.present))
        assert [compute.median_parts(con, g) for g in groups if any(
            n.definition.measure == "median_days" for n in g)] == [1]
        con.execute("SET memory_limit = '20MB'")  # 600,000 complaints and region copies: 19 MB of values at most
        assert max(compute.median_parts(con, g) for g in groups) == 3
        monkeypatch.setattr(compute, "median_parts", lambda con, nodes: 3 if any(
            n.definition.measure == "median_days" for n in nodes) else 1)
        con.execute("SET memory_limit = '8GB'")
        three = compute_indicators(con, fw, set(loaded.present))
    assert three.equals(one)


def test_running_out_of_memory_is_reported_as_such_not_as_bad_input(world):
    with pytest.raises(ResourceError, match="out of memory within DuckDB's limit of 4MB.*--memory-limit"):
        stage(world, load_framework(), AS_OF, _Timer(), memory_limit="4MB")


def test_an_unreadable_memory_limit_is_a_usage_error(world):
    with pytest.raises(UsageError, match="memory limit 'plenty'.*expected a size such as 1GB"):
        stage(world, load_framework(), AS_OF, _Timer(), memory_limit="plenty")
