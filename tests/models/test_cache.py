"""The early warning's cache: a run with a warm cache says exactly what a run without one says
(and takes the Monte Carlo analysis from the cache too: rating.analysis_cache),
reuses every fit, refits only what changed, and recomputes entries that are corrupt, foreign or
stale instead of failing."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from models.cache import Cache

FRAMES = ("risk", "alerts", "levels", "explanations", "backtest", "predictions")
AS_OF_YEAR = 2026


@pytest.fixture(scope="module")
def small(ew_frames):
    """Regions and one department per region: fewer rows, same structure."""
    keep = pl.col("unit_id").str.contains("-", literal=True).not_() | pl.col("unit_id").str.ends_with("-FINANCE")
    return {k: v.filter(keep) for k, v in ew_frames.items()}


@pytest.fixture(scope="module")
def framework(make_framework):
    return make_framework()


def warn(frames: dict, framework, cache: Cache):
    """rules -> features -> early warning, with the given cache."""
    from models import features, risk, rules

    alerts = rules.evaluate(frames["values"], framework, scores=frames["scores"], monthly=frames["monthly"],
                            records=frames["records"], contracts=frames["contracts"])
    feat = features.build_features(frames["values"], framework, scores=frames["scores"], alerts=alerts)
    return risk.early_warning(feat, frames["events"], framework, seed=1, alerts=alerts, cache=cache)


def assert_same(a, b):
    for name in FRAMES:
        assert_frame_equal(getattr(a, name), getattr(b, name)), name
    assert json.dumps(a.card, sort_keys=True) == json.dumps(b.card, sort_keys=True)


def entries(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.npz"))


@pytest.fixture(scope="module")
def uncached(small, framework):
    return warn(small, framework, Cache(None))


def test_a_warm_cache_gives_what_no_cache_gives_and_refits_nothing(small, framework, uncached, tmp_path):
    cold = warn(small, framework, Cache(tmp_path))
    warm = warn(small, framework, Cache(tmp_path))
    assert_same(cold, uncached)
    assert_same(warm, uncached)
    n = cold.cached["computed"]
    assert n > 0 and cold.cached["hits"] == 0 and uncached.cached == {"hits": 0, "computed": n}
    assert warm.cached == {"hits": n, "computed": 0}
    assert len(entries(tmp_path)) == n
    # the fitted model of the last year is there all the same, and is the same model
    X = np.random.default_rng(0).normal(size=(5, len(warm.card["features"])))
    assert np.array_equal(warm.model.predict_proba(X), uncached.model.predict_proba(X))


def test_a_new_year_refits_only_its_own_origin(small, framework, tmp_path):
    last = int(small["scores"]["year"].max())
    before = {**small, **{k: small[k].filter(pl.col("year") < last) for k in ("values", "scores", "events")},
              "monthly": small["monthly"].filter(pl.col("month").dt.year() < last),
              "records": small["records"].filter(pl.col("occurred_on").dt.year() < last),
              "contracts": small["contracts"].filter(pl.col("due_on").is_null() | (pl.col("due_on").dt.year() < last))}
    warn(before, framework, Cache(tmp_path))
    now = warn(small, framework, Cache(tmp_path))
    models = now.predictions["model"].unique().len() - 1  # without "selected"
    assert now.cached["computed"] == models + 1  # each model at the new origin, and its explanation
    assert now.cached["hits"] > 0


def test_corrupt_foreign_and_misplaced_entries_are_recomputed(small, framework, uncached, tmp_path):
    warn(small, framework, Cache(tmp_path))
    files = entries(tmp_path)
    assert len(files) >= 4
    files[0].write_bytes(b"not an npz file")
    files[1].write_bytes(files[1].read_bytes()[:40])  # truncated
    files[2].write_bytes(files[3].read_bytes())  # another entry's content: its key does not match
    files[3].chmod(0o666)  # anyone may write it: not trusted
    again = warn(small, framework, Cache(tmp_path))
    assert_same(again, uncached)
    assert again.cached["computed"] == 4
    files[3].chmod(0o600)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # an entry of another user
        os.chown(files[4], 12345, 12345)
        assert Cache(tmp_path).get(files[4].stem) is None
    unreadable = Cache(tmp_path / "file")
    (tmp_path / "file").write_text("a file where the cache folder should be")
    assert_same(warn(small, framework, unreadable), uncached)


def test_off_keeps_nothing_and_the_default_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("RATING_CACHE", "off")
    assert Cache.from_env().folder is None
    Cache.from_env().put("ab" * 32, {"p": np.zeros(2)})
    monkeypatch.delenv("RATING_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    c = Cache.from_env()
    assert c.folder == tmp_path / "integrity-rating" / "early-warning"
    c.put("ab" * 32, {"p": np.zeros(2)})
    assert [p.name for p in entries(tmp_path)] == ["ab" * 32 + ".npz"]
    assert not list(tmp_path.rglob(".tmp-*"))  # written by a rename, nothing left over
    assert c.folder.stat().st_mode & 0o077 == 0


# ------------------------------------------------------------------ a whole run, written to a folder

def test_a_run_with_a_warm_cache_writes_what_a_run_without_one_writes(small_world, tmp_path, monkeypatch,
                                                                      differing_outputs):
    """Every file of OUT byte for byte, except those that carry the moment of a run (as between
    two runs without a cache): manifest.json but its timings, and the tables of results.duckdb."""
    import datetime as dt

    import rating
    from rating import analysis_cache

    def run(name, cache):
        monkeypatch.setenv("RATING_CACHE", cache)
        return rating.run(small_world, seed=3, out=tmp_path / name, as_of=dt.date(AS_OF_YEAR, 6, 30), replications=20)

    cold = run("cold", str(tmp_path / "cache"))

    def no_analysis(*a, **k):
        raise AssertionError("the Monte Carlo ran although its entry is in the cache")

    with monkeypatch.context() as m:  # the analysis too comes from the cache (rating.analysis_cache)
        m.setattr(analysis_cache, "uncertainty", no_analysis)
        warm = run("warm", str(tmp_path / "cache"))
    off = run("off", "off")
    assert cold.model.cached["computed"] > 0
    assert warm.model.cached == {"hits": cold.model.cached["computed"], "computed": 0}
    assert off.model.cached["hits"] == 0
    assert differing_outputs(tmp_path / "warm", tmp_path / "off") == []
