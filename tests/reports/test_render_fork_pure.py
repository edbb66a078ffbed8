"""The work of a forked process writing unit pages is pure Python: it never calls polars or
DuckDB (their thread pools do not survive a fork, and a call can hang or crash the child)."""
from __future__ import annotations

import os
import sys
import threading

import duckdb
import polars as pl

from rating.publish import RunTables
from reports import render as render_mod

FORBIDDEN = tuple(os.path.dirname(m.__file__) + os.sep for m in (pl, duckdb))


class Guard:
    """Records every Python or C call into polars or DuckDB while it is on (this thread and any
    thread started meanwhile)."""

    def __init__(self):
        self.calls: list[str] = []

    def _hook(self, frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(FORBIDDEN):
            self.calls.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
        elif event == "c_call":
            owner = getattr(arg, "__self__", None)
            module = (getattr(arg, "__module__", None) or type(owner).__module__ or "")
            if module.split(".")[0] in ("polars", "duckdb", "_duckdb"):
                self.calls.append(f"{module}.{getattr(arg, '__qualname__', arg)}")

    def __enter__(self):
        threading.setprofile(self._hook)
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)
        threading.setprofile(None)


def test_the_guard_sees_a_polars_call():
    df = pl.DataFrame({"a": [1, 2]})
    with Guard() as g:
        df.filter(pl.col("a") > 1)
    assert g.calls


def test_unit_pages_are_written_without_polars(framework, full_run, tmp_path, monkeypatch):
    import datetime as dt

    contracts = pl.DataFrame(
        [("C1", "440100", "procurement", dt.date(2023, 1, 5), dt.date(2023, 6, 1), 100.0, dt.date(2023, 7, 1),
          "late", 0.0, False)],
        schema={"contract_id": pl.String, "unit_id": pl.String, "kind": pl.String, "signed_on": pl.Date,
                "due_on": pl.Date, "amount": pl.Float64, "fulfilled_on": pl.Date, "status": pl.String,
                "arrears_amount": pl.Float64, "counterparty_sme": pl.Boolean}, orient="row")
    write = render_mod._UnitPages.write
    guards, pages = [], []

    def guarded(self, uids):  # what a forked process runs for each chunk of units
        with Guard() as g:
            write(self, uids)
        guards.append(g)
        pages.extend(uids)

    monkeypatch.setattr(render_mod._UnitPages, "write", guarded)
    paths = render_mod.render(tmp_path, RunTables(framework=framework, **full_run, evidence={"contracts": contracts}),
                              processes=0)
    assert len(pages) > 10 and len(pages) == len([p for p in paths if p.parent.name == "units"])
    assert "440100" in pages and 'id="evidence-rows"' in (tmp_path / "units" / "440100.html").read_text("utf-8")
    calls = [c for g in guards for c in g.calls]
    assert not calls, calls[:10]
