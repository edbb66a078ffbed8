"""Grade migration between consecutive years: how many units moved from each grade to each other.

The matrix is the usual credit-rating transition table: a row per grade in year t, a column per
grade in year t + 1, counting units graded in both years (the signed grade, after vetoes).
"""
from __future__ import annotations

from typing import Sequence

import polars as pl

#: Label of a unit-year without a grade (its score is missing), as a row and a column.
UNGRADED = "ungraded"


def migration(scores: pl.DataFrame, grades: Sequence[str] | None = None) -> pl.DataFrame:
    """Grade migration counts for every pair of consecutive years, and pooled over all pairs.

    Parameters
    ----------
    scores : polars.DataFrame
        ``unit_id``, ``year``, ``grade`` (scores.csv); other columns are ignored.
    grades : sequence of str, optional
        Grade codes, best first (``[g.code for g in framework.grades]``); default: the grades
        present, sorted. A unit-year without a grade counts as ``ungraded``, a row and a column
        that appear only when some unit-year has no grade.

    Returns
    -------
    polars.DataFrame
        ``from_year``, ``to_year``, ``grade`` (the grade in ``from_year``), one count column per
        grade in ``to_year`` (same order), and ``total``. Each year pair gives one row per grade;
        the pooled rows (all pairs together) come last with null years. Only units with a row in
        both years count; a year pair is two consecutive calendar years.

    Examples
    --------
    >>> s = pl.DataFrame({"unit_id": ["a", "a", "a", "b", "b", "b"], "year": [2022, 2023, 2024] * 2,
    ...                   "grade": ["A", "B", "B", "B", "A", None]})
    >>> m = migration(s, grades=["A", "B"])
    >>> m.columns
    ['from_year', 'to_year', 'grade', 'A', 'B', 'ungraded', 'total']
    >>> m.filter(pl.col("from_year") == 2022).select("grade", "A", "B").rows()
    [('A', 0, 1), ('B', 1, 0), ('ungraded', 0, 0)]
    >>> m.filter(pl.col("from_year").is_null(), pl.col("grade") == "A")["total"].item()
    2
    """
    s = scores.select("unit_id", pl.col("year").cast(pl.Int64), pl.col("grade").cast(pl.String))
    present = set(s["grade"].drop_nulls().to_list())
    order = list(grades) if grades is not None else []
    order += sorted(present - set(order))
    if s["grade"].null_count():
        order.append(UNGRADED)
    s = s.with_columns(pl.col("grade").fill_null(UNGRADED))
    nxt = s.select("unit_id", (pl.col("year") - 1).alias("year"), pl.col("grade").alias("to"))
    pairs = s.join(nxt, on=["unit_id", "year"], how="inner")
    years = sorted(pairs["year"].unique().to_list())
    blocks = [_matrix(pairs.filter(pl.col("year") == y), order, y) for y in years]
    blocks.append(_matrix(pairs, order, None))
    return pl.concat(blocks)


def _matrix(pairs: pl.DataFrame, order: list[str], year: int | None) -> pl.DataFrame:
    counts = {(a, b): n for a, b, n in pairs.group_by("grade", "to").len().iter_rows()}
    rows = []
    for a in order:
        row = {"from_year": year, "to_year": None if year is None else year + 1, "grade": a}
        row.update({b: counts.get((a, b), 0) for b in order})
        row["total"] = sum(row[b] for b in order)
        rows.append(row)
    schema = {"from_year": pl.Int64, "to_year": pl.Int64, "grade": pl.String,
              **{b: pl.Int64 for b in order}, "total": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")
