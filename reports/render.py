"""The reports' entry point: `render(out, run)` writes the five kinds of page of a finished run.

`out/index.html` (overview), `out/compare.html` (units side by side), `out/units/<unit_id>.html`
(one per unit with scores), `out/alerts.html` and `out/methodology.html`. Pages are
self-contained: CSS and JS are inlined from reports/static/, charts are inline SVG, a
Content-Security-Policy forbids every external load, and every text from the data is escaped
(autoescape on). Each template is compiled once.
Unit pages are built and rendered by forked processes while this one writes the other pages, then
helps them: the polars work of the unit pages (`reports.unit.Prepared`) is done before the fork.
"""
from __future__ import annotations

import gc
import os
import pathlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from keyword import iskeyword

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, optimizeconst
from markupsafe import Markup

from rating.publish import RunTables
from reports import badges, template_cache
from reports.alerts_page import alerts_context
from reports.charts import grade_colours
from reports.compare import compare_context
from reports.datafiles import present
from reports.fmt import escape_output, escape_text
from reports.i18n import HTML_LANG, node_label
from reports.methodology import methodology_context
from reports.overview import grade_info, overview
from reports.page_files import Reserved
from reports.scope import banner
from reports.tables import UNIT_ID, prepare
from reports.unit import Prepared, paged_units, unit_context

RUN_PAGES = (("index", "overview"), ("compare", "compare"), ("alerts", "alerts"),
             ("methodology", "methodology"))  # (page, label key)
CHUNK = 16  # unit pages a process takes at a time
YOUNG = 20_000  # allocations between collections of the youngest objects while pages are written (default 700)
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")


class _CodeGenerator(CodeGenerator):
    """Writes ``{{ value }}`` as `escape_output(value)`: the same text as jinja's `escape`, at a
    third of its cost (it makes no Markup object per value, and a unit page writes hundreds),
    with a string escaped in place (no call of a Python function); and collects the output of a
    template's body and of each block in a list, yielded joined once at the end, where jinja
    yields every piece through each enclosing template's generator (a unit page has ~1,800)."""

    _depth = 0  # blockvisit calls in progress: 0 when visit_Template visits a root or block body

    def blockvisit(self, nodes, frame) -> None:
        if self._depth or frame.buffer is not None or self.environment.is_async \
                or not (frame.rootlevel or frame.block_frame):
            self._depth += 1
            try:
                super().blockvisit(nodes, frame)
            finally:
                self._depth -= 1
            return
        self._depth += 1
        try:
            self.buffer(frame)
            super().blockvisit(nodes, frame)
            self.writeline(f"yield concat({frame.buffer})")
        finally:
            self._depth -= 1

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("(_ei(_eo) if type(_eo := ")
            if finalize.src is not None:
                self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            if finalize.src is not None:
                self.write(")")
            self.write(") is str else environment.escape_output(_eo))")
        else:
            super()._output_child_post(node, frame, finalize)

    def write_commons(self) -> None:
        super().write_commons()
        self.writeline("_ei = environment.escape_str")
        self.writeline("_pc = environment.plain_calls")

    def visit_Call(self, node, frame, forward_caller: bool = False) -> None:
        """``grade(...)``, ``alert(...)`` and ``unit_link(...)`` called directly when the name
        still holds that function (`environment.plain_calls`), without `context.call`'s checks
        for a function that wants the context (a unit page makes about twenty such calls);
        anything else, or the name bound to something else, goes through `context.call`."""
        name = node.node.name if isinstance(node.node, nodes.Name) else None
        if (forward_caller or self.environment.is_async or self.environment.sandboxed or node.dyn_args
                or node.dyn_kwargs or name not in self.environment.plain_calls
                or any(iskeyword(k.key) for k in node.kwargs)):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.write("(_pf(")
        for i, arg in enumerate(node.args):
            self.write(", " if i else "")
            self.visit(arg, frame)
        for i, kwarg in enumerate(node.kwargs):
            self.write(", " if i or node.args else "")
            self.visit(kwarg, frame)
        self.write(") if (_pf := ")
        self.visit(node.node, frame)
        self.write(f") is _pc[{name!r}] else ")
        super().visit_Call(node, frame, forward_caller=forward_caller)
        self.write(")")

    @optimizeconst
    def visit_Getattr(self, node, frame) -> None:
        """``row.label`` on a dict as an inline key look-up, without a call of
        `environment.getattr` (a unit page makes about nine hundred); anything else, and a
        missing key, still goes through `environment.getattr`."""
        if self.environment.is_async:
            super().visit_Getattr(node, frame)
            return
        key = repr(node.attr)
        self.write("(_ga[" + key + "] if type(_ga := ")
        self.visit(node.node, frame)
        self.write(f") is dict and {key} in _ga else environment.getattr(_ga, {key}))")


class _Environment(jinja2.Environment):
    """Contexts are plain dicts: look `row.label` up as a key first (jinja tries the attribute
    first, which for a dict always fails; this halves the cost of the unit pages)."""

    code_generator_class = _CodeGenerator
    escape_output = staticmethod(escape_output)
    escape_str = staticmethod(escape_text)
    plain_calls: dict = {}  # name -> function: globals called directly (see _CodeGenerator.visit_Call)

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def grade(code, idx) -> Markup:
    """A grade as a badge of its colour (`idx`: its place among the framework's grades; "" for none).

    >>> str(grade("A", 0)), str(grade("<", ""))
    ('<span class="grade g0">A</span>', '&lt;')
    """
    return Markup(badges.grade_html(code, idx))


def alert(level, label) -> Markup:
    """An alert level as a badge of its colour; the dash for none.

    >>> str(alert("red", "红色")), str(alert("", "x"))
    ('<span class="alert al-red">红色</span>', '—')
    """
    return Markup(badges.alert_html(level, label))


def unit_link(label, href) -> Markup:
    """A unit's name, linked to its page when it has one.

    >>> str(unit_link("A&B", "440300.html")), str(unit_link("A&B", None))
    ('<a href="440300.html">A&amp;B</a>', 'A&amp;B')
    """
    return Markup(badges.link_html(label, href))


def evidence(pairs) -> Markup:
    """An alert's evidence ((key, value) pairs, `fmt.evidence`) as a list of terms; the dash for none.

    >>> str(evidence([("n", "<3>"), ("", "x")])), str(evidence([]))
    ('<dl class="evidence"><dt>n</dt><dd>&lt;3&gt;</dd><dd>x</dd></dl>', '—')
    """
    return Markup(badges.evidence_html(pairs))


def environment() -> jinja2.Environment:
    """The template environment: autoescape everywhere, undefined names are errors; every template
    kept once compiled in a plain dict (cache_size -1: a page's includes and imports look their
    templates up without the bookkeeping of jinja's default LRU cache), and their code kept
    between runs in the run's cache (`reports.template_cache`).
    The badges, links and alert evidence every page writes many times (`grade`, `alert`,
    `unit_link`, `evidence`) are Python functions: a jinja macro call costs several times the
    markup it writes."""
    root = resources.files("reports") / "templates"
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(root)), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False, cache_size=-1,
        bytecode_cache=template_cache.from_env(),
    )
    env.plain_calls = {"grade": grade, "alert": alert, "unit_link": unit_link, "evidence": evidence}
    env.globals.update(env.plain_calls)
    return env


_REFERENCE = re.compile(r'{%-?\s*(?:extends|include|import|from)\s+"([^"]+)"')


def compiled(env: jinja2.Environment, name: str, seen: set | None = None) -> jinja2.Template:
    """Template `name`, with every template it extends, includes or imports compiled now (jinja
    compiles those on first use: in each forked process, were the unit page first used there).
    The names are read from the source's tags (not parsed: a template loaded from the cache is
    never parsed); a name not written as a plain string is compiled where it is first used."""
    seen = set() if seen is None else seen
    seen.add(name)
    for ref in _REFERENCE.findall(env.loader.get_source(env, name)[0]):
        if ref not in seen:
            compiled(env, ref, seen)
    return env.get_template(name)


def chrome(env: jinja2.Environment, common: dict, root: str, page: str) -> dict:
    """The site's header and footer (`_partials/_nav.html`, `_footer.html`) as written on every
    page of one kind, for `base.html` to write as they are: the thousands of unit pages are all
    the same there, and each include would make a new context per page."""
    return {part: Markup(env.get_template(f"_partials/_{part}.html").render(common, root=root, page=page))
            for part in ("nav", "footer")}


def static(name: str) -> Markup:
    """A CSS or JS source of reports/static, to inline verbatim (our own file, not data).

    It must not contain the text that would end its element early."""
    text = (resources.files("reports") / "static" / name).read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError(f"reports/static/{name} contains '</' and cannot be inlined")
    return Markup(text)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _write(path: pathlib.Path, text: str) -> pathlib.Path:
    """Write `text` as UTF-8 with one open, write and close (no buffered file object around it:
    a page is written whole, and the unit pages are thousands of files)."""
    data = text.encode("utf-8")
    fd = os.open(path, _CREATE, 0o666)
    try:
        view = memoryview(data)
        while view:  # a regular file takes it in one write; a short write is continued
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    return path


class _UnitPages:
    """Builds and writes the pages of a list of units from a `Prepared` (pure Python over its
    dicts: safe in a forked process, which must never call polars or DuckDB)."""

    def __init__(self, page: jinja2.Template, common: dict, inp, prepared: Prepared, colours: dict,
                 folder: pathlib.Path, uids: list[str]):
        self.page, self.common, self.inp, self.p, self.colours = page, common, inp, prepared, colours
        self.folder, self.uids = folder, uids

    def path(self, uid: str) -> pathlib.Path:
        return self.folder / f"{uid}.html"

    def write(self, uids) -> None:
        """Render and write the pages of `uids` (in this thread: a writing thread would hold the
        GIL to encode, and hand it back and forth for every page)."""
        page, common, inp, p, colours = self.page, self.common, self.inp, self.p, self.colours
        for uid in uids:
            _write(self.path(uid), page.render(common, root="../", page="unit",
                                               u=unit_context(uid, inp, p, colours)))

    def write_chunks(self, chunks: Iterable[int], size: int) -> None:
        """Write the pages of chunks `k` (units `k * size` up to `(k + 1) * size`) as they come."""
        for k in chunks:
            self.write(self.uids[k * size:(k + 1) * size])


def _workers(pages: int) -> int:
    """Forked processes for the unit pages: one per CPU this process may use but its own (it
    takes unit pages too once the other pages are written), at most 4; none for few pages (a
    fork costs more than it saves) or where fork does not exist. One process more than the CPUs
    would share them with the one writing the other pages, which then finishes last."""
    if not hasattr(os, "fork") or pages < 200:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cpus - 1, 4) if cpus > 1 else 0


class _Queue:
    """Chunk numbers 0 .. n-1 shared by forked processes through a pipe: each process takes the
    next chunk when it is free, so a process that finishes early takes more (all numbers are
    written before any fork; a read of 4 bytes from a pipe is atomic)."""

    def __init__(self, n: int):
        if n * 4 > 65536:  # more than a pipe holds before a reader starts
            raise ValueError("too many chunks for one pipe")
        self.read, write = os.pipe()
        try:
            os.write(write, b"".join(k.to_bytes(4, "little") for k in range(n)))
        finally:
            os.close(write)

    def __iter__(self) -> Iterator[int]:
        while len(b := os.read(self.read, 4)) == 4:
            yield int.from_bytes(b, "little")

    def close(self) -> None:
        os.close(self.read)


@contextmanager
def _forked(n: int, work: Callable[[int], None]) -> Iterator[bool]:
    """Run `work(0) .. work(n - 1)` in `n` forked processes while the body runs; yields whether
    they were started, and on leaving waits for them and raises if one failed.

    The children do pure-Python work only (unit contexts from the dicts of a `Prepared`, and
    jinja): a forked child has none of the parent's threads, so it must not call into polars'
    or DuckDB's thread pools."""
    pids = []
    try:
        for k in range(n):
            pid = os.fork()
            if pid == 0:  # the child: do its share and leave without running the parent's cleanup
                code = 0
                try:
                    work(k)
                except BaseException as e:  # reported by the parent from the exit code and stderr
                    sys.stderr.write(f"rendering unit pages failed: {type(e).__name__}: {e}\n")
                    code = 1
                finally:
                    os._exit(code)
            pids.append(pid)
        yield bool(pids)
    finally:
        failed = [pid for pid in pids if os.waitpid(pid, 0)[1] != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(pids)} processes writing the unit pages failed")


def render(out: pathlib.Path, run: RunTables, *, lang: str = "zh", audience: str = "internal",
           processes: int | None = None, files=None, reserved: Reserved | None = None) -> list[pathlib.Path]:
    """Write the HTML report of a run into `out` and return the written paths.

    Parameters
    ----------
    out : pathlib.Path
        Output folder; created if missing. `units/` is created inside it.
    run : rating.publish.RunTables
        The run's tables, its framework and manifest (`rating.Result.run_tables()` of a run);
        missing optional columns show as "—", optional parts add to the pages only when given.
    lang : {"zh", "en"}
        Language of every label.
    audience : {"internal", "public"}
        `public` leaves out record-level evidence, pending objections and model internals.
    processes : int, optional
        Forked processes that build and write the unit pages while this one writes the other
        pages and then takes unit pages too (default: one per CPU but this one's, at most 4, for
        200 pages or more; 0: all in this process). The pages are the same bytes either way.
    files : iterable of str, optional
        The run's data files (names relative to `out`) that index.html links; default: the
        files other than pages found in `out` when the index is written.
    reserved : reports.page_files.Reserved, optional
        Unit page files created ahead in `out/units` (`reports.page_files.reserved_pages`): the
        pages are written into them, and those of units without a page are removed.

    Returns
    -------
    list of pathlib.Path
        index.html, alerts.html, methodology.html, compare.html, then the unit pages in unit id order.

    Notes
    -----
    Unit ids are checked against `^[0-9]{6}(-[A-Z][A-Z0-9_]{0,31})?$` before any file is named
    after one; an id that fails raises `indicators.errors.InputError` and nothing is written.
    """
    with _frozen():  # the run's tables out of the collector's passes from here on
        return _render(pathlib.Path(out), run, lang, audience, processes, files, reserved)


def _render(out: pathlib.Path, run: RunTables, lang: str, audience: str, processes: int | None,
            files, reserved: Reserved | None) -> list[pathlib.Path]:
    framework = run.framework
    inp = prepare(framework, units=run.units, scores=run.scores, indicators=run.indicators, alerts=run.alerts,
                  risk=run.risk, records=run.records, manifest=run.manifest, lang=lang, audience=audience,
                  alert_levels=run.alert_levels, explanations=run.explanations)
    (out / "units").mkdir(parents=True, exist_ok=True)
    env = environment()
    t = inp.t
    colours = grade_colours(framework)
    man = inp.manifest
    scope = banner(inp)
    site = {
        "framework": node_label(framework, lang), "framework_version": framework.version,
        "year": inp.year if inp.year is not None else "—",
        "edition": t["audience_internal"] if inp.internal else t["audience_public"],
        "software": man.get("software") or "", "version": man.get("version") or "",
        "note": t["official_note"] if scope["official"] else "", "scope": scope,
    }
    common = {"t": t, "lang": lang, "html_lang": HTML_LANG[lang], "csp": Markup(CSP), "css": static("report.css"),
              "site": site, "internal": inp.internal, "nav": RUN_PAGES}

    def main_pages() -> list[pathlib.Path]:
        written = []
        page = env.get_template("index.html")
        written.append(_write(out / "index.html", page.render(
            common, root="", page="index", o=overview(inp, colours, present(out) if files is None else files),
            js_table=static("table.js"), js_overview=static("overview.js"))))
        page = env.get_template("alerts.html")
        written.append(_write(out / "alerts.html", page.render(
            common, root="", page="alerts", a=alerts_context(inp, colours), js_alerts=static("alerts.js"))))
        page = env.get_template("methodology.html")
        written.append(_write(out / "methodology.html", page.render(
            common, root="", page="methodology",
            m=methodology_context(inp, audit=run.audit, sensitivity=run.sensitivity, card=run.model_card,
                                  backtest=run.backtest, predictions=run.predictions))))
        page = env.get_template("compare.html")
        written.append(_write(out / "compare.html", page.render(
            common, root="", page="compare", c=compare_context(inp, grade_info(framework, colours)),
            js_compare=static("compare.js"))))
        return written

    p = Prepared(inp, run.evidence)  # every polars step of the unit pages, done here before any fork
    uids = paged_units(inp, p)
    for uid in uids:
        if not UNIT_ID.match(uid):  # checked in prepare(); never name a file after anything else
            raise ValueError(f"refusing unit id {uid!r} as a file name")
    units = _UnitPages(compiled(env, "unit.html"), {**common, "chrome": chrome(env, common, "../", "unit")},
                       inp, p, colours, out / "units", uids)
    n = _workers(len(uids)) if processes is None else processes
    gc.freeze()  # the prepared rows too: a forked process would copy the memory of each object a pass walks
    written = _write_all(n, main_pages, units, uids)
    if reserved is not None:  # files made ahead for units that got no page go again
        reserved.remove_unpaged(uids)
    return written


@contextmanager
def _frozen() -> Iterator[None]:
    """Leave what exists now (the run's tables; `render` freezes the prepared rows too once they
    are made) out of the garbage collector's passes while the pages are prepared and written:
    each full pass would walk them all again, for nothing (the pages make little cyclic garbage),
    and a forked process would copy the memory of each object it walks. Young objects are
    collected in larger batches too (a page makes a few thousand dicts and lists, all freed by
    reference counting once it is written; the prepared rows are millions of them)."""
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], YOUNG), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _write_all(n: int, main_pages: Callable[[], list[pathlib.Path]], units: _UnitPages,
               uids: list[str]) -> list[pathlib.Path]:
    """The main pages, then the unit pages, in this process (`n` 0) or with `n` forked ones."""
    if n <= 0:
        written = main_pages()
        units.write(uids)
    else:  # forked processes (and this one once its pages are written) take chunks of units
        size = max(CHUNK, -(-len(uids) // 10000))
        queue = _Queue(-(-len(uids) // size))
        try:
            own = None
            with _forked(n, lambda k: units.write_chunks(queue, size)):
                written = main_pages()
                try:
                    units.write_chunks(queue, size)
                except Exception as e:  # raised once the forked processes are done, like theirs
                    own = e
        finally:
            queue.close()
        if own is not None:
            raise RuntimeError(f"1 of {n + 1} processes writing the unit pages failed: "
                               f"{type(own).__name__}: {own}") from own
    return written + [units.path(uid) for uid in uids]
