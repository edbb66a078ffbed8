"""Early-warning model: probability of a serious integrity event in year t+1 from data up to t.

The target comes from the data (serious failure records of the framework's event categories
that count under the lifecycle rules), never from a generator's ground truth. Every probability
is out of time (rolling origin): the probability for year t comes from models fitted only on
pairs (s, s+1) with s + 1 <= t, the model is the one whose out-of-time skill was better on the
years before t, and the alert cut-offs are chosen on those years too. So deleting or changing
the data of year t+1 cannot change anything said about year t.
"""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from indicators.framework import Framework
from models import backtest, card as model_card, estimators, levels
from models.config import ModelConfig
from models.features import KEYS, event_history, feature_columns, label, matrix

RISK_SCHEMA = {"unit_id": pl.String, "year": pl.Int64, "probability": pl.Float64}
PRED_SCHEMA = {"model": pl.String, "unit_id": pl.String, "year": pl.Int64, "probability": pl.Float64,
               "target": pl.Int8, "base_rate": pl.Float64}
EXPLAIN_SCHEMA = {"unit_id": pl.String, "year": pl.Int64, "rank": pl.Int64, "feature": pl.String,
                  "label_zh": pl.String, "label_en": pl.String, "value": pl.Float64, "contribution": pl.Float64}


@dataclass(frozen=True)
class EarlyWarning:
    """Everything the early-warning stage produces.

    risk: unit_id, year, probability (risk.csv). alerts: the rule alerts given, the model alerts
    and the `hold` alerts (ALERT_SCHEMA). levels: unit_id, year, level, rule_level, model_level,
    held. explanations: per unit and year, the features that raised the probability most.
    card: the model card. backtest: metrics per model and year (year null: pooled).
    predictions: every model's out-of-time probabilities. model: the fitted model of the last year.
    """

    risk: pl.DataFrame
    alerts: pl.DataFrame
    levels: pl.DataFrame
    explanations: pl.DataFrame
    card: dict
    backtest: pl.DataFrame
    predictions: pl.DataFrame
    model: object | None


def serious_events(con: duckdb.DuckDBPyConnection, framework: Framework) -> pl.DataFrame:
    """unit_id, year, events: counting failure records of the framework's event categories at or
    above its event severity, per unit and year (in the region scope a region includes its
    departments). Events are null for every unit-year when there are no failure records."""
    cfg = ModelConfig.from_framework(framework)
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    grid = "SELECT u.unit_id, y.year FROM units u CROSS JOIN rated_years y"
    if "stg_failure_records" not in views:
        return con.sql(f"SELECT unit_id, CAST(year AS BIGINT) AS year, NULL::BIGINT AS events FROM ({grid})").pl()
    scope = "scope_region" if cfg.event_scope == "region" else "scope_unit"
    q = f"""
        WITH e AS (
          SELECT s.target AS unit_id, year(r.occurred_on) AS year, count(*) AS events
          FROM stg_failure_records r JOIN {scope} s ON r.unit_id = s.source
          WHERE r.counting AND r.severity >= ? AND r.category IN (SELECT unnest(?::VARCHAR[]))
          GROUP BY ALL)
        SELECT g.unit_id, CAST(g.year AS BIGINT) AS year, coalesce(e.events, 0) AS events
        FROM ({grid}) g LEFT JOIN e USING (unit_id, year)
        ORDER BY g.unit_id, g.year
    """
    return con.sql(q, params=[int(cfg.event_severity), list(cfg.event_categories)]).pl()


def _dataset(features: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Features plus the event history, and the target: an event in the unit's next year."""
    ev = events.select(*KEYS, pl.col("events").cast(pl.Int64))
    target = ev.select("unit_id", (pl.col("year") - 1).alias("year"), (pl.col("events") > 0).cast(pl.Int8).alias("target"))
    hist = event_history(ev)
    drop = [c for c in ("events:t", "events:3y", "target") if c in features.columns]
    return (features.drop(drop).join(hist, on=KEYS, how="left").join(target, on=KEYS, how="left")
            .sort("year", "unit_id"))


def _medians(X: np.ndarray) -> np.ndarray:
    """Column medians ignoring NaN (0 for an empty column, as the imputer does)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nan_to_num(np.nanmedian(X, axis=0)) if len(X) else np.zeros(X.shape[1])


def _groups(cols: list[str]) -> list[tuple[str, list[int]]]:
    """Features explained together: each column alone, except the unit's kind and level, which
    move together (a one-hot reading of "not a county" would mislead)."""
    kind = [j for j, c in enumerate(cols) if c.startswith(("kind:", "level:"))]
    out = [(c, [j]) for j, c in enumerate(cols) if j not in kind]
    return out + ([("unit_type", kind)] if kind else [])


def _explain(est, X: np.ndarray, ref: np.ndarray, groups: list[tuple[str, list[int]]],
             block_rows: int = 200_000) -> np.ndarray:
    """Occlusion contributions on the log-odds scale, one column per group: how much the group's
    own values move the unit's log-odds away from where they would be at the training medians.
    Exact for the logistic model (coefficient x distance from the median, times the calibration
    slope); for boosting, a local one-group-at-a-time reading."""
    def logit(p):
        p = np.clip(p, 1e-9, 1 - 1e-9)
        return np.log(p / (1 - p))

    n = X.shape[0]
    base = logit(estimators.probability(est, X))
    out = np.zeros((n, len(groups)))
    step = max(1, block_rows // max(n, 1))
    for lo in range(0, len(groups), step):
        part = groups[lo:lo + step]
        big = np.tile(X, (len(part), 1))
        for b, (_, js) in enumerate(part):
            big[b * n:(b + 1) * n, js] = ref[js]
        p = logit(estimators.probability(est, big)).reshape(len(part), n)
        out[:, lo:lo + len(part)] = (base[None, :] - p).T
    return out


def early_warning(features: pl.DataFrame, events: pl.DataFrame, framework: Framework, *, seed: int = 0,
                  alerts: pl.DataFrame | None = None) -> EarlyWarning:
    """Fit, backtest and apply the early-warning models; merge their alerts with the rule alerts.

    Parameters
    ----------
    features : unit_id, year and feature columns (models.features.build_features).
    events : unit_id, year, events (serious_events); null events mean the target is unknown.
    framework : its `[model]` table configures everything (models.config.ModelConfig).
    seed : random_state of the gradient boosting; the same inputs and seed give the same output.
    alerts : the rule alerts of the run (rules.evaluate), merged with the model's.

    Examples
    --------
    >>> from indicators.framework import load_framework
    >>> rng = np.random.default_rng(0)
    >>> f = pl.DataFrame({"unit_id": [f"u{i}" for i in range(60)] * 5, "year": np.repeat(np.arange(2020, 2025), 60),
    ...                   "x": rng.normal(size=300)})
    >>> e = f.select("unit_id", "year", events=(pl.col("x") + rng.normal(size=300) > 1.2).cast(pl.Int64))
    >>> ew = early_warning(f, e.with_columns(pl.col("year") + 1), load_framework())
    >>> ew.risk.columns, ew.card["chosen_model"] in ("logit", "gbm")
    (['unit_id', 'year', 'probability'], True)
    """
    cfg = ModelConfig.from_framework(framework)
    data = _dataset(features, events)
    cols = feature_columns(data)
    score_col = f"score:{framework.code}"
    use = {c: cols for c in cfg.candidates}
    use["naive_last_event"] = ["events:t"]
    if score_col in cols:
        use["naive_last_score"] = [score_col]
    idx = {m: [cols.index(c) for c in cs] for m, cs in use.items()}
    X_all = matrix(data, cols)
    years = data["year"].unique().sort().to_list()
    year_arr = data["year"].to_numpy()
    y_all = data["target"].to_numpy()
    preds, fitted, train_years = [], {}, {}
    for t in years:
        tr = (year_arr < t) & ~np.isnan(y_all.astype(float))
        y = y_all[tr].astype(int)
        if len(np.unique(year_arr[tr])) < cfg.min_train_years or y.min(initial=1) == y.max(initial=0):
            continue
        te = year_arr == t
        keys = data.filter(pl.Series(te)).select(*KEYS, "target")
        train_years[t] = sorted(set(year_arr[tr].tolist()))
        for m, ix in idx.items():
            est = estimators.fit(m, X_all[tr][:, ix], y, cfg, seed)
            p = np.round(estimators.probability(est, X_all[te][:, ix]), 6)
            preds.append(keys.with_columns(model=pl.lit(m), probability=pl.Series(p), base_rate=pl.lit(float(y.mean()))))
            if m in cfg.candidates:
                fitted[(m, t)] = (est, _medians(X_all[tr]))
    pred = (pl.concat(preds).select(list(PRED_SCHEMA)).cast(PRED_SCHEMA) if preds else pl.DataFrame(schema=PRED_SCHEMA))
    # nested choice: for year t, the model and cut-offs that the years before t support
    chosen, cuts, risk_rows, expl = {}, {}, [], []
    for t in sorted(train_years):
        before = pred.filter(pl.col("year") < t)
        chosen[t] = backtest.choose(before, cfg.candidates, cfg.select_by)
        hist = before.filter(pl.col("model") == chosen[t], pl.col("target").is_not_null())
        cuts[t] = backtest.cutoffs(hist["target"].to_numpy(), hist["probability"].to_numpy(), cfg.cutoff_mu,
                                   cfg.cutoff_min_events)
        risk_rows.append(pred.filter(pl.col("model") == chosen[t], pl.col("year") == t))
        est, ref = fitted[(chosen[t], t)]
        rows = data.filter(pl.col("year") == t)
        groups = _groups(cols)
        contrib = _explain(est, X_all[year_arr == t], ref, groups)
        expl.append(_top(rows, groups, X_all[year_arr == t], contrib, cfg.explain_top, framework))
    sel = (pl.concat(risk_rows).with_columns(model=pl.lit("selected")) if risk_rows else pred.clear())
    pred = pl.concat([pred, sel])
    bt = backtest.table(pred, mu=cfg.mu, k=cfg.top_k)
    explanations = pl.concat(expl) if expl else pl.DataFrame(schema=EXPLAIN_SCHEMA)
    risk = sel.select("unit_id", "year", "probability").sort(KEYS) if risk_rows else pl.DataFrame(schema=RISK_SCHEMA)
    top = explanations.group_by(KEYS).agg(pl.col("feature").sort_by("rank").alias("top"))
    lv_of = [levels.level_of(p, cuts[y]) for y, p in zip(sel["year"], sel["probability"])]
    risk_lv = sel.with_columns(
        level=pl.Series(lv_of, dtype=pl.String),
        cutoff=pl.Series([cuts[y].get(lv) if lv else None for y, lv in zip(sel["year"], lv_of)], dtype=pl.Float64),
    ).join(top, on=KEYS, how="left")
    rule_alerts = alerts if alerts is not None else pl.DataFrame(schema=levels.ALERT_SCHEMA)
    model_alerts = levels.model_alerts(risk_lv)
    merged, lv = levels.merge(pl.concat([rule_alerts.select(list(levels.ALERT_SCHEMA)), model_alerts]),
                              features.select(*KEYS, rated=pl.col(f"score:{framework.code}").is_not_null()
                                              if f"score:{framework.code}" in features.columns else pl.lit(True)),
                              cfg.hold_periods)
    last = max(train_years) if train_years else None
    card = model_card.build(framework, cfg, seed=seed, cols=cols, data=data, train_years=train_years,
                            chosen=chosen, cuts=cuts, backtest=bt)
    return EarlyWarning(risk=risk, alerts=merged, levels=lv, explanations=explanations, card=card, backtest=bt,
                        predictions=pred, model=fitted[(chosen[last], last)][0] if last is not None else None)


def _top(rows: pl.DataFrame, groups: list, X: np.ndarray, contrib: np.ndarray, k: int, framework: Framework) -> pl.DataFrame:
    """The k features (or groups) with the largest positive contributions of each row."""
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    out = []
    units, yrs = rows["unit_id"].to_list(), rows["year"].to_list()
    labels = [label(name, framework) for name, _ in groups]
    for i in range(len(units)):
        for r, g in enumerate(order[i]):
            if contrib[i, g] <= 1e-9:
                break
            name, js = groups[g]
            v = X[i, js[0]] if len(js) == 1 else np.nan
            out.append((units[i], yrs[i], r + 1, name, *labels[g], None if np.isnan(v) else float(v),
                        round(float(contrib[i, g]), 6)))
    return pl.DataFrame(out, schema=EXPLAIN_SCHEMA, orient="row")


def predict_out_of_time(scores: pl.DataFrame, events: pl.DataFrame, feature_cols: list[str], seed: int = 0) -> pl.DataFrame:
    """risk.csv from a logistic regression on the given score columns (the first version's entry,
    kept until the pipeline calls `early_warning`)."""
    from indicators.framework import load_framework

    fw = load_framework()
    fw = dataclasses.replace(fw, model={**fw.model, "candidates": ["logit"], "explain_top": 1}, alerts=())
    return early_warning(scores.select(*KEYS, *feature_cols), events, fw, seed=seed).risk
