"""The Python API entry: run the whole pipeline on a data folder and return its tables.

Wires the stages (indicators -> rating -> models -> reports) and holds no logic of its own
beyond the order of the stages and what each gets.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import duckdb
import polars as pl

from indicators.db import record_stage_connection
from indicators.delivery import Delivery, read_delivery
from indicators.engines import open_engine
from indicators.errors import InputError, UsageError
from indicators.framework import Framework
from indicators.framework_load import load_framework
from indicators.load import write_quarantine
from indicators.mask import mask_column
from models import features as model_features
from models import risk as risk_model
from models import rules
from rating.version import __version__
from rating import heap
from rating.adjust import read_overrides
from reports.excel import write_workbook
from rating.migration import migration
from rating.outputs import atomic_dir, edition_tables, write_csv, write_duckdb, write_json
from rating.publish import RunTables, publish, rated_framework, with_outlook
from rating.score import score

log = logging.getLogger("rating")
OUTPUT_TABLES = ("scores", "indicators", "alerts", "risk")


@dataclass(frozen=True)
class Result:
    """A finished run: its tables as polars frames, its manifest, and where it was written."""

    tables: dict[str, pl.DataFrame]
    manifest: dict
    framework: Framework | None = None
    out: Path | None = None
    timings: dict = field(default_factory=dict)
    staged: "Staged | None" = field(default=None, repr=False)
    model: object = field(default=None, repr=False)  # the early-warning outcome: card, fitted model
    #: the framework as rated: `framework` without the indicators the data cannot compute
    #: (manifest "scope"); reports and the workbook show this one
    rated: Framework | None = field(default=None, repr=False)

    def __getattr__(self, name: str) -> pl.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def rerun(self, framework: str | Path | Framework | None = None, *, seed: int | None = None,
              out: str | Path | None = None, **options) -> "Result":
        """Run again with another framework, seed or option, from the first stage the change
        affects: records are re-read and indicators recomputed only when indicator definitions
        or lifecycle rules changed; weights, methods, grades and alerts reuse them.
        """
        if self.staged is None:
            raise ValueError("this result was loaded from disk: call rating.run on its data folder")
        fw = framework if framework is not None else self.framework
        p = self.manifest["parameters"]
        kw = {"as_of": self.staged.as_of, "lang": p["lang"], "audience": p["audience"],
              "replications": p["replications"], "engine": self.staged.engine["name"],
              "spark_master": self.staged.spark_master, "years": self.staged.years, **options}
        return run(self.staged.data, fw, self.manifest["seed"] if seed is None else seed, out, _staged=self.staged, **kw)

    def sql(self, query: str) -> pl.DataFrame:
        """Query the run's tables with DuckDB SQL; returns a polars frame."""
        con = duckdb.connect()
        for name, df in self.tables.items():
            if df.columns:  # SQL has no table without columns
                con.register(name, df.to_arrow())
        return con.sql(query).pl()

    def run_tables(self, framework: Framework | None = None) -> RunTables:
        """The tables of the run's report (reports.render.render), with the framework as rated
        and the masked failure records when the run was made here (not loaded from disk)."""
        fw = framework or self.rated or self.framework
        if fw is None:
            raise ValueError("this result was loaded from disk: pass the framework it was rated with")
        records = self.staged.records if self.staged is not None else None
        evidence = ({"contracts": self.staged.contracts, "complaints": self.staged.tickets}
                    if self.staged is not None else None)
        return RunTables.of(self.tables, framework=fw, manifest=self.manifest, records=records, model=self.model,
                            evidence=evidence)

    @classmethod
    def load(cls, out: str | Path) -> "Result":
        """Reopen a finished run from its output folder."""
        import json

        out = Path(out)
        con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        tables = {n: con.sql(f'SELECT * FROM "{n}"').pl() for n in names}
        con.close()
        return cls(tables=tables, manifest=json.loads((out / "manifest.json").read_text(encoding="utf-8")), out=out)


class _Timer:
    def __init__(self):
        self.timings: dict[str, float] = {}

    def stage(self, name: str):
        timer = self

        class _Ctx:
            def __enter__(self):
                log.info("%s ...", name)
                self.t0 = time.perf_counter()

            def __exit__(self, *exc):
                timer.timings[name] = round(time.perf_counter() - self.t0, 3)

        return _Ctx()


def definitions_key(fw: Framework) -> str:
    """What the record stage depends on: indicator definitions, applicability and lifecycle.
    Weights, methods, grades, vetoes and alerts can change without recomputing indicators."""
    parts = [(n.code, n.definition, n.kinds, n.levels) for n in fw.computed] + [fw.lifecycle, fw.model]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


@dataclass
class Staged:
    """The record stage's outcome, reusable while the indicator definitions stay the same.
    `engine` describes the engine that computed it (name, and for Spark the master it ran on);
    `spark_master` is the master asked for, used again when a rerun has to restage."""

    data: Path | str
    as_of: dt.date
    key: str
    loaded: object
    indicators: pl.DataFrame
    units: pl.DataFrame
    events: pl.DataFrame
    records: pl.DataFrame
    monthly: pl.DataFrame
    contracts: pl.DataFrame | None
    coverage: dict = field(default_factory=dict)  # per record table (indicators.coverage)
    engine: dict = field(default_factory=lambda: {"name": "duckdb"})
    spark_master: str | None = None
    years: tuple[int, ...] | None = None  # the years asked for (None: every year of unit_stats)
    tickets: pl.DataFrame | None = None  # tickets behind the ticket indicators (tickets_behind)


def data_location(data: str | Path) -> Path | str:
    """The data folder as the engines take it: a local path, or a URI kept as text
    (`hdfs://name/x`, `s3a://bucket/x`; the spark engine reads those, `Path` would drop a slash).

    >>> data_location("s3a://bucket/2025"), data_location("data/demo")
    ('s3a://bucket/2025', PosixPath('data/demo'))
    """
    if isinstance(data, PurePath) or not re.match(r"[A-Za-z][A-Za-z0-9+.-]+://", str(data)):
        return Path(data)
    return str(data)


def compute_indicators(engine, con: duckdb.DuckDBPyConnection, fw: Framework, present: set[str],
                       years: list[int] | None = None, coverage: dict | None = None) -> pl.DataFrame:
    """Every indicator of `fw` on `engine` (indicators.engines): the record stage's indicator
    step, named at module level so that a profiler can time it (benchmarks/child.py does)."""
    return engine.compute_indicators(con, fw, present, years, coverage=coverage)


def stage(data: Path | str, fw: Framework, as_of: dt.date, timer: "_Timer | None" = None,
          memory_limit: str | None = None, engine: str = "duckdb", spark_master: str | None = None,
          years: tuple[int, ...] | None = None) -> Staged:
    """Validate and load the data folder and compute every indicator, on `engine`
    (indicators.engines: `duckdb`, or `spark` on `spark_master`). The driver's DuckDB buffers
    stay within `memory_limit` (indicators.db), the rest on disk. For Spark the
    framework is checked for what the engine refuses before any session starts."""
    timer = timer or _Timer()
    with open_engine(engine, spark_master=spark_master, framework=fw) as eng, \
            record_stage_connection(memory_limit) as con:
        if not isinstance(data, Path) and eng.name != "spark":
            raise UsageError(f"data folder {data}: a URI is read by the spark engine only; "
                             "use --engine spark or a local folder")
        with timer.stage("load"):
            loaded = eng.load(data, con, as_of=as_of, lifecycle=fw.lifecycle)
        empty = [t for t in ("units", "unit_stats") if loaded.counts[t].accepted == 0]
        if empty:  # e.g. every row quarantined: nothing to rate is the input's fault, not a bug
            raise InputError(f"data folder {data} cannot be rated", problems=[
                f"{t}: no row accepted ({loaded.counts[t].quarantined:,} quarantined; see rating validate)" for t in empty])
        rated = None
        if years is not None:  # only the years asked for that unit_stats has
            have = sorted(r[0] for r in con.execute("SELECT DISTINCT year FROM unit_stats").fetchall())
            rated = [y for y in have if y in years]
            if not rated:
                raise InputError(f"data folder {data} cannot be rated", problems=[
                    f"unit_stats: no row in the years asked for ({min(years)}-{max(years)}); it has {have[0]}-{have[-1]}"])
        with timer.stage("indicators"):
            delivery = read_delivery(data) if isinstance(data, Path) else Delivery()
            coverage = eng.coverage(con, set(loaded.present), delivery)
            ind = compute_indicators(eng, con, fw, set(loaded.present), rated, coverage)
            units = con.sql("SELECT * FROM units ORDER BY unit_id").pl()
            events = risk_model.serious_events(con, fw)
            records = records_table(con, loaded.present)
            monthly = eng.monthly_tickets(con) if "complaints" in loaded.present else None
            contracts = con.sql("SELECT * FROM contracts").pl() if "contracts" in loaded.present else None
            # the tickets themselves are in DuckDB only with its engine (Spark reads them where they lie)
            in_duckdb = con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'complaints'").fetchall()[0][0]
            tickets = tickets_behind(con, fw, rated) if "complaints" in loaded.present and in_duckdb else None
        described = eng.describe()
    return Staged(data=data, as_of=as_of, key=definitions_key(fw), loaded=loaded, indicators=ind,
                  units=units, events=events, records=records, monthly=monthly, contracts=contracts,
                  coverage=coverage, engine=described, spark_master=spark_master, years=years, tickets=tickets)


#: Tickets kept per unit and indicator for the unit pages (reports.evidence shows ten).
TICKETS_PER_UNIT = 10


def tickets_behind(con: duckdb.DuckDBPyConnection, fw: Framework, rated) -> pl.DataFrame | None:
    """The first 12345 tickets (by time received) of each unit that count against it on each
    ticket share indicator in the last rated year - received late, unresolved, dissatisfied... -
    with the indicator's code in `indicator`: what the unit pages list (reports.evidence). At
    most TICKETS_PER_UNIT per unit and indicator, so the frame stays small at any scale."""
    from indicators.compute import condition_sql

    def holds(conds) -> str:
        return " AND ".join(f"COALESCE(({condition_sql(c)}), FALSE)" for c in conds) or "TRUE"

    last = max(rated) if rated else con.sql("SELECT max(year) FROM unit_stats").fetchall()[0][0]
    parts = []
    for n in fw.computed:
        d = n.definition
        if d is None or d.table != "complaints" or d.measure != "share":
            continue
        against = holds(d.numerator) if n.direction < 0 else f"NOT ({holds(d.numerator)})"
        date = d.date or "received_at"
        parts.append(f"SELECT r.*, '{n.code}' AS indicator FROM complaints r WHERE year(r.\"{date}\") = {int(last)} "
                     f"AND {holds(d.where)} AND {against} QUALIFY row_number() OVER (PARTITION BY r.unit_id "
                     f"ORDER BY r.\"{date}\", r.ticket_id) <= {TICKETS_PER_UNIT}")
    if not parts:
        return None
    return con.sql(" UNION ALL ".join(parts) + " ORDER BY indicator, unit_id, ticket_id").pl()


def rate(st: Staged, fw: Framework, seed: int, reps: int, timer: "_Timer | None" = None, ahead=None):
    """Rating (rating.publish) and early warning over staged indicators: every output table,
    the early-warning outcome, the framework as rated (without the indicators the data cannot
    compute) and the scope. `ahead` (`start()` and `pause()`), if given, works while a CPU is
    idle: while the scores are computed and from the early warning on, not while the Monte
    Carlo keeps both busy (a run creates the unit page files so: reports.page_files)."""
    timer = timer or _Timer()
    ind = st.indicators
    fw, scope = rated_framework(fw, ind, st.coverage, st.data)
    with timer.stage("rating"):
        if ahead is not None:
            ahead.start()
        scored = score(ind, st.units, fw)
        if ahead is not None:
            ahead.pause()
        pub = publish(scored, ind, fw, seed=seed, replications=reps,
                      overrides=read_overrides(st.data, fw, scored.keys), records=st.records)
        scores = pub.scores
    with timer.stage("early_warning"):
        if ahead is not None:
            ahead.start()
        # region_id (the contract's declared relation) tells the model which departments are a region's
        peers = scores.join(st.units.select("unit_id", "kind", "level", *(["region_id"] if "region_id" in st.units.columns else [])),
                            on="unit_id", how="left")
        rule_alerts = rules.evaluate(ind, fw, scores=peers, monthly=st.monthly, records=st.records, contracts=st.contracts)
        feat = model_features.build_features(ind, fw, scores=peers, alerts=rule_alerts)
        ew = risk_model.early_warning(feat, st.events, fw, seed=seed, alerts=rule_alerts)
        alerts, risk = ew.alerts, ew.risk
    tables = {"scores": with_outlook(scores, alerts, fw), "indicators": pub.indicators, "alerts": alerts, "risk": risk,
              "units": st.units, "alert_levels": ew.levels, "explanations": ew.explanations,
              "model_backtest": ew.backtest, "sensitivity": pub.sensitivity, "treated_points": pub.treated,
              **{f"audit_{k}": v for k, v in pub.audit.items()}}
    # optional tables (sensitivity off, no treatment) are left out rather than kept as frames without columns
    return {k: v for k, v in tables.items() if v is not None and v.width > 0}, ew, fw, scope


def _portable(path, data) -> str:
    """A file as the manifest names it: relative to the data folder when inside it, else by its
    name alone; never a path of the machine that ran (the manifest travels with the run)."""
    p = PurePath(str(path))
    if isinstance(data, Path):
        try:
            return Path(str(path)).absolute().relative_to(data.absolute()).as_posix()
        except ValueError:
            pass
    return p.name


def manifest_of(st: Staged, fw: Framework, tables: dict, *, seed: int, reps: int, lang: str, audience: str,
                scope: dict | None = None) -> dict:
    """What the run was (software, framework, parameters, inputs by checksum, output counts), with
    files named relative to the data folder; the public edition counts its rule alerts only."""
    loaded = st.loaded
    fiscal = getattr(loaded, "fiscal", None)
    alerts = tables["alerts"]
    if audience != "internal" and "source" in alerts.columns:
        alerts = alerts.filter(pl.col("source") == "rule")
    return {
        "software": "integrity-rating", "version": __version__, "seed": seed,
        "framework": {"path": _portable(fw.source, st.data), "sha256": fw.sha256, "code": fw.code, "version": fw.version},
        "parameters": {"as_of": st.as_of.isoformat(), "replications": reps, "lang": lang, "audience": audience},
        "engine": st.engine,
        "inputs": {t: {"file": _portable(loaded.files[t], st.data), "sha256": loaded.sha256[t], "encoding": loaded.encodings.get(t),
                       "rows_read": loaded.counts[t].read, "rows_accepted": loaded.counts[t].accepted,
                       "rows_quarantined": loaded.counts[t].quarantined} for t in loaded.present},
        "outputs": {"units": tables["units"].height, "unit_years": tables["scores"].height,
                    "indicators": len(fw.indicators), "alerts": alerts.height,
                    "overrides": tables["scores"]["override"].drop_nulls().len()},
        "coverage": st.coverage,
        "scope": scope or {},
        **({"fiscal_capacity": fiscal} if fiscal and "debt" in loaded.present else {}),
    }


def run(data: str | Path, framework: str | Path | Framework | None = None, seed: int = 0,
        out: str | Path | None = None, *, as_of: dt.date | None = None, force: bool = False,
        lang: str = "zh", audience: str = "internal", replications: int | None = None,
        memory_limit: str | None = None, engine: str = "duckdb", spark_master: str | None = None,
        years=None, _staged: Staged | None = None) -> Result:
    """Rate every unit of the data folder `data`; write the run outputs to `out` if given.

    `memory_limit` bounds DuckDB's buffers in the record stage (e.g. '4GB'; default
    $RATING_MEMORY_LIMIT, else indicators.db.DEFAULT_MEMORY_LIMIT); beyond it DuckDB keeps data in
    the temporary directory.

    `engine` computes the indicators: `duckdb` (embedded, the default) or `spark`, which reads
    the record tables as Parquet from `data` (a folder or a URI such as `hdfs://...`) on the
    Spark master `spark_master` (default: the one spark-submit was given, else `local[*]`; an
    active session is used as it is). Rating, early warning and reports run on this machine
    either way (docs/spark.md).

    `years` (e.g. `range(2019, 2026)`) rates only those years; default: every year of unit_stats.

    Examples
    --------
    >>> import rating, tempfile, pathlib
    >>> from indicators.synth import generate
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     d = pathlib.Path(tmp) / "data"
    ...     _ = generate(d, seed=1, years=(2022, 2024), complaints=20_000)
    ...     result = rating.run(d, replications=20)
    >>> result.scores.columns[:7]
    ['unit_id', 'year', 'score', 'rank', 'rank_low', 'rank_high', 'grade']
    """
    fw = framework if isinstance(framework, Framework) else load_framework(framework)
    as_of = as_of or dt.date.today()
    reps = int(replications if replications is not None else fw.uncertainty["replications"])
    timer = _Timer()
    if spark_master is not None and engine != "spark":
        raise UsageError(f"a Spark master ({spark_master}) applies to the spark engine only, not to {engine}")
    data = data_location(data)
    years = tuple(sorted({int(y) for y in years})) if years is not None else None
    reuse = _staged is not None and _staged.key == definitions_key(fw) and _staged.as_of == as_of \
        and _staged.data == data and _staged.engine["name"] == engine and _staged.spark_master == spark_master \
        and _staged.years == years
    with heap.kept():  # freed memory is reused by the run rather than mapped and zeroed again
        st = _staged if reuse else stage(data, fw, as_of, timer, memory_limit, engine, spark_master, years)

        def rated_result(ahead=None) -> Result:
            tables, ew, rated, scope = rate(st, fw, seed, reps, timer, ahead)
            manifest = manifest_of(st, fw, tables, seed=seed, reps=reps, lang=lang, audience=audience, scope=scope)
            return Result(tables=tables, manifest=manifest, framework=fw, out=Path(out) if out is not None else None,
                          timings=timer.timings, staged=st, model=ew, rated=rated)

        if out is None:
            return rated_result()
        from reports.page_files import reserved_pages

        # the output folder is prepared first (a folder that may not be replaced fails before the
        # rating), and the unit pages' files are created in it on an idle CPU as the run rates
        with atomic_dir(Path(out), force=force) as tmp, \
                reserved_pages(tmp, st.units["unit_id"], start=False) as reserved:
            result = rated_result(ahead=reserved)
            write_run(result, tmp, st.loaded, st.records, timer, lang=lang, audience=audience, reserved=reserved)
    return result


def records_table(con: duckdb.DuckDBPyConnection, present) -> pl.DataFrame:
    """Failure records with their lifecycle flags, for evidence in the reports."""
    if "failure_records" not in present:
        return pl.DataFrame()
    return mask_column(con.sql(
        "SELECT record_id, unit_id, category, severity, occurred_on, amount, status, status_changed_on, "
        "description, counting, pending, weight FROM stg_failure_records ORDER BY unit_id, occurred_on, record_id"
    ).pl())


def write_run(result: Result, tmp: Path, loaded, records: pl.DataFrame, timer: _Timer, *, lang: str, audience: str,
              reserved=None) -> None:
    """All run outputs into the folder `tmp` (`rating.outputs.atomic_dir`: it replaces OUT when
    complete); `reserved`: unit page files created ahead (reports.page_files)."""
    from reports.datafiles import present
    from reports.render import render

    tables = edition_tables(result.tables, result.rated, audience)  # public: no model output in any file
    with ThreadPoolExecutor(2) as pool:  # leaving waits for the workbook and the DuckDB file
        # the workbook and the DuckDB file are written on threads while the CSV files and the
        # reports are written: their work (polars, zlib, DuckDB) runs outside the GIL; `excel`
        # times what the run still waits for the workbook
        book = pool.submit(write_workbook, tables, result.rated, result.manifest, tmp / "rating.xlsx", lang=lang)
        db = pool.submit(write_duckdb, tables, tmp / "results.duckdb")
        (tmp / "audit").mkdir()
        for name, df in tables.items():
            if name.startswith("audit_"):
                write_csv(df, tmp / "audit" / f"{name.removeprefix('audit_')}.csv")
        for name in (n for n in OUTPUT_TABLES if n in tables):
            cols = {"alerts": ["unit_id", "year", "level", "source", "rule", "message", "status", "origin_unit_id",
                               "message_en", "evidence", "evidence_text", "evidence_text_en", "action", "action_en",
                               "owner", "owner_en", "follow_up", "held_until"],
                    "indicators": ["unit_id", "year", "indicator", "value", "normalised", "numerator",
                                   "denominator", "outside_coverage", "estimate", "thin"]}.get(name)
            df = tables[name]
            write_csv(df.select(cols) if cols else df, tmp / f"{name}.csv")
        write_csv(migration(result.tables["scores"], [g.code for g in result.rated.grades]), tmp / "migration.csv")
        write_quarantine(loaded, tmp)
        with timer.stage("reports"):
            st = result.staged if audience == "internal" else None  # record-level rows: internal only
            evidence = {"contracts": st.contracts, "complaints": st.tickets} if st is not None else None
            # index.html links the data files: those written so far and those written below (the
            # workbook among them whether or not its thread has finished)
            later = ["rating.xlsx", "results.duckdb", "manifest.json"]
            later += ["model/card.json", "model/backtest.csv"] if result.model is not None \
                and audience == "internal" else []
            render(tmp, RunTables.of(tables, framework=result.rated, manifest=result.manifest,
                                     records=records, model=result.model, evidence=evidence),
                   lang=lang, audience=audience, files=[*(f for f in present(tmp) if f not in later), *later],
                   reserved=reserved)
        with timer.stage("excel"):
            book.result()
        if result.model is not None and audience == "internal":
            (tmp / "model").mkdir()
            write_json(result.model.card, tmp / "model" / "card.json")
            write_csv(result.model.backtest, tmp / "model" / "backtest.csv")
        db.result()
        write_json({**result.manifest, "timings": timer.timings}, tmp / "manifest.json")
