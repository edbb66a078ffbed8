"""Uncertainty and sensitivity on the methodology page: how the rank intervals were made and how
wide they are (with the borderline units when the scores carry grade probabilities), and the
variance-based sensitivity indices of each uncertain assumption, as a chart and a table.
"""
from __future__ import annotations

import polars as pl

from reports import fmt, plots
from reports.fmt import frame_table
from reports.i18n import catalogue, kind_label, level_label, lookup, message
from reports.labels import FACTORS
from reports.tables import KIND_ORDER, LEVEL_ORDER, Inputs

NAME_COLUMNS = ("assumption", "factor", "parameter", "input", "name", "setting")
ALIASES = {"low": ("low", "lo", "lower", "ci_low", "cilow"), "high": ("high", "hi", "upper", "ci_high", "cihigh")}


def uncertainty(inp: Inputs) -> dict | None:
    u = inp.framework.uncertainty or {}
    if inp.year is None or "replications" not in u:
        return None
    latest = inp.scores.filter((pl.col("year") == inp.year) & pl.col("rank_low").is_not_null())
    if latest.is_empty():
        return None
    border = "borderline" in latest.columns and bool(inp.grade_probs)
    agg = [(pl.col("rank_high") - pl.col("rank_low")).median().alias("w"), pl.len()]
    if border:
        agg.append(pl.col("borderline").fill_null(False).sum().alias("b"))
    widths = (latest.group_by("kind", "level").agg(agg)
              .with_columns(pl.col("kind").replace_strict(KIND_ORDER, default=9, return_dtype=pl.Int64).alias("_k"),
                            pl.col("level").replace_strict(LEVEL_ORDER, default=9, return_dtype=pl.Int64).alias("_l"))
              .sort("_k", "_l"))
    reps = (inp.manifest.get("parameters") or {}).get("replications", u["replications"])
    key = "uncertainty_text" if u.get("data", "none") == "none" else "uncertainty_text_data"  # docs/uncertainty.md
    text = message(key, inp.lang, noise=f"{u.get('weight_noise', 0):g}", n=reps)
    rows = [{"group": f"{level_label(r['level'], inp.lang)} · {kind_label(r['kind'], inp.lang)}",
             "n": r["len"], "width": fmt.num(r["w"], 1), "borderline": fmt.integer(r["b"]) if border else None}
            for r in widths.iter_rows(named=True)]
    return {"text": text, "rows": rows, "borderline": border}


def _column(cols: dict, base: str, side: str | None = None) -> str | None:
    """A column by its normalised name: `S1`, `S1_low` (or `S1_lo`, `S1_lower`, ...)."""
    names = [base] if side is None else [f"{base}_{a}" for a in ALIASES[side]] + [f"{base}{a}" for a in ALIASES[side]]
    return next((cols[n] for n in names if n in cols), None)


def _year(df: pl.DataFrame) -> int | None:
    """The year whose unit-years the indices cover (a run's latest year), if the frame says one."""
    if "year" not in df.columns or df.schema["year"] not in (pl.Int64, pl.Int32, pl.Int16):
        return None
    years = df["year"].drop_nulls().unique()
    return int(years[0]) if years.len() == 1 else None


def _frame(sensitivity) -> tuple[pl.DataFrame | None, int | None]:
    """The indices frame and the number of runs, from a frame, a dict or a result object."""
    runs = getattr(sensitivity, "runs", None)
    if isinstance(sensitivity, dict):
        runs = sensitivity.get("runs", runs)
        sensitivity = sensitivity.get("indices")
    elif hasattr(sensitivity, "indices") and not isinstance(sensitivity, pl.DataFrame):
        sensitivity = sensitivity.indices
    return (sensitivity if isinstance(sensitivity, pl.DataFrame) else None), runs


def sensitivity_section(sensitivity, lang: str) -> dict | None:
    """First- and total-order indices per assumption with their intervals, and the year they
    cover when the frame says one; any other frame is shown as a plain table."""
    df, runs = _frame(sensitivity)
    if df is None or df.is_empty():
        return None
    year = _year(df)
    df = df.drop("year") if year is not None else df
    cols = {c.lower().replace(" ", "_").replace("-", "_"): c for c in df.columns}
    name = next((cols[c] for c in NAME_COLUMNS if c in cols),
                next((c for c in df.columns if df.schema[c] == pl.String), None))
    s1, st = _column(cols, "s1"), _column(cols, "st")
    if name is None or s1 is None or st is None:
        return {"table": frame_table(df), "rows": None, "svg": None, "runs": None}

    def num(r, c):
        v = r.get(c) if c else None
        try:
            v = float(v)
        except (TypeError, ValueError):
            return None
        return None if v != v else v

    keys = {"s1": s1, "s1_low": _column(cols, "s1", "low"), "s1_high": _column(cols, "s1", "high"),
            "st": st, "st_low": _column(cols, "st", "low"), "st_high": _column(cols, "st", "high")}
    rows = []
    for r in df.iter_rows(named=True):
        v = {k: num(r, c) for k, c in keys.items()}
        label = lookup(FACTORS, r[name], lang) if r[name] in FACTORS else fmt.text(r[name])
        rows.append({"label": label, **v, "s1_text": fmt.num(v["s1"], 3), "st_text": fmt.num(v["st"], 3),
                     "s1_ci": fmt.interval(v["s1_low"], v["s1_high"], 3),
                     "st_ci": fmt.interval(v["st_low"], v["st_high"], 3)})
    notes = ([message("sensitivity_runs", lang, runs=fmt.integer(runs))] if runs else []) + \
        ([message("sensitivity_year", lang, year=year)] if year is not None else [])  # what the indices cover
    t = catalogue(lang)
    desc = "; ".join(f"{r['label']}: S1 {r['s1_text']}, ST {r['st_text']}" for r in rows)
    return {"table": None, "rows": rows,
            "svg": plots.sensitivity_bars(rows, s1_label="S1", st_label="ST", title=t["sensitivity"], desc=desc),
            "runs": "".join(("" if lang == "zh" else " ") + n for n in notes) or None}  # follows the note
