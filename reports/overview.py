"""Context of the overview page (index.html): the headline (best, worst, largest moves, counts by
grade and alert level), the map, the ranking of the cities, grade distribution, the ranking of all
units, movers per peer group, scores with rank intervals, comparisons of regions and of departments
within their peer group, what-if weights, the multi-year view and the run's data files.

Shows the latest rated year. Columns the run did not produce (e.g. outlook) show the dash.
"""
from __future__ import annotations

import numpy as np
import polars as pl
from markupsafe import Markup

from reports import badges, charts, fmt, plots, whatif
from reports.datafiles import listing
from reports.embed import _XMLNS, script_json
from reports.headline import headline
from reports.i18n import alert_label, kind_label, level_label, message, node_label
from reports.labels import grade_label, is_capped
from reports.map import choropleth_svg
from reports.multiyear import multiyear
from reports.peers import group_label, groups
from reports.tables import ALERT_ORDER, KIND_ORDER, LEVEL_ORDER, Inputs, rows_of, sort_units
from reports.unit_risk import outlook_label

MOVERS = 10


def unit_href(uid: str, inp: Inputs, prefix: str = "") -> str | None:
    return f"{prefix}units/{uid}.html" if uid in inp.paged else None


def grade_info(framework, colours) -> dict[str, dict]:
    return {g.code: {"idx": i, "colour": colours[g.code]} for i, g in enumerate(framework.grades)}


def score_cells(row: dict, inp: Inputs, grades: dict) -> dict:
    """The display cells shared by every table of units: score, rank, interval, grade."""
    g = grades.get(row.get("grade"))
    return {
        "id": row["unit_id"], "href": unit_href(row["unit_id"], inp), "label": row["label"],
        "score": fmt.num(row["score"]), "score_v": "" if fmt.missing(row["score"]) else f"{row['score']:.4f}",
        "bar": None if fmt.missing(row["score"]) else f"{max(0.0, min(100.0, row['score'])):.1f}",
        "rank": fmt.integer(row["rank"]), "rank_v": "" if fmt.missing(row["rank"]) else int(row["rank"]),
        "interval": fmt.interval(row["rank_low"], row["rank_high"]),
        "interval_v": "" if fmt.missing(row["rank_low"]) else int(row["rank_low"]),
        "grade": row.get("grade") or "", "grade_text": grade_label(row, inp.lang) or fmt.DASH,
        "grade_idx": "" if g is None else g["idx"],
        "kind_label": kind_label(row["kind"], inp.lang), "level_label": level_label(row["level"], inp.lang),
    }


def ranking(latest: pl.DataFrame, inp: Inputs, grades: dict, cities: dict) -> Markup:
    """The rows of the ranking of all units (every text escaped; a template loop over thousands
    of rows costs several times as much)."""
    e, t = fmt.escape_output, fmt.escape_text  # `t` for the cells that are str whatever the data
    rows = []
    for r in rows_of(latest):
        cell = score_cells(r, inp, grades)
        alert = r.get("alert")
        cell.update({
            "kind": r["kind"] or "", "level": r["level"] or "", "city": r["city_id"] or "",
            "city_label": cities.get(r["city_id"], fmt.DASH),
            "outlook": outlook_label(r.get("outlook"), inp.lang),
            "alert": alert or "", "alert_label": alert_label(alert, inp.lang) if alert else fmt.DASH,
            "alert_v": "" if alert is None else ALERT_ORDER.get(alert, 9),
            "yoy": fmt.signed(r["yoy"]), "yoy_v": "" if fmt.missing(r["yoy"]) else f"{r['yoy']:.4f}",
        })
        c = cell
        rows.append(
            f'<tr data-unit="{t(c["id"])}" data-level="{t(c["level"])}" data-kind="{t(c["kind"])}" '
            f'data-city="{t(c["city"])}" data-grade="{t(c["grade"])}">\n'
            f'<th scope="row">{badges.link_html(c["label"], c["href"])}</th>\n'
            f'<td>{t(c["kind_label"])}</td><td>{t(c["level_label"])}</td><td>{e(c["city_label"])}</td>\n'
            f'<td class="num c-score whatif" data-value="{t(c["score_v"])}">{t(c["score"])}</td>\n'
            f'<td class="num c-rank whatif" data-value="{e(c["rank_v"])}">{t(c["rank"])}</td>\n'
            f'<td class="num" data-value="{e(c["interval_v"])}">{t(c["interval"])}</td>\n'
            f'<td class="c-grade whatif" data-value="{e(c["grade_idx"])}">'
            f'{badges.grade_html(c["grade_text"], c["grade_idx"])}</td>\n'
            f'<td>{t(c["outlook"])}</td>\n'
            f'<td data-value="{e(c["alert_v"])}">{badges.alert_html(c["alert"], c["alert_label"])}</td>\n'
            f'<td class="num" data-value="{t(c["yoy_v"])}">{t(c["yoy"])}</td>\n</tr>\n')
    return Markup("".join(rows))


def earlier_years(inp: Inputs, grades: dict, cities: dict) -> dict | None:
    """The ranking of every earlier year, compact, for the page's year selector: a table of
    units (id, link, label, kind, level, city and their labels) and per year one row per unit
    [unit index, score, rank, rank_low, rank_high, grade, outlook, alert, change on year, the grade
    as shown when a veto capped it (else null)]."""
    years = sorted({y for y in inp.scores["year"].drop_nulls().to_list() if y != inp.year}, reverse=True)
    if inp.year is None or not years:
        return None
    df = sort_units(inp.scores.filter(pl.col("year").is_in(years)))
    units, index, rows = [], {}, {str(y): [] for y in years}
    lang = inp.lang

    def col(name: str) -> list:
        return df.get_column(name).to_list() if name in df.columns else [None] * df.height

    def num(name: str, digits: int = 4) -> list:  # column by column: the rows are every unit and year
        return rounded(df.get_column(name), digits) if name in df.columns else [None] * df.height

    grade, uncapped, veto, override = col("grade"), col("grade_uncapped"), col("veto"), col("override")
    outlook = col("outlook")
    outlooks = {v: outlook_label(v, lang) for v in set(outlook)}
    vetoed = [{"grade": g, "grade_uncapped": u, "veto": v, "override": o} if v else None  # no veto: not capped
              for g, u, v, o in zip(grade, uncapped, veto, override)]
    shown = [grade_label(r, lang) if r is not None and is_capped(r) else None for r in vetoed]
    for uid, year, label, kind, level, city, score, rank, low, high, g, o, alert, yoy, capped in zip(
            col("unit_id"), col("year"), col("label"), col("kind"), col("level"), col("city_id"), num("score"),
            num("rank", 0), num("rank_low", 0), num("rank_high", 0), grade, outlook, col("alert"), num("yoy"), shown):
        if uid not in index:
            index[uid] = len(units)
            units.append([uid, unit_href(uid, inp), label, kind or "", level or "", city or "",
                          kind_label(kind, lang), level_label(level, lang), cities.get(city, fmt.DASH)])
        rows[str(year)].append([index[uid], score, rank, low, high, g, outlooks[o], alert, yoy, capped])
    return {"latest": str(inp.year), "units": units, "years": rows,
            "grades": {g: v["idx"] for g, v in grades.items()},
            "alerts": {lv: alert_label(lv, inp.lang) for lv in ALERT_ORDER}, "order": ALERT_ORDER}


def rounded(values: pl.Series, digits: int) -> list:
    """`[None if x is None or x != x else round(float(x), digits) for x in values]`, the same
    floats, rounded by numpy for the whole column: the nearest float to k / 10**digits, with k
    the product `x * 10**digits` rounded half to even. That product is itself rounded, so where it
    lies within two units in its last place of a tie (or is too large to hold a fraction, or is
    not finite) Python rounds the value instead; everywhere else k is what `round` finds.

    >>> rounded(pl.Series([0.12345, 2.675, None, float("nan"), -0.00004, 1e300]), 4)
    [0.1235, 2.675, None, None, -0.0, 1e+300]
    """
    x = values.cast(pl.Float64).to_numpy()
    scale = 10.0 ** digits
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * scale
        out = np.rint(y) / scale
        frac = y - np.floor(y)
        exact = np.isfinite(y) & (np.abs(y) < 2.0 ** 50) & (np.abs(frac - 0.5) > 2 * np.spacing(np.abs(y)))
    result = out.tolist()
    for i in np.flatnonzero(~exact).tolist():
        v = x[i]
        result[i] = None if v != v else round(float(v), digits)
    return result


def filters(latest: pl.DataFrame, inp: Inputs, cities: dict) -> dict:
    levels = [lv for lv in ("province", "city", "county", "township") if lv in set(latest["level"].to_list())]
    kinds = [k for k in ("region", "department") if k in set(latest["kind"].to_list())]
    city_ids = sorted({c for c in latest["city_id"].to_list() if c})
    return {
        "levels": [{"value": lv, "label": level_label(lv, inp.lang)} for lv in levels],
        "kinds": [{"value": k, "label": kind_label(k, inp.lang)} for k in kinds],
        "cities": [{"value": c, "label": cities.get(c, c)} for c in city_ids],
        "grades": [{"value": g.code, "label": f"{g.code} {node_label(g, inp.lang)}"} for g in inp.framework.grades],
    }


def distribution(latest: pl.DataFrame, inp: Inputs, colours) -> dict:
    """Counts of units per grade within each peer group, as a table and a chart."""
    grades = [{"code": g.code, "label": f"{g.code} {node_label(g, inp.lang)}", "colour": colours[g.code]}
              for g in inp.framework.grades]
    counts = latest.group_by("kind", "level", "grade").len()
    table, groups = [], []
    for kind in ("region", "department"):
        for level in ("province", "city", "county", "township"):
            sub = counts.filter((pl.col("kind") == kind) & (pl.col("level") == level))
            if sub.is_empty():
                continue
            c = {r["grade"]: r["len"] for r in sub.iter_rows(named=True)}
            label = group_label(kind, level, inp.lang)
            known = {g["code"] for g in grades}
            miss = sum(n for g, n in c.items() if g not in known)
            groups.append({"label": label, "counts": c, "missing": miss})
            table.append({"label": label, "counts": [c.get(g["code"], 0) for g in grades], "missing": miss,
                          "total": sum(c.values())})
    t = inp.t
    desc = "; ".join(f"{grp['label']}: " + ", ".join(f"{g['code']} {grp['counts'].get(g['code'], 0)}" for g in grades)
                     for grp in groups)
    return {"grades": grades, "rows": table,
            "svg": plots.grade_distribution(groups, grades, missing_label=t["insufficient_data"],
                                            missing_colour=charts.MISSING_COLOUR, xlabel=t["share_of_units"],
                                            title=t["grade_distribution"], desc=desc)}


def intervals_chart(latest: pl.DataFrame, inp: Inputs, colours) -> object | None:
    df = latest.filter(pl.col("score").is_not_null() & pl.col("rank").is_not_null())
    if df.is_empty():
        return None
    panels = []
    parts = df.partition_by("kind", "level", as_dict=True)
    for (kind, level), sub in sorted(parts.items(), key=lambda kv: (KIND_ORDER.get(kv[0][0], 9),
                                                                    LEVEL_ORDER.get(kv[0][1], 9))):
        sub = sub.with_columns(pl.coalesce("rank_low", "rank").alias("_lo"),
                               pl.coalesce("rank_high", "rank").alias("_hi"))
        series = []
        for g in [g.code for g in inp.framework.grades] + [None]:
            part = sub.filter(pl.col("grade") == g) if g is not None else sub.filter(
                ~pl.col("grade").is_in(list(colours)) | pl.col("grade").is_null())
            if part.is_empty():
                continue
            series.append({"colour": colours.get(g, charts.MISSING_COLOUR), "label": g or "—",
                           "score": part["score"].to_list(),
                           "rank": part["rank"].to_list(), "low": part["_lo"].to_list(), "high": part["_hi"].to_list()})
        panels.append({"title": group_label(kind, level, inp.lang),
                       "n": int(sub["_hi"].max()), "series": series})
    t = inp.t
    return plots.score_rank_intervals(panels, xlabel=t["score"], ylabel=t["rank"], title=t["scores_intervals"],
                                      desc=t["scores_intervals_desc"],
                                      bands=[{"code": g.code, "min": g.min} for g in inp.framework.grades])


def movers(latest: pl.DataFrame, inp: Inputs, grades: dict) -> dict:
    """The largest rises and falls of the score since last year within each peer group (cities
    first): a unit moves against its own peers, so groups are never mixed in one list."""
    df = latest.filter(pl.col("yoy").is_not_null())

    def rows(sub, key):
        out = []
        for r in sub.iter_rows(named=True):
            c = score_cells(r, inp, grades)
            c.update({"prev": fmt.num(r["prev_score"]), "yoy": fmt.signed(r["yoy"]),
                      "prev_grade": r["prev_grade"] or fmt.DASH, "group": key})
            out.append(c)
        return out

    options, up_rows, down_rows = [], [], []
    for (kind, level), sub in groups(df):
        if sub.height < 2:
            continue
        key = f"{kind}-{level}"
        options.append({"value": key, "label": group_label(kind, level, inp.lang)})
        up_rows += rows(sub.filter(pl.col("yoy") > 0).sort("yoy", "unit_id", descending=[True, False]).head(MOVERS),
                        key)
        down_rows += rows(sub.filter(pl.col("yoy") < 0).sort("yoy", "unit_id").head(MOVERS), key)
    first = options[0]["value"] if options else None
    for r in up_rows + down_rows:
        r["hidden"] = r["group"] != first
    return {"any": bool(options), "options": options,
            "tables": [{"caption": inp.t["risers"], "id": "risers", "rows": up_rows},
                       {"caption": inp.t["fallers"], "id": "fallers", "rows": down_rows}]}


def comparisons(latest: pl.DataFrame, inp: Inputs, grades: dict, cities: dict) -> dict:
    """Cities, the counties of a selected city, and departments of one kind across regions."""
    dims = [{"code": d, "label": node_label(inp.framework.node(d), inp.lang)} for d in inp.dims
            if inp.framework.node(d).parent == inp.framework.nodes[0].code]

    def rows(sub, **extra):
        out = []
        for r in rows_of(sub.sort("score", "unit_id", descending=[True, False], nulls_last=True)):
            c = score_cells(r, inp, grades)
            c["dims"] = [fmt.num(r[d["code"]]) for d in dims]
            c.update({k: (f(r) if callable(f) else f) for k, f in extra.items()})
            out.append(c)
        return out

    region = latest.filter(pl.col("kind") == "region")
    city_rows = rows(region.filter(pl.col("level") == "city"), yoy=lambda r: fmt.signed(r["yoy"]),
                     yoy_v=lambda r: "" if fmt.missing(r["yoy"]) else f"{r['yoy']:.4f}")
    counties = region.filter((pl.col("level") == "county") & pl.col("city_id").is_not_null())
    county_cities = sorted(set(counties["city_id"].to_list()))
    first_city = county_cities[0] if county_cities else None
    county_rows = rows(counties, city=lambda r: r["city_id"], hidden=lambda r: r["city_id"] != first_city)
    depts = latest.filter((pl.col("kind") == "department") & pl.col("dept_code").is_not_null())
    options = dept_options(depts, inp)
    first_dept = options[0]["value"] if options else None
    units = inp.units.select("unit_id", "label")
    labels = dict(zip(units["unit_id"].to_list(), units["label"].to_list()))
    region_of = dict(zip(inp.units["unit_id"].to_list(), inp.units["region_id"].to_list()))
    depts = depts.with_columns((pl.col("dept_code") + "|" + pl.col("level")).alias("_dept"))
    dept_rows = _dept_table(rows(depts, dept=lambda r: r["_dept"], hidden=lambda r: r["_dept"] != first_dept,
                                 region=lambda r: labels.get(region_of.get(r["unit_id"]), fmt.DASH)))
    return {
        "dims": dims, "cities": city_rows, "counties": county_rows,
        "city_options": [{"value": c, "label": cities.get(c, c)} for c in county_cities],
        "departments": dept_rows, "dept_options": options,
    }


def _dept_table(rows: list[dict]) -> Markup:
    """The rows of the departments' table (thousands of rows: written here, every text escaped)."""
    e = fmt.escape_output
    return Markup("".join(
        f'<tr data-dept="{e(c["dept"])}"{" hidden" if c["hidden"] else ""}>'
        f'<th scope="row">{badges.link_html(c["label"], c["href"])}</th><td>{e(c["region"])}</td>'
        f'<td>{e(c["level_label"])}</td><td class="num" data-value="{e(c["score_v"])}">{e(c["score"])}</td>'
        f'<td class="num" data-value="{e(c["rank_v"])}">{e(c["rank"])}</td><td data-value="{e(c["grade_idx"])}">'
        f'{badges.grade_html(c["grade_text"], c["grade_idx"])}</td>'
        + "".join(f'<td class="num">{e(v)}</td>' for v in c["dims"]) + "</tr>\n" for c in rows))


def dept_name(label: str, region: str | None) -> str:
    """A department's name without its region's ('广州市商务局' in 广州市 -> '商务局'); the whole
    name when it does not start with the region's.

    Examples
    --------
    >>> dept_name("广州市商务局", "广州市"), dept_name("Guangzhou City Commerce Bureau", "Guangzhou City")
    ('商务局', 'Commerce Bureau')
    """
    if region and label.startswith(region) and len(label) > len(region):
        return label[len(region):].strip(" ·-")
    return label


def dept_options(depts: pl.DataFrame, inp: Inputs) -> list[dict]:
    """One option per kind of department and peer group (city and county bureaus are ranked in
    different groups, so they are compared apart), labelled in the page's language:
    '商务局 · 市直部门（21个）'. The name is the most common one among the group's units once their
    region's name is taken off (the department code when there is none)."""
    if depts.is_empty():
        return []
    regions = inp.units.select(pl.col("unit_id").alias("region_id"), pl.col("label").alias("_region"))
    named = (depts.join(inp.units.select("unit_id", "region_id"), on="unit_id", how="left")
             .join(regions, on="region_id", how="left"))
    names = [dept_name(lab or "", reg) for lab, reg in named.select("label", "_region").iter_rows()]
    named = named.with_columns(pl.Series("_name", names, dtype=pl.String))
    common = (named.group_by("dept_code", "kind", "level", "_name").len()
              .sort(["len", "_name"], descending=[True, False])
              .group_by("dept_code", "kind", "level", maintain_order=True).agg(pl.col("_name").first()))
    sizes = named.group_by("dept_code", "kind", "level").len().join(common, on=["dept_code", "kind", "level"])
    sizes = sizes.with_columns(pl.col("level").replace_strict(LEVEL_ORDER, default=9, return_dtype=pl.Int64)
                               .alias("_l")).sort("_name", "_l", "dept_code")
    options = [{"value": f"{r['dept_code']}|{r['level']}",
                "label": message("dept_option", inp.lang, name=r["_name"] or r["dept_code"],
                                 group=group_label(r["kind"], r["level"], inp.lang), n=r["len"])}
               for r in sizes.iter_rows(named=True)]
    return options


def region_map(latest: pl.DataFrame, inp: Inputs, colours: dict) -> Markup | None:
    """The choropleth of the rated regions (reports.map), each region linking to its page; None
    when no region has a shape (the city ranking below then stands alone)."""
    regions = latest.filter(pl.col("kind") == "region")
    if regions.is_empty():
        return None
    grades = [{"code": g.code, "label": node_label(g, inp.lang), "colour": colours[g.code]}
              for g in inp.framework.grades]
    svg = choropleth_svg(regions.select("unit_id", "label", "grade", "score"), lang=inp.lang,
                         href=lambda uid: unit_href(uid, inp), grades=grades)
    # inline in HTML an <svg> needs no namespace, and the pages name no URL at all
    return Markup(_XMLNS.sub("", svg)) if svg else None


def certainty(latest: pl.DataFrame, inp: Inputs, grades: dict) -> dict | None:
    """Grade probabilities of the uncertainty analysis: borderline units per peer group, and the
    borderline units with the probability of every grade (only when the scores carry them)."""
    if not inp.grade_probs or "borderline" not in latest.columns:
        return None
    groups = []
    for (kind, level), sub in sorted(latest.partition_by("kind", "level", as_dict=True).items(),
                                     key=lambda kv: (KIND_ORDER.get(kv[0][0], 9), LEVEL_ORDER.get(kv[0][1], 9))):
        groups.append({"label": group_label(kind, level, inp.lang),
                       "n": sub.height, "borderline": int(sub["borderline"].fill_null(False).sum())})
    cols = dict(inp.grade_probs)
    rows = []
    for r in rows_of(latest.filter(pl.col("borderline").fill_null(False))):
        c = score_cells(r, inp, grades)
        own = cols.get(r.get("grade"))  # the published grade: its probability counts the veto's cap
        p = r.get(own) if own else None
        c.update({"p_own": fmt.pct(p, 0), "p_own_v": "" if fmt.missing(p) else f"{p:.4f}",
                  "probs": [fmt.pct(r.get(col), 0) for _, col in inp.grade_probs]})
        rows.append(c)
    e = fmt.escape_output  # the borderline units' rows (thousands: written here, every text escaped)
    html = "".join(
        f'<tr><th scope="row">{badges.link_html(c["label"], c["href"])}</th><td>{e(c["level_label"])} · '
        f'{e(c["kind_label"])}</td><td class="num" data-value="{e(c["score_v"])}">{e(c["score"])}</td>'
        f'<td data-value="{e(c["grade_idx"])}">{badges.grade_html(c["grade_text"], c["grade_idx"])}</td>'
        f'<td class="num" data-value="{e(c["p_own_v"])}">{e(c["p_own"])}</td>'
        + "".join(f'<td class="num">{e(p)}</td>' for p in c["probs"]) + "</tr>\n" for c in rows)
    return {"groups": groups, "rows": Markup(html),
            "grades": [{"code": g, "idx": grades[g]["idx"] if g in grades else ""} for g, _ in inp.grade_probs]}


def overview(inp: Inputs, colours: dict, files=()) -> dict:
    """Everything index.html displays, as plain data; `files` are the run's data files (names
    relative to the output folder) to link."""
    latest = sort_units(inp.scores.filter(pl.col("year") == inp.year)) if inp.year is not None \
        else inp.scores.clear()
    grades = grade_info(inp.framework, colours)
    units = inp.units.select("unit_id", "label")
    cities = dict(zip(units["unit_id"].to_list(), units["label"].to_list()))
    data = whatif.whatif_data(inp.framework, latest, inp.lang)
    years = earlier_years(inp, grades, cities)
    return {
        "years": [str(inp.year)] + sorted(years["years"], reverse=True) if years else [],
        "years_json": script_json(years) if years else None,
        "n_units": latest.height,
        "headline": headline(latest, inp, grades),
        "map": region_map(latest, inp, colours),
        "distribution": distribution(latest, inp, colours),
        "ranking": ranking(latest, inp, grades, cities),
        "filters": filters(latest, inp, cities),
        "movers": movers(latest, inp, grades),
        "intervals_svg": intervals_chart(latest, inp, colours),
        "compare": comparisons(latest, inp, grades, cities),
        "certainty": certainty(latest, inp, grades),
        "multiyear": multiyear(inp, grades),
        "files": listing(files, inp.lang),
        "whatif": whatif.controls(data),
        "whatif_json": script_json(data) if data else None,
    }
