"""Determinism: the same inputs, framework and seed give byte-identical outputs, whatever the
number of threads and the order of hash-based containers.

Two runs in child processes: one on a single thread (polars, DuckDB and BLAS) with one hash
seed, one with the default threads and another hash seed, into differently named folders.
Every file must be byte-identical, except three that carry the moment of the run: in
manifest.json only the `timings` section may differ, in rating.xlsx the cell values must be equal
(a zip stores file times) and in results.duckdb the tables' contents (its header is not
reproducible).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import openpyxl

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
SPECIAL = {"manifest.json", "rating.xlsx", "results.duckdb"}


def cells(path: Path) -> dict:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def tables(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {n: (con.execute(f'DESCRIBE "{n}"').fetchall(), con.execute(f'SELECT * FROM "{n}"').fetchall())
                for n in names}
    finally:
        con.close()


def test_two_runs_are_byte_identical(tmp_path, city_world, kit):
    outs = {"single": tmp_path / "single-thread", "default": tmp_path / "other"}
    children = {
        "single": kit.rating_popen(*kit.run_args(city_world, outs["single"]), env=SINGLE, python_head=ONE_THREAD),
        "default": kit.rating_popen(*kit.run_args(city_world, outs["default"]), env=DEFAULT),
    }
    for name, child in children.items():
        _, err = child.communicate(timeout=300)
        assert child.returncode == 0, f"{name}: {err}"
    a, b = kit.tree(outs["single"]), kit.tree(outs["default"])
    assert a.keys() == b.keys()
    differ = sorted(k for k in a if k not in SPECIAL and a[k] != b[k])
    assert differ == [], f"files that differ between the runs: {differ}"
    ma, mb = (json.loads(x["manifest.json"]) for x in (a, b))
    assert "timings" in ma and {k: v for k, v in ma.items() if k != "timings"} == {
        k: v for k, v in mb.items() if k != "timings"}
    ca, cb = cells(outs["single"] / "rating.xlsx"), cells(outs["default"] / "rating.xlsx")
    assert ca.keys() == cb.keys()
    assert [s for s in ca if not same(ca[s], cb[s])] == []
    ta, tb = tables(outs["single"] / "results.duckdb"), tables(outs["default"] / "results.duckdb")
    assert ta.keys() == tb.keys()
    assert [t for t in ta if not same(ta[t], tb[t])] == []
