"""Data uncertainty: indicator values redrawn from the evidence behind them.

An indicator value is an estimate from counted records. `DataModel` holds, per unit-year and
indicator, the posterior of the true rate given the observed numerator and denominator, and draws
whole data sets of plausible true values from it:

- a share of counted rows (`share` without a column): Beta(k + m M, n - k + (1 - m) M);
- a count per exposure (`count`, `weighted_count` with `per`): Gamma(k + m M, n + M), a
  weighted count with its variance-to-mean ratio `phi = sum(w^2) / sum(w)` of the definition's
  weights (a compound Poisson count, every weight as common): Gamma((k + m M) / phi, (n + M) / phi);

where m and M are the prior mean and strength the scorer fitted for the estimate within the peer
group and year (rating.shrink.prior_strength). So a draw's mean is the published estimate
(`Scored.inputs`) and its spread is what the records leave open: wide for a 31-person bureau
with one record, narrow for a city with thousands of tickets. An indicator the framework does
not shrink (`shrink = "none"`) gets Jeffreys' prior (m M = 1/2, M = 0 for a count; m M = (1 - m)
M = 1/2 for a share). Money amounts and ratios (`sum`, `ratio`, amount-weighted shares),
medians and given values have no count behind them here: they keep their value.

Draw `d` (1, 2, ...) of a seed is the same array whatever else is drawn: each comes from its own
stream, `numpy.random.SeedSequence((seed, d))`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from rating.shrink import experience, prior_strength

#: How a cell is redrawn: kept, a Gamma rate, a Beta share.
FIXED, COUNT, SHARE = 0, 1, 2
MODELS = ("none", "posterior")


def _family(definition) -> int:
    if definition is None:
        return FIXED
    if definition.measure in ("count", "weighted_count") and definition.per:
        return COUNT
    if definition.measure == "share" and not definition.column:
        return SHARE
    return FIXED


def _dispersion(definition) -> float:
    """Variance-to-mean ratio of a weighted count: sum(w^2) / sum(w) of its weights (1 for a count)."""
    if definition is None or definition.measure != "weighted_count":
        return 1.0
    w = np.array([float(v) for _, v in definition.weights], dtype=float)
    w = w[w > 0]
    return float((w ** 2).sum() / w.sum()) if w.size else 1.0


@dataclass(frozen=True)
class DataModel:
    """The posterior of every redrawn cell of a rows x indicators value matrix (module docstring).

    `value`: the published inputs (data set 0); `rows`, `cols`: the redrawn cells; `family` per
    cell (COUNT or SHARE); `a`, `b`: Gamma shape and rate, or the two Beta shapes; `scale` per
    cell; `seed` of the draws."""

    value: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    family: np.ndarray
    a: np.ndarray
    b: np.ndarray
    scale: np.ndarray
    seed: int = 0

    @property
    def varies(self) -> bool:
        """Whether any cell is redrawn (else every data set is the observed one)."""
        return bool(self.rows.size)

    def draw(self, d: int) -> np.ndarray:
        """Data set `d` (0 = the published values): a rows x indicators matrix.

        Examples
        --------
        >>> m = demo_model()
        >>> m.draw(0).tolist(), bool((m.draw(1) == m.draw(1)).all()), bool((m.draw(1) != m.draw(2)).any())
        ([[2.0, 0.5]], True, True)
        """
        if d == 0:
            return self.value
        rng = np.random.default_rng(np.random.SeedSequence((int(self.seed), int(d))))
        share, rate, first, second, order, at = self._plan
        out = np.array(self.value, order=order)  # a copy in the memory order of `value`
        g = first.draw(rng)
        v = np.empty(g.shape)
        v[~share] = g[~share] / rate
        if second is not None:
            gs = g[share]
            v[share] = gs / (gs + second.draw(rng))
        out.reshape(-1, order=order)[at] = v * self.scale
        return out

    @cached_property
    def _plan(self) -> tuple:
        """What every draw reuses: the share cells, the Gamma rates of the others, the Gamma
        variates to draw (shapes `a`, then `b` of the shares), and the cells' flat positions in
        `value`'s memory order (the column-major order of the Monte Carlo, or C order)."""
        share = self.family == SHARE
        order = "F" if self.value.flags.f_contiguous and not self.value.flags.c_contiguous else "C"
        at = np.ravel_multi_index((self.rows, self.cols), self.value.shape, order=order)
        return share, self.b[~share], _Gamma(self.a), (_Gamma(self.b[share]) if share.any() else None), order, at


#: Shapes from which a Gamma variate is drawn by the Wilson-Hilferty transform of a normal one
#: (relative error of its quantiles below 0.1% there, at a quarter of the cost).
LARGE_SHAPE = 30.0


def _gamma(rng: np.random.Generator, a: np.ndarray) -> np.ndarray:
    """Standard Gamma variates of shapes `a`: exact below LARGE_SHAPE, Wilson-Hilferty above."""
    return _Gamma(a).draw(rng)


class _Gamma:
    """Standard Gamma variates of fixed shapes `a`, drawn again and again (`_gamma`): the split
    at LARGE_SHAPE and the Wilson-Hilferty constants computed once."""

    def __init__(self, a: np.ndarray):
        big = a >= LARGE_SHAPE
        self.size, self.big, self.small = a.shape, big, a[~big]
        ab = a[big]
        self.ab, self.shift, self.spread = ab, 1.0 - 1.0 / (9.0 * ab), 3.0 * np.sqrt(ab)

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        out = np.empty(self.size)
        out[~self.big] = rng.standard_gamma(self.small)
        z = rng.standard_normal(self.ab.size)
        out[self.big] = self.ab * (self.shift + z / self.spread) ** 3
        return out


def data_model(keys: pl.DataFrame, groups: np.ndarray, codes, value: np.ndarray, indicators: pl.DataFrame,
               framework, seed: int = 0) -> DataModel:
    """The posterior behind `value` (the scorer's inputs: rows of `keys` x indicators `codes`)
    from the long indicator table (its `numerator` and `denominator` columns) and the framework's
    definitions, with the shrinkage prior fitted within `groups` (integer codes per row, the
    scorer's peer group and year). A cell is redrawn only where the posterior mean equals its
    value, i.e. where the scorer estimated it from that evidence; others keep their value.

    Examples
    --------
    >>> demo_model().family.tolist()
    [1, 2]
    """
    defs = {n.code: n.definition for n in framework.indicators}
    num, den = np.full(value.shape, np.nan), np.full(value.shape, np.nan)
    if {"numerator", "denominator"} <= set(indicators.columns):
        long = (indicators.filter(pl.col("indicator").is_in(list(codes)))
                .select("unit_id", "year", "indicator", pl.col("numerator").cast(pl.Float64),
                        pl.col("denominator").cast(pl.Float64)))
        at = keys.select("unit_id", "year").with_row_index("_r")
        long = long.join(at, on=["unit_id", "year"], how="inner").with_columns(
            pl.col("indicator").replace_strict({c: j for j, c in enumerate(codes)}, return_dtype=pl.Int64).alias("_j"))
        r, j = long["_r"].to_numpy().astype(np.int64), long["_j"].to_numpy()
        num[r, j] = long["numerator"].fill_null(np.nan).to_numpy()
        den[r, j] = long["denominator"].fill_null(np.nan).to_numpy()
    num, den = experience(num, den, keys, framework, codes)  # the evidence the scorer pooled over years
    parts = []
    for j, c in enumerate(codes):
        d = defs.get(c)
        fam = _family(d)
        ok = ~np.isnan(value[:, j]) & ~np.isnan(num[:, j]) & (den[:, j] > 0)
        if fam == FIXED or not ok.any():
            continue
        shrunk = d.shrink_family if hasattr(d, "shrink_family") else "none"
        g = np.where(ok, groups, -1)
        if shrunk != "none":
            m, M = prior_strength(num[:, j], den[:, j], g, shrunk)
            m, M = np.nan_to_num(m), np.where(np.isnan(m), 0.0, M)
        else:
            m, M = np.full(len(ok), 0.5), np.zeros(len(ok))
        k, n, phi = num[:, j], den[:, j], _dispersion(d)
        prior = m * M if shrunk != "none" else np.full(len(ok), 0.5)
        if fam == SHARE:
            a, b = k + prior, n - k + ((1 - m) * M if shrunk != "none" else 0.5)
        else:
            a, b = (k + prior) / phi, (n + M) / phi
        scale = float(d.scale or 1.0)
        with np.errstate(all="ignore"):
            published = (k + m * M) / (n + M) if shrunk != "none" else k / n
            redraw = ok & (a > 0) & (b > 0) & np.isclose(published * scale, value[:, j], rtol=1e-9, atol=1e-12)
        rows = np.flatnonzero(redraw)
        parts.append((rows, np.full(rows.size, j), np.full(rows.size, fam), a[rows], b[rows], np.full(rows.size, scale)))
    if not parts:
        e = np.empty(0)
        return DataModel(value, e.astype(np.int64), e.astype(np.int64), e.astype(np.int64), e, e, e, int(seed))
    rows, cols, fam, a, b, scale = (np.concatenate(x) for x in zip(*parts))
    return DataModel(value=value, rows=rows, cols=cols, family=fam, a=a, b=b, scale=scale, seed=int(seed))


def demo_model() -> DataModel:
    """One unit-year: 4 records per 2 staff (Jeffreys: Gamma(4.5, 2)) and 5 of 10 (Beta(5.5, 5.5))."""
    return DataModel(value=np.array([[2.0, 0.5]]), rows=np.array([0, 0]), cols=np.array([0, 1]),
                     family=np.array([COUNT, SHARE]), a=np.array([4.5, 5.5]), b=np.array([2.0, 5.5]),
                     scale=np.ones(2), seed=7)
