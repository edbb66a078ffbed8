"""Validity of the published scores against the synthetic world's latent integrity.

`python -m models.validity --seeds 101 102 103 104 105 --out models/VALIDITY.md` generates each
world (demo scale, 2019-2025, nuisance factors on), rates it with the shipped pipeline
(`rating.run`) and compares, per peer group (kind x level), the published scores with the
generator's latent integrity, side by side with a plain reference: an equal-weight composite of
five core indicators z-scored within peer group and year. It also audits the indicators
(internal consistency, near-duplicates, coverage, flat scales). The truth is read here, for
evaluation only. Every figure comes from a pure function of frames, tested on hand-made frames.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from indicators.errors import EngineError, FrameworkError
from indicators.framework import Framework
from models import validity_audit as audit
from models import validity_ceiling as ceiling
from models.validity_report import render

#: Peer groups (kind, level, label) in report order; the province is alone in its group.
GROUPS = (("region", "city", "city governments"), ("region", "county", "county governments"),
          ("department", "city", "city departments"), ("department", "county", "county departments"))
#: The plain reference: five core indicators and the direction in which each is better.
REFERENCE = {"complaint_ontime_rate": 1, "satisfaction_rate": 1, "repeat_complaint_rate": -1,
             "failure_weighted_per_100_staff": -1, "contract_ontime_rate": 1}
YEARS = (2019, 2025)
AS_OF = dt.date(YEARS[1] + 1, 6, 30)  # the run date: 30 June after the last year
DEFAULT_SEEDS = (101, 102, 103, 104, 105)
KEY = ["unit_id", "year"]


# ---------------------------------------------------------------- frames


def peer_groups(units: pl.DataFrame) -> pl.DataFrame:
    """unit_id, group (label of GROUPS; null for the province), region_id."""
    label = pl.lit(None, pl.String)
    for kind, level, name in reversed(GROUPS):
        label = pl.when((pl.col("kind") == kind) & (pl.col("level") == level)).then(pl.lit(name)).otherwise(label)
    return units.select("unit_id", label.alias("group"), "region_id")


def truth(latent: pl.DataFrame, units: pl.DataFrame, staff: pl.DataFrame) -> pl.DataFrame:
    """unit_id, year, own (the unit's latent) and covered (for a region: the staff-weighted mean
    latent of the region and its departments, whose records its values include; own otherwise).

    >>> u = pl.DataFrame({"unit_id": ["R", "R-A", "S"], "kind": ["region", "department", "region"],
    ...                   "region_id": ["R", "R", "S"]})
    >>> lat = pl.DataFrame({"unit_id": ["R", "R-A", "S"], "year": [1, 1, 1], "latent": [1.0, -1.0, 0.5]})
    >>> st = pl.DataFrame({"unit_id": ["R", "R-A", "S"], "year": [1, 1, 1], "staff": [300.0, 100.0, 10.0]})
    >>> truth(lat, u, st).sort("unit_id").rows()
    [('R', 1, 1.0, 0.5), ('R-A', 1, -1.0, -1.0), ('S', 1, 0.5, 0.5)]
    """
    lat = latent.join(staff, on=KEY, how="left").join(units.select("unit_id", "kind", "region_id"), on="unit_id")
    covered = lat.group_by("region_id", "year").agg(
        ((pl.col("latent") * pl.col("staff")).sum() / pl.col("staff").sum()).alias("covered"))
    return (lat.join(covered.rename({"region_id": "unit_id"}), on=KEY, how="left")
            .select("unit_id", "year", pl.col("latent").alias("own"),
                    pl.when(pl.col("kind") == "region").then(pl.col("covered")).otherwise(pl.col("latent"))
                    .alias("covered")))


def reference_composite(indicators: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """unit_id, year, reference: the mean of the available REFERENCE indicators' raw values,
    each z-scored within peer group and year and signed so that higher is better (null where a
    group-year has fewer than two values or no spread).

    >>> ind = pl.DataFrame({"unit_id": ["a", "b", "a", "b"], "year": [1] * 4,
    ...                     "indicator": ["satisfaction_rate"] * 2 + ["repeat_complaint_rate"] * 2,
    ...                     "value": [0.9, 0.7, 0.1, 0.3]})
    >>> g = pl.DataFrame({"unit_id": ["a", "b"], "group": ["x", "x"]})
    >>> reference_composite(ind, g).sort("unit_id")["reference"].round(4).to_list()
    [0.7071, -0.7071]
    """
    z = (indicators.filter(pl.col("indicator").is_in(list(REFERENCE)) & pl.col("value").is_not_null())
         .join(groups.select("unit_id", "group"), on="unit_id")
         .with_columns(pl.col("indicator").replace_strict(REFERENCE, return_dtype=pl.Float64).alias("sign")))
    over = ["group", "year", "indicator"]
    z = z.with_columns(((pl.col("value") - pl.col("value").mean().over(over)) / pl.col("value").std().over(over)
                        * pl.col("sign")).alias("z"))
    z = z.filter(pl.col("z").is_finite())
    return z.group_by(KEY).agg(pl.col("z").mean().alias("reference")).sort(KEY)


def check_reference(indicators: pl.DataFrame) -> None:
    """Raise FrameworkError (a ValueError) when the run lacks one of the reference's indicators."""
    missing = sorted(set(REFERENCE) - set(indicators["indicator"].unique().to_list()))
    if missing:
        raise FrameworkError(f"the reference composite needs indicator(s) {', '.join(missing)}, "
                             "which the framework does not compute")


def quartile_grades(column: str) -> pl.Expr:
    """A for the best quarter of `column` within group and year, D for the worst, B and C between
    (the reference's grades: grading within peer groups)."""
    p = position(column)
    return (pl.when(p < 0.25).then(pl.lit("A")).when(p < 0.5).then(pl.lit("B"))
            .when(p <= 0.75).then(pl.lit("C")).otherwise(pl.lit("D")))


def position(column: str) -> pl.Expr:
    """(rank - 0.5) / n within group and year, rank 1 = highest `column` (ties: average rank)."""
    rank = pl.col(column).rank("average", descending=True).over("group", "year")
    return (rank - 0.5) / pl.col(column).count().over("group", "year")


# ---------------------------------------------------------------- figures per peer group


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman correlation (average ranks for ties); None below three pairs or without spread.

    >>> spearman(np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 20.0, 30.0, 45.0]))
    1.0
    """
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3:
        return None
    rx = pl.Series(x[ok]).rank("average").to_numpy()
    ry = pl.Series(y[ok]).rank("average").to_numpy()
    return pearson(rx, ry)


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 3:
        return None
    a, b = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else None


def level_spearman(frame: pl.DataFrame, score: str, target: str) -> dict[str, float | None]:
    """Per group: the median over years of the within-year Spearman of `score` with `target`."""
    out = {}
    for (group,), part in frame.group_by(["group"], maintain_order=True):
        per_year = [spearman(p[score].to_numpy().astype(float), p[target].to_numpy().astype(float))
                    for _, p in part.group_by(["year"], maintain_order=True)]
        per_year = [r for r in per_year if r is not None]
        out[group] = float(np.median(per_year)) if per_year else None
    return out


def change_correlation(frame: pl.DataFrame, score: str, target: str) -> dict[str, float | None]:
    """Per group: Pearson correlation of year-on-year changes of `score` and `target`, pooled over
    every pair of consecutive years of a unit."""
    d = frame.sort("unit_id", "year").with_columns(
        [(pl.col(c) - pl.col(c).shift(1).over("unit_id")).alias(f"d_{c}") for c in (score, target)]
        + [(pl.col("year") - pl.col("year").shift(1).over("unit_id")).alias("gap")])
    d = d.filter(pl.col("gap") == 1)
    return {g: pearson(p[f"d_{score}"].to_numpy().astype(float), p[f"d_{target}"].to_numpy().astype(float))
            for (g,), p in d.group_by(["group"], maintain_order=True)}


def grade_agreement(frame: pl.DataFrame, grade: str, target: str) -> dict[str, dict]:
    """Per group: share of A among the truly best quarter (by `target`, within group and year),
    share of D among the truly worst quarter, share of A overall, and the share of unit-years
    whose grade differs from the unit's grade the year before."""
    f = frame.with_columns(position(target).alias("_p")).sort("unit_id", "year").with_columns(
        (pl.col(grade) != pl.col(grade).shift(1).over("unit_id")).alias("_moved"),
        (pl.col("year") - pl.col("year").shift(1).over("unit_id")).alias("_gap"))
    out = {}
    for (g,), p in f.group_by(["group"], maintain_order=True):
        top, bottom = p.filter(pl.col("_p") < 0.25), p.filter(pl.col("_p") > 0.75)
        moved = p.filter(pl.col("_gap") == 1)["_moved"]
        out[g] = {"a_top": _share(top[grade] == "A"), "d_bottom": _share(bottom[grade] == "D"),
                  "a_all": _share(p[grade] == "A"), "moved": _share(moved)}
    return out


def rank_coverage(frame: pl.DataFrame, target: str) -> dict[str, dict]:
    """Per group: share of unit-years whose true rank (by `target` within group and year, 1 =
    best) lies in [rank_low, rank_high], and the median interval width (ranks covered) as a share
    of the group's ranked units that year."""
    f = frame.filter(pl.col("rank_low").is_not_null()).with_columns(
        pl.col(target).rank("ordinal", descending=True).over("group", "year").alias("_true"),
        pl.len().over("group", "year").alias("_n"),
        pl.min_horizontal("rank_low", "rank_high").alias("_lo"), pl.max_horizontal("rank_low", "rank_high").alias("_hi"))
    out = {}
    for (g,), p in f.group_by(["group"], maintain_order=True):
        inside = (p["_true"] >= p["_lo"]) & (p["_true"] <= p["_hi"])
        width = ((p["_hi"] - p["_lo"] + 1) / p["_n"]).median()
        out[g] = {"coverage": _share(inside), "width": None if width is None else float(width)}
    return out


def minimum_counts(fw: Framework) -> dict[str, float]:
    """The least denominator the framework asks of each index indicator's evidence: the
    definition's own minimum (`min_denominator`, `min_count`, for a share the framework's
    `min_count`), else the largest `min_denominator` of an alert on it."""
    out = {}
    default = float(fw.methods.get("min_count") or 0)
    for n in fw.indicators:
        d = n.definition
        own = d.min_count if d.min_count is not None else (default if d.measure == "share" else 0)
        least = max(float(d.min_denominator or 0), float(own or 0))
        if least <= 0:
            least = max([float(a.get("min_denominator", 0) or 0) for a in fw.alerts if a.get("indicator") == n.code],
                        default=0.0)
        if least > 0:
            out[n.code] = least
    return out


def perfect_scores(scores: pl.DataFrame, indicators: pl.DataFrame, groups: pl.DataFrame,
                   minimum: dict[str, float]) -> dict[str, dict]:
    """Per group: unit-years scoring exactly 100, and those among them where an indicator with a
    minimum count has a denominator below it (a missing value is no evidence, not thin evidence)."""
    thin = (indicators.filter(pl.col("indicator").is_in(list(minimum)) & pl.col("denominator").is_not_null())
            .filter(pl.col("denominator") < pl.col("indicator").replace_strict(minimum, return_dtype=pl.Float64))
            .select(KEY).unique().with_columns(pl.lit(True).alias("thin")))
    top = (scores.filter(pl.col("score") == 100).select(KEY).join(groups, on="unit_id")
           .join(thin, on=KEY, how="left").with_columns(pl.col("thin").fill_null(False)))
    return {g: {"all": int((top["group"] == g).sum()), "thin": int(((top["group"] == g) & top["thin"]).sum())}
            for _, _, g in GROUPS}


def _share(mask: pl.Series) -> float | None:
    mask = mask.drop_nulls()
    return float(mask.mean()) if len(mask) else None


# ---------------------------------------------------------------- one world


def evaluate(scores: pl.DataFrame, indicators: pl.DataFrame, units: pl.DataFrame, latent: pl.DataFrame,
             staff: pl.DataFrame, fw: Framework) -> dict:
    """Every figure of one rated world: per group, for the engine and the reference, and the audit."""
    check_reference(indicators)
    groups = peer_groups(units)
    true = truth(latent, units, staff)
    rated = (scores.select(*KEY, "score", "grade", "rank_low", "rank_high")
             .join(groups, on="unit_id").filter(pl.col("group").is_not_null() & pl.col("score").is_not_null())
             .join(true, on=KEY))
    # side by side on the same unit-years: those with a published score and a reference value
    frame = (rated.join(reference_composite(indicators, groups), on=KEY, how="left")
             .filter(pl.col("reference").is_not_null())
             .with_columns(quartile_grades("reference").alias("reference_grade")))
    in_groups = scores.join(groups, on="unit_id").filter(pl.col("group").is_not_null())
    out = {"units": {g: frame.filter(pl.col("group") == g)["unit_id"].n_unique() for _, _, g in GROUPS},
           "unit_years": frame.height, "dropped": in_groups.height - frame.height,
           "perfect": perfect_scores(scores, indicators, groups, minimum_counts(fw)),
           "audit": audit.audit(indicators, units, fw),
           "ceiling": ceiling.evaluate_ceiling(indicators, groups, true, fw)}
    for name, score, grade in (("engine", "score", "grade"), ("reference", "reference", "reference_grade")):
        out[name] = {
            "spearman": {t: level_spearman(frame, score, t) for t in ("covered", "own")},
            "change": {t: change_correlation(frame, score, t) for t in ("covered", "own")},
            "grades": grade_agreement(frame, grade, "covered"),
        }
    out["engine"]["intervals"] = rank_coverage(rated, "covered")  # true ranks among every ranked unit
    # the alternative to grade bands: the engine's scores graded by quartile within peer group and year
    out["engine_quartiles"] = {"grades": grade_agreement(
        frame.with_columns(quartile_grades("score").alias("quartile_grade")), "quartile_grade", "covered")}
    return out


def rate_world(seed: int, data: Path, fw: Framework, *, replications: int, nuisance: float,
               years: tuple[int, int] = YEARS, complaints: int | None = None) -> dict:
    """Generate the demo-scale world of `seed` into the folder `data`, rate it with rating.run
    and evaluate it."""
    import rating
    from indicators.synth import generate

    generate(data, seed=seed, years=years, scale="demo", complaints=complaints, nuisance=nuisance)
    result = rating.run(data, fw, seed=0, as_of=dt.date(years[1] + 1, 6, 30), replications=replications)
    read = {"schema_overrides": {"unit_id": pl.String}}
    latent = pl.read_csv(data / "_truth" / "latent.csv", **read)
    staff = pl.read_csv(data / "unit_stats.csv", **read).select(*KEY, "staff")
    return evaluate(result.scores, result.indicators, result.units, latent, staff, result.framework)


def commit() -> str:
    """The source commit, marked when the working tree differs from it."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    from indicators.framework_load import load_framework

    ap = argparse.ArgumentParser(prog="python -m models.validity", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS), help="world seeds (default 101-105)")
    ap.add_argument("--out", type=Path, default=None, help="write the report here (default: standard output)")
    ap.add_argument("--framework", type=Path, default=None, help="framework file (default: the shipped one)")
    ap.add_argument("--replications", type=int, default=50, help="Monte Carlo draws for rank intervals (default 50)")
    ap.add_argument("--nuisance", type=float, default=1.0, help="strength of the nuisance factors (default 1)")
    ap.add_argument("--method", action="append", default=[], metavar="KEY=VALUE",
                    help="override a [methods] setting of the framework, e.g. experience_years=3 (repeatable)")
    args = ap.parse_args(argv)
    if any(s < 0 for s in args.seeds) or len(set(args.seeds)) != len(args.seeds):
        ap.error(f"--seeds: distinct non-negative integers expected, got {args.seeds}")
    if args.replications < 1:
        ap.error(f"--replications: a positive integer expected, got {args.replications}")
    if not 0 <= args.nuisance <= 10:
        ap.error(f"--nuisance: a number from 0 to 10 expected, got {args.nuisance:g}")
    try:
        fw = load_framework(args.framework)
        if args.method:
            fw = with_methods(fw, args.method)
        with tempfile.TemporaryDirectory(prefix="validity-") as tmp:
            worlds = {}
            for seed in args.seeds:
                print(f"seed {seed} ...", file=sys.stderr)
                data = Path(tmp) / f"world-{seed}"
                worlds[seed] = rate_world(seed, data, fw, replications=args.replications, nuisance=args.nuisance)
                shutil.rmtree(data)  # a demo world holds about 50 MB
    except EngineError as err:  # bad framework or data: one line, not a traceback
        print(f"models.validity: {'; '.join(str(err).splitlines())}", file=sys.stderr)
        return err.exit_code
    text = render(worlds, command=_command(args), commit=commit(), date=dt.date.today().isoformat(),
                  framework=describe(fw), years=YEARS, as_of=AS_OF.isoformat(),
                  replications=args.replications, nuisance=args.nuisance, minimum=minimum_counts(fw))
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def describe(fw: Framework) -> str:
    """The framework's code, version and hash, with its evidence-over-years setting."""
    years = int(fw.methods.get("experience_years") or 1)
    setting = (f"each estimate on the unit's last {years} years' counts, discounted by "
               f"{float(fw.methods['experience_discount']):g} a year" if years > 1 else "each estimate on the year's own counts")
    return f"{fw.code} {fw.version} (sha256 {fw.sha256[:12]}; {setting})"


def with_methods(fw: Framework, settings: list[str]) -> Framework:
    """The framework with `KEY=VALUE` method settings (values read as TOML scalars), checked as a
    framework file's would be; FrameworkError on a bad one.

    >>> from indicators.framework_load import load_framework
    >>> with_methods(load_framework(None), ["experience_years=2"]).methods["experience_years"]
    2
    """
    import tomllib

    from indicators.framework_load import parse_framework

    values = {}
    for item in settings:
        key, eq, text = item.partition("=")
        if not eq or not key.strip():
            raise FrameworkError(f"--method {item!r}: expected KEY=VALUE, e.g. experience_years=3")
        try:
            values[key.strip()] = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            values[key.strip()] = text.strip()  # a bare word: a method name such as zscore
    changed = fw.with_methods(**values)
    # check the new values as the framework loader does
    parse_framework({"framework": {"code": "X", "name_zh": "X", "name_en": "X"}, "methods": values,
                     "grade": [{"code": "A", "min": 0}],
                     "indicator": [{"code": "x", "parent": "X", "name_zh": "x", "name_en": "x", "direction": 1,
                                    "table": "complaints", "measure": "count"}]})
    return changed


def _command(args) -> str:
    parts = ["python -m models.validity", "--seeds", *map(str, args.seeds)]
    if args.framework is not None:
        parts += ["--framework", args.framework.as_posix()]
    if args.replications != 50:
        parts += ["--replications", str(args.replications)]
    if args.nuisance != 1.0:
        parts += ["--nuisance", f"{args.nuisance:g}"]
    for m in args.method:
        parts += ["--method", m]
    if args.out is not None:
        parts += ["--out", args.out.as_posix()]
    return " ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
