"""The rolling-origin fits of the early warning: every model fitted once per origin (a predicted
year t) on the labelled rows of the years before t, its probabilities for t, and the explanation
of the probabilities of the model chosen for t.

Each result is kept in the cache (models.cache) under the sha256 of what it depends on: the
origin's training and predicted rows, the model, the `[model]` table, the seed and the code. A
rerun therefore refits only what changed: nothing when the features and events are the same, only
the new origin when a year is added and the earlier years' rows stay as they were. Fits run on up
to `THREADS` threads (tree building and most numerical work release the GIL), each with BLAS and
OpenMP on one thread: every fit is the same computation on the same rows, so the bits are the
same whatever the number of cores. The fold models shared by several origins are fitted first,
once each. What is computed does not depend on the cache.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from indicators.model_config import ModelConfig
from models import estimators
from models.cache import Cache, code_version, digest

#: Threads of the fits (the machine's cores, at most 2).
THREADS = min(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class Origin:
    """Rows of one origin: `train` (labelled rows of the years before) and `test` (the year's
    rows) as boolean masks over the feature matrix, the training targets `y` and `years`."""

    train: np.ndarray
    test: np.ndarray
    y: np.ndarray
    years: np.ndarray


class Fits:
    """The fits of `models` (name -> feature column indices) at every origin, from the cache
    where it holds them; `hits` and `computed` count results reused and computed."""

    def __init__(self, X: np.ndarray, cols: list[str], origins: dict[int, Origin], models: dict[str, list[int]],
                 cfg: ModelConfig, seed: int, cache: Cache):
        self.X, self.origins, self.models, self.cfg, self.seed, self.cache = X, origins, models, cfg, seed, cache
        self.hits = self.computed = 0
        self._fitted: dict[tuple[str, int], object] = {}
        self._folds: dict[tuple[str, tuple], object] = {}  # fold models by the years they fit (estimators.fit)
        self.keys = {}
        keep = cache.folder is not None  # a cache that keeps nothing needs no keys (hashing the rows costs)
        env = {"config": cfg.as_dict(), "seed": seed, "code": code_version()} if keep else None
        for t, o in origins.items():
            rows = digest(cols, X[o.train], o.y, X[o.test]) if keep else None
            for m, ix in models.items():
                self.keys[m, t] = digest("fit", env, rows, m, ix) if keep else f"{m} {t}"

    def rows(self, rows: np.ndarray, m: str) -> np.ndarray:
        """The feature matrix's `rows` (a mask or positions) in model m's columns, copied once."""
        return self.X[np.ix_(rows, self.models[m])]

    def estimator(self, m: str, t: int):
        """The fitted model m of origin t (fitted now if its results came from the cache)."""
        if (m, t) not in self._fitted:
            o = self.origins[t]
            self._fitted[m, t] = estimators.fit(m, self.rows(o.train, m), o.y, self.cfg, self.seed,
                                                o.years, self._folds)
        return self._fitted[m, t]

    def prefit(self, jobs: list[tuple[str, int]]) -> None:
        """Fit, all at once, the fold models that the estimators of `jobs` (model, origin) need and
        that are not fitted yet, each on the rows of the first origin that needs it (as
        estimators.fit would), largest first."""
        todo = {}
        for m, t in jobs:
            if (m, t) in self._fitted:
                continue
            o = self.origins[t]
            for key, held in estimators.fold_plan(m, o.y, self.cfg, o.years):
                if key not in self._folds and key not in todo:
                    todo[key] = (m, t, ~held)
        order = sorted(todo, key=lambda k: (k[0] == "gbm", int(todo[k][2].sum())), reverse=True)

        def one(key):
            m, t, rows = todo[key]
            o = self.origins[t]
            return estimators.base(m, self.cfg, self.seed).fit(self.rows(np.flatnonzero(o.train)[rows], m), o.y[rows])

        for key, model in zip(order, _run(one, order)):
            self._folds[key] = model

    def later(self, m: str, t: int):
        """A function giving the fitted model m of origin t, predicting from every feature column
        (estimators.Columns): the one in hand, or one fitted when the function is called (the same
        rows and seed give the same model). It keeps no other fit."""
        est, ix = self._fitted.get((m, t)), self.models[m]
        if est is not None:
            return lambda: estimators.Columns(est, ix).fit()
        X, o, cfg, seed = self.X, self.origins[t], self.cfg, self.seed
        return lambda: estimators.Columns(estimators.fit(m, X[o.train][:, ix], o.y, cfg, seed, o.years), ix).fit()

    def probabilities(self) -> dict[tuple[str, int], np.ndarray]:
        """{(model, origin): probabilities of the origin's rows, rounded to 6 decimals}."""
        out = {}
        for job, key in self.keys.items():
            hit = self.cache.get(key)
            if hit is not None and hit.get("p", np.empty(0)).shape == (int(self.origins[job[1]].test.sum()),):
                out[job] = hit["p"]
                self.hits += 1
        todo = [j for j in self.keys if j not in out]
        self.prefit(todo)
        for job, p in zip(todo, _run(self._predict, todo)):
            out[job] = p
            self.cache.put(self.keys[job], {"p": p})
            self.computed += 1
        return {job: out[job] for job in self.keys}

    def _predict(self, job: tuple[str, int]) -> np.ndarray:
        m, t = job
        X = self.rows(self.origins[t].test, m)
        return np.round(estimators.probability(self.estimator(m, t), X), 6)

    def explanations(self, chosen: dict[int, str], groups: list[tuple[str, list[int]]], k: int) -> dict:
        """{origin: (group index, contribution)}, each (rows, min(k, groups)): the groups with the
        largest contributions of each row of the origin, largest first, for its chosen model."""
        names = [g for g, _ in groups]
        keys = {t: digest("explain", self.keys[m, t], names, k) for t, m in chosen.items()}
        width = min(k, len(groups))
        out = {}
        for t, key in keys.items():
            hit = self.cache.get(key)
            shape = (int(self.origins[t].test.sum()), width)
            if hit is not None and hit.get("group", np.empty(0)).shape == shape == hit.get("contribution", np.empty(0)).shape:
                out[t] = (hit["group"], hit["contribution"])
                self.hits += 1
        todo = [t for t in keys if t not in out]
        self.prefit([(chosen[t], t) for t in todo])

        def one(t):
            o, m = self.origins[t], chosen[t]
            ref = estimators.medians(self.rows(o.train, m))
            c = contributions(self.estimator(m, t), self.rows(o.test, m), ref, own_groups(groups, self.models[m]),
                              order=estimators.layout(m))
            order = np.argsort(-c, axis=1, kind="stable")[:, :width]
            return order.astype(np.int32), np.take_along_axis(c, order, axis=1)

        for t, res in zip(todo, _run(one, todo)):
            out[t] = res
            self.cache.put(keys[t], {"group": res[0], "contribution": res[1]})
            self.computed += 1
        return {t: out[t] for t in keys}


def own_groups(groups: list[tuple[str, list[int]]], columns: list[int]) -> list[tuple[str, list[int]]]:
    """`groups` (column indices of the whole feature matrix) as positions among a model's own
    `columns`; a group the model does not read is left empty (it contributes 0).

    Examples
    --------
    >>> own_groups([("a", [0]), ("b", [1]), ("c", [2, 3])], [0, 3])
    [('a', [0]), ('b', []), ('c', [1])]
    """
    at = {c: i for i, c in enumerate(columns)}
    return [(name, [at[j] for j in js if j in at]) for name, js in groups]


def _run(fn, items: list) -> list:
    """[fn(item) ...] on up to `THREADS` threads, with BLAS and OpenMP on one thread; the first
    error is raised."""
    with threadpool_limits(limits=1):
        if THREADS < 2 or len(items) < 2:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(THREADS) as pool:
            return list(pool.map(fn, items))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def contributions(est, X: np.ndarray, ref: np.ndarray, groups: list[tuple[str, list[int]]],
                  block_rows: int = 200_000, order: str = "C") -> np.ndarray:
    """Occlusion contributions on the log-odds scale, one column per group: how much the group's
    own values move the row's log-odds away from where they would be at `ref` (the medians of the
    training rows). For the logistic model, nearly the coefficient times the distance from the
    median, scaled by the calibration; for boosting, a local one-group-at-a-time reading. A group
    whose values are at `ref` or missing (a missing value has no value of its own to explain)
    contributes 0, and its rows are not predicted again. The moved rows are predicted in blocks
    of about `block_rows`, laid out in `order` (estimators.layout: the one the model reads fastest).

    Examples
    --------
    >>> from indicators.model_config import ModelConfig
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2)); y = (X[:, 0] + rng.normal(size=400) > 1).astype(int)
    >>> est = estimators.fit("logit", X, y, ModelConfig(), 0, np.repeat([2021, 2022], 200))
    >>> ref = estimators.medians(X)
    >>> c = contributions(est, np.array([[2.0, np.nan], ref]), ref, [("a", [0]), ("b", [1])])
    >>> bool(c[0, 0] > 0), float(c[0, 1]), c[1].tolist()
    (True, 0.0, [0.0, 0.0])
    """
    base = _logit(estimators.probability(est, X))
    out = np.zeros((X.shape[0], len(groups)))
    moves = []  # (group, its columns, the rows it moves)
    for g, (_, js) in enumerate(groups):
        sub = X[:, js]
        rows = np.flatnonzero(((sub != ref[js]) & ~np.isnan(sub)).any(axis=1))
        if len(rows):
            moves.append((g, js, rows))
    while moves:
        block, n = [], 0
        while moves and (not block or n + len(moves[0][2]) <= block_rows):
            block.append(moves.pop(0))
            n += len(block[-1][2])
        moved = np.empty((n, X.shape[1]), order=order)  # each row once, in the model's layout
        at = 0
        for _, js, rows in block:
            moved[at:at + len(rows)] = X[rows]
            moved[at:at + len(rows), js] = ref[js]
            at += len(rows)
        p = _logit(estimators.probability(est, moved))
        at = 0
        for g, _, rows in block:
            out[rows, g] = base[rows] - p[at:at + len(rows)]
            at += len(rows)
    return out
