"""Score a framework: indicator values -> normalised values -> aggregates through the hierarchy.

Works on one wide matrix (rows = unit-years, columns = nodes of the framework): empirical-Bayes
estimates of shares and counts per exposure from their numerators and denominators
(rating.shrink, priors per peer group and year), then imputation, treatment and normalisation
per indicator within each peer group (per year, or pooled over years, as the framework says),
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
from rating.shrink import experience, prior_strength, shrink
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
    estimate: np.ndarray | None = None  # rows x indicators: empirical-Bayes estimates (= raw where not shrunk)
    thin: np.ndarray | None = None  # rows x indicators: evidence below the indicator's minimum count

    @property
    def inputs(self) -> np.ndarray:
        """The values that enter imputation, treatment and normalisation: the estimates."""
        return self.raw if self.estimate is None else self.estimate


def wide_indicators(indicators: pl.DataFrame, units: pl.DataFrame, framework: Framework,
                    column: str = "value") -> tuple[pl.DataFrame, np.ndarray]:
    """Unit-year rows with one column per index indicator (NaN = missing or not applicable),
    holding `column` of the long frame (value, numerator or denominator)."""
    codes = [n.code for n in framework.indicators]
    long = indicators.filter(pl.col("indicator").is_in(codes))
    keys = (long.select("unit_id", "year").unique()
            .join(units.select("unit_id", "kind", "level"), on="unit_id", how="left")
            .sort("unit_id", "year"))
    if column not in long.columns:
        return keys, np.full((keys.height, len(codes)), np.nan)
    wide = long.pivot(on="indicator", index=["unit_id", "year"], values=column)
    wide = keys.join(wide, on=["unit_id", "year"], how="left")
    for c in codes:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(c))
    X = wide.select([pl.col(c).cast(pl.Float64) for c in codes]).to_numpy().astype(float)
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


def peer_group_columns(framework: Framework, per_year: bool | None = None) -> list[str]:
    """The key columns whose values form a peer group: kind and level (`kind-level`, the
    default), kind, or none (`all`/`none`), plus the year when the framework normalises per year
    (or when `per_year` says so)."""
    m = framework.methods
    cols = {"kind-level": ["kind", "level"], "kind": ["kind"]}.get(m["peer_group"], [])
    if (m["normalise_over"] == "year") if per_year is None else per_year:
        cols.append("year")
    return cols


#: A kind-and-level group with fewer units than this in a year (the province is alone at its level)
#: joins the group of the same kind at the nearest level: a z-score or min-max needs peers.
MIN_PEERS = 3
#: Levels from the top, for finding the nearest one.
LEVEL_ORDER = ("province", "city", "county", "township")


def peer_levels(keys: pl.DataFrame) -> pl.Series:
    """Each row's level as its peer group sees it: its own, or, where fewer than MIN_PEERS units of
    its kind share it in the year, the nearest level of the same kind that has enough of them."""
    level = keys["level"].cast(pl.String).fill_null("")
    sizes = (keys.select("kind", level.alias("level"), "year").group_by("kind", "level", "year").len())
    small = sizes.filter(pl.col("len") < MIN_PEERS)
    if small.is_empty():
        return level
    rank = {lv: i for i, lv in enumerate(LEVEL_ORDER)}
    big = sizes.filter(pl.col("len") >= MIN_PEERS)
    moves = []
    for kind, lv, year, _ in small.iter_rows():  # a handful of groups, not rows
        options = big.filter((pl.col("kind") == kind) & (pl.col("year") == year))["level"].to_list()
        if options:
            here = rank.get(lv, len(LEVEL_ORDER))
            to = min(options, key=lambda o: (abs(rank.get(o, len(LEVEL_ORDER)) - here), rank.get(o, 99), o))
            moves.append((kind, lv, year, to))
    if not moves:
        return level
    m = pl.DataFrame(moves, schema={"kind": pl.String, "level": pl.String, "year": keys["year"].dtype,
                                    "to": pl.String}, orient="row")
    joined = keys.select(pl.col("kind").cast(pl.String), level.alias("level"), "year").join(
        m, on=["kind", "level", "year"], how="left", maintain_order="left")
    return joined.select(pl.coalesce("to", "level"))["to"].rename("level")


def peer_groups(keys: pl.DataFrame, framework: Framework, per_year: bool | None = None) -> np.ndarray:
    """The group each row is estimated, imputed, treated and normalised within, one label per row."""
    cols = peer_group_columns(framework, per_year)
    if not cols:
        return np.full(len(keys), "", dtype=object)
    frame = keys.select(*(c for c in cols if c != "level"))
    if "level" in cols:
        frame = frame.with_columns(peer_levels(keys).alias("level"))
    return frame.select(pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in cols], separator="|")
                        .alias("g"))["g"].to_numpy()


def group_codes(labels: np.ndarray) -> np.ndarray:
    """Integer codes 0..k-1 of group labels (sorted order), as rating.shrink takes them."""
    return np.unique(labels, return_inverse=True)[1].astype(np.int64).reshape(-1)


def estimates(X: np.ndarray, num: np.ndarray, den: np.ndarray, keys: pl.DataFrame, framework: Framework,
              applicable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes estimates of every shrunk indicator (rating.shrink), prior per peer group
    and year whatever `normalise_over` says (a prior pooled over years would move published
    years), and the thin-evidence mask. Only values the framework computed are estimated: a value
    missing for a small denominator stays missing. Evidence is the denominator of a share and the
    expected count (prior rate x exposure) of a count per exposure, of the year's own records. With
    the framework's `experience_years` above 1 the estimate rests on the unit's earlier years too
    (rating.shrink.experience)."""
    est = X.copy()
    pnum, pden = experience(num, den, keys, framework)
    thin = np.zeros(X.shape, bool)
    groups = group_codes(peer_groups(keys, framework, per_year=True))
    default_min = float(framework.methods.get("min_count") or 0.0)
    for j, n in enumerate(framework.indicators):
        d = n.definition
        if d is None:
            continue
        family = d.shrink_family
        ok = applicable[:, j] & ~np.isnan(X[:, j])
        g = np.where(ok, groups, -1)
        least = default_min if d.min_count is None else float(d.min_count)
        if family == "none":
            if least > 0 and d.measure == "share":
                thin[:, j] = ok & (den[:, j] < least)
            continue
        scale = float(d.scale or 1.0)
        e = shrink(pnum[:, j], pden[:, j], g, family) * scale
        est[:, j] = np.where(ok & ~np.isnan(e), e, X[:, j])
        if least > 0:
            if family == "beta-binomial":
                evidence = den[:, j]
            else:
                m, _ = prior_strength(pnum[:, j], pden[:, j], g, family)
                evidence = m * den[:, j]
            thin[:, j] = ok & (evidence < least)
    return est, thin


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
    """Estimate, normalise and aggregate every unit-year; returns the scored matrix."""
    keys, X = wide_indicators(indicators, units, framework)
    app = node_applicable(framework, keys)
    ind_app = np.column_stack([app[n.code] for n in framework.indicators])
    _, num = wide_indicators(indicators, units, framework, "numerator")
    _, den = wide_indicators(indicators, units, framework, "denominator")
    est, thin = estimates(X, num, den, keys, framework, ind_app)
    prepared, imputed, treated = impute_and_treat(est.copy(), keys, units, framework, ind_app)
    N = normalise_matrix(prepared, keys, framework)
    ind = framework.indicators
    values = {n.code: np.where(app[n.code], N[:, j], np.nan) for j, n in enumerate(ind)}
    tree = aggregate_tree(framework, values, app)
    agg_codes = tuple(a.code for a in framework.aggregates)
    return Scored(
        keys=keys, codes=tuple(n.code for n in ind), raw=X, normalised=N, imputed=imputed, treated=treated,
        estimate=est, thin=thin,
        applicable=np.column_stack([app[n.code] for n in framework.nodes]),
        aggregates=np.column_stack([tree[c] for c in agg_codes]), aggregate_codes=agg_codes,
    )


def indicator_table(scored: Scored) -> pl.DataFrame:
    """The long `indicators.csv` table: unit_id, year, indicator, value (as computed), normalised,
    imputed, estimate (the empirical-Bayes estimate that was normalised) and thin (evidence below
    the minimum count)."""
    k = scored.keys.select("unit_id", "year")
    parts = []
    for j, code in enumerate(scored.codes):
        parts.append(k.with_columns(
            pl.lit(code).alias("indicator"),
            pl.Series("value", scored.raw[:, j]).fill_nan(None),
            pl.Series("normalised", scored.normalised[:, j]).fill_nan(None),
            pl.Series("imputed", scored.imputed[:, j] if scored.imputed is not None else np.zeros(len(k), bool)),
            pl.Series("estimate", scored.inputs[:, j]).fill_nan(None),
            pl.Series("thin", scored.thin[:, j] if scored.thin is not None else np.zeros(len(k), bool)),
        ))
    return pl.concat(parts).sort("unit_id", "year", "indicator")
