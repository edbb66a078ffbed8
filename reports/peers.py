"""Peer groups (units of one kind and level, ranked together) in display order, with readable names.

Every view that compares units keeps them inside their peer group: ranks are computed there, so
a rank next to a rank of another group would mislead.
"""
from __future__ import annotations

import polars as pl

from reports.i18n import MESSAGES, kind_label, level_label
from reports.tables import KIND_ORDER, LEVEL_ORDER


def group_label(kind: str | None, level: str | None, lang: str) -> str:
    """'City governments', '市直部门': the catalogue's name of the group, else level and kind.

    Examples
    --------
    >>> group_label("region", "city", "en"), group_label("department", "county", "zh")
    ('City governments', '县直部门')
    """
    pair = MESSAGES.get(f"group_{kind}_{level}")
    if pair:
        return pair[0] if lang == "zh" else pair[1]
    return f"{level_label(level, lang)} · {kind_label(kind, lang)}"


def group_order(kind: str | None, level: str | None) -> tuple[int, int]:
    """Regions before departments, higher levels first."""
    return KIND_ORDER.get(kind, 9), LEVEL_ORDER.get(level, 9)


def groups(df: pl.DataFrame) -> list[tuple[tuple[str, str], pl.DataFrame]]:
    """((kind, level), rows) of every peer group present in `df`, in display order."""
    if df.is_empty():
        return []
    parts = df.partition_by("kind", "level", as_dict=True)
    return sorted(parts.items(), key=lambda kv: group_order(*kv[0]))
