"""Record-lifecycle rules for failure records (DESIGN.md), applied once, where records are staged.

revoked never counts; under_objection is excluded from scores and alerts and listed as pending;
repaired counts in the period it occurred in, not after its repair date; rectified counts with a
discount that rewards self-correction.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lifecycle:
    rectified_weight: float = 0.5  # a rectified record counts this much (1 = no discount)
    count_repaired_after_repair: bool = False
    count_under_objection: bool = False
    count_revoked: bool = False
