"""The `rating` command line: wires the stages and maps every engine error to one line and an
exit code (see the README). No traceback reaches the user unless --debug is given."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import sys
from pathlib import Path

from indicators.errors import EngineError, UsageError
from indicators.examples import NAMES as EXAMPLE_NAMES
from rating.aggregate import AGGREGATORS
from rating.coinr import DATA_WEIGHTS
from rating.impute import IMPUTERS
from rating.normalise import NORMALISERS
from rating.treat import TREATMENTS

# the exit codes of the command line itself; each engine error carries its own (indicators.errors)
NOT_RATED = 1  # rating validate: the data cannot be rated
INTERNAL = 70  # a bug: any exception that is not an engine error
INTERRUPTED = 130  # Ctrl-C


def _errors(cls=EngineError):
    yield cls
    for sub in cls.__subclasses__():
        yield from _errors(sub)


def epilog() -> str:
    """Every exit code, from the engine's error classes and the command line's own codes.

    >>> epilog()
    'Exit codes: 0 ok; 1 data cannot be rated (validate), other engine error; 2 usage, engine unavailable; 3 input; 4 framework; 5 output; 6 method; 7 resource; 70 internal error; 130 interrupted.'
    """
    codes = {0: ["ok"], NOT_RATED: ["data cannot be rated (validate)"]}
    for cls in _errors():
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__.removesuffix("Error")).lower()
        codes.setdefault(cls.exit_code, []).append("other engine error" if cls is EngineError else words)
    codes.update({INTERNAL: ["internal error"], INTERRUPTED: ["interrupted"]})
    return "Exit codes: " + "; ".join(f"{c} {', '.join(codes[c])}" for c in sorted(codes)) + "."


def _methods(registry) -> str:
    """A registry's methods for an option's help (argparse formats `%` itself)."""
    return registry.help.replace("%", "%%")


def _years(text: str) -> tuple[int, int]:
    a, _, b = text.partition("-")
    try:
        lo, hi = int(a), int(b or a)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year range like 2019-2025") from None
    if lo > hi:
        raise argparse.ArgumentTypeError(f"{text!r}: the first year is after the last")
    return lo, hi


def _count(text: str) -> int:
    """A whole number >= 0 (seeds, replications, row counts)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative; expected 0 or more")
    return n


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    p.add_argument("--framework", type=Path, help="framework TOML file (default: the shipped Guangdong framework)")
    p.add_argument("--seed", type=_count, default=0, help="seed of the uncertainty analysis and models (default 0)")
    p.add_argument("--force", action="store_true", help="replace an existing run in --out")
    p.add_argument("--as-of", type=_date, help="run date for date checks (default: today)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language (default zh)")
    p.add_argument("--audience", choices=("internal", "public"), default="internal",
                   help="internal: everything; public: what a third party publishes")
    p.add_argument("--replications", type=_count, help="uncertainty replications (default: the framework's)")
    p.add_argument("--years", type=_years, metavar="FIRST-LAST",
                   help="rate only these years, e.g. 2019-2025 or 2024 (default: every year of unit_stats)")
    _memory_option(p)
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="where the indicators are computed: duckdb (embedded, default) or spark, which reads the "
                        "record tables as Parquet, from a folder or a URI such as hdfs://... (docs/spark.md)")
    p.add_argument("--spark-master", metavar="URL",
                   help="Spark master for --engine spark, e.g. local[4], spark://host:7077, yarn "
                        "(default: the master spark-submit was given, else local[*])")


def _memory_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--memory-limit", metavar="SIZE",
                   help="DuckDB's memory for the record tables, e.g. 4GB; the rest stays on disk under $TMPDIR "
                        "(default: $RATING_MEMORY_LIMIT, else 1GB)")


def _global_options(p: argparse.ArgumentParser, top: bool) -> None:
    """--debug, --quiet and --verbose, accepted before the command and after it: a command's
    copy has no default, so it never hides what was given before the command."""
    default = False if top else argparse.SUPPRESS
    p.add_argument("--debug", action="store_true", default=default, help="show tracebacks")
    p.add_argument("--quiet", action="store_true", default=default,
                   help="only errors: no summary, report or warning; the exit code tells the outcome")
    p.add_argument("--verbose", action="store_true", default=default, help="log every stage")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rating", description="Government integrity (政务诚信) rating and risk early warning.", epilog=epilog())
    _global_options(p, top=True)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("demo", help="generate the default synthetic Guangdong world and rate it",
                       description="Generate the embedded default data set (synthetic Guangdong world, demo scale) "
                                   "into --data (default data/demo) and run the whole pipeline on it, writing the run to --out.")
    _run_options(d)
    d.add_argument("--data", type=Path, default=Path("data/demo"), help="where to write the generated data (default: data/demo)")

    r = sub.add_parser("run", help="rate a data folder", description="Validate, compute indicators, rate, warn and report.")
    r.add_argument("data", help="data folder in the input contract (with --engine spark also a URI, e.g. hdfs://...)")
    _run_options(r)

    s = sub.add_parser("synth", help="generate a synthetic Guangdong world",
                       description="Write a data folder in the input contract plus _truth/ with the generator's ground truth.")
    s.add_argument("--out", type=Path, required=True, help="data folder to write")
    s.add_argument("--seed", type=_count, default=2017)
    s.add_argument("--years", type=_years, default=(2019, 2025), help="year range, e.g. 2019-2025")
    s.add_argument("--scale", choices=("demo", "province", "large"), default="demo")
    s.add_argument("--complaints", type=_count, help="total complaint rows (default: by scale)")
    s.add_argument("--format", choices=("csv", "parquet"), help="file format (default: csv at demo scale, else parquet)")

    i = sub.add_parser("init", help="create a project folder: framework, input templates and a README",
                       description="Create DIR with framework.toml (the default framework, to edit), data/ (a CSV "
                                   "template per input table), templates/ (the same as XLSX) and README.md.")
    i.add_argument("dir", type=Path, help="the project folder to create (must be empty or new)")
    i.add_argument("--force", action="store_true", help="write into a non-empty folder (replaces only the files init writes)")

    x = sub.add_parser("example", help="write a real data set as a data folder, to rate with `rating run`",
                       description="guangdong-debt: Guangdong's 21 cities, statutory debt and revenue 2018-2025, "
                                   "from public government figures (fiscal dimension only).")
    x.add_argument("name", choices=EXAMPLE_NAMES, help="the example to write")
    x.add_argument("dir", type=Path, help="the data folder to create (must be empty or new)")
    x.add_argument("--force", action="store_true", help="write into a non-empty folder (replaces only the example's files)")

    v = sub.add_parser("validate", help="check a data folder and summarise what would be rated",
                       description="Run only the input stage and report, per table, the rows read, accepted and "
                                   "quarantined, the years and units covered; which indicators and dimensions of the "
                                   "framework can be computed; figures that jump by more than half from one year to "
                                   "the next (a warning). Exit 0 when the data can be rated, 1 when it cannot (no unit "
                                   "or no indicator to rate, or a table the framework requires for publication absent).")
    v.add_argument("data", type=Path)
    v.add_argument("--as-of", type=_date)
    v.add_argument("--out", type=Path, help="also write quarantined rows to OUT/quarantine/")
    v.add_argument("--framework", type=Path, help="framework TOML file (default: the shipped Guangdong framework)")
    _memory_option(v)

    c = sub.add_parser("score", help="score indicator tables in COINr's iData/iMeta format",
                       description="Treat, impute, normalise, weight and aggregate iData through the hierarchy of iMeta "
                                   "(COINr's format); iMeta columns Normalise/Aggregate/Impute override per indicator or group.")
    c.add_argument("idata", type=Path, help="iData (CSV or XLSX): uCode, optional uName and Time, one column per indicator")
    c.add_argument("imeta", type=Path, help="iMeta (CSV or XLSX): iCode, iName, Level, Parent, Weight, Direction, Type")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--force", action="store_true", help="replace an existing result in --out")
    c.add_argument("--normalise", default="minmax:0,100", metavar="METHOD[:PARAMS]",
                   help=f"{_methods(NORMALISERS)} (default %(default)s)")
    c.add_argument("--aggregate", default="arithmetic", metavar="METHOD[:PARAMS]",
                   help=f"{_methods(AGGREGATORS)} (default %(default)s)")
    c.add_argument("--treat", default="none", metavar="METHOD[:PARAMS]",
                   help=f"{_methods(TREATMENTS)} (default %(default)s)")
    over_time = " and ".join(name for name, m in IMPUTERS.items() if m.data_args == 3)  # need units and times
    c.add_argument("--impute", default="none", metavar="METHOD[:PARAMS]",
                   help=f"{_methods(IMPUTERS)} (default %(default)s; {over_time} need a Time column)")
    c.add_argument("--weights", default="imeta", help=f"imeta (default), {', '.join(DATA_WEIGHTS)}, ahp:FILE")
    c.add_argument("--data-threshold", type=float, metavar="FRACTION", help="minimum share of available children")
    c.add_argument("--normalise-over", choices=("time", "pooled"), default="time",
                   help="with a Time column: time (default, COINr's way) treats and normalises each time point on "
                        "its own; pooled treats and normalises all time points together, so that scores compare "
                        "across years (as rating run's default). Aggregation and ranks are per time point either way")
    c.add_argument("--uncertainty", type=_count, default=0, metavar="N",
                   help="Monte Carlo replications over weights (x U(0.75,1.25)) and imputation; adds rank_low, rank_median, rank_high")
    c.add_argument("--seed", type=_count, default=0, help="seed of the uncertainty analysis (default 0)")
    c.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language (default zh)")

    e = sub.add_parser("explain", help="show an indicator value and the records behind it",
                       description="Print the value, numerator and denominator of one indicator and list its records.")
    e.add_argument("unit_id")
    e.add_argument("indicator")
    e.add_argument("--year", type=int, required=True)
    e.add_argument("--data", type=Path, required=True, help="data folder")
    e.add_argument("--framework", type=Path)
    e.add_argument("--as-of", type=_date)
    e.add_argument("--limit", type=_count, default=50, help="records to list (default 50; 0 = all)")
    _memory_option(e)
    for command in sub.choices.values():
        _global_options(command, top=False)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from rating.progress import reset_logging, setup_logging

    setup_logging(quiet=args.quiet, verbose=args.verbose, debug=args.debug)
    try:
        return _dispatch(args)
    finally:  # called in-process (tests, notebooks), a command leaves no logging or quiet state behind
        reset_logging()


def _dispatch(args) -> int:
    """Run the command; map every error to one line and an exit code."""
    try:
        if not args.quiet:
            return COMMANDS[args.command](args)
        with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):  # errors only
            return COMMANDS[args.command](args)
    except EngineError as err:
        if args.debug:
            raise
        print(f"rating: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("rating: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as err:  # a bug, not bad input: say so in one line
        if args.debug:
            raise
        print(f"rating: internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)", file=sys.stderr)
        return INTERNAL


def cmd_demo(args) -> int:
    from indicators.synth import generate

    _check_engine(args)
    # the spark engine reads record tables as Parquet only
    generate(args.data, scale="demo", fmt="parquet" if args.engine == "spark" else None)
    return cmd_run(args)


def cmd_run(args) -> int:
    import rating

    _check_engine(args)
    result = rating.run(args.data, args.framework, seed=args.seed, out=args.out, as_of=args.as_of, force=args.force,
                        lang=args.lang, audience=args.audience, replications=args.replications,
                        memory_limit=args.memory_limit, engine=args.engine, spark_master=args.spark_master,
                        years=_year_list(args.years))
    _summary(result)
    return 0


def _year_list(years: tuple[int, int] | None) -> list[int] | None:
    return None if years is None else list(range(years[0], years[1] + 1))


def _check_engine(args) -> None:
    if args.spark_master is not None and args.engine != "spark":
        raise UsageError(f"--spark-master {args.spark_master}: applies to --engine spark only")


def _summary(result) -> None:
    """Units and years rated, the latest year's grades (best first, then the units without a
    grade), alerts, and the scope: dimensions covered and whether the result is official."""
    s = result.tables["scores"]
    first, latest = s["year"].min(), s["year"].max()
    counts = dict(s.filter(s["year"] == latest)["grade"].value_counts().iter_rows())
    order = [g.code for g in result.framework.grades] if result.framework is not None else []
    order += sorted(g for g in counts if g is not None and g not in order)
    dist = [f"{g}: {counts[g]}" for g in order if counts.get(g)]
    dist += [f"not rated: {counts[None]}"] if counts.get(None) else []
    years = f"{first}-{latest}" if first != latest else f"{latest}"
    alerts = result.tables["alerts"]
    watch = int((alerts["status"] == "watch").sum()) if "status" in alerts.columns else 0
    watched = f" and {watch} on the watch list" if watch else ""
    print(f"rated {s['unit_id'].n_unique()} units over {s['year'].n_unique()} years ({years}); {latest}: {', '.join(dist)}; "
          f"{alerts.height - watch} alerts{watched} -> {result.out}/index.html")
    scope = result.manifest.get("scope")
    if scope:
        print(scope_line(scope))


def scope_line(scope: dict) -> str:
    """The manifest's scope in one line.

    >>> scope_line({"covered": ["fiscal"], "not_covered": ["lawful"], "covered_weight": 0.25,
    ...             "official": False, "reason_en": "too little weight", "reason_zh": "权重不足"})
    'scope: covered fiscal (25% of the index weight); not covered lawful; not official: too little weight'
    """
    weight = scope.get("covered_weight")
    parts = [f"covered {', '.join(scope['covered']) or 'nothing'}"
             + (f" ({weight:.0%} of the index weight)" if weight is not None else "")]
    if scope.get("not_covered"):
        parts.append(f"not covered {', '.join(scope['not_covered'])}")
    parts.append("official result" if scope.get("official")
                 else f"not official: {scope.get('reason_en') or scope.get('reason_zh') or 'see the manifest'}")
    return "scope: " + "; ".join(parts)


def cmd_synth(args) -> int:
    from indicators.errors import OutputError
    from indicators.synth import generate

    if args.out.exists() and not args.out.is_dir():
        raise OutputError(f"{args.out}: exists and is not a folder; choose another --out")

    summary = generate(args.out, seed=args.seed, years=args.years, scale=args.scale,
                       complaints=args.complaints, fmt=args.format)
    rows = ", ".join(f"{t} {n:,}" for t, n in summary.get("rows", {}).items())
    print(f"wrote {args.out}: {rows}")
    return 0


def cmd_validate(args) -> int:
    import logging

    from indicators.coverage import table_coverage
    from indicators.db import record_stage_connection
    from indicators.delivery import read_delivery
    from indicators.errors import InputError
    from indicators.framework_load import load_framework
    from indicators.load import load, write_quarantine
    from rating.inspect import inspect, jump_lines, report

    fw = load_framework(args.framework)
    with record_stage_connection(args.memory_limit) as con:
        try:
            loaded = load(args.data, con, as_of=args.as_of or dt.date.today(), lifecycle=fw.lifecycle)
        except InputError as err:
            print(f"rating: cannot rate {args.data}:\n{err}", file=sys.stderr)
            return NOT_RATED
        coverage = table_coverage(lambda queries: [con.sql(q).pl() for q in queries], set(loaded.present),
                                  read_delivery(args.data))
        found = inspect(con, loaded, fw, coverage)
    print(report(found, fw))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        write_quarantine(loaded, args.out)
    if found.jumps.height:  # kept, not quarantined: a real change is possible, a typo likelier
        log = logging.getLogger("rating")
        log.warning(f"rating: warning: {found.jumps.height} figure(s) change by more than half from one year to "
                    "the next; check them against the source:")
        for line in jump_lines(found.jumps):
            log.warning(f"  {line}")
    if found.problems:
        print(f"rating: cannot rate {args.data}: {'; '.join(found.problems)}", file=sys.stderr)
        return NOT_RATED
    return 0


def cmd_explain(args) -> int:
    import polars as pl
    from indicators.compute import compute_indicators
    from indicators.db import record_stage_connection
    from indicators.coverage import coverage_text, table_coverage
    from indicators.delivery import read_delivery
    from indicators.explain import records_behind
    from indicators.framework_load import load_framework
    from indicators.load import load
    from rating.explain import explain_lines, records_display

    fw = load_framework(args.framework)
    try:
        node = fw.node(args.indicator)
    except KeyError:
        raise UsageError(f"unknown indicator {args.indicator!r}; see the framework for the codes") from None
    with record_stage_connection(args.memory_limit) as con:
        loaded = load(args.data, con, as_of=args.as_of or dt.date.today(), lifecycle=fw.lifecycle)
        coverage = table_coverage(lambda queries: [con.sql(q).pl() for q in queries], set(loaded.present),
                                  read_delivery(args.data))  # as a run has it: the value is the run's
        ind = compute_indicators(con, fw, set(loaded.present), years=[args.year], coverage=coverage)
        row = ind.filter((pl.col("unit_id") == args.unit_id) & (pl.col("indicator") == args.indicator))
        if row.is_empty():
            raise UsageError(f"{args.unit_id} {args.year}: indicator {args.indicator!r} does not apply or the unit is unknown")
        r = row.row(0, named=True)
        print(f"{args.unit_id} {args.year} {node.code} ({node.name_zh} / {node.name_en})")
        print("\n".join(explain_lines(node, r["numerator"], r["denominator"], r["value"])))
        if r.get("outside_coverage"):
            table = node.definition.table
            print(f"  outside the coverage of {table} ({coverage_text(coverage[table], 'en')}): missing, not zero")
        recs = records_behind(con, fw, set(loaded.present), args.unit_id, args.indicator, args.year)
    print(f"  records: {recs.height}")
    with pl.Config(tbl_rows=args.limit if args.limit else -1, tbl_cols=-1, tbl_width_chars=1000):  # no cell wraps
        print(records_display(recs.head(args.limit) if args.limit else recs, node.definition.table))
    return 0


def cmd_init(args) -> int:
    from rating.scaffold import init_project

    written = init_project(args.dir, force=args.force)
    print(f"created {args.dir}: {len(written)} files; fill in {args.dir / 'data'}, then: "
          f"rating run {args.dir / 'data'} --framework {args.dir / 'framework.toml'} --out {args.dir / 'out'}")
    return 0


def cmd_example(args) -> int:
    from indicators.examples import write_example

    written = write_example(args.name, args.dir, force=args.force)
    print(f"wrote {args.dir}: {len(written)} files; rate it: rating run {args.dir} --out OUT")
    return 0


def cmd_score(args) -> int:
    import dataclasses

    import polars as pl
    from rating.coinr import read_idata, read_imeta, score_tables, write_score_outputs
    from rating.outputs import atomic_dir
    from rating.uncertainty import experiment_from_tables, uncertainty
    from reports.coinr import render_coinr

    idata, imeta = read_idata(args.idata), read_imeta(args.imeta)
    opts = dict(normalise=args.normalise, aggregate=args.aggregate, treat=args.treat, impute=args.impute,
                data_threshold=args.data_threshold, normalise_over=args.normalise_over)
    result = score_tables(idata, imeta, weights=args.weights, **opts)
    if args.uncertainty > 0:
        w = None if args.weights == "imeta" else dict(zip(result.weights["iCode"], result.weights["weight"]))
        unc = uncertainty(experiment_from_tables(idata, imeta, **opts, weights=w), args.uncertainty, args.seed).summary
        keys = [c for c in ("uCode", "Time") if c in unc.columns]
        result = dataclasses.replace(result, scores=result.scores.join(
            unc.select(*keys, "rank_low", "rank_median", "rank_high"), on=keys, how="left"))
    if "uName" in idata.columns:  # names travel with the codes into scores.csv
        keys = [c for c in ("uCode", "Time") if c in result.scores.columns]
        named = result.scores.join(idata.select(*keys, "uName"), on=keys, how="left")
        result = dataclasses.replace(result, scores=named.select("uCode", "uName", pl.exclude("uCode", "uName")))
    with atomic_dir(args.out, force=args.force, mark="scores.csv") as tmp:
        write_score_outputs(result, tmp)
        render_coinr(tmp, result, lang=args.lang, idata=idata, imeta=imeta)
    s = result.scores
    times = s["Time"].n_unique() if "Time" in s.columns else 1
    what = (f"{s['uCode'].n_unique()} units over {times} time points ({s.height} unit-years)" if times > 1
            else f"{s.height} units")
    print(f"scored {what} -> {args.out}/scores.csv and {args.out}/index.html")
    return 0


COMMANDS = {"demo": cmd_demo, "init": cmd_init, "score": cmd_score, "run": cmd_run, "synth": cmd_synth, "validate": cmd_validate, "explain": cmd_explain,
            "example": cmd_example}

if __name__ == "__main__":
    sys.exit(main())
