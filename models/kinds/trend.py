"""The `trend` alert kind: a fall from the previous year of at least `fall`, `fall_sd` peer standard
deviations or `notches` grades. docs/early-warning.md documents its keys."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from indicators.framework import Framework
from models import dynamics
from models.alert import Wording, alert, figure, names, unit_of

KIND = "trend"
GRADE_MESSAGE = ("等级由{previous}降至{value}，同比下降{fall:.0f}级", "Grade fell from {previous} to {value}, {fall:.0f} notch(es) year on year")


@dataclass(frozen=True)
class Params:
    """The keys of a `trend` alert entry besides code, kind, level, status, messages and actions, with
    the defaults the framework fills in (indicators.framework.ALERT_KEYS says the same)."""

    target: str = "score"
    fall: float | None = None
    fall_sd: float | None = None
    notches: int | None = None

    def check(self) -> list[str]:
        """Problems with the values (empty: none)."""
        set_ = [k for k in ("fall", "fall_sd", "notches") if getattr(self, k) is not None]
        return [] if len(set_) == 1 else ["exactly one of fall, fall_sd, notches"]


def alerts(values, scores, rule: dict, framework: Framework, coverage: pl.DataFrame | None = None) -> list[dict]:
    """A fall from the previous year of at least `fall` (target units), `notches` (grades) or
    `fall_sd` standard deviations of the peers' year-on-year changes. `coverage`: the
    dynamics.coverage_changes of `values` when already known (computed here otherwise).

    Examples
    --------
    >>> from indicators.framework_load import load_framework
    >>> s = pl.DataFrame({"unit_id": ["a", "a", "b", "b"], "year": [2023, 2024] * 2,
    ...                   "score": [90.0, 70.0, 80.0, 79.0]})
    >>> rule = {"code": "drop", "kind": "trend", "target": "score", "fall": 10, "level": "orange"}
    >>> [(a["unit_id"], a["year"]) for a in alerts(None, s, rule, load_framework())]
    [('a', 2024)]
    """
    s = dynamics.target_series(values, scores, rule["target"], framework)
    if s is None:
        return []
    s = dynamics.clean(s)
    prev = s.select("unit_id", (pl.col("year") + 1).alias("year"), pl.col("x").alias("previous"))
    d = s.join(prev, on=["unit_id", "year"])
    if rule["target"] not in {n.code for n in framework.computed}:  # a composite of the index
        changes = dynamics.coverage_changes(values, framework) if coverage is None else coverage
        d = d.join(changes, on=["unit_id", "year"], how="anti")
    d = d.with_columns(
        ((pl.col("previous") - pl.col("x")) * pl.col("direction")).alias("fall"))
    if "fall_sd" in rule:
        sd = (pl.col("x") - pl.col("previous")).std().over("year", *dynamics.peer_keys(scores))
        d = d.with_columns(sd.alias("sd")).with_columns((rule["fall_sd"] * pl.col("sd")).alias("limit"))
        d = d.filter(pl.col("sd") > 0)
    else:
        d = d.with_columns(pl.lit(float(rule.get("fall", rule.get("notches")))).alias("limit"), pl.lit(None).alias("sd"))
    hits = d.filter(pl.col("fall") >= pl.col("limit") - 1e-12).sort("unit_id", "year")
    grade = rule["target"] == "grade"
    codes = [g.code for g in framework.grades]
    out = []
    for r in hits.iter_rows(named=True):
        value, previous = (codes[int(-r["x"])], codes[int(-r["previous"])]) if grade else (r["x"], r["previous"])
        ev = {"target": rule["target"], "value": value, "previous": previous, "fall": r["fall"], "limit": r["limit"]}
        if r["sd"] is not None:
            ev["sd"] = r["sd"]
        out.append(alert(rule, r["unit_id"], r["year"], rule["level"], ev, framework=framework,
                         text=_text(rule, r, value, previous, grade, framework),
                         default=GRADE_MESSAGE if grade else None, value=value, previous=previous,
                         fall=r["fall"], threshold=r["limit"]))
    return out


def _text(rule: dict, r: dict, value, previous, grade: bool, framework: Framework) -> tuple[str, str]:
    """(zh, en) evidence of a trend alert: both years' figures, the fall and its limit."""
    zh, en = names(framework, rule["target"])
    y = r["year"]
    if grade:
        return (f"等级 {y - 1}年 {previous} → {y}年 {value}（下降{r['fall']:.0f}级，预警幅度{r['limit']:.0f}级）",
                f"grade {previous} in {y - 1} -> {value} in {y} (down {r['fall']:.0f}, limit {r['limit']:.0f})")
    u = unit_of(framework, rule["target"])
    (a, ae), (b, be) = figure(previous, u), figure(value, u)
    lim = (f"同类单位变化标准差{r['sd']:.2f}的{rule['fall_sd']:g}倍，即{r['limit']:.2f}" if r.get("sd") is not None
           else f"{r['limit']:.4g}")
    lim_en = (f"{rule['fall_sd']:g} x the peers' SD of changes {r['sd']:.2f} = {r['limit']:.2f}" if r.get("sd") is not None
              else f"{r['limit']:.4g}")
    return (f"{zh} {y - 1}年 {a} → {y}年 {b}（下降{r['fall']:.2f}，预警幅度{lim}）",
            f"{en} {ae} in {y - 1} -> {be} in {y} (down {r['fall']:.2f}; limit {lim_en})")


def evaluate(rule: dict, frames, framework: Framework) -> list[dict]:
    """The kind's alerts over the run's frames (models.kinds.Frames)."""
    return alerts(frames.values, frames.scores, rule, framework, frames.coverage_changes(framework))


def describe(rule: dict) -> tuple[str, str]:
    """(zh, en) one line on when the rule fires, for the methodology page."""
    w = Wording(rule)
    arrow_zh, arrow_en, what = w.arrow_zh, w.arrow_en, w.what
    if "notches" in rule:
        return f"等级同比下降≥{rule['notches']}级{arrow_zh}", f"grade falls by at least {rule['notches']} notch(es) year on year{arrow_en}"
    if "fall_sd" in rule:
        return (f"{what} 同比下降≥同类单位变化标准差的{rule['fall_sd']:g}倍{arrow_zh}",
                f"{what} falls year on year by at least {rule['fall_sd']:g} SD of peers' changes{arrow_en}")
    return f"{what} 同比下降≥{rule['fall']:g}{arrow_zh}", f"{what} falls by at least {rule['fall']:g} year on year{arrow_en}"
