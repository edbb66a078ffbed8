"""Alert rules over time and peers: year-on-year falls, persistent bottom ranks among peers, and
monthly complaint spikes against a unit's own history.

A rule's `target` is "score" (or the index code), "grade", an aggregate of the hierarchy (a
column of the scores frame) or an indicator (from the values frame, oriented by its direction).
Peer groups are year x kind x level when the scores frame carries kind and level.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import Framework
from models.alert import alert

PEER_KEYS = ("kind", "level")
MAD_SCALE = 1.4826  # MAD of a normal distribution -> its standard deviation
GRADE_MESSAGE = ("等级由{previous}降至{value}，同比下降{fall:.0f}级", "Grade fell from {previous} to {value}, {fall:.0f} notch(es) year on year")


def _peer_keys(scores: pl.DataFrame | None) -> list[str]:
    return [k for k in PEER_KEYS if scores is not None and k in scores.columns]


def target_series(values: pl.DataFrame | None, scores: pl.DataFrame | None, target: str,
                  framework: Framework) -> pl.DataFrame | None:
    """unit_id, year, x, direction (+1: higher is better) and the peer keys; None without data.

    For "grade", x is minus the grade's position in the scale (best grade 0), so that a fall of
    one grade is a fall of one in x.
    """
    keys = _peer_keys(scores)
    if target == "grade" and scores is not None and "grade" in scores.columns:
        pos = {g.code: float(i) for i, g in enumerate(framework.grades)}
        x = -pl.col("grade").replace_strict(pos, default=None, return_dtype=pl.Float64)
        return scores.select("unit_id", "year", x.alias("x"), pl.lit(1).alias("direction"), *keys)
    col = "score" if target in ("score", framework.code) else target
    if scores is not None and col in scores.columns:
        return scores.select("unit_id", "year", pl.col(col).cast(pl.Float64).alias("x"), pl.lit(1).alias("direction"), *keys)
    if values is None or target not in {n.code for n in framework.computed}:
        return None
    v = values.filter(pl.col("indicator") == target).select(
        "unit_id", "year", pl.col("value").alias("x"), pl.lit(framework.node(target).direction).alias("direction"))
    if keys:
        v = v.join(scores.select("unit_id", "year", *keys), on=["unit_id", "year"], how="left")
    return v


def coverage_changes(values: pl.DataFrame | None, framework: Framework) -> pl.DataFrame:
    """unit_id, year where the index rests on other data than the year before (a record table's
    coverage starts or stops): a composite's change there is an artefact of the data, not a fall.

    >>> from indicators.framework_load import load_framework
    >>> v = pl.DataFrame({"unit_id": ["a"] * 4, "year": [2022, 2022, 2023, 2023],
    ...                   "indicator": ["debt_ratio", "judgment_lost_per_100_staff"] * 2,
    ...                   "outside_coverage": [False, True, False, False]})
    >>> coverage_changes(v, load_framework()).rows()
    [('a', 2023)]
    """
    if values is None or "outside_coverage" not in values.columns:
        return pl.DataFrame(schema={"unit_id": pl.String, "year": pl.Int64})
    index = [n.code for n in framework.indicators]
    sig = (values.filter(pl.col("indicator").is_in(index) & pl.col("outside_coverage"))
           .group_by("unit_id", "year").agg(pl.col("indicator").sort().str.join(",").alias("out")))
    grid = values.select("unit_id", "year").unique().join(sig, on=["unit_id", "year"], how="left").with_columns(
        pl.col("out").fill_null(""))
    prev = grid.select("unit_id", (pl.col("year") + 1).alias("year"), pl.col("out").alias("before"))
    return (grid.join(prev, on=["unit_id", "year"]).filter(pl.col("out") != pl.col("before"))
            .select("unit_id", pl.col("year").cast(pl.Int64)).sort("unit_id", "year"))


def _clean(s: pl.DataFrame) -> pl.DataFrame:
    return s.filter(pl.col("x").is_not_null() & ~pl.col("x").is_nan())


def trend_alerts(values, scores, rule: dict, framework: Framework) -> list[dict]:
    """A fall from the previous year of at least `fall` (target units), `notches` (grades) or
    `fall_sd` standard deviations of the peers' year-on-year changes.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> s = pl.DataFrame({"unit_id": ["a", "a", "b", "b"], "year": [2023, 2024] * 2,
    ...                   "score": [90.0, 70.0, 80.0, 79.0]})
    >>> rule = {"code": "drop", "kind": "trend", "target": "score", "fall": 10, "level": "orange"}
    >>> [(a["unit_id"], a["year"]) for a in trend_alerts(None, s, rule, load_framework())]
    [('a', 2024)]
    """
    s = target_series(values, scores, rule["target"], framework)
    if s is None:
        return []
    s = _clean(s)
    prev = s.select("unit_id", (pl.col("year") + 1).alias("year"), pl.col("x").alias("previous"))
    d = s.join(prev, on=["unit_id", "year"])
    if rule["target"] not in {n.code for n in framework.computed}:  # a composite of the index
        d = d.join(coverage_changes(values, framework), on=["unit_id", "year"], how="anti")
    d = d.with_columns(
        ((pl.col("previous") - pl.col("x")) * pl.col("direction")).alias("fall"))
    if "fall_sd" in rule:
        sd = (pl.col("x") - pl.col("previous")).std().over("year", *_peer_keys(scores))
        d = d.with_columns(sd.alias("sd")).with_columns((rule["fall_sd"] * pl.col("sd")).alias("limit"))
        d = d.filter(pl.col("sd") > 0)
    else:
        d = d.with_columns(pl.lit(float(rule.get("fall", rule.get("notches")))).alias("limit"), pl.lit(None).alias("sd"))
    hits = d.filter(pl.col("fall") >= pl.col("limit") - 1e-12).sort("unit_id", "year")
    grade = rule["target"] == "grade"
    codes = [g.code for g in framework.grades]
    out = []
    for r in hits.iter_rows(named=True):
        value, previous = (codes[int(-r["x"])], codes[int(-r["previous"])]) if grade else (r["x"], r["previous"])
        ev = {"target": rule["target"], "value": value, "previous": previous, "fall": r["fall"], "limit": r["limit"]}
        if r["sd"] is not None:
            ev["sd"] = r["sd"]
        out.append(alert(rule, r["unit_id"], r["year"], rule["level"], ev, framework=framework,
                         default=GRADE_MESSAGE if grade else None, value=value, previous=previous,
                         fall=r["fall"], threshold=r["limit"]))
    return out


def peer_alerts(values, scores, rule: dict, framework: Framework) -> list[dict]:
    """In the worst `quantile` of the peer group for `periods` consecutive years.

    Rank 1 is the worst (by the target's direction); a unit is in the worst quantile when its
    rank, ties counted at their highest rank, is at most quantile x peers. Groups smaller than
    `min_peers` raise nothing.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> s = pl.DataFrame({"unit_id": [f"u{i}" for i in range(10)] * 2, "year": [2023] * 10 + [2024] * 10,
    ...                   "score": [float(i) for i in range(10)] * 2})
    >>> rule = {"code": "low", "kind": "peer", "target": "score", "quantile": 0.1, "periods": 2,
    ...         "min_peers": 10, "level": "blue"}
    >>> [(a["unit_id"], a["year"]) for a in peer_alerts(None, s, rule, load_framework())]
    [('u0', 2024)]
    """
    s = target_series(values, scores, rule["target"], framework)
    if s is None:
        return []
    keys = ["year", *_peer_keys(scores)]
    s = _clean(s).with_columns((pl.col("x") * pl.col("direction")).alias("good"))
    s = s.with_columns(pl.len().over(keys).alias("peers"), pl.col("good").rank("max").over(keys).cast(pl.Int64).alias("rank"))
    q, periods = float(rule["quantile"]), int(rule["periods"])
    bottom = s.filter((pl.col("peers") >= rule["min_peers"]) & (pl.col("rank") <= q * pl.col("peers")))
    hits = bottom
    for k in range(1, periods):
        back = bottom.select("unit_id", (pl.col("year") + k).alias("year"))
        hits = hits.join(back, on=["unit_id", "year"], how="semi")
    out = []
    for r in hits.sort("unit_id", "year").iter_rows(named=True):
        ev = {"target": rule["target"], "value": r["x"], "rank_from_bottom": r["rank"], "peers": r["peers"],
              "quantile": q, "years": list(range(r["year"] - periods + 1, r["year"] + 1))}
        out.append(alert(rule, r["unit_id"], r["year"], rule["level"], ev, framework=framework, value=r["x"],
                         rank=r["rank"], peers=r["peers"], quantile=q, periods=periods, threshold=q))
    return out


def nanmedian(a: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN where there is no value): np.nanmedian's
    result to the bit, from one sort instead of a masked array per window.

    Examples
    --------
    >>> nanmedian(np.array([[1.0, np.nan, 4.0, 2.0], [np.nan] * 4])).tolist()
    [2.0, nan]
    """
    s = np.sort(a, axis=-1)  # NaN last
    n = (~np.isnan(a)).sum(axis=-1, keepdims=True)
    lo = np.take_along_axis(s, np.maximum(n - 1, 0) // 2, axis=-1)[..., 0]
    hi = np.take_along_axis(s, n // 2, axis=-1)[..., 0]
    return (lo + hi) / 2


def robust_z(counts: np.ndarray, history: int, min_history: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, median, MAD) of each month against the unit's previous `history` months.

    counts: (units, months), NaN where unknown. z = (x - median) / max(1.4826 MAD, sqrt(median), 1):
    the floor keeps quiet units (MAD 0) from alarming on a handful of tickets. Months with fewer
    than `min_history` known months before them get NaN.

    Examples
    --------
    >>> x = np.array([[5, 6, 5, 4, 5, 6, 30.0]])
    >>> z, med, mad = robust_z(x, history=6, min_history=6)
    >>> round(float(z[0, -1]), 1), float(med[0, -1])
    (11.2, 5.0)
    """
    u, m = counts.shape
    padded = np.concatenate([np.full((u, history), np.nan), counts.astype(float)], axis=1)
    win = np.lib.stride_tricks.sliding_window_view(padded, history, axis=1)[:, :m, :]
    med = nanmedian(win)
    mad = nanmedian(np.abs(win - med[:, :, None]))
    enough = (~np.isnan(win)).sum(axis=2) >= min_history
    scale = np.maximum.reduce([MAD_SCALE * np.nan_to_num(mad), np.sqrt(np.maximum(np.nan_to_num(med), 0)), np.ones_like(med)])
    z = np.where(enough, (counts - med) / scale, np.nan)
    return z, np.where(enough, med, np.nan), np.where(enough, mad, np.nan)


def spike_alerts(monthly: pl.DataFrame | None, rule: dict, framework: Framework) -> list[dict]:
    """Months whose complaints reach a robust z-score of `z` against the unit's own previous
    `history` months (and at least `min_tickets`); one alert per unit and year, for its worst month.

    Examples
    --------
    >>> import datetime as dt
    >>> from indicators.framework_load import load_framework
    >>> m = pl.DataFrame({"unit_id": ["u"] * 13, "tickets": [20, 21, 19, 20, 22, 18, 20, 21, 19, 20, 21, 20, 70],
    ...                   "month": pl.date_range(dt.date(2023, 1, 1), dt.date(2024, 1, 1), "1mo", eager=True)})
    >>> rule = {"code": "s", "kind": "spike", "z": 3.5, "history": 12, "min_history": 12, "min_tickets": 10,
    ...         "level": "yellow"}
    >>> [(a["unit_id"], a["year"], a["message_en"]) for a in spike_alerts(m, rule, load_framework())]
    [('u', 2024, "70 complaints in 2024-01, far above the unit's usual 20 (robust z 11.2)")]
    """
    if monthly is None or monthly.is_empty():
        return []
    months = pl.date_range(monthly["month"].min(), monthly["month"].max(), interval="1mo", eager=True).alias("month")
    units = monthly["unit_id"].unique().sort()
    grid = units.to_frame().join(months.to_frame(), how="cross").join(monthly, on=["unit_id", "month"], how="left")
    counts = grid["tickets"].cast(pl.Float64).fill_null(np.nan).to_numpy().reshape(len(units), len(months))
    z, med, mad = robust_z(counts, int(rule["history"]), int(rule["min_history"]))
    hit = np.nan_to_num(z, nan=-np.inf) >= rule["z"]
    hit &= np.nan_to_num(counts, nan=-np.inf) >= rule["min_tickets"]
    ui, mi = np.nonzero(hit)
    if not len(ui):
        return []
    found = pl.DataFrame({
        "unit_id": units.to_numpy()[ui], "month": months.to_numpy()[mi], "tickets": counts[ui, mi],
        "median": med[ui, mi], "mad": mad[ui, mi], "z": z[ui, mi],
    }).with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year")).sort("unit_id", "month")
    out = []
    for (unit, year), g in found.group_by("unit_id", "year", maintain_order=True):
        worst = g.sort("z", descending=True).row(0, named=True)
        ev = {"months": [{"month": r["month"].strftime("%Y-%m"), "tickets": r["tickets"], "median": r["median"],
                          "mad": r["mad"], "z": round(r["z"], 3)} for r in g.iter_rows(named=True)],
              "z_limit": rule["z"], "history": rule["history"]}
        out.append(alert(rule, unit, year, rule["level"], ev, framework=framework, value=worst["tickets"],
                         median=worst["median"], z=worst["z"], month=worst["month"].strftime("%Y-%m"), threshold=rule["z"]))
    return out
