"""The `peer` alert kind: in the worst `quantile` of the peer group `periods` years running.
docs/early-warning.md documents its keys."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from indicators.framework import Framework
from models import dynamics
from models.alert import Wording, alert, figure, names, unit_of

KIND = "peer"


@dataclass(frozen=True)
class Params:
    """The keys of a `peer` alert entry besides code, kind, level, status, messages and actions, with
    the defaults the framework fills in (indicators.framework.ALERT_KEYS says the same)."""

    target: str = "score"
    quantile: float = 0.1
    periods: int = 2
    min_peers: int = 10

    def check(self) -> list[str]:
        """Problems with the values (empty: none)."""
        return [] if 0 < self.quantile <= 0.5 and self.periods >= 1 and self.min_peers >= 1 else [
            "quantile in (0, 0.5], periods and min_peers >= 1"]


def alerts(values, scores, rule: dict, framework: Framework) -> list[dict]:
    """In the worst `quantile` of the peer group for `periods` consecutive years.

    Rank 1 is the worst (by the target's direction); a unit is in the worst quantile when its
    rank, ties counted at their highest rank, is at most quantile x peers. Groups smaller than
    `min_peers` raise nothing.

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> s = pl.DataFrame({"unit_id": [f"u{i}" for i in range(10)] * 2, "year": [2023] * 10 + [2024] * 10,
    ...                   "score": [float(i) for i in range(10)] * 2})
    >>> rule = {"code": "low", "kind": "peer", "target": "score", "quantile": 0.1, "periods": 2,
    ...         "min_peers": 10, "level": "blue"}
    >>> [(a["unit_id"], a["year"]) for a in alerts(None, s, rule, load_framework())]
    [('u0', 2024)]
    """
    s = dynamics.target_series(values, scores, rule["target"], framework)
    if s is None:
        return []
    keys = ["year", *dynamics.peer_keys(scores)]
    s = dynamics.clean(s).with_columns((pl.col("x") * pl.col("direction")).alias("good"))
    s = s.with_columns(pl.len().over(keys).alias("peers"), pl.col("good").rank("max").over(keys).cast(pl.Int64).alias("rank"))
    q, periods = float(rule["quantile"]), int(rule["periods"])
    bottom = s.filter((pl.col("peers") >= rule["min_peers"]) & (pl.col("rank") <= q * pl.col("peers")))
    hits = bottom
    for k in range(1, periods):
        back = bottom.select("unit_id", (pl.col("year") + k).alias("year"))
        hits = hits.join(back, on=["unit_id", "year"], how="semi")
    out = []
    for r in hits.sort("unit_id", "year").iter_rows(named=True):
        ev = {"target": rule["target"], "value": r["x"], "rank_from_bottom": r["rank"], "peers": r["peers"],
              "quantile": q, "years": list(range(r["year"] - periods + 1, r["year"] + 1))}
        zh, en = names(framework, rule["target"])
        fz, fe = figure(r["x"], unit_of(framework, rule["target"]))
        text = (f"{zh} {fz}；{r['year'] - periods + 1}–{r['year']}年连续处于同类{r['peers']}个单位最差的{q:.0%}，"
                f"本年倒数第{r['rank']}名",
                f"{en} {fe}; in the worst {q:.0%} of {r['peers']} peers every year {r['year'] - periods + 1}-{r['year']}, "
                f"rank {r['rank']} from the bottom this year")
        out.append(alert(rule, r["unit_id"], r["year"], rule["level"], ev, framework=framework, text=text, value=r["x"],
                         rank=r["rank"], peers=r["peers"], quantile=q, periods=periods, threshold=q))
    return out


def evaluate(rule: dict, frames, framework: Framework) -> list[dict]:
    """The kind's alerts over the run's frames (models.kinds.Frames)."""
    return alerts(frames.values, frames.scores, rule, framework)


def describe(rule: dict) -> tuple[str, str]:
    """(zh, en) one line on when the rule fires, for the methodology page."""
    w = Wording(rule)
    arrow_zh, arrow_en, what = w.arrow_zh, w.arrow_en, w.what
    return (f"{what} 连续{rule['periods']}期处于同类最差{rule['quantile']:.0%}{arrow_zh}",
            f"{what} in the worst {rule['quantile']:.0%} of peers {rule['periods']} periods running{arrow_en}")
