"""The validity instrument: every figure on hand-made frames, then one tiny world end to end."""
from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from indicators.framework_load import load_framework
from models import validity as v
from models import validity_audit as va
from models.validity_report import render


def frame(rows, cols=("unit_id", "group", "year", "score", "covered")) -> pl.DataFrame:
    return pl.DataFrame(rows, orient="row", schema=list(cols))


# ---------------------------------------------------------------- correlations


def test_spearman_of_a_perfect_score_is_one_and_of_a_reversed_one_minus_one():
    x = np.array([0.3, -1.2, 2.0, 0.9, 0.1])
    assert v.spearman(x, 10 * x + 3) == pytest.approx(1.0)
    assert v.spearman(x, np.exp(x)) == pytest.approx(1.0)  # ranks only
    assert v.spearman(x, -x) == pytest.approx(-1.0)
    assert v.spearman(x[:2], x[:2]) is None  # fewer than three pairs
    assert v.spearman(x, np.ones(5)) is None  # no spread
    # ties take average ranks: ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4)
    assert v.spearman(np.array([1.0, 2.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(
        np.corrcoef([1, 2.5, 2.5, 4], [1, 2, 3, 4])[0, 1])


def test_level_spearman_is_the_median_over_years_within_each_group():
    rows = []
    for year, scores in ((1, [1, 2, 3, 4]), (2, [4, 3, 2, 1]), (3, [1, 2, 4, 3])):
        rows += [(f"u{i}", "g", year, float(s), float(i)) for i, s in enumerate(scores)]
    rows += [(f"d{i}", "h", 1, float(i), float(i)) for i in range(3)]
    got = v.level_spearman(frame(rows), "score", "covered")
    assert got["g"] == pytest.approx(0.8)  # median of 1, -1 and 0.8
    assert got["h"] == pytest.approx(1.0)


def test_change_correlation_pairs_consecutive_years_of_a_unit():
    rows = [("a", "g", 1, 50.0, 0.0), ("a", "g", 2, 60.0, 1.0), ("b", "g", 1, 50.0, 0.0), ("b", "g", 2, 40.0, -1.0),
            ("c", "g", 1, 50.0, 0.0), ("c", "g", 2, 55.0, 0.5),
            ("d", "g", 1, 99.0, 0.0), ("d", "g", 3, 0.0, 5.0)]  # a gap of two years is no year-on-year change
    assert v.change_correlation(frame(rows), "score", "covered")["g"] == pytest.approx(1.0)
    flipped = frame(rows).with_columns(-pl.col("score"))
    assert v.change_correlation(flipped, "score", "covered")["g"] == pytest.approx(-1.0)


# ---------------------------------------------------------------- grades, intervals, evidence


def test_grade_agreement_against_true_quarters():
    # eight units, latent 8 (best) .. 1; positions (rank - 0.5) / 8: best quarter ranks 1-2, worst 7-8
    grades = ["A", "B", "A", "C", "C", "D", "A", "D"]
    rows = [(f"u{i}", "g", 1, g, float(8 - i)) for i, g in enumerate(grades)]
    rows += [(f"u{i}", "g", 2, "A", float(8 - i)) for i in range(8)]  # everyone A the next year
    f = frame(rows, ("unit_id", "group", "year", "grade", "covered"))
    got = v.grade_agreement(f, "grade", "covered")["g"]
    assert got["a_top"] == pytest.approx(3 / 4)  # year 1: A, B; year 2: A, A
    assert got["d_bottom"] == pytest.approx(1 / 4)  # year 1: A, D; year 2: A, A
    assert got["a_all"] == pytest.approx((3 + 8) / 16)
    assert got["moved"] == pytest.approx(5 / 8)  # the five units not A in year 1


def test_quartile_grades_of_the_reference():
    f = pl.DataFrame({"group": ["g"] * 8, "year": [1] * 8, "reference": [8.0, 7, 6, 5, 4, 3, 2, 1]})
    assert f.select(v.quartile_grades("reference").alias("g"))["g"].to_list() == list("AABBCCDD")


def test_rank_coverage_and_width():
    # true ranks by latent: u0 1, u1 2, u2 3, u3 4
    f = pl.DataFrame({"unit_id": ["u0", "u1", "u2", "u3"], "group": ["g"] * 4, "year": [1] * 4,
                      "covered": [4.0, 3.0, 2.0, 1.0], "rank_low": [1, 3, 2, 4], "rank_high": [2, 4, 2, 4]})
    got = v.rank_coverage(f, "covered")["g"]
    assert got["coverage"] == pytest.approx(2 / 4)  # u0 in [1, 2], u3 in [4, 4]
    assert got["width"] == pytest.approx(1.5 / 4)  # widths 2, 2, 1, 1


def test_minimum_counts_come_from_definitions_else_alerts():
    fw = load_framework()
    nodes = tuple(dataclasses.replace(n, definition=dataclasses.replace(
        n.definition, min_denominator=12.0 if n.code == "satisfaction_rate" else 0.0, min_count=None))
        if n.is_indicator else n
        for n in fw.nodes)
    alert = {"code": "low", "kind": "threshold", "indicator": "complaint_ontime_rate", "op": "lt", "value": 0.8,
             "min_denominator": 30, "level": "yellow"}
    fw = dataclasses.replace(fw, nodes=nodes, alerts=(alert,), methods={**fw.methods, "min_count": 0})
    assert v.minimum_counts(fw) == {"satisfaction_rate": 12.0, "complaint_ontime_rate": 30.0}
    # the framework's min_count is the least evidence of every share without its own
    shares = v.minimum_counts(dataclasses.replace(fw, methods={**fw.methods, "min_count": 5}))
    assert shares["satisfaction_rate"] == 12.0 and shares["repeat_complaint_rate"] == 5.0
    assert "failure_weighted_per_100_staff" not in shares


def test_perfect_scores_with_thin_evidence():
    scores = pl.DataFrame({"unit_id": ["a", "b", "c", "d"], "year": [1] * 4, "score": [100.0, 100.0, 99.9, 100.0]})
    groups = pl.DataFrame({"unit_id": ["a", "b", "c", "d"], "group": ["city departments"] * 3 + ["city governments"],
                           "region_id": ["r"] * 4})
    ind = pl.DataFrame({"unit_id": ["a", "b", "c", "d"], "year": [1] * 4, "indicator": ["complaint_ontime_rate"] * 4,
                        "denominator": [3.0, 300.0, 3.0, None]})
    got = v.perfect_scores(scores, ind, groups, {"complaint_ontime_rate": 30.0})
    assert got["city departments"] == {"all": 2, "thin": 1}  # a: 3 tickets; c is not 100
    assert got["city governments"] == {"all": 1, "thin": 0}  # no value is no evidence, not thin evidence
    assert got["county departments"] == {"all": 0, "thin": 0}


# ---------------------------------------------------------------- truth and reference


def test_covered_latent_of_a_region_weights_its_departments_by_staff():
    units = pl.DataFrame({"unit_id": ["R", "R-A", "R-B", "C"], "kind": ["region", "department", "department", "region"],
                          "region_id": ["R", "R", "R", "C"]})
    latent = pl.DataFrame({"unit_id": ["R", "R-A", "R-B", "C"], "year": [1] * 4, "latent": [1.0, 0.0, -2.0, 0.3]})
    staff = pl.DataFrame({"unit_id": ["R", "R-A", "R-B", "C"], "year": [1] * 4, "staff": [200.0, 100.0, 100.0, 50.0]})
    got = {r[0]: r[2:] for r in v.truth(latent, units, staff).rows()}
    assert got["R"] == (1.0, pytest.approx(0.0))  # (200 * 1 + 100 * 0 + 100 * -2) / 400
    assert got["R-B"] == (-2.0, -2.0)
    assert got["C"] == (0.3, 0.3)


def test_reference_composite_on_known_frames():
    units = ["a", "b", "c", "x", "y"]
    groups = pl.DataFrame({"unit_id": units, "group": ["g", "g", "g", "h", "h"]})
    rows = []
    for code, vals in {
            "complaint_ontime_rate": [0.9, 0.8, 0.7, 0.5, 0.6],
            "satisfaction_rate": [0.9, 0.9, 0.6, 0.5, 0.5],  # no spread in h: no z-score there
            "repeat_complaint_rate": [0.1, 0.2, 0.3, 0.2, 0.1],
            "failure_weighted_per_100_staff": [0.0, 0.0, 3.0, None, 1.0],
            "contract_ontime_rate": [None, None, None, 1.0, 0.0]}.items():
        rows += [(u, 1, code, x) for u, x in zip(units, vals)]
    ind = pl.DataFrame(rows, orient="row", schema=["unit_id", "year", "indicator", "value"])
    got = dict(v.reference_composite(ind, groups).select("unit_id", "reference").rows())

    def z(x):
        x = np.array(x)
        return (x - x.mean()) / x.std(ddof=1)
    g = (z([0.9, 0.8, 0.7]) + z([0.9, 0.9, 0.6]) - z([0.1, 0.2, 0.3]) - z([0.0, 0.0, 3.0])) / 4
    assert [got[u] for u in "abc"] == pytest.approx(list(g))
    # h: on-time (0.5, 0.6) and repeat (0.2, 0.1) z-score; failures have one value; contracts (1, 0)
    h = (z([0.5, 0.6]) - z([0.2, 0.1]) + z([1.0, 0.0])) / 3
    assert [got["x"], got["y"]] == pytest.approx(list(h))
    with pytest.raises(ValueError, match="contract_ontime_rate"):  # a FrameworkError
        v.check_reference(ind.filter(pl.col("indicator") != "contract_ontime_rate"))


def test_peer_groups_leave_the_province_out():
    units = pl.DataFrame({"unit_id": ["P", "C", "C-X", "K", "K-X"], "kind": ["region", "region", "department",
                          "region", "department"], "level": ["province", "city", "city", "county", "county"],
                          "region_id": ["P", "C", "C", "K", "K"]})
    assert v.peer_groups(units)["group"].to_list() == [None, "city governments", "city departments",
                                                       "county governments", "county departments"]


# ---------------------------------------------------------------- audit


def test_indicator_audit_flags_coverage_and_flat_scales():
    assert va.flags({"coverage": 0.1, "modal_share": 0.5, "sd": 20.0}) == ["low coverage"]
    assert va.flags({"coverage": 1.0, "modal_share": 0.95, "sd": 20.0}) == ["near-constant"]
    assert va.flags({"coverage": 1.0, "modal_share": 0.2, "sd": 1.0}) == ["near-constant"]
    assert va.flags({"coverage": 0.9, "modal_share": 0.2, "sd": 20.0}) == []


def test_consistency_alpha_and_duplicate_pairs():
    s = pl.DataFrame({"iCode": ["a", "b", "c"], "Parent": ["P"] * 3, "Level": [1] * 3})
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    vals = pl.DataFrame({"a": x, "b": 2 * x + 1, "c": [1.0, 3.0, 2.0, 5.0, 4.0, 6.0]})
    alpha, pairs = va.consistency(vals, s)
    r = {(a, b): r for _, a, b, r, _ in pairs.rows()}
    assert r[("a", "b")] == pytest.approx(1.0)
    mean_r = np.mean([1.0, r[("a", "c")], r[("b", "c")]])
    row = alpha.row(0, named=True)
    assert row["standardised"] == pytest.approx(3 * mean_r / (1 + 2 * mean_r))
    assert row["listwise_n"] == 6


# ---------------------------------------------------------------- one tiny world end to end


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    fw = load_framework()
    kw = dict(replications=10, nuisance=1.0, years=(2023, 2024), complaints=20_000)
    return [v.rate_world(3, tmp_path_factory.mktemp(f"w{i}") / "data", fw, **kw) for i in range(2)], fw


@pytest.mark.integration
def test_a_tiny_world_gives_every_figure(tiny):
    (w, _), fw = tiny
    assert w["units"]["city governments"] == 21 and w["units"]["county governments"] == 122
    assert 400 < w["units"]["county departments"] <= 488  # a few without tickets have no reference
    for who in ("engine", "reference"):
        for g, r in w[who]["spearman"]["covered"].items():
            assert -1 <= r <= 1, (who, g)
        assert set(w[who]["grades"]) == set(w["units"])
    assert w["reference"]["spearman"]["covered"]["county governments"] > 0.5  # the reference tracks the truth
    assert 0 <= w["engine"]["intervals"]["city departments"]["coverage"] <= 1
    assert set(w["audit"]) == {"indicators", "alpha", "pairs"}
    assert w["audit"]["indicators"].height == len(fw.indicators)
    for which in ("year", "history"):  # the ceiling of a linear score, per peer group
        assert set(w["ceiling"][which]) == set(w["units"])
        assert all(-1 <= r["in_sample"] <= 1 for r in w["ceiling"][which].values())


@pytest.mark.integration
def test_the_report_is_the_same_for_the_same_worlds(tiny):
    (a, b), fw = tiny
    kw = dict(command="python -m models.validity --seeds 3", commit="abc", date="2026-01-01", framework="GDI",
              years=(2023, 2024), as_of="2025-06-30", replications=10, nuisance=1.0, minimum=v.minimum_counts(fw))
    text = render({3: a}, **kw)
    assert text == render({3: b}, **kw)  # two generations and ratings of the same seed
    assert "| city departments |" in text and "## Indicator audit" in text and "Date: 2026-01-01" in text
    assert "## Ceiling: what the indicators allow" in text
    assert "nan" not in text


def test_bad_arguments_are_one_line_errors(capsys):
    with pytest.raises(SystemExit) as e:
        v.main(["--seeds", "5", "5"])
    assert e.value.code == 2 and "distinct" in capsys.readouterr().err
