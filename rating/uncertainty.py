"""Monte Carlo uncertainty analysis: ranks, scores and grades under uncertain assumptions.

`Assumptions` declares what is uncertain (a framework's `[uncertainty]` table). An `Experiment`
holds one index in matrix form with its nominal methods and resolved alternatives
(`experiment_from_scored`, `experiment_from_tables`). `uncertainty` samples the assumptions,
evaluates all replications at once (`rating.sensitivity.evaluate`) and summarises each row.

Notes
-----
Ranks are 1 = best, ties sharing the lowest rank, within `rank_groups` (framework: year, kind,
level; COINr tables: per `Time`); `rank_low`/`rank_median`/`rank_high` are 5th/50th/95th
percentile ranks (inverted CDF) over the replications in which the row has a score, where
`rank_high` counts a tie as the last of the positions it shares: units with equal scores share
one band of ranks rather than an arbitrary order. `borderline`:
the probability of the nominal grade is below `Assumptions.borderline` (0.9), which is close to
"the 90% score interval crosses a grade boundary" and also flags a nominal grade that is not the
most probable one. Grade probabilities assume alternative normalisations keep the grade scale;
the published ones are recomputed after vetoes and overrides (rating.grade.published_probabilities).
The sources of uncertainty and their calibration against the synthetic world: docs/uncertainty.md.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from indicators.errors import FrameworkError, MethodError
from rating import heap
from rating.aggregate import AGGREGATORS
from rating.coinr import _impute as impute_tables, indicator_params  # the scorer's own imputation
from rating.imeta import check_idata, check_imeta
from rating.groupwise import Groups, impute_groups
from rating.impute import IMPUTERS
from rating.normalise import NORMALISERS
from rating.resample import MODELS, DataModel, data_model
from rating.score import group_codes, peer_groups
from rating.ranks import missing, rank_dtype, rank_rows, threaded, tie_ends
from rating.sensitivity import (Design, Sensitivity, design, evaluate, factor_columns, indices, quantiles,
                                rank_matrix, saltelli_plan, year_rows)
from indicators.spec import format_spec, parse_spec
from rating.treat import TREATMENTS

RUN_KEYS = ("replications", "sensitivity", "bootstrap")
#: The composite-indicator bootstrap: off, the indicators of each aggregate, or every aggregate's children.
BOOTSTRAPS = ("none", "indicators", "all")
_KNOWN = {"impute": IMPUTERS, "treat": TREATMENTS, "normalise": NORMALISERS, "aggregate": AGGREGATORS}
_SWITCH = {"impute": ("none", "mean"), "treat": ("none", "winsorise")}


def _canon(spec: str) -> str:
    return format_spec(*parse_spec(spec))


@dataclass(frozen=True)
class Assumptions:
    """The uncertain assumptions (the keys of `[uncertainty]`). Each list gives the levels drawn
    uniformly (empty: the nominal method only); `impute`/`treat` may be a switch, `true` =
    `["none", "mean"]` / `["none", "winsorise"]`. `normalise` replaces the default method of
    indicators without their own, `aggregate` that of aggregates without their own (or level's).

    Examples
    --------
    >>> Assumptions.from_config({"weight_noise": 0.1, "treat": True, "replications": 50}).treat
    ('none', 'winsorise')
    """

    weight_noise: float = 0.25  # each weight times U(1 - a, 1 + a)
    weight_noise_on: str = "all"  # all | indicators | aggregates
    impute: tuple[str, ...] = ()
    treat: tuple[str, ...] = ()
    normalise: tuple[str, ...] = ()
    aggregate: tuple[str, ...] = ()
    leave_one_out: bool = False
    invalid: str = "error"  # error | shift
    borderline: float = 0.9  # borderline when P(nominal grade) < this
    data: str = "none"  # none | posterior: redraw the indicator values from their evidence (rating.resample)
    data_draws: int = 100  # distinct data sets; each replication uses one at random
    composite_bootstrap: str = "none"  # none | indicators | all: resample children with replacement

    def __post_init__(self):
        p = []
        for key in _KNOWN:  # a list, one method, or (impute, treat) a bool switch
            v = getattr(self, key)
            if isinstance(v, bool) and key not in _SWITCH:
                p.append(f"uncertainty.{key}: expected a list of methods, got {v!r}")
            try:
                v = (_SWITCH.get(key, ()) if v else ()) if isinstance(v, bool) else (v,) if isinstance(v, str) else tuple(v)
            except TypeError:
                p.append(f"uncertainty.{key}: expected a list of methods, got {v!r}")
                v = ()
            object.__setattr__(self, key, tuple(str(x) for x in v))
        num = lambda v, lo, hi: isinstance(v, (int, float)) and lo <= v <= hi  # noqa: E731
        checks = [("weight_noise", num(self.weight_noise, 0, 1) and self.weight_noise < 1, "a number 0 <= a < 1"),
                  ("weight_noise_on", self.weight_noise_on in ("all", "indicators", "aggregates"), "all, indicators or aggregates"),
                  ("invalid", self.invalid in ("error", "shift"), "error or shift"),
                  ("borderline", num(self.borderline, 0, 1) and self.borderline > 0, "a number 0 < level <= 1"),
                  ("leave_one_out", isinstance(self.leave_one_out, bool), "true or false"),
                  ("data", self.data in MODELS, " or ".join(MODELS)),
                  ("data_draws", isinstance(self.data_draws, int) and not isinstance(self.data_draws, bool)
                   and 1 <= self.data_draws <= 100_000, "a whole number from 1 to 100000"),
                  ("composite_bootstrap", self.composite_bootstrap in BOOTSTRAPS, " or ".join(BOOTSTRAPS))]
        p += [f"uncertainty.{k}: expected {want}, got {getattr(self, k)!r}" for k, ok, want in checks if not ok]
        for key, known in _KNOWN.items():
            for s in getattr(self, key):
                try:
                    if parse_spec(s)[0] not in known:
                        p.append(f"uncertainty.{key}: unknown method {s!r}; expected one of {sorted(known)}")
                except MethodError as e:
                    p.append(f"uncertainty.{key}: {e}")
        if p:
            raise FrameworkError(f"{len(p)} problem(s) in the uncertainty assumptions", p)

    @classmethod
    def from_config(cls, config: dict | None) -> "Assumptions":
        """From a `[uncertainty]` table; `replications`, `sensitivity` and `bootstrap` (run
        settings) are skipped, unknown keys raise `FrameworkError`."""
        names = {f.name for f in fields(cls)}
        bad = [f"uncertainty.{k}: unknown key; expected one of {sorted(names | set(RUN_KEYS))}"
               for k in (config or {}) if k not in names and k not in RUN_KEYS]
        if bad:
            raise FrameworkError("unknown key(s) in the uncertainty assumptions", bad)
        return cls(**{k: v for k, v in (config or {}).items() if k in names})


@dataclass(frozen=True)
class Experiment:
    """One index under uncertain assumptions: nodes are the indicators, then the aggregates from the
    deepest up, the index last; `levels[f]` are the labels of factor `f` (nominal first),
    `sampled[f]` the indices of those a replication draws from."""

    keys: pl.DataFrame
    nodes: tuple[str, ...]
    n_indicators: int
    children: tuple[np.ndarray, ...]  # per aggregate: node indices of its children
    weight: np.ndarray  # nominal weight per node
    noisy: np.ndarray  # bool per node: its weight gets noise
    direction: np.ndarray  # +1/-1 per indicator
    applicable: np.ndarray  # rows x nodes
    data: dict  # impute label -> (values rows x indicators, observed mask)
    treat: dict  # label -> (method, params)
    normalise: dict  # label -> per indicator (method, params)
    aggregate: dict  # label -> per aggregate (method, params)
    norm_groups: np.ndarray  # rows treated and normalised together
    rank_groups: np.ndarray  # rows ranked together
    data_threshold: float
    threshold_by: str  # "weight": share of applicable weight; "children": share of kept children
    levels: dict
    sampled: dict
    weight_noise: float = 0.25
    invalid: str = "error"
    borderline: float = 0.9
    grades: tuple = ()  # (code, min), best first
    draws: DataModel | None = None  # the data sets of the `data` factor (None: observed data only)
    refill: object = None  # (impute label, values) -> values imputed as the label says, for a data set
    bootstrap: str = "none"  # the `composite` factor: resample each aggregate's indicators, or every node's children


def _factor_levels(a: Assumptions, nominal: dict, indicators, draws: int = 0) -> tuple[dict, dict]:
    """Labels (nominal first) and sampled label indices of each factor; `draws` data sets."""
    levels, sampled = {}, {}
    for f in ("impute", "treat", "normalise", "aggregate"):
        alts = list(dict.fromkeys(_canon(s) for s in getattr(a, f)))
        labels = tuple(dict.fromkeys([_canon(nominal[f]), *alts]))
        levels[f], sampled[f] = labels, tuple(labels.index(s) for s in alts) or (0,)
    levels["leave_one_out"] = ("none", *indicators)
    sampled["leave_one_out"] = tuple(range(len(indicators) + 1)) if a.leave_one_out else (0,)
    levels["data"] = ("observed", *(f"draw {d}" for d in range(1, draws + 1)))
    sampled["data"] = tuple(range(1, draws + 1)) or (0,)
    return levels, sampled


def _groups(keys: pl.DataFrame, columns) -> np.ndarray:
    if not columns:
        return np.zeros(keys.height, dtype=np.int64)
    return keys.select(pl.struct(list(columns)).rank("dense") - 1).to_series().to_numpy().astype(np.int64)


def _noisy(n_nodes: int, k: int, on: str) -> np.ndarray:
    ind = np.arange(n_nodes) < k
    out = np.ones(n_nodes, bool) if on == "all" else ind if on == "indicators" else ~ind
    out[-1] = False  # the index has no weight
    return out


def _common(a: Assumptions, nominal: dict, codes, **kw) -> dict:
    draws = kw.get("draws")
    levels, sampled = _factor_levels(a, nominal, codes, a.data_draws if draws is not None else 0)
    n_nodes, k = len(kw["nodes"]), len(codes)
    return dict(levels=levels, sampled=sampled, weight_noise=float(a.weight_noise), invalid=a.invalid,
                borderline=float(a.borderline), noisy=_noisy(n_nodes, k, a.weight_noise_on), n_indicators=k,
                bootstrap=a.composite_bootstrap, **kw)


def experiment_from_scored(scored, framework, assumptions: Assumptions | None = None,
                           indicators: pl.DataFrame | None = None, seed: int = 0) -> Experiment:
    """The experiment of a scored framework (`rating.score.score`); assumptions default to the
    framework's `[uncertainty]` table. Imputation levels are `none`, `mean` and `median` within the
    normalisation peer groups; indicators with their own normalisation (goalposts) keep it. With
    `data = "posterior"` and the long `indicators` table (numerators and denominators), the data
    sets of the `data` factor are redrawn from that evidence (rating.resample) with `seed`.

    Examples
    --------
    >>> exp = experiment_from_scored(*demo_scored(), Assumptions(normalise=("rank",)))
    >>> exp.nodes, exp.levels["normalise"], exp.grades
    (('a', 'b', 'IDX'), ('minmax:0,100', 'rank'), (('A', 50.0), ('B', 0.0)))
    """
    a = assumptions or Assumptions.from_config(framework.uncertainty)
    m, inds = framework.methods, framework.indicators
    aggs = sorted(framework.aggregates, key=lambda n: -framework.depth(n.code))
    nodes = tuple(n.code for n in inds) + tuple(n.code for n in aggs)
    pos, fw_pos = {c: i for i, c in enumerate(nodes)}, {n.code: i for i, n in enumerate(framework.nodes)}
    keys = scored.keys
    norm_groups = group_codes(peer_groups(keys, framework))  # as the scorer imputes, treats and normalises
    by_group = Groups(norm_groups)  # sorted once for every data set's imputation
    app = scored.applicable[:, [fw_pos[c] for c in nodes]]
    nominal = {"impute": m.get("impute") or "none", "treat": m.get("treat") or "none",
               "normalise": m["normalise"], "aggregate": m["aggregate"]}
    levels, _ = _factor_levels(a, nominal, [])
    norm = {lab: framework.with_methods(normalise=lab) for lab in levels["normalise"]}  # the label as the default
    agg = {lab: framework.with_methods(aggregate=lab) for lab in levels["aggregate"]}

    def refill(label, X):
        name, _ = parse_spec(label)
        if name not in ("none", "mean", "median"):
            raise MethodError(f"imputation {label!r} is not available for a framework; expected none, mean or median")
        return X if name == "none" else impute_groups(X, by_group, name, app[:, :len(inds)])  # never written to

    def impute(label):
        return refill(label, values.copy(order="F")), ~np.isnan(values)

    # the estimates the scorer normalised, column by column as the Monte Carlo reads them (rating.groupwise)
    values = np.asfortranarray(scored.inputs)
    draws = None
    if a.data != "none" and indicators is not None:
        draws = data_model(keys, group_codes(peer_groups(keys, framework, per_year=True)), [n.code for n in inds],
                           values, indicators, framework, seed)
        draws = draws if draws.varies else None

    return Experiment(**_common(
        a, nominal, [n.code for n in inds], keys=keys, nodes=nodes,
        children=tuple(np.array([pos[c.code] for c in framework.children(n.code)], dtype=np.int64) for n in aggs),
        weight=np.array([n.weight if n.parent is not None else 1.0 for n in tuple(inds) + tuple(aggs)], dtype=float),
        direction=np.array([n.direction for n in inds]), applicable=app,
        data={lab: impute(lab) for lab in levels["impute"]},
        treat={lab: parse_spec(lab) for lab in levels["treat"]},
        normalise={lab: tuple(fw.normalisation_of(n) for n in inds) for lab, fw in norm.items()},
        aggregate={lab: tuple(fw.aggregation_of(n) for n in aggs) for lab, fw in agg.items()},
        norm_groups=norm_groups, rank_groups=_groups(keys, ["year", "kind", "level"]),
        data_threshold=float(m.get("data_threshold") or 0.0), threshold_by="weight",
        grades=tuple((g.code, float(g.min)) for g in framework.grades), draws=draws, refill=refill))


def experiment_from_tables(idata: pl.DataFrame, imeta: pl.DataFrame, assumptions: Assumptions | None = None, *,
                           normalise: str = "minmax:0,100", aggregate: str = "arithmetic", treat: str = "none",
                           impute: str = "none", data_threshold: float | None = None,
                           weights: dict | None = None, normalise_over: str = "time") -> Experiment:
    """The experiment of COINr-format tables, with the nominal options of
    `rating.coinr.score_tables` (iMeta `Normalise`, `Impute`, `Aggregate` cells stay fixed).
    `weights` (iCode -> weight) replaces the iMeta weights, e.g. by the ones a run derived from
    the data; assumptions default to `Assumptions()`. `normalise_over` as in `score_tables`.

    Examples
    --------
    >>> exp = demo_experiment(Assumptions(impute=("none", "mean")))
    >>> exp.nodes, exp.levels["impute"], exp.sampled["impute"]
    (('a', 'b', 'Idx'), ('none', 'mean'), (0, 1))
    """
    a = assumptions or Assumptions()
    st = check_imeta(imeta, idata.columns)
    check_idata(idata, st.indicators)
    codes, nodes = st.indicators, st.indicators + st.aggregates
    pos = {c: i for i, c in enumerate(nodes)}
    panel = "Time" in idata.columns and idata["Time"].n_unique() > 1
    keys = idata.select(["uCode", "Time"] if panel else ["uCode"])
    groups = _groups(keys, ["Time"] if panel else [])
    X = idata.select([pl.col(c).cast(pl.Float64, strict=False) for c in codes]).to_numpy().astype(float)
    nominal = {"impute": impute, "treat": treat, "normalise": normalise, "aggregate": aggregate}
    levels, _ = _factor_levels(a, nominal, [])
    units = None if panel else keys["uCode"].to_list()

    def norm(c, label):
        name, params = parse_spec(st.rows[c].get("Normalise") or label)
        if name == "dist2ref" and panel:
            raise MethodError(f"{c}: dist2ref is not available in the uncertainty analysis of a panel")
        return name, indicator_params(name, params, st.rows[c], st.direction[c], units)

    w = {**st.weight, **(weights or {})}
    return Experiment(**_common(
        a, nominal, list(codes), keys=keys, nodes=nodes,
        children=tuple(np.array([pos[c] for c in st.children[g]], dtype=np.int64) for g in st.aggregates),
        weight=np.array([float(w[c]) for c in nodes]), direction=np.array([st.direction[c] for c in codes]),
        applicable=np.ones((keys.height, len(nodes)), bool),
        data={lab: (impute_tables(X, idata, st, lab)[0], ~np.isnan(X)) for lab in levels["impute"]},
        treat={lab: parse_spec(lab) for lab in levels["treat"]},
        normalise={lab: tuple(norm(c, lab) for c in codes) for lab in levels["normalise"]},
        aggregate={lab: tuple(parse_spec(st.rows[g].get("Aggregate") or lab) for g in st.aggregates)
                   for lab in levels["aggregate"]},
        norm_groups=_groups(keys, ["Time"] if panel and normalise_over != "pooled" else []),
        rank_groups=groups, data_threshold=float(data_threshold or 0.0), threshold_by="children"))


def demo_experiment(assumptions: Assumptions | None = None) -> Experiment:
    """Three units, two indicators (the second reversed, missing for `Z`), one index (for examples).

    Examples
    --------
    >>> demo_experiment().nodes
    ('a', 'b', 'Idx')
    """
    imeta = pl.DataFrame({"iCode": ["a", "b", "Idx"], "Level": [1, 1, 2], "Parent": ["Idx", "Idx", None],
                          "Weight": [1.0, 1.0, 1.0], "Direction": [1, -1, 1], "Type": ["Indicator"] * 2 + ["Aggregate"]})
    idata = pl.DataFrame({"uCode": ["X", "Y", "Z"], "a": [1.0, 2.0, 3.0], "b": [30.0, 20.0, None]})
    return experiment_from_tables(idata, imeta, assumptions)


def demo_scored():
    """A scored framework (two indicators, grades A >= 50 > B) on three cities (for examples).

    Examples
    --------
    >>> scored, fw = demo_scored()
    >>> scored.aggregates[:, 0]
    array([ 0. , 75. , 62.5])
    """
    from indicators.framework_load import parse_framework
    from rating.score import score

    fw = parse_framework({"framework": {"code": "IDX", "name_zh": "指数", "name_en": "Index"},
                          "grade": [{"code": "A", "min": 50}, {"code": "B", "min": 0}],
                          "indicator": [{"code": c, "parent": "IDX", "name_zh": c, "name_en": c, "direction": d,
                                         "weight": w, "table": "complaints", "measure": "count"}
                                        for c, d, w in (("a", 1, 1.0), ("b", -1, 1.0))]})
    ids = ["440100", "440200", "440300"]
    units = pl.DataFrame({"unit_id": ids, "kind": ["region"] * 3, "level": ["city"] * 3})
    values = pl.DataFrame({"unit_id": ids * 2, "year": [2024] * 6, "indicator": ["a"] * 3 + ["b"] * 3,
                           "value": [1.0, 2.0, 3.0, 30.0, 10.0, 25.0]})
    return score(values, units, fw), fw


@dataclass(frozen=True)
class Uncertainty:
    """Result of `uncertainty`: the per-row `summary` and the samples behind it."""

    summary: pl.DataFrame
    scores: np.ndarray  # replications x rows
    ranks: np.ndarray  # replications x rows, int16 (int32 for a peer group of 32,767 or more); unranked: rating.ranks.missing
    nominal_scores: np.ndarray
    nominal_ranks: np.ndarray
    design: Design
    sensitivity: Sensitivity | None = None  # with `sensitivity_base` > 0


class _Ranked:
    """Receives the evaluated blocks of the Monte Carlo replications (the first `replications`
    rows of the design) and of the sensitivity design after them, from `evaluate`'s threads, and
    ranks them a batch at a time: it keeps the Monte Carlo scores and ranks (the first tie end,
    and the last where a band is wider: `rating.ranks.tie_ends`) and the sensitivity's ranks,
    not its scores. Unscored unit-years are NaN in every row. The sensitivity's blocks cover the
    unit-years `cols` only (None: every one), and come apart from the Monte Carlo ones
    (`evaluate(..., subset=...)`)."""

    def __init__(self, replications: int, runs: int, groups: np.ndarray, unscored: np.ndarray, batch: int = 64,
                 cols: np.ndarray | None = None):
        n = unscored.size
        at = slice(None) if cols is None else cols
        self.replications, self.batch = replications, batch
        self.groups = {False: groups, True: groups[at]}
        self.unscored = {False: np.flatnonzero(unscored), True: np.flatnonzero(unscored[at])}
        # every row is ranked once, its unscored cells marked then (NaN scores, `missing` ranks): no
        # fill of the whole matrices up front (first writes to fresh memory cost; the threads share them)
        self.scores = np.empty((replications, n))
        self.ranks = {"min": np.empty((replications, n), rank_dtype(groups))}  # half float32's memory
        self.ties: list = []  # the last ranks of tied bands wider than one (`rating.ranks.tie_ends`)
        self.sensitivity = {"min": np.empty((runs, unscored[at].size), np.float32)}
        self.pending: dict[tuple, list] = {}  # per thread and design: blocks not ranked yet
        self.lock = threading.Lock()

    def __call__(self, rows: np.ndarray, scores: np.ndarray) -> None:
        mc = rows < self.replications
        for sa, part in ((False, mc), (True, ~mc)):
            if part.any():
                X = scores if part.all() else scores[part]
                X[:, self.unscored[sa]] = np.nan
                if not sa:  # kept at once; the batch is ranked from the kept rows (no stacked copy)
                    self.scores[rows[part]] = X
                with self.lock:
                    buf = self.pending.setdefault((threading.get_ident(), sa), [])
                buf.append((rows[part], None if not sa else X))
                if sum(r.size for r, _ in buf) >= self.batch:
                    self._rank(buf, sa)

    def close(self) -> None:
        """Rank what is still waiting (after `evaluate` returned), the buffers on up to `THREADS`
        threads (they hold disjoint rows)."""
        threaded(self._rank, [(buf, sa) for (_, sa), buf in self.pending.items() if buf])

    def _rank(self, buf: list, sa: bool) -> None:
        if not buf:
            return
        rows = np.concatenate([r for r, _ in buf])
        if sa:
            X = np.vstack([s for _, s in buf]) if len(buf) > 1 else buf[0][1]
            buf.clear()
            rows = rows - self.replications
            rank_rows(self.sensitivity, rows, X, self.groups[True], serial=True)
        else:
            buf.clear()
            rank_rows(self.ranks, rows, self.scores, self.groups[False], serial=True, ties=self.ties, gather=True)
        R = (self.sensitivity if sa else self.ranks)["min"]
        R[np.ix_(rows, self.unscored[sa])] = missing(R.dtype)  # not ranked (`rank_rows` leaves them)


def latest_year(exp: Experiment) -> int | None:
    """The latest year of the experiment's unit-years (None without a year column): the one a
    run's sensitivity analysis covers.

    Examples
    --------
    >>> latest_year(experiment_from_scored(*demo_scored())), latest_year(demo_experiment())
    (2024, None)
    """
    if "year" not in exp.keys.columns or exp.keys.is_empty():
        return None
    return int(exp.keys["year"].max())


def _col(name: str, v, dtype=pl.Float64) -> pl.Series:
    return pl.Series(name, v).fill_nan(None).cast(dtype)


@heap.small_pages()  # arrays filled once: huge pages cost more to find than they save
def uncertainty(exp: Experiment, replications: int = 1000, seed: int = 0, sensitivity_base: int = 0,
                resamples: int = 500, ci: float = 0.95, sensitivity_year: int | None = None) -> Uncertainty:
    """Monte Carlo uncertainty analysis of ranks, scores and grades.

    Parameters
    ----------
    exp : Experiment
    replications, seed : int
        Monte Carlo replications (0 gives missing intervals) and the seed of the sample (the
        same seed gives the same result).
    sensitivity_base, resamples, ci : int, int, float
        With a base sample > 0 (and replications), also `rating.sensitivity.sensitivity(exp,
        sensitivity_base, seed, resamples, ci, sensitivity_year)`, the same indices, its design
        evaluated together with the replications: each configuration (data set, imputation, ...)
        is prepared once for both.
    sensitivity_year : int, optional
        Evaluate the sensitivity design on that year's unit-years only (a run gives its latest
        year, `latest_year`: published years keep the indices published with them); the
        replications still cover every unit-year, and their results are the same either way.

    Returns
    -------
    Uncertainty
        `summary`: the key columns, `score_nominal`, `rank_nominal`, `rank_low`, `rank_median`,
        `rank_high`, `score_low`, `score_median`, `score_high`; with grades also `grade_nominal`,
        one `p_grade_<code>` per grade and `borderline`.

    Examples
    --------
    >>> u = uncertainty(demo_experiment(Assumptions(impute=True)), replications=200, seed=1)
    >>> u.summary.select("uCode", "rank_nominal", "rank_low", "rank_median", "rank_high").rows()
    [('X', 3, 3, 3, 3), ('Y', 2, 1, 2, 2), ('Z', 1, 1, 1, 2)]
    """
    rng = np.random.default_rng(seed)
    D = max((sl.stop for _, sl in factor_columns(exp)), default=0)
    d = design(exp, rng.random((int(replications), D)))
    plan = saltelli_plan(exp, sensitivity_base, seed) if sensitivity_base > 0 and replications else None
    s0 = evaluate(exp, design(exp))[0]
    r0 = rank_matrix(s0[None], exp.rank_groups)[0]
    unscored = np.isnan(s0)  # not published: never ranked, and no place in the others' ranks
    groups = np.where(unscored, -1, exp.rank_groups)  # a negative group is not ranked
    sa, ds = None, design(exp, plan.U) if plan is not None else None
    cols = year_rows(exp, sensitivity_year) if plan is not None else None
    # one pass over the configurations for both designs (rows are evaluated independently), each
    # block ranked as it comes: the sensitivity's scores are never held, and with a year only its
    # unit-years are scored (each configuration is still prepared once, on every row, for both);
    # the designs are blocked apart, so the replications score as they do without the sensitivity
    ranked = _Ranked(replications, ds.choice.shape[0] if ds else 0, groups, unscored, cols=cols)
    if replications:
        evaluate(exp, Design(np.vstack([d.multipliers, ds.multipliers]), np.vstack([d.choice, ds.choice]))
                 if ds else d, sink=ranked, subset=(int(replications), cols))
    ranked.close()
    if plan is not None:
        sa = indices(plan, ranked.sensitivity["min"], r0 if cols is None else r0[cols], resamples, ci,
                     year=sensitivity_year)
    S, R = ranked.scores, ranked.ranks["min"]
    rq = quantiles(R, [0.05, 0.5, 0.95])
    high = rq[2]  # tied units share the band of positions they occupy: the last one, where a unit ever tied
    tied, R_last = tie_ends(R, ranked.ties)
    del ranked
    high[tied] = quantiles(R_last, [0.95])[0]
    del R_last
    # the interval holds the nominal rank (about 2% of unit-years sit just outside the 5-95% range)
    rq[0], high = np.minimum(rq[0], r0), np.maximum(high, r0)  # NaN (no replication) stays NaN
    # the score quantiles, and per grade's lower bound the replications at or above it (-inf: with a score)
    sq, at_least = quantiles(S, [0.05, 0.5, 0.95], at_least=[-np.inf, *(lo for _, lo in exp.grades)])
    cols = [_col("score_nominal", s0), _col("rank_nominal", r0, pl.Int64), _col("rank_low", rq[0], pl.Int64),
            _col("rank_median", rq[1], pl.Int64), _col("rank_high", high, pl.Int64),
            _col("score_low", sq[0]), _col("score_median", sq[1]), _col("score_high", sq[2])]
    if exp.grades:
        n_ok = at_least[0]
        with np.errstate(all="ignore"):
            at_least = [np.zeros(S.shape[1])] + [a / n_ok for a in at_least[1:]]
        probs = {c: at_least[i + 1] - at_least[i] for i, (c, _) in enumerate(exp.grades)}
        g0, p0 = np.full(s0.shape, None, dtype=object), np.full(s0.shape, np.nan)
        for code, lo in reversed(exp.grades):
            hit = s0 >= lo
            g0[hit], p0[hit] = code, probs[code][hit]
        cols += [pl.Series("grade_nominal", g0.tolist(), dtype=pl.String),
                 *[_col(f"p_grade_{c}", p) for c, p in probs.items()],
                 _col("borderline", np.where(np.isnan(p0), np.nan, p0 < exp.borderline), pl.Boolean)]  # null: no grade
    return Uncertainty(exp.keys.with_columns(cols), S, R, s0, r0, d, sa)
