"""The `threshold` alert kind: a value beyond a fixed line (`op` gt, ge, lt, le or eq). docs/early-
warning.md documents its keys."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from indicators.framework import Framework
from models.alert import OP_TEXT, Wording
from models.kinds import values as values_

KIND = "threshold"
CMP = {"gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__", "eq": "__eq__"}


@dataclass(frozen=True)
class Params:
    """The keys of a `threshold` alert entry besides code, kind, level, status, messages and actions, with
    the defaults the framework fills in (indicators.framework.ALERT_KEYS says the same)."""

    indicator: str = ""
    op: str = "lt"
    value: float = 0.0
    min_denominator: float = 0.0

    def check(self) -> list[str]:
        """Problems with the values (empty: none)."""
        return [] if self.op in CMP else [f"op: {self.op!r} is not one of {', '.join(CMP)}"]


def alerts(values: pl.DataFrame, rule: dict, framework: Framework) -> list[dict]:
    """Values beyond a fixed threshold (`op` gt, ge, lt, le or eq)."""
    v = values_.present(values, rule["indicator"], rule["min_denominator"])
    hits = v.filter(getattr(pl.col("value"), CMP[rule["op"]])(rule["value"]))
    return values_.value_rows(hits, rule, rule["level"], rule["value"], framework)


def evaluate(rule: dict, frames, framework: Framework) -> list[dict]:
    """The kind's alerts over the run's frames (models.kinds.Frames)."""
    return alerts(frames.values, rule, framework)


def describe(rule: dict) -> tuple[str, str]:
    """(zh, en) one line on when the rule fires, for the methodology page."""
    w = Wording(rule)
    arrow_zh, arrow_en, what, base_zh, base_en = w.arrow_zh, w.arrow_en, w.what, w.base_zh, w.base_en
    zh, en = OP_TEXT[rule["op"]]
    return (f"{what}{base_zh} {zh} {rule['value']:g}{arrow_zh}",
            f"{what}{base_en} {en} {rule['value']:g}{arrow_en}")
