"""Backtest the early warning on generated worlds: `python -m models.evaluate --seeds 101 202`.

For each seed: generate a world (indicators.synth) and rate it with the shipped pipeline's own
stages (rating.pipeline.stage and rate: scores rounded, capped by vetoes and overridden as
published, rules, features and the early warning) as of an explicit run date; then report the
pooled out-of-time metrics of every model against the data-defined target. As a check of what
the target misses, the selected model's probabilities are also scored against the generator's
own serious events (`_truth/events.csv`, in the same scope as the target). The truth is read
here, for evaluation only: nothing the models see comes from it. models/BACKTEST.md records the
figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from indicators.framework import Framework
from indicators.framework_load import load_framework
from models.backtest import auroc

MODELS = ("selected", "logit", "gbm", "naive_last_event", "naive_last_score")
SHOWN = ("auroc", "average_precision", "precision_at_k", "brier", "usefulness_ad", "usefulness_sarlin")


def run_date(last: int) -> dt.date:
    """The run date of a rating whose data end in `last`: 30 June of the year after."""
    return dt.date(last + 1, 6, 30)


def rate_world(data: Path, framework: Framework, *, as_of: dt.date, model_seed: int = 0):
    """The shipped pipeline on one data folder, as `rating.run(data, framework, model_seed,
    as_of=as_of, replications=0)` computes it: (run tables, early-warning outcome). Rank
    intervals are left out (no replications): the early warning does not read them."""
    from rating.pipeline import rate, stage

    tables, ew, _, _ = rate(stage(Path(data), framework, as_of), framework, model_seed, 0)
    return tables, ew


def truth_auroc(data: Path, risk: pl.DataFrame, units: pl.DataFrame, scope: str) -> float:
    """AUROC of the probabilities for t against the generator's serious events of t+1."""
    t = pl.read_csv(data / "_truth" / "events.csv", schema_overrides={"unit_id": pl.String})
    if scope == "region":
        region = units.filter(pl.col("kind") == "department").select("unit_id", pl.col("region_id").alias("r"))
        t = pl.concat([t, t.join(region, on="unit_id").select(pl.col("r").alias("unit_id"), "year", "event")])
        t = t.group_by("unit_id", "year").agg(pl.col("event").max())
    j = risk.join(t.select("unit_id", (pl.col("year") - 1).alias("year"), "event"), on=["unit_id", "year"])
    y = j["event"].to_numpy()
    return auroc(y, j["probability"].to_numpy()) if 0 < y.sum() < len(y) else float("nan")


def ceiling_by_kind(data: Path, predictions: pl.DataFrame, units: pl.DataFrame, scope: str) -> dict:
    """{kind: AUROC} of the generator's own probability of an event in t + 1 from the units' true
    latent integrity in t (its event equation without the year-t+1 change), in the target's scope,
    on the labelled unit-years the models are scored on: what knowing every unit's integrity
    today would rank within a kind, an upper reference for any model of the year-t data."""
    from indicators.synth.world import EVENT_BASE, EVENT_BETA, T_CITY, T_CITY_DEPT, T_COUNTY, T_COUNTY_DEPT, T_PROVINCE

    lat = pl.read_csv(data / "_truth" / "latent.csv", schema_overrides={"unit_id": pl.String})
    tiers = {("region", "province"): T_PROVINCE, ("region", "city"): T_CITY, ("region", "county"): T_COUNTY,
             ("department", "city"): T_CITY_DEPT, ("department", "county"): T_COUNTY_DEPT}
    u = units.select("unit_id", "kind", "region_id", base=pl.concat_str("kind", "level", separator="/").replace_strict(
        {f"{k}/{lv}": float(EVENT_BASE[t]) for (k, lv), t in tiers.items()}, default=None, return_dtype=pl.Float64))
    p = lat.join(u, on="unit_id").with_columns(p=1 / (1 + (EVENT_BETA * pl.col("latent") - pl.col("base")).exp()))
    if scope == "region":  # a region's event includes its departments'
        fam = p.group_by("region_id", "year").agg(q=1 - (1 - pl.col("p")).log().sum().exp())
        p = p.join(fam, on=["region_id", "year"], how="left").with_columns(
            p=pl.when(pl.col("kind") == "region").then(pl.col("q")).otherwise(pl.col("p")))
    rows = predictions.filter(pl.col("model") == "selected", pl.col("target").is_not_null()).select("unit_id", "year", "target")
    j = rows.join(p.select("unit_id", "year", "kind", "p"), on=["unit_id", "year"])
    out = {}
    for (kind,), g in sorted(j.group_by("kind"), key=lambda x: x[0]):
        y = g["target"].to_numpy()
        out[kind] = auroc(y, g["p"].to_numpy()) if 0 < y.sum() < len(y) else None
    return out


def evaluate_seed(seed: int, workdir: Path, *, years=(2019, 2025), complaints: int | None = None,
                  model_seed: int = 0, framework: Framework | None = None, as_of: dt.date | None = None) -> dict:
    """Generate the world of `seed` over `years`, rate it as of `as_of` (default: run_date of
    the last year) and return the backtest's figures."""
    from indicators.model_config import ModelConfig
    from indicators.synth import generate

    fw = framework or load_framework()
    data = workdir / f"world-{seed}"
    generate(data, seed=seed, years=years, scale="demo", complaints=complaints)
    tables, ew = rate_world(data, fw, as_of=as_of or run_date(years[1]), model_seed=model_seed)
    pooled = ew.card["metrics"]
    labelled = ew.risk.filter(pl.col("year") < years[1])
    return {"seed": seed, "chosen": ew.card["chosen_model"], "chosen_by_year": ew.card["chosen_by_year"],
            "beats_naive": ew.card["beats_naive"], "auroc_by_kind": auroc_by_kind(ew.predictions, tables["units"]),
            "ceiling_by_kind": ceiling_by_kind(data, ew.predictions, tables["units"], ModelConfig.from_framework(fw).event_scope),
            "levels": ew.card["level_backtest"], "rules": ew.card["rule_backtest"],
            "calibration": ew.card["calibration_by_group"], "value_added": ew.card["value_added"],
            "events": pooled.get("selected", {}).get("events"), "n": pooled.get("selected", {}).get("n"),
            "metrics": {m: pooled.get(m, {}) for m in MODELS},
            "auroc_by_year": ew.card["auroc_by_year"],
            "truth_auroc": truth_auroc(data, labelled, tables["units"], ModelConfig.from_framework(fw).event_scope),
            "alerts": ew.alerts.group_by("source", "level").len().sort("source", "level").rows()}


def auroc_by_kind(predictions: pl.DataFrame, units: pl.DataFrame) -> dict:
    """{model: {kind: AUROC}}: each model's labelled out-of-time predictions pooled over the
    years within regions and within departments (the naive score baseline is fairer there:
    the pooled AUROC also rewards telling regions from departments)."""
    d = predictions.filter(pl.col("target").is_not_null()).join(units.select("unit_id", "kind"), on="unit_id")
    out = {}
    for (m, kind), g in sorted(d.group_by("model", "kind"), key=lambda x: x[0]):
        y = g["target"].to_numpy()
        out.setdefault(m, {})[kind] = auroc(y, g["probability"].to_numpy()) if 0 < y.sum() < len(y) else None
    return out


def _f(v, spec=".3f") -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, spec)


def level_markdown(results: list[dict]) -> str:
    """Per seed and level, pooled over the backtest years: units per year, share of units, next-year
    event rate, lift over the base rate, share of events caught; and the range of the yearly lifts."""
    head = ["seed", "level", "units per year", "share of units", "event rate", "lift", "lift by year (min-max)",
            "share of events caught"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        years = sorted({x["year"] for x in r["levels"] if x["year"] is not None})
        for x in (x for x in r["levels"] if x["year"] is None):
            yearly = [y["lift"] for y in r["levels"] if y["year"] is not None and y["level"] == x["level"] and y["lift"] is not None]
            span = f"{min(yearly):.2f}-{max(yearly):.2f}" if yearly else ""
            lines.append(f"| {r['seed']} | {x['level']} | {x['units'] / max(len(years), 1):.1f} | {_f(x['share_of_units'], '.1%')} | "
                         f"{_f(x['event_rate'], '.3f')} | {_f(x['lift'], '.2f')} | {span} | {_f(x['share_of_events'], '.1%')} |")
    return "\n".join(lines)


def rule_markdown(results: list[dict]) -> str:
    """Per rule (and band), pooled over seeds and backtest years: fires per year and seed, status,
    next-year event rate, lift, share of events caught; and the range of the lift over the seeds."""
    rows: dict = {}
    for r in results:
        for x in r["rules"]:
            rows.setdefault((x["rule"], x["level"]), []).append(x)
    head = ["rule", "level", "status", "fires per year", "event rate", "lift", "lift by seed (min-max)", "share of events caught"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (rule, level), xs in sorted(rows.items()):
        fires = sum(x["fires"] for x in xs)
        events = sum(x["events"] for x in xs)
        lifts = [x["lift"] for x in xs if x["lift"] is not None]
        rate = events / fires if fires else None
        lift = float(np.mean(lifts)) if lifts else None
        share = float(np.mean([x["share_of_events"] for x in xs if x["share_of_events"] is not None] or [np.nan]))
        lines.append(f"| {rule} | {level} | {xs[0]['status']} | {np.mean([x['fires_per_year'] for x in xs]):.1f} | "
                     f"{_f(rate)} | {_f(lift, '.2f')} | {min(lifts):.2f}-{max(lifts):.2f} | {_f(share, '.1%')} |"
                     if lifts else f"| {rule} | {level} | {xs[0]['status']} | | | | | |")
    return "\n".join(lines)


def extra_markdown(results: list[dict]) -> str:
    """AUROC within regions and departments, calibration per peer group and the model's value
    added to the rules, per seed."""
    head = ["seed", "selected: regions", "naive score: regions", "difference", "truth ceiling: regions",
            "selected: departments", "naive score: departments", "difference", "truth ceiling: departments"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        k, c = r["auroc_by_kind"], r.get("ceiling_by_kind") or {}
        cells = []
        for kind in ("region", "department"):
            sel, naive = k.get("selected", {}).get(kind), k.get("naive_last_score", {}).get(kind)
            diff = sel - naive if sel is not None and naive is not None else None
            cells += [_f(sel), _f(naive), _f(diff, "+.3f"), _f(c.get(kind))]
        lines.append(f"| {r['seed']} | " + " | ".join(cells) + " |")
    lines += ["", "| seed | peer group | unit-years | mean probability | event rate | observed / predicted | AUROC | "
              "top tenth: mean probability | top tenth: event rate |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for c in r["calibration"]:
            lines.append(f"| {r['seed']} | {c['group']} | {c['n']} | {_f(c['mean_probability'])} | {_f(c['event_rate'])} | "
                         f"{_f(c['observed_over_predicted'], '.2f')} | {_f(c['auroc'])} | {_f(c['top_decile_probability'])} | "
                         f"{_f(c['top_decile_event_rate'])} |")
    lines += ["", "| seed | AUROC rules | AUROC rules + model | AUROC model | rule alerts | events caught by rules | "
              "by the model at the same volume | alerts rules + model | events caught by rules + model | events |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        v = r["value_added"]
        lines.append(f"| {r['seed']} | {_f(v.get('auroc_rules'))} | {_f(v.get('auroc_rules_plus_model'))} | {_f(v.get('auroc_model'))} | "
                     f"{v.get('rule_alerts')} | {v.get('events_caught_rules')} | {v.get('events_caught_model_same_volume')} | "
                     f"{v.get('alerts_rules_plus_model')} | {v.get('events_caught_rules_plus_model')} | {v.get('events')} |")
    return "\n".join(lines)


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
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                    help="the run date (default: 30 June after the last year)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ew-eval-") as tmp:
        results = []
        for s in a.seeds:
            r = evaluate_seed(s, Path(tmp), years=(a.first, a.last), complaints=a.complaints, as_of=a.as_of)
            results.append(r)
            sel = r["metrics"]["selected"]
            print(f"seed {s}: selected AUROC {sel.get('auroc', float('nan')):.3f} "
                  f"(naive event {r['metrics']['naive_last_event'].get('auroc', float('nan')):.3f}, "
                  f"naive score {r['metrics']['naive_last_score'].get('auroc', float('nan')):.3f}); "
                  f"vs truth {r['truth_auroc']:.3f}; last model {r['chosen']}; beats naive: {r['beats_naive']}",
                  file=sys.stderr)
    print(markdown(results))
    print("\n### Levels (pooled over the backtest years)\n")
    print(level_markdown(results))
    print("\n### Rules (pooled over seeds and backtest years)\n")
    print(rule_markdown(results))
    print("\n### Within kinds, calibration and value added\n")
    print(extra_markdown(results))
    if a.json:
        a.json.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0 if all(r["beats_naive"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
