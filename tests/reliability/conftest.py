"""Shared pieces of the reliability tests: a small world (one city of the synthetic Guangdong
world, two years) and a way to run the command line in a child process with bounded memory
and time, the way a user would."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

AS_OF = dt.date(2025, 6, 30)
#: Address space of a child run. A normal run reserves about 3 GiB of virtual memory (thread
#: stacks and allocator arenas of DuckDB, polars and BLAS) while using about 350 MB, so 4 GiB
#: is the tightest bound that leaves a normal run alone; absurd inputs must fail inside it.
MEMORY_LIMIT = 4 << 30
CHILD_PRELUDE = """
import resource, sys
limit = int(sys.argv.pop(1))
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
"""


def shrink(data: Path, prefix: str = "4401") -> Path:
    """Keep the units whose id starts with `prefix` (a city, its counties and their
    departments) and their rows in every table; parents outside it become empty."""
    for path in sorted(data.glob("*.csv")):
        df = pl.read_csv(path, infer_schema_length=0)
        df = df.filter(pl.col("unit_id").str.starts_with(prefix))
        if path.stem == "units":
            df = df.with_columns(
                pl.when(pl.col("parent_id").str.starts_with(prefix)).then(pl.col("parent_id")).alias("parent_id"))
        df.write_csv(path)
    return data


@pytest.fixture(scope="session")
def city_world(tmp_path_factory) -> Path:
    """One city of the synthetic world (about 60 units, two years), CSV. Copy before changing."""
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("city") / "data"
    generate(data, seed=11, years=(2023, 2024), complaints=20_000)
    shutil.rmtree(data / "_truth", ignore_errors=True)
    return shrink(data)


@pytest.fixture(scope="session")
def small_city_world(city_world, tmp_path_factory) -> Path:
    """Part of the city: the city, four of its districts and their departments (about 30 units)."""
    return shrink(copy_world(city_world, tmp_path_factory.mktemp("small_city") / "data"), "44010")


def copy_world(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _child(args, env, memory, python_head) -> dict:
    code = CHILD_PRELUDE + python_head + "\nfrom rating.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return dict(args=[sys.executable, "-c", code, str(memory), *map(str, args)], text=True,
                env={**os.environ, **(env or {})}, cwd=Path(__file__).parent)


def rating_cli(*args, env: dict | None = None, memory: int = MEMORY_LIMIT, timeout: float = 120,
               python_head: str = "") -> subprocess.CompletedProcess:
    """`rating ARGS` in a child process under an address-space limit; `python_head` is code
    run in the child before the command line (e.g. to change a setting)."""
    return subprocess.run(**_child(args, env, memory, python_head), capture_output=True, timeout=timeout)


def rating_popen(*args, env: dict | None = None, memory: int = MEMORY_LIMIT, python_head: str = "") -> subprocess.Popen:
    """`rating_cli` started in the background (stdout and stderr piped)."""
    return subprocess.Popen(**_child(args, env, memory, python_head), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_args(data: Path, out: Path, *extra) -> list[str]:
    """`rating run` arguments for a quick, reproducible run."""
    return ["--quiet", "run", str(data), "--out", str(out), "--replications", "20", "--as-of", AS_OF.isoformat(),
            "--seed", "3", *map(str, extra)]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    return SimpleNamespace(AS_OF=AS_OF, MEMORY_LIMIT=MEMORY_LIMIT, shrink=shrink, copy_world=copy_world,
                           rating_cli=rating_cli, rating_popen=rating_popen, run_args=run_args, tree=tree)
