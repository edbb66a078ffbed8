"""Out-of-time evaluation of early-warning probabilities: metrics, model choice and cut-offs.

The metrics are those of early-warning practice (docs/early-warning.md): AUROC, average
precision, precision at the top k, the Brier score, the usefulness of Alessi and Detken (2011)
and the relative usefulness of Sarlin (2013). Both usefulness measures need a signal threshold
fixed before the outcome is known; for calibrated probabilities the loss-minimising ones are

- Alessi-Detken, L = mu T1 + (1 - mu) T2: flag when p >= (1 - mu) P1 / (mu P2 + (1 - mu) P1),
  with P1 the event rate of the training years (P2 = 1 - P1);
- Sarlin, L = mu P1 T1 + (1 - mu) P2 T2: flag when p >= 1 - mu.

T1 is the share of events missed, T2 the share of non-events flagged.
"""
from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from indicators.framework import ALERT_LEVELS

METRICS = ("auroc", "average_precision", "precision_at_k", "brier", "usefulness_ad", "usefulness_sarlin")
BACKTEST_SCHEMA = {"model": pl.String, "year": pl.Int64, "n": pl.Int64, "events": pl.Int64,
                   **{m: pl.Float64 for m in METRICS}}


def _errors(y: np.ndarray, flag: np.ndarray) -> tuple[float, float]:
    """(T1, T2): share of events missed and share of non-events flagged."""
    pos, neg = y == 1, y == 0
    t1 = float((~flag & pos).sum() / pos.sum()) if pos.any() else 0.0
    t2 = float((flag & neg).sum() / neg.sum()) if neg.any() else 0.0
    return t1, t2


def usefulness_ad(y: np.ndarray, p: np.ndarray, mu: float, base_rate: float) -> float:
    """Alessi-Detken absolute usefulness min(mu, 1 - mu) - L at the loss-minimising threshold.

    Examples
    --------
    >>> y = np.array([1, 0, 0, 0]); p = np.array([0.9, 0.1, 0.1, 0.1])
    >>> usefulness_ad(y, p, mu=0.5, base_rate=0.25)
    0.5
    """
    tau = (1 - mu) * base_rate / (mu * (1 - base_rate) + (1 - mu) * base_rate)
    t1, t2 = _errors(y, p >= tau)
    return min(mu, 1 - mu) - (mu * t1 + (1 - mu) * t2)


def sarlin_ur(y: np.ndarray, flag: np.ndarray, mu: float) -> float:
    """Sarlin's relative usefulness Ur of a signal: 1 is perfect, 0 no better than ignoring it."""
    p1 = float(np.mean(y)) if len(y) else 0.0
    best = min(mu * p1, (1 - mu) * (1 - p1))
    if best <= 0:
        return float("nan")
    t1, t2 = _errors(y, flag)
    return (best - (mu * p1 * t1 + (1 - mu) * (1 - p1) * t2)) / best


def precision_at_k(y: np.ndarray, p: np.ndarray, k: int) -> float:
    """Share of events among the k highest probabilities (ties broken by position)."""
    k = min(k, len(y))
    if k == 0:
        return float("nan")
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].mean())


def metrics(y: np.ndarray, p: np.ndarray, *, mu: float, k: int, base_rate: float) -> dict:
    """Every metric of one set of predictions (NaN where undefined, e.g. AUROC without events).

    Examples
    --------
    >>> m = metrics(np.array([1, 0, 0, 1]), np.array([0.8, 0.2, 0.3, 0.6]), mu=0.7, k=2, base_rate=0.5)
    >>> m["auroc"], m["precision_at_k"]
    (1.0, 1.0)
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    both = 0 < y.sum() < len(y)
    return {
        "auroc": float(roc_auc_score(y, p)) if both else float("nan"),
        "average_precision": float(average_precision_score(y, p)) if y.sum() > 0 else float("nan"),
        "precision_at_k": precision_at_k(y, p, k),
        "brier": float(brier_score_loss(y, p, labels=[0, 1])) if len(y) else float("nan"),
        "usefulness_ad": usefulness_ad(y, p, mu, base_rate) if len(y) else float("nan"),
        "usefulness_sarlin": sarlin_ur(y, p >= 1 - mu, mu),
    }


def table(preds: pl.DataFrame, *, mu: float, k: int) -> pl.DataFrame:
    """Metrics per model and year, plus a pooled row per model (year null).

    preds: model, unit_id, year, probability, target (0/1; rows without a target are ignored),
    base_rate (the event rate of the training years of that prediction).
    """
    rows = []
    done = preds.filter(pl.col("target").is_not_null()).sort("model", "year", "unit_id")
    for (model,), g in done.group_by("model", maintain_order=True):
        for (year,), h in g.group_by("year", maintain_order=True):
            rows.append(_row(model, year, h, mu, k))
        rows.append(_row(model, None, g, mu, k))
    return pl.DataFrame(rows, schema=BACKTEST_SCHEMA)


def _row(model, year, g: pl.DataFrame, mu: float, k: int) -> dict:
    y, p = g["target"].to_numpy(), g["probability"].to_numpy()
    base = float(g["base_rate"].mean())
    if year is None:  # pooled: the usefulness of each year's own threshold, and precision at k per year
        m = metrics(y, p, mu=mu, k=k, base_rate=base)
        flags = np.concatenate([_ad_flag(h, mu) for _, h in g.group_by("year", maintain_order=True)])
        yy = np.concatenate([h["target"].to_numpy() for _, h in g.group_by("year", maintain_order=True)])
        t1, t2 = _errors(yy, flags)
        m["usefulness_ad"] = min(mu, 1 - mu) - (mu * t1 + (1 - mu) * t2)
        m["precision_at_k"] = float(np.nanmean([precision_at_k(h["target"].to_numpy(), h["probability"].to_numpy(), k)
                                                 for _, h in g.group_by("year", maintain_order=True)]))
    else:
        m = metrics(y, p, mu=mu, k=k, base_rate=base)
    return {"model": model, "year": year, "n": len(y), "events": int(y.sum()), **m}


def _ad_flag(h: pl.DataFrame, mu: float) -> np.ndarray:
    b = float(h["base_rate"].mean())
    tau = (1 - mu) * b / (mu * (1 - b) + (1 - mu) * b)
    return h["probability"].to_numpy() >= tau


def choose(preds: pl.DataFrame, candidates: tuple[str, ...], select_by: str) -> str:
    """The candidate with the best pooled out-of-time `select_by` on `preds` (the first candidate
    when nothing can be compared yet, or on a tie)."""
    done = preds.filter(pl.col("target").is_not_null() & pl.col("model").is_in(list(candidates)))
    best, best_v = candidates[0], None
    for c in candidates:
        g = done.filter(pl.col("model") == c)
        y = g["target"].to_numpy()
        if g.is_empty() or not 0 < y.sum() < len(y):
            continue
        p = g["probability"].to_numpy()
        v = {"auroc": lambda: roc_auc_score(y, p), "average_precision": lambda: average_precision_score(y, p),
             "brier": lambda: -brier_score_loss(y, p)}[select_by]()
        if best_v is None or v > best_v + 1e-12:
            best, best_v = c, v
    return best


def cutoffs(y: np.ndarray, p: np.ndarray, cutoff_mu: dict, min_events: int = 0) -> dict:
    """Probability cut-off per alert level: the threshold (a multiple of 0.01) maximising Sarlin's
    Ur at the level's mu on (y, p); a level where no threshold is useful (Ur <= 0) gets None.
    With fewer than `min_events` events to learn from, the cut-off is 1 - mu (loss-minimising for
    calibrated probabilities). A lower level never has a higher cut-off than the level above it.

    Examples
    --------
    >>> cutoffs(np.array([]), np.array([]), {"red": 0.5, "blue": 0.9})
    {'red': 0.5, 'blue': 0.1}
    >>> y = np.array([1, 1, 0, 0, 0, 0]); p = np.array([0.8, 0.6, 0.55, 0.2, 0.1, 0.1])
    >>> cutoffs(y, p, {"red": 0.5, "blue": 0.9})
    {'red': 0.6, 'blue': 0.6}
    """
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    learn = len(y) > 0 and 0 < y.sum() < len(y) and y.sum() >= min_events
    out, above = {}, None
    for level in ALERT_LEVELS:
        if level not in cutoff_mu:
            continue
        mu = float(cutoff_mu[level])
        cut = _best_threshold(y, p, mu) if learn else round(1 - mu, 6)
        if cut is not None and above is not None:
            cut = min(cut, above)
        out[level] = cut
        above = cut if cut is not None else above
    return out


def _best_threshold(y: np.ndarray, p: np.ndarray, mu: float) -> float | None:
    grid = np.round(np.arange(1, 100) / 100, 2)
    flag = p[None, :] >= grid[:, None] - 1e-12
    n1 = y.sum()
    p1 = n1 / len(y)
    t1 = 1 - (flag & (y == 1)).sum(axis=1) / n1
    t2 = (flag & (y == 0)).sum(axis=1) / (len(y) - n1)
    best = min(mu * p1, (1 - mu) * (1 - p1))
    ur = (best - (mu * p1 * t1 + (1 - mu) * (1 - p1) * t2)) / best
    i = len(ur) - 1 - int(np.argmax(ur[::-1]))  # among equally useful thresholds, the highest
    return float(grid[i]) if ur[i] > 0 else None
