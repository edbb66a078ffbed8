"""Designs of the uncertainty and sensitivity analysis: sampling, vectorised evaluation, and
variance-based sensitivity indices (COINr's `SA_sample`/`SA_estimate`).

Notes
-----
`evaluate` groups replications by discrete configuration, normalises once per configuration and
applies all its weight sets as a matrix; the configurations are cut into runs of one data set,
which the threads take in turn (each row's arithmetic is the same whichever thread computes it, so
the scores are too). A run evaluates the sensitivity design in the same call as the Monte Carlo replications
(`rating.uncertainty.uncertainty(..., sensitivity_base=...)`): each data set is drawn and prepared
once for both. Leaving out an indicator is a zero weight (an emptied
group drops out too). Methods needing positive values (geometric, harmonic, generalised p <= 0;
non-negative for non-integer p) meet `invalid = "error"` (`MethodError`) or `"shift"` (`1 - min`
added to each indicator column with a value <= 0 in configurations using such a method).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from indicators.errors import MethodError
from rating.aggregate import aggregate as aggregate_values
from rating.groupwise import Groups, normalise_matrix
from rating.ranks import THREADS, quantiles, rank_matrix, threaded  # noqa: F401 (quantiles re-exported for the analysis)
from rating.treat import treat_matrix

FACTORS = ("impute", "treat", "normalise", "aggregate", "leave_one_out", "data")
#: The columns of `Design.choice` that make a configuration (one normalised matrix): the data
#: set first, so that configurations of one data set follow each other.
CONFIG = (5, 0, 1, 2, 3)
CHUNK = 128  # replications per block of the tree evaluation (bounds memory: two threads each hold one)


@dataclass(frozen=True)
class Design:
    """Replications: weight multipliers (replications x nodes; weight noise times the indicator
    bootstrap's counts) and the label index of each factor of `FACTORS` (replications x 6;
    `leave_one_out` 0 = none, j + 1 = indicator j; `data` 0 = observed, d = data set d)."""

    multipliers: np.ndarray
    choice: np.ndarray


def factor_columns(exp) -> list[tuple[str, slice]]:
    """The factors that vary and their columns of the unit hypercube (weights: one per noisy node;
    composite: one per node below the index, the bootstrap's draw for that slot of its parent).

    Examples
    --------
    >>> from rating.uncertainty import Assumptions, demo_experiment
    >>> factor_columns(demo_experiment(Assumptions(impute=True)))
    [('weights', slice(0, 2, None)), ('impute', slice(2, 3, None))]
    """
    out, at = [], 0
    m = int(exp.noisy.sum()) if exp.weight_noise > 0 else 0
    if m:
        out, at = [("weights", slice(0, m))], m
    if getattr(exp, "bootstrap", "none") != "none":
        out.append(("composite", slice(at, at + len(exp.nodes) - 1)))
        at += len(exp.nodes) - 1
    for f in FACTORS:
        if len(exp.sampled[f]) > 1:
            out.append((f, slice(at, at + 1)))
            at += 1
    return out


def design(exp, u: np.ndarray | None = None) -> Design:
    """Map rows of the unit hypercube (replications x columns of `factor_columns`) onto a `Design`:
    a weight multiplier `1 - a + 2 a u`, a discrete level `floor(u * levels)`; the composite
    bootstrap draws, for each of the m slots of an aggregate (its indicators, or with "all" every
    child), one of its m children (`floor(u * m)`) and multiplies each child's weight by the times
    it was drawn. Without `u`, the
    nominal design: one replication with the nominal weights and methods (label 0 of every factor).

    Examples
    --------
    >>> from rating.uncertainty import Assumptions, demo_experiment
    >>> d = design(demo_experiment(Assumptions(impute=True)), np.array([[0.0, 0.5, 0.7]]))
    >>> d.multipliers, d.choice, design(demo_experiment()).choice
    (array([[0.75, 1.  , 1.  ]]), array([[1, 0, 0, 0, 0, 0]]), array([[0, 0, 0, 0, 0, 0]]))
    """
    if u is None:
        return Design(np.ones((1, len(exp.nodes))), np.zeros((1, len(FACTORS)), dtype=np.int64))
    u = np.atleast_2d(u)
    mult = np.ones((u.shape[0], len(exp.nodes)))
    choice = np.tile([exp.sampled[f][0] for f in FACTORS], (u.shape[0], 1))
    for name, sl in factor_columns(exp):
        if name == "weights":
            mult[:, exp.noisy] = 1 - exp.weight_noise + 2 * exp.weight_noise * u[:, sl]
        elif name == "composite":
            mult[:, :-1] *= _bootstrap_counts(exp, u[:, sl])
        else:
            lv = np.asarray(exp.sampled[name])
            choice[:, FACTORS.index(name)] = lv[np.minimum((u[:, sl.start] * lv.size).astype(int), lv.size - 1)]
    return Design(mult, choice)


def _bootstrap_counts(exp, u: np.ndarray) -> np.ndarray:
    """Times each node below the index is drawn (replications x nodes - 1) when every aggregate's
    m indicator children (with "all": m children) are resampled m times with replacement, slot j
    drawn by `u[:, j]`; nodes not resampled count 1."""
    k = exp.n_indicators
    counts = np.ones(u.shape, dtype=float)
    rows = np.arange(u.shape[0])[:, None]
    for kids in exp.children:
        ind = kids if exp.bootstrap == "all" else kids[kids < k]
        counts[:, ind] = 0.0
        if ind.size < 2:
            counts[:, ind] = 1.0
            continue
        pick = ind[np.minimum((u[:, ind] * ind.size).astype(np.int64), ind.size - 1)]
        np.add.at(counts, (np.broadcast_to(rows, pick.shape), pick), 1.0)
    return counts


def _domain(method: str, params: tuple) -> str | None:
    p = float(params[0]) if method == "generalised" and params else 1.0
    if method in ("geometric", "harmonic") or (method == "generalised" and p <= 0):
        return "positive"
    return "non-negative" if method == "generalised" and not p.is_integer() else None


def _outside(x: np.ndarray, dom: str | None) -> np.ndarray:
    return np.zeros(x.shape, bool) if dom is None else (x <= 0 if dom == "positive" else x < 0)


def _transform(method: str, params: tuple):
    """(f, f_inverse) with method = f_inverse(weighted mean of f(x)); None for other methods."""
    if method == "generalised":
        p = float(params[0]) if params else 1.0
        if p == 0:
            return np.log, np.exp
        return (lambda x: x ** p), (lambda y: np.sign(y) * np.abs(y) ** (1.0 / p))
    return {"arithmetic": (lambda x: x, lambda y: y), "geometric": (np.log, np.exp),
            "harmonic": (lambda x: 1.0 / x, lambda y: 1.0 / y)}.get(method)


def _data(exp, i: int, dl: int, cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """Values (imputed as label `i` says) and observed mask of data set `dl` (0 = observed);
    a drawn data set is cached under (dl,) for its other imputations."""
    if dl == 0:
        return exp.data[exp.levels["impute"][i]]
    X = cache[(dl,)] if (dl,) in cache else cache.setdefault((dl,), exp.draws.draw(dl))
    return exp.refill(exp.levels["impute"][i], X), ~np.isnan(X)


def _prepare(exp, i: int, t: int, z: int, cache: dict, dl: int = 0, groups: Groups | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Normalised matrix of a configuration (NaN where not applicable), cells available for the
    data threshold; imputed and treated matrices are cached by (data set, imputation, treatment).
    `groups`: `exp.norm_groups` as a `Groups` (built once per evaluation, not per configuration)."""
    tname, tparams = exp.treat[exp.levels["treat"][t]]
    k = exp.n_indicators
    if (dl, i, t) not in cache:
        X, observed = _data(exp, i, dl, cache)
        Xt = X if tname == "none" else X.copy(order="K")  # `X` is not written to: untreated, it is shared
        for g in np.unique(exp.norm_groups) if tname != "none" else []:
            rows = np.flatnonzero(exp.norm_groups == g)
            Xt[rows] = treat_matrix(X[rows], list(exp.nodes[:k]), [""] * rows.size, tname, tparams)[0]
        cache[(dl, i, t)] = Xt, observed
    Xt, observed = cache[(dl, i, t)]
    N = normalise_matrix(Xt, exp.norm_groups if groups is None else groups, exp.normalise[exp.levels["normalise"][z]],
                         exp.direction)
    N = np.where(exp.applicable[:, :k], N, np.nan)
    return N, ~np.isnan(N) & observed


def _check(exp, N: np.ndarray, specs, label: str) -> np.ndarray:
    """Apply the experiment's `invalid` policy for aggregations that need positive values."""
    k, bad, doms = exp.n_indicators, np.zeros(N.shape[1], bool), [_domain(*m) for m in specs]
    if all(d is None for d in doms):  # nothing to check (arithmetic and the like)
        return N
    for dom, kids in zip(doms, exp.children):
        bad[kids[kids < k]] |= _outside(N[:, kids[kids < k]], dom).any(axis=0)
    low = np.nanmin(np.where(np.isnan(N), np.inf, N), axis=0)
    bad |= (low <= 0) & (exp.invalid == "shift")
    if bad.any() and exp.invalid == "error":
        raise MethodError(f"aggregation {label!r} needs positive values but indicator(s) "
                          f"{[exp.nodes[j] for j in np.flatnonzero(bad)]} have values <= 0 after normalisation; "
                          "normalise to a positive range (e.g. minmax:1,100) or set invalid = \"shift\"")
    return N + np.where(bad, 1.0 - low, 0.0) if bad.any() else N


def _weights(exp, d: Design) -> tuple[np.ndarray, np.ndarray]:
    """Weights per replication with left-out indicators (and emptied groups) at zero, and the kept nodes."""
    keep = np.ones(d.multipliers.shape, bool)
    lo = d.choice[:, FACTORS.index("leave_one_out")]
    keep[np.flatnonzero(lo > 0), lo[lo > 0] - 1] = False
    for a, kids in enumerate(exp.children):
        keep[:, exp.n_indicators + a] = keep[:, kids].any(axis=1)
    return exp.weight * d.multipliers * keep, keep


def _parts(exp, N, O, specs, C_is_W: bool, app: np.ndarray) -> list:
    """Per aggregate, its indicator children stacked for one matrix product per weight set: `num`
    (f(value), 0 if missing), `den` (available), and `obs` (observed; left out when equal to `den`)
    and `tot` (applicable; left out when all are) for the data threshold; `app`: the applicable
    nodes of the rows of `N`."""
    k, out, thr = exp.n_indicators, [], exp.data_threshold > 0
    for (method, params), kids in zip(specs, exp.children):
        ind, tf = kids[kids < k], _transform(method, params)
        Ni = N[:, ind]
        A, Oi = ~np.isnan(Ni), O[:, ind]
        alias = C_is_W and tf is not None and bool(np.array_equal(A, Oi))
        wb = {}
        if tf is not None:  # f(value), 0 where missing (the arithmetic mean's f is the value itself)
            with np.errstate(all="ignore"):
                wb = {"num": np.where(A, Ni if method == "arithmetic" else tf[0](np.where(A, Ni, 1.0)), 0.0), "den": A}
        full = bool(app[:, ind].all())  # then `tot` is the sum of the weights
        cb = ({} if alias else {"obs": Oi}) if thr else {}
        if thr and not full:
            cb["tot"] = app[:, ind]
        if C_is_W:
            wb, cb = {**wb, **cb}, {}
        out.append((ind, alias, bool(app[:, kids[kids >= k]].all()),
                    *[(tuple(b), _stack(b)) for b in (wb, cb)]))
    return out


def _stack(blocks: dict) -> np.ndarray | None:
    """The blocks (rows x children each) one above the other as floats (None without blocks), in
    column-major order as the column selections they come from: the products' BLAS kernel, and so
    their last bits, depend on it."""
    if not blocks:
        return None
    parts = list(blocks.values())
    n = parts[0].shape[0]
    P = np.empty((n * len(parts), parts[0].shape[1]), order="F")
    for i, b in enumerate(parts):
        P[i * n:(i + 1) * n] = b
    return P


def _tree(exp, N, specs, parts, W, C, C_is_W: bool, app: np.ndarray) -> np.ndarray:
    """Index scores (replications x rows) of one configuration at the rows of `N` for the weight
    sets `W`; `C` weighs children for the data threshold (`W`, or 1 per kept child); `app`: the
    applicable nodes of those rows, `parts`: `_parts` of them."""
    k, n, thr, R = exp.n_indicators, N.shape[0], exp.data_threshold, W.shape[0]
    vals: dict = {}  # node -> (value with 0 where missing, available)
    for a, ((method, params), kids, (ind, alias, full, (wn, wp), (cn, cp))) in enumerate(zip(specs, exp.children, parts)):
        sub = kids[kids >= k]
        bl = {}
        for names, P, M in ((wn, wp, W), (cn, cp, C)):
            res = M[:, ind] @ P.T if P is not None and ind.size else np.zeros((R, n * len(names)))
            bl.update({nm: res[:, i * n:(i + 1) * n] for i, nm in enumerate(names)})
        extra = C[:, sub] @ app[:, sub].T.astype(float) if thr > 0 and sub.size and not full else None
        _node(exp, a, method, params, kids, ind, alias, full, bl, extra, vals, N[:, :k], W, C, app, C_is_W)
    last = len(exp.nodes) - 1
    return np.where(vals[last][1], vals[last][0], np.nan)


def _node(exp, a, method, params, kids, ind, alias, full, bl, extra, vals, N, W, C, app, C_is_W) -> None:
    """Aggregate `a` of a block of replications from its products `bl` (num, den, obs, tot) and its
    sub-aggregates' `vals`; `extra`: the applicable weight of the sub-aggregates (None: all apply)."""
    k, thr, (R, n) = exp.n_indicators, exp.data_threshold, (W.shape[0], N.shape[0])
    sub, tf, dom = kids[kids >= k], _transform(method, params), _domain(method, params)
    num, den = bl.get("num"), bl.get("den")
    tot = bl["tot"] if "tot" in bl else C[:, ind].sum(axis=1, keepdims=True)
    obs = den if alias or (tf is not None and C_is_W and "obs" not in bl) else bl.get("obs")
    tmp = np.empty((R, n)) if sub.size else None
    for b in sub:
        v, ok = vals[b]
        if dom is not None and _outside(np.where(ok, v, 1.0), dom).any():
            raise MethodError(f"aggregation {method!r} of {exp.nodes[k + a]!r} got values outside its domain "
                              f"from {exp.nodes[b]!r}")
        if tf is not None:
            with np.errstate(all="ignore"):
                fv = v if method == "arithmetic" else np.where(ok, tf[0](np.where(ok, v, 1.0)), 0.0)
            num += np.multiply(fv, W[:, b, None], out=tmp)
            den += np.multiply(ok, W[:, b, None], out=tmp)
        if thr > 0 and obs is not den:
            obs += tmp if C_is_W and tf is not None else np.multiply(ok, C[:, b, None], out=tmp)
    if thr > 0 and sub.size:
        tot = tot + (C[:, sub].sum(axis=1, keepdims=True) if full else extra)
    if tf is not None:
        with np.errstate(all="ignore"):
            v = np.divide(num, den, out=num) if method == "arithmetic" else tf[1](num / den)
        # available: some weight, and (when it is the observed weight) at least the threshold share
        ok = den >= (np.maximum(thr * tot, 1e-300) if thr > 0 and obs is den else 1e-300)
    else:  # median and whole-table methods: one replication at a time
        v = np.full((R, n), np.nan)
        for r in range(R):
            X = np.column_stack([N[:, j] if j < k else np.where(vals[j][1][r], vals[j][0][r], np.nan) for j in kids])
            if W[r, kids].sum() > 0:
                v[r] = aggregate_values(np.where(app[:, kids], X, np.nan), W[r, kids], method, params)
        ok = ~np.isnan(v)
    if thr > 0 and obs is not den:
        ok &= obs >= thr * tot
    vals[k + a] = (np.where(ok, v, 0.0), ok)


def evaluate(exp, d: Design, sink=None, subset: tuple[int, np.ndarray | None] | None = None) -> np.ndarray | None:
    """Index scores of every replication of a design (replications x rows, NaN = no score).
    With `sink`, each evaluated block is handed to `sink(replications, scores)` (indices into the
    design; a new array, replications x rows) in the thread that evaluated it, and nothing is
    returned: a caller that ranks or reduces the scores need not hold them all. With
    `subset = (first, cols)`, the replications from `first` on are scored at the rows `cols` only
    (None: every row; their blocks are len(block) x len(cols), handed apart from the others):
    each configuration is still prepared (imputed, treated, normalised) on every row, then
    aggregated on those rows only (on every row for a method of the whole table, e.g. a median,
    then cut). The two parts are blocked apart, so the replications before `first` get, bit for
    bit, the scores they get without the others (the last bits of a matrix product depend on its
    shape).

    Examples
    --------
    >>> from rating.uncertainty import Assumptions, demo_experiment
    >>> exp = demo_experiment(Assumptions(impute=()))
    >>> evaluate(exp, design(exp))
    array([[  0.,  75., 100.]])
    """
    (W, keep), C_is_W = _weights(exp, d), exp.threshold_by == "weight"
    C = W if C_is_W else keep.astype(float)
    combos, inverse = np.unique(d.choice[:, list(CONFIG)], axis=0, return_inverse=True)
    n = d.choice.shape[0]
    if subset is not None:
        subset = (int(subset[0]), None if subset[1] is None else np.asarray(subset[1], dtype=np.int64))
        if sink is None and 0 < subset[0] < n and subset[1] is not None:
            raise ValueError("evaluate: scores of two widths need a sink")
    width = subset[1].size if subset is not None and subset[1] is not None and subset[0] < n else exp.keys.height
    S = np.empty((n, width)) if sink is None else None  # every row is in one block
    put = sink or S.__setitem__
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.searchsorted(inverse.ravel()[order], np.arange(len(combos) + 1))
    # thin products: BLAS threads cost more than they give (limited once per call: finding the
    # libraries to limit reads the process's memory map, which costs more than a configuration)
    with threadpool_limits(1, user_api="blas"):
        groups = Groups(exp.norm_groups)
        threaded(lambda cs: _configurations(exp, combos, cs, order, bounds, W, C, C_is_W, put, subset, groups),
                 _shares(combos))
    return S


def _shares(combos: np.ndarray) -> list[tuple]:
    """The configurations (indices into `combos`, sorted by data set) as one run per data set,
    which the `THREADS` threads take in turn as each finishes its last: every thread draws and
    prepares its own data sets, and the threads end within a data set of each other (two fixed
    halves of the configurations can differ by a tenth of the work). One run without threads."""
    n = len(combos)
    if THREADS < 2 or n < 2:
        return [(np.arange(n),)]
    starts = np.flatnonzero(np.r_[True, combos[1:, 0] != combos[:-1, 0]])  # first configuration of a data set
    return [(np.arange(a, b),) for a, b in zip(starts, np.r_[starts[1:], n])]


def _configurations(exp, combos, cs, order, bounds, W, C, C_is_W, put, subset=None, groups=None) -> None:
    """Scores of the replications of the configurations `cs`, handed to `put(replications, scores)`;
    with `subset` (see `evaluate`) the later replications at its rows only, in blocks of their own;
    `groups`: the normalisation groups (`_prepare`)."""
    cache: dict = {}
    for c in cs:
        dl, i, t, z, g = combos[c]
        rows = order[bounds[c]:bounds[c + 1]]
        if c != cs[0] and dl != combos[c - 1][0]:  # a data set's matrices are not needed again
            cache = {key: v for key, v in cache.items() if key[0] == dl}
        key = (dl, i, t, z)
        N, O = cache[key] if key in cache else cache.setdefault(key, _prepare(exp, i, t, z, cache, dl, groups))
        specs = exp.aggregate[label := exp.levels["aggregate"][g]]
        N = _check(exp, N, specs, label)
        if subset is None:
            _blocks(exp, rows, N, O, specs, W, C, C_is_W, put)
            continue
        later = rows >= subset[0]  # rows ascend
        _blocks(exp, rows[~later], N, O, specs, W, C, C_is_W, put)
        _blocks(exp, rows[later], N, O, specs, W, C, C_is_W, put, subset[1])


def _blocks(exp, rows, N, O, specs, W, C, C_is_W, put, cols=None) -> None:
    """Scores of the replications `rows` of one configuration (normalised `N`, observed `O`) at
    the rows `cols` of the table (None: every one), `CHUNK` replications at a time, so that blocks
    stream through memory."""
    if not rows.size:
        return
    whole = cols is not None and any(_transform(*m) is None for m in specs)  # needs every row: cut after
    at = slice(None) if cols is None or whole else cols
    app = exp.applicable[at]
    N, O = N[at], O[at]
    parts = _parts(exp, N, O, specs, C_is_W, app)
    for s in range(0, rows.size, CHUNK):
        block = rows[s:s + CHUNK]
        S = _tree(exp, N, specs, parts, W[block], C[block], C_is_W, app)
        put(block, _round40(S[:, cols] if whole else S))


def _round40(S: np.ndarray) -> np.ndarray:
    """`S` rounded in place to 40 significant bits, so that float noise cannot break ties."""
    m, e = np.frexp(S)
    m *= 2.0 ** 40
    np.round(m, out=m)
    m /= 2.0 ** 40
    return np.ldexp(m, e, out=S)


def saltelli(base: int, columns: list[slice], rng: np.random.Generator) -> np.ndarray:
    """Saltelli design: rows A (`base`), B (`base`), then one block AB_i per factor i (A with the
    columns of factor i taken from B); `base * (k + 2)` rows in all.

    Examples
    --------
    >>> U = saltelli(4, [slice(0, 2), slice(2, 3)], np.random.default_rng(0))
    >>> U.shape, bool((U[8:12, 2] == U[:4, 2]).all() and (U[8:12, :2] == U[4:8, :2]).all())
    ((16, 3), True)
    """
    D = max((sl.stop for sl in columns), default=0)
    A, B = rng.random((base, D)), rng.random((base, D))
    cols = np.arange(D)
    return np.vstack([A, B] + [np.where(np.isin(cols, cols[sl]), B, A) for sl in columns])


def estimate(y: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010: `mean(yB (yABi - yA)) / V`) and total-order (Jansen:
    `mean((yA - yABi)^2) / 2V`) indices from the outputs of a Saltelli design, `V` the sample
    variance of yA and yB, outputs centred on their mean; `y` may have further output axes.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> U = saltelli(20000, [slice(0, 1), slice(1, 2)], rng)
    >>> S1, ST = estimate(U[:, 0] + 2 * U[:, 1], 20000)
    >>> np.round(S1, 1), np.round(ST, 1)
    (array([0.2, 0.8]), array([0.2, 0.8]))
    """
    y = y - np.mean(y[:2 * base], axis=0)  # centring keeps the estimators, lowers their variance
    yA, yB = y[:base], y[base:2 * base]
    yAB = y[2 * base:].reshape(-1, base, *y.shape[1:])
    V = np.var(np.concatenate([yA, yB]), axis=0, ddof=1)
    with np.errstate(all="ignore"):
        return np.mean(yB * (yAB - yA), axis=1) / V, np.mean((yA - yAB) ** 2, axis=1) / (2 * V)


def bootstrap(y: np.ndarray, base: int, resamples: int, ci: float, rng: np.random.Generator) -> np.ndarray:
    """Percentile bootstrap intervals of `estimate` for a scalar output, resampling the rows of
    the design jointly (A, B and every AB_i): array (low/high, S1/ST, factors).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> U = saltelli(1000, [slice(0, 1), slice(1, 2)], rng)
    >>> bootstrap(U[:, 0] + 2 * U[:, 1], 1000, 200, 0.95, rng).shape
    (2, 2, 2)
    """
    idx = rng.integers(0, base, (base, resamples))
    s1, st = estimate(y.reshape(-1, base)[:, idx].reshape(-1, resamples), base)
    q = [(1 - ci) / 2, 1 - (1 - ci) / 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant output has no index: NaN, shown as missing
        return np.stack([np.nanquantile(s1, q, axis=1), np.nanquantile(st, q, axis=1)], axis=1)


def _per_unit(R: np.ndarray, r0: np.ndarray, base: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Median over unit-years (with rank variance) of the first- and total-order indices of each
    unit-year's rank, in blocks of units to bound memory, on up to `THREADS` threads."""
    starts = range(0, R.shape[1], block)
    parts: list = [None] * len(starts)

    def part(i: int, lo: int) -> None:
        y = R[:, lo:lo + block] - r0[lo:lo + block]
        y[np.isnan(y)] = 0.0  # no rank in a draw: no change
        with np.errstate(all="ignore"):  # per thread
            parts[i] = estimate(y, base)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a unit whose rank never moves has no index
        threaded(part, list(enumerate(starts)))
        s1, st = (np.concatenate([p[j] for p in parts], axis=1) for j in (0, 1))
        moves = np.isfinite(st)
        return (np.array([np.median(r[m]) if m.any() else np.nan for r, m in zip(s1, moves)]),
                np.array([np.median(r[m]) if m.any() else np.nan for r, m in zip(st, moves)]))


def _mean_shift(R: np.ndarray, r0: np.ndarray) -> np.ndarray:
    """Mean absolute shift of each row of ranks `R` from `r0` over the ranked units (NaN if none):
    `nanmean(abs(R - r0), axis=1)`, its sums of whole numbers in float32 (exact below 2^24) and
    added up in float64, exactly too, so in whatever order."""
    d = np.abs(R - r0.astype(R.dtype)) if R.dtype == np.float32 and np.nanmax(np.abs(r0), initial=0) < 2 ** 24 \
        else np.abs(R - r0)
    nan = np.isnan(d)
    d[nan] = 0.0
    return d.sum(axis=1, dtype=np.float64) / (d.shape[1] - nan.sum(axis=1))


@dataclass(frozen=True)
class Sensitivity:
    """Result of `sensitivity` (see there)."""

    indices: pl.DataFrame
    variance: float
    runs: int


def sensitivity(exp, base: int = 500, seed: int = 0, resamples: int = 500, ci: float = 0.95,
                year: int | None = None) -> Sensitivity:
    """Variance-based sensitivity of the ranks to each uncertain assumption of `exp`.

    Parameters
    ----------
    exp : rating.uncertainty.Experiment
    base : int
        Base sample N of the Saltelli design; the index is computed `N * (k + 2)` times for k
        factors (weights count as one factor).
    seed : int
        Seed of the design and of the bootstrap.
    resamples, ci : int, float
        Bootstrap resamples and level of the confidence intervals.
    year : int, optional
        Evaluate the design on that year's unit-years only (`exp.keys["year"]`; a run gives its
        latest year: earlier years' indices were published with them); None: every unit-year.

    Returns
    -------
    Sensitivity
        `indices` (factor, S1, S1_low, S1_high, ST, ST_low, ST_high) of the mean absolute rank
        shift from the nominal ranks (COINr's output): the share of its variance due to the
        factor alone (S1) and with its interactions (ST), with bootstrap intervals (estimates may
        fall slightly outside [0, 1]); and `S1_unit`, `ST_unit`: the median over unit-years of the
        same indices of each unit-year's own rank, i.e. how much of a unit's rank uncertainty is
        the data and how much each modelling choice (a shift common to every unit, such as
        dropping an indicator, moves the mean shift; redrawn data moves units apart and shows in
        the per-unit indices); `year`: the year of the unit-years covered (null: every one);
        `variance` of the output; `runs` of the index.

    Examples
    --------
    >>> from rating.uncertainty import Assumptions, demo_experiment
    >>> a = Assumptions(impute=("none", "mean"), normalise=("minmax", "rank"))
    >>> sa = sensitivity(demo_experiment(a), base=64, resamples=50)
    >>> sa.indices["factor"].to_list(), sa.runs
    (['weights', 'impute', 'normalise'], 320)
    """
    plan = saltelli_plan(exp, base, seed)
    if plan is None:
        return Sensitivity(pl.DataFrame(schema=SCHEMA), 0.0, 0)
    cols = year_rows(exp, year)
    at = slice(None) if cols is None else cols
    R = rank_matrix(evaluate(exp, design(exp, plan.U), subset=None if cols is None else (0, cols)),
                    exp.rank_groups[at], dtype=np.float32)
    r0 = rank_matrix(evaluate(exp, design(exp)), exp.rank_groups)[0]
    return indices(plan, R, r0[at], resamples, ci, year=year)


def year_rows(exp, year: int | None) -> np.ndarray | None:
    """Rows of `exp` in `year` (None: every row, also when the year is every row's)."""
    if year is None:
        return None
    if "year" not in exp.keys.columns:
        raise ValueError(f"sensitivity of year {year}: the experiment has no year column")
    hit = exp.keys["year"].to_numpy() == int(year)
    if not hit.any():
        raise ValueError(f"sensitivity of year {year}: no unit-year of that year")
    return None if hit.all() else np.flatnonzero(hit)


#: Columns of `Sensitivity.indices`: `year` is that of the unit-years covered (null: every one).
SCHEMA = {"factor": pl.String, **dict.fromkeys(("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high",
                                                 "S1_unit", "ST_unit"), pl.Float64), "year": pl.Int64}


@dataclass(frozen=True)
class Plan:
    """A Saltelli design of an experiment: factor names, its rows of the unit hypercube `U`, the
    base sample, and the generator that drew them (the bootstrap continues its stream)."""

    names: list
    U: np.ndarray
    base: int
    rng: np.random.Generator


def saltelli_plan(exp, base: int, seed: int) -> Plan | None:
    """The Saltelli design `sensitivity` evaluates (None when no factor varies), so that a caller
    can evaluate it together with other replications of the same experiment (rating.uncertainty)."""
    cols = factor_columns(exp)
    if not cols:
        return None
    rng = np.random.default_rng(seed)
    return Plan([c for c, _ in cols], saltelli(base, [sl for _, sl in cols], rng), int(base), rng)


def indices(plan: Plan, R: np.ndarray, r0: np.ndarray, resamples: int = 500, ci: float = 0.95,
            block: int = 256, year: int | None = None) -> Sensitivity:
    """`Sensitivity` from the ranks `R` (rows of `plan.U` x unit-years; float32 holds them exactly)
    and the nominal ranks `r0` of those unit-years (of `year`; None: every one); the output per
    replication is computed a block of rows at a time."""
    base = plan.base
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a draw that ranks no unit counts as 0 change
        y = np.nan_to_num(np.concatenate([_mean_shift(R[lo:lo + block], r0) for lo in range(0, R.shape[0], block)]))
    (s1, st), b = estimate(y, base), bootstrap(y, base, resamples, ci, plan.rng)
    s1u, stu = _per_unit(R, r0, base)
    ind = pl.DataFrame([plan.names, s1, b[0, 0], b[1, 0], st, b[0, 1], b[1, 1], s1u, stu, [year] * len(plan.names)],
                       schema=SCHEMA, orient="col")
    return Sensitivity(ind.fill_nan(None), float(np.var(y[:2 * base], ddof=1)), int(plan.U.shape[0]))
