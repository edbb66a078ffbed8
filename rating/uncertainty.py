"""Rank intervals from Monte Carlo weight noise: every weight times U(1-a, 1+a), renormalised
within its group, the index re-aggregated and re-ranked; the 5th/95th percentile ranks are
`rank_low`/`rank_high`. Seeded: the same seed gives the same intervals.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from indicators.framework import Framework
from rating.score import Scored, aggregate_tree


def rank_matrix(scores: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Ranks (1 = best, ties min) of each row of `scores` (replications x units) within groups.

    Vectorised over replications: each row is shifted by its own offset so that one flat
    searchsorted ranks every row at once.
    """
    out = np.full(scores.shape, np.nan)
    finite = scores[~np.isnan(scores)]
    if finite.size == 0:
        return out
    span = float(finite.max() - finite.min()) + 1.0
    for g in np.unique(group):
        cols = np.flatnonzero(group == g)
        s = scores[:, cols]
        ok = ~np.isnan(s)
        neg = np.where(ok, -s, -finite.min() + span * 0.5)  # missing sorts after every value
        flat = (neg + np.arange(s.shape[0])[:, None] * 2 * span).ravel()
        srt = np.sort(flat)
        pos = np.searchsorted(srt, flat, side="left").reshape(s.shape)
        r = pos - np.arange(s.shape[0])[:, None] * s.shape[1] + 1
        out[:, cols] = np.where(ok, r, np.nan)
    return out


def weight_noise_ranks(scored: Scored, framework: Framework, *, replications: int, noise: float,
                       seed: int) -> pl.DataFrame:
    """unit_id, year, rank_low, rank_median, rank_high, score_low, score_high under weight noise."""
    rng = np.random.default_rng(seed)
    values = {c: np.where(scored.applicable[:, [n.code for n in framework.nodes].index(c)], scored.normalised[:, j], np.nan)
              for j, c in enumerate(scored.codes)}
    applicable = {n.code: scored.applicable[:, i] for i, n in enumerate(framework.nodes)}
    keys = scored.keys
    group = (keys["year"].cast(pl.String) + "|" + keys["kind"] + "|" + keys["level"]).to_numpy()
    children = [n for n in framework.nodes if n.parent is not None]
    S = np.empty((replications, len(keys)))
    for r in range(replications):
        w = {n.code: n.weight * rng.uniform(1 - noise, 1 + noise) for n in children}
        S[r] = aggregate_tree(framework, values, applicable, weights=w)[framework.code]
    R = rank_matrix(S, group)
    with np.errstate(all="ignore"):
        q = np.nanpercentile(R, [5, 50, 95], axis=0, method="inverted_cdf") if replications else None
        sq = np.nanpercentile(S, [5, 95], axis=0)
    return keys.select("unit_id", "year").with_columns(
        pl.Series("rank_low", q[0]).fill_nan(None).cast(pl.Int64),
        pl.Series("rank_median", q[1]).fill_nan(None).cast(pl.Int64),
        pl.Series("rank_high", q[2]).fill_nan(None).cast(pl.Int64),
        pl.Series("score_low", sq[0]).fill_nan(None),
        pl.Series("score_high", sq[1]).fill_nan(None),
    )
