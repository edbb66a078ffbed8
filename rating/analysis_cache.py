"""The Monte Carlo analysis of a run kept between runs (rating.cache), so that a rerun whose
experiment has not changed takes its intervals, grade probabilities and sensitivity indices from
the cache instead of 1,000 replications (about a quarter of a province's run).

The experiment (`rating.uncertainty.Experiment`) holds everything the analysis reads: the scored
values of every data set, the structure, weights and methods, the peer groups, the grade bounds,
the uncertainty settings and the posterior the data are redrawn from. An entry is keyed by the
sha256 of all of it, the analysis's arguments, the source of the `rating` and `indicators`
packages, the versions of Python, numpy and polars, and what decides the last bits of the
arithmetic on this machine (the CPU features numpy dispatches on, the BLAS library and the
kernels it chose, the threads). So a rerun that changes the report's language or audience, the
alert rules, the model, the vetoes, the honours or the overrides reuses it; one that changes a
weight, a method, a grade bound, an uncertainty setting, the seed or any input value computes it
again. The entry holds the two frames as Arrow IPC bytes (zstd; 1.3 MB at province scale); what
is read back is checked against the experiment's keys, and anything unreadable is recomputed. A
run with the cache writes the same bytes as a run without it (tests/models/test_cache.py runs
both; tests/rating/test_analysis_cache.py checks the key).
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import io
import logging
import platform
import sys
from pathlib import Path

import numpy as np
import polars as pl

from rating import ranks, sensitivity
from rating.cache import Cache, code_digest, digest
from rating.uncertainty import Experiment, uncertainty

log = logging.getLogger("rating")

#: Where the code that computes the analysis lives: every module of these packages is hashed.
PACKAGES = ("rating", "indicators")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 of what turns an experiment into its analysis besides the experiment: the source of
    `PACKAGES`, the versions of Python, numpy and polars, and the machine's arithmetic (numpy's
    CPU features, the BLAS libraries and their kernels; the analysis's threads, which a caller
    may change, are keyed with each experiment)."""
    from threadpoolctl import threadpool_info

    from rating.version import __version__

    features = _cpu_features()
    blas = sorted((i.get("internal_api"), i.get("version"), i.get("architecture"))
                  for i in threadpool_info() if i.get("user_api") == "blas")
    root = Path(__file__).resolve().parent.parent
    return code_digest((__version__, sys.version, np.__version__, pl.__version__, platform.machine(),
                        sorted(k for k, on in features.items() if on) or platform.processor(), blas),
                       *(root / package for package in PACKAGES))


def _cpu_features() -> dict:
    """The CPU features numpy found (private: numpy 2 `numpy._core`, numpy 1 `numpy.core`); empty
    where neither has them (the processor's name is keyed instead)."""
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return dict(getattr(importlib.import_module(module), "__cpu_features__", {}))
        except ImportError:
            continue
    return {}


def _parts(value) -> list:
    """`value` as the arrays and JSON-able values `rating.cache.digest` hashes, each with what it
    is, so that two different values never give the same parts. A type it does not know is an
    error: a new kind of field must be keyed on purpose, never skipped."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, pl.DataFrame):
        return [["frame", value.schema.names(), [str(t) for t in value.schema.dtypes()]], value.write_csv()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [["object", type(value).__name__]] + [p for f in dataclasses.fields(value)
                                                     for p in [f.name, *_parts(getattr(value, f.name))]]
    if isinstance(value, dict):
        return [["dict", len(value)]] + [p for k in sorted(value, key=repr) for p in [repr(k), *_parts(value[k])]]
    if isinstance(value, (tuple, list)):
        return [["sequence", len(value)]] + [p for v in value for p in _parts(v)]
    if value is None or isinstance(value, (str, bool, int, float, np.integer, np.floating)):
        return [["value", type(value).__name__, repr(value)]]
    raise TypeError(f"cannot key a {type(value).__name__} of the experiment")


def experiment_key(exp: Experiment, **arguments) -> str:
    """sha256 of the experiment, the analysis's `arguments`, its threads and `code_version()`.
    The experiment's `refill` is left out: a function of its `data` (the observed values),
    `applicable` and `norm_groups`, all keyed, and of the code."""
    fields = [p for f in dataclasses.fields(exp) if f.name != "refill"
              for p in [f.name, *_parts(getattr(exp, f.name))]]
    return digest("monte carlo analysis", code_version(), [ranks.THREADS, sensitivity.THREADS],
                  sorted(arguments.items()), *fields)


def _ipc(frame: pl.DataFrame) -> np.ndarray:
    buf = io.BytesIO()
    frame.write_ipc(buf, compression="zstd")
    return np.frombuffer(buf.getvalue(), dtype=np.uint8)


def _frame(a: np.ndarray) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(a.tobytes()))


def summarised(exp: Experiment, replications: int, seed: int = 0, sensitivity_base: int = 0, resamples: int = 500,
               sensitivity_year: int | None = None, cache: Cache | None = None
               ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The summary of `rating.uncertainty.uncertainty(exp, replications, seed, sensitivity_base,
    resamples, sensitivity_year=sensitivity_year)` and its sensitivity indices (None without a
    sensitivity analysis), from `cache` (default: $RATING_CACHE) when an entry of the same
    experiment and arguments is there, else computed and kept: the same frames either way."""
    cache = cache if cache is not None else Cache.from_env()
    args = dict(replications=int(replications), seed=int(seed), sensitivity_base=int(sensitivity_base),
                resamples=int(resamples), sensitivity_year=sensitivity_year)
    key = experiment_key(exp, **args) if cache.folder is not None else None
    if key is not None and (hit := cache.get(key)) is not None:
        try:
            summary = _frame(hit["summary"])
            if not summary.select(exp.keys.columns).equals(exp.keys):
                raise ValueError("the summary's rows are not the experiment's")
            return summary, _frame(hit["indices"]) if "indices" in hit else None
        except Exception as e:  # an entry that does not read back is recomputed, never fatal
            log.debug("ignoring the cached analysis %s: %s", key, e)
    u = uncertainty(exp, replications, seed, sensitivity_base=sensitivity_base, resamples=resamples,
                    sensitivity_year=sensitivity_year)
    indices = u.sensitivity.indices if u.sensitivity is not None else None
    if key is not None:
        cache.put(key, {"summary": _ipc(u.summary), **({"indices": _ipc(indices)} if indices is not None else {})})
    return u.summary, indices
