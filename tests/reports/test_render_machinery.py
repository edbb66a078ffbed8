"""The report's fast template machinery writes what stock jinja writes: pages rendered with the
project's environment (buffered output, escaping without a Markup object per value, dict keys
looked up first, badges as Python functions) are byte for byte the pages of a plain autoescaping
jinja environment, hostile names included; and a render leaves the garbage collector as it was."""
from __future__ import annotations

import gc

import jinja2
import pytest

from rating.publish import RunTables
from reports import render as render_mod
from synthetic_run import PAYLOAD


def _pages(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.html"))}


FAST = render_mod.environment


class _Stock(jinja2.Environment):
    """jinja's own code generator and escaping; `row.label` on a dict is its key, as the report's
    templates are written for (a key `items` is not the method `dict.items`)."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _stock() -> jinja2.Environment:
    """A plain jinja environment with the report's options and the same badge and evidence functions."""
    fast = FAST()
    env = _Stock(loader=fast.loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(grade=render_mod.grade, alert=render_mod.alert, unit_link=render_mod.unit_link,
                       evidence=render_mod.evidence)
    return env


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_are_those_of_stock_jinja(framework, run, tmp_path, monkeypatch, lang):
    fast = render_mod.render(tmp_path / "fast", RunTables(framework=framework, **run), lang=lang, processes=0)
    monkeypatch.setattr(render_mod, "environment", _stock)
    render_mod.render(tmp_path / "stock", RunTables(framework=framework, **run), lang=lang, processes=0)
    pages = _pages(tmp_path / "fast")
    assert len(pages) == len(fast) > 10
    assert pages == _pages(tmp_path / "stock")
    hostile = [text for text in pages.values() if "<script>alert(".encode() in text]
    assert hostile == [] and any("&lt;script&gt;".encode() in text for text in pages.values()), PAYLOAD


def test_badge_calls_bound_to_something_else_call_that():
    """A badge function is called directly only while its name holds it: a template that binds
    the name to a function of its own (here one that wants the context), or passes keywords, gets
    what stock jinja gives."""
    source = ('{% set grade = own %}{{ grade("<A>", 1) }}|{{ alert(level="red", label="<x>") }}|'
              '{% for unit_link in [own] %}{{ unit_link("a", "b") }}{% endfor %}|{{ unit_link("A&B", "x.html") }}|'
              '{% macro m(grade) %}{{ grade("c") }}{% endmacro %}{{ m(own) }}')

    @jinja2.pass_context
    def own(context, *args):
        return context["who"] + "<" + ",".join(map(str, args)) + ">"

    fast = FAST().from_string(source).render(own=own, who="w")
    assert fast == _stock().from_string(source).render(own=own, who="w")
    assert fast == ('w&lt;&lt;A&gt;,1&gt;|<span class="alert al-red">&lt;x&gt;</span>|w&lt;a,b&gt;|'
                    '<a href="x.html">A&amp;B</a>|w&lt;c&gt;')


def test_badges_escape_their_text():
    assert str(render_mod.grade("<b>", 1)) == '<span class="grade g1">&lt;b&gt;</span>'
    assert str(render_mod.grade("<b>", "")) == "&lt;b&gt;"
    assert str(render_mod.alert('red" onclick="x', "<i>")) == \
        '<span class="alert al-red&#34; onclick=&#34;x">&lt;i&gt;</span>'
    assert str(render_mod.alert(None, "x")) == "—"
    assert str(render_mod.unit_link("A&B", 'x.html"><script>')) == \
        '<a href="x.html&#34;&gt;&lt;script&gt;">A&amp;B</a>'


def test_render_leaves_the_garbage_collector_as_it_was(framework, run, tmp_path, monkeypatch):
    before = gc.get_threshold(), gc.get_freeze_count()
    render_mod.render(tmp_path / "ok", RunTables(framework=framework, **run), processes=0)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before

    def broken(path, text):
        raise OSError("disk full")

    monkeypatch.setattr(render_mod, "_write", broken)
    with pytest.raises(OSError):
        render_mod.render(tmp_path / "failed", RunTables(framework=framework, **run), processes=0)
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_templates_kept_between_runs_write_the_same_pages(framework, run, tmp_path, monkeypatch):
    """With a cache folder the templates' code is kept: a rerun compiles none of them again and
    writes the same bytes as a render without the cache; an entry that holds no valid code is
    compiled again, with the same pages."""
    import numpy as np

    from models.cache import Cache

    tables = RunTables(framework=framework, **run)
    render_mod.render(tmp_path / "plain", tables, processes=0)  # RATING_CACHE is off in the tests
    plain = _pages(tmp_path / "plain")
    monkeypatch.setenv("RATING_CACHE", str(tmp_path / "cache"))
    for name in ("first", "again"):
        render_mod.render(tmp_path / name, tables, processes=0)
        assert _pages(tmp_path / name) == plain
    env = render_mod.environment()
    render_mod.compiled(env, "unit.html")
    assert (env.bytecode_cache.cache.hits, env.bytecode_cache.cache.misses) == (5, 0)  # the page and its 4 parts
    entries = sorted((tmp_path / "cache").rglob("*.npz"))
    assert entries
    for entry in entries:
        Cache(tmp_path / "cache").put(entry.stem, {"code": np.frombuffer(b"not code", dtype=np.uint8)})
    render_mod.render(tmp_path / "junk", tables, processes=0)
    assert _pages(tmp_path / "junk") == plain
    monkeypatch.setenv("RATING_CACHE", "off")
    assert render_mod.environment().bytecode_cache is None


@pytest.mark.parametrize("processes", [0, 1])
def test_pages_written_into_files_made_ahead_are_the_same_and_no_empty_file_is_left(framework, run, tmp_path,
                                                                                     processes):
    """Unit page files created ahead (reports.page_files, as a run does while it rates) hold the
    same pages as files the writers create; the file made for a unit without a page goes again,
    and a file that is not a unit id is never made."""
    from reports.page_files import reserved_pages

    tables = RunTables(framework=framework, **run)
    render_mod.render(tmp_path / "plain", tables, processes=processes)
    plain = _pages(tmp_path / "plain")
    ids = [p.removeprefix("units/").removesuffix(".html") for p in plain if p.startswith("units/")]
    with reserved_pages(tmp_path / "ahead", [*ids, "999999", "../escape"]) as reserved:
        reserved.join()  # every file exists before the pages are written
        assert len(list((tmp_path / "ahead" / "units").iterdir())) == len(ids) + 1
        render_mod.render(tmp_path / "ahead", tables, processes=processes, reserved=reserved)
    assert _pages(tmp_path / "ahead") == plain
    assert not (tmp_path / "ahead" / "units" / "999999.html").exists()
    assert not (tmp_path / "escape.html").exists()
    assert [p for p in (tmp_path / "ahead").rglob("*") if p.is_file() and p.stat().st_size == 0] == []


def test_page_files_paused_for_a_busy_stage_wait_and_then_are_all_made(tmp_path):
    """A run pauses the page files' thread while the Monte Carlo keeps every CPU busy: no file
    is made while paused (beyond the one under way), and once started again every file exists."""
    import time

    from reports.page_files import reserved_pages

    ids = [f"44{k:04d}" for k in range(400)]
    with reserved_pages(tmp_path, ids, start=False) as reserved:
        reserved.start().pause()
        held = -1
        while held != len(reserved.created):  # the file under way, if any, is done
            held = len(reserved.created)
            time.sleep(0.1)
        time.sleep(0.3)
        assert len(reserved.created) == held < len(ids)
        reserved.start()
        reserved.join()
    assert sorted(p.stem for p in (tmp_path / "units").iterdir()) == ids
