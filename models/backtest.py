"""Out-of-time evaluation of early-warning probabilities: metrics, model choice and cut-offs.

The metrics are those of early-warning practice (docs/early-warning.md): AUROC, average
precision, precision at the top k, the Brier score, the usefulness of Alessi and Detken (2011)
and the relative usefulness of Sarlin (2013). Both usefulness measures need a signal threshold
fixed before the outcome is known; for calibrated probabilities the loss-minimising ones are

- Alessi-Detken, L = mu T1 + (1 - mu) T2: flag when p >= (1 - mu) P1 / (mu P2 + (1 - mu) P1),
  with P1 the event rate of the training years (P2 = 1 - P1);
- Sarlin, L = mu P1 T1 + (1 - mu) P2 T2: flag when p >= 1 - mu.

T1 is the share of events missed, T2 the share of non-events flagged.

What reaches the user is judged by its own tables: per level and year, the units, their next-year
event rate, its lift over the base rate and the share of all events caught (`level_table`); the
same per alert rule (`rule_table`); calibration per peer group (`calibration_table`); and what the
model adds to the rules at the same alert volume (`value_added`).
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import ALERT_LEVELS, ALERT_RANK

METRICS = ("auroc", "average_precision", "precision_at_k", "brier", "usefulness_ad", "usefulness_sarlin")
BACKTEST_SCHEMA = {"model": pl.String, "year": pl.Int64, "n": pl.Int64, "events": pl.Int64,
                   **{m: pl.Float64 for m in METRICS}}


def _errors(y: np.ndarray, flag: np.ndarray) -> tuple[float, float]:
    """(T1, T2): share of events missed and share of non-events flagged."""
    pos, neg = y == 1, y == 0
    t1 = float((~flag & pos).sum() / pos.sum()) if pos.any() else 0.0
    t2 = float((flag & neg).sum() / neg.sum()) if neg.any() else 0.0
    return t1, t2


def usefulness_ad(y: np.ndarray, p: np.ndarray, mu: float, base_rate: float) -> float:
    """Alessi-Detken absolute usefulness min(mu, 1 - mu) - L at the loss-minimising threshold.

    Examples
    --------
    >>> y = np.array([1, 0, 0, 0]); p = np.array([0.9, 0.1, 0.1, 0.1])
    >>> usefulness_ad(y, p, mu=0.5, base_rate=0.25)
    0.5
    """
    tau = (1 - mu) * base_rate / (mu * (1 - base_rate) + (1 - mu) * base_rate)
    t1, t2 = _errors(y, p >= tau)
    return min(mu, 1 - mu) - (mu * t1 + (1 - mu) * t2)


def sarlin_ur(y: np.ndarray, flag: np.ndarray, mu: float) -> float:
    """Sarlin's relative usefulness Ur of a signal: 1 is perfect, 0 no better than ignoring it."""
    p1 = float(np.mean(y)) if len(y) else 0.0
    best = min(mu * p1, (1 - mu) * (1 - p1))
    if best <= 0:
        return float("nan")
    t1, t2 = _errors(y, flag)
    return (best - (mu * p1 * t1 + (1 - mu) * (1 - p1) * t2)) / best


def precision_at_k(y: np.ndarray, p: np.ndarray, k: int) -> float:
    """Share of events among the k highest probabilities (ties broken by position)."""
    k = min(k, len(y))
    if k == 0:
        return float("nan")
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].mean())


def _curve(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives (float) at each distinct probability, highest first: the points
    of sklearn's `roc_curve` and `precision_recall_curve`, found by the same steps (a stable sort,
    a cumulative sum of the outcomes) so that the areas below come out the same to the last bit."""
    order = np.argsort(-p, kind="stable")
    at = np.r_[np.flatnonzero(np.diff(p[order])), y.size - 1]
    tps = np.cumsum(y[order].astype(np.float64))[at]
    return tps, 1 + at.astype(np.float64) - tps


def auroc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve, as sklearn's `roc_auc_score` gives it (y with both outcomes),
    without its input checks, which cost more than the area.

    Examples
    --------
    >>> auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    tps, fps = _curve(y, p)
    if fps.size > 2:  # the points where the curve bends, as roc_curve(drop_intermediate=True)
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        tps, fps = tps[keep], fps[keep]
    tps, fps = np.r_[0.0, tps], np.r_[0.0, fps]
    return float(np.trapezoid(tps / tps[-1], fps / fps[-1]))


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision, as sklearn's `average_precision_score` gives it (y with an event).

    Examples
    --------
    >>> average_precision(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.8333333333333333
    """
    tps, fps = _curve(y, p)
    ps = tps + fps
    with np.errstate(all="ignore"):
        precision = np.r_[np.where(ps != 0, np.divide(tps, ps), 0.0)[::-1], 1.0]
    recall = np.r_[(tps / tps[-1])[::-1], 0.0]
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Brier score, as sklearn's `brier_score_loss` gives it for two classes: half the squared
    error of both columns of the one-hot outcome.

    Examples
    --------
    >>> brier(np.array([0, 1]), np.array([0.2, 0.6]))
    0.1
    """
    y = y.astype(np.float64)
    return float(np.average(((1 - y) - (1 - p)) ** 2 + (y - p) ** 2) * 0.5)


def metrics(y: np.ndarray, p: np.ndarray, *, mu: float, k: int, base_rate: float) -> dict:
    """Every metric of one set of predictions (NaN where undefined, e.g. AUROC without events).

    Examples
    --------
    >>> m = metrics(np.array([1, 0, 0, 1]), np.array([0.8, 0.2, 0.3, 0.6]), mu=0.7, k=2, base_rate=0.5)
    >>> m["auroc"], m["precision_at_k"]
    (1.0, 1.0)
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    both = 0 < y.sum() < len(y)
    return {
        "auroc": auroc(y, p) if both else float("nan"),
        "average_precision": average_precision(y, p) if y.sum() > 0 else float("nan"),
        "precision_at_k": precision_at_k(y, p, k),
        "brier": brier(y, p) if len(y) else float("nan"),
        "usefulness_ad": usefulness_ad(y, p, mu, base_rate) if len(y) else float("nan"),
        "usefulness_sarlin": sarlin_ur(y, p >= 1 - mu, mu),
    }


def table(preds: pl.DataFrame, *, mu: float, k: int) -> pl.DataFrame:
    """Metrics per model and year, plus a pooled row per model (year null).

    preds: model, unit_id, year, probability, target (0/1; rows without a target are ignored),
    base_rate (the event rate of the training years of that prediction).
    """
    rows = []
    done = preds.filter(pl.col("target").is_not_null()).sort("model", "year", "unit_id")
    for (model,), g in done.group_by("model", maintain_order=True):
        for (year,), h in g.group_by("year", maintain_order=True):
            rows.append(_row(model, year, h, mu, k))
        rows.append(_row(model, None, g, mu, k))
    return pl.DataFrame(rows, schema=BACKTEST_SCHEMA)


def _row(model, year, g: pl.DataFrame, mu: float, k: int) -> dict:
    y, p = g["target"].to_numpy(), g["probability"].to_numpy()
    base = float(g["base_rate"].mean())
    if year is None:  # pooled: the usefulness of each year's own threshold, and precision at k per year
        m = metrics(y, p, mu=mu, k=k, base_rate=base)
        flags = np.concatenate([_ad_flag(h, mu) for _, h in g.group_by("year", maintain_order=True)])
        yy = np.concatenate([h["target"].to_numpy() for _, h in g.group_by("year", maintain_order=True)])
        t1, t2 = _errors(yy, flags)
        m["usefulness_ad"] = min(mu, 1 - mu) - (mu * t1 + (1 - mu) * t2)
        m["precision_at_k"] = float(np.nanmean([precision_at_k(h["target"].to_numpy(), h["probability"].to_numpy(), k)
                                                 for _, h in g.group_by("year", maintain_order=True)]))
    else:
        m = metrics(y, p, mu=mu, k=k, base_rate=base)
    return {"model": model, "year": year, "n": len(y), "events": int(y.sum()), **m}


def _ad_flag(h: pl.DataFrame, mu: float) -> np.ndarray:
    b = float(h["base_rate"].mean())
    tau = (1 - mu) * b / (mu * (1 - b) + (1 - mu) * b)
    return h["probability"].to_numpy() >= tau


def choose(preds: pl.DataFrame, candidates: tuple[str, ...], select_by: str) -> str:
    """The candidate with the best pooled out-of-time `select_by` on `preds` (the first candidate
    when nothing can be compared yet, or on a tie)."""
    done = preds.filter(pl.col("target").is_not_null() & pl.col("model").is_in(list(candidates)))
    best, best_v = candidates[0], None
    for c in candidates:
        g = done.filter(pl.col("model") == c)
        y = g["target"].to_numpy()
        if g.is_empty() or not 0 < y.sum() < len(y):
            continue
        p = g["probability"].to_numpy()
        v = {"auroc": auroc, "average_precision": average_precision,
             "brier": lambda y, p: -brier(y, p)}[select_by](y, p)
        if best_v is None or v > best_v + 1e-12:
            best, best_v = c, v
    return best


LEVEL_ROWS = (*ALERT_LEVELS, "none")
LEVEL_TABLE_SCHEMA = {"year": pl.Int64, "level": pl.String, "units": pl.Int64, "share_of_units": pl.Float64,
                      "events": pl.Int64, "event_rate": pl.Float64, "lift": pl.Float64, "share_of_events": pl.Float64}
RULE_TABLE_SCHEMA = {"rule": pl.String, "level": pl.String, "status": pl.String, "fires": pl.Int64, "fires_per_year": pl.Float64,
                     "events": pl.Int64, "event_rate": pl.Float64, "lift": pl.Float64, "share_of_events": pl.Float64}


def targets(data: pl.DataFrame) -> pl.DataFrame:
    """unit_id, year, target of the labelled unit-years (an event in the next year: 0/1)."""
    return data.filter(pl.col("target").is_not_null()).select("unit_id", "year", pl.col("target").cast(pl.Int64))


def level_table(levels: pl.DataFrame, target: pl.DataFrame) -> pl.DataFrame:
    """Per year (and pooled: year null) and level (red ... blue, and "none" for no alert): units,
    their share of the year's units, next-year events, event rate, lift over the year's base rate
    (all units' event rate) and share of all next-year events caught at that level.

    Examples
    --------
    >>> lv = pl.DataFrame({"unit_id": list("abcd"), "year": [2024] * 4, "level": ["red", None, None, None]})
    >>> t = pl.DataFrame({"unit_id": list("abcd"), "year": [2024] * 4, "target": [1, 1, 0, 0]})
    >>> level_table(lv, t).filter(pl.col("year").is_not_null()).select("level", "units", "lift").rows()[:1]
    [('red', 1, 2.0)]
    """
    j = target.join(levels.select("unit_id", "year", "level"), on=["unit_id", "year"], how="left").with_columns(
        pl.col("level").fill_null("none"))
    out = []
    for year, g in [(y, j.filter(pl.col("year") == y)) for y in sorted(j["year"].unique().to_list())] + [(None, j)]:
        n, ev = g.height, int(g["target"].sum() or 0)
        base = ev / n if n else None
        for lv in LEVEL_ROWS:
            h = g.filter(pl.col("level") == lv)
            e = int(h["target"].sum() or 0)
            rate = e / h.height if h.height else None
            out.append({"year": year, "level": lv, "units": h.height, "share_of_units": h.height / n if n else None,
                        "events": e, "event_rate": rate, "lift": rate / base if rate is not None and base else None,
                        "share_of_events": e / ev if ev else None})
    return pl.DataFrame(out, schema=LEVEL_TABLE_SCHEMA)


def rule_table(alerts: pl.DataFrame, target: pl.DataFrame) -> pl.DataFrame:
    """Per alert code (rules, `risk_model`, `hold`) and level, pooled over the labelled years: the
    unit-years it fires (counted or on the watch list), per year, their next-year events, event
    rate, lift over the base rate of all labelled unit-years and share of all next-year events it
    catches. A band rule has a row per band; level "all" is the rule at any level."""
    n, ev = target.height, int(target["target"].sum() or 0)
    base = ev / n if n else float("nan")
    years = target["year"].n_unique() or 1
    a = alerts.with_columns(pl.col("level").replace_strict(ALERT_RANK, default=0).alias("_r"))
    top = a.sort("_r", descending=True).unique(["unit_id", "year", "rule"], keep="first", maintain_order=True)
    fired = pl.concat([top.select("unit_id", "year", "rule", "level", "status"),
                       top.select("unit_id", "year", "rule", pl.lit("all").alias("level"), "status")])
    j = fired.join(target, on=["unit_id", "year"])
    g = (j.group_by("rule", "level").agg(pl.col("status").first(), pl.len().alias("fires"),
                                         pl.col("target").sum().alias("events")))
    several = g.group_by("rule").len().filter(pl.col("len") > 2)["rule"]
    g = g.filter((pl.col("level") == "all") | pl.col("rule").is_in(several.implode()))
    order = {lv: i for i, lv in enumerate(("all", *ALERT_LEVELS))}
    g = g.with_columns(pl.col("level").replace_strict(order, default=9).alias("_o")).sort("rule", "_o")
    return g.select(
        "rule", "level", "status", pl.col("fires").cast(pl.Int64), (pl.col("fires") / years).alias("fires_per_year"),
        pl.col("events").cast(pl.Int64), (pl.col("events") / pl.col("fires")).alias("event_rate"),
        (pl.col("events") / pl.col("fires") / base).alias("lift"), (pl.col("events") / max(ev, 1)).alias("share_of_events"),
    ).cast(RULE_TABLE_SCHEMA)


def calibration_table(selected: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Per peer group (and "all"), over the labelled selected predictions: units-years, events,
    mean probability, observed event rate, their ratio (1: calibrated on average), AUROC, and the
    observed rate among the group's top tenth of probabilities with its mean probability."""
    d = selected.filter(pl.col("target").is_not_null()).join(groups, on=["unit_id", "year"], how="left").with_columns(
        pl.col("group").fill_null("all"))
    rows = []
    for name, g in sorted(d.group_by("group"), key=lambda x: str(x[0][0])) + [(("all",), d)]:
        y, p = g["target"].to_numpy().astype(int), g["probability"].to_numpy()
        k = max(1, len(p) // 10)
        top = np.argsort(-p, kind="stable")[:k]
        rows.append({"group": name[0], "n": len(y), "events": int(y.sum()), "mean_probability": float(p.mean()) if len(p) else None,
                     "event_rate": float(y.mean()) if len(y) else None,
                     "observed_over_predicted": float(y.mean() / p.mean()) if len(p) and p.mean() > 0 else None,
                     "auroc": auroc(y, p) if 0 < y.sum() < len(y) else None,
                     "top_decile_probability": float(p[top].mean()) if len(p) else None,
                     "top_decile_event_rate": float(y[top].mean()) if len(p) else None})
    return pl.DataFrame(rows)


def value_added(alerts: pl.DataFrame, selected: pl.DataFrame) -> dict:
    """Rules alone against rules plus the model, over the labelled selected predictions: AUROC
    of the highest counted rule level, and of that level with the model's probability breaking
    ties within it (and lifting units without a rule alert by it); events caught by the rule
    alerts, and by the same number of unit-years taken by the model's probability (the same alert
    volume), and by the union the run publishes."""
    d = selected.filter(pl.col("target").is_not_null()).select("unit_id", "year", "probability", "target")
    r = (alerts.filter(pl.col("status") == "alert", pl.col("source") == "rule", pl.col("rule") != "hold")
         .group_by("unit_id", "year").agg(pl.col("level").replace_strict(ALERT_RANK, default=0).max().alias("rule_rank")))
    m = alerts.filter(pl.col("status") == "alert", pl.col("source") == "model").select("unit_id", "year").unique().with_columns(
        pl.lit(True).alias("model_alert"))
    d = (d.join(r, on=["unit_id", "year"], how="left").join(m, on=["unit_id", "year"], how="left")
         .with_columns(pl.col("rule_rank").fill_null(0), pl.col("model_alert").fill_null(False)))
    y = d["target"].to_numpy().astype(int)
    if not 0 < y.sum() < len(y):
        return {}
    rr, p = d["rule_rank"].to_numpy().astype(float), d["probability"].to_numpy()
    flagged = rr > 0
    volume = int(flagged.sum())
    by_model = np.zeros(len(p), dtype=bool)
    by_model[np.argsort(-p, kind="stable")[:volume]] = True
    union = flagged | d["model_alert"].to_numpy()
    return {"unit_years": len(y), "events": int(y.sum()),
            "auroc_rules": auroc(y, rr), "auroc_rules_plus_model": auroc(y, rr + p),
            "auroc_model": auroc(y, p),
            "rule_alerts": volume, "events_caught_rules": int(y[flagged].sum()),
            "events_caught_model_same_volume": int(y[by_model].sum()),
            "alerts_rules_plus_model": int(union.sum()), "events_caught_rules_plus_model": int(y[union].sum())}
