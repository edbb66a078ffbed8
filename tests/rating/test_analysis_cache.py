"""The Monte Carlo analysis kept between runs (rating.analysis_cache): a warm cache gives the
frames a fresh analysis gives without running it, any change to what the analysis reads computes
it again, and an entry that does not read back is recomputed."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from polars.testing import assert_frame_equal

from rating import analysis_cache
from rating.analysis_cache import experiment_key, summarised
from rating.cache import Cache
from rating.score import score
from rating.uncertainty import experiment_from_scored, latest_year, uncertainty
from tests.rating import three_indicators
from tests.rating.test_uncertainty_data import world

UNC = {"data": "posterior", "data_draws": 10, "composite_bootstrap": "indicators", "impute": ["none", "mean"]}


def experiment(methods: dict | None = None, unc: dict | None = None, **tables):
    """The three-indicator experiment, its framework changed as `three_indicators.framework` says."""
    ind, units = world()
    fw = three_indicators.framework(methods=methods, uncertainty=unc or UNC, **tables)
    return experiment_from_scored(score(ind, units, fw), fw, indicators=ind, seed=1)


ARGS = dict(replications=40, seed=2, sensitivity_base=8, resamples=20)


def analyse(exp, cache):
    return summarised(exp, sensitivity_year=latest_year(exp), cache=cache, **ARGS)


def test_a_warm_cache_gives_the_fresh_frames_without_running_the_analysis(tmp_path, monkeypatch):
    exp = experiment()
    fresh = uncertainty(exp, ARGS["replications"], ARGS["seed"], sensitivity_base=ARGS["sensitivity_base"],
                        resamples=ARGS["resamples"], sensitivity_year=latest_year(exp))
    off = analyse(exp, Cache(None))
    cache = Cache(tmp_path)
    cold = analyse(exp, cache)
    assert (cache.hits, cache.misses) == (0, 1) and len(list(tmp_path.rglob("*.npz"))) == 1

    def no_analysis(*a, **k):
        raise AssertionError("the analysis ran although its entry is in the cache")

    monkeypatch.setattr(analysis_cache, "uncertainty", no_analysis)
    warm = analyse(exp, cache)
    assert cache.hits == 1
    for summary, indices in (off, cold, warm):
        assert_frame_equal(summary, fresh.summary)  # values, dtypes, nulls and row order
        assert_frame_equal(indices, fresh.sensitivity.indices)


def test_without_a_sensitivity_analysis_there_are_no_indices(tmp_path):
    exp = experiment()
    cache = Cache(tmp_path)
    for _ in range(2):
        summary, indices = summarised(exp, 20, 0, sensitivity_base=0, cache=cache)
        assert indices is None and summary.height == exp.keys.height
    assert cache.hits == 1


def test_what_the_analysis_reads_is_in_the_key_and_nothing_else():
    exp = experiment()
    key = experiment_key(exp, **ARGS)
    assert experiment_key(experiment(), **ARGS) == key  # the same inputs: the same key
    # labels are not read by the analysis
    relabelled = experiment(framework={"code": "IDX", "name_zh": "另一个", "name_en": "Other"})
    assert experiment_key(relabelled, **ARGS) == key
    changed = {
        "a weight": dataclasses.replace(exp, weight=exp.weight * np.r_[2.0, np.ones(exp.weight.size - 1)]),
        "a grade bound": experiment(grade=[{"code": "A", "min": 56}, {"code": "B", "min": 45},
                                           {"code": "C", "min": 0}]),
        "the weight noise": experiment(unc={**UNC, "weight_noise": 0.2}),
        "the data draws": experiment(unc={**UNC, "data_draws": 11}),
        "a method": experiment(methods={"normalise": "minmax:0,100"}),
        "an input value": dataclasses.replace(exp, data={k: (v[0] + (v[0] == v[0]) * 1e-9, v[1])
                                                         for k, v in exp.data.items()}),
    }
    for what, other in changed.items():
        assert experiment_key(other, **ARGS) != key, what
    for arg, value in (("seed", 3), ("replications", 41), ("sensitivity_base", 9), ("resamples", 21)):
        assert experiment_key(exp, **{**ARGS, arg: value}) != key, arg


def test_the_threads_are_keyed_when_they_change(monkeypatch):
    from rating import ranks

    exp = experiment()
    key = experiment_key(exp, **ARGS)
    monkeypatch.setattr(ranks, "THREADS", ranks.THREADS + 1)
    assert experiment_key(exp, **ARGS) != key


def test_a_field_of_an_unknown_kind_is_an_error_not_a_silent_miss():
    exp = experiment()
    with pytest.raises(TypeError, match="cannot key a object"):
        experiment_key(dataclasses.replace(exp, treat={"none": object()}), **ARGS)


@pytest.mark.parametrize("damage", ["garbage", "other rows"])
def test_an_entry_that_does_not_read_back_is_recomputed(tmp_path, damage):
    exp = experiment()
    cache = Cache(tmp_path)
    first = analyse(exp, cache)
    (entry,) = tmp_path.rglob("*.npz")
    if damage == "garbage":
        entry.write_bytes(b"not an npz file")
    else:  # a valid entry whose summary is of other rows (as a key collision would give)
        key = entry.stem
        cache.put(key, {"summary": analysis_cache._ipc(first[0].head(3)),
                        "indices": analysis_cache._ipc(first[1])})
    again = analyse(exp, cache)
    assert_frame_equal(again[0], first[0])
    assert_frame_equal(again[1], first[1])
