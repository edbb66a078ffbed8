"""Geometry of the small per-unit charts, drawn by SVG templates (_partials/_svg_*.html).

These functions compute coordinates only; the templates place the shapes. Scores are on the
0-100 scale of the index.
"""
from __future__ import annotations

import math

from reports.fmt import missing, num

BAR = {"width": 640, "label": 200, "plot": 330, "row": 24, "top": 22}
TREND = {"width": 640, "height": 210, "left": 44, "right": 48, "top": 22, "bottom": 30}  # right: grade bounds' labels


def _c(x: float) -> str:
    return f"{x:.1f}"


def dimension_bars(rows: list[dict], *, colour: str, title: str, desc: str, legend: dict) -> dict:
    """Horizontal bars (the unit's score) with a tick for the peer median, one row per dimension.

    rows: [{label, value, median}] with values on 0-100 (None when missing).
    """
    x0, plot, step, top = BAR["label"], BAR["plot"], BAR["row"], BAR["top"]
    out = []
    for i, r in enumerate(rows):
        y = top + i * step
        v, m = r["value"], r["median"]
        out.append({
            "y": _c(y), "ty": _c(y + step * 0.62), "label": r["label"],
            "w": None if missing(v) else _c(max(0.0, min(100.0, v)) / 100 * plot),
            "mx": None if missing(m) else _c(x0 + max(0.0, min(100.0, m)) / 100 * plot),
            "my1": _c(y + 1), "my2": _c(y + step - 3), "h": _c(step - 6), "by": _c(y + 3),
            "text": num(v), "vx": _c(x0 + plot + 8),
        })
    height = top + len(rows) * step + 6
    return {"width": BAR["width"], "height": height, "x0": x0, "lx": x0 - 8, "plot": plot, "rows": out,
            "colour": colour,
            "title": title, "desc": desc, "legend": legend, "axis_y": _c(height - 4),
            "grid": [{"x": _c(x0 + k / 100 * plot), "label": str(k)} for k in (0, 50, 100)]}


def trend(points: list[dict], *, grades: list[dict], title: str, desc: str) -> dict:
    """A line of the score over years with its interval as a band, and grade thresholds.

    The grade is written above each point (never told by colour alone), and the thresholds are
    labelled in the right margin, outside the plot, where no point can sit on them.

    points: [{year, score, low, high, colour, grade}] sorted by year; grades: [{code, min}].
    """
    w, h = TREND["width"], TREND["height"]
    left, right, top, bottom = TREND["left"], TREND["right"], TREND["top"], TREND["bottom"]
    pw, ph = w - left - right, h - top - bottom
    n = len(points)

    def x(i: int) -> float:
        return left + (pw / 2 if n == 1 else i * pw / (n - 1))

    # the vertical axis spans the scores, their intervals and the grade thresholds, in steps of
    # ten (on a z-scored index every score sits near 50: a 0-100 axis would draw a flat line)
    seen = [float(v) for p in points for v in (p["score"], p["low"], p["high"]) if not missing(v)]
    seen += [float(g["min"]) for g in grades if 0 < g["min"] < 100]
    lo = max(0.0, math.floor((min(seen, default=0.0) - 2) / 10) * 10)
    hi = min(100.0, math.ceil((max(seen, default=100.0) + 2) / 10) * 10)
    lo = max(0.0, min(lo, hi - 20))  # at least 20 points tall
    hi = max(hi, lo + 20)

    def y(v: float) -> float:
        return top + (hi - max(lo, min(hi, v))) / (hi - lo) * ph

    lines, bands, line, upper, lower, dots, whiskers = [], [], [], [], [], [], []
    xs = [_c(x(i)) for i in range(n)]  # each coordinate formatted once
    for i, p in enumerate(points):
        score, low, high = p["score"], p["low"], p["high"]
        if score is None or score != score:
            if line:
                lines.append(" ".join(line))
            line = []
        else:
            sy = y(score)
            cy = f"{sy:.1f}"
            line.append(f"{xs[i]},{cy}")
            grade = p.get("grade") or ""
            dots.append({"cx": xs[i], "cy": cy, "colour": p["colour"], "grade": grade, "gy": f"{sy - 8:.1f}",
                         "title": f"{p['year']}: {score:,.1f}{' ' + grade if grade else ''}"})
        if low is None or low != low or high is None or high != high:
            if upper:
                bands.append(" ".join(upper + lower[::-1]))
            upper, lower = [], []
        else:
            high, low = f"{y(high):.1f}", f"{y(low):.1f}"
            whiskers.append({"x": xs[i], "y1": high, "y2": low})
            upper.append(f"{xs[i]},{high}")
            lower.append(f"{xs[i]},{low}")
    if line:
        lines.append(" ".join(line))
    if upper:
        bands.append(" ".join(upper + lower[::-1]))
    ticks = [{"y": _c(y(g["min"])), "label": f"{g['code']} {g['min']:g}"} for g in grades if lo < g["min"] < hi]
    return {
        "width": w, "height": h, "left": left, "ylx": left - 6, "right": _c(w - right), "tlx": _c(w - right + 6),
        "top": top,
        "bottom": _c(top + ph),
        "lines": lines, "bands": [b for b in bands if b.count(",") > 2], "dots": dots, "ticks": ticks,
        "whiskers": whiskers,
        "years": [{"x": xs[i], "label": str(p["year"])} for i, p in enumerate(points)],
        "ylabels": [{"y": _c(y(v)), "label": f"{v:g}"} for v in (lo, (lo + hi) / 2, hi)],
        "xlabel_y": _c(h - 10), "title": title, "desc": desc,
    }
