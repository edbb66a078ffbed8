"""The `spike` alert kind: a month's complaints far above the unit's own previous months (robust
z-score). docs/early-warning.md documents its keys."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl

from indicators.framework import Framework
from models import dynamics
from models.alert import Wording, alert

KIND = "spike"


@dataclass(frozen=True)
class Params:
    """The keys of a `spike` alert entry besides code, kind, level, status, messages and actions, with
    the defaults the framework fills in (indicators.framework.ALERT_KEYS says the same)."""

    z: float = 3.5
    history: int = 24
    min_history: int = 12
    min_tickets: float = 10

    def check(self) -> list[str]:
        """Problems with the values (empty: none)."""
        return [] if self.z >= 0 and 2 <= self.min_history <= self.history else ["z >= 0 and 2 <= min_history <= history"]


def alerts(monthly: pl.DataFrame | None, rule: dict, framework: Framework) -> list[dict]:
    """Months whose complaints reach a robust z-score of `z` against the unit's own previous
    `history` months (and at least `min_tickets`); one alert per unit and year, for its worst month.

    Examples
    --------
    >>> import datetime as dt
    >>> from indicators.framework_load import load_framework
    >>> m = pl.DataFrame({"unit_id": ["u"] * 13, "tickets": [20, 21, 19, 20, 22, 18, 20, 21, 19, 20, 21, 20, 70],
    ...                   "month": pl.date_range(dt.date(2023, 1, 1), dt.date(2024, 1, 1), "1mo", eager=True)})
    >>> rule = {"code": "s", "kind": "spike", "z": 3.5, "history": 12, "min_history": 12, "min_tickets": 10,
    ...         "level": "yellow"}
    >>> [(a["unit_id"], a["year"], a["message_en"]) for a in alerts(m, rule, load_framework())]
    [('u', 2024, "70 complaints in 2024-01, far above the unit's usual 20 (robust z 11.2)")]
    """
    if monthly is None or monthly.is_empty():
        return []
    months = pl.date_range(monthly["month"].min(), monthly["month"].max(), interval="1mo", eager=True).alias("month")
    units = monthly["unit_id"].unique().sort()
    grid = units.to_frame().join(months.to_frame(), how="cross").join(monthly, on=["unit_id", "month"], how="left")
    counts = grid["tickets"].cast(pl.Float64).fill_null(np.nan).to_numpy().reshape(len(units), len(months))
    enough = np.nan_to_num(counts, nan=-np.inf) >= rule["min_tickets"]  # only these months can fire
    z, med, mad = dynamics.robust_z(counts, int(rule["history"]), int(rule["min_history"]), at=enough)
    hit = enough & (np.nan_to_num(z, nan=-np.inf) >= rule["z"])
    ui, mi = np.nonzero(hit)
    if not len(ui):
        return []
    found = pl.DataFrame({
        "unit_id": units.to_numpy()[ui], "month": months.to_numpy()[mi], "tickets": counts[ui, mi],
        "median": med[ui, mi], "mad": mad[ui, mi], "z": z[ui, mi],
    }).with_columns(pl.col("month").dt.year().cast(pl.Int64).alias("year")).sort("unit_id", "month")
    out = []
    # one pass over the rows (sorted by unit and month, hence by unit and year) instead of a frame per group
    for (unit, year), grp in itertools.groupby(found.rows(named=True), key=lambda r: (r["unit_id"], r["year"])):
        g = list(grp)
        top = max(r["z"] for r in g)
        ties = [r for r in g if r["z"] == top]
        worst = ties[0] if len(ties) == 1 else pl.DataFrame(g, schema=found.schema).sort("z", descending=True).row(0, named=True)
        ev = {"months": [{"month": r["month"].strftime("%Y-%m"), "tickets": r["tickets"], "median": r["median"],
                          "mad": r["mad"], "z": round(r["z"], 3)} for r in g],
              "z_limit": rule["z"], "history": rule["history"]}
        months = "、".join(f"{m['month']} {m['tickets']:.0f}件" for m in ev["months"])
        months_en = ", ".join(f"{m['month']}: {m['tickets']:.0f}" for m in ev["months"])
        text = (f"投诉举报：{months}；此前{rule['history']}个月中位数{worst['median']:.0f}件，最高稳健z值{worst['z']:.1f}"
                f"（预警线{rule['z']:g}）",
                f"complaints {months_en}; median of the previous {rule['history']} months {worst['median']:.0f}, "
                f"highest robust z {worst['z']:.1f} (limit {rule['z']:g})")
        out.append(alert(rule, unit, year, rule["level"], ev, framework=framework, text=text, value=worst["tickets"],
                         median=worst["median"], z=worst["z"], month=worst["month"].strftime("%Y-%m"), threshold=rule["z"]))
    return out


def evaluate(rule: dict, frames, framework: Framework) -> list[dict]:
    """The kind's alerts over the run's frames (models.kinds.Frames)."""
    return alerts(frames.monthly, rule, framework)


def describe(rule: dict) -> tuple[str, str]:
    """(zh, en) one line on when the rule fires, for the methodology page."""
    w = Wording(rule)
    arrow_zh, arrow_en = w.arrow_zh, w.arrow_en
    return (f"月投诉量稳健z值≥{rule['z']:g}（此前{rule['history']}个月）且≥{rule['min_tickets']:g}件{arrow_zh}",
            f"monthly complaints robust z >= {rule['z']:g} over the previous {rule['history']} months, "
            f"and >= {rule['min_tickets']:g}{arrow_en}")
