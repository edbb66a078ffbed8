"""The `band` alert kind: a value reaching the lower bound of a band (the highest band wins), e.g.
the debt ratio's 120/200/300%. docs/early-warning.md documents its keys."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from indicators.framework import Framework
from models.alert import LEVEL_ZH, Wording
from models.kinds import values as values_

KIND = "band"


@dataclass(frozen=True)
class Params:
    """The keys of a `band` alert entry besides code, kind, level, status, messages and actions, with
    the defaults the framework fills in (indicators.framework.ALERT_KEYS says the same)."""

    indicator: str = ""
    bands: tuple = ()  # ({min, level}, ...)
    min_denominator: float = 0.0

    def check(self) -> list[str]:
        """Problems with the values (empty: none)."""
        out = []
        if not self.bands:
            out.append("bands: at least one { min, level }")
        if self.min_denominator < 0:
            out.append("min_denominator: >= 0")
        return out


def alerts(values: pl.DataFrame, rule: dict, framework: Framework) -> list[dict]:
    """The highest band whose lower bound the value reaches (e.g. debt ratio 120/200/300%).

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> v = pl.DataFrame({"unit_id": ["440100"], "year": [2024], "indicator": ["debt_ratio"], "value": [2.5]})
    >>> fw = load_framework()
    >>> [a["level"] for a in alerts(v, fw.alerts[0], fw)]
    ['orange']
    """
    v = values_.present(values, rule["indicator"], rule["min_denominator"])
    out, done = [], pl.DataFrame(schema={"unit_id": pl.String, "year": pl.Int64})
    for band in sorted(rule["bands"], key=lambda b: -b["min"]):
        hits = v.filter(pl.col("value") >= band["min"]).join(done, on=["unit_id", "year"], how="anti")
        out += values_.value_rows(hits, rule, band["level"], band["min"], framework)
        done = pl.concat([done, hits.select("unit_id", "year")])
    return out


def evaluate(rule: dict, frames, framework: Framework) -> list[dict]:
    """The kind's alerts over the run's frames (models.kinds.Frames)."""
    return alerts(frames.values, rule, framework)


def describe(rule: dict) -> tuple[str, str]:
    """(zh, en) one line on when the rule fires, for the methodology page."""
    w = Wording(rule)
    what, base_zh, base_en = w.what, w.base_zh, w.base_en
    zh = "；".join(f"≥ {b['min']:g} → {LEVEL_ZH[b['level']]}" for b in rule["bands"])
    en = "; ".join(f">= {b['min']:g} -> {b['level']}" for b in rule["bands"])
    return f"{what}{base_zh} {zh}", f"{what}{base_en} {en}"
