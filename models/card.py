"""The model card of an early-warning run: what was predicted, from what, how well, and how the
alert cut-offs were set. Plain JSON-ready data (text keys, lists, numbers), no timestamps, so
that the same run writes the same bytes.
"""
from __future__ import annotations

import math

import polars as pl

from indicators.framework import Framework
from indicators.model_config import ModelConfig
from models import backtest as bt_tables
from models.estimators import BASELINES
from rating.version import __version__

MODEL_VERSION = "early-warning/5"  # 5: histogram gradient boosting (60 trees at 0.08)
ESTIMATORS = {
    "logit": "median imputation + standardisation + L2 logistic regression (C = {logit_c}) on the composite score, "
             "its three-year mean, the scores of the region and of its departments, kind and level",
    "gbm": "median imputation + histogram gradient boosting ({gbm_trees} trees, depth {gbm_depth}, "
           "learning rate {gbm_learning_rate}, every training row in each tree, max features {gbm_max_features})",
    "naive_last_event": "event rate given an event in the current year (training frequencies)",
    "naive_last_score": "logistic regression on the current composite score",
}


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 6)


def pooled(backtest: pl.DataFrame) -> dict:
    """{model: {metric: value}} of the pooled rows (year null) of a backtest table."""
    rows = backtest.filter(pl.col("year").is_null())
    metrics = [c for c in backtest.columns if c not in ("model", "year")]
    return {r["model"]: {m: _num(r[m]) if m not in ("n", "events") else r[m] for m in metrics}
            for r in rows.iter_rows(named=True)}


def records(df: pl.DataFrame) -> list[dict]:
    """A table as JSON-ready rows (floats rounded to 6 places, NaN as null)."""
    return [{k: _num(v) if isinstance(v, float) else v for k, v in r.items()} for r in df.iter_rows(named=True)]


def build(framework: Framework, cfg: ModelConfig, *, seed: int, cols: list[str], data: pl.DataFrame,
          train_years: dict, chosen: dict, base_rates: dict, backtest: pl.DataFrame, levels: pl.DataFrame,
          alerts: pl.DataFrame, selected: pl.DataFrame, units: pl.DataFrame) -> dict:
    """The card as a dict (see docs/early-warning.md for every key).

    `beats_naive` compares the pooled out-of-time AUROC of the selected model (each year's
    model chosen on the years before it) with both naive baselines. The level, rule, calibration
    and value-added tables are measured on the labelled years against the model's target.
    """
    last = max(train_years) if train_years else None
    labelled = data.filter(pl.col("target").is_not_null())
    target = bt_tables.targets(data).filter(pl.col("year").is_in(list(train_years)))  # the years the model predicts
    met = pooled(backtest)
    sel = (met.get("selected") or {}).get("auroc")
    naive = [(met.get(b) or {}).get("auroc") for b in BASELINES if b in met]
    beats = bool(sel is not None and naive and all(n is not None and sel > n for n in naive))
    cats = "/".join(cfg.event_categories)
    return {
        "model_version": MODEL_VERSION,
        "software_version": __version__,
        "framework": {"code": framework.code, "version": framework.version, "sha256": framework.sha256},
        "target": {
            "definition_en": f"a counting failure record of category {cats} with severity >= {cfg.event_severity} "
                             f"in year t+1 ({cfg.event_scope} scope)",
            "definition_zh": f"t+1年发生计入的{cats}类、严重程度不低于{cfg.event_severity}的失信记录"
                             f"（{'含所属部门' if cfg.event_scope == 'region' else '仅本单位'}）",
            "event_categories": list(cfg.event_categories), "event_severity": cfg.event_severity,
            "event_scope": cfg.event_scope, "horizon_years": 1,
        },
        "data_window": {
            "feature_years": [int(data["year"].min()), int(data["year"].max())] if data.height else [],
            "labelled_years": sorted(labelled["year"].unique().to_list()),
            "predicted_years": sorted(train_years),
            "training_years_of_last_model": train_years.get(last, []),
            "units": data["unit_id"].n_unique(), "rows": data.height,
            "labelled_rows": labelled.height, "events": int(labelled["target"].sum() or 0),
        },
        "features": cols,
        "n_features": len(cols),
        "candidates": list(cfg.candidates),
        "baselines": list(BASELINES),
        "estimators": {m: ESTIMATORS[m].format(**cfg.as_dict()) for m in (*cfg.candidates, *BASELINES)},
        "calibration": f"{cfg.calibration}, on {cfg.calibration_folds} folds of whole training years (year mod "
                       f"{cfg.calibration_folds}): fitted on the other years, calibrated on the fold's; mean of the folds",
        "validation": "rolling origin: for year t, fit on pairs (s, s+1) with s+1 <= t, predict t; "
                      "the model and cut-offs used for t are chosen on the years before t",
        "selected_by": cfg.select_by,
        "chosen_model": chosen.get(last),
        "chosen_by_year": {str(t): m for t, m in sorted(chosen.items())},
        "level_lift": dict(cfg.level_lift),
        "level_share": dict(cfg.level_share),
        "base_rate_by_year": {str(t): _num(b) for t, b in sorted(base_rates.items())},
        "cutoffs_by_year": {str(t): {lv: _num(k * b) for lv, k in cfg.level_lift.items()} for t, b in sorted(base_rates.items())},
        "cutoff_rule": "a model level when the probability is at least level_lift x the base rate (the event rate of "
                       "the years the model learnt from), for at most level_share of the year's rated units, highest "
                       "probabilities first; fixed in the framework, not re-optimised from year to year",
        "level_backtest": records(bt_tables.level_table(levels, target)),
        "rule_backtest": records(bt_tables.rule_table(alerts, target)),
        "calibration_by_group": records(bt_tables.calibration_table(selected, units)),
        "value_added": {k: _num(v) if isinstance(v, float) else v
                        for k, v in bt_tables.value_added(alerts, selected).items()},
        "metrics": met,
        "auroc_by_year": {m: {str(r["year"]): _num(r["auroc"]) for r in g.iter_rows(named=True)}
                          for (m,), g in backtest.filter(pl.col("year").is_not_null()).group_by("model", maintain_order=True)},
        "beats_naive": beats,
        "hold_periods": cfg.hold_periods,
        "seed": seed,
        "config": cfg.as_dict(),
    }
