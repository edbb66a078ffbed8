"""Unit pages written by forked processes: the same bytes as in one process, and a failure in a
child is an error of the run, not a missing page."""
from __future__ import annotations

import pytest

from rating.publish import RunTables
from reports import render as render_mod


def _pages(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.html"))}


def test_forked_processes_write_the_same_pages(framework, run, tmp_path):
    one, three = tmp_path / "one", tmp_path / "three"
    paths_one = render_mod.render(one, RunTables(framework=framework, **run), processes=0)
    paths_three = render_mod.render(three, RunTables(framework=framework, **run), processes=3)
    assert [p.relative_to(one) for p in paths_one] == [p.relative_to(three) for p in paths_three]
    pages = _pages(one)
    assert len([p for p in pages if p.startswith("units/")]) > 10
    assert pages == _pages(three)


def test_a_failing_process_fails_the_render(framework, run, tmp_path, monkeypatch):
    write = render_mod._write

    def broken(path, text):
        if path.parent.name == "units" and path.stem.endswith("-D01"):
            raise OSError("disk full")
        return write(path, text)

    monkeypatch.setattr(render_mod, "_write", broken)
    with pytest.raises(RuntimeError, match="processes writing the unit pages failed"):
        render_mod.render(tmp_path / "out", RunTables(framework=framework, **run), processes=2)


def test_few_pages_stay_in_this_process():
    assert render_mod._workers(50) == 0
    assert render_mod._workers(5000) <= 4
