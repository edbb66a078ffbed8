"""The documentation's code blocks run and do what they say.

Every block marked python, py, sh, bash or console in README.md, docs/*.md, reports/README.md and
benchmarks/*.md runs here, in a folder per file holding a small world where `make demo` puts the
demo world (`data/demo/`). The Python blocks of one file run in order in one fresh interpreter, so
a snippet that forgets an import fails here as it would for a reader. Shell blocks run in bash
with this interpreter's scripts (`rating`, `python`) first on PATH. A block is left out only with
`no-run` in its info string (```sh no-run) and a reason in NOT_RUN.
"""
from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "reports" / "README.md",
        *sorted((ROOT / "benchmarks").glob("*.md"))]
PYTHON, SHELL, CONSOLE = {"python", "py"}, {"sh", "bash"}, {"console"}
BIN = Path(sys.executable).parent
TIMEOUT = 300

#: Blocks marked `no-run`, by file and first line, each with the reason it cannot run here.
NOT_RUN = {
    ("README.md", "make demo"): "sets up .venv (pip install) and rates the full demo world; `make test` "
                                "runs the whole suite and may install system packages",
}

#: What a block says it does, checked after it ran. Python checks run in a copy of the file's
#: namespace (`_` is the value of the block's last expression, `_stdout` its output); shell checks
#: get the working folder and the output.
PY_CHECKS = {
    ("README.md", 'rating.run("data/demo"'): """
import polars as pl
from polars.testing import assert_frame_equal
assert isinstance(result.scores, pl.DataFrame) and result.scores.height > 0
assert (result.out / "index.html").is_file() and (result.out / "results.duckdb").is_file()
assert set(result.sql("select grade, count(*) from scores group by grade").columns) == {"grade", "count_star()"}
assert_frame_equal(again.scores, result.scores, check_exact=True)
""",
    ("docs/analysts.md", "import datetime as dt"): """
import pathlib
assert again.manifest == result.manifest | {"timings": again.manifest["timings"]}
for name in ("index.html", "scores.csv", "indicators.csv", "alerts.csv", "risk.csv", "manifest.json",
             "results.duckdb", "rating.xlsx"):
    assert (pathlib.Path("out") / name).is_file(), name
assert {"scores", "indicators", "alerts", "risk", "units"} <= set(result.tables)
""",
    ("docs/analysts.md", "result.sql("): """
assert _.columns == ["name", "score", "rank", "rank_low", "rank_high", "grade"], _.columns
assert _.height == 21 and _["rank"].to_list() == sorted(_["rank"].to_list())  # the 21 cities, best first
""",
    ("docs/analysts.md", "from reports.excel import"): """
import openpyxl
sheets = openpyxl.load_workbook("rating-en.xlsx", read_only=True).sheetnames
assert {"scores", "indicators", "normalised", "alerts", "risk", "migration", "methodology"} <= set(sheets), sheets
""",
    ("docs/analysts.md", "from rating.scaffold import"): """
import pathlib
assert pathlib.Path("another-rating/framework.toml") in files and pathlib.Path("another-rating/README.md").is_file()
""",
    ("docs/input.md", "from indicators.load import"): """
for table in ("units", "unit_stats", "failure_records", "complaints", "debt", "contracts"):
    assert table in _stdout, table
assert "read" in _stdout and "accepted" in _stdout and "quarantined" in _stdout
assert {r[0] for r in con.sql("SHOW TABLES").fetchall()} >= {"units", "unit_stats", "stg_failure_records"}
""",
    ("docs/synthetic-world.md", "from indicators.synth import generate"): """
assert set(summary) >= {"rows", "files", "units", "events", "event_rate", "records_scale"}
# the `demo` row of the Scales table and the event rate for seed 2017
assert summary["rows"] == {"units": 800, "unit_stats": 5600, "failure_records": 4064, "complaints": 420_000,
                           "debt": 1008, "contracts": 18401, "truth_unit_years": 5600}, summary["rows"]
assert round(summary["event_rate"], 3) == 0.062, summary["event_rate"]
""",
    ("reports/README.md", "from reports.render import render"): """
import pathlib
names = [pathlib.Path(p).name for p in paths]
assert names[:4] == ["index.html", "alerts.html", "methodology.html", "compare.html"], names[:4]
assert len(paths) == 4 + result.units.height
""",
    ("reports/README.md", "from rating.coinr import"): """
import pathlib
assert [pathlib.Path(p).name for p in paths] == ["index.html", "methodology.html"]
assert "Austria" in pathlib.Path(paths[0]).read_text(encoding="utf-8")
""",
}


def _rating_init(cwd: Path, output: str) -> None:
    project = cwd / "my-rating"
    assert (project / "framework.toml").is_file() and (project / "README.md").is_file()
    for table in ("units", "unit_stats", "failure_records", "complaints", "debt", "contracts"):
        assert (project / "data" / f"{table}.csv").is_file() and (project / "templates" / f"{table}.xlsx").is_file()


def _guangdong_debt(cwd: Path, output: str) -> None:
    """The README: 31 city-years scored (2024 and 2025), none for Maoming and Heyuan, not official."""
    import polars as pl

    scores = pl.read_csv(cwd / "out-guangdong" / "scores.csv", schema_overrides={"unit_id": pl.String})
    units = pl.read_csv(cwd / "data" / "guangdong-debt" / "units.csv", schema_overrides={"unit_id": pl.String})
    scored = scores.filter(pl.col("score").is_not_null()).join(units, on="unit_id")
    assert scored.height == 31 and set(scored["year"]) == {2024, 2025}, scored.select("unit_id", "year")
    assert not {"茂名市", "河源市"} & set(scored["name"])
    assert json.loads((cwd / "out-guangdong" / "manifest.json").read_text(encoding="utf-8"))["scope"]["official"] is False


SH_CHECKS = {("docs/analysts.md", "rating init my-rating"): _rating_init,
             ("README.md", "rating example guangdong-debt"): _guangdong_debt}


@dataclass(frozen=True)
class Block:
    path: str  # relative to the repository
    line: int  # of the opening fence
    lang: str
    flags: tuple[str, ...]
    code: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def first(self) -> str:
        return next((s.strip() for s in self.code.splitlines() if s.strip()), "")


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file that name a language."""
    found, fence, start, info, body = [], None, 0, "", []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})\s*(.*)$", line)
        if fence is None:
            if m:
                fence, start, info, body = m.group(1), n, m.group(2).strip(), []
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
            words = info.split()
            if words:
                found.append(Block(path.relative_to(ROOT).as_posix(), start, words[0], tuple(words[1:]),
                                   "\n".join(body) + "\n"))
            fence = None
        else:
            body.append(line)
    return found


FENCED = [b for p in DOCS if p.exists() for b in blocks(p)]
ALL = [b for b in FENCED if b.lang in PYTHON | SHELL | CONSOLE]
RUN = [b for b in ALL if "no-run" not in b.flags]


def check_key(block: Block, table: dict) -> tuple[str, str] | None:
    """The key of `block`'s check: the entry whose text starts the block, else one it contains."""
    keys = [k for k in table if k[0] == block.path]
    return next((k for k in keys if block.first.startswith(k[1])), next((k for k in keys if k[1] in block.code), None))


def check_of(block: Block, table: dict):
    """The check of `block`, or None."""
    key = check_key(block, table)
    return table[key] if key else None


def test_blocks_found():
    assert any(b.path == "README.md" for b in RUN) and any(b.path.startswith("docs/") for b in RUN)


def test_exemptions_are_few_and_explained():
    """Every `no-run` block has a reason in NOT_RUN, and every reason still names a block."""
    exempt = [b for b in ALL if "no-run" in b.flags]
    for b in exempt:
        assert any(b.path == f and b.first.startswith(first) for f, first in NOT_RUN), \
            f"{b.id}: a no-run block without a reason in NOT_RUN"
    for f, first in NOT_RUN:
        assert any(b.path == f and b.first.startswith(first) for b in exempt), f"NOT_RUN names no block: {f} {first!r}"
    assert len(exempt) <= 3


def test_checks_name_blocks():
    """Each check belongs to exactly one runnable block, so that a moved snippet keeps its check."""
    for table in (PY_CHECKS, SH_CHECKS):
        for key in table:
            hits = [b.id for b in RUN if check_key(b, table) == key]
            assert len(hits) == 1, f"the check {key} belongs to {hits or 'no block'}"


def test_toml_blocks_parse():
    """TOML examples (excerpts of framework files) are valid TOML."""
    import tomllib

    for b in (b for b in FENCED if b.lang == "toml"):
        try:
            tomllib.loads(b.code)
        except tomllib.TOMLDecodeError as e:
            pytest.fail(f"{b.id}: {e}")


def test_docs_refer_to_files_in_the_repository():
    """Links resolve inside the repository, and every Markdown file named is one of its files."""
    texts = {p: p.read_text(encoding="utf-8") for p in [*DOCS, ROOT / "notebooks" / "README.md",
                                                       *sorted((ROOT / "notebooks").glob("*.ipynb"))]}
    ours = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.md")
            if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)}
    for path, text in texts.items():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if not re.match(r"[a-z]+:", target):
                resolved = (path.parent / target).resolve()
                assert resolved.is_relative_to(ROOT) and resolved.exists(), f"{path.name}: link to {target}"
        for name in re.findall(r"[\w./-]*\b[\w-]+\.md\b", text):
            name = name.lstrip("./")
            assert any(f == name or f.endswith("/" + name) for f in ours), f"{path.name} names {name}, not in the repository"


def test_named_objects_exist():
    """Every `package.module.name` the documentation names can be imported (file names aside)."""
    import importlib

    named = {m for p in DOCS for m in re.findall(r"`((?:rating|indicators|models|reports)(?:\.\w+)+)",
                                                 p.read_text(encoding="utf-8"))}
    for name in sorted(n for n in named if n.rsplit(".", 1)[1] not in {"csv", "xlsx", "html", "json", "duckdb", "md"}):
        parts, obj = name.split("."), None
        for i in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
            try:
                obj = importlib.import_module(".".join(parts[:i]))
                break
            except ImportError:
                continue
        for attr in parts[i:]:
            assert hasattr(obj, attr), f"the documentation names {name}, which does not exist"
            obj = getattr(obj, attr)


# -- running ----------------------------------------------------------------------------------

#: A child interpreter running one file's Python blocks in one namespace, one request per line.
WORKER = r"""
import ast, contextlib, io, json, os, sys, traceback
proto = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
ns = {"__name__": "__main__"}
for request in sys.stdin:
    req = json.loads(request)
    out, value, error = io.StringIO(), None, None
    try:
        with contextlib.redirect_stdout(out):
            tree = ast.parse("\n" * (req["line"]) + req["code"], req["name"])
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, req["name"], "exec"), ns)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), req["name"], "eval"), ns)
        if req["check"]:
            exec(compile(req["check"], req["name"] + " (check)", "exec"),
                 dict(ns, _=value, _stdout=out.getvalue()))
    except BaseException:
        error = traceback.format_exc()
    proto.write(json.dumps({"stdout": out.getvalue(), "error": error}) + "\n")
    proto.flush()
"""


class Worker:
    """A child interpreter of this Python, in the file's folder; `run` sends it one block."""

    def __init__(self, cwd: Path, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER], cwd=cwd, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def run(self, block: Block, check: str | None) -> dict:
        self.proc.stdin.write(json.dumps({"name": block.path, "line": block.line, "code": block.code,
                                          "check": check}) + "\n")
        self.proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(TIMEOUT):
            self.proc.kill()
            return {"stdout": "", "error": f"timed out after {TIMEOUT} s"}
        reply = self.proc.stdout.readline()
        return json.loads(reply) if reply else {"stdout": "", "error": "the interpreter exited"}

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A folder with a small world in `data/demo`, where `make demo` puts the demo world. No run is
    made here: every snippet that needs one makes it, as a reader would."""
    from indicators.synth import generate

    base = tmp_path_factory.mktemp("demo")
    generate(base / "data" / "demo", seed=1, years=(2022, 2024), complaints=20_000)
    return base


class Files:
    """One working folder, one interpreter and the blocks done so far, per documentation file."""

    def __init__(self, demo: Path, tmp: Path):
        self.demo, self.tmp, self.state = demo, tmp, {}
        self.env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "1",
                    "TMPDIR": str(tmp)}

    def of(self, path: str) -> dict:
        if path not in self.state:
            cwd = self.tmp / re.sub(r"\W", "_", path)
            shutil.copytree(self.demo, cwd)
            self.state[path] = {"cwd": cwd, "worker": None, "done": 0, "failed": None}
        return self.state[path]

    def close(self):
        for s in self.state.values():
            if s["worker"] is not None:
                s["worker"].close()


@pytest.fixture(scope="module")
def files(demo, tmp_path_factory):
    f = Files(demo, tmp_path_factory.mktemp("docs"))
    yield f
    f.close()


def run_python(files: Files, block: Block) -> None:
    """Run the file's Python blocks up to `block` (those not run yet), each with its check."""
    state = files.of(block.path)
    earlier = [b for b in RUN if b.path == block.path and b.lang in PYTHON]
    if state["worker"] is None:
        state["worker"] = Worker(state["cwd"], files.env)
    for b in earlier[state["done"]:earlier.index(block) + 1]:
        if state["failed"]:
            pytest.fail(f"an earlier block of the file failed: {state['failed']}")
        reply = state["worker"].run(b, check_of(b, PY_CHECKS))
        state["done"] += 1
        if reply["error"]:
            state["failed"] = b.id
            pytest.fail(f"{b.id}{' (an earlier block)' if b is not block else ''}:\n{reply['error']}\n"
                        f"output:\n{reply['stdout'][-3000:]}", pytrace=False)


def run_shell(files: Files, block: Block) -> None:
    """Run a sh/bash block as one script, or a console block command by command against its output."""
    cwd = files.of(block.path)["cwd"]
    if block.lang in CONSOLE:
        for command, expected in console_steps(block.code):
            output = _bash(command, cwd, files.env, block)
            for want in expected:
                assert want.strip() in output, f"{block.id}: `{command}` did not print {want!r}:\n{output}"
        return
    output = _bash(block.code, cwd, files.env, block)
    check = check_of(block, SH_CHECKS)
    if check:
        check(cwd, output)


def _bash(script: str, cwd: Path, env: dict, block: Block) -> str:
    p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
    assert p.returncode == 0, f"{block.id}: exit {p.returncode}\n{script}\n{p.stdout[-3000:]}"
    return p.stdout


def console_steps(code: str) -> list[tuple[str, list[str]]]:
    """`$ command` lines (continued by `> ` lines) with the output lines that follow them;
    `...` stands for output not shown."""
    steps: list[tuple[str, list[str]]] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.startswith("> ") and steps and not steps[-1][1]:
            steps[-1] = (steps[-1][0] + "\n" + line[2:], [])
        elif steps and line.strip() and line.strip() != "...":
            steps[-1][1].append(line)
    return steps


@pytest.mark.integration  # each file's blocks in a child interpreter or shell, rating a small world
@pytest.mark.parametrize("block", RUN, ids=[b.id for b in RUN])
def test_block(block: Block, files: Files):
    if block.lang in PYTHON:
        run_python(files, block)
    else:
        run_shell(files, block)
