"""The record stage under a memory limit below the size of its tables: DuckDB keeps them in its
database file in a private temporary folder and reads back what does not fit, the indicators
are the same, and the folder is gone afterwards."""
from __future__ import annotations

import datetime as dt
import glob
import os
import tempfile

import pytest
from polars.testing import assert_frame_equal

from indicators.compute import compute_indicators, size_bytes
from indicators.db import record_stage_connection
from indicators.errors import ResourceError, UsageError
from indicators.framework_load import load_framework
from indicators.load import load
from rating.pipeline import _Timer, stage

AS_OF = dt.date(2025, 6, 30)
pytestmark = pytest.mark.slow  # tables larger than DuckDB's limit, spilled to disk


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One year of a world with 3,000,000 complaints (76 MB compressed in DuckDB's file)."""
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("mem") / "data"
    generate(data, seed=5, years=(2024, 2024), scale="demo", complaints=3_000_000, fmt="parquet")
    return data


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """Spill folders go to this test's own temporary folder, so other processes' runs do not count."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _spill_dirs() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "rating-spill-*")))


def _stage(data, limit):
    fw = load_framework()
    with record_stage_connection(limit) as con:
        loaded = load(data, con, as_of=AS_OF, lifecycle=fw.lifecycle)
        stored, = con.sql("SELECT database_size FROM pragma_database_size()").fetchall()[0]
        ind = compute_indicators(con, fw, set(loaded.present))
    return ind, size_bytes(stored)


def test_tables_larger_than_the_memory_limit_give_the_same_indicators(world):
    before = _spill_dirs()
    free, _ = _stage(world, "8GB")
    tight, stored = _stage(world, "64MB")
    assert stored > 64_000_000  # the tables do not fit the limit: DuckDB reads them back from its file
    assert_frame_equal(tight, free, check_exact=True)
    assert _spill_dirs() <= before  # the folders are removed


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
        con.execute("SET memory_limit = '100MB'")  # 3,000,000 complaints and region copies: 96 MB of values at most
        assert max(compute.median_parts(con, g) for g in groups) == 3
        monkeypatch.setattr(compute, "median_parts", lambda con, nodes: 3 if any(
            n.definition.measure == "median_days" for n in nodes) else 1)
        con.execute("SET memory_limit = '8GB'")
        three = compute_indicators(con, fw, set(loaded.present))
    assert_frame_equal(three, one, check_exact=True)


def test_running_out_of_memory_is_reported_as_such_not_as_bad_input(world):
    with pytest.raises(ResourceError, match="out of memory within DuckDB's limit of 4MB.*--memory-limit"):
        stage(world, load_framework(), AS_OF, _Timer(), memory_limit="4MB")


def test_an_unreadable_memory_limit_is_a_usage_error(world):
    with pytest.raises(UsageError, match="memory limit 'plenty'.*expected a size such as 1GB"):
        stage(world, load_framework(), AS_OF, _Timer(), memory_limit="plenty")
