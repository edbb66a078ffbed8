"""Score a COINr-format index: iData + iMeta -> imputed, treated, normalised, aggregated, ranked.

The steps and their defaults follow COINr (Impute -> Treat -> Normalise -> Aggregate): directions
are applied at normalisation only, weights are renormalised within each group, missing children
are skipped with their weights renormalised, and ranks are 1 = best with ties sharing the lowest
rank. Options are method specifications (`indicators.spec.parse_spec`); iMeta columns `Normalise`,
`Impute` (per indicator) and `Aggregate` (per aggregate, for its children) override them.

Notes
-----
If iData has a `Time` column with several values, each time point is aggregated and ranked on its
own (imputation over time uses all of them) and the outputs gain a `Time` column after `uCode`.
Treatment and normalisation run per time point too (`normalise_over="time"`, COINr's way), or over
all time points together (`"pooled"`), so that a score compares across years as `rating run`'s
`normalise_over = "pooled"` does. The data threshold counts only observed children: imputed cells
are not available.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from indicators.errors import FrameworkError, InputError, MethodError
from indicators.hierarchy import effective_weights
from indicators.spec import parse_spec
from rating.aggregate import aggregate as aggregate_values
from rating.imeta import Structure, check_idata, check_imeta, read_idata, read_imeta, read_table
from rating.impute import impute as impute_values
from rating.normalise import normalise as normalise_values
from rating.ranks import rank_series
from rating.treat import treat_matrix
from rating.weights import ahp, group_weights

__all__ = ["ScoreResult", "score_tables", "write_score_outputs", "read_idata", "read_imeta", "check_imeta",
           "indicator_params"]

DATA_WEIGHTS = ("equal", "entropy", "critic", "pca")


@dataclass(frozen=True)
class ScoreResult:
    """Outputs of `score_tables`; every table is keyed by `uCode` (and `Time` for panels)."""

    scores: pl.DataFrame  # uCode, one column per aggregate (levels > 1), rank of the top aggregate
    normalised: pl.DataFrame  # uCode, one column per indicator
    treated_points: pl.DataFrame  # iCode, uCode, flag, value, treated: every changed point
    treatment: pl.DataFrame  # per indicator: skew/kurtosis before and after, treatment applied
    imputed: pl.DataFrame  # uCode, iCode, value: every imputed cell
    weights: pl.DataFrame  # iCode, Parent, Level, weight (share in its group as used), method, ahp_cr
    effective_weights: pl.DataFrame  # iCode, Level, effective_weight (share of the index)
    structure: pl.DataFrame  # iCode, Parent, Level, Type
    settings: dict = field(default_factory=dict)


def _bool(v, default: bool) -> bool:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return default
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v)


def _float(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def indicator_params(name: str, params: tuple, row: dict, direction: int, units: list[str] | None = None) -> tuple:
    """Positional parameters for `rating.normalise.normalise` from a specification and an iMeta row.

    Goalposts, targets and fixed bounds are in raw units (from the specification or the iMeta
    columns `goalpost_*`, `Target`, `dist2targ_cap_max`) and are mapped onto the direction-adjusted
    scale as COINr's `use_iMeta` does; `dist2ref` takes a `uCode`.

    Examples
    --------
    >>> row = {"goalpost_lower": 20.0, "goalpost_upper": 85.0, "goalpost_scale": 1.0}
    >>> indicator_params("goalposts", (), row, -1)
    (-85.0, -20.0, 1.0, True)
    >>> indicator_params("dist2targ", (), {"Target": 5.0}, -1)
    (-5.0, False)
    >>> indicator_params("dist2ref", ("B",), {}, 1, ["A", "B"])
    (1, False)
    """
    if name == "goalposts":
        if params:
            lo, hi = _float(params[0]), _float(params[1]) if len(params) > 1 else None
            scale = _float(params[2]) if len(params) > 2 else 1.0
            trunc = _bool(params[3], True) if len(params) > 3 else True
        else:
            lo, hi = _float(row.get("goalpost_lower")), _float(row.get("goalpost_upper"))
            scale = _float(row.get("goalpost_scale"))
            scale = 1.0 if scale is None else scale
            trunc = _bool(row.get("goalpost_trunc2posts"), True)
        if lo is None or hi is None:
            raise MethodError("goalposts need goalpost_lower and goalpost_upper (iMeta) or goalposts:LOWER,UPPER")
        return (lo, hi, scale, trunc) if direction == 1 else (-hi, -lo, scale, trunc)
    if name == "dist2targ":
        targ = _float(params[0]) if params else _float(row.get("Target"))
        cap = _bool(params[1], False) if len(params) > 1 else _bool(row.get("dist2targ_cap_max"), False)
        if targ is None:
            raise MethodError("dist2targ needs a target (iMeta column Target or dist2targ:TARGET)")
        return targ * direction, cap
    if name == "scaled":
        lo, hi = (_float(params[0]), _float(params[1])) if len(params) > 1 else (0.0, 100.0)
        factor = _float(params[2]) if len(params) > 2 else 100.0
        return (lo, hi, factor) if direction == 1 else (-hi, -lo, factor)
    if name == "dist2ref":
        if not params:
            raise MethodError("dist2ref needs a reference unit: dist2ref:UCODE")
        ref = params[0]
        ref = str(int(ref)) if isinstance(ref, float) and ref.is_integer() else str(ref)
        if units is None or ref not in units:
            raise MethodError(f"dist2ref: reference unit {ref!r} is not a uCode of iData")
        return units.index(ref), _bool(params[1], False) if len(params) > 1 else False
    return tuple(params)


def _ahp_weights(spec_rest: str, st: Structure) -> tuple[dict, dict]:
    """Weights and consistency ratios per aggregate from an AHP comparison table `a,b,value`
    ("a is value times as important as b"); `FILE,force` accepts inconsistent matrices."""
    path, force = spec_rest, False
    if spec_rest.lower().endswith(",force"):
        path, force = spec_rest[: -len(",force")], True
    table = read_table(path.strip())
    if not {"a", "b", "value"} <= set(table.columns):
        raise FrameworkError(f"AHP table {path} needs columns a, b, value", [f"columns found: {table.columns}"])
    pairs, problems = {}, []
    for a, b, v in table.select("a", "b", "value").iter_rows():
        a, b = str(a), str(b)
        if a not in st.parent or b not in st.parent or st.parent[a] != st.parent[b] or st.parent[a] is None:
            problems.append(f"AHP pair ({a}, {b}): not two children of the same aggregate")
            continue
        pairs.setdefault(st.parent[a], {})[(a, b)] = float(v)
    weights, crs = {}, {}
    for agg, given in pairs.items():
        kids = st.children[agg]
        M = np.ones((len(kids), len(kids)))
        for i, a in enumerate(kids):
            for j, b in enumerate(kids[i + 1:], i + 1):
                v = given.get((a, b)) or (1.0 / given[(b, a)] if (b, a) in given else None)
                if v is None:
                    problems.append(f"AHP group {agg}: no comparison of {a} and {b}")
                    v = 1.0
                M[i, j], M[j, i] = v, 1.0 / v
        if not problems:
            try:
                r = ahp(M, force=force)
            except MethodError as e:
                problems.append(f"AHP group {agg}: {e}")
                continue
            weights[agg], crs[agg] = r.weights, r.cr
    if problems:
        raise FrameworkError(f"AHP comparisons in {path} are unusable", problems)
    return weights, crs


def _impute(X: np.ndarray, idata: pl.DataFrame, st: Structure, spec: str) -> tuple[np.ndarray, np.ndarray]:
    """Impute column groups sharing a specification (global, or iMeta `Impute` per indicator)."""
    per = [st.rows[c].get("Impute") or spec for c in st.indicators]
    out, flags = X.copy(), np.zeros(X.shape, bool)
    for s in sorted(set(per)):
        cols = [j for j, p in enumerate(per) if p == s]
        name, params = parse_spec(s)
        kw = {}
        if name.startswith("group-"):
            col = str(params[0]) if params else None
            if col is None or col not in idata.columns:
                raise InputError(f"imputation {s!r}: iData has no unit-group column {col!r}")
            kw["groups"] = idata[col].cast(pl.String).to_list()
        elif name in ("locf", "linear"):
            if "Time" not in idata.columns:
                raise InputError(f"imputation {s!r} needs a Time column in iData")
            kw.update(units=idata["uCode"].to_list(), times=idata["Time"].cast(pl.Float64).to_list())
        out[:, cols], flags[:, cols] = impute_values(X[:, cols], name, **kw)
    return out, flags


def _normalise_slice(X, observed, units, st: Structure, opts: dict):
    """Treat and normalise rows together (one time point, or all of them when pooled)."""
    tname, tparams = opts["treat"]
    Xt, points, details = treat_matrix(X, list(st.indicators), units, tname, tparams)
    values, avail, problems = {}, {}, []
    for j, c in enumerate(st.indicators):
        name, params = opts["normalise"][c]
        try:
            p = indicator_params(name, params, st.rows[c], st.direction[c], units)
        except MethodError as e:
            problems.append(f"{c}: {e}")
            continue
        values[c] = normalise_values(Xt[:, j], name, p, st.direction[c])
        avail[c] = observed[:, j] & ~np.isnan(values[c])
    if problems:
        raise FrameworkError("normalisation parameters are missing or wrong", problems)
    return Xt, values, avail, points, details


def _score_slice(X, observed, units, st: Structure, opts: dict, normalised: tuple | None = None):
    """Treat, normalise (unless `normalised` is given) and aggregate one time point; returns
    values per code and used weights."""
    Xt, values, avail, points, details = normalised or _normalise_slice(X, observed, units, st, opts)
    shares, methods, crs = {st.root: 1.0}, {st.root: opts["weights"]}, {}
    for agg in st.aggregates:
        kids = st.children[agg]
        M = np.column_stack([values[k] for k in kids])
        mode = opts["weights"]
        if mode in DATA_WEIGHTS:
            try:
                w = group_weights(M, mode)
            except MethodError as e:
                raise MethodError(f"{agg} (children {', '.join(kids)}): {e}") from None
        elif agg in opts["ahp"][0]:
            w, crs[agg] = opts["ahp"][0][agg], opts["ahp"][1][agg]
        else:
            w, mode = np.array([st.weight[k] for k in kids], float), "imeta"
        name, params = opts["aggregate"][agg]
        try:
            values[agg] = aggregate_values(M, w, name, params, data_threshold=opts["data_threshold"],
                                           available=np.column_stack([avail[k] for k in kids]))
        except MethodError as e:
            raise MethodError(f"aggregating {agg} (children {', '.join(kids)}): {e}") from None
        avail[agg] = ~np.isnan(values[agg])
        for k, v in zip(kids, w / w.sum()):
            shares[k], methods[k] = float(v), mode
    return Xt, values, points, details, shares, methods, crs


def _frame(keys: pl.DataFrame, columns: dict) -> pl.DataFrame:
    return keys.with_columns([pl.Series(c, v, dtype=pl.Float64).fill_nan(None) for c, v in columns.items()])


def score_tables(idata: pl.DataFrame, imeta: pl.DataFrame, *, normalise: str = "minmax:0,100",
                 aggregate: str = "arithmetic", treat: str = "none", impute: str = "none",
                 weights: str = "imeta", data_threshold: float | None = None,
                 normalise_over: str = "time") -> ScoreResult:
    """Score iData with the hierarchy, weights and directions of iMeta.

    Parameters
    ----------
    idata, imeta : polars.DataFrame
        COINr-format tables (see `rating.imeta`).
    normalise, aggregate : str
        Default method specifications, e.g. `"zscore:10,2"`, `"generalised:2"`.
    treat : str
        `"none"`, `"winsorise[:WINMAX,SKEW,KURT]"` (COINr default: winsorise, then `log_CT`) or
        `"boxcox:LAMBDA[,WINMAX]"`.
    impute : str
        `"none"`, `"mean"`, `"median"`, `"group-mean:COL"`, `"group-median:COL"`, `"locf"`, `"linear"`.
    weights : str
        `"imeta"`, `"equal"`, `"entropy"`, `"critic"`, `"pca"` or `"ahp:FILE[,force]"`.
    data_threshold : float, optional
        Minimum share of observed children; below it an aggregate is missing.
    normalise_over : str
        With several `Time` values: `"time"` treats and normalises each time point on its own
        (COINr), `"pooled"` all of them together.

    Returns
    -------
    ScoreResult

    Examples
    --------
    >>> imeta = pl.DataFrame({"iCode": ["a", "b", "Idx"], "Level": [1, 1, 2], "Parent": ["Idx", "Idx", None],
    ...     "Weight": [1.0, 1.0, 1.0], "Direction": [1, -1, 1], "Type": ["Indicator", "Indicator", "Aggregate"]})
    >>> idata = pl.DataFrame({"uCode": ["X", "Y", "Z"], "a": [1.0, 2.0, 3.0], "b": [30.0, 20.0, None]})
    >>> score_tables(idata, imeta).scores.rows()
    [('X', 0.0, 3), ('Y', 75.0, 2), ('Z', 100.0, 1)]
    """
    if data_threshold is not None and not 0 <= float(data_threshold) <= 1:
        raise MethodError(f"data threshold must be a share between 0 and 1, got {data_threshold!r}")
    st = check_imeta(imeta, idata.columns)
    check_idata(idata, st.indicators)
    norm_default, agg_default = parse_spec(normalise), parse_spec(aggregate)
    opts = {
        "treat": parse_spec(treat),
        "normalise": {c: parse_spec(st.rows[c]["Normalise"]) if st.rows[c].get("Normalise") else norm_default
                      for c in st.indicators},
        "aggregate": {a: parse_spec(st.rows[a]["Aggregate"]) if st.rows[a].get("Aggregate") else agg_default
                      for a in st.aggregates},
        "data_threshold": data_threshold,
        "ahp": ({}, {}),
    }
    wname, _, wrest = weights.strip().partition(":")
    if wname == "ahp":
        opts["ahp"], opts["weights"] = _ahp_weights(wrest, st), "ahp"
    elif wname in ("imeta",) + DATA_WEIGHTS:
        opts["weights"] = wname
    else:
        raise MethodError(f"unknown weights {weights!r}; expected imeta, equal, entropy, critic, pca or ahp:FILE")
    X = idata.select([pl.col(c).cast(pl.Float64, strict=False) for c in st.indicators]).to_numpy().astype(float)
    observed = ~np.isnan(X)
    Xi, imputed = _impute(X, idata, st, impute)
    if normalise_over not in ("time", "pooled"):
        raise MethodError(f"normalise over {normalise_over!r}: expected time or pooled")
    panel = "Time" in idata.columns and idata["Time"].n_unique() > 1
    pooled = panel and normalise_over == "pooled"
    if pooled:  # rows stand for units in treatment and normalisation; the labels map back below
        if any(name == "dist2ref" for name, _ in opts["normalise"].values()):
            raise MethodError("dist2ref normalises against a unit in each time point: use normalise over time")
        whole = _normalise_slice(Xi, observed, [str(i) for i in range(idata.height)], st, opts)
    keys_all = idata.select(["uCode", "Time"] if panel else ["uCode"])
    slices = ([np.flatnonzero((idata["Time"] == t).to_numpy()) for t in idata["Time"].unique().sort()]
              if panel else [np.arange(idata.height)])
    parts: dict[str, list] = {k: [] for k in ("scores", "norm", "points", "details", "weights", "eff")}
    struct = st.frame()
    for rows in slices:
        keys = keys_all[rows]
        units = keys["uCode"].to_list()
        given = None
        if pooled:
            Xt, norm, avail, points, details = whole
            label = {str(i): u for i, u in zip(rows, units)}
            points = points.filter(pl.col("uCode").is_in(list(label))).with_columns(pl.col("uCode").replace_strict(label))
            given = (Xt[rows], {c: v[rows] for c, v in norm.items()}, {c: a[rows] for c, a in avail.items()}, points, details)
        _, values, points, details, shares, methods, crs = _score_slice(Xi[rows], observed[rows], units, st, opts, given)
        parts["scores"].append(_frame(keys, {a: values[a] for a in st.aggregates})
                               .with_columns(rank_series(values[st.root])))
        parts["norm"].append(_frame(keys, {c: values[c] for c in st.indicators}))
        tkey = keys[:1].drop("uCode") if panel else None
        if panel:
            points = points.join(keys, on="uCode").select("iCode", "uCode", "Time", "flag", "value", "treated")
            details = details.with_columns(pl.lit(tkey["Time"][0]).alias("Time"))
        parts["points"].append(points)
        parts["details"].append(details)
        codes = struct["iCode"].to_list()
        w = struct.with_columns(
            pl.Series("weight_imeta", [st.weight[c] for c in codes], dtype=pl.Float64),
            pl.Series("weight", [shares[c] for c in codes], dtype=pl.Float64),
            pl.Series("method", [methods[c] for c in codes], dtype=pl.String),
            pl.Series("ahp_cr", [crs.get(st.parent[c]) for c in codes], dtype=pl.Float64),
        ).drop("Type")
        eff = struct.select("iCode", "Level").with_columns(pl.Series(
            "effective_weight", effective_weights(codes, [st.parent[c] for c in codes], [shares[c] for c in codes])))
        if panel:
            w, eff = (f.with_columns(pl.lit(tkey["Time"][0]).alias("Time")) for f in (w, eff))
        parts["weights"].append(w)
        parts["eff"].append(eff)
    key_cols = keys_all.columns
    imp_rows = [(i, j) for i, j in zip(*np.nonzero(imputed))]
    imp = keys_all[[i for i, _ in imp_rows]].with_columns(
        pl.Series("iCode", [st.indicators[j] for _, j in imp_rows], dtype=pl.String),
        pl.Series("value", [float(Xi[i, j]) for i, j in imp_rows], dtype=pl.Float64))
    order = lambda f: f.select(key_cols + [c for c in f.columns if c not in key_cols])  # noqa: E731
    return ScoreResult(
        scores=order(pl.concat(parts["scores"])),
        normalised=order(pl.concat(parts["norm"])),
        treated_points=pl.concat(parts["points"]),
        treatment=pl.concat(parts["details"], how="diagonal_relaxed"),
        imputed=imp,
        weights=pl.concat(parts["weights"]),
        effective_weights=pl.concat(parts["eff"]),
        structure=struct,
        settings={"normalise": normalise, "aggregate": aggregate, "treat": treat, "impute": impute,
                  "weights": weights, "data_threshold": data_threshold, "normalise_over": normalise_over},
    )


def write_score_outputs(result: ScoreResult, out_dir: str | Path) -> list[Path]:
    """Write `scores.csv` (plus `normalised.csv`, `weights.csv`, `effective_weights.csv`,
    `treated_points.csv`, `treatment.csv`, `imputed.csv`) into `out_dir`; floats at full precision,
    missing values as empty cells. Returns the written paths.

    Examples
    --------
    >>> import tempfile
    >>> imeta = pl.DataFrame({"iCode": ["a", "Idx"], "Level": [1, 2], "Parent": ["Idx", None],
    ...     "Weight": [1.0, 1.0], "Direction": [1, 1], "Type": ["Indicator", "Aggregate"]})
    >>> r = score_tables(pl.DataFrame({"uCode": ["X", "Y"], "a": [1.0, 3.0]}), imeta)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     written = [p.name for p in write_score_outputs(r, out)]
    ...     text = (Path(out) / "scores.csv").read_text()
    >>> written[0]
    'scores.csv'
    >>> text
    'uCode,Idx,rank\\nX,0.0,2\\nY,100.0,1\\n'
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"scores": result.scores, "normalised": result.normalised, "weights": result.weights,
              "effective_weights": result.effective_weights, "treated_points": result.treated_points,
              "treatment": result.treatment, "imputed": result.imputed}
    paths = []
    for name, df in tables.items():
        p = out / f"{name}.csv"
        df.write_csv(p)
        paths.append(p)
    return paths
