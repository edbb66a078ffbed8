"""Shared by the browser tests of the printed, phone and accessibility checks: Debian's chromium
driven by playwright, and the pages of a run worth looking at (index, alerts, methodology and
one unit page of each kind: the province, the city with the most records, a department)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polars as pl

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """Debian's chromium; the tests fail (never skip) without it: `.ci/run` installs it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium is not installed: run .ci/run or apt-get install chromium"
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no CJK font installed: apt-get install fonts-noto-cjk"
    return path


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)


def unit_pages(run) -> dict[str, Path]:
    """One unit page of each kind: the province, the city with the most failure records (the
    longest page) and the department with the most."""
    out, tables = run.out, run.tables
    units = tables["units"]
    have = {p.stem for p in (out / "units").glob("*.html")}
    records = run.staged.records if run.staged is not None else tables["alerts"]
    counts = records.group_by("unit_id").len()
    ranked = units.join(counts, on="unit_id", how="left").with_columns(pl.col("len").fill_null(0)) \
        .filter(pl.col("unit_id").is_in(list(have))).sort("len", "unit_id", descending=[True, False])
    pick = {}
    for label, cond in (("province", (pl.col("kind") == "region") & (pl.col("level") == "province")),
                        ("city", (pl.col("kind") == "region") & (pl.col("level") == "city")),
                        ("department", pl.col("kind") == "department")):
        rows = ranked.filter(cond)
        assert rows.height, f"the run has no {label} page"
        pick[f"unit-{label}"] = out / "units" / f"{rows['unit_id'][0]}.html"
    return pick


def pages(run) -> dict[str, Path]:
    out = run.out
    return {"index": out / "index.html", "alerts": out / "alerts.html", "methodology": out / "methodology.html",
            **unit_pages(run)}
