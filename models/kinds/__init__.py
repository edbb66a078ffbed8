"""The registry of alert kinds: one module per kind, each with its parameters (a typed `Params`
dataclass with the framework's defaults and a check), its evaluation and its description. A new
kind is one module here, one entry in KINDS and its keys in indicators.framework.ALERT_KEYS (which
the framework checker reads at load time; tests/models/test_kinds.py keeps the two in step)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import polars as pl

from indicators.framework import Framework
from models import dynamics
from models.kinds import band, event, overdue, peer, spike, threshold, trend

KINDS = {m.KIND: m for m in (band, threshold, event, trend, peer, spike, overdue)}


@dataclass(frozen=True)
class Frames:
    """What the kinds read: long indicator values; scores with kind and level (trend, peer);
    monthly tickets (spike); failure records with their lifecycle flags (event); contracts (overdue).
    A kind whose frame is missing or empty raises nothing: missing data is not evidence."""

    values: pl.DataFrame | None = None
    scores: pl.DataFrame | None = None
    monthly: pl.DataFrame | None = None
    records: pl.DataFrame | None = None
    contracts: pl.DataFrame | None = None
    _coverage: dict = field(default_factory=dict, compare=False, repr=False)

    def coverage_changes(self, framework: Framework) -> pl.DataFrame:
        """dynamics.coverage_changes of `values`: computed once for all the trend rules of a run."""
        if id(framework) not in self._coverage:
            self._coverage[id(framework)] = (framework, dynamics.coverage_changes(self.values, framework))
        return self._coverage[id(framework)][1]


def params(rule: dict):
    """The rule's parameters as its kind's typed dataclass; ValueError naming the rule when its
    values fail the kind's check (a framework changed in code after it was loaded)."""
    kind = KINDS[rule["kind"]]
    known = {f.name for f in fields(kind.Params)}
    p = kind.Params(**{k: v for k, v in rule.items() if k in known})
    problems = p.check()
    if problems:
        raise ValueError(f"alert {rule.get('code')!r} ({rule['kind']}): " + "; ".join(problems))
    return p


def evaluate(rule: dict, frames: Frames, framework: Framework) -> list[dict]:
    """The alert rows of one rule (its parameters checked first)."""
    params(rule)
    return KINDS[rule["kind"]].evaluate(rule, frames, framework)
