"""Normalisation methods: bring indicators with different units onto one scale.

Each method is a small function over a 1-D float array (NaN = missing) whose values are already
multiplied by the indicator's direction, as COINr does; NaN stays NaN.
"""
from __future__ import annotations

import numpy as np

from indicators.errors import MethodError


def minmax(x: np.ndarray, lower: float = 0.0, upper: float = 100.0) -> np.ndarray:
    """`(x - min) / (max - min) * (upper - lower) + lower`; a constant column gives NaN."""
    lo, hi = np.nanmin(x), np.nanmax(x)
    if not np.isfinite(lo) or hi == lo:
        return np.full_like(x, np.nan, dtype=float)
    return (x - lo) / (hi - lo) * (upper - lower) + lower


def zscore(x: np.ndarray, mean: float = 0.0, sd: float = 1.0) -> np.ndarray:
    """`(x - mean(x)) / sd(x) * sd + mean` with the sample standard deviation."""
    s = np.nanstd(x, ddof=1)
    if not np.isfinite(s) or s == 0:
        return np.full_like(x, np.nan, dtype=float)
    return (x - np.nanmean(x)) / s * sd + mean


NORMALISERS = {"minmax": minmax, "zscore": zscore}


def normalise(x: np.ndarray, method: str = "minmax", params: tuple = (), direction: int = 1) -> np.ndarray:
    """Apply `direction` then the named method with positional `params`."""
    try:
        f = NORMALISERS[method]
    except KeyError:
        raise MethodError(f"unknown normalisation method {method!r}; expected one of {sorted(NORMALISERS)}") from None
    return f(np.asarray(x, dtype=float) * direction, *params)
