"""Shared fixtures: one small generated world and one finished run on it, built once per session."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

AS_OF = dt.date(2026, 6, 30)


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
