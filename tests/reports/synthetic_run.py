"""Synthetic run tables in the shapes `reports.render` receives, internally consistent: each
dimension is the weighted mean of its normalised indicators and the score the weighted mean of
the dimensions, so contributions add up to the score.

Run as a script to time a full render (with grade probabilities, alert levels and explanations):
`python tests/reports/synthetic_run.py [N_UNITS] [OUT]`.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

#: A county whose name and records carry markup and quote payloads (tests of escaping).
HOSTILE = "440199"
PAYLOAD = "<script>alert(\"x\")</script>'\"><img src=x onerror=alert(1)>"
CATEGORIES = ("judgment_lost", "judgment_unperformed", "dishonest_debtor", "administrative_penalty",
              "disciplinary", "accountability", "broken_commitment", "online_service_shortfall")
STATUSES = ("active", "active", "active", "rectified", "repaired", "under_objection", "revoked")


def make_units(n_cities: int, counties: int, depts: int) -> pl.DataFrame:
    rows = [("440000", "广东省", "Guangdong Province", "region", "province", None, "440000")]
    for c in range(1, n_cities + 1):
        city = f"44{c:02d}00"
        rows.append((city, f"第{c}市", f"City {c}", "region", "city", "440000", city))
        for k in range(1, counties + 1):
            cid = f"44{c:02d}{k:02d}"
            rows.append((cid, f"第{c}市第{k}县", f"County {c}-{k}", "region", "county", city, cid))
    regions = [(r[0], r[1], r[2], r[4]) for r in rows]
    for rid, name, name_en, level in regions:
        for d in range(depts):
            rows.append((f"{rid}-D{d:02d}", f"{name}第{d}局", f"{name_en} bureau {d}", "department", level, rid, rid))
    return pl.DataFrame(rows, schema=["unit_id", "name", "name_en", "kind", "level", "parent_id", "region_id"],
                        orient="row")


def make_run(framework, units: pl.DataFrame, years=(2022, 2023), seed: int = 7) -> dict:
    """Every table of a run's report (rating.publish.RunTables), for `units` over `years`."""
    rng = np.random.default_rng(seed)
    root = framework.nodes[0].code
    dims = [a.code for a in framework.aggregates if a.code != root]
    inds = framework.indicators
    n = units.height
    ids = units["unit_id"].to_list()
    ind_rows, score_rows = [], []
    latent = rng.normal(65, 12, n)
    for year in years:
        latent = latent + rng.normal(0, 3, n)
        dim_vals = {d: np.full(n, np.nan) for d in dims}
        for d in dims:
            kids = [k for k in inds if k.parent == d]
            num, den = np.zeros(n), np.zeros(n)
            for k in kids:
                app = units["kind"].is_in(list(k.kinds)).to_numpy() & units["level"].is_in(list(k.levels)).to_numpy()
                x = np.clip(latent + rng.normal(0, 15, n), 0, 100)
                miss = rng.random(n) < 0.05
                norm = np.where(app & ~miss, x, np.nan)
                raw = np.round(rng.gamma(2.0, 1.0, n), 3)
                for i in np.flatnonzero(app):
                    ind_rows.append((ids[i], year, k.code, None if miss[i] else float(raw[i]),
                                     None if np.isnan(norm[i]) else float(norm[i]), float(raw[i]), None))
                ok = ~np.isnan(norm)
                num += np.where(ok, norm * k.weight, 0)
                den += np.where(ok, k.weight, 0)
            with np.errstate(invalid="ignore", divide="ignore"):
                dim_vals[d] = np.where(den > 0, num / den, np.nan)
        w = {k.code: k.weight for k in framework.children(root)}
        num, den = np.zeros(n), np.zeros(n)
        for d in dims:
            ok = ~np.isnan(dim_vals[d])
            num += np.where(ok, dim_vals[d] * w[d], 0)
            den += np.where(ok, w[d], 0)
        score = np.where(den > 0, num / den, np.nan)
        for aux in framework.auxiliary:
            for i in range(n):
                ind_rows.append((ids[i], year, aux.code, float(rng.poisson(0.1)), None, None, None))
        for i in range(n):
            score_rows.append({"unit_id": ids[i], "year": year,
                               "score": None if np.isnan(score[i]) else float(score[i]),
                               **{d: None if np.isnan(dim_vals[d][i]) else float(dim_vals[d][i]) for d in dims}})
    scores = pl.DataFrame(score_rows).join(units.select("unit_id", "kind", "level"), on="unit_id")
    scores = scores.with_columns(
        pl.col("score").rank("min", descending=True).over("year", "kind", "level").cast(pl.Int64).alias("rank"))
    spread = pl.lit(2)
    scores = scores.with_columns(
        (pl.col("rank") - spread).clip(1).alias("rank_low"), pl.col("rank").alias("rank_median"),
        (pl.col("rank") + spread).alias("rank_high"),
        (pl.col("score") - 2.5).alias("score_low"), (pl.col("score") + 2.5).alias("score_high"))
    grade = pl.lit(None, pl.String)
    for g in reversed(framework.grades):
        grade = pl.when(pl.col("score") >= g.min).then(pl.lit(g.code)).otherwise(grade)
    vetoed = pl.Series(rng.random(scores.height) < 0.03)
    v = framework.vetoes[0]
    scores = scores.with_columns(grade.alias("grade_uncapped")).with_columns(
        pl.when(vetoed & pl.col("grade_uncapped").is_in(["A", "B"])).then(pl.lit(v.cap))
        .otherwise(pl.col("grade_uncapped")).alias("grade"),
        pl.when(vetoed).then(pl.lit(v.code)).otherwise(None).alias("veto"),
        (~vetoed).alias("honours_eligible"),
        pl.when(vetoed).then(pl.lit("计入失信记录 / counting failure record(s) in the year"))
        .otherwise(pl.lit("")).alias("honours_reason"),
    )
    scores = scores.select("unit_id", "year", "score", "rank", "rank_low", "rank_median", "rank_high", "score_low",
                           "score_high", "grade", "grade_uncapped", "veto", "honours_eligible", "honours_reason", *dims)
    indicators = pl.DataFrame(ind_rows, schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String,
                                                "value": pl.Float64, "normalised": pl.Float64,
                                                "numerator": pl.Float64, "denominator": pl.Float64}, orient="row")
    return {"units": units, "scores": scores, "indicators": indicators,
            "alerts": make_alerts(units, years, rng), "risk": make_risk(units, years, rng),
            "records": make_records(units, years, rng), "manifest": make_manifest(framework)}


def make_extras(framework, run: dict, seed: int = 11) -> dict:
    """The early-warning and uncertainty frames of a run (beside the model's card, backtest and
    predictions): scores with outlook, an analyst override on HOSTILE's latest year, grade
    probabilities and the borderline flag; alert levels (rule vs model, held); explanations."""
    rng = np.random.default_rng(seed)
    scores = run["scores"]
    grades = [g.code for g in framework.grades]
    latest = scores["year"].max()
    # grade probabilities: most mass on the grade of the score, the rest on its neighbours
    own = [grades.index(g) if g in grades else None for g in scores["grade_uncapped"].to_list()]
    p_own = np.round(rng.uniform(0.5, 1.0, scores.height), 2)
    probs = {g: [] for g in grades}
    for i, o in enumerate(own):
        for j, g in enumerate(grades):
            if o is None:
                probs[g].append(None)
            else:
                nxt = o + 1 if o + 1 < len(grades) else o - 1
                probs[g].append(float(p_own[i]) if j == o else float(round(1 - p_own[i], 2)) if j == nxt else 0.0)
    scores = scores.with_columns(
        *[pl.Series(f"p_grade_{g}", v, dtype=pl.Float64) for g, v in probs.items()],
        pl.Series("borderline", [None if o is None else bool(p < 0.9) for o, p in zip(own, p_own)], dtype=pl.Boolean),
        pl.Series("outlook", rng.choice(["positive", "stable", "negative"], scores.height).tolist()),
        pl.when((pl.col("unit_id") == HOSTILE) & (pl.col("year") == latest))
        .then(pl.lit(f"C -> B: 已整改{PAYLOAD} (分析员{PAYLOAD})")).otherwise(None).alias("override"))
    ids, years = run["units"]["unit_id"].to_list(), sorted(set(scores["year"].to_list()))
    levels = []
    for uid in ids:
        for year in years:
            rule, model = rng.choice([None, "yellow", "red"]), rng.choice([None, "blue", "orange"])
            held = uid == HOSTILE and year == latest
            order = {None: 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}
            level = "red" if held else max(rule, model, key=lambda x: order[x])
            levels.append((uid, year, level, rule, model, held))
    alert_levels = pl.DataFrame(levels, schema={"unit_id": pl.String, "year": pl.Int64, "level": pl.String,
                                                "rule_level": pl.String, "model_level": pl.String,
                                                "held": pl.Boolean}, orient="row")
    feats = [("unit_type", "单位类型与层级", "Unit kind and level", None),
             ("value:debt_ratio", "债务率", "Debt ratio", 2.4),
             ("change:complaints_per_10k", "投诉举报量（同比变化）", "Complaints (change)", -1.5),
             ("rule:debt_band", f"规则预警{PAYLOAD}", f"Rule alert {PAYLOAD}", 3.0)]
    rows = []
    for uid in ids:
        for year in years:
            for rank, (f, zh, en, v) in enumerate(feats[:int(rng.integers(1, len(feats) + 1))], start=1):
                rows.append((uid, year, rank, f, zh, en, v, round(1.0 / rank, 6)))
    explanations = pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "rank": pl.Int64,
                                              "feature": pl.String, "label_zh": pl.String, "label_en": pl.String,
                                              "value": pl.Float64, "contribution": pl.Float64}, orient="row")
    return {"scores": scores, "alert_levels": alert_levels, "explanations": explanations}


def make_model(seed: int = 0, n: int = 120):
    """The early-warning stage on a small random panel: a real card, backtest and predictions."""
    from indicators.framework_load import load_framework
    from models.risk import early_warning

    rng = np.random.default_rng(seed)
    f = pl.DataFrame({"unit_id": [f"u{i}" for i in range(n)] * 5, "year": np.repeat(np.arange(2020, 2025), n),
                      "x": rng.normal(size=5 * n)})
    e = f.select("unit_id", (pl.col("year") + 1).alias("year"),
                 events=(pl.col("x") + rng.normal(size=5 * n) > 1.2).cast(pl.Int64))
    return early_warning(f, e, load_framework(), seed=seed)


def make_alerts(units, years, rng) -> pl.DataFrame:
    rows = []
    for year in years:
        for uid in units["unit_id"].to_list():
            if rng.random() < 0.12:
                level = ("red", "orange", "yellow", "blue")[rng.integers(4)]
                src = "model" if rng.random() < 0.3 else "rule"
                rows.append((uid, year, level, src, "risk_model" if src == "model" else "debt_band",
                             "债务率为250%，达到200%预警线", "Debt ratio 250% reached the 200% warning line",
                             json.dumps({"indicator": "debt_ratio", "value": 2.5, "threshold": 2.0})))
    cols = ["unit_id", "year", "level", "source", "rule", "message", "message_en", "evidence"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def make_risk(units, years, rng) -> pl.DataFrame:
    ids = units["unit_id"].to_list()
    return pl.DataFrame({"unit_id": ids * len(years), "year": [y for y in years for _ in ids],
                         "probability": rng.random(len(ids) * len(years)) * 0.3})


def make_records(units, years, rng, per_unit: float = 1.5) -> pl.DataFrame:
    import datetime as dt

    rows, k = [], 0
    for uid in units["unit_id"].to_list():
        for year in years:
            for _ in range(rng.poisson(per_unit)):
                k += 1
                status = STATUSES[rng.integers(len(STATUSES))]
                day = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 360)))
                counting = status not in ("revoked", "under_objection")
                rows.append((f"R{k:07d}", uid, CATEGORIES[rng.integers(len(CATEGORIES))], int(rng.integers(1, 4)), day,
                             float(rng.integers(0, 10**6)), status,
                             day + dt.timedelta(days=30) if status in ("rectified", "repaired", "revoked") else None,
                             "当事人张*，电话138****0000，未按期履行。", counting, status == "under_objection",
                             (0.5 if status == "rectified" else 1.0) if counting else 0.0))
    return pl.DataFrame(rows, schema={"record_id": pl.String, "unit_id": pl.String, "category": pl.String,
                                      "severity": pl.Int64, "occurred_on": pl.Date, "amount": pl.Float64,
                                      "status": pl.String, "status_changed_on": pl.Date, "description": pl.String,
                                      "counting": pl.Boolean, "pending": pl.Boolean, "weight": pl.Float64},
                        orient="row")


def make_manifest(framework) -> dict:
    return {"software": "integrity-rating", "version": "0.1.0", "seed": 7,
            "framework": {"path": "default_framework.toml", "sha256": framework.sha256},
            "inputs": {"units": {"file": "units.csv", "sha256": "0" * 64, "rows_read": 10, "rows_accepted": 10,
                                 "rows_quarantined": 0},
                       "failure_records": {"file": "failure_records.csv", "sha256": "f" * 64, "rows_read": 120,
                                           "rows_accepted": 117, "rows_quarantined": 3}},
            "timings": {"indicators": 1.25, "rating": 0.5}}


def main(argv: list[str]) -> None:
    from indicators.framework_load import load_framework
    from rating.publish import RunTables
    from reports.render import render

    target = int(argv[1]) if len(argv) > 1 else 5000
    out = Path(argv[2]) if len(argv) > 2 else Path("report-bench")
    fw = load_framework()
    depts = max(0, round(target / 148) - 1)
    units = make_units(21, 6, depts)
    t0 = time.perf_counter()
    run = make_run(fw, units, years=(2021, 2022, 2023))
    run.update(make_extras(fw, run))
    t1, c1 = time.perf_counter(), time.process_time()
    paths = render(out, RunTables(framework=fw, **run))
    t2, c2 = time.perf_counter(), time.process_time()
    print(f"units={units.height} records={run['records'].height} indicators={run['indicators'].height}")
    print(f"synthetic data: {t1 - t0:.1f} s; render: {t2 - t1:.1f} s wall, {c2 - c1:.1f} s CPU "
          f"for {len(paths)} pages")


if __name__ == "__main__":
    main(sys.argv)
