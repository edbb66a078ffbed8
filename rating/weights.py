"""Weights of the children of one aggregation group (effective weights through the hierarchy:
`indicators.hierarchy`).

Explicit weights come from iMeta; `equal`; `ahp` from a pairwise-comparison matrix (with the
consistency ratio, refused above 0.1 unless forced); and three data-driven methods over the
children's (normalised) values: `entropy`, `critic` and `pca` (first-component loadings, as
COINr's `get_PCA`). Every function returns weights summing to 1.

Notes
-----
Data-driven methods ignore missing values as documented per function; a group with one child
gets weight 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indicators.errors import MethodError

#: Saaty's random consistency index by matrix size (1-15).
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)


def equal(n: int) -> np.ndarray:
    """`n` equal weights.

    Examples
    --------
    >>> equal(4)
    array([0.25, 0.25, 0.25, 0.25])
    """
    return np.full(int(n), 1.0 / int(n))


@dataclass(frozen=True)
class AHP:
    """Result of `ahp`: weights (principal eigenvector), lambda max, consistency index and ratio."""

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float


def ahp(M: np.ndarray, force: bool = False, max_cr: float = 0.1) -> AHP:
    """Weights from a reciprocal pairwise-comparison matrix (`M[i, j]` = how many times more
    important i is than j), by the principal eigenvector; `CR = CI / RI`, `CI = (lambda - n)/(n - 1)`.

    Raises `MethodError` when `CR > max_cr` unless `force`.

    Examples
    --------
    >>> r = ahp(np.array([[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]]))
    >>> r.weights.round(3), round(r.cr, 3)
    (array([0.637, 0.258, 0.105]), 0.033)
    """
    M = np.asarray(M, float)
    n = M.shape[0]
    if M.ndim != 2 or M.shape[1] != n or n == 0:
        raise MethodError(f"AHP needs a square pairwise-comparison matrix, got shape {M.shape}")
    if not np.isfinite(M).all() or (M <= 0).any():
        raise MethodError("AHP comparisons must be positive numbers")
    if not np.allclose(M * M.T, 1.0, rtol=1e-6, atol=1e-9):
        raise MethodError("AHP matrix is not reciprocal: M[i, j] * M[j, i] must be 1")
    vals, vecs = np.linalg.eig(M)
    k = int(np.argmax(vals.real))
    v = np.abs(vecs[:, k].real)
    lam = float(vals[k].real)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[min(n, len(RANDOM_INDEX)) - 1]
    cr = ci / ri if ri > 0 else 0.0
    if cr > max_cr and not force:
        raise MethodError(f"AHP consistency ratio {cr:.3f} is above {max_cr}; revise the comparisons or force it")
    return AHP(v / v.sum(), lam, ci, cr)


def entropy(X: np.ndarray) -> np.ndarray:
    """Entropy weights: `p = x / sum(x)` per child, `e = -sum(p ln p) / ln(n)`, weight
    proportional to `1 - e` (more dispersion, more weight). Needs values >= 0.

    Notes
    -----
    Each child uses its available values (`n` = their count). If no child carries
    information, the weights are equal.

    Examples
    --------
    >>> entropy(np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 9.0]])).round(3)
    array([0., 1.])
    """
    X = np.asarray(X, float)
    if (X[~np.isnan(X)] < 0).any():
        raise MethodError("entropy weights need non-negative values; normalise with e.g. minmax first")
    d = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        v = X[~np.isnan(X[:, j]), j]
        if v.size < 2 or v.sum() == 0:
            continue
        p = v / v.sum()
        p = p[p > 0]
        d[j] = 1.0 + (p * np.log(p)).sum() / np.log(v.size)
    d = np.clip(d, 0.0, None)
    return d / d.sum() if d.sum() > 0 else equal(X.shape[1])


def _pairwise_corr(X: np.ndarray) -> np.ndarray:
    """Pearson correlations on pairwise-complete rows (NaN where fewer than 3 or no spread)."""
    k = X.shape[1]
    R = np.eye(k)
    for a in range(k):
        for b in range(a + 1, k):
            ok = ~np.isnan(X[:, a]) & ~np.isnan(X[:, b])
            r = np.nan
            if ok.sum() >= 3:
                xa, xb = X[ok, a] - X[ok, a].mean(), X[ok, b] - X[ok, b].mean()
                den = np.sqrt((xa ** 2).sum() * (xb ** 2).sum())
                if den > 0:
                    r = float((xa * xb).sum() / den)
            R[a, b] = R[b, a] = r
    return R


def critic(X: np.ndarray) -> np.ndarray:
    """CRITIC weights (Diakoulaki et al. 1995): each child is min-max scaled to [0, 1]; weight
    proportional to `sd_j * sum_k (1 - r_jk)` (contrast times conflict).

    Notes
    -----
    Standard deviations use each child's available values (sample sd); correlations use
    pairwise-complete rows, and an undefined correlation counts as 0.

    Examples
    --------
    >>> critic(np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [2.0, 2.0, 2.0]])).round(3)
    array([0.25, 0.25, 0.5 ])
    """
    X = np.asarray(X, float)
    if X.shape[1] == 1:
        return np.ones(1)
    lo, hi = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        S = np.where(hi > lo, (X - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)
    S = np.where(np.isnan(X), np.nan, S)
    sd = np.array([np.std(c[~np.isnan(c)], ddof=1) if (~np.isnan(c)).sum() > 1 else 0.0 for c in S.T])
    R = np.nan_to_num(_pairwise_corr(S), nan=0.0)
    c = sd * (1.0 - R).sum(axis=1)
    return c / c.sum() if c.sum() > 0 else equal(X.shape[1])


def pca(X: np.ndarray) -> np.ndarray:
    """First principal component loadings of the standardised children (COINr `get_PCA` weights),
    signed so that they sum to a positive number, then rescaled to sum to 1.

    Notes
    -----
    Rows with any missing child are left out (COINr does the same). Loadings of mixed signs (a
    child negatively correlated with the rest) are refused rather than turned into negative weights.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 3.0], [3.0, 6.5, 2.0], [4.0, 8.0, 5.0]])
    >>> pca(X).round(3)
    array([0.345, 0.339, 0.316])
    """
    X = np.asarray(X, float)
    if X.shape[1] == 1:
        return np.ones(1)
    C = X[~np.isnan(X).any(axis=1)]
    if C.shape[0] < 3:
        raise MethodError(f"PCA weights need at least 3 units without missing values, got {C.shape[0]}")
    sd = C.std(axis=0, ddof=1)
    if (sd == 0).any():
        raise MethodError("PCA weights: a child has no spread over the complete units")
    Z = (C - C.mean(axis=0)) / sd
    vals, vecs = np.linalg.eigh(np.corrcoef(Z, rowvar=False))
    v = vecs[:, int(np.argmax(vals))]
    if v.sum() < 0:
        v = -v
    if (v < 0).any():
        shown = ", ".join(f"{x:.3f}" for x in v)
        raise MethodError(f"PCA weights: the first-component loadings have mixed signs ({shown}); some children "
                          "are negatively correlated with the others (check directions or use another weighting)")
    return v / v.sum()


WEIGHTERS = {"entropy": entropy, "critic": critic, "pca": pca}


def group_weights(X: np.ndarray, method: str) -> np.ndarray:
    """Data-driven weights of one group's children by name (`equal`, `entropy`, `critic`, `pca`).

    Examples
    --------
    >>> group_weights(np.ones((3, 2)), "equal")
    array([0.5, 0.5])
    """
    X = np.asarray(X, float)
    if method == "equal":
        return equal(X.shape[1])
    try:
        return WEIGHTERS[method](X)
    except KeyError:
        raise MethodError(f"unknown weighting method {method!r}; expected equal or one of {sorted(WEIGHTERS)}") from None

