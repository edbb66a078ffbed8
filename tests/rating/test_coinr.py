"""COINr-format scoring: ASEM against an independent implementation of the COINr formulas, the
UNDP HDI 2022 and the SDSN SDG Index 2021 against their published figures, plus input checks.

The reference implementation below reads the CSVs with the `csv` module and computes every step
with plain Python lists, following the formulas of COINr 1.1.14 (n_minmax, n_zscore, n_rank,
check_SkewKurt/winsorise/log_CT, a_amean, a_gmean, rank with ties "min").
"""
from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import FrameworkError, InputError, MethodError
from rating.coinr import read_idata, read_imeta, score_tables, write_score_outputs
from rating.ranks import rank

DATA = Path(__file__).resolve().parents[1] / "data" / "external"
ASEM = DATA / "asem"


# ---------------------------------------------------------------- independent reference (ASEM)

def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _num(s: str):
    return None if s in ("", "NA") else float(s)


def ref_minmax(col, lo, hi):
    v = [x for x in col if x is not None]
    mn, mx = min(v), max(v)
    return [None if x is None else (x - mn) / (mx - mn) * (hi - lo) + lo for x in col]


def ref_zscore(col, m, s):
    v = [x for x in col if x is not None]
    mu, sd = statistics.mean(v), statistics.stdev(v)
    return [None if x is None else (x - mu) / sd * s + m for x in col]


def ref_rank(col):
    v = [x for x in col if x is not None]
    return [None if x is None else 1 + sum(1 for u in v if u < x) for x in col]


def ref_skew(v):
    n = len(v)
    mu = sum(v) / n
    m2 = sum((x - mu) ** 2 for x in v) / n
    m3 = sum((x - mu) ** 3 for x in v) / n
    return math.sqrt(n * (n - 1)) / (n - 2) * m3 / m2 ** 1.5


def ref_kurt(v):
    n = len(v)
    mu = sum(v) / n
    s2 = sum((x - mu) ** 2 for x in v)
    s4 = sum((x - mu) ** 4 for x in v)
    return ((n + 1) * (n * s4 / s2 ** 2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))


def ref_passes(col):
    v = [x for x in col if x is not None]
    return abs(ref_skew(v)) < 2 or ref_kurt(v) < 3.5


def ref_treat(col):
    """COINr Treat defaults: winsorise up to 5 points (ties together), else log_CT of the original."""
    if ref_passes(col):
        return list(col), {}
    x, hi, lo = list(col), set(), set()
    while not ref_passes(x) and len(hi) + len(lo) < 5:
        present = [(i, v) for i, v in enumerate(x) if v is not None]
        if ref_skew([v for _, v in present]) >= 0:
            top = max(v for _, v in present)
            hi = {i for i, v in present if v == top}
            new = max(v for i, v in present if i not in hi)
            for i in hi:
                x[i] = new
        else:
            bottom = min(v for _, v in present)
            lo = {i for i, v in present if v == bottom}
            new = min(v for i, v in present if i not in lo)
            for i in lo:
                x[i] = new
    if ref_passes(x):
        return x, {**{i: "winhi" for i in hi}, **{i: "winlo" for i in lo}}
    v = [c for c in col if c is not None]
    mn, mx = min(v), max(v)
    return [None if c is None else math.log(c - mn + 0.01 * (mx - mn)) for c in col], {
        i: "log_CT" for i, c in enumerate(col) if c is not None}


def ref_index(normalise, agg="arithmetic", treat=False):
    """Scores of every aggregate and the rank of the index, computed from the CSV files."""
    meta, data = _rows(ASEM / "iMeta.csv"), _rows(ASEM / "iData.csv")
    inds = [r for r in meta if r["Type"] == "Indicator"]
    vals, points = {}, 0
    for r in inds:
        col = [_num(d[r["iCode"]]) for d in data]
        if treat:
            col, flags = ref_treat(col)
            points += len(flags)
        col = [None if x is None else x * float(r["Direction"]) for x in col]
        vals[r["iCode"]] = normalise(col)
    aggs = sorted((r for r in meta if r["Type"] == "Aggregate"), key=lambda r: int(r["Level"]))
    for a in aggs:
        kids = [r for r in meta if r["Parent"] == a["iCode"]]
        out = []
        for i in range(len(data)):
            pairs = [(float(k["Weight"]), vals[k["iCode"]][i]) for k in kids if vals[k["iCode"]][i] is not None]
            tw = sum(w for w, _ in pairs)
            if not pairs:
                out.append(None)
            elif agg == "arithmetic":
                out.append(sum(w * x for w, x in pairs) / tw)
            else:
                out.append(math.exp(sum(w * math.log(x) for w, x in pairs) / tw))
        vals[a["iCode"]] = out
    index = vals[aggs[-1]["iCode"]]
    ranks = [1 + sum(1 for u in index if u is not None and u > x) for x in index]
    return {a["iCode"]: vals[a["iCode"]] for a in aggs}, ranks, points


def _compare(result, ref):
    scores, ranks, _ = ref
    dev = 0.0
    for code, col in scores.items():
        got = result.scores[code].to_list()
        assert [g is None for g in got] == [c is None for c in col], code
        dev = max(dev, max(abs(g - c) for g, c in zip(got, col) if c is not None))
    assert result.scores["rank"].to_list() == ranks
    return dev


@pytest.fixture(scope="module")
def asem():
    return read_idata(ASEM / "iData.csv"), read_imeta(ASEM / "iMeta.csv")


@pytest.mark.parametrize("normalise,aggregate,treat,ref", [
    ("minmax:0,100", "arithmetic", "none", lambda: ref_index(lambda c: ref_minmax(c, 0, 100))),
    ("zscore:0,1", "arithmetic", "none", lambda: ref_index(lambda c: ref_zscore(c, 0, 1))),
    ("minmax:1,100", "geometric", "none", lambda: ref_index(lambda c: ref_minmax(c, 1, 100), "geometric")),
    ("minmax:0,100", "arithmetic", "winsorise", lambda: ref_index(lambda c: ref_minmax(c, 0, 100), treat=True)),
    ("rank", "arithmetic", "none", lambda: ref_index(ref_rank)),
])
def test_asem_matches_reference_implementation(asem, normalise, aggregate, treat, ref):
    result = score_tables(*asem, normalise=normalise, aggregate=aggregate, treat=treat)
    assert _compare(result, ref()) < 1e-9


def test_asem_output_columns_and_order(asem):
    r = score_tables(*asem)
    aggs = ["Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ", "Social", "SusEcFin",
            "Conn", "Sust", "Index"]
    assert r.scores.columns == ["uCode", *aggs, "rank"]
    assert r.scores["rank"].dtype == pl.Int64
    assert r.normalised.width == 1 + 49
    assert r.effective_weights.filter(pl.col("Level") == 1)["effective_weight"].sum() == pytest.approx(1.0)


def test_asem_treatment_known_facts(asem):
    """On raw ASEM, 18 of 49 indicators fail the skew/kurtosis test; winsorisation fixes all of them
    with 30 points in total; none needs the log transform."""
    r = score_tables(*asem, treat="winsorise")
    t = r.treatment
    assert t.height == 49 and t.filter(~pl.col("passes")).height == 18
    assert t.filter(pl.col("treatment") == "winsorise").height == 18
    assert t.filter(pl.col("treatment") == "log_CT").height == 0
    assert r.treated_points.height == 30 and set(r.treated_points["flag"]) <= {"winhi", "winlo"}
    assert t.filter(pl.col("treatment") == "winsorise")["n_winsorised"].is_between(1, 3).all()
    assert t.filter(pl.col("treatment") != "none")["passes_treated"].all()
    _, _, points = ref_index(lambda c: c, treat=True)
    assert points == 30


def test_asem_distance_to_target_from_imeta(asem):
    idata, imeta = asem
    r = score_tables(idata, imeta, normalise="dist2targ")
    meta = {m["iCode"]: m for m in _rows(ASEM / "iMeta.csv")}
    for code in ("LPI", "Tariff"):
        x = np.array([_num(d[code]) if _num(d[code]) is not None else np.nan for d in _rows(ASEM / "iData.csv")])
        t, d = float(meta[code]["Target"]), float(meta[code]["Direction"])
        want = (x - np.nanmin(x)) / (t - np.nanmin(x)) if d == 1 else (np.nanmax(x) - x) / (np.nanmax(x) - t)
        np.testing.assert_allclose(r.normalised[code].to_numpy(), want, atol=1e-12)


def test_write_score_outputs_round_trips(asem, tmp_path):
    r = score_tables(*asem, normalise="zscore:10,2")
    paths = write_score_outputs(r, tmp_path / "out")
    assert (tmp_path / "out" / "scores.csv") in paths
    back = pl.read_csv(tmp_path / "out" / "scores.csv")
    assert back.columns == r.scores.columns
    np.testing.assert_array_equal(back["Index"].to_numpy(), r.scores["Index"].to_numpy())  # full precision
    first = (tmp_path / "out" / "scores.csv").read_bytes()
    write_score_outputs(score_tables(*asem, normalise="zscore:10,2"), tmp_path / "again")
    assert (tmp_path / "again" / "scores.csv").read_bytes() == first


# ---------------------------------------------------------------- UNDP HDI 2022

HDI_META = """iCode,iName,Level,Parent,Weight,Direction,Type,Aggregate,goalpost_lower,goalpost_upper,goalpost_scale,goalpost_trunc2posts
le,Life expectancy at birth,1,Health,1,1,Indicator,,20,85,1,TRUE
eys,Expected years of schooling,1,Education,1,1,Indicator,,0,18,1,TRUE
mys,Mean years of schooling,1,Education,1,1,Indicator,,0,15,1,TRUE
lgni,GNI per capita (log),1,Income,1,1,Indicator,,{lo},{hi},1,TRUE
Health,Health index,2,HDI,1,1,Aggregate,arithmetic,,,,
Education,Education index,2,HDI,1,1,Aggregate,arithmetic,,,,
Income,Income index,2,HDI,1,1,Aggregate,arithmetic,,,,
HDI,Human Development Index,3,,1,1,Aggregate,geometric,,,,
""".format(lo=math.log(100), hi=math.log(75000))


def _hdi(tmp_path):
    cs = pl.read_csv(DATA / "undp-hdi" / "hdr2324_hdi_2022_crosssection.csv")
    idata = cs.select(pl.col("iso3").alias("uCode"), pl.col("country").alias("uName"),
                      pl.col("le_2022").alias("le"), pl.col("eys_2022").alias("eys"),
                      pl.col("mys_2022").alias("mys"), pl.col("gnipc_2022").log().alias("lgni"))
    (tmp_path / "imeta.csv").write_text(HDI_META)
    idata.write_csv(tmp_path / "idata.csv")
    return cs, read_idata(tmp_path / "idata.csv"), read_imeta(tmp_path / "imeta.csv")


def test_hdi_2022_reproduces_published_values_and_ranks(tmp_path):
    cs, idata, imeta = _hdi(tmp_path)
    countries = ~idata["uCode"].str.starts_with("ZZ")
    r = score_tables(idata.filter(countries), imeta, normalise="goalposts", data_threshold=1.0)
    pub = cs.filter(countries)
    hdi = r.scores["HDI"].to_numpy()
    want = pub["hdi_2022"].to_numpy()
    assert np.array_equal(np.isnan(hdi), np.isnan(want))  # PRK, MCO: incomplete data, no HDI
    ok = ~np.isnan(want)
    assert np.abs(hdi[ok] - want[ok]).max() <= 0.0005 + 1e-12
    assert np.array_equal(np.round(hdi[ok], 3), want[ok])
    got_rank = rank(np.round(hdi, 3))  # HDR ranks the 3-decimal HDI, ties sharing the rank
    np.testing.assert_array_equal(got_rank, pub["hdi_rank_2022"].to_numpy())
    # the documented example rows, dimension indices to 6 decimals
    nor = r.scores.filter(pl.col("uCode") == "NOR").row(0, named=True)
    assert (round(nor["Health"], 6), round(nor["Education"], 6), round(nor["Income"], 6)) == (0.975277, 0.935411, 0.98782)


def test_hdi_2022_groups_and_world(tmp_path):
    cs, idata, imeta = _hdi(tmp_path)
    agg = idata["uCode"].str.starts_with("ZZ")
    r = score_tables(idata.filter(agg), imeta, normalise="goalposts", data_threshold=1.0)
    np.testing.assert_array_equal(np.round(r.scores["HDI"].to_numpy(), 3), cs.filter(agg)["hdi_2022"].to_numpy())


# ---------------------------------------------------------------- SDSN SDG Index 2021

def _sdr_meta(cb: pl.DataFrame, normalise_all: str | None, impute_sdg4: str | None) -> pl.DataFrame:
    # "none" still multiplies by the direction (as COINr does): normalised inputs get direction 1
    up = (cb["optimum_100"] > cb["lower_bound_0"]) | (normalise_all == "none")
    ind = cb.select(
        pl.col("indicator").alias("iCode"), pl.lit(1).alias("Level"),
        ("SDG" + pl.col("sdg").cast(pl.String)).alias("Parent"), pl.lit(1.0).alias("Weight"),
        pl.when(up).then(1).otherwise(-1).alias("Direction"), pl.lit("Indicator").alias("Type"),
        pl.min_horizontal("optimum_100", "lower_bound_0").alias("goalpost_lower"),
        pl.max_horizontal("optimum_100", "lower_bound_0").alias("goalpost_upper"),
        pl.lit(100.0).alias("goalpost_scale"), pl.lit(True).alias("goalpost_trunc2posts"),
        pl.when(pl.col("indicator") == "sdg16_safe").then(pl.lit("none")).otherwise(pl.lit(normalise_all))
        .alias("Normalise"),
        pl.when(pl.col("sdg") == 4).then(pl.lit(impute_sdg4)).otherwise(pl.lit(None, pl.String)).alias("Impute"),
    )
    goals = pl.DataFrame({"iCode": [f"SDG{g}" for g in range(1, 18)] + ["SDGI"], "Level": [2] * 17 + [3],
                          "Parent": ["SDGI"] * 17 + [None], "Weight": 1.0, "Direction": 1, "Type": "Aggregate"})
    return pl.concat([ind, goals], how="diagonal_relaxed")


def test_sdg_index_2021_goal_scores_and_ranks():
    """SDR 2021 method (README): goalposts censored to [0, 100]; goal = mean of available
    indicator scores, SDG 4 gaps filled with the regional mean of the normalised scores, no SDG 14
    score for landlocked countries (1 of 6 indicators); index = mean of the 17 goals with missing
    goals replaced by the published regional goal score; competition rank."""
    cb = pl.read_csv(DATA / "sdr2021" / "sdr2021_codebook_global.csv")
    long = pl.read_csv(DATA / "sdr2021" / "sdr2021_indicators_long.csv")
    pub = pl.read_csv(DATA / "sdr2021" / "sdr2021_scores.csv").filter(pl.col("sdg_index_score").is_not_null())
    codes = cb["indicator"].to_list()
    raw = long.with_columns(pl.when(pl.col("indicator") == "sdg16_safe").then(pl.col("normalised_published"))
                            .otherwise(pl.col("raw_value")).alias("v"))
    idata = (pub.select(pl.col("iso3").alias("uCode"), "region")
             .join(raw.pivot(on="indicator", index="iso3", values="v").rename({"iso3": "uCode"}), on="uCode", how="left")
             .select("uCode", "region", *codes))
    # 1. normalise with the published bounds (iMeta goalposts; sdg16_safe arrives normalised)
    stage1 = score_tables(idata, _sdr_meta(cb, None, None), normalise="goalposts")
    norm_pub = long.pivot(on="indicator", index="iso3", values="normalised_published")
    norm_pub = pub.select(pl.col("iso3")).join(norm_pub, on="iso3", how="left")
    got, want = stage1.normalised.select(codes).to_numpy(), norm_pub.select(codes).to_numpy().astype(float)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.nanmax(np.abs(got - want)) <= 0.0005 + 1e-9
    # 2. goal scores: regional means fill SDG 4 gaps; a goal needs 20% of its indicators observed
    idata2 = stage1.normalised.join(idata.select("uCode", "region"), on="uCode")
    stage2 = score_tables(idata2, _sdr_meta(cb, "none", "group-mean:region"), normalise="none", data_threshold=0.2)
    goals = [f"SDG{g}" for g in range(1, 18)]
    got = stage2.scores.select(goals).to_numpy()
    want = pub.select([f"goal{g}_score" for g in range(1, 18)]).to_numpy().astype(float)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.nanmax(np.abs(got - want)) < 0.0005
    # 3. index: missing goals take the published regional goal score
    filled = stage2.scores.select("uCode", *[
        pl.col(f"SDG{g}").fill_null(pub[f"goal{g}_regional_score"]).alias(f"SDG{g}") for g in range(1, 18)])
    meta3 = pl.DataFrame({"iCode": goals + ["SDGI"], "Level": [1] * 17 + [2], "Parent": ["SDGI"] * 17 + [None],
                          "Weight": 1.0, "Direction": 1, "Type": ["Indicator"] * 17 + ["Aggregate"]})
    stage3 = score_tables(filled, meta3, normalise="none")
    assert np.abs(stage3.scores["SDGI"].to_numpy() - pub["sdg_index_score"].to_numpy()).max() < 1e-4
    assert stage3.scores["rank"].to_list() == pub["sdg_index_rank"].cast(pl.Int64).to_list()


# ---------------------------------------------------------------- options and checks

def _tiny_meta(**extra):
    m = pl.DataFrame({"iCode": ["a", "b", "c", "P", "Q", "Idx"], "Level": [1, 1, 1, 2, 2, 3],
                      "Parent": ["P", "P", "Q", "Idx", "Idx", None], "Weight": [1.0, 3.0, 1.0, 1.0, 1.0, 1.0],
                      "Direction": [1, -1, 1, 1, 1, 1], "Type": ["Indicator"] * 3 + ["Aggregate"] * 3})
    return m.with_columns([pl.Series(k, v) for k, v in extra.items()])


TINY = pl.DataFrame({"uCode": ["u1", "u2", "u3", "u4"], "region": ["N", "N", "S", "S"],
                     "a": [1.0, 2.0, None, 4.0], "b": [10.0, 30.0, 20.0, 40.0], "c": [5.0, 5.5, 7.0, 6.0]})


def test_imeta_overrides_per_indicator_and_group():
    meta = _tiny_meta(Normalise=["rank", None, "minmax:1,2", None, None, None],
                      Aggregate=[None, None, None, "median", None, "geometric"])
    r = score_tables(TINY, meta, normalise="minmax:1,100")
    assert r.normalised["a"].to_list() == [1.0, 2.0, None, 3.0]
    b = [100.0, 34.0, 67.0, 1.0]  # direction -1, minmax 1..100
    assert r.normalised["b"].to_list() == pytest.approx(b)
    Q = [1.0, 1.25, 2.0, 1.5]
    assert r.normalised["c"].to_list() == pytest.approx(Q)
    # weighted median with weights 1:3 is b's value; u3 has only b
    assert r.scores["P"].to_list() == pytest.approx(b)
    assert r.scores["Idx"].to_list() == pytest.approx([math.sqrt(p * q) for p, q in zip(b, Q)])
    with pytest.raises(MethodError, match="geometric mean needs positive"):
        score_tables(TINY, meta.with_columns(pl.Series("Normalise", [None, None, "minmax:0,1", None, None, None])))


def test_impute_flags_and_data_threshold():
    r = score_tables(TINY, _tiny_meta(), impute="group-mean:region")
    assert r.imputed.rows() == [("u3", "a", 4.0)]
    # threshold counts observed children only: u3 has 1 of 2 children of P observed
    r = score_tables(TINY, _tiny_meta(), impute="group-mean:region", data_threshold=0.75)
    assert r.scores["P"].is_null().to_list() == [False, False, True, False]
    r = score_tables(TINY, _tiny_meta(), impute="mean")
    assert r.imputed["value"].to_list() == pytest.approx([7 / 3])


def test_weights_options(tmp_path):
    r = score_tables(TINY, _tiny_meta(), weights="equal")
    assert r.weights.filter(pl.col("iCode") == "b")["weight"].item() == 0.5
    r = score_tables(TINY, _tiny_meta())
    assert r.weights.filter(pl.col("iCode") == "b")["weight"].item() == 0.75
    eff = dict(r.effective_weights.select("iCode", "effective_weight").iter_rows())
    assert (eff["a"], eff["b"], eff["c"], eff["Idx"]) == (0.125, 0.375, 0.5, 1.0)
    for method in ("entropy", "critic", "pca"):
        w = score_tables(TINY, _tiny_meta(Direction=[1] * 6), weights=method).weights
        sums = w.group_by("Parent").agg(pl.col("weight").sum())["weight"].to_list()
        assert sums == pytest.approx([1.0] * 4)  # three groups and the index itself
    f = tmp_path / "ahp.csv"
    f.write_text("a,b,value\nb,a,3\nP,Q,0.5\n")
    r = score_tables(TINY, _tiny_meta(), weights=f"ahp:{f}")
    w = dict(r.weights.select("iCode", "weight").iter_rows())
    assert (w["a"], w["b"], w["P"], w["Q"]) == pytest.approx((0.25, 0.75, 1 / 3, 2 / 3))
    assert r.weights.filter(pl.col("iCode") == "a")["ahp_cr"].item() == 0.0


def test_panel_scores_each_time_point():
    panel = pl.concat([TINY.with_columns(pl.lit(2020).alias("Time")),
                       TINY.with_columns(pl.lit(2021).alias("Time"), pl.col("b") * 2)])
    panel = panel.with_columns(pl.when((pl.col("Time") == 2021) & (pl.col("uCode") == "u3")).then(None)
                               .otherwise(pl.col("c")).alias("c"))
    r = score_tables(panel, _tiny_meta(), impute="locf")
    assert r.scores.columns[:2] == ["uCode", "Time"]
    assert r.imputed.filter(pl.col("iCode") == "c").rows() == [("u3", 2021, "c", 7.0)]
    one = score_tables(panel.filter(pl.col("Time") == 2020), _tiny_meta(), impute="locf")
    assert_frame_equal(r.scores.filter(pl.col("Time") == 2020).drop("Time"), one.scores, check_exact=True)
    assert r.weights.columns[-1] == "Time" and r.weights.height == 2 * 6


def test_imeta_problems_are_all_listed():
    bad = pl.DataFrame({"iCode": ["a", "a", "1x", "P", "Q", "Idx", "G"],
                        "Level": [1, 1, 1, 2, 2, 3, None],
                        "Parent": ["P", "P", "Nope", "Idx", "Idx", None, None],
                        "Weight": [1.0, -1.0, 1.0, 1.0, 1.0, 1.0, None],
                        "Direction": [1, 1, 0, 1, 1, 1, None],
                        "Type": ["Indicator"] * 3 + ["Aggregate"] * 3 + ["Group"],
                        "Aggregate": [None, None, None, None, "magic", None, None]})
    with pytest.raises(FrameworkError) as e:
        score_tables(pl.DataFrame({"uCode": ["u"], "a": [1.0]}), bad)
    text = "\n".join(e.value.problems)
    for needle in ("a: duplicate iCode", "1x: iCode must not start with a digit",
                   "Direction must be 1 or -1", "Weight must be a number >= 0", "Parent 'Nope'",
                   "Q: aggregate without children", "method 'magic' is unknown", "missing from iData: ['1x']"):
        assert needle in text
    assert "G" not in text.split("missing from iData")[0].split()  # Group rows are ignored


def test_idata_problems():
    meta = _tiny_meta()
    with pytest.raises(InputError, match="duplicate uCode"):
        score_tables(pl.concat([TINY, TINY]), meta)
    with pytest.raises(FrameworkError, match="goalposts need"):
        score_tables(TINY, meta, normalise="goalposts")
    with pytest.raises(MethodError, match="unknown weights"):
        score_tables(TINY, meta, weights="magic")
    with pytest.raises(MethodError, match="data threshold"):
        score_tables(TINY, meta, data_threshold=50)
    with pytest.raises(InputError, match="Time is missing"):
        score_tables(TINY.with_columns(pl.Series("Time", [2020, None, 2020, 2020])), meta)
    with pytest.raises(InputError, match="unit-group column"):
        score_tables(TINY, meta, impute="group-mean:province")


def test_read_xlsx(tmp_path, asem):
    import openpyxl  # noqa: F401  (a core dependency)
    import openpyxl

    idata, imeta = asem
    wb = openpyxl.Workbook()
    wb.active.append(imeta.columns)
    for row in imeta.iter_rows():
        wb.active.append(list(row))
    wb.save(tmp_path / "iMeta.xlsx")
    back = read_imeta(tmp_path / "iMeta.xlsx")
    assert_frame_equal(score_tables(idata, back).scores, score_tables(idata, imeta).scores, check_exact=True)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_improving_one_indicator_never_lowers_the_index(data):
    vals = st.one_of(st.floats(-100, 100), st.just(None))
    frame = TINY.with_columns([pl.Series(c, data.draw(st.lists(vals, min_size=4, max_size=4)), dtype=pl.Float64)
                               for c in ("a", "b", "c")])
    unit = data.draw(st.integers(0, 3))
    code = data.draw(st.sampled_from(["a", "b", "c"]))
    if frame[code][unit] is None:
        return
    step = data.draw(st.floats(0, 50)) * (-1 if code == "b" else 1)  # b has direction -1
    better = frame.with_columns(pl.when(pl.int_range(pl.len()) == unit).then(pl.col(code) + step)
                                .otherwise(pl.col(code)).alias(code))
    before = score_tables(frame, _tiny_meta()).scores["Idx"][unit]
    after = score_tables(better, _tiny_meta()).scores["Idx"][unit]
    if before is not None:
        assert after >= before - 1e-9
