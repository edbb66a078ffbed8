"""Statistical audit: hand-computed correlations, Cronbach's alpha, PCA variance and flags."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from rating.audit import audit_tables, correlation_flags, correlations, cronbach, pca_variance
from rating.coinr import read_idata, read_imeta, score_tables

ASEM = Path(__file__).resolve().parents[1] / "data" / "external" / "asem"
S = pl.DataFrame({"iCode": ["a", "b", "c", "P", "Q", "Idx"], "Parent": ["P", "P", "Q", "Idx", "Idx", None],
                  "Level": [1, 1, 1, 2, 2, 3]})
V = pl.DataFrame({"uCode": ["u1", "u2", "u3", "u4", "u5"],
                  "a": [1.0, 2.0, 3.0, 4.0, None], "b": [2.0, 1.0, 4.0, 3.0, 9.0], "c": [4.0, 3.0, 2.0, 1.0, 0.0],
                  "P": [1.5, 1.5, 3.5, 3.5, 9.0], "Q": [4.0, 3.0, 2.0, 1.0, 0.0], "Idx": [2.75, 2.25, 2.75, 2.25, 4.5]})


def test_correlations_within_and_between_levels():
    c = correlations(V, S)
    got = {(a, b): (rel, r, n) for a, b, _, _, rel, r, n in c.iter_rows()}
    assert got[("a", "b")][:1] == ("same_group",) and got[("a", "b")][1] == pytest.approx(0.6)
    assert got[("a", "b")][2] == 4  # pairwise complete
    assert got[("a", "c")][0] == "same_level" and got[("a", "c")][1] == pytest.approx(-1)
    assert got[("c", "Q")][0] == "parent" and got[("c", "Q")][1] == pytest.approx(1)
    assert got[("a", "Idx")][0] == "ancestor" and got[("a", "Q")][0] == "other"
    assert ("P", "a") not in got  # each pair once, lower level first
    assert c.height == 3 + 3 * 3 + 1 + 2  # level-1 pairs, level 1 x higher levels, level-2 pair, level 2 x top
    spear = correlations(V, S, method="spearman")
    assert spear.filter((pl.col("a") == "b") & (pl.col("b") == "P"))["r"].item() == pytest.approx(
        np.corrcoef([2, 1, 4, 3, 5], [1.5, 1.5, 3.5, 3.5, 5])[0, 1])
    with pytest.raises(ValueError):
        correlations(V, S, method="kendall")


def test_cronbach_alpha_by_hand():
    rows = {g: (k, n, alpha) for g, _, k, n, alpha in cronbach(V, S).iter_rows()}
    # a, b on the 4 complete units: var a = var b = 5/3, var(a + b) = 16/3
    assert rows["P"][:2] == (2, 4) and rows["P"][2] == pytest.approx(2 * (1 - (10 / 3) / (16 / 3)))
    assert rows["Q"][2] is None  # one child
    assert rows["Idx"][0] == 2


def test_pca_variance_by_hand():
    p = pca_variance(V, S).filter(pl.col("group") == "P")
    assert p["eigenvalue"].to_list() == pytest.approx([1.6, 0.4])  # correlation 0.6
    assert p["share"].to_list() == pytest.approx([0.8, 0.2])
    assert p["cumulative"].to_list() == pytest.approx([0.8, 1.0])


def test_flags():
    v = V.with_columns(pl.Series("c2", [4.1, 2.9, 2.0, 1.0, 0.1]), pl.Series("d", [0.0, 1.0, 2.0, 3.0, 4.0]))
    s = pl.concat([S, pl.DataFrame({"iCode": ["c2", "d"], "Parent": ["Q", "Q"], "Level": [1, 1]})])
    f = correlation_flags(v, s)
    assert ("collinear", "Q", "c", "c2") in f.select("flag", "group", "a", "b").rows()
    assert ("negative_pair", "Q", "c", "d") in f.select("flag", "group", "a", "b").rows()
    assert ("negative_with_parent", "Q", "d", "Q") in f.select("flag", "group", "a", "b").rows()


def test_audit_on_asem():
    r = score_tables(read_idata(ASEM / "iData.csv"), read_imeta(ASEM / "iMeta.csv"))
    values = r.normalised.join(r.scores.drop("rank"), on="uCode")
    t = audit_tables(values, r.structure)
    assert t["cronbach"].height == 11 and t["cronbach"]["alpha"].drop_nulls().len() >= 8
    assert t["pca_variance"].group_by("group").agg(pl.col("share").sum())["share"].to_list() == pytest.approx(
        [1.0] * t["pca_variance"]["group"].n_unique())
    c = t["correlations"]
    assert c.filter(pl.col("relation") == "parent").height == 49 + 8 + 2
    assert set(t["correlation_flags"]["flag"]) <= {"negative_with_parent", "collinear", "negative_pair"}
