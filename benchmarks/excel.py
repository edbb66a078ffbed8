"""Benchmark of the Excel workbook (reports.excel) against polars.write_excel (results in
benchmarks/RESULTS.md, "Excel workbook").

Both write the same sheets of a finished run into one workbook: the engine's `write_workbook`
with everything (unit names, the wide indicator tables, headers in Chinese, number formats,
widths, frozen panes, filters, the methodology sheet), and `polars.DataFrame.write_excel` with
its defaults, one call per sheet, given the sheets' frames ready-made (`reports.excel.sheets`,
not timed for polars): the floor the issue measures the workbook against.

Usage: python -m benchmarks.excel OUT [--repeat N]
OUT is the output folder of a finished run, e.g. of the province world with 10^6 tickets:

    rating synth --out data/province --scale province --complaints 1000000
    rating run data/province --out out/province

Times are the median of N writes after a warm-up, as wall time and as CPU time of the process
(all threads), with the fastest write.
"""
from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

import polars as pl
import xlsxwriter

from benchmarks.uncertainty import timings as measure
from indicators.framework_load import load_framework
from rating.pipeline import Result
from reports.excel import sheets, write_workbook




def polars_workbook(frames: dict[str, pl.DataFrame], path: Path) -> None:
    """Every sheet with polars.write_excel's defaults, into one workbook."""
    with xlsxwriter.Workbook(path) as wb:
        for title, df in frames.items():
            df.write_excel(workbook=wb, worksheet=title)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path, help="the output folder of a finished run")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    result = Result.load(args.out)
    framework = load_framework().without(result.manifest.get("scope", {}).get("indicators_out", []))
    tables = result.tables
    frames = sheets(tables, framework, "zh")
    cells = sum(df.height * df.width for df in frames.values())
    print(f"python {platform.python_version()}, polars {pl.__version__}, xlsxwriter {xlsxwriter.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
    print(f"{len(frames)} sheets, {sum(df.height for df in frames.values()):,} rows, {cells:,} cells")
    with tempfile.TemporaryDirectory() as tmp:
        engine = measure(lambda: write_workbook(tables, framework, result.manifest, Path(tmp) / "engine.xlsx"),
                         args.repeat)
        floor = measure(lambda: polars_workbook(frames, Path(tmp) / "polars.xlsx"), args.repeat)
        sizes = {name: (Path(tmp) / f"{name}.xlsx").stat().st_size / 1e6 for name in ("engine", "polars")}
    for label, m, size in (("reports.excel.write_workbook (everything)", engine, sizes["engine"]),
                           ("polars.write_excel, defaults, same sheets", floor, sizes["polars"])):
        print(f"  {label}: {m['wall']:.2f} s wall (min {m['min']:.2f}; cpu {m['cpu']:.2f} s), {size:.1f} MB")
    print(f"  engine / polars: {engine['wall'] / floor['wall']:.2f} by wall time, "
          f"{engine['cpu'] / floor['cpu']:.2f} by cpu time; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
