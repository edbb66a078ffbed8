"""The units of the synthetic Guangdong world and their latent integrity.

The units are real: the province, its 21 prefecture-level cities and 122 county-level units with
their GB/T 2260 codes (reference/guangdong_divisions.csv), and departments of each city and
county (reference/departments.csv). Everything attached to them is synthetic: the county
populations (the census city figure split by a fixed rule), staff, budgets, fiscal capacity, the
latent integrity and every record. docs/synthetic-world.md documents the dynamics.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import polars as pl

from . import nuisance as _nuisance
from . import rng

PROVINCE = ("440000", "广东省", "Guangdong Province")

#: Macro-areas of Guangdong: 0 Pearl River Delta, 1 East, 2 West, 3 North (mountain areas).
AREA_OF_CITY = {
    "440100": 0, "440300": 0, "440400": 0, "440600": 0, "441300": 0, "441900": 0, "442000": 0,
    "440700": 0, "441200": 0,
    "440500": 1, "441500": 1, "445100": 1, "445200": 1,
    "440800": 2, "440900": 2, "441700": 2,
    "440200": 3, "441400": 3, "441600": 3, "441800": 3, "445300": 3,
}
#: Mean latent integrity of an area (the regional level of the hierarchy).
AREA_MEAN = np.array([0.30, -0.20, -0.15, -0.25])
#: Resident population growth per year (census 2020 as the anchor).
AREA_POP_GROWTH = np.array([0.012, -0.002, -0.003, -0.004])
#: Comprehensive fiscal capacity per resident in 2019 (yuan) by area; a few cities differ.
AREA_FISCAL_PER_HEAD = np.array([14000.0, 7500.0, 8000.0, 10000.0])
CITY_FISCAL_PER_HEAD = {"440300": 42000.0, "440100": 26000.0, "440400": 33000.0, "440600": 16000.0,
                        "441900": 15000.0}
#: Weights that split a city's census population over its county-level units (synthetic).
COUNTY_TYPE_WEIGHT = {"district": 1.6, "city": 1.0, "county": 0.7, "autonomous": 0.25}

#: Departments rated at each scale. `demo` rates a few departments with many records;
#: `province` and `large` rate every department of a city and a typical, merged county set.
DEMO_CITY_DEPTS = ("GOV_DATA", "DRC", "FINANCE", "HR_SS", "NAT_RES", "HOUSING", "MKT_REG", "COMMERCE")
DEMO_COUNTY_DEPTS = ("GOV_DATA", "FINANCE", "HOUSING", "MKT_REG")
#: Departments a county government usually merges into others or does not have.
COUNTY_ABSENT = ("SCI_TECH", "FORESTRY", "INVEST_PROMO", "FIN_REG", "CIVIL_DEF", "PETITIONS")

#: Relative 12345 ticket load of a department (default 0.5).
DEPT_TICKET_WEIGHT = {
    "HOUSING": 3.0, "MKT_REG": 3.0, "URBAN_MGMT": 3.0, "HR_SS": 2.5, "PUB_SEC": 2.0, "TRANSPORT": 2.0,
    "EDU": 2.0, "HEALTH": 2.0, "MED_SEC": 1.5, "ECO_ENV": 1.5, "GOV_DATA": 1.5, "NAT_RES": 1.2,
    "CIVIL_AFF": 1.2, "AGRI_RURAL": 1.0, "WATER": 1.0, "COMMERCE": 0.8, "PETITIONS": 0.8,
}
#: Relative staff size of a department (default 1).
DEPT_STAFF_WEIGHT = {"PUB_SEC": 4.0, "URBAN_MGMT": 2.5, "MKT_REG": 2.5, "NAT_RES": 1.8, "HR_SS": 1.6,
                     "HOUSING": 1.5, "TRANSPORT": 1.5, "EDU": 1.3, "HEALTH": 1.3, "ECO_ENV": 1.3,
                     "AGRI_RURAL": 1.3, "FINANCE": 1.2, "STATS": 0.6, "CIVIL_DEF": 0.5, "FIN_REG": 0.5,
                     "INVEST_PROMO": 0.6, "PETITIONS": 0.6, "VETERANS": 0.6, "PUB_RES_TRADE": 0.6}
#: Share of the region's budget spent by a department, in per mille (default 8).
DEPT_BUDGET_PERMILLE = {"EDU": 120.0, "HEALTH": 70.0, "PUB_SEC": 60.0, "HR_SS": 45.0, "TRANSPORT": 50.0,
                        "HOUSING": 40.0, "AGRI_RURAL": 40.0, "URBAN_MGMT": 30.0, "NAT_RES": 30.0,
                        "WATER": 25.0, "CIVIL_AFF": 25.0, "ECO_ENV": 15.0, "MED_SEC": 15.0, "SCI_TECH": 20.0,
                        "IND_IT": 15.0, "FINANCE": 10.0}

# Tiers: what kind of unit, at which level. Rates and shares below are indexed by tier.
T_PROVINCE, T_CITY, T_COUNTY, T_CITY_DEPT, T_COUNTY_DEPT = range(5)

# Latent dynamics (docs/synthetic-world.md, "Latent integrity").
SD_CITY, SD_COUNTY, SD_DEPT_TYPE, SD_DEPT = 0.35, 0.30, 0.20, 0.30
SHOCK_RHO, SHOCK_SD = 0.70, 0.22  # city-year shocks shared by every unit of the city
OWN_RHO, OWN_SD = 0.80, 0.28  # each unit's own AR(1) path (stationary sd)
DEPT_SHARE = 0.5  # a department carries this share of its region's own path and trend
P_DETERIORATE, P_IMPROVE = 0.08, 0.06
SLOPE_DETERIORATE, SLOPE_IMPROVE = -0.40, 0.30  # per year of the spell
# Serious events: logit p = EVENT_BASE[tier] - EVENT_BETA * latent + EVENT_DROP * max(0, fall)
EVENT_BASE = np.array([-3.8, -3.15, -3.45, -3.75, -3.85])
EVENT_BETA = 1.8
EVENT_DROP = 1.5

SCALES = ("demo", "province", "large")


@dataclass(frozen=True)
class Division:
    code: str
    name_zh: str
    name_en: str
    level: str
    parent: str
    population_10k: float | None


@cache
def divisions() -> tuple[Division, ...]:
    text = resources.files(__package__).joinpath("reference", "guangdong_divisions.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return tuple(Division(r["code"], r["name_zh"], r["name_en"], r["level"], r["parent_code"],
                          float(r["population_10k"]) if r["population_10k"] else None) for r in rows)


@cache
def departments() -> tuple[tuple[str, str, str], ...]:
    text = resources.files(__package__).joinpath("reference", "departments.csv").read_text("utf-8")
    return tuple((r["code"], r["name_zh"], r["name_en"]) for r in csv.DictReader(text.splitlines()))


def county_type(name_zh: str) -> str:
    if name_zh.endswith("自治县"):
        return "autonomous"
    if name_zh.endswith("区"):
        return "district"
    if name_zh.endswith("市"):
        return "city"
    return "county"


def department_codes(scale: str, level: str) -> tuple[str, ...]:
    codes = tuple(c for c, _, _ in departments())
    if scale == "demo":
        chosen = DEMO_CITY_DEPTS if level == "city" else DEMO_COUNTY_DEPTS
        return tuple(c for c in codes if c in chosen)
    if level == "city":
        return codes
    return tuple(c for c in codes if c not in COUNTY_ABSENT)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class World:
    """Units, denominators and the latent truth of one seed, years and scale."""

    seed: int
    first: int
    last: int
    scale: str
    units: pl.DataFrame  # the `units` table, sorted by unit_id
    unit_id: np.ndarray  # (U,) str
    tier: np.ndarray  # (U,) int, T_*
    region: np.ndarray  # (U,) index of the unit's region (itself for a region)
    city: np.ndarray  # (U,) index of the unit's city (itself for a city; -1 for the province)
    area: np.ndarray  # (U,) macro-area (-1 for the province)
    dept: np.ndarray  # (U,) department code, "" for regions
    population: np.ndarray  # (U, T) resident population served
    staff: np.ndarray  # (U, T)
    budget: np.ndarray  # (U, T) yuan
    fiscal_capacity: np.ndarray  # (U, T) yuan, regions only (0 for departments)
    ticket_weight: np.ndarray  # (U, T) relative expected 12345 tickets handled
    latent: np.ndarray  # (U, T) latent integrity, higher is better
    latent_before: np.ndarray  # (U,) latent of the year before the first
    handling: np.ndarray  # (U,) persistent complaint-handling bias unrelated to integrity
    nuisance: _nuisance.Nuisance  # (U, T) factors unrelated to integrity (filing, calling, ...)
    event_p: np.ndarray  # (U, T) probability of a serious event
    event: np.ndarray  # (U, T) bool: a serious integrity event in that year
    trend: np.ndarray  # (U,) -1 deteriorating spell, +1 improving spell, 0 none

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.first, self.last + 1)

    @property
    def is_region(self) -> np.ndarray:
        return self.tier <= T_COUNTY


def build(seed: int, first: int, last: int, scale: str, nuisance: float = 1.0) -> World:
    """The units of `scale` with their denominators, latent integrity and serious events, and
    nuisance factors of strength `nuisance` (0: records follow the latent integrity alone)."""
    divs = divisions()
    by_code = {d.code: d for d in divs}
    # regions: province, cities, counties
    regions: list[tuple[str, str, str, str, str]] = [(PROVINCE[0], PROVINCE[1], PROVINCE[2], "province", "")]
    regions += [(d.code, d.name_zh, d.name_en, d.level, d.parent) for d in divs]
    rows = []  # unit_id, name, name_en, kind, level, parent_id, region_id, tier, dept, dept_index
    dept_index = {c: i + 1 for i, (c, _, _) in enumerate(departments())}
    dept_names = {c: (zh, en) for c, zh, en in departments()}
    for code, zh, en, level, parent in regions:
        tier = {"province": T_PROVINCE, "city": T_CITY, "county": T_COUNTY}[level]
        rows.append((code, zh, en, "region", level, parent, code, tier, "", 0))
        if level == "province":
            continue
        for d in department_codes(scale, level):
            dzh, den = dept_names[d]
            rows.append((f"{code}-{d}", zh + dzh, f"{en} {den}", "department", level, code, code,
                         T_CITY_DEPT if level == "city" else T_COUNTY_DEPT, d, dept_index[d]))
    rows.sort(key=lambda r: r[0])
    n = len(rows)
    unit_id = np.array([r[0] for r in rows])
    pos = {u: i for i, u in enumerate(unit_id)}
    tier = np.array([r[7] for r in rows], dtype=np.int64)
    dept = np.array([r[8] for r in rows])
    region = np.array([pos[r[6]] for r in rows], dtype=np.int64)
    city_code = []
    for r in rows:
        reg = by_code.get(r[6])
        city_code.append("" if reg is None else (reg.code if reg.level == "city" else reg.parent))
    city = np.array([pos[c] if c else -1 for c in city_code], dtype=np.int64)
    area = np.array([AREA_OF_CITY[c] if c else -1 for c in city_code], dtype=np.int64)
    units = pl.DataFrame(
        {
            "unit_id": unit_id.tolist(),
            "name": [r[1] for r in rows],
            "name_en": [r[2] for r in rows],
            "kind": [r[3] for r in rows],
            "level": [r[4] for r in rows],
            "parent_id": [r[5] or None for r in rows],
            "region_id": [r[6] for r in rows],
        },
        schema={c: pl.String for c in ("unit_id", "name", "name_en", "kind", "level", "parent_id", "region_id")},
    )
    years = np.arange(first, last + 1)
    n_years = len(years)

    # ---- population (census 2020 for cities; counties split by a fixed rule; synthetic)
    pop2020 = np.zeros(n)
    county_w: dict[str, float] = {}
    for d in divs:
        if d.level == "county":
            county_w[d.code] = COUNTY_TYPE_WEIGHT[county_type(d.name_zh)]
    city_w_sum: dict[str, float] = {}
    for d in divs:
        if d.level == "county":
            city_w_sum[d.parent] = city_w_sum.get(d.parent, 0.0) + county_w[d.code]
    for i, r in enumerate(rows):
        reg = by_code.get(r[6])
        if reg is None:  # province
            pop2020[i] = sum(d.population_10k for d in divs if d.level == "city") * 1e4
        elif reg.level == "city":
            pop2020[i] = reg.population_10k * 1e4
        else:
            pop2020[i] = by_code[reg.parent].population_10k * 1e4 * county_w[reg.code] / city_w_sum[reg.parent]
    growth = np.where(area >= 0, AREA_POP_GROWTH[np.maximum(area, 0)], 0.006)
    population = np.round(pop2020[:, None] * (1 + growth[:, None]) ** (years[None, :] - 2020))
    prov = np.flatnonzero(tier == T_PROVINCE)
    cities = np.flatnonzero(tier == T_CITY)
    population[prov] = population[cities].sum(axis=0)
    population = np.round(population)

    # ---- fiscal capacity of regions (yuan): per head by area, growth with the 2020 and
    # 2022-2024 dips of land-sale revenue; a city government keeps 45% when it has counties.
    draw = _normal_draws(seed, tier <= T_COUNTY)
    per_head = np.where(area >= 0, AREA_FISCAL_PER_HEAD[np.maximum(area, 0)], 0.0)
    for c, v in CITY_FISCAL_PER_HEAD.items():
        per_head[city == pos[c]] = v
    fiscal_growth = np.array([_fiscal_growth(y) for y in years])
    fiscal_index = np.cumprod(fiscal_growth) / fiscal_growth[0]
    has_counties = np.zeros(n, dtype=bool)
    has_counties[city[tier == T_COUNTY]] = True
    own_share = np.where(tier == T_CITY, np.where(has_counties, 0.45, 1.0), 0.55)
    cap_pop = np.where(tier == T_CITY, pop2020, 0.0)
    county_rows = tier == T_COUNTY
    cap_pop[county_rows] = pop2020[county_rows]
    noise = np.exp(draw(0.12))
    capacity0 = per_head * cap_pop * own_share * noise
    capacity0[prov] = 4.5e11
    capacity = np.where((tier <= T_COUNTY)[:, None], capacity0[:, None] * fiscal_index[None, :]
                        * np.exp(draw(0.03, n_years)), 0.0)
    capacity = np.round(capacity, -4)

    # ---- staff and budgets
    staff = np.zeros(n)
    staff_w = np.array([DEPT_STAFF_WEIGHT.get(d, 1.0) for d in dept])
    staff[tier == T_PROVINCE] = 6000
    staff[tier == T_CITY] = np.clip(3000 * np.sqrt(pop2020[tier == T_CITY] / 5e6), 900, 9000)
    staff[tier == T_COUNTY] = np.clip(900 * np.sqrt(pop2020[tier == T_COUNTY] / 6e5), 300, 2500)
    staff[tier == T_CITY_DEPT] = np.clip(110 * staff_w[tier == T_CITY_DEPT], 40, 500)
    staff[tier == T_COUNTY_DEPT] = np.clip(45 * staff_w[tier == T_COUNTY_DEPT], 30, 180)
    staff = staff * np.exp(draw(0.15))
    staff_t = np.round(staff[:, None] * np.exp(draw(0.02, n_years).cumsum(axis=1)))
    staff_lo = np.array([3000, 800, 300, 30, 30])[tier]
    staff_hi = np.array([9000, 9000, 2500, 500, 200])[tier]
    staff_t = np.clip(staff_t, staff_lo[:, None], staff_hi[:, None])
    budget_region = capacity * 0.92
    permille = np.array([DEPT_BUDGET_PERMILLE.get(d, 8.0) for d in dept])
    budget = np.where((tier <= T_COUNTY)[:, None], budget_region,
                      budget_region[region] * permille[:, None] / 1000.0 * np.exp(draw(0.2))[:, None])
    budget = np.round(budget, -3)

    # ---- latent integrity
    latent_all, handling, trend_kind = _latent(seed, rows, tier, region, city, area, n_years)
    latent_before, latent = latent_all[:, 0], latent_all[:, 1:]
    fall = np.maximum(0.0, latent_all[:, :-1] - latent_all[:, 1:])
    event_p = sigmoid(EVENT_BASE[tier][:, None] - EVENT_BETA * latent + EVENT_DROP * fall)
    event_u = np.stack([rng.stream(seed, rng.UNIT, _unit_key(r), 1).random(n_years) for r in rows])
    event = event_u < event_p

    # ---- expected 12345 load: population served, shared between a region's government and
    # its departments; worse integrity brings more tickets; volumes grow, with COVID-year peaks.
    dept_w = np.array([DEPT_TICKET_WEIGHT.get(d, 0.5) for d in dept])
    jur = np.zeros(n)  # the jurisdiction's share of the province's tickets
    for c in cities:
        kids = np.flatnonzero((tier == T_COUNTY) & (city == c))
        share_city = 0.35 if len(kids) else 1.0
        jur[c] = pop2020[c] * share_city
        if len(kids):
            jur[kids] = pop2020[c] * (1 - share_city) * pop2020[kids] / pop2020[kids].sum()
    jur[prov] = 0.01 * pop2020[prov]
    reg_rows = np.flatnonzero(tier <= T_COUNTY)
    gov_share = np.array([1.0, 0.25, 0.45, 0.0, 0.0])[tier]
    weight = np.zeros(n)
    for r in reg_rows:
        kids = np.flatnonzero((region == r) & (tier >= T_CITY_DEPT))
        if len(kids) == 0:
            weight[r] = jur[r]
            continue
        weight[r] = jur[r] * gov_share[r]
        weight[kids] = jur[r] * (1 - gov_share[r]) * dept_w[kids] / dept_w[kids].sum()
    year_factor = np.array([1.06 ** (y - 2019) * (1.18 if y in (2020, 2022) else 1.0) for y in years])
    # nuisance factors (how readily citizens call, ...) from each unit's own stream
    factors = _nuisance.draw(seed, [_unit_key(r) for r in rows], n_years, nuisance)
    ticket_weight = weight[:, None] * year_factor[None, :] * np.exp(-0.15 * latent) * factors.multiplier("calling")

    return World(seed=seed, first=first, last=last, scale=scale, units=units, unit_id=unit_id, tier=tier,
                 region=region, city=city, area=area, dept=dept, population=population, staff=staff_t,
                 budget=budget, fiscal_capacity=capacity, ticket_weight=ticket_weight, latent=latent,
                 latent_before=latent_before, handling=handling, nuisance=factors, event_p=event_p, event=event,
                 trend=trend_kind)


def _normal_draws(seed: int, is_region: np.ndarray):
    """Normal draws for every unit: regions from one stream, departments from another, so the
    regions' denominators are the same at every scale."""
    streams = (rng.stream(seed, rng.STATS, 0), rng.stream(seed, rng.STATS, 1))
    groups = (np.flatnonzero(is_region), np.flatnonzero(~is_region))

    def draw(sd: float, years: int | None = None) -> np.ndarray:
        extra = () if years is None else (years,)
        out = np.zeros((len(is_region), *extra))
        for g, idx in zip(streams, groups):
            out[idx] = g.normal(0.0, sd, (len(idx), *extra))
        return out

    return draw


def _fiscal_growth(year: int) -> float:
    return {2019: 1.0, 2020: 0.97, 2021: 1.07, 2022: 0.95, 2023: 0.98, 2024: 0.99, 2025: 1.02}.get(year, 1.03)


def _unit_key(row) -> int:
    """A stable integer per unit: its region code * 100 + the department's row in departments.csv."""
    return int(row[6]) * 100 + int(row[9])


def _ar1(g: np.random.Generator, rho: float, sd: float, length: int) -> np.ndarray:
    x = np.empty(length)
    eps = g.normal(0.0, sd * np.sqrt(1 - rho * rho), length)
    x[0] = g.normal(0.0, sd)
    for t in range(1, length):
        x[t] = rho * x[t - 1] + eps[t]
    return x


def _spell(g: np.random.Generator, length: int) -> tuple[np.ndarray, int]:
    """A deterioration or improvement spell of 2-4 years starting at a random year (or none)."""
    u, start, dur = g.random(), int(g.integers(1, max(2, length - 1))), int(g.integers(2, 5))
    if u < P_DETERIORATE:
        slope, kind = SLOPE_DETERIORATE, -1
    elif u < P_DETERIORATE + P_IMPROVE:
        slope, kind = SLOPE_IMPROVE, 1
    else:
        return np.zeros(length), 0
    t = np.arange(length)
    return slope * np.clip(t - start + 1, 0, dur), kind


def _latent(seed, rows, tier, region, city, area, n_years):
    """Latent integrity (U, 1 + years): hierarchy of area, city, county and department effects,
    city-year shocks, each unit's own AR(1) path and multi-year spells. Column 0 is the year
    before the first. Every draw comes from the stream of the unit (or city) it belongs to, so
    a unit's latent path does not depend on which other units the scale includes."""
    n, length = len(rows), n_years + 1
    ga = rng.stream(seed, rng.AREA, 0)
    area_eff = AREA_MEAN + ga.normal(0.0, 0.10, len(AREA_MEAN))
    dept_type = {}
    static = np.zeros(n)
    own = np.zeros((n, length))
    spell = np.zeros((n, length))
    trend_kind = np.zeros(n, dtype=np.int64)
    handling = np.zeros(n)
    shocks: dict[int, np.ndarray] = {}
    for i, r in enumerate(rows):
        g = rng.stream(seed, rng.UNIT, _unit_key(r), 0)
        level_sd = {T_PROVINCE: 0.3, T_CITY: SD_CITY, T_COUNTY: SD_COUNTY}.get(int(tier[i]), SD_DEPT)
        static[i] = g.normal(0.0, level_sd)
        own[i] = _ar1(g, OWN_RHO, OWN_SD, length)
        spell[i], trend_kind[i] = _spell(g, length)
        handling[i] = g.normal(0.0, 0.35)
        if r[8]:
            if r[8] not in dept_type:
                dept_type[r[8]] = rng.stream(seed, rng.AREA, 100 + r[9]).normal(0.0, SD_DEPT_TYPE)
            static[i] += dept_type[r[8]]
        c = int(city[i])
        if c >= 0 and c not in shocks:
            gc = rng.stream(seed, rng.CITY, int(rows[c][0]))
            shocks[c] = _ar1(gc, SHOCK_RHO, SHOCK_SD, length)
    latent = np.zeros((n, length))
    for i in range(n):
        t = int(tier[i])
        reg = int(region[i])
        c = int(city[i])
        value = static[i] + own[i] + spell[i]
        if t == T_PROVINCE:
            latent[i] = value + 0.2
            continue
        value = value + area_eff[area[i]] + shocks[c]
        if t in (T_COUNTY, T_COUNTY_DEPT):
            value = value + static[c]  # nested in its city
        if t in (T_CITY_DEPT, T_COUNTY_DEPT):
            value = value + static[reg] + DEPT_SHARE * (own[reg] + spell[reg])
        latent[i] = value
    return latent, handling, trend_kind
