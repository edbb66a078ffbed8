"""COINr-format inputs: reading iData/iMeta tables and checking iMeta the way `check_iMeta` does.

iMeta has one row per indicator (`Type` = `Indicator`, `Level` 1) and per aggregate (`Aggregate`,
`Level` >= 2) with `iCode`, `Parent`, `Weight`, `Direction` (and optionally `iName`); rows of any
other type (Group, Denominator, ...) are ignored. Optional columns: `Target`, `goalpost_lower`,
`goalpost_upper`, `goalpost_scale`, `goalpost_trunc2posts`, `dist2targ_cap_max`, and per-row
method specifications `Normalise` (indicators), `Impute` (indicators) and `Aggregate` (aggregates:
the method for that group's children).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from indicators.errors import FrameworkError, InputError, MethodError
from rating.aggregate import AGGREGATORS
from rating.impute import IMPUTERS
from rating.normalise import NORMALISERS
from indicators.spec import parse_spec

REQUIRED = ("iCode", "Level", "Parent", "Weight", "Direction", "Type")
TEXT = ("iCode", "iName", "Parent", "Type", "Normalise", "Aggregate", "Impute")
NUMBERS = ("Level", "Weight", "Direction", "Target", "goalpost_lower", "goalpost_upper", "goalpost_scale")


def read_table(path: str | Path) -> pl.DataFrame:
    """A CSV (UTF-8, header row, empty = missing) or the first sheet of an XLSX workbook."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"input table not found: {p}")
    try:
        if p.suffix.lower() in (".xlsx", ".xlsm"):
            return pl.read_excel(p, engine="openpyxl")
        return pl.read_csv(p, infer_schema_length=None)
    except (pl.exceptions.PolarsError, OSError, ValueError) as e:
        raise InputError(f"cannot read {p}: {e}") from None


def read_imeta(path: str | Path) -> pl.DataFrame:
    """Read an iMeta table; text columns become strings and numeric columns floats.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = Path(tmp) / "iMeta.csv"
    ...     _ = f.write_text("iCode,Level,Parent,Weight,Direction,Type\\nx,1,Idx,1,1,Indicator\\nIdx,2,,1,1,Aggregate\\n")
    ...     imeta = read_imeta(f)
    >>> imeta.dtypes[:3]
    [String, Float64, String]
    """
    df = read_table(path)
    casts = [pl.col(c).cast(pl.String) for c in TEXT if c in df.columns]
    casts += [pl.col(c).cast(pl.Float64, strict=False) for c in NUMBERS if c in df.columns and df[c].dtype != pl.String]
    return df.with_columns(casts)


def read_idata(path: str | Path) -> pl.DataFrame:
    """Read an iData table; `uCode` and `uName` become strings, other columns keep their types."""
    df = read_table(path)
    return df.with_columns([pl.col(c).cast(pl.String) for c in ("uCode", "uName") if c in df.columns])


@dataclass(frozen=True)
class Structure:
    """The checked hierarchy: indicators and aggregates in iMeta order (aggregates by level)."""

    indicators: tuple[str, ...]
    aggregates: tuple[str, ...]
    parent: dict
    level: dict
    weight: dict
    direction: dict
    children: dict
    root: str
    rows: dict  # iCode -> the iMeta row as a dict (optional columns included)

    def frame(self) -> pl.DataFrame:
        """iCode, Parent, Level, Type of every element (indicators first)."""
        codes = list(self.indicators) + list(self.aggregates)
        return pl.DataFrame({
            "iCode": codes,
            "Parent": [self.parent[c] for c in codes],
            "Level": [self.level[c] for c in codes],
            "Type": ["Indicator" if self.level[c] == 1 else "Aggregate" for c in codes],
        }, schema={"iCode": pl.String, "Parent": pl.String, "Level": pl.Int64, "Type": pl.String})


def _num(v) -> float | None:
    """A finite float, or None for missing / non-numeric."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def _spec_problem(code: str, column: str, spec, known) -> str | None:
    if spec is None or str(spec).strip() == "":
        return None
    try:
        name, _ = parse_spec(str(spec))
    except MethodError as e:
        return f"{code}: {column} {spec!r}: {e}"
    if name not in known:
        return f"{code}: {column} method {name!r} is unknown; expected one of {sorted(known)}"
    return None


def check_imeta(imeta: pl.DataFrame, idata_columns=None) -> Structure:
    """Check iMeta like COINr's `check_iMeta` and return the hierarchy.

    Raises `FrameworkError` listing every problem: missing columns, duplicate or missing codes,
    codes starting with a digit, levels not 1..max, directions not +/-1, missing or negative
    weights, parents that do not exist or are not one level up, more than one top element,
    aggregates without children, unknown method specifications, and (with `idata_columns`)
    indicator columns missing from iData.

    Examples
    --------
    >>> m = pl.DataFrame({"iCode": ["a", "b", "P", "Idx"], "Level": [1, 1, 2, 3],
    ...     "Parent": ["P", "P", "Idx", None], "Weight": [1.0, 2.0, 1.0, 1.0],
    ...     "Direction": [1, -1, 1, 1], "Type": ["Indicator"] * 2 + ["Aggregate"] * 2})
    >>> s = check_imeta(m)
    >>> s.indicators, s.aggregates, s.root
    (('a', 'b'), ('P', 'Idx'), 'Idx')
    >>> try:
    ...     check_imeta(m.with_columns(pl.lit(2).alias("Direction")), ["a"])
    ... except FrameworkError as e:
    ...     print(len(e.problems), e.problems[0])
    5 a: Direction must be 1 or -1, got 2
    """
    missing = [c for c in REQUIRED if c not in imeta.columns]
    if missing:
        raise FrameworkError(f"iMeta lacks required column(s) {missing}", [f"missing column {c}" for c in missing])
    problems: list[str] = []
    rows = []
    for r in imeta.iter_rows(named=True):
        t = r.get("Type")
        if t is None or str(t).strip() == "":
            problems.append(f"{r.get('iCode')}: Type is missing (expected Indicator or Aggregate)")
        elif t in ("Indicator", "Aggregate"):
            rows.append(r)
    codes = [r["iCode"] for r in rows]
    seen: set[str] = set()
    for c in codes:
        if c is None or str(c).strip() == "":
            problems.append("an Indicator/Aggregate row has no iCode")
        elif c in seen:
            problems.append(f"{c}: duplicate iCode")
        elif c[0].isdigit():
            problems.append(f"{c}: iCode must not start with a digit")
        seen.add(c)
    rows = [r for r in rows if r["iCode"]]
    by = {r["iCode"]: r for r in rows}
    level, parent, weight, direction = {}, {}, {}, {}
    for c, r in by.items():
        lv = _num(r["Level"])
        if lv is None or not lv.is_integer() or lv < 1:
            problems.append(f"{c}: Level must be a positive integer, got {r['Level']!r}")
        else:
            lv = int(lv)
            if r["Type"] == "Indicator" and lv != 1:
                problems.append(f"{c}: an Indicator must have Level 1, got {lv}")
            if r["Type"] == "Aggregate" and lv < 2:
                problems.append(f"{c}: an Aggregate must have Level >= 2, got {lv}")
            level[c] = lv
        w = _num(r["Weight"])
        if w is None or w < 0:
            problems.append(f"{c}: Weight must be a number >= 0, got {r['Weight']!r}")
        weight[c] = w if w is not None else 0.0
        d = _num(r["Direction"])
        if d is None and r["Type"] == "Aggregate" and r["Direction"] is None:
            d = 1.0
        if d not in (1.0, -1.0):
            problems.append(f"{c}: Direction must be 1 or -1, got {r['Direction']!r}")
        direction[c] = int(d) if d in (1.0, -1.0) else 1
        p = r["Parent"]
        parent[c] = None if p is None or str(p).strip() == "" else str(p).strip()
    if level:
        top = max(level.values())
        gaps = sorted(set(range(1, top + 1)) - set(level.values()))
        if gaps:
            problems.append(f"Level has no element at level(s) {gaps} between 1 and {top}")
        roots = [c for c in by if level.get(c) == top]
        if len(roots) != 1:
            problems.append(f"there must be exactly one element at the top level {top}, found {roots}")
    else:
        top, roots = 0, []
        problems.append("iMeta has no Indicator or Aggregate rows")
    for c in by:
        p = parent[c]
        if c in roots:
            if p is not None:
                problems.append(f"{c}: the top element must have no Parent, got {p!r}")
        elif p is None:
            problems.append(f"{c}: Parent is missing")
        elif p not in by:
            problems.append(f"{c}: Parent {p!r} is not an iCode of an Indicator/Aggregate row")
        elif by[p]["Type"] != "Aggregate":
            problems.append(f"{c}: Parent {p!r} is an Indicator, not an Aggregate")
        elif c in level and p in level and level[p] != level[c] + 1:
            problems.append(f"{c}: Parent {p!r} is at level {level[p]}, expected {level[c] + 1}")
    children = {c: tuple(k for k in by if parent[k] == c) for c in by if by[c]["Type"] == "Aggregate"}
    for c, kids in children.items():
        if not kids:
            problems.append(f"{c}: aggregate without children")
        elif sum(weight[k] for k in kids) <= 0:
            problems.append(f"{c}: the weights of its children {list(kids)} are all zero")
    for c, r in by.items():
        if r["Type"] == "Indicator":
            for col, known in (("Normalise", NORMALISERS), ("Impute", IMPUTERS)):
                problems.append(_spec_problem(c, col, r.get(col), known))
        else:
            problems.append(_spec_problem(c, "Aggregate", r.get("Aggregate"), AGGREGATORS))
    indicators = tuple(c for c in by if by[c]["Type"] == "Indicator")
    if idata_columns is not None:
        cols = set(idata_columns)
        lost = [c for c in indicators if c not in cols]
        if lost:
            problems.append(f"indicator column(s) missing from iData: {lost}")
    problems = [p for p in problems if p]
    if problems:
        raise FrameworkError(f"iMeta is invalid ({len(problems)} problem(s))", problems)
    aggregates = tuple(sorted((c for c in by if by[c]["Type"] == "Aggregate"), key=lambda c: level[c]))
    return Structure(indicators, aggregates, parent, level, weight, direction, children, roots[0], by)


def check_idata(idata: pl.DataFrame, indicators: tuple[str, ...]) -> None:
    """Check iData: a `uCode` column without missing or duplicate codes (per `Time` if present)
    and numeric indicator columns; raises `InputError` listing every problem."""
    problems = []
    if "uCode" not in idata.columns:
        raise InputError("iData has no uCode column", ["missing column uCode"])
    if idata["uCode"].null_count():
        problems.append(f"uCode is missing in {idata['uCode'].null_count()} row(s)")
    if "Time" in idata.columns and idata["Time"].null_count():
        problems.append(f"Time is missing in {idata['Time'].null_count()} row(s)")
    keys = ["uCode", "Time"] if "Time" in idata.columns else ["uCode"]
    dup = idata.filter(pl.struct(keys).is_duplicated())["uCode"].unique().sort().to_list()
    if dup:
        problems.append(f"duplicate uCode{' per Time' if len(keys) > 1 else ''}: {dup}")
    for c in indicators:
        s = idata[c]
        if not s.dtype.is_numeric() and s.dtype != pl.Null:
            bad = s.cast(pl.Float64, strict=False).is_null() & s.is_not_null()
            if bad.any():
                problems.append(f"{c}: non-numeric values {s.filter(bad).unique().head(3).to_list()}")
    if problems:
        raise InputError(f"iData is invalid ({len(problems)} problem(s))", problems)
