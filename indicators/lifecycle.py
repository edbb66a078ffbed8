"""Record-lifecycle rules for failure records (DESIGN.md), applied once, where records are staged.

revoked never counts; under_objection is excluded from scores and alerts and listed as pending;
repaired counts in the period it occurred in, not after its repair date; rectified counts with a
discount that rewards self-correction.
"""

from __future__ import annotations

from dataclasses import dataclass

from indicators.errors import FrameworkError


@dataclass(frozen=True)
class Lifecycle:
    rectified_weight: float = 0.5  # a rectified record counts this much (1 = no discount)
    count_repaired_after_repair: bool = False
    count_under_objection: bool = False
    count_revoked: bool = False


#: The staged view of failure records; indicator code reads this, never the raw table.
STAGED_FAILURE_RECORDS = "stg_failure_records"


def staging_view_sql(lifecycle: Lifecycle, source: str = "failure_records") -> str:
    """SQL creating `stg_failure_records`: the failure records plus the lifecycle columns.

    Notes
    -----
    - `counting` (BOOLEAN): false for revoked and under_objection records, unless the
      lifecycle counts them.
    - `pending` (BOOLEAN): status is under_objection, to be listed as pending in reports.
    - `weight` (DOUBLE): 0 when not counting, `rectified_weight` for rectified, else 1.
    - `counts_until` (DATE): for repaired records (unless `count_repaired_after_repair`),
      status_changed_on: the record counts for periods ending before that date and for the
      period it occurred in; NULL means no limit.

    Examples
    --------
    >>> "counts_until" in staging_view_sql(Lifecycle())
    True
    """
    weight = float(lifecycle.rectified_weight)
    if not 0.0 <= weight <= 1.0:
        raise FrameworkError(
            f"lifecycle rectified_weight must lie in [0, 1] (a discount), got {lifecycle.rectified_weight!r}"
        )
    excluded = [
        s
        for s, counted in (
            ("revoked", lifecycle.count_revoked),
            ("under_objection", lifecycle.count_under_objection),
        )
        if not counted
    ]
    counting = (
        "true"
        if not excluded
        else ("status NOT IN (" + ", ".join(f"'{s}'" for s in excluded) + ")")
    )
    until = (
        "NULL::DATE"
        if lifecycle.count_repaired_after_repair
        else ("CASE WHEN status = 'repaired' THEN status_changed_on END")
    )
    return (
        f"CREATE OR REPLACE VIEW {STAGED_FAILURE_RECORDS} AS SELECT *, "
        f"CAST({counting} AS BOOLEAN) AS counting, "
        f"status = 'under_objection' AS pending, "
        f"CAST(CASE WHEN NOT ({counting}) THEN 0 WHEN status = 'rectified' THEN {weight!r} ELSE 1 END "
        f"AS DOUBLE) AS weight, "
        f"CAST({until} AS DATE) AS counts_until "
        f"FROM {source}"
    )
