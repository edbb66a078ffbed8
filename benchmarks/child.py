"""One benchmark case, run in a fresh process: `python -m benchmarks.child CASE DATA RESULT [OUT]`.

The case's timings and memory go to the JSON file RESULT, rewritten as each stage starts and ends,
so that a process killed half-way (see `--rss-cap` of the runner) still tells where it was.

Times are wall clock (`s`) and CPU time of the process, all threads (`cpu`). Peak memory is the
process's resident set (VmHWM). Between stages the high-water mark is reset
(`/proc/self/clear_refs`, Linux), so each stage gets its own peak; the process peak is the largest
of them. Where the reset is not allowed, every stage reports the process peak so far.
"""
from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

#: The run date of every engine case: after the synthetic data's last year, fixed so that runs repeat.
AS_OF = dt.date(2026, 6, 30)


def _hwm_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Recorder:
    """Times and peak RSS of nested regions of one process, written to a JSON file as they go."""

    def __init__(self, path: Path, case: str):
        self.path = path
        self.doc = {"case": case, "pid": os.getpid(), "stages": {}, "current": None, "ok": False}
        self.open: list[list] = []  # [name, t0, peak KiB so far, cpu0]
        self.peak = 0
        self.resettable = self._reset()
        self._save()

    def _reset(self) -> bool:
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            return True
        except OSError:
            return False

    def _checkpoint(self) -> None:
        """Fold the high-water mark since the last checkpoint into every open region; reset it."""
        hwm = _hwm_kib()
        self.peak = max(self.peak, hwm)
        for region in self.open:
            region[2] = max(region[2], hwm)
        if self.resettable:
            self._reset()

    def _save(self) -> None:
        self.doc["peak_mib"] = round(max(self.peak, _hwm_kib()) / 1024, 1)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.doc, indent=1))
        tmp.replace(self.path)

    @contextmanager
    def region(self, name: str):
        self._checkpoint()
        self.open.append([name, time.perf_counter(), 0, time.process_time()])
        self.doc["current"] = name
        self._save()
        try:
            yield
        finally:
            self._checkpoint()
            _, t0, peak, c0 = self.open.pop()
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            if name in self.doc["stages"]:  # a stage entered twice: times add up
                seconds += self.doc["stages"][name]["s"]
                cpu += self.doc["stages"][name]["cpu"]
                peak = max(peak, self.doc["stages"][name]["peak_mib"] * 1024)
            self.doc["stages"][name] = {"s": round(seconds, 4), "cpu": round(cpu, 3), "peak_mib": round(peak / 1024, 1)}
            self.doc["current"] = self.open[-1][0] if self.open else None
            self._save()

    def finish(self, **extra) -> None:
        self._checkpoint()
        self.doc.update(extra, ok=True, current=None)
        self._save()


#: What the pipeline calls for the uncertainty analysis (the names it imports; the sensitivity
#: analysis runs in the same call): `summarised` (the analysis or, with a warm cache, its entry:
#: rating.analysis_cache), `uncertainty` in code before it. Code before the one pass called
#: `sensitivity` apart: it is timed on its own where it exists.
UNCERTAINTY = ("experiment_from_scored", "summarised", "uncertainty")


def _wrap(module, name: str, rec: Recorder, region: str) -> None:
    """Time every call of `module.name` as `region` (if the module has it)."""
    original = getattr(module, name, None)
    if original is None:
        return

    def timed(*args, **kwargs):
        with rec.region(region):
            return original(*args, **kwargs)

    setattr(module, name, timed)


def recording_timer(base: type, rec: Recorder) -> type:
    """The pipeline's stage timer, also recording each stage as a region of `rec`."""

    class Timer(base):
        def stage(self, name: str):
            inner = base.stage(self, name)

            @contextmanager
            def both():
                with rec.region(name), inner:
                    yield

            return both()

    return Timer


def engine(data: Path, rec: Recorder, out: Path) -> dict:
    """The whole engine, `rating.run(data, out=...)`, with the time and peak memory of each stage.

    Stage names are the pipeline's own (`manifest.json` timings); within them, the indicator
    compiler (`compute_indicators`), the uncertainty analysis (every call of the functions in
    `UNCERTAINTY` the pipeline makes) and the sensitivity analysis are timed on their own.
    """
    from rating import pipeline, publish

    Timer = recording_timer(pipeline._Timer, rec)
    pipeline._Timer = Timer
    _wrap(pipeline, "compute_indicators", rec, "compute_indicators")
    for name in UNCERTAINTY:  # the publishing step (rating.publish) runs the uncertainty analysis
        _wrap(publish, name, rec, "uncertainty")
    _wrap(publish, "sensitivity", rec, "sensitivity")
    with rec.region("run"):
        result = pipeline.run(data, seed=0, out=out, force=True, as_of=AS_OF, replications=_replications())
    from indicators.db import memory_limit

    pages = len(list((out / "units").glob("*.html"))) if (out / "units").is_dir() else 0
    return {"unit_pages": pages, "unit_years": result.tables["scores"].height, "duckdb_memory_limit": memory_limit()}


def engine_stage(data: Path, rec: Recorder, out: Path) -> dict:
    """Load and indicators only (`rating.pipeline.stage`): the record stage of a run."""
    from indicators.framework_load import load_framework
    from rating import pipeline

    fw = load_framework()
    Timer = recording_timer(pipeline._Timer, rec)
    _wrap(pipeline, "compute_indicators", rec, "compute_indicators")
    with rec.region("run"):
        st = pipeline.stage(data, fw, AS_OF, Timer())
    return {"unit_years": st.indicators.select("unit_id", "year").unique().height}


def hand_written(module: str, function: str):
    """A case timing one hand-written implementation of the indicators over the data folder."""

    def case(data: Path, rec: Recorder, out: Path) -> dict:
        compute = getattr(importlib.import_module(module), function)
        with rec.region("run"):
            df = compute(data)
        return {"unit_years": df.height}

    return case


def demo(data: Path, rec: Recorder, out: Path) -> dict:
    """`rating demo`: generate the demo world (CSV) into `data` and rate it into `out`."""
    from rating.cli import main

    with rec.region("run"):
        extra = ["--replications", str(_replications())] if _replications() is not None else []
        code = main(["--quiet", "demo", "--out", str(out), "--data", str(data), "--force", *extra])
    if code:
        raise SystemExit(f"rating demo exited with {code}")
    return {"unit_pages": len(list((out / "units").glob("*.html")))}


def _replications() -> int | None:
    """`BENCH_REPLICATIONS` (set by the runner's --replications), else the framework's."""
    value = os.environ.get("BENCH_REPLICATIONS")
    return int(value) if value else None


CASES = {
    "engine": engine,
    "engine_stage": engine_stage,
    "duckdb": hand_written("benchmarks.handwritten", "duckdb_one_pass"),
    "polars": hand_written("benchmarks.handwritten", "polars_streaming"),
    "pandas": hand_written("benchmarks.pandas_impl", "pandas_indicators"),
    "demo": demo,
}


def main(argv: list[str]) -> int:
    case, data, result = argv[0], Path(argv[1]), Path(argv[2])
    out = Path(argv[3]) if len(argv) > 3 else result.parent / "out"
    rec = Recorder(result, case)
    extra = CASES[case](data, rec, out)
    rec.finish(**extra)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
