"""The default framework's indicators in plain pandas: what an analyst would otherwise write.

Read each Parquet file (the columns needed only), add helper columns, attach every row to the
units whose value it feeds (itself, and its region for a department's row), group by unit and
year, then divide. Same rules and same wide output as `benchmarks.handwritten` (see there).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from benchmarks.handwritten import INDICATORS, NOT_COUNTING, RECTIFIED_WEIGHT, REGION_ONLY


def _share(num, den, lo: float = 0):
    num, den = num.astype("float64"), den.astype("float64")
    return (num / den).where((den > 0) & (den >= lo))


def _per(num, den, scale: float):
    num = num.fillna(0).astype("float64")
    return (num / den * scale).where(den > 0, np.where(den.isna(), num * scale, np.nan))


def pandas_indicators(data: str | Path) -> pl.DataFrame:
    data = Path(data)

    def read(table: str, columns: list[str], dates: tuple[str, ...] = ()) -> pd.DataFrame:
        df = pd.read_parquet(data / f"{table}.parquet", columns=columns)
        for name in dates:  # Parquet dates arrive as Python date objects
            df[name] = pd.to_datetime(df[name])
        return df

    units = read("units", ["unit_id", "kind", "region_id"])
    depts = units[(units.kind == "department") & (units.region_id != units.unit_id)]
    scope = pd.concat([pd.DataFrame({"source": units.unit_id, "target": units.unit_id}),
                       pd.DataFrame({"source": depts.unit_id, "target": depts.region_id})])
    stats = read("unit_stats", ["unit_id", "year", "population", "staff", "budget"])
    # the engine's exposure rule: a count per staff divides by the staff of everything the records cover
    cov = (stats.assign(missing=stats.staff.isna()).merge(scope, left_on="unit_id", right_on="source")
           .groupby(["target", "year"], as_index=False).agg(staff=("staff", "sum"), missing=("missing", "sum")))
    cov = cov.assign(staff=cov.staff.where(cov.missing == 0)).drop(columns="missing").rename(columns={"target": "unit_id"})
    stats = stats.drop(columns="staff").merge(cov, on=["unit_id", "year"], how="left")
    years = stats.year.unique()

    def by_target(df: pd.DataFrame, date: str) -> pd.DataFrame:
        df["year"] = df[date].dt.year
        df = df[df.year.isin(years)]
        df = df.merge(scope, left_on="unit_id", right_on="source")
        return df.drop(columns=["unit_id", "source"]).rename(columns={"target": "unit_id"})

    # complaints
    c = by_target(read("complaints", ["unit_id", "received_at", "kind", "due_at", "resolved_at", "satisfaction",
                                      "repeat"]), "received_at")
    c["cr"] = c.kind.isin(["complaint", "report"])
    c["ontime"] = c.due_at.notna() & (c.resolved_at <= c.due_at)
    c["due"] = c.due_at.notna()
    c["sat"] = c.satisfaction.isin(["satisfied", "basic"])
    c["rated"] = c.satisfaction.notna()
    c["rep"] = c.cr & c.repeat.fillna(False).astype(bool)
    c["days"] = (c.resolved_at - c.received_at).dt.total_seconds() / 86400.0
    c["open"] = c.resolved_at.isna()
    c = c.groupby(["unit_id", "year"]).agg(
        n_cr=("cr", "sum"), n_ontime=("ontime", "sum"), n_due=("due", "sum"), n_sat=("sat", "sum"),
        n_rated=("rated", "sum"), n_repeat=("rep", "sum"), days_median=("days", "median"), n_open=("open", "sum"),
        n=("open", "size")).reset_index()

    # failure records, by their lifecycle
    f = by_target(read("failure_records", ["unit_id", "occurred_on", "category", "severity", "amount", "status"],
                       dates=("occurred_on",)), "occurred_on")
    f["counting"] = ~f.status.isin(NOT_COUNTING)
    f["w"] = np.where(~f.counting, 0.0, np.where(f.status == "rectified", RECTIFIED_WEIGHT, 1.0))
    for name, cats in (("broken", ["broken_commitment"]), ("unperformed", ["judgment_unperformed", "dishonest_debtor"]),
                       ("lost", ["judgment_lost"]), ("penalty", ["administrative_penalty"]),
                       ("discipline", ["disciplinary", "accountability"]), ("online", ["online_service_shortfall"]),
                       ("debtor", ["dishonest_debtor"])):
        f[name] = f.w * f.category.isin(cats)
    f["weighted"] = f.w * f.severity.map({1: 1.0, 2: 3.0, 3: 10.0}).fillna(0.0)
    f["amount"] = f.w * f.amount
    f["rectified"] = f.counting & f.status.isin(["rectified", "repaired"])
    f["serious"] = f.w * (f.severity == 3)
    f = f.groupby(["unit_id", "year"]).agg(
        broken=("broken", "sum"), unperformed=("unperformed", "sum"), weighted=("weighted", "sum"),
        lost=("lost", "sum"), penalty=("penalty", "sum"), discipline=("discipline", "sum"),
        amount=("amount", "sum"), n_rectified=("rectified", "sum"), n_counting=("counting", "sum"),
        online=("online", "sum"), debtor=("debtor", "sum"), serious=("serious", "sum"), counting=("w", "sum"),
    ).reset_index()

    # contracts
    k = by_target(read("contracts", ["unit_id", "kind", "due_on", "fulfilled_on", "status", "amount",
                                     "arrears_amount", "counterparty_sme"], dates=("due_on", "fulfilled_on")), "due_on")
    k["ontime"] = k.fulfilled_on.notna() & (k.fulfilled_on <= k.due_on)
    k["breached"] = k.status == "breached"
    k["invest"] = k.kind == "investment_promotion"
    k["invest_ontime"] = k.invest & k.ontime
    k["ppp"] = k.kind == "ppp"
    k["ppp_breached"] = k.ppp & k.breached
    sme = k.counterparty_sme.fillna(False).astype(bool) & k.arrears_amount.notna() & k.amount.notna()
    k["arrears"] = k.arrears_amount.where(sme)
    k["sme_amount"] = k.amount.where(sme)
    k = k.groupby(["unit_id", "year"]).agg(
        n_due_k=("ontime", "size"), n_ontime_k=("ontime", "sum"), n_breached=("breached", "sum"),
        n_invest=("invest", "sum"), n_invest_ontime=("invest_ontime", "sum"), n_ppp=("ppp", "sum"),
        n_ppp_breached=("ppp_breached", "sum"), arrears=("arrears", lambda s: s.sum(min_count=1)),
        sme_amount=("sme_amount", lambda s: s.sum(min_count=1))).reset_index()

    # debt: each region's own rows
    d = read("debt", ["unit_id", "year", "debt_balance", "debt_limit", "fiscal_capacity", "debt_service",
                      "overdue_amount", "disclosure_due", "disclosed_on"], dates=("disclosure_due", "disclosed_on"))
    d = d[d.year.isin(years) & d.unit_id.isin(units.unit_id)].copy()
    pairs = {"bal_fc": ("debt_balance", "fiscal_capacity"), "fc_bal": ("fiscal_capacity", "debt_balance"),
             "service": ("debt_service", "fiscal_capacity"), "fc_service": ("fiscal_capacity", "debt_service"),
             "overdue": ("overdue_amount", "debt_balance"), "bal_overdue": ("debt_balance", "overdue_amount"),
             "bal_limit": ("debt_balance", "debt_limit"), "debt_limit_": ("debt_limit", "debt_balance")}
    for name, (x, other) in pairs.items():
        d[name] = d[x].where(d[x].notna() & d[other].notna())
    d["disclosed"] = d.disclosure_due.notna() & (d.disclosed_on <= d.disclosure_due)
    d["disclosure"] = d.disclosure_due.notna()
    aggs = {name: (name, lambda s: s.sum(min_count=1)) for name in pairs}
    d = d.groupby(["unit_id", "year"]).agg(**aggs, n_disclosed=("disclosed", "sum"),
                                            n_disclosure_due=("disclosure", "sum")).reset_index()

    grid = units[["unit_id", "kind"]].merge(pd.DataFrame({"year": years}), how="cross")
    g = grid.merge(stats, on=["unit_id", "year"], how="left")
    for part in (c, f, k, d):
        g = g.merge(part, on=["unit_id", "year"], how="left")
    out = pd.DataFrame({"unit_id": g.unit_id, "year": g.year.astype("int64")})
    out["contract_ontime_rate"] = _share(g.n_ontime_k, g.n_due_k)
    out["contract_breach_rate"] = _share(g.n_breached, g.n_due_k)
    out["investment_promise_ontime"] = _share(g.n_invest_ontime, g.n_invest, 3)
    out["ppp_breach_rate"] = _share(g.n_ppp_breached, g.n_ppp, 3)
    out["sme_arrears_share"] = _share(g.arrears, g.sme_amount)
    out["broken_commitment_per_100_staff"] = _per(g.broken, g.staff, 100)
    out["judgment_unperformed_per_100_staff"] = _per(g.unperformed, g.staff, 100)
    out["failure_weighted_per_100_staff"] = _per(g.weighted, g.staff, 100)
    out["judgment_lost_per_100_staff"] = _per(g.lost, g.staff, 100)
    out["penalty_per_100_staff"] = _per(g.penalty, g.staff, 100)
    out["discipline_per_100_staff"] = _per(g.discipline, g.staff, 100)
    out["failure_amount_per_10k_budget"] = _per(g.amount, g.budget, 10000)
    out["rectification_rate"] = _share(g.n_rectified, g.n_counting, 3)
    out["complaints_per_10k"] = _per(g.n_cr, g.population, 10000)
    out["complaint_ontime_rate"] = _share(g.n_ontime, g.n_due)
    out["satisfaction_rate"] = _share(g.n_sat, g.n_rated)
    out["repeat_complaint_rate"] = _share(g.n_repeat, g.n_cr)
    out["resolution_days_median"] = g.days_median
    out["unresolved_rate"] = _share(g.n_open, g.n)
    out["online_shortfall_per_100_staff"] = _per(g.online, g.staff, 100)
    out["debt_ratio"] = _share(g.bal_fc, g.fc_bal)
    out["debt_service_ratio"] = _share(g.service, g.fc_service)
    out["overdue_debt_ratio"] = _share(g.overdue, g.bal_overdue)
    out["debt_limit_usage"] = _share(g.bal_limit, g.debt_limit_)
    out["debt_disclosure_ontime"] = _share(g.n_disclosed, g.n_disclosure_due)
    for name in REGION_ONLY:
        out[name] = out[name].where(g.kind == "region")
    for name in ("dishonest_debtor_listings", "serious_failures", "counting_failures"):
        out[name] = g[{"dishonest_debtor_listings": "debtor", "serious_failures": "serious",
                       "counting_failures": "counting"}[name]].fillna(0.0)
    out = out.sort_values(["unit_id", "year"])
    assert list(out.columns[2:]) == list(INDICATORS)
    return pl.from_pandas(out)
