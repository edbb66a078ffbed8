"""Early-warning model: probability of a serious integrity event in year t+1 from data up to t.

The target comes from the data (serious failure records of the framework's event categories
that count under the lifecycle rules), never from a generator's ground truth. Every probability
is out of time (rolling origin): the probability for year t comes from models fitted only on
pairs (s, s+1) with s + 1 <= t, the model is the one whose out-of-time skill was better on the
years before t, and the alert cut-offs are chosen on those years too. So deleting or changing
the data of year t+1 cannot change anything said about year t.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from indicators.framework import Framework
from indicators.model_config import ModelConfig
from models import backtest, card as model_card, levels
from models.cache import Cache
from models.origins import Fits, Origin
from models.features import KEYS, context_columns, event_history, feature_columns, label, matrix

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
    predictions: every model's out-of-time probabilities. model: the fitted model of the last year
    (fitted on first use when its results came from the cache). cached: results reused from the
    cache (`hits`) and computed (`computed`): fits and explanations.
    """

    risk: pl.DataFrame
    alerts: pl.DataFrame
    levels: pl.DataFrame
    explanations: pl.DataFrame
    card: dict
    backtest: pl.DataFrame
    predictions: pl.DataFrame
    cached: dict = field(default_factory=dict, compare=False)
    last_model: Callable[[], object] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def model(self) -> object | None:
        """The fitted model of the last predicted year (None when nothing was predicted)."""
        return self.last_model() if self.last_model is not None else None


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


def _groups(cols: list[str]) -> list[tuple[str, list[int]]]:
    """Features explained together: each column alone, except the unit's kind and level, which
    move together (a one-hot reading of "not a county" would mislead)."""
    kind = [j for j, c in enumerate(cols) if c.startswith(("kind:", "level:"))]
    out = [(c, [j]) for j, c in enumerate(cols) if j not in kind]
    return out + ([("unit_type", kind)] if kind else [])


def early_warning(features: pl.DataFrame, events: pl.DataFrame, framework: Framework, *, seed: int = 0,
                  alerts: pl.DataFrame | None = None, cache: Cache | None = None) -> EarlyWarning:
    """Fit, backtest and apply the early-warning models; merge their alerts with the rule alerts.

    Parameters
    ----------
    features : unit_id, year and feature columns (models.features.build_features).
    events : unit_id, year, events (serious_events); null events mean the target is unknown.
    framework : its `[model]` table configures everything (indicators.model_config.ModelConfig).
    seed : random_state of the gradient boosting; the same inputs and seed give the same output.
    alerts : the rule alerts of the run (rules.evaluate), merged with the model's.
    cache : where fitted results are kept and reused (models.cache; default: $RATING_CACHE). The
        output is the same with or without it.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
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
    context = context_columns(cols, framework.code)
    if "logit" in use and score_col in context:  # the composite and its context (models.features)
        use["logit"] = context
    use["naive_last_event"] = ["events:t"]
    if score_col in cols:
        use["naive_last_score"] = [score_col]
    idx = {m: [cols.index(c) for c in cs] for m, cs in use.items()}
    X_all = matrix(data, cols)
    years = data["year"].unique().sort().to_list()
    year_arr = data["year"].to_numpy()
    y_all = data["target"].to_numpy()
    origins, train_years = {}, {}
    for t in years:
        tr = (year_arr < t) & ~np.isnan(y_all.astype(float))
        y = y_all[tr].astype(int)
        if len(np.unique(year_arr[tr])) < cfg.min_train_years or y.min(initial=1) == y.max(initial=0):
            continue
        origins[t] = Origin(train=tr, test=year_arr == t, y=y, years=year_arr[tr])
        train_years[t] = sorted(set(year_arr[tr].tolist()))
    fits = Fits(X_all, cols, origins, idx, cfg, seed, cache if cache is not None else Cache.from_env())
    probs = fits.probabilities()
    preds = []
    for t, o in origins.items():
        keys = data.filter(pl.Series(o.test)).select(*KEYS, "target")
        preds += [keys.with_columns(model=pl.lit(m), probability=pl.Series(probs[m, t]), base_rate=pl.lit(float(o.y.mean())))
                  for m in idx]
    pred = (pl.concat(preds).select(list(PRED_SCHEMA)).cast(PRED_SCHEMA) if preds else pl.DataFrame(schema=PRED_SCHEMA))
    # nested choice: for year t, the model that the years before t support; its levels by the
    # framework's fixed lifts and shares over the base rate of the years it learnt from
    chosen, base_rates, risk_rows = {}, {}, []
    for t in sorted(train_years):
        before = pred.filter(pl.col("year") < t)
        chosen[t] = backtest.choose(before, cfg.candidates, cfg.select_by)
        base_rates[t] = float(origins[t].y.mean())
        risk_rows.append(pred.filter(pl.col("model") == chosen[t], pl.col("year") == t))
    groups = _groups(cols)
    expl = [_top(data.filter(pl.col("year") == t), groups, X_all[origins[t].test], *top_t, framework)
            for t, top_t in fits.explanations(chosen, groups, cfg.explain_top).items()]
    sel = (pl.concat(risk_rows).with_columns(model=pl.lit("selected")) if risk_rows else pred.clear())
    pred = pl.concat([pred, sel])
    bt = backtest.table(pred, mu=cfg.mu, k=cfg.top_k)
    explanations = pl.concat(expl) if expl else pl.DataFrame(schema=EXPLAIN_SCHEMA)
    risk = sel.select("unit_id", "year", "probability").sort(KEYS) if risk_rows else pl.DataFrame(schema=RISK_SCHEMA)
    top = explanations.group_by(KEYS).agg(pl.col("feature").sort_by("rank").alias("top"),
                                          pl.col("label_zh").sort_by("rank").alias("top_zh"),
                                          pl.col("label_en").sort_by("rank").alias("top_en"))
    rated = (features.select(*KEYS, rated=pl.col(score_col).is_not_null()) if score_col in features.columns
             else features.select(*KEYS, rated=pl.lit(True)))
    risk_lv = _model_levels(sel, rated, base_rates, cfg).join(top, on=KEYS, how="left")
    rule_alerts = alerts if alerts is not None else pl.DataFrame(schema=levels.ALERT_SCHEMA)
    model_alerts = levels.model_alerts(risk_lv, rule={"action_zh": cfg.action_zh, "action_en": cfg.action_en,
                                                      "owner_zh": cfg.owner_zh, "owner_en": cfg.owner_en,
                                                      "follow_up_days": cfg.follow_up_days})
    merged, lv = levels.merge(pl.concat([rule_alerts.select(list(levels.ALERT_SCHEMA)), model_alerts]), rated,
                              cfg.hold_periods, share=cfg.level_share,
                              priority=sel.select(*KEYS, pl.col("probability").alias("priority")))
    last = max(train_years) if train_years else None
    card = model_card.build(framework, cfg, seed=seed, cols=cols, data=data, train_years=train_years,
                            chosen=chosen, base_rates=base_rates, backtest=bt, levels=lv, alerts=merged,
                            selected=sel, units=features_units(features))
    return EarlyWarning(risk=risk, alerts=merged, levels=lv, explanations=explanations, card=card, backtest=bt,
                        predictions=pred, cached={"hits": fits.hits, "computed": fits.computed},
                        last_model=fits.later(chosen[last], last) if last is not None else None)


def _model_levels(sel: pl.DataFrame, rated: pl.DataFrame, base_rates: dict, cfg: ModelConfig) -> pl.DataFrame:
    """The selected probabilities with their level (models.levels.model_levels per year: the
    share of each level is of the year's rated units), the base rate and the level's lift."""
    out = []
    for (t,), g in sel.sort("year", "unit_id").group_by("year", maintain_order=True):
        n = int(rated.filter(pl.col("year") == t, pl.col("rated")).height) or g.height
        lv = levels.model_levels(g["probability"].to_numpy(), base_rates[t], cfg.level_lift, cfg.level_share, n)
        out.append(g.with_columns(level=pl.Series(lv, dtype=pl.String), base_rate=pl.lit(base_rates[t])))
    frame = pl.concat(out) if out else sel.with_columns(level=pl.lit(None, pl.String), base_rate=pl.lit(None, pl.Float64))
    lift = pl.col("level").replace_strict(cfg.level_lift, default=None, return_dtype=pl.Float64)
    return frame.with_columns(lift.alias("lift"))


def features_units(features: pl.DataFrame) -> pl.DataFrame:
    """unit_id, year, group: the peer group of each unit-year (kind and administrative level,
    from the features' one-hot columns; "all" when they are not known)."""
    kinds = [c for c in features.columns if c.startswith("kind:")]
    lvls = [c for c in features.columns if c.startswith("level:")]

    def which(cols):
        if not cols:
            return pl.lit(None, pl.String)
        e = pl.lit(None, pl.String)
        for c in reversed(cols):
            e = pl.when(pl.col(c) == 1).then(pl.lit(c.partition(":")[2])).otherwise(e)
        return e

    return features.select(*KEYS, pl.concat_str([which(kinds), which(lvls)], separator="/").fill_null("all").alias("group"))


def _top(rows: pl.DataFrame, groups: list, X: np.ndarray, order: np.ndarray, contrib: np.ndarray,
         framework: Framework) -> pl.DataFrame:
    """Rows of the explanations table: per row of `rows`, its groups in `order` (largest
    contribution first, `contrib` in the same order) while the contribution is positive."""
    keep = np.cumprod(contrib > 1e-9, axis=1).astype(bool)
    i, r = np.nonzero(keep)
    g = order[i, r]
    labels = [label(name, framework) for name, _ in groups]
    first = np.array([js[0] if len(js) == 1 else -1 for _, js in groups], dtype=np.int64)
    col = first[g]
    value = np.where(col >= 0, X[i, np.maximum(col, 0)], np.nan)
    return pl.DataFrame({
        "unit_id": rows["unit_id"].gather(i), "year": rows["year"].gather(i), "rank": r + 1,
        "feature": [groups[j][0] for j in g], "label_zh": [labels[j][0] for j in g],
        "label_en": [labels[j][1] for j in g], "value": value,
        "contribution": [round(float(c), 6) for c in contrib[i, r]],
    }, schema=EXPLAIN_SCHEMA).with_columns(pl.col("value").fill_nan(None))
