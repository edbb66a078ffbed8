"""Score a framework: indicator values -> normalised values -> aggregates through the hierarchy.

Works on one wide matrix (rows = unit-years, columns = nodes of the framework): normalisation
per indicator within each peer group (pooled over years, or per year, as the framework says),
then aggregation bottom-up, deepest aggregates first. Children that do not apply to a unit
(e.g. debt indicators for a department) are left out of its scores; missing children of an
applicable node are left out with their weights renormalised, unless the available share of
the applicable weight falls below the framework's data threshold.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from indicators.errors import MethodError
from indicators.framework import Framework, Node
from indicators.spec import parse_spec
from rating.aggregate import aggregate
from rating.impute import impute
from rating.normalise import normalise
from rating.treat import treat_matrix


@dataclass(frozen=True)
class Scored:
    """The scored matrix: `keys` (unit_id, year, kind, level) aligned with `values` columns `codes`."""

    keys: pl.DataFrame
    codes: tuple[str, ...]
    raw: np.ndarray  # rows x indicators: the computed values (NaN = missing), before imputation and treatment
    normalised: np.ndarray  # rows x indicators
    applicable: np.ndarray  # rows x all nodes, bool
    aggregates: np.ndarray  # rows x aggregates (index first)
    aggregate_codes: tuple[str, ...]
    imputed: np.ndarray | None = None  # rows x indicators: cells filled by imputation
    treated: pl.DataFrame | None = None  # one row per value changed by outlier treatment


def wide_indicators(indicators: pl.DataFrame, units: pl.DataFrame, framework: Framework) -> tuple[pl.DataFrame, np.ndarray]:
    """Unit-year rows with one column per index indicator (NaN = missing or not applicable)."""
    codes = [n.code for n in framework.indicators]
    long = indicators.filter(pl.col("indicator").is_in(codes))
    keys = (long.select("unit_id", "year").unique()
            .join(units.select("unit_id", "kind", "level"), on="unit_id", how="left")
            .sort("unit_id", "year"))
    wide = long.pivot(on="indicator", index=["unit_id", "year"], values="value")
    wide = keys.join(wide, on=["unit_id", "year"], how="left")
    for c in codes:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    X = wide.select(codes).to_numpy().astype(float)
    return keys, X


def node_applicable(framework: Framework, keys: pl.DataFrame) -> dict[str, np.ndarray]:
    """For every node, which rows it applies to: an indicator by its kinds/levels, an aggregate
    when any child applies."""
    kind, level = keys["kind"].to_numpy(), keys["level"].to_numpy()
    out: dict[str, np.ndarray] = {}
    for n in reversed(framework.nodes):
        if n.is_indicator:
            out[n.code] = np.isin(kind, n.kinds) & np.isin(level, n.levels)
        else:
            kids = [out[c.code] for c in framework.children(n.code)]
            out[n.code] = np.logical_or.reduce(kids) if kids else np.zeros(len(keys), bool)
    return out


def peer_groups(keys: pl.DataFrame, framework: Framework) -> np.ndarray:
    """The group each row is normalised (and imputed and treated) within: its kind, and its
    year when the framework normalises per year."""
    m = framework.methods
    groups = [keys["kind"]] if m["peer_group"] == "kind" else [pl.Series([""] * len(keys))]
    if m["normalise_over"] == "year":
        groups.append(keys["year"].cast(pl.String))
    return pl.DataFrame(groups).select(pl.concat_str(pl.all(), separator="|").alias("g"))["g"].to_numpy()


def impute_and_treat(X: np.ndarray, keys: pl.DataFrame, units: pl.DataFrame, framework: Framework,
                     applicable: np.ndarray) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    """The framework's imputation then outlier treatment, within peer groups, on raw values of
    applicable cells only. Returns the matrix, the imputed-cell mask and the treated points."""
    m = framework.methods
    imethod, iparams = parse_spec(m["impute"])
    tmethod, tparams = parse_spec(m["treat"])
    imputed = np.zeros(X.shape, bool)
    if imethod == "none" and tmethod == "none":
        return X, imputed, pl.DataFrame()
    X = np.where(applicable, X, np.nan)
    gid = peer_groups(keys, framework)
    group_col = None
    if imethod.startswith("group-"):
        col = str(iparams[0]) if iparams else ""
        if col not in units.columns:
            raise MethodError(f"imputation {m['impute']!r}: units has no column {col!r}; e.g. group-mean:region_id")
        group_col = keys.join(units.select("unit_id", pl.col(col).alias("_g")), on="unit_id", how="left")["_g"].to_numpy()
    points = []
    ids = (keys["unit_id"] + "|" + keys["year"].cast(pl.String)).to_list()
    codes = [n.code for n in framework.indicators]
    for g in np.unique(gid):
        rows = gid == g
        if imethod != "none":
            X[rows], imputed[rows] = impute(X[rows], imethod, groups=None if group_col is None else group_col[rows])
        if tmethod != "none":
            X[rows], pts, _ = treat_matrix(X[rows], codes, [u for u, r in zip(ids, rows) if r], tmethod, tparams)
            points.append(pts)
    return X, imputed & applicable, pl.concat(points) if points else pl.DataFrame()


def normalise_matrix(X: np.ndarray, keys: pl.DataFrame, framework: Framework) -> np.ndarray:
    """Normalise each indicator column within its peer groups (and per year if asked)."""
    gid = peer_groups(keys, framework)
    N = np.full_like(X, np.nan)
    for j, n in enumerate(framework.indicators):
        method, params = framework.normalisation_of(n)
        for g in np.unique(gid):
            rows = gid == g
            N[rows, j] = normalise(X[rows, j], method, params, n.direction)
    return N


def aggregate_tree(framework: Framework, values: dict[str, np.ndarray], applicable: dict[str, np.ndarray],
                   weights: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Aggregate bottom-up; `values` holds every indicator's normalised column and is extended
    with every aggregate's scores. `weights` overrides node weights (uncertainty analysis)."""
    m = framework.methods
    threshold = float(m.get("data_threshold") or 0.0)
    out = dict(values)
    for node in sorted(framework.aggregates, key=lambda a: -framework.depth(a.code)):
        kids = framework.children(node.code)
        X = np.column_stack([out[k.code] for k in kids])
        app = np.column_stack([applicable[k.code] for k in kids])
        X = np.where(app, X, np.nan)
        w = np.array([(weights or {}).get(k.code, k.weight) for k in kids], dtype=float)
        method, params = framework.aggregation_of(node)
        score = np.full(X.shape[0], np.nan)
        rows = applicable[node.code] & (~np.isnan(X)).any(axis=1)
        if rows.any():
            score[rows] = aggregate(X[rows], w, method, params)
        app_w = (app * w).sum(axis=1)
        avail_w = ((~np.isnan(X)) * w).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(app_w > 0, avail_w / app_w, 0.0)
        score[share < threshold] = np.nan
        out[node.code] = score
    return out


def score(indicators: pl.DataFrame, units: pl.DataFrame, framework: Framework) -> Scored:
    """Normalise and aggregate every unit-year; returns the scored matrix."""
    keys, X = wide_indicators(indicators, units, framework)
    app = node_applicable(framework, keys)
    ind_app = np.column_stack([app[n.code] for n in framework.indicators])
    prepared, imputed, treated = impute_and_treat(X.copy(), keys, units, framework, ind_app)
    N = normalise_matrix(prepared, keys, framework)
    ind = framework.indicators
    values = {n.code: np.where(app[n.code], N[:, j], np.nan) for j, n in enumerate(ind)}
    tree = aggregate_tree(framework, values, app)
    agg_codes = tuple(a.code for a in framework.aggregates)
    return Scored(
        keys=keys, codes=tuple(n.code for n in ind), raw=X, normalised=N, imputed=imputed, treated=treated,
        applicable=np.column_stack([app[n.code] for n in framework.nodes]),
        aggregates=np.column_stack([tree[c] for c in agg_codes]), aggregate_codes=agg_codes,
    )


def indicator_table(scored: Scored) -> pl.DataFrame:
    """The long `indicators.csv` table: unit_id, year, indicator, value, normalised."""
    k = scored.keys.select("unit_id", "year")
    parts = []
    for j, code in enumerate(scored.codes):
        parts.append(k.with_columns(
            pl.lit(code).alias("indicator"),
            pl.Series("value", scored.raw[:, j]).fill_nan(None),
            pl.Series("normalised", scored.normalised[:, j]).fill_nan(None),
            pl.Series("imputed", scored.imputed[:, j] if scored.imputed is not None else np.zeros(len(k), bool)),
        ))
    return pl.concat(parts).sort("unit_id", "year", "indicator")
