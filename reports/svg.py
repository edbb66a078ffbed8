"""Geometry of the small per-unit charts and their inline SVG.

`dimension_bars` and `trend` compute coordinates; `bars_svg` and `trend_svg` place the shapes
(in Python: a template include with its loops costs a unit page several times as much). Scores
are on the 0-100 scale of the index.
"""
from __future__ import annotations

import math

from markupsafe import Markup

from reports.fmt import escape_output as _e, escape_text as _t, num

BAR = {"width": 640, "label": 200, "plot": 330, "row": 24, "top": 22}
TREND = {"width": 640, "height": 210, "left": 44, "right": 48, "top": 22, "bottom": 30}  # right: grade bounds' labels


def _c(x: float) -> str:
    return f"{x:.1f}"


def dimension_bars(rows: list[dict], *, colour: str, title: str, desc: str, legend: dict) -> dict:
    """Horizontal bars (the unit's score) with a tick for the peer median, one row per dimension.

    rows: [{label, value, median}] with values on 0-100 (None when missing). The grid returned is
    shared by every chart: read only.
    """
    x0, plot = BAR["label"], BAR["plot"]
    out = []
    for i, r in enumerate(rows):  # coordinates formatted inline (as `_c`): thousands of pages
        v, m = r["value"], r["median"]
        out.append({
            **(_BAR_ROWS[i] if i < len(_BAR_ROWS) else _bar_row(i)), "label": r["label"],
            "w": None if v is None or v != v else f"{max(0.0, min(100.0, v)) / 100 * plot:.1f}",
            "mx": None if m is None or m != m else f"{x0 + max(0.0, min(100.0, m)) / 100 * plot:.1f}",
            "text": num(v),
        })
    height = BAR["top"] + len(rows) * BAR["row"] + 6
    return {"width": BAR["width"], "height": height, "x0": x0, "lx": x0 - 8, "plot": plot, "rows": out,
            "colour": colour,
            "title": title, "desc": desc, "legend": legend, "axis_y": _c(height - 4), "grid": _BAR_GRID}


def _bar_row(i: int) -> dict:
    """The coordinates of row `i` of `dimension_bars` that do not depend on its values."""
    x0, plot, step, top = BAR["label"], BAR["plot"], BAR["row"], BAR["top"]
    y = top + i * step
    return {"y": f"{y:.1f}", "ty": f"{y + step * 0.62:.1f}", "my1": f"{y + 1:.1f}", "my2": f"{y + step - 3:.1f}",
            "h": f"{step - 6:.1f}", "by": f"{y + 3:.1f}", "vx": f"{x0 + plot + 8:.1f}"}


_BAR_ROWS = [_bar_row(i) for i in range(16)]  # made once: every unit page has a few rows
_BAR_GRID = [{"x": _c(BAR["label"] + k / 100 * BAR["plot"]), "label": str(k)} for k in (0, 50, 100)]


def trend(points: list[dict], *, grades: list[dict], title: str, desc: str) -> dict:
    """A line of the score over years with its interval as a band, and grade thresholds.

    The grade is written above each point (never told by colour alone), and the thresholds are
    labelled in the right margin, outside the plot, where no point can sit on them.

    points: [{year, score, low, high, colour, grade}] sorted by year; grades: [{code, min}].
    The returned lists of ticks and axis labels are shared by charts of the same axes: read only.
    """
    w, h = TREND["width"], TREND["height"]
    left, right, top, bottom = TREND["left"], TREND["right"], TREND["top"], TREND["bottom"]
    pw, ph = w - left - right, h - top - bottom
    n = len(points)
    # the vertical axis spans the scores, their intervals and the grade thresholds, in steps of
    # ten (on a z-scored index every score sits near 50: a 0-100 axis would draw a flat line)
    bounds = tuple((g["code"], g["min"]) for g in grades)
    seen = [float(v) for p in points for v in (p["score"], p["low"], p["high"]) if v is not None and v == v]
    seen += [float(m) for _, m in bounds if 0 < m < 100]
    lo = max(0.0, math.floor((min(seen, default=0.0) - 2) / 10) * 10)
    hi = min(100.0, math.ceil((max(seen, default=100.0) + 2) / 10) * 10)
    lo = max(0.0, min(lo, hi - 20))  # at least 20 points tall
    hi = max(hi, lo + 20)
    span = hi - lo
    xs, ticks, ylabels = _trend_axes(n, lo, hi, bounds)

    lines, bands, line, upper, lower, dots, whiskers = [], [], [], [], [], [], []
    # the loop is `y` written out (thousands of pages, a few points each)
    for i, p in enumerate(points):
        score, low, high = p["score"], p["low"], p["high"]
        xi = xs[i]
        if score is None or score != score:
            if line:
                lines.append(" ".join(line))
            line = []
        else:
            sy = top + (hi - (lo if score < lo else hi if score > hi else score)) / span * ph
            cy = f"{sy:.1f}"
            line.append(f"{xi},{cy}")
            grade = p.get("grade") or ""
            dots.append({"cx": xi, "cy": cy, "colour": p["colour"], "grade": grade, "gy": f"{sy - 8:.1f}",
                         "title": f"{p['year']}: {score:,.1f}{' ' + grade if grade else ''}"})
        if low is None or low != low or high is None or high != high:
            if upper:
                bands.append(" ".join(upper + lower[::-1]))
            upper, lower = [], []
        else:
            high = f"{top + (hi - (lo if high < lo else hi if high > hi else high)) / span * ph:.1f}"
            low = f"{top + (hi - (lo if low < lo else hi if low > hi else low)) / span * ph:.1f}"
            whiskers.append({"x": xi, "y1": high, "y2": low})
            upper.append(f"{xi},{high}")
            lower.append(f"{xi},{low}")
    if line:
        lines.append(" ".join(line))
    if upper:
        bands.append(" ".join(upper + lower[::-1]))
    return {
        "width": w, "height": h, "left": left, "ylx": left - 6, "right": _TREND_RIGHT, "tlx": _TREND_TLX,
        "top": top, "bottom": _TREND_BOTTOM,
        "lines": lines, "bands": [b for b in bands if b.count(",") > 2], "dots": dots, "ticks": ticks,
        "whiskers": whiskers,
        "years": [{"x": xs[i], "label": str(p["year"])} for i, p in enumerate(points)],
        "ylabels": ylabels, "xlabel_y": _TREND_XLABEL, "title": title, "desc": desc,
    }


_TREND_RIGHT = _c(TREND["width"] - TREND["right"])
_TREND_TLX = _c(TREND["width"] - TREND["right"] + 6)
_TREND_BOTTOM = _c(TREND["height"] - TREND["bottom"])
_TREND_XLABEL = _c(TREND["height"] - 10)
_AXES: dict = {}


def _trend_axes(n: int, lo: float, hi: float, bounds: tuple) -> tuple[list, list, list]:
    """The x of each of `n` points, the grade thresholds' ticks and the vertical axis' labels of
    a trend chart from `lo` to `hi` (`bounds`: (code, min) of each grade), each made once for
    every chart with the same axes (a few kinds across thousands of pages)."""
    key = (n, lo, hi, bounds)
    hit = _AXES.get(key)
    if hit is not None:
        return hit
    w, h = TREND["width"], TREND["height"]
    left, right, top, bottom = TREND["left"], TREND["right"], TREND["top"], TREND["bottom"]
    pw, ph = w - left - right, h - top - bottom
    span = hi - lo

    def y(v: float) -> float:
        return top + (hi - max(lo, min(hi, v))) / span * ph

    xs = [_c(left + (pw / 2 if n == 1 else i * pw / (n - 1))) for i in range(n)]  # each formatted once
    ticks = [{"y": _c(y(m)), "label": f"{code} {m:g}"} for code, m in bounds if lo < m < hi]
    ylabels = [{"y": _c(y(v)), "label": f"{v:g}"} for v in (lo, (lo + hi) / 2, hi)]
    if len(_AXES) > 4096:  # not expected (lo and hi are tens): bounded all the same
        _AXES.clear()
    hit = _AXES[key] = (xs, ticks, ylabels)
    return hit


def _head(ch: dict) -> str:
    title, width, height = _e(ch["title"]), _e(ch["width"]), _e(ch["height"])
    return (f'<figure>\n<svg class="chart" role="img" aria-label="{title}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">\n<title>{title}</title>\n<desc>{_e(ch["desc"])}</desc>\n')


# Coordinates (and the points of lines and bands) are numbers this module formatted, written as
# they are; every other text (labels, titles, colours) is escaped (`_t` for a str this module
# wrote itself, `_e` for any value).

def bars_svg(ch: dict) -> Markup:
    """The figure of `dimension_bars(...)` as inline SVG, every text escaped."""
    out = [_head(ch)]
    axis_y = ch["axis_y"]
    for g in ch["grid"]:
        x = g["x"]
        out.append(f'<line x1="{x}" y1="16" x2="{x}" y2="{axis_y}" stroke="#d0d7de" stroke-width="1"/>'
                   f'<text x="{x}" y="12" font-size="10" text-anchor="middle" fill="#59636e">{_e(g["label"])}</text>')
    lx, x0, colour = ch["lx"], ch["x0"], _e(ch["colour"])
    for r in ch["rows"]:
        ty = r["ty"]
        out.append(f'<text x="{lx}" y="{ty}" font-size="12" text-anchor="end" fill="#1f2328">{_e(r["label"])}</text>\n')
        if r["w"] is not None:
            out.append(f'<rect x="{x0}" y="{r["by"]}" width="{r["w"]}" height="{r["h"]}" fill="{colour}" '
                       f'opacity="0.85"/>')
        if r["mx"] is not None:
            mx = r["mx"]
            out.append(f'<line x1="{mx}" y1="{r["my1"]}" x2="{mx}" y2="{r["my2"]}" stroke="#1f2328" stroke-width="2"/>')
        out.append(f'<text x="{r["vx"]}" y="{ty}" font-size="12" fill="#1f2328">{_t(r["text"])}</text>\n')
    legend = ch["legend"]
    out.append(f'</svg>\n<figcaption><span class="bar" style="width: 14px; background: {colour}"></span>'
               f'{_e(legend["unit"])} · ┃ {_e(legend["median"])}</figcaption>\n</figure>\n')
    return Markup("".join(out))


def trend_svg(ch: dict) -> Markup:
    """The figure of `trend(...)` as inline SVG, every text escaped."""
    left, right, bottom = ch["left"], ch["right"], ch["bottom"]
    out = [_head(ch), f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#8c959f"/>\n']
    ylx, tlx = ch["ylx"], ch["tlx"]
    for y in ch["ylabels"]:
        out.append(f'<text x="{ylx}" y="{y["y"]}" font-size="10" text-anchor="end" dominant-baseline="middle" '
                   f'fill="#59636e">{_t(y["label"])}</text>')
    for k in ch["ticks"]:
        ky = k["y"]
        out.append(f'<line x1="{left}" y1="{ky}" x2="{right}" y2="{ky}" stroke="#d0d7de" stroke-dasharray="4 3"/>'
                   f'<text x="{tlx}" y="{ky}" font-size="10" text-anchor="start" dominant-baseline="middle" '
                   f'fill="#59636e">{_t(k["label"])}</text>')
    for b in ch["bands"]:
        out.append(f'<polygon points="{b}" fill="#0b5cad" opacity="0.15"/>')
    for w in ch["whiskers"]:
        wx = w["x"]
        out.append(f'<line x1="{wx}" y1="{w["y1"]}" x2="{wx}" y2="{w["y2"]}" stroke="#0b5cad" opacity="0.5"/>')
    for line in ch["lines"]:
        out.append(f'<polyline points="{line}" fill="none" stroke="#0b5cad" stroke-width="2"/>')
    for d in ch["dots"]:
        cx = d["cx"]
        out.append(f'<circle cx="{cx}" cy="{d["cy"]}" r="4" fill="{_e(d["colour"])}"><title>{_t(d["title"])}'
                   f'</title></circle>')
        if d["grade"]:
            out.append(f'<text x="{cx}" y="{d["gy"]}" font-size="11" font-weight="700" text-anchor="middle" '
                       f'fill="#1f2328">{_e(d["grade"])}</text>')
    xly = ch["xlabel_y"]
    for x in ch["years"]:
        out.append(f'<text x="{x["x"]}" y="{xly}" font-size="10" text-anchor="middle" fill="#59636e">'
                   f'{_t(x["label"])}</text>')
    out.append("</svg>\n</figure>\n")
    return Markup("".join(out))
