"""Validation of a parsed framework document, collecting every problem before raising.

Each problem is one line: `[code] path: what is wrong; what was expected`. Codes are stable so
that tests and evaluators can rely on them: duplicate_code, missing_key, unknown_key,
unknown_table, unknown_column, missing_parent, cycle, negative_weight, no_definition,
bad_value (an enumeration typo or a value of the wrong type), no_root.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math

from indicators.contract import LEVELS, RECORD_TABLES, TABLES, UNIT_KINDS
from indicators.errors import FrameworkError
from indicators.framework import (
    ALERT_KEYS, ALERT_KINDS, ALERT_LEVELS, DEFAULT_PUBLICATION, MEASURES, OPERATORS, PEER_GROUPS, SCOPES, SHRINK,
    SMALL_DENOMINATOR,
    Condition, Definition, Framework, Grade, Node, Veto,
)
from indicators.lifecycle import Lifecycle
from indicators.model_config import ALERT_ACTION_KEYS, REMOVED_KEYS, ModelConfig, alert_action_problems

TOP_KEYS = {"framework", "methods", "lifecycle", "dimension", "indicator", "grade", "veto",
            "alert", "uncertainty", "model", "honours", "publication"}
NODE_KEYS = {"code", "parent", "name_zh", "name_en", "weight", "aggregate", "description"}
INDICATOR_KEYS = NODE_KEYS | {
    "direction", "unit", "kinds", "levels", "normalise", "goalposts", "source",
    "table", "measure", "where", "numerator", "column", "denominator_column", "start", "end",
    "weight_column", "weights", "per", "scale", "date", "window", "min_denominator",
    "small_denominator", "scope", "shrink", "min_count",
}
DEFAULT_METHODS = {
    "treat": "none", "impute": "none", "normalise": "minmax:0,100", "aggregate": "arithmetic",
    "data_threshold": 0.5, "normalise_over": "year", "peer_group": "kind-level", "outlook_change": 3.0,
    "min_count": 0, "experience_years": 1, "experience_discount": 0.5,
}
DEFAULT_UNCERTAINTY = {
    "replications": 1000, "weight_noise": 0.25, "weight_noise_on": "all", "impute": [], "treat": [],
    "normalise": [], "aggregate": [], "leave_one_out": False, "invalid": "error", "borderline": 0.9,
    "sensitivity": 250, "bootstrap": 500, "data": "none", "data_draws": 100, "composite_bootstrap": "none",
}
MAX_WINDOW = 50  # years: a window over every year the data can hold (1990 onwards)
MAX_REPLICATIONS = 100_000  # Monte Carlo draws, sensitivity base sample, bootstrap resamples


def _fits(column_type: str, value) -> bool:
    """True when a framework value can be compared with a column of `column_type`."""
    if column_type == "BOOLEAN":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if column_type in ("BIGINT", "DOUBLE"):
        return isinstance(value, (int, float)) and math.isfinite(value)
    if column_type in ("DATE", "TIMESTAMP"):
        if isinstance(value, (dt.date, dt.datetime)):
            return True
        try:
            (dt.date if column_type == "DATE" else dt.datetime).fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    return isinstance(value, str)


def _closest(value: str, options) -> str:
    near = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"expected one of {', '.join(map(str, options))}{hint}"


class Checker:
    def __init__(self, doc: dict, source: str, sha256: str):
        self.doc, self.source, self.sha256 = doc, source, sha256
        self.problems: list[str] = []

    def problem(self, code: str, path: str, message: str) -> None:
        self.problems.append(f"[{code}] {path}: {message}")

    def enum(self, path: str, value, options) -> bool:
        if not isinstance(value, (str, int, float)) or value not in options:
            self.problem("bad_value", path, f"{value!r} is not allowed; {_closest(value, options)}")
            return False
        return True

    def number(self, path: str, value, default=None):
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.problem("bad_value", path, f"{value!r} is not a (finite) number")
            return default
        return float(value)

    def whole(self, path: str, value, low: int, high: int | None = None) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            span = f">= {low}" if high is None else f"from {low} to {high}"
            self.problem("bad_value", path, f"{value!r} is not a whole number {span}")

    def texts(self, path: str, value, options=None) -> tuple:
        """A list of texts (each one of `options` when given) as a tuple; a problem otherwise."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem("bad_value", path, f"{value!r} is not a list of texts")
            return ()
        for v in value if options else ():
            self.enum(path, v, options)
        return tuple(value)

    def table(self, name: str) -> dict:
        """A `[name]` section, or {} with a problem when it is something else."""
        value = self.doc.get(name, {})
        if not isinstance(value, dict):
            self.problem("bad_value", name, "expected a table ([section])")
            return {}
        return value

    def entries(self, name: str) -> list:
        """The `[[name]]` entries; anything else is a problem."""
        value = self.doc.get(name, [])
        if not isinstance(value, list):
            self.problem("bad_value", name, f"expected a list of tables ([[{name}]])")
            return []
        return value

    def keys(self, path: str, entry: dict, allowed: set, required: tuple) -> None:
        if not isinstance(entry, dict):
            self.problem("bad_value", path, "expected a table")
            return
        for k in required:
            if k not in entry:
                self.problem("missing_key", f"{path}.{k}", "required key is missing")
        for k in entry:
            if k not in allowed:
                self.problem("unknown_key", f"{path}.{k}", f"unknown key; {_closest(k, sorted(allowed))}")

    # -- parts ---------------------------------------------------------------------------
    def conditions(self, path: str, table: str | None, raw) -> tuple[Condition, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem("bad_value", path, "expected a list of conditions")
            return ()
        out = []
        cols = TABLES[table].column_names if table in TABLES else None
        for i, c in enumerate(raw):
            p = f"{path}[{i}]"
            if not isinstance(c, dict) or "column" not in c or len(c) != 2:
                self.problem("bad_value", p, "expected {column = NAME, <operator> = VALUE}")
                continue
            column = c["column"]
            (op, value), = [(k, v) for k, v in c.items() if k != "column"]
            if not isinstance(column, str):
                self.problem("bad_value", f"{p}.column", f"{column!r} is not a column name")
                continue
            if cols is not None and column not in cols:
                self.problem("unknown_column", f"{p}.column", f"table {table!r} has no column {column!r}; {_closest(column, cols)}")
            if not self.enum(f"{p}.{op}", op, OPERATORS):
                continue
            kind = TABLES[table].column(column).type if cols is not None and column in cols else None
            if op.endswith("_column") and not isinstance(value, str):
                self.problem("bad_value", f"{p}.{op}", f"{value!r} is not a column name")
                continue
            if op.endswith("_column") and cols is not None and value not in cols:
                self.problem("unknown_column", f"{p}.{op}", f"table {table!r} has no column {value!r}; {_closest(value, cols)}")
            if op in ("in", "not_in"):
                if not isinstance(value, list):
                    self.problem("bad_value", f"{p}.{op}", "expected a list")
                    continue
                enum = TABLES[table].column(column).enum if cols is not None and column in cols else None
                for v in value if enum else ():
                    self.enum(f"{p}.{op}", v, enum)
                if kind and not all(_fits(kind, v) for v in value):
                    self.problem("bad_value", f"{p}.{op}", f"{value!r}: every value must suit column {column!r} ({kind})")
                value = tuple(value)
            elif op == "is_null":
                if not isinstance(value, bool):
                    self.problem("bad_value", f"{p}.{op}", f"{value!r} is not true or false")
            elif op in ("eq", "ne") and cols is not None and column in cols:
                enum = TABLES[table].column(column).enum
                if enum:
                    self.enum(f"{p}.{op}", value, enum)
            if kind and op not in ("in", "not_in", "is_null") and not op.endswith("_column") and not _fits(kind, value):
                self.problem("bad_value", f"{p}.{op}", f"{value!r} cannot be compared with column {column!r} ({kind})")
            out.append(Condition(column, op, value))
        return tuple(out)

    def definition(self, path: str, e: dict) -> Definition | None:
        table, measure = e.get("table"), e.get("measure")
        if table is None and measure is None:
            return None
        ok = True
        if not isinstance(table, str) or table not in TABLES:
            self.problem("unknown_table", f"{path}.table", f"unknown table {table!r}; {_closest(table, list(TABLES))}")
            ok = False
        if not self.enum(f"{path}.measure", measure, MEASURES):
            ok = False
        cols = TABLES[table].column_names if ok else ()
        for key in ("column", "denominator_column", "start", "end", "weight_column", "date"):
            v = e.get(key)
            if v is not None and not isinstance(v, str):
                self.problem("bad_value", f"{path}.{key}", f"{v!r} is not a column name")
                ok = False
            elif v is not None and cols and v not in cols:
                self.problem("unknown_column", f"{path}.{key}", f"table {table!r} has no column {v!r}; {_closest(v, cols)}")
        need = {"sum": ("column",), "mean": ("column",), "ratio": ("column", "denominator_column"),
                "median_days": ("start", "end"), "weighted_count": ("weight_column", "weights"),
                "share": ("numerator",), "value": ("column",)}.get(measure if isinstance(measure, str) else "", ())
        for k in need:
            if k not in e:
                self.problem("missing_key", f"{path}.{k}", f"measure {measure!r} needs {k!r}")
        per = e.get("per")
        if per is not None and (not isinstance(per, str) or per not in TABLES["unit_stats"].column_names[2:]):
            self.problem("unknown_column", f"{path}.per", f"unit_stats has no column {per!r}; {_closest(per, TABLES['unit_stats'].column_names[2:])}")
        window = e.get("window", 1)
        if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= MAX_WINDOW:
            self.problem("bad_value", f"{path}.window", f"{window!r} is not a whole number of years from 1 to {MAX_WINDOW}")
            window = 1
        if "small_denominator" in e:
            self.enum(f"{path}.small_denominator", e["small_denominator"], SMALL_DENOMINATOR)
        if "scope" in e:
            self.enum(f"{path}.scope", e["scope"], SCOPES)
        if "shrink" in e:
            self.enum(f"{path}.shrink", e["shrink"], SHRINK)
        weights = e.get("weights", {})
        if not isinstance(weights, dict):
            self.problem("bad_value", f"{path}.weights", "expected a table of value = weight")
            weights = {}
        if not ok:
            return None
        date = e.get("date") or TABLES[table].date_column or TABLES[table].year_column
        return Definition(
            table=table, measure=measure,
            where=self.conditions(f"{path}.where", table, e.get("where")),
            numerator=self.conditions(f"{path}.numerator", table, e.get("numerator")),
            column=e.get("column"), denominator_column=e.get("denominator_column"),
            start=e.get("start"), end=e.get("end"), weight_column=e.get("weight_column"),
            weights=tuple(sorted((str(k), self.number(f"{path}.weights.{k}", v, 0.0)) for k, v in weights.items())),
            per=per, scale=self.number(f"{path}.scale", e.get("scale"), 1.0),
            date=date, window=window,
            min_denominator=self.number(f"{path}.min_denominator", e.get("min_denominator"), 0.0),
            small_denominator=e.get("small_denominator", "missing"), scope=e.get("scope", "region"),
            shrink=e.get("shrink", "auto") if e.get("shrink", "auto") in SHRINK else "auto",
            min_count=None if e.get("min_count") is None else self.number(f"{path}.min_count", e.get("min_count"), 0.0),
        )

    def node(self, path: str, e: dict, indicator: bool) -> Node | None:
        if not isinstance(e, dict):
            self.problem("bad_value", path, "expected a table")
            return None
        code = e.get("code")
        self.keys(f"{path} ({code})" if isinstance(code, str) else path, e, INDICATOR_KEYS if indicator else NODE_KEYS,
                  ("code", "name_zh", "name_en") + (("parent",) if not indicator else ()))
        if not isinstance(code, str) or not code or not (code[0].isalpha() and code.replace("_", "").isalnum()):
            self.problem("bad_value", f"{path}.code", f"{code!r} is not a code (letters, digits, _; starting with a letter)")
            return None
        path = f"{path} ({code})"
        weight = self.number(f"{path}.weight", e.get("weight"), 1.0)
        if weight is not None and weight < 0:
            self.problem("negative_weight", f"{path}.weight", f"weight {weight:g} is negative; weights must be >= 0")
        definition = self.definition(path, e) if indicator else None
        if indicator and definition is None and not any(p.startswith(f"[unknown_table] {path}") or p.startswith(f"[bad_value] {path}.measure") for p in self.problems):
            self.problem("no_definition", path, "an indicator needs a definition (table and measure)")
        direction = e.get("direction", 1)
        if indicator and direction not in (1, -1):
            self.problem("bad_value", f"{path}.direction", f"{direction!r} is not allowed; expected 1 or -1")
        kinds = self.texts(f"{path}.kinds", e.get("kinds", list(UNIT_KINDS)), UNIT_KINDS)
        levels = self.texts(f"{path}.levels", e.get("levels", list(LEVELS)), LEVELS)
        goalposts = e.get("goalposts")
        if goalposts is not None:
            if not (isinstance(goalposts, list) and len(goalposts) == 2 and all(isinstance(g, (int, float)) and not isinstance(g, bool) and math.isfinite(g) for g in goalposts) and goalposts[0] != goalposts[1]):
                self.problem("bad_value", f"{path}.goalposts", "expected [worst, best], two different numbers")
                goalposts = None
            else:
                goalposts = (float(goalposts[0]), float(goalposts[1]))
        return Node(
            code=code, parent=e.get("parent"), name_zh=str(e.get("name_zh", code)), name_en=str(e.get("name_en", code)),
            weight=weight if weight is not None else 1.0, direction=direction if direction in (1, -1) else 1,
            unit=str(e.get("unit", "")), definition=definition, kinds=kinds, levels=levels,
            normalise=e.get("normalise"), goalposts=goalposts, aggregate=e.get("aggregate"),
            source=str(e.get("source", "")), description=str(e.get("description", "")),
        )

    def hierarchy(self, root: Node, dims: list[Node], inds: list[Node]) -> tuple[tuple[Node, ...], tuple[Node, ...]]:
        nodes = [root, *dims, *[n for n in inds if n.parent is not None]]
        auxiliary = tuple(n for n in inds if n.parent is None)
        by_code: dict[str, Node] = {}
        for n in nodes + list(auxiliary):
            if n.code in by_code:
                self.problem("duplicate_code", n.code, "code used more than once")
            by_code[n.code] = n
        for n in nodes[1:]:
            if n.parent not in by_code:
                self.problem("missing_parent", f"{n.code}.parent", f"parent {n.parent!r} does not exist")
            elif by_code[n.parent].is_indicator:
                self.problem("missing_parent", f"{n.code}.parent", f"parent {n.parent!r} is an indicator, not a dimension")
        reported = set()
        for n in nodes[1:]:  # cycles: walk up from every node, report each loop once
            path, cur = [n.code], n
            while cur.parent in by_code and cur.parent != root.code:
                cur = by_code[cur.parent]
                if cur.code in path:
                    loop = path[path.index(cur.code):]
                    start = loop.index(min(loop))
                    loop = loop[start:] + loop[:start]
                    if tuple(loop) not in reported:
                        reported.add(tuple(loop))
                        self.problem("cycle", f"{loop[0]}.parent", "parents form a cycle: " + " -> ".join(loop + loop[:1]))
                    break
                path.append(cur.code)
        for d in dims:
            if not any(m.parent == d.code for m in nodes):
                self.problem("no_definition", d.code, "a dimension without children: give it indicators or remove it")
        if self.problems:
            return tuple(nodes), auxiliary
        order, frontier = [root], [root.code]
        while frontier:  # breadth-first, file order within a parent
            frontier = [m.code for p in frontier for m in nodes if m.parent == p and not order.append(m)]
        return tuple(order), auxiliary

    def build(self) -> Framework:
        d = self.doc
        for k in d:
            if k not in TOP_KEYS:
                self.problem("unknown_key", k, f"unknown section; {_closest(k, sorted(TOP_KEYS))}")
        head = self.table("framework")
        self.keys("framework", head, {"code", "name_zh", "name_en", "version", "description"}, ("code", "name_zh", "name_en"))
        if not isinstance(head.get("code", "INDEX"), str):
            self.problem("bad_value", "framework.code", f"{head.get('code')!r} is not a code")
        raw_methods = self.table("methods")
        root = Node(code=str(head.get("code", "INDEX")), parent=None, name_zh=str(head.get("name_zh", "")),
                    name_en=str(head.get("name_en", "")))  # its method: Framework.aggregation_of
        dims = [n for i, e in enumerate(self.entries("dimension")) if (n := self.node(f"dimension[{i}]", e, False))]
        inds = [n for i, e in enumerate(self.entries("indicator")) if (n := self.node(f"indicator[{i}]", e, True))]
        if not any(n.parent == root.code for n in dims + inds):
            self.problem("no_root", "framework.code", f"nothing has the index {root.code!r} as parent")
        nodes, auxiliary = self.hierarchy(root, dims, inds)
        methods = {**DEFAULT_METHODS, **raw_methods}
        self.keys("methods", methods, set(DEFAULT_METHODS) | {"levels"}, ())
        for k in ("treat", "impute", "normalise", "aggregate"):
            if not isinstance(methods[k], str):
                self.problem("bad_value", f"methods.{k}", f"{methods[k]!r} is not a method (METHOD[:PARAMS])")
        if not 0 <= self.number("methods.data_threshold", methods["data_threshold"], 0.0) <= 1:
            self.problem("bad_value", "methods.data_threshold", "expected a number between 0 and 1")
        self.number("methods.outlook_change", methods["outlook_change"])
        levels = methods.get("levels", {})
        if not isinstance(levels, dict) or not all(isinstance(v, str) for v in levels.values()):
            self.problem("bad_value", "methods.levels", "expected a table of depth = METHOD")
        self.enum("methods.normalise_over", methods["normalise_over"], ("pooled", "year"))
        # within peer groups; group imputation by another column is offered for COINr tables (rating score)
        self.enum("methods.impute", methods["impute"], ("none", "mean", "median"))
        self.enum("methods.treat", str(methods["treat"]).partition(":")[0], ("none", "winsorise", "boxcox"))
        self.enum("methods.peer_group", methods["peer_group"], PEER_GROUPS)
        if self.number("methods.min_count", methods["min_count"], 0.0) < 0:
            self.problem("bad_value", "methods.min_count", "expected a count of 0 or more")
        self.whole("methods.experience_years", methods["experience_years"], 0, MAX_WINDOW)
        if not 0 < self.number("methods.experience_discount", methods["experience_discount"], 1.0) <= 1:
            self.problem("bad_value", "methods.experience_discount", "expected a number above 0 and at most 1")
        grades = self.grades(self.entries("grade"))
        vetoes = self.vetoes(self.entries("veto"), {n.code for n in nodes + auxiliary if n.is_indicator}, {g.code for g in grades})
        alerts = self.alerts(self.entries("alert"), {n.code for n in nodes + auxiliary})
        honours = dict(self.table("honours"))
        self.keys("honours", honours, {"indicator", "reason_zh", "reason_en"}, ("indicator",) if honours else ())
        if honours and not (isinstance(honours.get("indicator"), str)
                            and honours["indicator"] in {n.code for n in nodes + auxiliary}):
            self.problem("unknown_column", "honours.indicator", f"unknown indicator {honours.get('indicator')!r}")
        raw_uncertainty = self.table("uncertainty")
        self.keys("uncertainty", raw_uncertainty, set(DEFAULT_UNCERTAINTY), ())
        unc = {**DEFAULT_UNCERTAINTY, **raw_uncertainty}
        for k in ("replications", "sensitivity", "bootstrap"):
            self.whole(f"uncertainty.{k}", unc[k], 0, MAX_REPLICATIONS)
        for k in ("weight_noise", "borderline"):
            if not 0 <= self.number(f"uncertainty.{k}", unc[k], 0.0) <= 1:
                self.problem("bad_value", f"uncertainty.{k}", "expected a number between 0 and 1")
        for k in ("impute", "treat", "normalise", "aggregate"):
            self.texts(f"uncertainty.{k}", unc[k])
        if not isinstance(unc["leave_one_out"], bool):
            self.problem("bad_value", "uncertainty.leave_one_out", "expected true or false")
        for k in ("weight_noise_on", "invalid"):
            if not isinstance(unc[k], str):
                self.problem("bad_value", f"uncertainty.{k}", f"{unc[k]!r} is not a text")
        raw_model = self.table("model")
        self.keys("model", raw_model, set(ModelConfig.__dataclass_fields__) | set(REMOVED_KEYS), ())  # removed: from_table
        model_config, problems = ModelConfig.from_table(raw_model)
        self.problems += problems
        publication = {**DEFAULT_PUBLICATION, **self.table("publication")}
        self.keys("publication", publication, set(DEFAULT_PUBLICATION), ())
        required = publication["required_tables"]
        if not isinstance(required, list) or any(t not in RECORD_TABLES for t in required):
            self.problem("bad_value", "publication.required_tables",
                         f"expected a list of record tables ({', '.join(RECORD_TABLES)})")
        if not 0 <= self.number("publication.min_covered_weight", publication["min_covered_weight"], 0.0) <= 1:
            self.problem("bad_value", "publication.min_covered_weight", "expected a number between 0 and 1")
        lc = self.table("lifecycle")
        self.keys("lifecycle", lc, set(Lifecycle.__dataclass_fields__), ())
        for k in ("count_repaired_after_repair", "count_under_objection", "count_revoked"):
            if k in lc and not isinstance(lc[k], bool):
                self.problem("bad_value", f"lifecycle.{k}", "expected true or false")
        lifecycle = Lifecycle(**{k: v for k, v in lc.items() if k in Lifecycle.__dataclass_fields__})
        if not 0 <= self.number("lifecycle.rectified_weight", lifecycle.rectified_weight, 0.0) <= 1:
            self.problem("bad_value", "lifecycle.rectified_weight", "expected a number between 0 and 1")
        if self.problems:
            raise FrameworkError(f"{self.source}: {len(self.problems)} problem(s) in the framework", self.problems)
        return Framework(
            code=root.code, name_zh=root.name_zh, name_en=root.name_en, version=str(head.get("version", "")),
            nodes=nodes, auxiliary=auxiliary, methods=methods, grades=grades, vetoes=vetoes, alerts=alerts,
            lifecycle=lifecycle, uncertainty=unc,
            model=model_config.as_dict(), honours=honours, publication=publication,
            sha256=self.sha256, source=self.source,
        )

    def grades(self, raw: list) -> tuple[Grade, ...]:
        out = []
        for i, g in enumerate(raw):
            self.keys(f"grade[{i}]", g, {"code", "min", "name_zh", "name_en"}, ("code", "min"))
            if not isinstance(g, dict):
                continue
            out.append(Grade(str(g.get("code")), self.number(f"grade[{i}].min", g.get("min"), 0.0),
                             str(g.get("name_zh", g.get("code"))), str(g.get("name_en", g.get("code")))))
        if not out:
            self.problem("missing_key", "grade", "the framework needs a grade scale ([[grade]] entries)")
        return tuple(sorted(out, key=lambda g: -g.min))

    def vetoes(self, raw: list, indicators: set, grades: set) -> tuple[Veto, ...]:
        out = []
        for i, v in enumerate(raw):
            p = f"veto[{i}]"
            self.keys(p, v, {"code", "indicator", "op", "value", "cap", "reason_zh", "reason_en"}, ("code", "indicator", "op", "value", "cap"))
            if not isinstance(v, dict):
                continue
            code = v.get("code")
            if "code" in v and not (isinstance(code, str) and code[:1].isalpha() and code.replace("_", "").isalnum()):
                self.problem("bad_value", f"{p}.code", f"{code!r} is not a code (letters, digits, _; starting with a letter)")
            if not isinstance(v.get("indicator"), str) or v.get("indicator") not in indicators:
                self.problem("unknown_column", f"{p}.indicator", f"unknown indicator {v.get('indicator')!r}; {_closest(v.get('indicator'), sorted(indicators))}")
            self.enum(f"{p}.op", v.get("op"), ("gt", "ge", "lt", "le", "eq"))
            self.enum(f"{p}.cap", v.get("cap"), sorted(grades))
            out.append(Veto(str(v.get("code")), str(v.get("indicator")), str(v.get("op")), self.number(f"{p}.value", v.get("value"), 0.0),
                            str(v.get("cap")), str(v.get("reason_zh", "")), str(v.get("reason_en", ""))))
        return tuple(out)

    def alerts(self, raw: list, codes: set) -> tuple[dict, ...]:
        """The `[[alert]]` entries, checked, with the defaults of their kind filled in and their
        `where` conditions parsed (docs/early-warning.md)."""
        common = {"code", "kind", "level", "message_zh", "message_en", "description"} | set(ALERT_ACTION_KEYS)
        tables = {"event": "failure_records", "overdue": "contracts"}
        out, seen = [], set()

        def count(path, value, low, high=None, whole=True):
            ok = (
                not isinstance(value, bool)
                and isinstance(value, int if whole else (int, float))
                and value >= low
                and (high is None or value <= high)
            )
            if not ok:
                span = f">= {low:g}" if high is None else f"between {low:g} and {high:g}"
                self.problem(
                    "bad_value",
                    path,
                    f"{value!r} is not {'a whole number' if whole else 'a number'} {span}",
                )

        for i, a in enumerate(raw):
            p = f"alert[{i}]"
            if not isinstance(a, dict):
                self.problem("bad_value", p, "expected a table")
                continue
            code = a.get("code")
            if isinstance(code, str):
                p = f"alert[{i}] ({code})"
            if not self.enum(f"{p}.kind", a.get("kind"), ALERT_KINDS):
                continue
            kind, spec = a["kind"], ALERT_KEYS[a["kind"]]
            self.keys(
                p,
                a,
                common | set(spec["required"]) | set(spec["optional"]),
                ("code",) + spec["required"],
            )
            if "code" in a and not (
                isinstance(code, str)
                and code
                and code[0].isalpha()
                and code.replace("_", "").isalnum()
            ):
                self.problem(
                    "bad_value",
                    f"{p}.code",
                    f"{code!r} is not a code (letters, digits, _; starting with a letter)",
                )
            elif code in ("hold", "risk_model"):
                self.problem(
                    "bad_value", f"{p}.code", f"{code!r} is reserved for model alerts; choose another code"
                )
            elif code in seen:
                self.problem(
                    "duplicate_code", f"{p}.code", f"alert code {code!r} used more than once"
                )
            if isinstance(code, str):
                seen.add(code)
            if "indicator" in a and (not isinstance(a["indicator"], str) or a["indicator"] not in codes):
                self.problem(
                    "unknown_column",
                    f"{p}.indicator",
                    f"unknown indicator {a['indicator']!r}; {_closest(a['indicator'], sorted(codes))}",
                )
            targets = {"score", "grade"} | codes
            if "target" in a and (not isinstance(a["target"], str) or a["target"] not in targets):
                self.problem(
                    "unknown_column",
                    f"{p}.target",
                    f"unknown target {a['target']!r}; {_closest(a['target'], sorted(targets))}",
                )
            if "level" in a:
                self.enum(f"{p}.level", a["level"], ALERT_LEVELS)
            for problem in alert_action_problems(p, a):
                self.problem(*problem)
            if "message_zh" in a or "message_en" in a:
                for k in ("message_zh", "message_en"):
                    if not isinstance(a.get(k, ""), str):
                        self.problem("bad_value", f"{p}.{k}", "expected a text")
            entry = {**{k: v for k, v in spec["optional"].items() if v is not None}, **a}
            if kind in ("band", "threshold"):
                count(f"{p}.min_denominator", entry["min_denominator"], 0, whole=False)
            if kind == "band":
                bands = a.get("bands")
                if not isinstance(bands, list) or not bands:
                    self.problem(
                        "bad_value",
                        f"{p}.bands",
                        "expected a list of { min = NUMBER, level = LEVEL }",
                    )
                    bands = []
                for j, b in enumerate(bands):
                    if not isinstance(b, dict):
                        self.problem(
                            "bad_value",
                            f"{p}.bands[{j}]",
                            "expected { min = NUMBER, level = LEVEL }",
                        )
                        continue
                    self.enum(f"{p}.bands[{j}].level", b.get("level"), ALERT_LEVELS)
                    if self.number(f"{p}.bands[{j}].min", b.get("min")) is None:
                        self.problem(
                            "missing_key", f"{p}.bands[{j}].min", "a band needs its lower bound"
                        )
            elif kind == "threshold":
                self.enum(f"{p}.op", a.get("op"), ("gt", "ge", "lt", "le", "eq"))
                self.number(f"{p}.value", a.get("value"))
            elif kind == "event":
                if ("indicator" in a) == ("where" in a):
                    self.problem(
                        "missing_key",
                        p,
                        "an event alert needs either 'indicator' or 'where', not both",
                    )
                self.number(f"{p}.value", entry["value"])
            elif kind == "trend":
                limits = [k for k in ("fall", "fall_sd", "notches") if k in a]
                if len(limits) != 1:
                    self.problem(
                        "missing_key",
                        p,
                        "a trend alert needs exactly one of 'fall', 'fall_sd', 'notches'",
                    )
                for k in limits:
                    count(f"{p}.{k}", a[k], 1 if k == "notches" else 0, whole=k == "notches")
                if ("notches" in a) != (a.get("target") == "grade"):
                    self.problem(
                        "bad_value",
                        f"{p}.target",
                        "'notches' goes with target = \"grade\", 'fall'/'fall_sd' with a score",
                    )
            elif kind == "peer":
                if a.get("target") == "grade":
                    self.problem(
                        "bad_value",
                        f"{p}.target",
                        "a peer alert needs a numeric target (a score or an indicator)",
                    )
                count(f"{p}.quantile", entry["quantile"], 0, 0.5, whole=False)
                count(f"{p}.periods", entry["periods"], 1)
                count(f"{p}.min_peers", entry["min_peers"], 1)
            elif kind == "spike":
                count(f"{p}.z", entry["z"], 0, whole=False)
                count(f"{p}.history", entry["history"], 2)
                count(
                    f"{p}.min_history",
                    entry["min_history"],
                    2,
                    entry["history"] if isinstance(entry["history"], int) else None,
                )
                count(f"{p}.min_tickets", entry["min_tickets"], 0, whole=False)
            elif kind == "overdue":
                if "share" in a:
                    count(f"{p}.share", a["share"], 0, 1, whole=False)
                count(f"{p}.days", entry["days"], 0)
            if "scope" in a:
                self.enum(f"{p}.scope", a["scope"], SCOPES)
            if "where" in a:
                entry["where"] = self.conditions(f"{p}.where", tables[kind], a["where"])
            out.append(entry)
        return tuple(out)
