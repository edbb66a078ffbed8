"""`failure_records`: government failure records (政务失信记录) drawn from the latent integrity.

Two sources of rows:
- background records of every category, Poisson per unit-year with a rate that rises as the
  latent integrity falls;
- the serious events of the truth: each event is one severity-3 `judgment_unperformed` or
  `dishonest_debtor` record (a fifth of events have both), never revoked.
Background `dishonest_debtor` records are wrong listings: severity 3 and `revoked`; background
`judgment_unperformed` records are severity 1-2 (performed late after an enforcement notice). So
`events.csv` is exactly: the unit has a non-revoked severity-3 record of those two categories in
the year.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..contract import FAILURE_CATEGORIES, FAILURE_STATUSES
from . import rng, text
from .calendar import EPOCH, Calendar
from .io import arrow_table, masked
from .world import T_PROVINCE, World

EVENT_CATEGORIES = ("judgment_unperformed", "dishonest_debtor")
#: Background records per unit-year at latent 0, by tier (province, city, county, city dept, county dept).
BASE_RATE = np.array([4.0, 3.0, 1.5, 0.5, 0.3])
LATENT_EFFECT = 0.7
#: Category mix of background records: regions, departments (order of FAILURE_CATEGORIES).
CATEGORY_MIX = {
    "region": np.array([0.18, 0.06, 0.02, 0.10, 0.18, 0.18, 0.14, 0.14]),
    "department": np.array([0.16, 0.05, 0.02, 0.17, 0.20, 0.16, 0.10, 0.14]),
}
#: P(severity 1, 2, 3) of background records by category.
SEVERITY_MIX = {
    "judgment_lost": (0.45, 0.45, 0.10),
    "judgment_unperformed": (0.5, 0.5, 0.0),
    "dishonest_debtor": (0.0, 0.0, 1.0),
    "administrative_penalty": (0.5, 0.4, 0.1),
    "disciplinary": (0.45, 0.45, 0.10),
    "accountability": (0.40, 0.45, 0.15),
    "broken_commitment": (0.35, 0.50, 0.15),
    "online_service_shortfall": (0.75, 0.25, 0.0),
}
#: Money involved: (median yuan, log-sd, share missing); median 0 = never given.
AMOUNT = {
    "judgment_lost": (3e5, 1.5, 0.2),
    "judgment_unperformed": (8e5, 1.5, 0.0),
    "dishonest_debtor": (1.5e6, 1.5, 0.0),
    "administrative_penalty": (5e4, 1.2, 0.0),
    "disciplinary": (0.0, 0.0, 1.0),
    "accountability": (0.0, 0.0, 1.0),
    "broken_commitment": (2e6, 1.8, 0.4),
    "online_service_shortfall": (0.0, 0.0, 1.0),
}
#: Status mix (order of FAILURE_STATUSES) of background records and of event records.
STATUS_BACKGROUND = np.array([0.50, 0.20, 0.12, 0.08, 0.10])
STATUS_EVENT = np.array([0.50, 0.15, 0.20, 0.15, 0.0])
#: Minimum publication before repair by severity (days; NDRC rules: none, 3 months, 1 year).
REPAIR_MIN_DAYS = np.array([0, 0, 90, 365])


def generate(world: World, cal: Calendar, scale_factor: float) -> tuple[pa.Table, dict]:
    g = rng.stream(world.seed, rng.FAILURES)
    n_units, n_years = world.latent.shape
    years = world.years
    cats = np.array(FAILURE_CATEGORIES)
    statuses = np.array(FAILURE_STATUSES)

    # background records
    lam = (BASE_RATE[world.tier][:, None] * scale_factor * np.exp(-LATENT_EFFECT * world.latent)
           * world.nuisance.multiplier("filing"))  # how diligently the unit's records are filed
    counts = g.poisson(lam).ravel()
    cell = np.repeat(np.arange(n_units * n_years), counts)
    bu, by = cell // n_years, cell % n_years
    nb = len(cell)
    mix = np.where(world.is_region[bu][:, None], CATEGORY_MIX["region"][None, :], CATEGORY_MIX["department"][None, :])
    bcat = _choose(g, mix)
    sev_table = np.array([SEVERITY_MIX[c] for c in FAILURE_CATEGORIES])
    bsev = _choose(g, sev_table[bcat]) + 1
    bstat = _choose(g, np.broadcast_to(STATUS_BACKGROUND, (nb, len(STATUS_BACKGROUND))))
    bstat = np.where(cats[bcat] == "dishonest_debtor", FAILURE_STATUSES.index("revoked"), bstat)

    # event records: one per event, a fifth with both categories
    eu, ey = np.nonzero(world.event)
    both = g.random(len(eu)) < 0.2
    first_cat = np.where(g.random(len(eu)) < 0.55, 1, 2)  # judgment_unperformed / dishonest_debtor
    eu = np.concatenate([eu, eu[both]])
    ey = np.concatenate([ey, ey[both]])
    ecat = np.concatenate([first_cat, 3 - first_cat[both]])
    ne = len(eu)
    estat = _choose(g, np.broadcast_to(STATUS_EVENT, (ne, len(STATUS_EVENT))))

    unit = np.concatenate([bu, eu])
    yi = np.concatenate([by, ey])
    cat = np.concatenate([bcat, ecat])
    sev = np.concatenate([bsev, np.full(ne, 3)])
    status = np.concatenate([bstat, estat])
    n = len(unit)
    year = years[yi]

    # dates: a working day of the year; status changes after it, within the data
    year_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    days_in_year = ((year + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - year_start).astype(np.int64)
    raw = year_start + (g.random(n) * days_in_year).astype(np.int64)
    occurred = (cal.working_day(raw, year) - EPOCH).astype(np.int64)
    delay = np.select(
        [status == 1, status == 2, status == 3, status == 4],
        [20 + g.exponential(120, n), REPAIR_MIN_DAYS[sev] + 15 + g.exponential(120, n),
         5 + g.exponential(25, n), 10 + g.exponential(60, n)],
        0,
    ).astype(np.int64)
    changed = occurred + delay
    last_day = (cal.end - EPOCH).astype(np.int64)
    revoked = status == FAILURE_STATUSES.index("revoked")
    changed = np.where(revoked, np.minimum(changed, last_day), changed)  # a wrong listing stays revoked
    too_late = (status > 0) & (changed > last_day)
    status = np.where(too_late, 0, status)
    no_change = status == 0

    # amounts
    amount = np.full(n, np.nan)
    z = g.normal(0.0, 1.0, n)
    miss = g.random(n)
    for k, c in enumerate(FAILURE_CATEGORIES):
        median, sd, share_missing = AMOUNT[c]
        rows = (cat == k) & (miss >= share_missing)
        if median > 0:
            m = median * (2.0 if c in EVENT_CATEGORIES else 1.0)
            amount[rows] = np.round(m * np.exp(sd * z[rows]), 2)

    # stable order: date, unit, category; ids follow that order
    order = np.lexsort((cat, unit, occurred))
    unit, year, cat, sev, status, occurred, changed, amount, no_change = (
        a[order] for a in (unit, year, cat, sev, status, occurred, changed, amount, no_change))

    names = world.units.get_column("name").to_numpy()
    region_code = world.unit_id[world.region[unit]]
    region_code = np.where(world.tier[world.region[unit]] == T_PROVINCE, "440103", region_code)
    city_code = np.where(world.city[unit] >= 0, world.unit_id[np.maximum(world.city[unit], 0)], "440100")
    desc, pii = text.descriptions(g, cats[cat], names[unit], amount, year, region_code, city_code)

    tbl = arrow_table("failure_records", {
        "record_id": [f"FR-{i:08d}" for i in range(1, n + 1)],
        "unit_id": world.unit_id[unit],
        "category": cats[cat],
        "severity": sev.astype(np.int64),
        "occurred_on": occurred,
        "amount": masked(amount, np.isnan(amount)),
        "status": statuses[status],
        "status_changed_on": masked(changed.astype(np.int32), no_change, pa.date32()),
        "description": desc,
    })
    return tbl, {"personal_data_rows": int(pii.sum())}


def _choose(g: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) probability matrix."""
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]
    u = g.random(len(probs))[:, None]
    return np.minimum((u > cdf).sum(axis=1), probs.shape[1] - 1)
