"""Backtest the early warning on generated worlds: `python -m models.evaluate --seeds 101 202`.

For each seed: generate a world (indicators.synth), stage and score it as a run does, evaluate
the rules, build the features and run the early warning; then report the pooled out-of-time
metrics of every model against the data-defined target. As a check of what the target misses,
the selected model's probabilities are also scored against the generator's own serious events
(`_truth/events.csv`, in the same scope as the target). The truth is read here, for evaluation
only: nothing the models see comes from it. models/BACKTEST.md records the figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from indicators.framework import Framework, load_framework

MODELS = ("selected", "logit", "gbm", "naive_last_event", "naive_last_score")
SHOWN = ("auroc", "average_precision", "precision_at_k", "brier", "usefulness_ad", "usefulness_sarlin")


def stage(data: Path, framework: Framework) -> dict:
    """The frames a run hands to the early-warning stage."""
    from indicators.compute import compute_indicators
    from indicators.load import load
    from indicators.monthly import monthly_tickets
    from models.risk import serious_events
    from rating.grade import grade_of
    from rating.score import score

    con = duckdb.connect()
    loaded = load(data, con, as_of=dt.date.today(), lifecycle=framework.lifecycle)
    ind = compute_indicators(con, framework, set(loaded.present))
    units = con.sql("SELECT * FROM units ORDER BY unit_id").pl()
    scored = score(ind, units, framework)
    aggs = dict(zip(scored.aggregate_codes, scored.aggregates.T))
    s = scored.keys.with_columns(pl.Series("score", aggs[framework.code]).fill_nan(None))
    s = s.with_columns(grade_of(s["score"].fill_null(np.nan).to_numpy(), framework),
                       *[pl.Series(c, aggs[c]).fill_nan(None) for c in scored.aggregate_codes if c != framework.code])
    out = {"values": ind, "scores": s, "events": serious_events(con, framework), "monthly": monthly_tickets(con),
           "records": con.sql("SELECT record_id, unit_id, category, severity, occurred_on, counting "
                              "FROM stg_failure_records").pl(),
           "contracts": con.sql("SELECT * FROM contracts").pl(), "units": units}
    con.close()
    return out


def truth_auroc(data: Path, risk: pl.DataFrame, units: pl.DataFrame, scope: str) -> float:
    """AUROC of the probabilities for t against the generator's serious events of t+1."""
    t = pl.read_csv(data / "_truth" / "events.csv", schema_overrides={"unit_id": pl.String})
    if scope == "region":
        region = units.filter(pl.col("kind") == "department").select("unit_id", pl.col("region_id").alias("r"))
        t = pl.concat([t, t.join(region, on="unit_id").select(pl.col("r").alias("unit_id"), "year", "event")])
        t = t.group_by("unit_id", "year").agg(pl.col("event").max())
    j = risk.join(t.select("unit_id", (pl.col("year") - 1).alias("year"), "event"), on=["unit_id", "year"])
    y = j["event"].to_numpy()
    return float(roc_auc_score(y, j["probability"].to_numpy())) if 0 < y.sum() < len(y) else float("nan")


def evaluate_seed(seed: int, workdir: Path, *, years=(2019, 2025), complaints: int | None = None,
                  model_seed: int = 0, framework: Framework | None = None) -> dict:
    from indicators.synth import generate
    from models import features, risk, rules
    from models.config import ModelConfig

    fw = framework or load_framework()
    data = workdir / f"world-{seed}"
    generate(data, seed=seed, years=years, scale="demo", complaints=complaints)
    f = stage(data, fw)
    alerts = rules.evaluate(f["values"], fw, scores=f["scores"], monthly=f["monthly"], records=f["records"],
                            contracts=f["contracts"])
    feat = features.build_features(f["values"], fw, scores=f["scores"], alerts=alerts)
    ew = risk.early_warning(feat, f["events"], fw, seed=model_seed, alerts=alerts)
    pooled = ew.card["metrics"]
    labelled = ew.risk.filter(pl.col("year") < years[1])
    return {"seed": seed, "chosen": ew.card["chosen_model"], "chosen_by_year": ew.card["chosen_by_year"],
            "cutoffs": ew.card["cutoffs"], "beats_naive": ew.card["beats_naive"],
            "events": pooled.get("selected", {}).get("events"), "n": pooled.get("selected", {}).get("n"),
            "metrics": {m: pooled.get(m, {}) for m in MODELS},
            "auroc_by_year": ew.card["auroc_by_year"],
            "truth_auroc": truth_auroc(data, labelled, f["units"], ModelConfig.from_framework(fw).event_scope),
            "alerts": ew.alerts.group_by("source", "level").len().sort("source", "level").rows()}


def markdown(results: list[dict]) -> str:
    """One row per seed and model: pooled metrics, the mean of the yearly AUROCs, and the AUROC
    of the selected model against the generator's truth."""
    head = ["seed", "model", *SHOWN, "auroc (mean of years)", "auroc vs truth"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        for m in MODELS:
            v = r["metrics"].get(m) or {}
            cells = [f"{v[k]:.3f}" if isinstance(v.get(k), float) else "" for k in SHOWN]
            years = [a for a in (r["auroc_by_year"].get(m) or {}).values() if a is not None]
            cells.append(f"{np.mean(years):.3f}" if years else "")
            cells.append(f"{r['truth_auroc']:.3f}" if m == "selected" else "")
            name = f"selected ({r['chosen']} last)" if m == "selected" else m
            lines.append(f"| {r['seed']} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.evaluate", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--first", type=int, default=2019)
    ap.add_argument("--last", type=int, default=2025)
    ap.add_argument("--complaints", type=int, default=None, help="complaint rows (default: the demo scale's)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ew-eval-") as tmp:
        results = []
        for s in a.seeds:
            r = evaluate_seed(s, Path(tmp), years=(a.first, a.last), complaints=a.complaints)
            results.append(r)
            sel = r["metrics"]["selected"]
            print(f"seed {s}: selected AUROC {sel.get('auroc', float('nan')):.3f} "
                  f"(naive event {r['metrics']['naive_last_event'].get('auroc', float('nan')):.3f}, "
                  f"naive score {r['metrics']['naive_last_score'].get('auroc', float('nan')):.3f}); "
                  f"vs truth {r['truth_auroc']:.3f}; last model {r['chosen']}; beats naive: {r['beats_naive']}",
                  file=sys.stderr)
    print(markdown(results))
    if a.json:
        a.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0 if all(r["beats_naive"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
