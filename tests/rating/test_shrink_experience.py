"""Experience over years (rating.shrink.pool_years, `[methods] experience_years`): a unit's year-t
estimate may rest on its earlier years' counts too, discounted. Off, the estimates are the year's
own; on, only years up to t enter, so adding a year leaves published years as they were, and the
Monte Carlo draws centre on the pooled estimate."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from indicators.errors import FrameworkError, MethodError
from indicators.framework_load import load_framework
from rating.score import group_codes, peer_groups, score
from rating.shrink import pool_years, shrink
from rating.resample import SHARE
from tests.rating import three_indicators
from rating.uncertainty import experiment_from_scored


def framework(**methods):
    return three_indicators.framework(methods, {"data": "posterior", "data_draws": 50})


def world(units=40, years=(2019, 2024), seed=0):
    """Small units (few staff and tickets) whose true rates persist over the years: the long
    indicator table, the units and each unit-year's true share."""
    rng = np.random.default_rng(seed)
    ids = [f"{440100 + i:06d}" for i in range(units)]
    staff = rng.integers(15, 60, units).astype(float)
    cases = rng.integers(5, 40, units).astype(float)
    rate0 = 0.03 * np.exp(rng.normal(0, 0.6, units))
    share0 = rng.beta(8, 2, units)
    rows, truth = [], []
    for t in range(years[0], years[1] + 1):
        rate = rate0 * np.exp(rng.normal(0, 0.1, units))
        p = np.clip(share0 + rng.normal(0, 0.02, units), 0.01, 0.99)
        k = rng.poisson(staff * rate).astype(float)
        s = rng.binomial(cases.astype(int), p).astype(float)
        amt = rng.gamma(2.0, 1000.0, units)
        for i, u in enumerate(ids):
            rows += [(u, t, "rate", k[i] / staff[i] * 100, k[i], staff[i]),
                     (u, t, "share", s[i] / cases[i], s[i], cases[i]),
                     (u, t, "amount", amt[i] / 1e6, amt[i], 1e6)]
            truth.append((u, t, p[i]))
    ind = pl.DataFrame(rows, schema={"unit_id": pl.String, "year": pl.Int64, "indicator": pl.String,
                                     "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64},
                       orient="row")
    units_frame = pl.DataFrame({"unit_id": ids, "kind": ["department"] * units, "level": ["county"] * units})
    true = pl.DataFrame(truth, schema={"unit_id": pl.String, "year": pl.Int64, "p": pl.Float64}, orient="row")
    return ind, units_frame, true


# ---------------------------------------------------------------- pooling


def test_earlier_years_count_discounted_and_later_years_not_at_all():
    # rows in any order: unit 7 has 2020-2023, unit 3 only 2023
    unit = np.array([7, 3, 7, 7, 7])
    year = np.array([2022, 2023, 2020, 2023, 2021])
    num = np.array([[2.0], [5.0], [8.0], [1.0], [4.0]])
    den = np.array([[10.0], [20.0], [40.0], [10.0], [20.0]])
    pn, pd_ = pool_years(num, den, unit, year, 3, 0.5)
    # 2023 of unit 7: 1 + 0.5 * 2 + 0.25 * 4 over 10 + 0.5 * 10 + 0.25 * 20 (2020 is outside the window)
    assert pn[3, 0] == 3.0 and pd_[3, 0] == 20.0
    assert pn[2, 0] == 8.0 and pd_[2, 0] == 40.0  # the first year has no history
    assert pn[4, 0] == 4.0 + 0.5 * 8.0  # 2021 does not see 2022 or 2023
    assert pn[1, 0] == 5.0 and pd_[1, 0] == 20.0  # another unit's years never mix in
    # a later year changed: the earlier ones keep their evidence
    num2 = num.copy()
    num2[3, 0] = 9.0
    pn2, _ = pool_years(num2, den, unit, year, 3, 0.5)
    assert (pn2[[0, 1, 2, 4]] == pn[[0, 1, 2, 4]]).all()


def test_missing_years_add_nothing_and_a_row_without_evidence_stays_missing():
    unit = np.zeros(4, int)
    year = np.array([2019, 2020, 2022, 2023])  # 2021 absent: a gap, not the year before 2022
    num = np.array([3.0, np.nan, 2.0, np.nan])
    den = np.array([10.0, 10.0, 10.0, 10.0])
    pn, pd_ = pool_years(num, den, unit, year, 3, 1.0)
    assert pn[2] == 2.0 and pd_[2] == 10.0  # 2020 has no numerator, 2021 no row
    assert np.isnan(pn[1]) and pd_[1] == 10.0 and np.isnan(pn[3])  # no evidence of its own: as given
    assert pn[0] == 3.0


def test_off_leaves_the_evidence_as_given_and_bad_input_is_a_clear_error():
    num, den = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    for years in (0, 1):
        pn, pd_ = pool_years(num, den, np.zeros(2, int), np.array([2020, 2021]), years, 0.5)
        assert pn.tobytes() == num.tobytes() and pd_.tobytes() == den.tobytes()
    with pytest.raises(MethodError, match="more than one row"):
        pool_years(num, den, np.zeros(2, int), np.array([2020, 2020]), 2, 0.5)
    with pytest.raises(MethodError, match="discount"):
        pool_years(num, den, np.zeros(2, int), np.array([2020, 2021]), 2, 1.5)
    with pytest.raises(MethodError, match="do not line up"):
        pool_years(num, den, np.zeros(3, int), np.array([2020, 2021, 2022]), 2, 0.5)


# ---------------------------------------------------------------- framework


def test_the_framework_declares_the_setting_and_refuses_bad_values():
    assert framework().methods["experience_years"] == 1  # off unless a framework asks for it
    shipped = load_framework(None).methods
    assert shipped["experience_years"] >= 0 and 0 < shipped["experience_discount"] <= 1
    with pytest.raises(FrameworkError) as e:
        framework(experience_years=2.5, experience_discount=0)
    text = "\n".join(e.value.problems)
    assert "methods.experience_years" in text and "methods.experience_discount" in text


# ---------------------------------------------------------------- scoring


def test_off_the_estimates_are_the_years_own_shrunk_evidence_byte_for_byte():
    ind, units, _ = world()
    fw = framework()
    sc = score(ind, units, fw)
    g = group_codes(peer_groups(sc.keys, fw, per_year=True))
    wide = (sc.keys.select("unit_id", "year")
            .join(ind.filter(pl.col("indicator") == "share"), on=["unit_id", "year"], how="left"))
    own = shrink(wide["numerator"].to_numpy(), wide["denominator"].to_numpy(), g, "beta-binomial")
    j = sc.codes.index("share")
    assert sc.inputs[:, j].tobytes() == own.tobytes()
    zero = score(ind, units, framework(experience_years=0))
    assert zero.inputs.tobytes() == sc.inputs.tobytes() and zero.aggregates.tobytes() == sc.aggregates.tobytes()


def test_a_years_estimate_uses_only_years_up_to_it():
    ind, units, _ = world()
    fw = framework(experience_years=3, experience_discount=0.5)
    full = score(ind, units, fw)
    short = score(ind.filter(pl.col("year") <= 2022), units, fw)
    keep = (full.keys["year"] <= 2022).to_numpy()
    for part in ("inputs", "normalised", "aggregates", "thin"):
        assert getattr(short, part).tobytes() == getattr(full, part)[keep].tobytes(), part
    # the years before do enter: changing 2021's counts moves 2022's estimate
    moved = ind.with_columns(pl.when((pl.col("year") == 2021) & (pl.col("indicator") == "share"))
                             .then(0.0).otherwise(pl.col("numerator")).alias("numerator"))
    other = score(moved, units, fw)
    j, in_2022 = full.codes.index("share"), (full.keys["year"] == 2022).to_numpy()
    assert (other.inputs[in_2022, j] < full.inputs[in_2022, j]).all()
    assert other.inputs[:, full.codes.index("amount")].tobytes() == full.inputs[:, full.codes.index("amount")].tobytes()


def test_experience_tracks_persistent_rates_better_than_one_year():
    ind, units, true = world(units=60, seed=5)
    truth = score(ind, units, framework()).keys.join(true, on=["unit_id", "year"], how="left")["p"].to_numpy()
    late = (score(ind, units, framework()).keys["year"] >= 2021).to_numpy()
    j = 1
    err = {}
    for years in (1, 3):
        sc = score(ind, units, framework(experience_years=years, experience_discount=0.7))
        err[years] = float(np.mean((sc.inputs[late, j] - truth[late]) ** 2))
    assert err[3] < 0.8 * err[1]


def test_monte_carlo_draws_centre_on_the_pooled_estimate():
    ind, units, _ = world()
    fw = framework(experience_years=3, experience_discount=0.5)
    sc = score(ind, units, fw)
    exp = experiment_from_scored(sc, fw, indicators=ind, seed=3)
    m = exp.draws
    redrawn = np.zeros(sc.inputs.shape, bool)
    redrawn[m.rows, m.cols] = True
    assert redrawn[:, :2].all() and not redrawn[:, 2].any()  # every count and share, never the amount
    # the posterior mean of every redrawn cell is the published (pooled) estimate
    mean = np.where(m.family == SHARE, m.a / (m.a + m.b), m.a / m.b) * m.scale
    np.testing.assert_allclose(mean, sc.inputs[m.rows, m.cols], rtol=1e-9)
    # and it rests on the pooled evidence: narrower than the year's own would give
    own = experiment_from_scored(score(ind, units, framework()), framework(), indicators=ind, seed=3).draws
    late = (sc.keys["year"] >= 2021).to_numpy()[m.rows] & (m.cols == 1)
    assert late.any() and (m.a[late] + m.b[late] > own.a[late] + own.b[late]).all()
