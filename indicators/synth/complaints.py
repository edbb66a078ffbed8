"""`complaints`: 12345 hotline tickets, generated in chunks of bounded size.

The exact total is split over cells (year, month, unit) by one multinomial draw whose weights
are the unit's expected load (population served, its department's share, latent integrity, the
year's growth) times the month's seasonal weight. Rows are laid out cell after cell (year, month,
unit) and numbered in that order; chunk k holds rows [k*C, (k+1)*C) and draws everything else
from its own stream (seed, COMPLAINTS, k), so any chunk can be generated alone, in bounded
memory, and the same seed and chunk size always give the same bytes.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import SATISFACTION, TICKET_KINDS
from . import rng
from .calendar import HOUR_WEIGHT, Calendar
from .io import ChunkWriter, arrow_table
from .world import World, sigmoid

#: Default rows per chunk (one Parquet row group each).
CHUNK_ROWS = 1_000_000

#: Share of tickets by kind (order of TICKET_KINDS: complaint, report, consultation, suggestion).
KIND_SHARE = np.array([0.33, 0.08, 0.45, 0.14])
#: Statutory reply deadline in working days (粤 12345 管理办法 2022): 投诉/举报 15, 咨询 2, 建议 10.
KIND_DEADLINE = {"complaint": 15, "report": 15, "consultation": 2, "suggestion": 10}
#: On-time handling: logit = ONTIME_BASE + ONTIME_LATENT * latent + handling bias + handling
#: capacity (nuisance) + kind effect.
ONTIME_BASE, ONTIME_LATENT = 1.9, 0.9
KIND_ONTIME = np.array([-0.3, -0.5, 0.8, 0.2])
IMMEDIATE_CONSULTATION = 0.35  # consultations answered on the call
UNRESOLVED = 0.003  # tickets never closed (at latent 0)
LATE_MEAN_DAYS = 5.0
CALLBACK = np.array([0.85, 0.5, 0.75, 0.8])  # share of closed tickets with a satisfaction callback
BASIC_SHARE = 0.22
TOPICS = ("住房保障", "物业管理", "劳动工资", "社会保险", "社会救助", "市场监管与消费维权", "交通出行", "城市管理",
          "环境保护", "教育", "医疗卫生", "医疗保障", "户籍证件", "自然资源与规划", "营商环境", "政务服务",
          "农业农村", "水务", "其他")
DEPT_TOPIC = {"HOUSING": "物业管理", "MKT_REG": "市场监管与消费维权", "HR_SS": "劳动工资", "URBAN_MGMT": "城市管理",
              "PUB_SEC": "户籍证件", "TRANSPORT": "交通出行", "EDU": "教育", "HEALTH": "医疗卫生",
              "MED_SEC": "医疗保障", "ECO_ENV": "环境保护", "NAT_RES": "自然资源与规划", "GOV_DATA": "政务服务",
              "COMMERCE": "营商环境", "DRC": "营商环境", "INVEST_PROMO": "营商环境", "AGRI_RURAL": "农业农村",
              "WATER": "水务", "CIVIL_AFF": "社会救助", "FINANCE": "社会保险"}
PRIMARY_TOPIC_SHARE = 0.6
MISSING_TOPIC = 0.03


class Plan:
    """Ticket counts per cell (year, month, unit) and their cumulative offsets."""

    def __init__(self, world: World, cal: Calendar, total: int):
        n_units, n_years = world.latent.shape
        month_w = cal.month_weight.reshape(n_years, 12)
        p = (world.ticket_weight.T[:, None, :] * month_w[:, :, None]).ravel()
        p = p / p.sum()
        g = rng.stream(world.seed, rng.COMPLAINT_COUNTS)
        self.counts = g.multinomial(int(total), p) if total > 0 else np.zeros(len(p), dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])
        self.total = int(total)
        self.n_units = n_units

    def cells(self, a: int, b: int) -> np.ndarray:
        """The cell of every row in [a, b)."""
        c0 = int(np.searchsorted(self.offsets, a, side="right")) - 1
        c1 = int(np.searchsorted(self.offsets, b, side="left"))
        cells = np.arange(c0, c1)
        n_in = np.minimum(self.offsets[cells + 1], b) - np.maximum(self.offsets[cells], a)
        return np.repeat(cells, n_in)


def chunk(world: World, cal: Calendar, plan: Plan, k: int, a: int, b: int, extras: dict) -> pa.Table:
    """Rows [a, b) of the complaints table, drawn from the stream of chunk k."""
    g = rng.stream(world.seed, rng.COMPLAINTS, k)
    n_units, n_years = world.latent.shape
    cell = plan.cells(a, b)
    n = len(cell)
    month = cell // n_units  # year * 12 + month
    unit = cell % n_units
    year = month // 12

    # received_at: a day of the month by the weekday/holiday weights, an hour by the daily curve;
    # sorted within each cell
    day = cal.draw_days(month, g.random(n))
    hour = np.searchsorted(np.cumsum(HOUR_WEIGHT), g.random(n) * HOUR_WEIGHT.sum(), side="right")
    hour = np.minimum(hour, 23)
    month_first = cal.day_int[cal.month_start[month]]
    offset = (cal.day_int[day] - month_first) * 86400 + hour * 3600 + g.integers(0, 3600, n)
    key = ((cell - cell[0]) << 22 | offset) if n else offset
    key.sort()
    offset = key & ((1 << 22) - 1)
    received = month_first * 86400 + offset  # seconds since epoch
    day_idx = received // 86400 - cal.day_int[0]

    kind = np.minimum(np.searchsorted(np.cumsum(KIND_SHARE), g.random(n), side="right"), len(KIND_SHARE) - 1)
    due_table = np.stack([cal.due_day(KIND_DEADLINE[k_]) for k_ in TICKET_KINDS])
    due = due_table[kind, day_idx] * 86400 + 86399  # end of the n-th working day

    latent = world.latent[unit, year]
    capacity = world.handling[unit] + world.nuisance.handling[unit, year]
    p_ontime = sigmoid(ONTIME_BASE + ONTIME_LATENT * latent + capacity + KIND_ONTIME[kind])
    on_time = g.random(n) < p_ontime
    immediate = (kind == TICKET_KINDS.index("consultation")) & (g.random(n) < IMMEDIATE_CONSULTATION)
    span = due - received
    frac = g.random(n) ** 1.6
    resolved = np.where(
        immediate,
        received + 60 + g.exponential(600.0, n).astype(np.int64),
        np.where(on_time,
                 received + np.maximum(60, (frac * span).astype(np.int64)),
                 due + 1 + g.exponential(LATE_MEAN_DAYS * 86400, n).astype(np.int64)),
    )
    never = g.random(n) < UNRESOLVED * np.exp(-0.5 * latent)
    extract_end = (int(cal.day_int[-1]) + 1) * 86400 - 1
    open_ = never | (resolved > extract_end)

    callback = ~open_ & (g.random(n) < CALLBACK[kind])
    late = resolved > due
    p_dis = sigmoid(-2.4 - 0.7 * latent + 1.3 * late - world.nuisance.mood[unit, year])
    u = g.random(n)
    sat = np.where(u < p_dis, 2, np.where(u < p_dis + BASIC_SHARE, 1, 0))
    repeat = g.random(n) < sigmoid(-2.7 - 0.5 * latent + 0.5 * (kind == 0))

    primary = extras["primary_topic"][unit]
    topic = np.where((primary >= 0) & (g.random(n) < PRIMARY_TOPIC_SHARE), primary, g.integers(0, len(TOPICS), n))
    no_topic = g.random(n) < MISSING_TOPIC

    ids = pa.array(np.arange(a + 1, b + 1, dtype=np.int64))
    ticket_id = pc.binary_join_element_wise(
        pa.scalar("T"), pc.utf8_lpad(pc.cast(ids, pa.string()), width=10, padding="0"), "")
    return arrow_table("complaints", {
        "ticket_id": ticket_id,
        "unit_id": pc.take(extras["unit_ids"], pa.array(unit)),
        "received_at": received * 1_000_000,
        "kind": pc.take(extras["kinds"], pa.array(kind)),
        "topic": pc.take(extras["topics"], pa.array(topic, mask=no_topic)),
        "due_at": due * 1_000_000,
        "resolved_at": pa.array(resolved * 1_000_000, mask=open_).cast(pa.timestamp("us")),
        "satisfaction": pc.take(extras["satisfaction"], pa.array(sat, mask=~callback)),
        "repeat": repeat,
    })


def extras(world: World) -> dict:
    """Lookup arrays shared by every chunk."""
    topic_index = {t: i for i, t in enumerate(TOPICS)}
    return {
        "unit_ids": pa.array(world.unit_id.tolist(), pa.string()),
        "kinds": pa.array(list(TICKET_KINDS), pa.string()),
        "topics": pa.array(list(TOPICS), pa.string()),
        "satisfaction": pa.array(list(SATISFACTION), pa.string()),
        # a department's main topic; a region's government takes every topic alike (-1)
        "primary_topic": np.array([topic_index.get(DEPT_TOPIC.get(d, ""), topic_index["其他"]) if d else -1
                                   for d in world.dept]),
    }


def write(world: World, cal: Calendar, total: int, path, fmt: str, *, chunk_rows: int = CHUNK_ROWS) -> int:
    """Write `total` tickets to path.<fmt> in chunks of `chunk_rows`; returns the row count."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    plan = Plan(world, cal, total)
    ex = extras(world)
    with ChunkWriter("complaints", path, fmt) as w:
        for k, a in enumerate(range(0, total, chunk_rows)):
            w.write(chunk(world, cal, plan, k, a, min(total, a + chunk_rows), ex))
    return total
