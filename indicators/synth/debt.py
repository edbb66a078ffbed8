"""`debt`: one row per region (province, city, county) and year.

债务率 (debt balance / comprehensive fiscal capacity) starts from an area level (lowest in the
Pearl River Delta, highest in the northern mountain counties), varies by region, drifts up about
7.5% a year (debt grows while land-sale revenue falls from 2022) and is higher where integrity
is low, so that regions cross the 120/200/300% bands over the years. Overdue debt is mostly 0;
the statutory disclosure is due on 30 June of the year and is sometimes late or missing.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import rng
from .calendar import EPOCH, Calendar
from .io import arrow_table, masked
from .world import T_COUNTY, T_PROVINCE, World, sigmoid

#: 债务率 in 2019 by area (Pearl River Delta, East, West, North); a few cities differ.
AREA_RATIO = np.array([0.60, 0.90, 1.00, 1.15])
CITY_RATIO = {"440300": 0.25, "440100": 0.95, "440400": 0.6}
PROVINCE_RATIO = 0.6
COUNTY_FACTOR = 1.2
DRIFT = 1.07
RATIO_SD = 0.28
LATENT_EFFECT = 0.2


def generate(world: World, cal: Calendar) -> pa.Table:
    g = rng.stream(world.seed, rng.DEBT)
    regions = np.flatnonzero(world.is_region)
    nr, n_years = len(regions), len(world.years)
    tier = world.tier[regions]
    area = world.area[regions]
    base = np.where(area >= 0, AREA_RATIO[np.maximum(area, 0)], PROVINCE_RATIO)
    for code, value in CITY_RATIO.items():
        base = np.where(world.unit_id[world.city[regions]] == code, value, base)
    base = np.where(tier == T_COUNTY, base * COUNTY_FACTOR, base)
    base = np.where(tier == T_PROVINCE, PROVINCE_RATIO, base)
    static = np.exp(g.normal(0.0, RATIO_SD, nr))
    latent = world.latent[regions]
    years = world.years
    ratio = (base * static)[:, None] * DRIFT ** (years[None, :] - 2019) \
        * np.exp(g.normal(0.0, 0.05, (nr, n_years)) - LATENT_EFFECT * latent)
    capacity = world.fiscal_capacity[regions]
    balance = np.round(ratio * capacity, -4)
    limit = np.round(balance * g.uniform(1.03, 1.25, (nr, n_years)), -4)
    service = np.round(balance * g.uniform(0.06, 0.13, (nr, n_years)) * (1 + 0.1 * (ratio > 2)), -4)
    p_overdue = sigmoid(-4.2 - 1.2 * latent + 0.8 * (ratio > 2) + 0.8 * (ratio > 3))
    overdue = np.where(g.random((nr, n_years)) < p_overdue,
                       np.round(balance * g.uniform(0.002, 0.05, (nr, n_years)), -2), 0.0)
    overdue_missing = g.random((nr, n_years)) < 0.02

    due = np.array([(np.datetime64(f"{y}-06-30") - EPOCH).astype(np.int64) for y in years])[None, :] \
        + np.zeros((nr, 1), dtype=np.int64)
    u = g.random((nr, n_years))
    p_missing = sigmoid(-4.0 - 1.0 * latent)
    p_late = sigmoid(-2.2 - 1.0 * latent)
    disclosed = np.where(u < p_missing, -1,
                         np.where(u < p_missing + p_late,
                                  due + 1 + (g.random((nr, n_years)) * 150).astype(np.int64),
                                  due - (g.random((nr, n_years)) * 45).astype(np.int64)))
    last_day = int((cal.end - EPOCH).astype(np.int64))
    not_disclosed = (disclosed < 0) | (disclosed > last_day)

    flat = lambda a: a.ravel()  # noqa: E731  (region-major, then year)
    return arrow_table("debt", {
        "unit_id": np.repeat(world.unit_id[regions], n_years),
        "year": np.tile(years, nr).astype(np.int64),
        "debt_balance": flat(balance),
        "debt_limit": flat(limit),
        "fiscal_capacity": flat(capacity),
        "debt_service": flat(service),
        "overdue_amount": masked(flat(overdue), flat(overdue_missing)),
        "disclosure_due": flat(due),
        "disclosed_on": masked(flat(disclosed).astype(np.int32), flat(not_disclosed), pa.date32()),
    })
