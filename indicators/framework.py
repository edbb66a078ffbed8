"""The indicator framework: a TOML file declaring the whole index, parsed into frozen dataclasses.

Loading checks everything an evaluator can get wrong and reports every problem at once, each
with a stable code and the path of the offending entry (e.g. `indicator[3].table`), the way
COINr's check_iMeta names codes. Nothing here touches data.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import ClassVar

from indicators.contract import TABLES, UNIT_KINDS, LEVELS
from indicators.errors import FrameworkError
from indicators.hierarchy import effective_weights, weight_shares
from indicators.lifecycle import Lifecycle
from indicators.spec import parse_spec

MEASURES = ("count", "weighted_count", "sum", "share", "ratio", "mean", "median_days", "value")
OPERATORS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "is_null",
             "lt_column", "le_column", "gt_column", "ge_column")
SMALL_DENOMINATOR = ("missing", "shrink")
#: Empirical-Bayes estimate of a value from its numerator and denominator (rating.shrink); `auto`
#: is beta-binomial for a share, gamma-Poisson for a count or weighted count per exposure.
SHRINK = ("auto", "beta-binomial", "gamma-poisson", "none")
#: Ways to form the peer groups within which values are shrunk, treated, imputed and normalised.
PEER_GROUPS = ("kind-level", "kind", "all", "none")
SCOPES = ("unit", "region")
ALERT_KINDS = ("band", "threshold", "event", "trend", "peer", "spike", "overdue")
ALERT_LEVELS = ("red", "orange", "yellow", "blue")  # most severe first
#: Severity of each alert level, 4 = red ... 1 = blue (0: no alert): the worst is the maximum.
ALERT_RANK = {lv: len(ALERT_LEVELS) - i for i, lv in enumerate(ALERT_LEVELS)}
#: Display order of the alert levels, 0 = red (most severe first).
ALERT_ORDER = {lv: i for i, lv in enumerate(ALERT_LEVELS)}
#: Joins the codes of the vetoes that hold in a scores `veto` cell (codes have no comma).
VETO_SEPARATOR = ","
# Keys of each alert kind besides code, kind, level, message_zh, message_en and description:
# the required ones, and the optional ones with their defaults (None: no default).
# docs/early-warning.md describes every kind and key.
ALERT_KEYS = {
    "band": {"required": ("indicator", "bands"), "optional": {"min_denominator": 0}},
    "threshold": {"required": ("indicator", "op", "value", "level"), "optional": {"min_denominator": 0}},
    "event": {"required": ("level",),
              "optional": {"indicator": None, "where": None, "value": 0, "scope": "unit"}},
    "trend": {"required": ("target", "level"), "optional": {"fall": None, "fall_sd": None, "notches": None}},
    "peer": {"required": ("target", "level"),
             "optional": {"quantile": 0.1, "periods": 2, "min_peers": 10}},
    "spike": {"required": ("level",),
              "optional": {"z": 3.5, "history": 24, "min_history": 12, "min_tickets": 10}},
    "overdue": {"required": ("share", "level"),
                "optional": {"where": None, "days": 0, "scope": "unit"}},
}
DEFAULT_PUBLICATION = {"required_tables": [], "min_covered_weight": 0.6}


@dataclass(frozen=True)
class Condition:
    """One row filter: `column <op> value` (or another column for the *_column operators)."""

    column: str
    op: str
    value: object


@dataclass(frozen=True)
class Definition:
    """How an indicator is computed from one input table, per unit and year."""

    table: str
    measure: str
    where: tuple[Condition, ...] = ()
    numerator: tuple[Condition, ...] = ()  # share: the rows of `where` that count as success
    column: str | None = None  # sum / mean / share_by / ratio numerator
    denominator_column: str | None = None  # ratio
    start: str | None = None  # median_days: from this date column ...
    end: str | None = None  # ... to this one
    weight_column: str | None = None  # weighted_count: column whose values map to weights
    weights: tuple[tuple[str, float], ...] = ()  # weighted_count: value -> weight
    per: str | None = None  # unit_stats column dividing the measure
    scale: float = 1.0  # multiply after dividing (e.g. 10000 for per-10k)
    date: str | None = None  # the column that places a row in a year (default: the table's)
    window: int = 1  # years in the window ending with the rated year
    min_denominator: float = 0.0
    small_denominator: str = "missing"
    scope: str = "region"
    shrink: str = "auto"  # see SHRINK
    min_count: float | None = None  # evidence below it flags the value as thin (None: [methods] min_count)

    @property
    def shrink_family(self) -> str:
        """The shrinkage family in effect: `auto` resolved by the measure (a share or a count per
        exposure is estimated; sums, ratios of amounts, medians and plain values are not)."""
        if self.shrink != "auto":
            return self.shrink
        if self.measure == "share":
            return "beta-binomial"
        if self.measure in ("count", "weighted_count") and self.per:
            return "gamma-poisson"
        return "none"

    def describe(self) -> str:
        """A one-line summary of how the indicator is computed from its table.

        Examples
        --------
        >>> Definition(table="failure_records", measure="count", per="staff", scale=100,
        ...            where=(Condition("category", "eq", "broken_commitment"),)).describe()
        'count of failure_records where category = broken_commitment; per staff × 100'
        """
        what = {"count": f"count of {self.table}",
                "weighted_count": f"weighted count of {self.table} by {self.weight_column}",
                "sum": f"sum of {self.table}.{self.column}", "share": f"share of {self.table}",
                "ratio": f"sum of {self.table}.{self.column} / sum of {self.denominator_column}",
                "mean": f"mean of {self.table}.{self.column}",
                "median_days": f"median days {self.start} -> {self.end} in {self.table}",
                "value": f"{self.table}.{self.column}"}.get(self.measure, f"{self.measure} of {self.table}")
        parts = [what + (f" where {_conditions(self.where)}" if self.where else "")]
        if self.numerator:
            parts.append(f"counted if {_conditions(self.numerator)}")
        if self.per:
            parts.append(f"per {self.per}" + (f" × {self.scale:g}" if self.scale != 1 else ""))
        elif self.scale != 1:
            parts.append(f"× {self.scale:g}")
        t = TABLES.get(self.table)
        if self.date and t is not None and self.date not in (t.date_column, t.year_column):
            parts.append(f"year of {self.date}")
        if self.window > 1:
            parts.append(f"{self.window}-year window")
        if self.scope == "unit":
            parts.append("own records only")
        return "; ".join(parts)


_OP_SIGNS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in",
             "lt_column": "<", "le_column": "≤", "gt_column": ">", "ge_column": "≥"}


def _conditions(conds) -> str:
    out = []
    for c in conds:
        if c.op == "is_null":
            out.append(f"{c.column} is {'' if c.value else 'not '}null")
        else:
            v = ", ".join(map(str, c.value)) if isinstance(c.value, (list, tuple)) else c.value
            out.append(f"{c.column} {_OP_SIGNS.get(c.op, c.op)} {v}")
    return " and ".join(out)


@dataclass(frozen=True)
class Node:
    """A node of the hierarchy: the index, a dimension, a sub-dimension, or an indicator."""

    code: str
    parent: str | None
    name_zh: str
    name_en: str
    weight: float = 1.0
    direction: int = 1
    unit: str = ""
    definition: Definition | None = None  # indicators only
    kinds: tuple[str, ...] = UNIT_KINDS
    levels: tuple[str, ...] = LEVELS
    normalise: str | None = None  # per-indicator override
    goalposts: tuple[float, float] | None = None  # (worst, best) in raw units
    aggregate: str | None = None  # aggregates: the method for this node's children
    source: str = ""
    description: str = ""

    @property
    def is_indicator(self) -> bool:
        return self.definition is not None


@dataclass(frozen=True)
class Grade:
    code: str
    min: float
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Veto:
    code: str
    indicator: str
    op: str
    value: float
    cap: str
    reason_zh: str
    reason_en: str

    def reason(self, lang: str) -> str:
        """The reason in `lang` ("zh" or "en"), the other language when that one is empty."""
        zh, en = self.reason_zh, self.reason_en
        return (zh or en) if lang == "zh" else (en or zh)


@dataclass(frozen=True)
class Framework:
    code: str
    name_zh: str
    name_en: str
    version: str
    nodes: tuple[Node, ...]  # index first, then breadth-first; indicators included
    auxiliary: tuple[Node, ...]  # computed indicators outside the index (for vetoes, alerts, models)
    methods: dict
    grades: tuple[Grade, ...]  # best first
    vetoes: tuple[Veto, ...]
    alerts: tuple[dict, ...]
    lifecycle: Lifecycle
    uncertainty: dict
    model: dict
    honours: dict  # {indicator, reason_zh, reason_en}: a value above zero makes a unit ineligible
    sha256: str
    # tables without which a rating is not published as official, and the least share of the
    # index weight its computable indicators must carry (docs/framework.md, [publication])
    publication: dict = field(default_factory=lambda: dict(DEFAULT_PUBLICATION))
    source: str = field(default="", compare=False)

    @property
    def indicators(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.is_indicator)

    @property
    def computed(self) -> tuple[Node, ...]:
        """Every indicator with a definition: those in the index and the auxiliary ones."""
        return self.indicators + self.auxiliary

    @property
    def aggregates(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if not n.is_indicator)

    def node(self, code: str) -> Node:
        for n in self.nodes + self.auxiliary:
            if n.code == code:
                return n
        raise KeyError(code)

    def children(self, code: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.parent == code)

    #: The alert levels, most severe first, and their severity (4 = red ... 1 = blue).
    alert_levels: ClassVar[tuple[str, ...]] = ALERT_LEVELS
    alert_rank: ClassVar[dict[str, int]] = ALERT_RANK

    def aggregation_of(self, node: Node | str) -> tuple[str, tuple]:
        """How an aggregate combines its children, as `(name, params)`: the node's own method,
        else the one of its depth (`methods.levels`), else the framework's default.

        Examples
        --------
        >>> from indicators.framework_load import load_framework
        >>> fw = load_framework()
        >>> fw.aggregation_of("GDI"), fw.with_methods(aggregate="generalised:2").aggregation_of("GDI")
        (('arithmetic', ()), ('generalised', (2.0,)))
        """
        node = self.node(node) if isinstance(node, str) else node
        levels = self.methods.get("levels") or {}
        return parse_spec(node.aggregate or levels.get(str(self.depth(node.code))) or self.methods["aggregate"])

    def normalisation_of(self, indicator: Node | str) -> tuple[str, tuple]:
        """How an indicator is normalised, as `(name, params)`: its own method or the default.
        `goalposts` takes the indicator's (worst, best) times its direction, the space its
        direction-adjusted values are in, scaled to 0-100; without goalposts, the default method.

        Examples
        --------
        >>> from indicators.framework_load import load_framework
        >>> fw = load_framework()
        >>> import dataclasses
        >>> n = dataclasses.replace(fw.node("contract_breach_rate"), normalise="goalposts")
        >>> n.goalposts, n.direction, n.normalise
        ((0.3, 0.0), -1, 'goalposts')
        >>> fw.normalisation_of(n), fw.normalisation_of("broken_commitment_per_100_staff")
        (('goalposts', (-0.3, -0.0, 100.0)), ('zscore', (50.0, 10.0)))
        """
        n = self.node(indicator) if isinstance(indicator, str) else indicator
        name, params = parse_spec(n.normalise or self.methods["normalise"])
        if name != "goalposts":
            return name, params
        if n.goalposts is None:
            return parse_spec(self.methods["normalise"])
        worst, best = n.goalposts
        return name, (worst * n.direction, best * n.direction, 100.0)

    def weight_shares(self) -> dict[str, float]:
        """Each node's weight as a share of its siblings' weights (the index: 1; siblings whose
        weights are all zero: 0, see `indicators.hierarchy`)."""
        return dict(zip((n.code for n in self.nodes),
                        weight_shares(*zip(*((n.code, n.parent, n.weight) for n in self.nodes)))))

    def effective_weights(self) -> dict[str, float]:
        """Each node's nominal share of the index: the product of its within-parent shares up to
        the index, for a unit where every node applies and has a value.

        Examples
        --------
        >>> from indicators.framework_load import load_framework
        >>> fw = load_framework()
        >>> eff = fw.effective_weights()
        >>> eff["GDI"], round(sum(eff[n.code] for n in fw.indicators), 9)
        (1.0, 1.0)
        """
        return dict(zip((n.code for n in self.nodes),
                        effective_weights(*zip(*((n.code, n.parent, n.weight) for n in self.nodes)))))

    def veto(self, code: str) -> Veto:
        for v in self.vetoes:
            if v.code == code:
                return v
        raise KeyError(code)

    def vetoes_in(self, cell: str | None) -> tuple[Veto, ...]:
        """The vetoes named in a `veto` cell of the scores (codes joined by `VETO_SEPARATOR`),
        in the framework's order; codes the framework does not have are left out."""
        codes = set(str(cell).split(VETO_SEPARATOR)) if cell else set()
        return tuple(v for v in self.vetoes if v.code in codes)

    def with_weights(self, weights: dict[str, float]) -> "Framework":
        """A copy with other node weights, e.g. `fw.with_weights({"fiscal": 0.4})`.

        >>> from indicators.framework_load import load_framework
        >>> fw = load_framework()
        >>> fw.with_weights({"fiscal": 0.4}).node("fiscal").weight
        0.4
        """
        unknown = set(weights) - {n.code for n in self.nodes}
        if unknown:
            raise FrameworkError(f"unknown node(s) {sorted(unknown)}; weights apply to dimensions and indicators")
        if any(w < 0 for w in weights.values()):
            raise FrameworkError("weights must be >= 0")
        nodes = tuple(replace(n, weight=float(weights[n.code])) if n.code in weights else n for n in self.nodes)
        return self._derived(nodes=nodes)

    def with_methods(self, **methods) -> "Framework":
        """A copy with other methods, e.g. `fw.with_methods(aggregate="geometric")`."""
        unknown = set(methods) - set(self.methods)
        if unknown:
            raise FrameworkError(f"unknown method setting(s) {sorted(unknown)}; expected some of {sorted(self.methods)}")
        return self._derived(methods={**self.methods, **methods})

    def _derived(self, **changes) -> "Framework":
        fw = replace(self, **changes)
        digest = hashlib.sha256(repr((fw.nodes, sorted(fw.methods.items()), self.sha256)).encode("utf-8")).hexdigest()
        return replace(fw, sha256=digest, source=f"{self.source} (modified)")

    def without(self, codes) -> "Framework":
        """A copy without the index indicators `codes` (e.g. those of an absent table), and
        without every aggregate left with no children; the weights of what remains are
        renormalised by aggregation as usual. Auxiliary indicators, vetoes and alerts stay.

        >>> from indicators.framework_load import load_framework
        >>> fw = load_framework()
        >>> out = [n.code for n in fw.indicators if n.parent != "fiscal"]
        >>> [n.code for n in fw.without(out).aggregates]
        ['GDI', 'fiscal']
        """
        drop = set(codes)
        nodes = [n for n in self.nodes if n.code not in drop]
        while True:
            parents = {n.parent for n in nodes}
            empty = {n.code for n in nodes if not n.is_indicator and n.code not in parents}
            if not empty:
                break
            nodes = [n for n in nodes if n.code not in empty]
        if not drop:
            return self
        return self._derived(nodes=tuple(nodes))

    def depth(self, code: str) -> int:
        """0 for the index, 1 for its children, ..."""
        d, node = 0, self.node(code)
        while node.parent is not None:
            node, d = self.node(node.parent), d + 1
        return d
