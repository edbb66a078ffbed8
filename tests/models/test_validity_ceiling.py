"""The ceiling in VALIDITY.md (models.validity_ceiling): the best linear score of the indicators,
in sample and cross-validated, from one year's estimates and with the unit's history; and the
`--method` override the dev-seed comparisons use."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from indicators.errors import FrameworkError
from indicators.framework_load import load_framework
from models import validity as v
from models.validity_ceiling import ceiling, with_history


def _panel(units=120, years=6, seed=0):
    """A persistent latent and two yearly noisy measures of it, in one peer group."""
    rng = np.random.default_rng(seed)
    unit_effect = rng.normal(0, 1, units)
    rows = []
    for t in range(years):
        latent = unit_effect + rng.normal(0, 0.3, units)
        for i in range(units):
            rows.append((f"u{i:03d}", 2019 + t, "g", latent[i], latent[i] + rng.normal(0, 1.2),
                         latent[i] + rng.normal(0, 1.2)))
    return pl.DataFrame(rows, schema=["unit_id", "year", "group", "covered", "a", "b"], orient="row")


def test_a_feature_equal_to_the_latent_reaches_one():
    f = _panel().with_columns(pl.col("covered").alias("a"))
    r = ceiling(f, ["a", "b"], "covered")["g"]
    assert r["in_sample"] == pytest.approx(1.0, abs=1e-3) and r["cross_validated"] == pytest.approx(1.0, abs=1e-3)


def test_history_lifts_the_ceiling_of_a_persistent_latent_measured_noisily():
    f = _panel()
    one = ceiling(f, ["a", "b"], "covered")["g"]
    hist, names = with_history(f, ["a", "b"])
    assert names == ["a", "b", "a@1", "b@1", "a@2", "b@2"]
    more = ceiling(hist, names, "covered")["g"]
    assert more["cross_validated"] > one["cross_validated"] + 0.05
    assert one["in_sample"] >= one["cross_validated"] - 0.02  # in sample is the optimistic one
    first = hist.filter(pl.col("year") == 2019)
    assert (first["a@1"] == 0).all()  # no year before the first: the peer average


def test_method_overrides_are_checked_like_a_framework_file(capsys):
    fw = load_framework()
    assert v.with_methods(fw, ["experience_years=1"]).methods["experience_years"] == 1
    with pytest.raises(FrameworkError):
        v.with_methods(fw, ["experience_discount=2"])
    with pytest.raises(FrameworkError):
        v.with_methods(fw, ["experience"])
    assert v.main(["--seeds", "5", "--method", "experience_years=-1"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "experience_years" in err
    assert "last 3 years" in v.describe(fw) and "own counts" in v.describe(v.with_methods(fw, ["experience_years=0"]))
