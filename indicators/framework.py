"""The indicator framework: a TOML file declaring the whole index, parsed into frozen dataclasses.

Loading checks everything an evaluator can get wrong and reports every problem at once, each
with a stable code and the path of the offending entry (e.g. `indicator[3].table`), the way
COINr's check_iMeta names codes. Nothing here touches data.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from indicators.contract import TABLES, UNIT_KINDS, LEVELS
from indicators.errors import FrameworkError
from indicators.lifecycle import Lifecycle

MEASURES = ("count", "weighted_count", "sum", "share", "ratio", "mean", "median_days", "value")
OPERATORS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "is_null",
             "lt_column", "le_column", "gt_column", "ge_column")
SMALL_DENOMINATOR = ("missing", "shrink")
SCOPES = ("unit", "region")
ALERT_KINDS = ("band", "threshold", "event", "trend", "peer", "spike", "overdue")
ALERT_LEVELS = ("red", "orange", "yellow", "blue")
# Keys of each alert kind besides code, kind, level, message_zh, message_en and description:
# the required ones, and the optional ones with their defaults (None: no default).
# docs/early-warning.md describes every kind and key.
ALERT_KEYS = {
    "band": {"required": ("indicator", "bands"), "optional": {"min_denominator": 0}},
    "threshold": {"required": ("indicator", "op", "value", "level"), "optional": {"min_denominator": 0}},
    "event": {"required": ("level",),
              "optional": {"indicator": None, "where": None, "value": 0, "scope": "region"}},
    "trend": {"required": ("target", "level"), "optional": {"fall": None, "fall_sd": None, "notches": None}},
    "peer": {"required": ("target", "level"),
             "optional": {"quantile": 0.1, "periods": 2, "min_peers": 10}},
    "spike": {"required": ("level",),
              "optional": {"z": 3.5, "history": 24, "min_history": 12, "min_tickets": 10}},
    "overdue": {"required": ("share", "level"),
                "optional": {"where": None, "days": 0, "scope": "region"}},
}
DEFAULT_PATH = "default_framework.toml"
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

    def with_weights(self, weights: dict[str, float]) -> "Framework":
        """A copy with other node weights, e.g. `fw.with_weights({"fiscal": 0.4})`.

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


def default_framework_path() -> Path:
    return Path(str(resources.files("indicators").joinpath(DEFAULT_PATH)))


def load_framework(path: str | Path | None = None) -> Framework:
    """Read and validate a framework file (the shipped default when `path` is None)."""
    path = Path(path) if path is not None else default_framework_path()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise FrameworkError(f"{path}: cannot read framework file ({e.strerror})") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise FrameworkError(f"{path}: not a valid TOML file: {e}") from None
    return parse_framework(doc, source=str(path), sha256=hashlib.sha256(raw).hexdigest())


def parse_framework(doc: dict, *, source: str = "<framework>", sha256: str = "") -> Framework:
    """Validate a parsed TOML document; raise FrameworkError listing every problem."""
    from indicators.framework_check import Checker

    return Checker(doc, source, sha256).build()
