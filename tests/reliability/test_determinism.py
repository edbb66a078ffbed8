"""Determinism: the same inputs, framework and seed give byte-identical outputs, whatever the
number of threads and the order of hash-based containers.

Two runs in child processes: one on a single thread (polars, DuckDB and BLAS) with one hash
seed, one with the default threads and another hash seed, into differently named folders.
Every file must be byte-identical (rating.xlsx included), except two that carry the moment of
the run: in manifest.json only the `timings` section may differ, and in results.duckdb the tables'
contents (its header is not reproducible).
"""
from __future__ import annotations

import json

ONE_THREAD = """
import duckdb
_connect = duckdb.connect
def _one_thread(database=":memory:", read_only=False, config=None, **kw):
    return _connect(database, read_only=read_only, config={**(config or {}), "threads": 1}, **kw)
duckdb.connect = _one_thread
"""
SINGLE = {"POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
          "PYTHONHASHSEED": "1"}
DEFAULT = {"PYTHONHASHSEED": "2"}


def test_two_runs_are_byte_identical(tmp_path, city_world, kit, differing_outputs):
    outs = {"single": tmp_path / "single-thread", "default": tmp_path / "other"}
    children = {
        "single": kit.rating_popen(*kit.run_args(city_world, outs["single"]), env=SINGLE, python_head=ONE_THREAD),
        "default": kit.rating_popen(*kit.run_args(city_world, outs["default"]), env=DEFAULT),
    }
    for name, child in children.items():
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, f"{name}: {err}"
    assert "timings" in json.loads((outs["single"] / "manifest.json").read_text("utf-8"))
    assert differing_outputs(outs["single"], outs["default"]) == []
