"""The HTML report of a COINr-format scoring (`rating score IDATA IMETA --out OUT`).

`render_coinr(out, result)` writes `out/index.html` (the ranking of every unit with the index,
every aggregate below it, the rank and, when the scores carry them, rank_low / rank_median /
rank_high; sortable; a chart of scores and ranks) and `out/methodology.html` (the hierarchy with
the weights as given, as used within each group and as effective shares of the index; the
settings; treated and imputed points; the treatment of each indicator). Same templates, styles,
Content-Security-Policy and escaping as the run's report.
"""
from __future__ import annotations

import pathlib

import polars as pl
from markupsafe import Markup

from rating.version import __version__
from reports import fmt, plots
from reports.i18n import HTML_LANG, METHODS, catalogue, check_lang, method_explain
from reports.sensitivity import sensitivity_section

PAGES = (("index", "overview"), ("methodology", "methodology"))
INTERVAL = ("rank_low", "rank_median", "rank_high")
SETTINGS = ("normalise", "aggregate", "treat", "impute", "weights", "data_threshold")


def _latest(df: pl.DataFrame) -> pl.DataFrame:
    """The rows of the latest `Time` (all rows when there is no Time column)."""
    if "Time" not in df.columns or df.is_empty():
        return df
    return df.filter(pl.col("Time") == df["Time"].max())


class Meta:
    """Names, directions and units of the elements (from iMeta when given) and of the units."""

    def __init__(self, result, idata: pl.DataFrame | None, imeta: pl.DataFrame | None):
        st = result.structure
        self.codes = st["iCode"].to_list()
        self.parent = dict(zip(self.codes, st["Parent"].to_list()))
        self.level = dict(zip(self.codes, st["Level"].to_list()))
        self.root = next(c for c in self.codes if self.parent[c] is None)
        rows = {}
        if imeta is not None and "iCode" in imeta.columns:
            rows = {r["iCode"]: r for r in imeta.iter_rows(named=True) if r.get("iCode") in self.parent}
        self.row = {c: rows.get(c, {}) for c in self.codes}
        self.units = {}
        if idata is not None and {"uCode", "uName"} <= set(idata.columns):
            self.units = dict(zip(idata["uCode"].cast(pl.String).to_list(), idata["uName"].cast(pl.String).to_list()))

    def name(self, code: str) -> str:
        return fmt.text(self.row[code].get("iName") or code)

    def order(self) -> list[str]:
        """Every element depth first from the index, children in iMeta order."""
        kids: dict = {}
        for c in self.codes:
            kids.setdefault(self.parent[c], []).append(c)
        out, stack = [], [self.root]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(reversed(kids.get(c, [])))
        return out


def ranking(result, meta: Meta, t: dict) -> dict:
    sc = result.scores
    aggs = sorted((c for c in meta.codes if meta.level[c] > 1 and c in sc.columns and c != meta.root),
                  key=lambda c: (-meta.level[c], meta.codes.index(c)))
    interval = [c for c in INTERVAL if c in sc.columns]
    has_interval = {"rank_low", "rank_high"} <= set(interval)
    time = "Time" in sc.columns
    keys = (["Time"] if time else []) + ["rank", "uCode"]
    df = sc.sort(keys, descending=[k == "Time" for k in keys], nulls_last=True)
    rows = []
    for r in df.iter_rows(named=True):
        x = r.get(meta.root)
        rows.append({
            "code": r["uCode"], "name": meta.units.get(r["uCode"], r["uCode"]), "time": r.get("Time"),
            "index": fmt.num(x, 2), "index_v": "" if fmt.missing(x) else f"{x:.6f}",
            "bar": None if fmt.missing(x) else f"{max(0.0, min(100.0, x)):.1f}",
            "rank": fmt.integer(r.get("rank")), "rank_v": "" if fmt.missing(r.get("rank")) else int(r["rank"]),
            "interval": fmt.interval(r.get("rank_low"), r.get("rank_high")) if has_interval else None,
            "interval_v": "" if fmt.missing(r.get("rank_low")) else int(r["rank_low"]),
            "median": fmt.integer(r.get("rank_median")), "median_v": "" if fmt.missing(r.get("rank_median"))
            else int(r["rank_median"]),
            "aggs": [{"text": fmt.num(r.get(a), 2), "v": "" if fmt.missing(r.get(a)) else f"{r[a]:.6f}"} for a in aggs],
        })
    return {"rows": rows, "time": time, "aggs": [{"code": a, "label": meta.name(a)} for a in aggs],
            "root": meta.name(meta.root), "interval": has_interval,
            "median": "rank_median" in interval, "chart": chart(df, meta, t)}


def chart(df: pl.DataFrame, meta: Meta, t: dict):
    """Score across, rank down (with the rank interval when there is one), one panel per Time."""
    df = df.filter(pl.col(meta.root).is_not_null() & pl.col("rank").is_not_null())
    if df.is_empty():
        return None
    lo_col = "rank_low" if "rank_low" in df.columns else "rank"
    hi_col = "rank_high" if "rank_high" in df.columns else "rank"
    df = df.with_columns(pl.coalesce(lo_col, "rank").alias("_lo"), pl.coalesce(hi_col, "rank").alias("_hi"))
    parts = sorted(df.partition_by("Time", as_dict=True).items(), reverse=True) if "Time" in df.columns \
        else [((None,), df)]
    panels = [{"title": f"{t['time']} {k[0]}" if k[0] is not None else meta.name(meta.root), "n": int(p["_hi"].max()),
               "series": [{"colour": "#0b5cad", "score": p[meta.root].to_list(), "rank": p["rank"].to_list(),
                           "low": p["_lo"].to_list(), "high": p["_hi"].to_list()}]} for k, p in parts[:4]]
    x = df[meta.root]
    lo, hi = float(x.min()), float(x.max())
    pad = 0.05 * ((hi - lo) or 1.0)
    xlim = (0.0, 100.0) if lo >= 0 and hi <= 100 else (lo - pad, hi + pad)
    return plots.score_rank_intervals(panels, xlabel=meta.name(meta.root), ylabel=t["rank"], xlim=xlim,
                                      title=t["coinr_ranking"], desc=t["index_chart_desc"])


def hierarchy(result, meta: Meta, t: dict) -> list[dict]:
    w = {r["iCode"]: r for r in _latest(result.weights).iter_rows(named=True)}
    eff = {r["iCode"]: r["effective_weight"] for r in _latest(result.effective_weights).iter_rows(named=True)}
    top = max(meta.level.values())
    rows = []
    for c in meta.order():
        r, row = w.get(c, {}), meta.row[c]
        d = row.get("Direction")
        rows.append({
            "code": c, "label": meta.name(c), "level": meta.level[c], "depth": top - meta.level[c],
            "indicator": meta.level[c] == 1, "weight_imeta": fmt.num(r.get("weight_imeta"), 3) if r else fmt.DASH,
            "share": fmt.pct(r.get("weight"), 1) if r and c != meta.root else fmt.DASH,
            "eff": fmt.pct(eff.get(c), 1), "method": fmt.text(r.get("method")) if c != meta.root else fmt.DASH,
            "cr": fmt.num(r.get("ahp_cr"), 3),
            "direction": "" if d is None else t["direction_pos" if float(d) > 0 else "direction_neg"],
            "unit": fmt.text(row.get("Unit")) if row.get("Unit") else "",
        })
    return rows


def settings(result, t: dict, lang: str) -> list[dict]:
    s = result.settings or {}
    out = []
    for key in SETTINGS:
        v = s.get(key)
        if key == "data_threshold":
            text = t["not_set"] if v is None else fmt.pct(float(v))
            explain = "" if v is None else t["method_threshold_explain"]
        else:
            text = fmt.text(v)
            explain = method_explain(key, v, lang) if key in METHODS else ""
        out.append({"label": t[f"setting_{'threshold' if key == 'data_threshold' else key}"], "value": text,
                    "explain": explain})
    return out


def methodology(result, meta: Meta, t: dict, lang: str) -> dict:
    treat = result.treatment
    if "treatment" in treat.columns:
        treat = treat.filter(pl.col("treatment").is_not_null() & (pl.col("treatment") != "none"))
    counts = [(t["units_count"], fmt.integer(result.scores.height)),
              (t["indicators"], fmt.integer(sum(1 for c in meta.codes if meta.level[c] == 1))),
              (t["treated_points"], fmt.integer(result.treated_points.height)),
              (t["imputed_points"], fmt.integer(result.imputed.height))]
    rows = hierarchy(result, meta, t)
    return {"hierarchy": rows, "has_cr": any(r["cr"] != fmt.DASH for r in rows), "settings": settings(result, t, lang),
            "counts": [{"label": a, "value": b} for a, b in counts],
            "treatment": fmt.frame_table(treat),
            "panel": _latest(result.weights)["Time"][0] if "Time" in result.weights.columns and result.weights.height
            else None}


def render_coinr(out, result, *, lang: str = "zh", idata: pl.DataFrame | None = None,
                 imeta: pl.DataFrame | None = None, sensitivity=None) -> list[pathlib.Path]:
    """Write the report of a `rating.coinr.ScoreResult` into `out`; returns [index.html,
    methodology.html]. `idata` / `imeta` (optional) supply unit names (`uName`) and element
    names, directions and units (`iName`, `Direction`, `Unit`); codes are shown without them.
    `sensitivity` (optional): sensitivity indices, as `render` takes them."""
    from reports.render import CSP, _write, environment, static

    check_lang(lang)
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = catalogue(lang)
    meta = Meta(result, idata, imeta)
    years = result.scores["Time"].drop_nulls() if "Time" in result.scores.columns else None
    site = {"framework": meta.name(meta.root), "framework_version": "", "year": str(years.max()) if years is not None
            and len(years) else "", "edition": t["coinr_title"], "software": "integrity-rating", "version": __version__,
            "note": "", "scope": None}
    common = {"t": t, "lang": lang, "html_lang": HTML_LANG[lang], "csp": Markup(CSP), "css": static("report.css"),
              "site": site, "internal": False, "nav": PAGES, "root": ""}
    env = environment()
    index = env.get_template("coinr_index.html").render(common, page="index", c=ranking(result, meta, t),
                                                        js_table=static("table.js"))
    m = {**methodology(result, meta, t, lang), "sensitivity": sensitivity_section(sensitivity, lang)}
    method = env.get_template("coinr_methodology.html").render(common, page="methodology", m=m)
    return [_write(out / "index.html", index), _write(out / "methodology.html", method)]
