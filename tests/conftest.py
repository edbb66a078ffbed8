"""Shared fixtures: one small generated world and one finished run on it, built once per session."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

AS_OF = dt.date(2026, 6, 30)
#: The shared generated worlds (here and in reliability/conftest.py) and the run on one: a test
#: using any of them rates a world end to end, so it is an integration test.
WORLDS = {"small_world", "small_run", "city_world", "small_city_world"}


def pytest_collection_modifyitems(items):
    """Mark every test that uses a shared generated world `integration`."""
    for item in items:
        if WORLDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> Path:
    """A small synthetic Guangdong world (CSV): every table, four years, 60,000 complaints."""
    from indicators.synth import generate

    data = tmp_path_factory.mktemp("world") / "data"
    generate(data, seed=7, years=(2021, 2024), scale="demo", complaints=60_000)
    return data


@pytest.fixture(scope="session")
def small_run(small_world, tmp_path_factory):
    """The whole pipeline on the small world, written to a folder."""
    import rating

    out = tmp_path_factory.mktemp("run") / "out"
    return rating.run(small_world, seed=3, out=out, as_of=AS_OF, replications=50)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:  # both NaN
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _tables(path: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {n: (con.execute(f'DESCRIBE "{n}"').fetchall(), con.execute(f'SELECT * FROM "{n}"').fetchall())
                for n in names}
    finally:
        con.close()


def _differing(a: Path, b: Path) -> list[str]:
    """Files of two run folders that differ: every file byte for byte, except the two that carry
    the moment of a run (docs/security.md): manifest.json without its `timings`, and the tables of
    results.duckdb (its header is not reproducible)."""
    import json

    fa, fb = ({str(p.relative_to(d)): p for d in [x] for p in d.rglob("*") if p.is_file()} for x in (a, b))
    by_content = {"manifest.json": lambda p: {k: v for k, v in json.loads(p.read_text("utf-8")).items() if k != "timings"},
                  "results.duckdb": _tables}
    out = sorted(set(fa) ^ set(fb))
    for name in sorted(set(fa) & set(fb)):
        read = by_content.get(name)
        if (read and not _same(read(fa[name]), read(fb[name]))) or (
                not read and fa[name].read_bytes() != fb[name].read_bytes()):
            out.append(name)
    return out


@pytest.fixture(scope="session")
def differing_outputs():
    """differing_outputs(a, b): the files of run folders a and b that differ (see _differing)."""
    return _differing
