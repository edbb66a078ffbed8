"""Benchmarks of the uncertainty and sensitivity analysis (results in benchmarks/UNCERTAINTY.md).

large: a framework of 40 indicators in 8 dimensions on 5,000 units (one year, regions and
       departments at four levels, 5% of values missing): 1,000 replications with the default
       assumptions (every weight x U(0.75, 1.25)); 1,000 replications with every assumption
       varied (weights, imputation none/mean, treatment none/winsorise, normalisation
       min-max/z-score, aggregation arithmetic/geometric with shift, leave one indicator out);
       the Saltelli sensitivity analysis of that experiment (base sample 200).
asem:  the ASEM tables (51 units, 49 indicators, 4 levels), 500 replications of COINr's
       experiment: pillar and sub-index weights x U(0.75, 1.25), normalisation min-max [1, 100]
       or z-score (10, 2), aggregation arithmetic or geometric mean. The nominal index imputes
       group means (EurAsia_group) and winsorises, as COINr's example coin does (that coin also
       denominates and screens, two steps this engine's COINr path does not have).
demo:  the synthetic Guangdong world of the test suite (3,200 unit-years, default framework),
       1,000 replications of weight noise, against the earlier loop (one re-aggregation of the
       tree per replication).
province: a data folder given with --data (e.g. `rating synth --out DATA --scale province
       --complaints 1000000`: 4,274 units x 7 years), default framework: the uncertainty stage as
       a run does it, 1,000 replications with every source of the framework's [uncertainty]
       (data redrawn from the evidence, composite bootstrap, weights, imputation); then that stage
       with the sensitivity analysis evaluated in the same pass on the latest year's unit-years, as
       `rating.run` does it (both with freed memory kept for reuse, `rating.heap.kept`, as in a run).
draws: the same data folder (--data): the one pass as a run does it, for each number of data sets
       (--draws, the framework's `data_draws`) and each seed (--seeds); the time, and the Monte
       Carlo error of what a run publishes: per unit-year, the standard deviation over the seeds
       of its interval ends, its median rank, its score interval and its grade probabilities
       (mean and 90th percentile over unit-years), and the share of unit-years whose borderline
       flag differs between seeds.

Usage: python benchmarks/uncertainty.py [large|asem|demo|all|province|draws] [--repeat N] [--data DATA]
       [--draws D ...] [--seeds S ...]
Times are the median of N runs of the analysis (building the experiment from scored data or
tables included; reading files and the nominal scoring excluded), as wall time and as CPU time
of the process; peak memory is the largest traced allocation (tracemalloc, numpy arrays
included) during one run.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np
import polars as pl

from indicators.framework_load import parse_framework
from rating import heap
from rating.coinr import read_idata, read_imeta
from rating.score import aggregate_tree, score
from rating.sensitivity import sensitivity
from rating.uncertainty import Assumptions, experiment_from_scored, experiment_from_tables, latest_year, uncertainty

ASEM = Path(__file__).resolve().parents[1] / "tests" / "data" / "external" / "asem"
KINDS, LEVELS = ("region", "department"), ("province", "city", "county", "township")
EVERYTHING = Assumptions(impute=True, treat=True, normalise=("minmax:0,100", "zscore:50,10"),
                         aggregate=("arithmetic", "geometric"), invalid="shift", leave_one_out=True)
ASEM_NOMINAL = {"normalise": "minmax:1,100", "impute": "group-mean:EurAsia_group", "treat": "winsorise"}
ASEM_ASSUMPTIONS = Assumptions(weight_noise=0.25, weight_noise_on="aggregates",
                               normalise=("minmax:1,100", "zscore:10,2"), aggregate=("arithmetic", "geometric"))


def timings(fn, repeat: int) -> dict:
    """Median wall and CPU seconds (and the fastest wall) of `repeat` calls after one warm-up."""
    fn()  # warm-up (imports, caches)
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"wall": statistics.median(wall), "min": min(wall), "cpu": statistics.median(cpu)}


def measure(fn, repeat: int) -> dict:
    """`timings`, and the peak of Python allocations in one more call."""
    out = timings(fn, repeat)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {**out, "peak": peak / 2 ** 20}


def show(label: str, m: dict) -> dict:
    print(f"  {label}: {m['wall']:.3f} s wall (min {m['min']:.3f}; cpu {m['cpu']:.3f} s), "
          f"peak {m['peak']:.1f} MiB", flush=True)
    return m


def large_world(units: int = 5000, groups: int = 8, per_group: int = 5, seed: int = 0):
    """A scored framework: `units` unit-years, `groups * per_group` indicators."""
    rng = np.random.default_rng(seed)
    dims = [{"code": f"D{g}", "parent": "IDX", "weight": float(rng.integers(1, 4)), "name_zh": f"维{g}",
             "name_en": f"Dim {g}"} for g in range(groups)]
    inds = [{"code": f"I{g}_{j}", "parent": f"D{g}", "name_zh": f"指{g}{j}", "name_en": f"Ind {g}.{j}",
             "direction": int(rng.choice([1, -1])), "weight": float(rng.integers(1, 4)),
             "table": "complaints", "measure": "count"} for g in range(groups) for j in range(per_group)]
    fw = parse_framework({
        "framework": {"code": "IDX", "name_zh": "指数", "name_en": "Index"},
        "methods": {"normalise": "minmax:0,100", "data_threshold": 0.5},
        "grade": [{"code": "A", "min": 80}, {"code": "B", "min": 60}, {"code": "C", "min": 40},
                  {"code": "D", "min": 0}],
        "dimension": dims, "indicator": inds,
    })
    ids = [f"{440000 + i:06d}" for i in range(units)]
    unit_frame = pl.DataFrame({"unit_id": ids, "kind": rng.choice(KINDS, units), "level": rng.choice(LEVELS, units)})
    X = np.exp((rng.normal(size=(units, 1)) + rng.normal(size=(units, len(inds))) * 1.5) / 2) * 10  # skewed
    X[rng.random(X.shape) < 0.05] = np.nan
    long = pl.DataFrame({"unit_id": np.repeat(ids, len(inds)), "year": 2024,
                         "indicator": np.tile([i["code"] for i in inds], units), "value": X.ravel()})
    return score(long.filter(pl.col("value").is_not_nan()), unit_frame, fw), fw


def run_large(repeat: int) -> None:
    scored, fw = large_world()
    print(f"large: {scored.keys.height} unit-years x {len(scored.codes)} indicators in 8 groups")
    show("uncertainty, 1000 replications, default assumptions", measure(
        lambda: uncertainty(experiment_from_scored(scored, fw, Assumptions()), 1000, 0), repeat))
    show("uncertainty, 1000 replications, every assumption varied (16 configurations)", measure(
        lambda: uncertainty(experiment_from_scored(scored, fw, EVERYTHING), 1000, 0), repeat))
    show("sensitivity of that experiment, base 200 (1600 runs), 500 bootstrap resamples", measure(
        lambda: sensitivity(experiment_from_scored(scored, fw, EVERYTHING), base=200, seed=0), max(1, repeat // 2)))


def run_asem(repeat: int) -> None:
    idata, imeta = read_idata(ASEM / "iData.csv"), read_imeta(ASEM / "iMeta.csv")
    fn = lambda: uncertainty(experiment_from_tables(idata, imeta, ASEM_ASSUMPTIONS, **ASEM_NOMINAL), 500, 0)  # noqa: E731
    width = fn().summary.select((pl.col("rank_high") - pl.col("rank_low")).median()).item()
    print(f"asem: {idata.height} units x 49 indicators; median 90% rank interval width {width}")
    m = show("uncertainty, 500 replications (COINr's experiment)", measure(fn, repeat))
    print(f"    {m['wall'] / 500 * 1e3:.3f} ms per replication; {0.13 * 500 / m['wall']:.0f}x faster than COINr "
          f"(0.13 s per replication) by wall time, {0.13 * 500 / m['cpu']:.0f}x by cpu time")
    exp = experiment_from_tables(idata, imeta, ASEM_ASSUMPTIONS, **ASEM_NOMINAL)
    show("sensitivity, base 500 (2500 runs), 500 bootstrap resamples",
         measure(lambda: sensitivity(exp, base=500, seed=0), max(1, repeat // 2)))


def demo_scored():
    import datetime as dt
    import tempfile

    import duckdb

    from indicators.compute import compute_indicators
    from indicators.framework_load import load_framework
    from indicators.load import load
    from indicators.synth import generate

    data = Path(tempfile.mkdtemp()) / "data"
    generate(data, seed=7, years=(2021, 2024), scale="demo", complaints=60_000)
    fw, con = load_framework(), duckdb.connect()
    loaded = load(data, con, as_of=dt.date(2026, 6, 30), lifecycle=fw.lifecycle)
    ind = compute_indicators(con, fw, set(loaded.present))
    return score(ind, con.sql("SELECT * FROM units ORDER BY unit_id").pl(), fw), fw


def loop(scored, fw, replications: int, noise: float = 0.25, seed: int = 0) -> np.ndarray:
    """The earlier approach: one re-aggregation of the whole tree per replication (scores only)."""
    rng = np.random.default_rng(seed)
    codes = [n.code for n in fw.nodes]
    values = {c: np.where(scored.applicable[:, codes.index(c)], scored.normalised[:, j], np.nan)
              for j, c in enumerate(scored.codes)}
    applicable = {c: scored.applicable[:, i] for i, c in enumerate(codes)}
    kids = [n for n in fw.nodes if n.parent is not None]
    return np.vstack([aggregate_tree(fw, values, applicable, {n.code: n.weight * rng.uniform(1 - noise, 1 + noise)
                                                              for n in kids})[fw.code] for _ in range(replications)])


def run_demo(repeat: int) -> None:
    scored, fw = demo_scored()
    print(f"demo: {scored.keys.height} unit-years x {len(scored.codes)} indicators (default framework)")
    show("earlier loop, 1000 replications of weight noise (scores only)", measure(lambda: loop(scored, fw, 1000), 1))
    show("this analysis, the same (scores, ranks, intervals, grade probabilities)", measure(
        lambda: uncertainty(experiment_from_scored(scored, fw, Assumptions()), 1000, 0), repeat))


def province_scored(data: Path):
    """The default framework scored on a data folder, and its long indicator table."""
    import datetime as dt

    from indicators.framework_load import load_framework
    from rating.pipeline import stage
    from rating.publish import rated_framework

    fw = load_framework()
    st = stage(Path(data), fw, dt.date(2026, 6, 30))
    fw, _ = rated_framework(fw, st.indicators, st.coverage, data)
    return score(st.indicators, st.units, fw), fw, st.indicators


def run_province(repeat: int, data: Path | None) -> None:
    if data is None:
        raise SystemExit("province: give the data folder with --data (rating synth --out DATA --scale province "
                         "--complaints 1000000)")
    scored, fw, ind = province_scored(data)
    a = Assumptions.from_config(fw.uncertainty)
    print(f"province: {scored.keys.height} unit-years x {len(scored.codes)} indicators; data {a.data}, "
          f"{a.data_draws} data sets, composite bootstrap {a.composite_bootstrap}, weight noise {a.weight_noise}")
    show("uncertainty stage, 1000 replications, every source of the framework", measure(
        lambda: uncertainty(experiment_from_scored(scored, fw, a, indicators=ind, seed=0), 1000, 0), repeat))
    base, resamples = int(fw.uncertainty["sensitivity"]), int(fw.uncertainty["bootstrap"])
    year = latest_year(experiment_from_scored(scored, fw, a, indicators=ind, seed=0))
    show(f"uncertainty and sensitivity as a run does them (one pass; Saltelli base {base} on the unit-years of "
         f"{year}, {resamples} bootstrap)",
         measure(lambda: uncertainty(experiment_from_scored(scored, fw, a, indicators=ind, seed=0), 1000, 0,
                                     sensitivity_base=base, resamples=resamples, sensitivity_year=year), repeat))


#: The published columns whose Monte Carlo error the draws case reports.
PUBLISHED = ("rank_low", "rank_high", "rank_median", "score_low", "score_high")


def monte_carlo_error(summaries: list[pl.DataFrame]) -> dict:
    """Per published column (and each `p_grade_*`), the mean and 90th percentile over unit-years of
    the standard deviation across `summaries` (one per seed, same rows); and `borderline`: the
    share of unit-years whose flag is not the same in all of them. Unit-years missing a value in
    any summary are left out of that column."""
    def across(c: str) -> np.ndarray:  # unit-years x seeds
        M = np.column_stack([s[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for s in summaries])
        return M[~np.isnan(M).any(axis=1)]

    out = {}
    for c in [*PUBLISHED, *(c for c in summaries[0].columns if c.startswith("p_grade_"))]:
        sd = np.std(across(c), axis=1, ddof=1)
        out[c] = (float(sd.mean()), float(np.percentile(sd, 90)))
    if "borderline" in summaries[0].columns:
        B = across("borderline")
        out["borderline"] = float((B.max(axis=1) != B.min(axis=1)).mean())
    return out


def run_draws(data: Path | None, draws: list[int], seeds: list[int]) -> None:
    if data is None or len(seeds) < 2:
        raise SystemExit("draws: give the data folder with --data and at least two --seeds")
    scored, fw, ind = province_scored(data)
    base, resamples = int(fw.uncertainty["sensitivity"]), int(fw.uncertainty["bootstrap"])
    print(f"draws: {scored.keys.height} unit-years; 1,000 replications and the sensitivity design as a run does "
          f"them; seeds {seeds}")
    for d in draws:
        a = dataclasses.replace(Assumptions.from_config(fw.uncertainty), data_draws=d)
        wall, cpu, summaries = [], [], []
        for seed in seeds:
            t0, c0 = time.perf_counter(), time.process_time()
            exp = experiment_from_scored(scored, fw, a, indicators=ind, seed=seed)
            u = uncertainty(exp, 1000, seed, sensitivity_base=base, resamples=resamples,
                            sensitivity_year=latest_year(exp))
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            summaries.append(u.summary)
        width = float((summaries[0]["rank_high"] - summaries[0]["rank_low"]).cast(pl.Float64).median())
        err = monte_carlo_error(summaries)
        print(f"  {d} data sets: {statistics.median(wall):.2f} s wall (min {min(wall):.2f}; cpu "
              f"{statistics.median(cpu):.2f} s); median rank interval width {width:.0f}", flush=True)
        print("    Monte Carlo error (sd over seeds; mean, 90th percentile over unit-years): " + "; ".join(
            f"{c} {v[0]:.3g}, {v[1]:.3g}" for c, v in err.items() if c != "borderline")
            + (f"; borderline flag differs in {err['borderline']:.1%}" if "borderline" in err else ""), flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("which", nargs="?", choices=("large", "asem", "demo", "all", "province", "draws"), default="all")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--data", type=Path, default=None, help="data folder of the province and draws cases")
    p.add_argument("--draws", type=int, nargs="+", default=[100, 50], help="data sets (draws case)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (draws case)")
    args = p.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, polars {pl.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
    for name, fn in (("large", run_large), ("asem", run_asem), ("demo", run_demo)):
        if args.which in (name, "all"):
            fn(args.repeat)
    if args.which in ("province", "draws"):
        with heap.kept():  # as `rating.run` holds the analysis
            if args.which == "province":
                run_province(args.repeat, args.data)
            else:
                run_draws(args.data, args.draws, args.seeds)
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
          f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
