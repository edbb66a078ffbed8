"""A synthetic Guangdong world in the input contract, with its ground truth.

`generate(out)` writes the six tables of the input contract (units, unit_stats, failure_records,
complaints, debt, contracts) for the real regions of Guangdong and their departments, drawn from
a latent integrity per unit and year, plus `out/_truth/latent.csv` and `out/_truth/events.csv`.
docs/synthetic-world.md documents the dynamics and the properties the tests check.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from . import complaints as _complaints
from . import contracts as _contracts
from . import debt as _debt
from . import failures as _failures
from ..contract import TABLES
from .calendar import Calendar
from .io import FORMATS, arrow_table, write
from .world import SCALES, World, build

__all__ = ["generate", "DEFAULT_COMPLAINTS", "SCALES"]

#: Complaint rows over seven years at each scale (pro rata for other year ranges).
DEFAULT_COMPLAINTS = {"demo": 420_000, "province": 10_000_000, "large": 100_000_000}
#: Record tables other than complaints scale with complaints / default, within these bounds.
RECORD_SCALE_BOUNDS = (0.25, 10.0)
TABLE_ORDER = tuple(TABLES)  # the contract's tables, all written


def default_complaints(scale: str, years: tuple[int, int]) -> int:
    return round(DEFAULT_COMPLAINTS[scale] * (years[1] - years[0] + 1) / 7)


def generate(out: Path, *, seed: int = 2017, years: tuple[int, int] = (2019, 2025), scale: str = "demo",
             complaints: int | None = None, fmt: str | None = None, nuisance: float = 1.0) -> dict:
    """Write a synthetic data folder to `out` and return a summary (row counts, files written).

    seed: every random draw derives from it; the same arguments give the same bytes.
    years: first and last year (inclusive); the data end on 31 December of the last year, which
        must lie before today.
    scale: `demo` (all regions, 8 departments per city and 4 per county, 420,000 tickets over
        seven years), `province` (every department of a city, a typical county set, 10^7 tickets)
        or `large` (the province world with 10^8 tickets).
    complaints: the exact number of complaint rows (default: the scale's, pro rata for the years);
        failure records and contracts scale with it relative to the default (bounded to 0.25-10x).
    fmt: `csv` or `parquet`; default csv at `demo` scale and parquet otherwise.
    nuisance: strength of the unit factors unrelated to integrity (record filing, readiness to
        call, handling and contract capacity, citizens' mood); 1 the documented default, 0 none.
    """
    return _generate(out, seed=seed, years=years, scale=scale, complaints=complaints, fmt=fmt, nuisance=nuisance)


def _generate(out: Path, *, seed: int = 2017, years: tuple[int, int] = (2019, 2025), scale: str = "demo",
              complaints: int | None = None, fmt: str | None = None, nuisance: float = 1.0,
              chunk_rows: int = _complaints.CHUNK_ROWS) -> dict:
    """`generate` with the complaint chunk size exposed (rows per chunk and Parquet row group)."""
    return _run(Path(out), *_check(seed, years, scale, complaints, fmt, nuisance), chunk_rows=chunk_rows)


def _check(seed, years, scale, complaints, fmt, nuisance=1.0):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        first, last = (int(y) for y in years)
    except (TypeError, ValueError):
        raise ValueError(f"years must be a pair (first, last), got {years!r}") from None
    this_year = dt.date.today().year
    if not 1990 <= first <= last < this_year:
        raise ValueError(f"years must satisfy 1990 <= first <= last < {this_year} (data end before today), "
                         f"got {first}-{last}")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    if complaints is None:
        complaints = default_complaints(scale, (first, last))
    if isinstance(complaints, bool) or not isinstance(complaints, (int, np.integer)) or complaints < 0:
        raise ValueError(f"complaints must be a non-negative integer, got {complaints!r}")
    if fmt is None:
        fmt = "csv" if scale == "demo" else "parquet"
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if isinstance(nuisance, bool) or not isinstance(nuisance, (int, float, np.integer, np.floating)) \
            or not 0 <= nuisance <= 10:
        raise ValueError(f"nuisance must be a number from 0 to 10, got {nuisance!r}")
    return int(seed), first, last, scale, int(complaints), fmt, float(nuisance)


def _run(out: Path, seed: int, first: int, last: int, scale: str, n_complaints: int, fmt: str, nuisance: float,
         *, chunk_rows: int = _complaints.CHUNK_ROWS) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    truth_dir = out / "_truth"
    truth_dir.mkdir(exist_ok=True)
    for table in TABLE_ORDER:  # a stale copy in another format would make the table ambiguous
        for suffix in (".csv", ".parquet", ".xlsx"):
            stale = out / (table + suffix)
            if suffix != "." + fmt and stale.is_file():
                stale.unlink()

    world = build(seed, first, last, scale, nuisance)
    cal = Calendar(first, last)
    default = default_complaints(scale, (first, last))
    factor = float(np.clip(n_complaints / default, *RECORD_SCALE_BOUNDS)) if default else 1.0
    rows: dict[str, int] = {}
    files: list[str] = []

    def put(name: str, tbl) -> None:
        path = write(tbl, out / name, fmt)
        rows[name] = tbl.num_rows
        files.append(path.relative_to(out).as_posix())

    put("units", arrow_table("units", world.units.to_arrow().to_pydict()))
    put("unit_stats", unit_stats(world))
    failures, failure_info = _failures.generate(world, cal, factor)
    put("failure_records", failures)
    del failures
    rows["complaints"] = _complaints.write(world, cal, n_complaints, out / "complaints", fmt, chunk_rows=chunk_rows)
    files.append(f"complaints.{fmt}")
    put("debt", _debt.generate(world, cal))
    put("contracts", _contracts.generate(world, cal, factor))
    files += write_truth(world, truth_dir)
    rows["truth_unit_years"] = int(world.latent.size)
    return {
        "seed": seed,
        "scale": scale,
        "years": [first, last],
        "format": fmt,
        "nuisance": nuisance,
        "units": int(len(world.unit_id)),
        "rows": rows,
        "files": files,
        "events": int(world.event.sum()),
        "event_rate": round(float(world.event.mean()), 4),
        "records_scale": factor,
        "personal_data_descriptions": failure_info["personal_data_rows"],
    }


def unit_stats(world: World):
    n_units, n_years = world.latent.shape
    return arrow_table("unit_stats", {
        "unit_id": np.repeat(world.unit_id, n_years),
        "year": np.tile(world.years, n_units).astype(np.int64),
        "population": world.population.ravel().astype(np.float64),
        "staff": world.staff.ravel().astype(np.float64),
        "budget": world.budget.ravel().astype(np.float64),
    })


def write_truth(world: World, truth_dir: Path) -> list[str]:
    n_units, n_years = world.latent.shape
    base = {"unit_id": np.repeat(world.unit_id, n_years), "year": np.tile(world.years, n_units).astype(np.int64)}
    latent = pl.DataFrame({**base, "latent": np.round(world.latent.ravel(), 6)})
    events = pl.DataFrame({**base, "event": world.event.ravel().astype(np.int64)})
    latent.write_csv(truth_dir / "latent.csv", float_scientific=False)
    events.write_csv(truth_dir / "events.csv")
    return ["_truth/latent.csv", "_truth/events.csv"]
