"""Aggregation methods: combine the children of a node into the node's score.

Each method takes `X` (units x children, NaN = missing) and weights `w` (children,) and
returns one value per unit. Missing children are dropped and the weights of the others
renormalised (COINr's default); a unit with no child gives NaN.
"""
from __future__ import annotations

import numpy as np

from indicators.errors import MethodError


def arithmetic(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted arithmetic mean over the available children."""
    avail = ~np.isnan(X)
    W = np.where(avail, w, 0.0)
    tot = W.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, np.nansum(X * W, axis=1) / tot, np.nan)


def geometric(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted geometric mean over the available children; refuses values <= 0."""
    if np.any(X[~np.isnan(X)] <= 0):
        raise MethodError("geometric mean needs positive values; normalise to a positive range, e.g. minmax:1,100")
    avail = ~np.isnan(X)
    W = np.where(avail, w, 0.0)
    tot = W.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, np.exp(np.nansum(np.log(X) * W, axis=1) / tot), np.nan)


AGGREGATORS = {"arithmetic": arithmetic, "geometric": geometric}


def aggregate(X: np.ndarray, w: np.ndarray, method: str = "arithmetic", params: tuple = ()) -> np.ndarray:
    """Aggregate with the named method and positional `params`."""
    try:
        f = AGGREGATORS[method]
    except KeyError:
        raise MethodError(f"unknown aggregation method {method!r}; expected one of {sorted(AGGREGATORS)}") from None
    return f(np.asarray(X, dtype=float), np.asarray(w, dtype=float), *params)
