"""The benchmark runner behind `python -m benchmarks` (and `make bench`).

For each size (complaint rows; failure records and contracts scale with them), it writes a
synthetic world with `rating synth` at a fixed seed, then runs every case in a fresh process,
interleaved in rounds (round 1: every case once, round 2: again, ...), and prints per size:

- the engine's stages (`rating.run` on the data folder): time as median, min and max over the
  rounds, and peak resident memory (the largest over the rounds);
- the indicator stage side by side with a hand-written one-pass DuckDB query and a polars
  streaming query over the same Parquet files (the floor), and with plain pandas.

Results land in a JSON file as they come (`--json`), so that a long run can be inspected or
summarised again (`--report FILE`). benchmarks/RESULTS.md holds the figures of record.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 2017  # `rating synth --seed`
SCALE = "province"  # 4,274 units; `--complaints` sets the rows
YEARS = "2019-2025"
DEFAULT_SIZES = ("1e6", "1e7", "1e8")
CASES = ("engine", "duckdb", "polars", "pandas")
EXTRA_CASES = ("engine_stage",)
#: pandas holds the whole complaints table and its region copy in memory: skipped above this.
PANDAS_MAX_ROWS = 20_000_000
GIB = 1 << 30

ENGINE_STAGES = (  # (label, how it is derived from the recorded regions)
    ("reading and validating the input (`load`)", "load"),
    ("indicators: `compute_indicators` (all 28)", "compute_indicators"),
    ("indicators: whole stage (+ monthly tickets, events, evidence tables)", "indicators"),
    ("rating: treatment to grades (without the next two)", "rating-uncertainty"),
    # one row for both: they run in one pass since the sensitivity design shares the replications'
    # prepared configurations (earlier measurements add their two stages up)
    ("uncertainty and sensitivity analysis (framework default: 1,000 replications; Saltelli base 250, "
     "500 bootstrap resamples)", "uncertainty+sensitivity"),
    ("early warning: rules, features, models, backtest", "early_warning"),
    ("Excel workbook", "excel"),
    ("report rendering (HTML pages)", "reports"),
    ("other output (CSV, DuckDB, quarantine, manifest)", "other"),
    ("**whole run** (`rating.run`)", "run"),
    ("process: interpreter, imports and run", "process"),
)
COMPARE = (  # (label, cases, stage): the engine's figures come from whole runs and record-stage runs
    ("engine: `compute_indicators`", ("engine", "engine_stage"), "compute_indicators"),
    ("engine: indicator stage", ("engine", "engine_stage"), "indicators"),
    ("engine: load + indicator stage", ("engine", "engine_stage"), "load+indicators"),
    ("hand-written one-pass DuckDB query", ("duckdb",), "run"),
    ("polars streaming query", ("polars",), "run"),
    ("pandas", ("pandas",), "run"),
)


def parse_size(text: str) -> int:
    """'1e6', '10^7', '1_000_000' or '1000000' -> int."""
    t = text.strip().replace("_", "").replace(",", "")
    if "^" in t:
        base, exp = t.split("^")
        return int(base) ** int(exp)
    return int(float(t))


def size_label(n: int) -> str:
    exp = len(str(n)) - 1
    return f"10^{exp}" if n == 10 ** exp else f"{n:,}"


# -- running one case --------------------------------------------------------------------------

def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_case(case: str, data: Path, work: Path, rss_cap: float | None, log, replications: int | None = None) -> dict:
    """Run one case in a fresh process; watch its memory; return its record."""
    work.mkdir(parents=True, exist_ok=True)
    result, out = work / "result.json", work / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    if replications is not None:
        env["BENCH_REPLICATIONS"] = str(replications)
    args = [sys.executable, "-m", "benchmarks.child", case, str(data), str(result), str(out)]
    with open(work / "stdout.txt", "wb") as so, open(work / "stderr.txt", "wb") as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=so, stderr=se, env=env, cwd=work)
        seen, killed, rusage = 0, None, None
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss = _rss_kib(proc.pid)
            seen = max(seen, rss)
            if rss_cap and rss > rss_cap * GIB / 1024 and killed is None:
                killed = rss
                os.kill(proc.pid, signal.SIGKILL)
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    rec = json.loads(result.read_text()) if result.is_file() else {"case": case, "stages": {}}
    rec.update(process_s=round(wall, 3), cpu_s=round(rusage.ru_utime + rusage.ru_stime, 2),
               polled_peak_mib=round(seen / 1024, 1), returncode=proc.returncode)
    rec["peak_mib"] = max(rec.get("peak_mib", 0), rec["polled_peak_mib"])
    if killed is not None:
        rec["ok"] = False
        rec["error"] = (f"killed at {killed / 1024 ** 2:.1f} GiB resident (cap {rss_cap:g} GiB) "
                        f"during stage '{rec.get('current')}' after {wall:.0f} s")
    elif proc.returncode != 0 or not rec.get("ok"):
        rec["ok"] = False
        tail = (work / "stderr.txt").read_text(errors="replace").strip().splitlines()[-3:]
        rec["error"] = f"exit {proc.returncode} during '{rec.get('current')}': " + " | ".join(tail)
    return rec


# -- data --------------------------------------------------------------------------------------

def rating_command() -> list[str]:
    """The `rating` console script of this interpreter (the entry function where none is installed)."""
    script = Path(sys.executable).with_name("rating")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from rating.cli import main; sys.exit(main(sys.argv[1:]))"]


def generate(n: int, folder: Path, log, scale: str = SCALE, years: str = YEARS) -> dict:
    """`rating synth` into `folder`, unless a finished copy with the same arguments is there."""
    args = ["synth", "--out", str(folder), "--seed", str(SEED), "--scale", scale, "--years", years,
            "--complaints", str(n), "--format", "parquet"]
    stamp = folder / "_bench.json"
    if stamp.is_file() and json.loads(stamp.read_text()).get("args") == args[3:]:
        info = json.loads(stamp.read_text())
        log(f"  reusing {folder} (generated in {info['seconds']:.0f} s)")
        return info
    shutil.rmtree(folder, ignore_errors=True)
    log(f"  rating {' '.join(args[3:])} ...")
    t0 = time.perf_counter()
    subprocess.run([*rating_command(), "--quiet", *args], check=True, cwd=ROOT, stdout=sys.stderr,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    info = {"args": args[3:], "seconds": round(time.perf_counter() - t0, 1),
            "bytes": {p.name: p.stat().st_size for p in sorted(folder.glob("*.parquet"))}}
    import duckdb  # row counts from the Parquet footers

    con = duckdb.connect()
    info["rows"] = {p.stem: con.execute(f"SELECT count(*) FROM read_parquet('{p}')").fetchall()[0][0]
                    for p in sorted(folder.glob("*.parquet"))}
    stamp.write_text(json.dumps(info, indent=1))
    log(f"  generated in {info['seconds']:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in info["rows"].items()))
    return info


# -- summarising -------------------------------------------------------------------------------

def stage_seconds(rec: dict, stage: str, metric: str = "s") -> float | None:
    """Wall (`s`) or CPU (`cpu`) seconds of a stage of one record, derived stages included."""
    st = rec.get("stages", {})

    def s(name):
        return st[name].get(metric) if name in st else None

    if stage == "process":
        return rec.get("process_s" if metric == "s" else "cpu_s") if rec.get("ok") else None
    if stage == "rating-uncertainty":
        return None if s("rating") is None else s("rating") - (s("uncertainty") or 0.0) - (s("sensitivity") or 0.0)
    if stage == "load+indicators":
        return None if s("load") is None or s("indicators") is None else s("load") + s("indicators")
    if stage == "uncertainty+sensitivity":
        return None if s("uncertainty") is None else s("uncertainty") + (s("sensitivity") or 0.0)
    if stage == "other":
        named = ("load", "indicators", "rating", "early_warning", "excel", "reports")
        if s("run") is None or any(s(n) is None for n in named):
            return None
        return s("run") - sum(s(n) for n in named)
    return s(stage)


def stage_peak(rec: dict, stage: str) -> float | None:
    st = rec.get("stages", {})
    if stage in ("process", "run"):
        return rec.get("peak_mib")
    if stage == "rating-uncertainty":
        stage = "rating"
    if stage == "load+indicators":
        return max((st[n]["peak_mib"] for n in ("load", "indicators") if n in st), default=None)
    if stage == "uncertainty+sensitivity":
        return max((st[n]["peak_mib"] for n in ("uncertainty", "sensitivity") if n in st), default=None)
    if stage == "other":
        return None
    return st[stage]["peak_mib"] if stage in st else None


def summary(records: list[dict], cases, stage: str) -> dict | None:
    """Median, min and max wall time, median CPU time and the largest peak RSS of a stage."""
    cases = (cases,) if isinstance(cases, str) else cases
    recs = [r for r in records if r["case"] in cases]
    times = [t for r in recs if r.get("ok") for t in [stage_seconds(r, stage)] if t is not None]
    cpus = [t for r in recs if r.get("ok") for t in [stage_seconds(r, stage, "cpu")] if t is not None]
    peaks = [p for r in recs for p in [stage_peak(r, stage)] if p is not None and (r.get("ok") or stage in r.get("stages", {}))]
    if not times:
        return None
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "n": len(times),
            "cpu": statistics.median(cpus) if cpus else None, "peak": max(peaks) if peaks else None}


def fmt_s(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def share(s: dict | None, whole: dict | None, stage: str) -> str:
    """A stage's median as a percentage of the whole run's median ("–" for the run itself and
    for the process around it)."""
    if not s or not whole or stage in ("run", "process") or not whole["median"]:
        return "–"
    pct = 100 * s["median"] / whole["median"]
    return f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%"


def side_by_side(before: dict, after: dict) -> str:
    """Every engine stage of two measurements (e.g. two commits on the same files, same machine,
    same session): median seconds and share of the run for each, and how many times faster
    (not for a stage under 0.01 s after)."""
    parts = []
    for size in sorted(set(before["sizes"]) & set(after["sizes"])):
        recs = [[r for r in doc["records"] if r.get("size") == size] for doc in (before, after)]
        runs = [summary(r, "engine", "run") for r in recs]
        if not all(runs):
            continue
        n = [sum(1 for r in rs if r["case"] == "engine" and r.get("ok")) for rs in recs]
        lines = [f"### {size_label(size)} complaint rows ({n[0]} and {n[1]} runs)", "",
                 "| stage | before: median s | share | after: median s | share | before ÷ after |",
                 "|---|---|---|---|---|---|"]
        for label, stage in ENGINE_STAGES:
            b, a = (summary(r, "engine", stage) for r in recs)
            if not b and not a:
                continue
            ratio = f"{b['median'] / a['median']:.1f}x" if b and a and a["median"] >= 0.01 else "–"
            lines.append(f"| {label} | {fmt_s(b['median'] if b else None)} | {share(b, runs[0], stage)} | "
                         f"{fmt_s(a['median'] if a else None)} | {share(a, runs[1], stage)} | {ratio} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) or "no size measured in both"


def fmt_mib(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def tables_for_size(n: int, records: list[dict], info: dict | None) -> str:
    lines = [f"### {size_label(n)} complaint rows"]
    if info:
        rows = info.get("rows", {})
        mb = sum(info.get("bytes", {}).values()) / 1e6
        lines.append(f"Data: `rating {' '.join(info.get('args', []))}` "
                     f"({info.get('seconds', 0):.0f} s, {mb:,.0f} MB of Parquet): "
                     + ", ".join(f"{k} {v:,}" for k, v in rows.items()) + ".")
    for case, title in (("engine", "Engine stages (`rating.run`, DuckDB memory limit"),):
        eng = [r for r in records if r["case"] == case]
        if not eng:
            continue
        ok = [r for r in eng if r.get("ok")]
        pages = ok[0].get("unit_pages") if ok else None
        limit = next((r.get("duckdb_memory_limit") for r in ok if r.get("duckdb_memory_limit")), None)
        lines += ["", f"{title}{f' = {limit}' if limit else ''}; {len(ok)} of {len(eng)} runs finished"
                      + (f"; {pages:,} unit pages" if pages else "") + "):", "",
                  "| stage | median s | share of run | min s | max s | CPU s | peak RSS MiB |",
                  "|---|---|---|---|---|---|---|"]
        whole = summary(records, case, "run")
        for label, stage in ENGINE_STAGES:
            s = summary(records, case, stage)
            if s:
                lines.append(f"| {label} | {fmt_s(s['median'])} | {share(s, whole, stage)} | {fmt_s(s['min'])} | "
                             f"{fmt_s(s['max'])} | {fmt_s(s['cpu'])} | {fmt_mib(s['peak'])} |")
        for r in eng:
            if not r.get("ok"):
                done = ", ".join(f"{k} {fmt_s(v['s'])} s ({fmt_mib(v['peak_mib'])} MiB)" for k, v in r.get("stages", {}).items())
                lines.append(f"\nFailed run: {r.get('error')}. Stages finished before: {done or 'none'}.")
    cmp = [(label, cases[0], stage, summary(records, cases, stage)) for label, cases, stage in COMPARE]
    cmp = [c for c in cmp if c[3]]
    if cmp:
        floor = [c[3]["median"] for c in cmp if c[1] in ("duckdb", "polars")]
        floor = min(floor) if floor else None
        pandas = next((c[3]["median"] for c in cmp if c[1] == "pandas"), None)
        lines += ["", "Indicator stage against the hand-written queries (same files, same values):", "",
                  "| method | median s | min–max s | CPU s | peak RSS MiB | × floor | pandas ÷ this |",
                  "|---|---|---|---|---|---|---|"]
        for label, case, stage, s in cmp:
            ratio = f"{s['median'] / floor:.2f}" if floor else "–"
            vs_pandas = f"{pandas / s['median']:.1f}" if pandas and case != "pandas" else "–"
            lines.append(f"| {label} | {fmt_s(s['median'])} | {fmt_s(s['min'])}–{fmt_s(s['max'])} | "
                         f"{fmt_s(s['cpu'])} | {fmt_mib(s['peak'])} | {ratio} | {vs_pandas} |")
        lines.append("\n× floor: median time over the faster median of the hand-written DuckDB and polars queries.")
        for r in records:
            if r["case"] != "engine" and not r.get("ok") and not r.get("skipped"):
                lines.append(f"\n{r['case']} failed: {r.get('error')}")
    skipped = {r["case"]: r["skipped"] for r in records if r.get("skipped")}
    for case, why in skipped.items():
        lines.append(f"\n{case}: not run ({why}).")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem_s = f"{mem / 1024 ** 2:.0f} GiB"
    except (OSError, StopIteration):
        mem_s = "?"
    versions = []
    for mod in ("duckdb", "polars", "numpy", "pyarrow", "pandas", "sklearn"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    return (f"{os.cpu_count()} CPUs ({cpu}), {mem_s} RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; " + ", ".join(versions)
            + (f"; load average at start {load[0]:.1f}" if load else ""))


def report(doc: dict) -> str:
    rounds = {size: max((r.get("round", 0) for r in doc["records"] if r.get("size") == size), default=0)
              for size in doc["sizes"]}
    said = ", ".join(f"{size_label(n)}: {k}" for n, k in rounds.items())
    parts = [f"Machine: {doc['machine']}.",
             f"Rounds ({said}), cases interleaved (each round runs every case once, each in a fresh "
             f"process); times are medians over the rounds with min and max; peak RSS is the largest over the rounds."]
    for size in doc["sizes"]:
        recs = [r for r in doc["records"] if r.get("size") == size]
        parts.append(tables_for_size(size, recs, doc.get("data", {}).get(str(size))))
    demo = [r for r in doc["records"] if r["case"] == "demo"]
    if demo:
        s = summary(demo, "demo", "process")
        if s:
            parts.append(f"`rating demo` end to end (generate the demo world as CSV, rate it, write every output), "
                         f"process wall time: median {fmt_s(s['median'])} s (min {fmt_s(s['min'])}, max {fmt_s(s['max'])}), "
                         f"CPU {fmt_s(s['cpu'])} s, peak RSS {fmt_mib(s['peak'])} MiB.")
        for r in demo:
            if not r.get("ok"):
                parts.append(f"`rating demo` failed: {r.get('error')}")
    return "\n\n".join(parts)


# -- main --------------------------------------------------------------------------------------

def _merged(files: list[Path]) -> dict:
    """The measurements of several --json files as one."""
    docs = [json.loads(f.read_text()) for f in files]
    doc = docs[0]
    for other in docs[1:]:
        doc["sizes"] = sorted(set(doc["sizes"]) | set(other["sizes"]))
        doc["data"].update(other["data"])
        doc["records"] += other["records"]
        doc["rounds"] = max(doc["rounds"], other["rounds"])
    return doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                   help="complaint rows, comma-separated (default 1e6,1e7,1e8; `--sizes 1e6` is the quick mode)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per size (default 3)")
    p.add_argument("--cases", default=",".join(CASES),
                   help=f"cases to run, comma-separated, from {', '.join(CASES + EXTRA_CASES)} (default the first four). "
                        "engine_stage: load and indicators only")
    p.add_argument("--engine-rounds", type=int,
                   help="rounds of the engine cases, when fewer than --rounds (they take minutes each)")
    p.add_argument("--demo", action="store_true", help="also time `rating demo` end to end, once per round")
    p.add_argument("--data-dir", type=Path,
                   help="where to generate the data (kept, and reused by later runs); default: a temporary "
                        "folder deleted at the end")
    p.add_argument("--json", type=Path, help="write every measurement to this JSON file as it comes")
    p.add_argument("--rss-cap", type=float, default=None,
                   help="kill a case whose resident memory passes this many GiB, and report where it was "
                        "(default: half of the machine's memory)")
    p.add_argument("--pandas-max-rows", type=float, default=PANDAS_MAX_ROWS,
                   help="skip pandas above this many complaint rows (default 2e7: it needs the whole table in memory)")
    p.add_argument("--scale", default=SCALE, choices=("demo", "province", "large"),
                   help=f"`rating synth --scale` (default {SCALE}: 4,274 units)")
    p.add_argument("--years", default=YEARS, help=f"`rating synth --years` (default {YEARS})")
    p.add_argument("--replications", type=int,
                   help="uncertainty replications of the engine cases (default: the framework's, 1,000)")
    p.add_argument("--report", type=Path, nargs="+", metavar="JSON",
                   help="print the tables of earlier --json files (merged) and exit")
    p.add_argument("--compare", type=Path, nargs=2, action="append", metavar=("BEFORE", "AFTER"),
                   help="print the engine's stages of two --json files side by side and exit; given "
                        "again (runs interleaved into several files), the BEFORE files and the AFTER files are merged")
    args = p.parse_args(argv)

    if args.compare:
        print(side_by_side(_merged([b for b, _ in args.compare]), _merged([a for _, a in args.compare])))
        return 0

    if args.report:
        print(report(_merged(args.report)))
        return 0
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - {*CASES, *EXTRA_CASES}
    if unknown:
        p.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    if "pandas" in cases:
        try:
            import pandas  # noqa: F401
        except ImportError:
            print("pandas is not installed (pip install -e '.[bench]'): the pandas case is skipped", file=sys.stderr)
            cases.remove("pandas")
    if args.rss_cap is None:
        try:
            total = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
            args.rss_cap = round(total / 1024 ** 2 / 2, 1)
        except (OSError, StopIteration):
            args.rss_cap = 0
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="rating-bench-"))
    root.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    doc = {"machine": machine(), "rounds": args.rounds, "sizes": sizes, "cases": cases, "data": {}, "records": [],
           "started": time.strftime("%Y-%m-%d %H:%M:%S")}

    # each run's output is deleted when the benchmark ends, not before the next run: on a file
    # system that passes over recently deleted inodes (ext4 without a journal does, for minutes),
    # the next run would pay for the files the last one left in its rendering stage
    done: list[Path] = []

    def save() -> None:
        if args.json:
            args.json.write_text(json.dumps(doc, indent=1))

    try:
        log(f"machine: {doc['machine']}")
        for n in sizes:
            log(f"size {size_label(n)} complaint rows")
            folder = root / f"synth-{args.scale}-{args.years}-{n}"
            doc["data"][str(n)] = generate(n, folder, log, args.scale, args.years)
            run_cases = [c for c in cases if not (c == "pandas" and n > args.pandas_max_rows)]
            if len(run_cases) < len(cases):
                doc["records"].append({"size": n, "case": "pandas", "skipped":
                                       f"above --pandas-max-rows {args.pandas_max_rows:,.0f}"})
            for rnd in range(1, args.rounds + 1):
                for case in run_cases:
                    if case.startswith("engine") and args.engine_rounds and rnd > args.engine_rounds:
                        continue
                    work = root / "work" / f"{n}-{case}-{rnd}"
                    rec = run_case(case, folder, work, args.rss_cap, log, args.replications)
                    done.append(work)
                    rec.update(size=n, round=rnd)
                    doc["records"].append(rec)
                    save()
                    state = "ok" if rec.get("ok") else f"FAILED: {rec.get('error')}"
                    main_s = stage_seconds(rec, "run")
                    log(f"  round {rnd} {case:<13} {fmt_s(main_s):>7} s  peak {fmt_mib(rec.get('peak_mib'))} MiB  {state}")
            if args.data_dir is None:
                shutil.rmtree(folder, ignore_errors=True)
        if args.demo:
            for rnd in range(1, args.rounds + 1):
                work = root / "work" / f"demo-{rnd}"
                rec = run_case("demo", work / "data", work, args.rss_cap, log, args.replications)
                done.append(work)
                rec.update(size=None, round=rnd)
                doc["records"].append(rec)
                save()
                log(f"  round {rnd} demo {fmt_s(rec.get('process_s'))} s  {'ok' if rec.get('ok') else rec.get('error')}")
    finally:
        doc["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        save()
        for work in done:
            shutil.rmtree(work, ignore_errors=True)
        if args.data_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(report(doc))
    return 0
