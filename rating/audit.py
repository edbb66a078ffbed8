"""Statistical audit of a scored index: correlations within and between levels, Cronbach's alpha
and PCA explained variance per aggregation group, and flags for indicators negatively correlated
with their group or collinear with a sibling (COINr's `get_corr`, `get_cronbach`, `get_PCA`,
`get_corr_flags`).

Every function takes `values`, a wide frame with one column per element (normalised indicators
and aggregate scores; other columns such as `uCode` are ignored), and `structure` with `iCode`,
`Parent`, `Level` (e.g. `ScoreResult.structure`), and returns a polars frame.

Notes
-----
Correlations use pairwise-complete units (`n` reports how many); Cronbach's alpha and PCA use the
units complete on the whole group (listwise). Undefined statistics (fewer than 3 units, no spread)
are null.
"""
from __future__ import annotations

import numpy as np
import polars as pl


def _corr(a: np.ndarray, b: np.ndarray) -> tuple[float | None, int]:
    ok = ~np.isnan(a) & ~np.isnan(b)
    n = int(ok.sum())
    if n < 3:
        return None, n
    x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = np.sqrt((x ** 2).sum() * (y ** 2).sum())
    return (float((x * y).sum() / den) if den > 0 else None), n


def _average_ranks(v: np.ndarray) -> np.ndarray:
    out = np.full(v.shape, np.nan)
    ok = ~np.isnan(v)
    s = np.sort(v[ok])
    lo = np.searchsorted(s, v[ok], side="left")
    hi = np.searchsorted(s, v[ok], side="right")
    out[ok] = (lo + hi + 1) / 2
    return out


def _elements(values: pl.DataFrame, structure: pl.DataFrame) -> tuple[list[str], dict, dict, dict]:
    rows = [r for r in structure.iter_rows(named=True) if r["iCode"] in values.columns]
    codes = [r["iCode"] for r in rows]
    cols = {c: values[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in codes}
    return codes, {r["iCode"]: r["Parent"] for r in rows}, {r["iCode"]: int(r["Level"]) for r in rows}, cols


def _ancestors(code: str, parent: dict) -> list[str]:
    out = []
    while parent.get(code):
        code = parent[code]
        out.append(code)
    return out


def correlations(values: pl.DataFrame, structure: pl.DataFrame, method: str = "pearson") -> pl.DataFrame:
    """Correlations of every pair of elements on the same level and of every element with every
    element of a higher level; `relation` is `same_group`, `same_level`, `parent`, `ancestor` or
    `other`. `method` is `pearson` or `spearman`.

    Examples
    --------
    >>> s = pl.DataFrame({"iCode": ["a", "b", "P"], "Parent": ["P", "P", None], "Level": [1, 1, 2]})
    >>> v = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0], "P": [1.5, 1.5, 3.5, 3.5]})
    >>> correlations(v, s).select("a", "b", "relation", pl.col("r").round(4)).rows()
    [('a', 'b', 'same_group', 0.6), ('a', 'P', 'parent', 0.8944), ('b', 'P', 'parent', 0.8944)]
    """
    codes, parent, level, cols = _elements(values, structure)
    if method == "spearman":
        cols = {c: _average_ranks(v) for c, v in cols.items()}
    elif method != "pearson":
        raise ValueError(f"correlation method {method!r}: expected pearson or spearman")
    out = []
    for i, a in enumerate(codes):
        anc = _ancestors(a, parent)
        for b in codes[i + 1:] + codes[:i]:
            if level[b] < level[a] or (level[b] == level[a] and codes.index(b) < i):
                continue
            if level[b] == level[a]:
                rel = "same_group" if parent[a] == parent[b] else "same_level"
            else:
                rel = "parent" if b == parent[a] else "ancestor" if b in anc else "other"
            r, n = _corr(cols[a], cols[b])
            out.append((a, b, level[a], level[b], rel, r, n))
    return pl.DataFrame(out, orient="row", schema={"a": pl.String, "b": pl.String, "level_a": pl.Int64,
                        "level_b": pl.Int64, "relation": pl.String, "r": pl.Float64, "n": pl.Int64})


def _groups(codes: list[str], parent: dict) -> dict[str, list[str]]:
    g: dict[str, list[str]] = {}
    for c in codes:
        if parent[c]:
            g.setdefault(parent[c], []).append(c)
    return g


def cronbach(values: pl.DataFrame, structure: pl.DataFrame) -> pl.DataFrame:
    """Cronbach's alpha of each group's children: `k/(k-1) * (1 - sum var_i / var(sum))`.

    Examples
    --------
    >>> s = pl.DataFrame({"iCode": ["a", "b", "P"], "Parent": ["P", "P", None], "Level": [1, 1, 2]})
    >>> v = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    >>> cronbach(v, s).with_columns(pl.col("alpha").round(4)).rows()
    [('P', 2, 2, 4, 0.75)]
    """
    codes, parent, level, cols = _elements(values, structure)
    out = []
    for g, kids in _groups(codes, parent).items():
        M = np.column_stack([cols[k] for k in kids])
        M = M[~np.isnan(M).any(axis=1)]
        k, n = len(kids), M.shape[0]
        alpha = None
        if k > 1 and n > 2:
            tot = M.sum(axis=1).var(ddof=1)
            if tot > 0:
                alpha = float(k / (k - 1) * (1 - M.var(axis=0, ddof=1).sum() / tot))
        out.append((g, level[kids[0]] + 1, k, n, alpha))
    return pl.DataFrame(out, orient="row", schema={"group": pl.String, "level": pl.Int64, "k": pl.Int64,
                                                   "n": pl.Int64, "alpha": pl.Float64})


def pca_variance(values: pl.DataFrame, structure: pl.DataFrame) -> pl.DataFrame:
    """Eigenvalues of each group's correlation matrix and their shares of the variance.

    Examples
    --------
    >>> s = pl.DataFrame({"iCode": ["a", "b", "P"], "Parent": ["P", "P", None], "Level": [1, 1, 2]})
    >>> v = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0]})
    >>> pca_variance(v, s).select("component", pl.col("share").round(4)).rows()
    [(1, 0.8), (2, 0.2)]
    """
    codes, parent, level, cols = _elements(values, structure)
    out = []
    for g, kids in _groups(codes, parent).items():
        M = np.column_stack([cols[k] for k in kids])
        M = M[~np.isnan(M).any(axis=1)]
        sd = M.std(axis=0, ddof=1) if M.shape[0] > 2 else np.zeros(len(kids))
        if len(kids) < 2 or (sd == 0).any():
            continue
        ev = np.sort(np.linalg.eigvalsh(np.corrcoef(M, rowvar=False)))[::-1].clip(0)
        share = ev / ev.sum()
        for i, (e, s) in enumerate(zip(ev, share), 1):
            out.append((g, level[kids[0]] + 1, i, float(e), float(s), float(share[:i].sum()), M.shape[0]))
    return pl.DataFrame(out, orient="row", schema={"group": pl.String, "level": pl.Int64, "component": pl.Int64,
                        "eigenvalue": pl.Float64, "share": pl.Float64, "cumulative": pl.Float64, "n": pl.Int64})


def correlation_flags(values: pl.DataFrame, structure: pl.DataFrame, collinear: float = 0.9,
                      negative: float = -0.4, with_parent: float = 0.0) -> pl.DataFrame:
    """Flags: `negative_with_parent` (an element correlates below `with_parent` with its own
    aggregate), `collinear` (two siblings above `collinear`), `negative_pair` (two siblings below
    `negative`).

    Examples
    --------
    >>> s = pl.DataFrame({"iCode": ["a", "b", "c", "P"], "Parent": ["P"] * 3 + [None], "Level": [1, 1, 1, 2]})
    >>> v = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.1, 2.0, 3.1, 4.0], "c": [4.0, 3.0, 2.0, 1.0],
    ...                   "P": [2.0, 2.3, 2.7, 3.0]})
    >>> correlation_flags(v, s).select("flag", "a", "b").rows()
    [('negative_with_parent', 'c', 'P'), ('collinear', 'a', 'b'), ('negative_pair', 'a', 'c'), ('negative_pair', 'b', 'c')]
    """
    c = correlations(values, structure)
    parent_rows = c.filter((pl.col("relation") == "parent") & (pl.col("r") < with_parent))
    sib = c.filter(pl.col("relation") == "same_group")
    parts = [
        parent_rows.with_columns(pl.lit("negative_with_parent").alias("flag"), pl.col("b").alias("group")),
        sib.filter(pl.col("r") > collinear).with_columns(pl.lit("collinear").alias("flag")),
        sib.filter(pl.col("r") < negative).with_columns(pl.lit("negative_pair").alias("flag")),
    ]
    par = dict(zip(structure["iCode"].to_list(), structure["Parent"].to_list()))
    parts[1:] = [p.with_columns(pl.col("a").replace_strict(par, default=None).alias("group")) for p in parts[1:]]
    return pl.concat([p.select("flag", "group", "a", "b", "r", "n") for p in parts])


def audit_tables(values: pl.DataFrame, structure: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """All audit tables by name: `correlations`, `cronbach`, `pca_variance`, `correlation_flags`.

    Examples
    --------
    >>> s = pl.DataFrame({"iCode": ["a", "b", "P"], "Parent": ["P", "P", None], "Level": [1, 1, 2]})
    >>> v = pl.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 1.0, 4.0, 3.0], "P": [1.5, 1.5, 3.5, 3.5]})
    >>> sorted(audit_tables(v, s))
    ['correlation_flags', 'correlations', 'cronbach', 'pca_variance']
    """
    return {"correlations": correlations(values, structure), "cronbach": cronbach(values, structure),
            "pca_variance": pca_variance(values, structure),
            "correlation_flags": correlation_flags(values, structure)}
