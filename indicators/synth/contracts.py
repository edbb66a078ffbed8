"""`contracts`: obligations a unit took on and how they were kept.

Poisson counts per unit, year and kind (rates by tier and department), signed on a working day of
the year, due after a kind-specific term. The outcome is drawn from the latent integrity (and is
worse when the counterparty is an SME: 拖欠中小企业账款), then reconciled with the data's end
(31 December of the last year): nothing is fulfilled after it, an outcome whose due date lies
after it is still `ongoing`, and an overdue unpaid obligation is `ongoing` with arrears.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..contract import CONTRACT_KINDS, CONTRACT_STATUSES
from . import rng
from .calendar import EPOCH, Calendar
from .io import arrow_table, masked
from .world import World, sigmoid

#: Contracts per unit-year at scale factor 1 by tier (province, city, county); kinds in
#: CONTRACT_KINDS order: procurement, ppp, investment_promotion, policy_commitment, court_judgment.
REGION_RATE = np.array([
    [6.0, 1.5, 2.0, 3.0, 1.0],
    [5.0, 1.2, 2.5, 3.0, 1.2],
    [3.0, 0.5, 1.5, 2.0, 0.8],
])
DEPT_PROCUREMENT = (2.0, 1.0)  # city, county department
PPP_DEPTS = ("DRC", "FINANCE", "HOUSING", "TRANSPORT", "WATER", "NAT_RES", "URBAN_MGMT", "ECO_ENV")
INVEST_DEPTS = ("COMMERCE", "INVEST_PROMO", "DRC", "IND_IT")
POLICY_DEPTS = ("DRC", "IND_IT", "HR_SS", "AGRI_RURAL", "COMMERCE", "SCI_TECH", "FINANCE", "INVEST_PROMO")
#: Term in days (low, high) by kind.
TERM = np.array([[30, 270], [730, 5475], [180, 1100], [60, 730], [15, 120]])
#: Amount (median yuan, log-sd) by kind.
AMOUNT = np.array([[8e5, 1.3], [8e8, 1.0], [1e8, 1.2], [2e6, 1.3], [5e5, 1.5]])
#: P(counterparty is an SME) by kind.
SME_SHARE = np.array([0.70, 0.10, 0.30, 0.60, 0.40])
TERMINATED = 0.03


def rates(world: World) -> np.ndarray:
    """(U, kinds) expected contracts per year."""
    out = np.zeros((len(world.unit_id), len(CONTRACT_KINDS)))
    reg = world.is_region
    out[reg] = REGION_RATE[world.tier[reg]]
    for i in np.flatnonzero(~reg):
        d = world.dept[i]
        county = world.tier[i] == 4
        scale = 0.5 if county else 1.0
        out[i] = [
            DEPT_PROCUREMENT[int(county)],
            0.4 * scale if d in PPP_DEPTS else 0.0,
            1.5 * scale if d in INVEST_DEPTS else 0.05,
            1.0 * scale if d in POLICY_DEPTS else 0.2,
            0.3 * scale,
        ]
    return out


def generate(world: World, cal: Calendar, scale_factor: float) -> pa.Table:
    g = rng.stream(world.seed, rng.CONTRACTS)
    n_units, n_years = world.latent.shape
    n_kinds = len(CONTRACT_KINDS)
    lam = rates(world)[:, None, :] * scale_factor * world.nuisance.multiplier("capacity")[:, :, None]
    counts = g.poisson(lam).ravel()
    cell = np.repeat(np.arange(len(counts)), counts)
    kind = cell % n_kinds
    yi = (cell // n_kinds) % n_years
    unit = cell // (n_kinds * n_years)
    n = len(cell)
    year = world.years[yi]

    year_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    days_in_year = ((year + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - year_start).astype(np.int64)
    signed = (cal.working_day(year_start + (g.random(n) * days_in_year).astype(np.int64), year) - EPOCH).astype(np.int64)
    term = (TERM[kind, 0] + g.random(n) * (TERM[kind, 1] - TERM[kind, 0])).astype(np.int64)
    due = signed + term
    amount = np.round(AMOUNT[kind, 0] * np.exp(AMOUNT[kind, 1] * g.normal(0.0, 1.0, n)), 2)
    amount_missing = (kind == CONTRACT_KINDS.index("policy_commitment")) & (g.random(n) < 0.10)
    sme = g.random(n) < SME_SHARE[kind]
    sme_missing = g.random(n) < 0.03

    latent = world.latent[unit, yi]
    p_breach = sigmoid(-3.4 - 0.9 * latent + 0.4 * sme)
    p_late = sigmoid(-1.9 - 0.8 * latent + 0.3 * sme - world.nuisance.capacity[unit, yi])
    u = g.random(n)
    outcome = np.where(u < p_breach, 3, np.where(u < p_breach + p_late, 2,
                       np.where(u < p_breach + p_late + TERMINATED, 4, 1)))  # 1 on time, 2 late, 3 breach, 4 term.
    on_time_day = signed + np.ceil((0.3 + 0.7 * g.random(n)) * term).astype(np.int64)
    late_day = due + 1 + g.exponential(60.0, n).astype(np.int64)
    last_day = int((cal.end - EPOCH).astype(np.int64))
    s = {name: i for i, name in enumerate(CONTRACT_STATUSES)}

    fulfilled = np.full(n, -1, dtype=np.int64)
    status = np.full(n, s["ongoing"])
    arrears_share = np.zeros(n)
    # fulfilled on time
    ok = (outcome == 1) & (on_time_day <= last_day)
    fulfilled[ok], status[ok] = on_time_day[ok], s["fulfilled"]
    # fulfilled late, or overdue and still open at the data's end
    lt = (outcome == 2) & (due <= last_day)
    done = lt & (late_day <= last_day)
    fulfilled[done], status[done] = late_day[done], s["late"]
    overdue = lt & ~done
    arrears_share[overdue] = 0.2 + 0.8 * g.random(int(overdue.sum()))
    # breached once due
    br = (outcome == 3) & (due <= last_day)
    status[br] = s["breached"]
    arrears_share[br] = 0.1 + 0.9 * g.random(int(br.sum()))
    status[outcome == 4] = s["terminated"]

    arrears = np.round(amount * arrears_share, 2)
    policy = kind == CONTRACT_KINDS.index("policy_commitment")
    arrears_missing = amount_missing | (policy & (arrears_share == 0))

    order = np.lexsort((kind, unit, signed))
    unit, kind, signed, due, amount, amount_missing, fulfilled, status, arrears, arrears_missing, sme, sme_missing = (
        a[order] for a in (unit, kind, signed, due, amount, amount_missing, fulfilled, status, arrears,
                           arrears_missing, sme, sme_missing))
    return arrow_table("contracts", {
        "contract_id": [f"CT-{i:08d}" for i in range(1, n + 1)],
        "unit_id": world.unit_id[unit],
        "kind": np.array(CONTRACT_KINDS)[kind],
        "signed_on": signed,
        "due_on": due,
        "amount": masked(amount, amount_missing),
        "fulfilled_on": masked(fulfilled.astype(np.int32), fulfilled < 0, pa.date32()),
        "status": np.array(CONTRACT_STATUSES)[status],
        "arrears_amount": masked(arrears, arrears_missing),
        "counterparty_sme": masked(sme, sme_missing),
    })
