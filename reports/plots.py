"""The run pages' summary charts as inline SVG written in Python.

The overview's grade distribution and score-rank intervals (and the COINr page's ranking), the
methodology page's correlation heatmap, sensitivity indices, ROC curves and calibration: the same
data, labels, colours, axes and legends matplotlib drew, at a fraction of its cost (its layout
engine measured every text of every figure on every run). Text stays text, in the page's font,
so Chinese labels render; every text is escaped. Coordinates are CSS pixels at the chart's
natural width; `svg.chart` scales a chart down to its column.
"""
from __future__ import annotations

import math

from markupsafe import Markup

from reports.fmt import escape_output as _e

WIDTH = 680  # px: the natural width of a summary chart
INK, MUTED, GRID, AXIS = "#1f2328", "#59636e", "#d0d7de", "#8c959f"
#: matplotlib's "RdBu" colour map: the ColorBrewer colours it interpolates between, red (-1) to blue (+1)
RDBU = ((103, 0, 31), (178, 24, 43), (214, 96, 77), (244, 165, 130), (253, 219, 199), (247, 247, 247),
        (209, 229, 240), (146, 197, 222), (67, 147, 195), (33, 102, 172), (5, 48, 97))


def text_width(text: str, size: float) -> float:
    """About how wide `text` is at font size `size` (a CJK character is a full em, other
    characters about 0.6 em): enough to leave room for a label, never to clip one."""
    return sum(size if ord(c) > 0x2E80 else 0.6 * size for c in str(text))


def _open(width: float, height: float, title: str, desc: str) -> list[str]:
    label = _e(title)
    return [f'<svg class="chart" role="img" aria-label="{label}" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}">\n<title>{label}</title>\n<desc>{_e(desc)}</desc>\n']


def _text(x: float, y: float, text, *, size: float = 11, anchor: str = "middle", fill: str = INK,
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}"{extra}>'
            f"{_e(text)}</text>")


def int_ticks(n: float, most: int = 7) -> list[int]:
    """Whole-number ticks from 1 to `n` in steps of 1, 2 or 5 times a power of ten, at most
    `most` of them (a peer group of one has the single tick 1).

    >>> int_ticks(1), int_ticks(21), int_ticks(3416)
    ([1], [5, 10, 15, 20], [500, 1000, 1500, 2000, 2500, 3000])
    """
    n = max(int(n), 1)
    step, k = 1, 0
    while n // step > most:
        step = (1, 2, 5)[(k + 1) % 3] * 10 ** ((k + 1) // 3)
        k += 1
    return list(range(step, n + 1, step)) if step > 1 else list(range(1, n + 1))


def _legend(entries: list[tuple[str, str]], left: float, right: float, top: float, *, line: bool) -> tuple[list[str], float]:
    """Legend entries (label, colour) centred between `left` and `right`, wrapped onto as many
    rows as they need; returns the markup and the y below it. `line`: a line swatch, else a box."""
    size, gap, swatch = 11, 16, 16
    widths = [swatch + 5 + text_width(label, size) for label, _ in entries]
    rows, row, used = [], [], 0.0
    for e, w in zip(entries, widths):
        if row and used + gap + w > right - left:
            rows.append((row, used))
            row, used = [], 0.0
        used += (gap if row else 0) + w
        row.append((e, w))
    if row:
        rows.append((row, used))
    out, y = [], top
    for row, used in rows:
        x = left + (right - left - used) / 2
        for (label, colour), w in row:
            if line:
                out.append(f'<line x1="{x:.1f}" y1="{y + 7:.1f}" x2="{x + swatch:.1f}" y2="{y + 7:.1f}" '
                           f'stroke="{_e(colour)}" stroke-width="3"/>')
            else:
                out.append(f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="{swatch}" height="10" fill="{_e(colour)}"/>')
            out.append(_text(x + swatch + 5, y + 11, label, size=size, anchor="start"))
            x += w + gap
        y += 18
    return out, y


def grade_distribution(groups: list[dict], grades: list[dict], *, missing_label: str, missing_colour: str,
                       xlabel: str, title: str, desc: str) -> Markup:
    """100% stacked horizontal bars: for each peer group, the share of its units in each grade
    (groups differ in size by orders of magnitude; the counts are in the table beside it), and
    the units without a grade in grey; a legend of the grades above.

    groups: [{label, counts: {grade_code: n}, missing: n}]; grades: [{code, label, colour}].
    """
    size, step = 11, 30
    left = 14 + max((text_width(g["label"], size) for g in groups), default=0)
    right = WIDTH - 20
    plot = right - left
    entries = [(g["label"], g["colour"]) for g in grades]
    if any(g["missing"] for g in groups):
        entries.append((missing_label, missing_colour))
    legend, top = _legend(entries, left, right, 4, line=False)
    top += 6
    bottom = top + step * max(len(groups), 1)
    out = _open(WIDTH, bottom + 40, title, desc) + legend
    for i, grp in enumerate(groups):
        y = top + i * step
        n = max(sum(grp["counts"].values()), 1)
        x = 0.0
        for code, colour in [(g["code"], g["colour"]) for g in grades] + [(None, missing_colour)]:
            v = 100 * (grp["counts"].get(code, 0) if code is not None else grp["missing"]) / n
            if v > 0:
                out.append(f'<rect x="{left + x / 100 * plot:.1f}" y="{y + 6:.1f}" width="{v / 100 * plot:.1f}" '
                           f'height="{step - 12}" fill="{_e(colour)}"/>')
            x += v
        out.append(f'<line x1="{left - 4:.1f}" y1="{y + step / 2:.1f}" x2="{left:.1f}" y2="{y + step / 2:.1f}" '
                   f'stroke="{INK}"/>')
        out.append(_text(left - 7, y + step / 2 + 4, grp["label"], size=size, anchor="end"))
    out.append(_x_axis(left, right, top, bottom, (0.0, 100.0), [0, 20, 40, 60, 80, 100], xlabel))
    out.append("</svg>")
    return Markup("".join(out))


def _x_axis(left: float, right: float, top: float, bottom: float, lim: tuple[float, float], ticks: list,
            label: str, fmt=str) -> str:
    """The left and bottom spines, the ticks and labels of the horizontal axis, and its name."""
    out = [f'<path d="M{left:.1f} {top:.1f}V{bottom:.1f}H{right:.1f}" fill="none" stroke="{INK}" stroke-width="0.9"/>']
    for v in ticks:
        x = left + (v - lim[0]) / (lim[1] - lim[0]) * (right - left)
        out.append(f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 4:.1f}" stroke="{INK}"/>')
        out.append(_text(x, bottom + 15, fmt(v), size=10))
    if label:
        out.append(_text((left + right) / 2, bottom + 30, label, size=11))
    return "".join(out)


def score_rank_intervals(panels: list[dict], *, xlabel: str, ylabel: str, title: str, desc: str,
                         xlim: tuple[float, float] = (0.0, 100.0), bands: list[dict] | None = None) -> Markup:
    """Small multiples, one per peer group: score across, rank down; each unit a short tick at
    its rank and a vertical line over its rank interval, coloured by grade. The grade is not told
    by colour alone: `bands` ([{code, min}]) draws each grade's lower bound as a dashed line
    labelled with its code, and series with a `label` are in a legend. Ranks are whole numbers.

    panels: [{title, n, series: [{colour, score: [...], rank: [...], low: [...], high: [...], label?}]}]
    Each series is two paths (intervals, ticks): a few elements however many units.
    """
    n = max(len(panels), 1)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    pw, ph, plot_h = WIDTH / cols, 206, 130
    labelled = {s["label"]: s["colour"] for p in panels for s in p["series"] if s.get("label")}
    order = [b["code"] for b in bands or ()]  # grades best first, as the bands list them
    entries = sorted(labelled.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    legend, top0 = _legend(entries, 0, WIDTH, 4, line=True) if entries else ([], 0.0)
    out = _open(WIDTH, top0 + rows * ph + 4, title, desc) + legend
    x0, x1 = xlim
    for k, p in enumerate(panels):
        px, py = (k % cols) * pw, top0 + (k // cols) * ph
        left, right = px + 58, px + pw - 18
        top, bottom = py + 32, py + 32 + plot_h
        span_y = p["n"]  # ranks 0.5 .. n + 0.5, rank 1 at the top
        sx, sy = (right - left) / (x1 - x0), plot_h / max(span_y, 1)
        half = 0.006 * (x1 - x0) * sx  # half the width of a unit's tick

        def X(v: float) -> float:
            return left + (min(max(v, x0), x1) - x0) * sx

        def Y(r: float) -> float:
            return top + (r - 0.5) * sy

        out.append(_text((left + right) / 2, py + 12, p["title"], size=12))
        for b in bands or ():
            if x0 < b["min"] < x1:
                bx = X(b["min"])
                out.append(f'<line x1="{bx:.1f}" y1="{top:.1f}" x2="{bx:.1f}" y2="{bottom:.1f}" stroke="{AXIS}" '
                           f'stroke-width="0.9" stroke-dasharray="3 2"/>')
                out.append(_text(bx + 1, top - 3, b["code"], size=10, anchor="start", fill=MUTED))
        for s in p["series"]:
            colour = _e(s["colour"])
            lines, ticks = [], []
            for v, r, lo, hi in zip(s["score"], s["rank"], s["low"], s["high"]):
                x = X(v)
                lines.append(f"M{x:.1f} {Y(lo):.1f}V{Y(hi):.1f}")
                ticks.append(f"M{x - half:.1f} {Y(r):.1f}h{2 * half:.1f}")
            out.append(f'<path d="{"".join(lines)}" fill="none" stroke="{colour}" stroke-width="1.1" '
                       f'stroke-opacity="0.6"/>')
            out.append(f'<path d="{"".join(ticks)}" fill="none" stroke="{colour}" stroke-width="2.8"/>')
        for r in int_ticks(span_y):
            y = Y(r)
            out.append(f'<line x1="{left - 4:.1f}" y1="{y:.1f}" x2="{left:.1f}" y2="{y:.1f}" stroke="{INK}"/>')
            out.append(_text(left - 6, y + 3.5, f"{r:,d}", size=10, anchor="end"))
        ly = (top + bottom) / 2
        out.append(_text(px + 12, ly, ylabel, size=11, extra=f' transform="rotate(-90 {px + 12:.1f} {ly:.1f})"'))
        ticks, digits = nice_ticks(x0, x1, 6)
        out.append(_x_axis(left, right, top, bottom, xlim, ticks, xlabel, fmt=lambda v: _num(v, digits)))
    out.append("</svg>")
    return Markup("".join(out))


def rdbu(v: float) -> str:
    """The colour of a correlation `v` (-1 red .. +1 blue) on matplotlib's "RdBu" map.

    >>> rdbu(-1.0), rdbu(0.0), rdbu(1.0)
    ('#67001f', '#f7f7f7', '#053061')
    """
    t = (min(max(v, -1.0), 1.0) + 1) / 2 * (len(RDBU) - 1)
    i = min(int(t), len(RDBU) - 2)
    f = t - i
    a, b = RDBU[i], RDBU[i + 1]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b))


def correlation_heatmap(labels: list[str], matrix: list[list[float | None]], *, title: str, desc: str,
                        prefix: str) -> Markup:
    """A correlation matrix as coloured cells (blue positive, red negative; none where a pair
    has no value), the indicators' names along both sides and a colour bar of -1 to 1.
    `prefix` names the colour bar's gradient uniquely within the page."""
    k = len(labels)
    size, cell = 10.5, 18
    room = max((text_width(s, size) for s in labels), default=0) + 8
    left, top = max(room, 40), 30
    side = cell * k
    bar_x = left + side + 18
    width = max(bar_x + 60, left + text_width(title, 12) / 2 + side / 2 + 10)
    height = top + side + room + 6
    out = _open(width, height, title, desc)
    out.append(_text(left + side / 2, 18, title, size=12))
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            if v is not None and v == v:
                out.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell}" height="{cell}" '
                           f'fill="{rdbu(v)}"/>')
    for i, label in enumerate(labels):
        c = i * cell + cell / 2
        out.append(_text(left - 5, top + c + 3.5, label, size=size, anchor="end"))
        x, y = left + c + 3.5, top + side + 5
        out.append(_text(x, y, label, size=size, anchor="end", extra=f' transform="rotate(-90 {x:.1f} {y:.1f})"'))
    out.append(f'<path d="M{left} {top}V{top + side}H{left + side}" fill="none" stroke="{INK}" stroke-width="0.9"/>')
    # the colour bar: the map's stops as a gradient, +1 at the top
    gid = f"{_e(prefix)}-cb"
    stops = "".join(f'<stop offset="{i / (len(RDBU) - 1):.2f}" stop-color="#{r:02x}{g:02x}{b:02x}"/>'
                    for i, (r, g, b) in enumerate(reversed(RDBU)))
    bar_h = min(side, 120)
    out.append(f'<defs><linearGradient id="{gid}" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient></defs>'
               f'<rect x="{bar_x:.1f}" y="{top}" width="10" height="{bar_h}" fill="url(#{gid})" stroke="{INK}" '
               f'stroke-width="0.5"/>')
    for v in (1.0, 0.5, 0.0, -0.5, -1.0):
        y = top + (1 - v) / 2 * bar_h
        out.append(f'<line x1="{bar_x + 10:.1f}" y1="{y:.1f}" x2="{bar_x + 14:.1f}" y2="{y:.1f}" stroke="{INK}"/>')
        out.append(_text(bar_x + 16, y + 3.5, f"{v:.1f}".replace("-", "\u2212"), size=10, anchor="start"))
    out.append("</svg>")
    return Markup("".join(out))


def nice_ticks(lo: float, hi: float, most: int = 7) -> tuple[list[float], int]:
    """Ticks from `lo` to `hi` in steps of 1, 2 or 5 times a power of ten, at most `most` of
    them, and the decimals that write them all distinctly.

    >>> nice_ticks(0.0, 1.0), nice_ticks(-0.04, 1.30)
    (([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1), ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2], 1))
    """
    span = max(hi - lo, 1e-9)
    k = math.floor(math.log10(span / most))
    for step in (m * 10.0 ** k for m in (1, 2, 5, 10, 20, 50)):
        if span / step <= most:
            break
    first = math.ceil(lo / step - 1e-9)
    ticks = [round((first + i) * step, 12) for i in range(int((hi - first * step) / step + 1e-9) + 1)]
    return [t + 0.0 for t in ticks], max(0, -math.floor(math.log10(step) + 1e-9))


def _num(v: float, digits: int) -> str:
    """A tick label as matplotlib writes it: fixed decimals, a true minus sign."""
    return f"{v:.{digits}f}".replace("-", "\u2212")


def _axes(left: float, right: float, top: float, bottom: float, xlim, ylim, xlabel: str, ylabel: str) -> str:
    """Left and bottom spines, ticks with their labels on both axes, and the axes' names."""
    xt, xd = nice_ticks(*xlim, most=8)
    yt, yd = nice_ticks(*ylim, most=8)
    out = [f'<path d="M{left:.1f} {top:.1f}V{bottom:.1f}H{right:.1f}" fill="none" stroke="{INK}" stroke-width="0.9"/>']
    for v in xt:
        x = left + (v - xlim[0]) / (xlim[1] - xlim[0]) * (right - left)
        out.append(f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 4:.1f}" stroke="{INK}"/>')
        out.append(_text(x, bottom + 15, _num(v, xd), size=10))
    for v in yt:
        y = bottom - (v - ylim[0]) / (ylim[1] - ylim[0]) * (bottom - top)
        out.append(f'<line x1="{left - 4:.1f}" y1="{y:.1f}" x2="{left:.1f}" y2="{y:.1f}" stroke="{INK}"/>')
        out.append(_text(left - 6, y + 3.5, _num(v, yd), size=10, anchor="end"))
    out.append(_text((left + right) / 2, bottom + 31, xlabel, size=11))
    ly = (top + bottom) / 2
    out.append(_text(left - 40, ly, ylabel, size=11, extra=f' transform="rotate(-90 {left - 40:.1f} {ly:.1f})"'))
    return "".join(out)


SQUARE = {"size": 400, "left": 58, "top": 12, "plot": 320}  # the ROC and calibration charts


def _square(lim: float):
    """Geometry of a square chart from 0 to `lim` on both axes: (markup size, x, y) with x and y
    mapping a value to its coordinate."""
    left, top, plot = SQUARE["left"], SQUARE["top"], SQUARE["plot"]

    def x(v: float) -> float:
        return left + v / lim * plot

    def y(v: float) -> float:
        return top + plot - v / lim * plot

    return x, y


def roc_curves(curves: list[dict], *, xlabel: str, ylabel: str, title: str, desc: str,
               chance: str = "#bdbdbd") -> Markup:
    """ROC curves, one stepped line per model (the selected one wider), with the chance diagonal
    and a legend of the models (their AUROC in their labels) at the lower right.

    curves: [{label, fpr: [...], tpr: [...], colour, width}].
    """
    size, left, top, plot = SQUARE["size"], SQUARE["left"], SQUARE["top"], SQUARE["plot"]
    x, y = _square(1.0)
    out = _open(size, size, title, desc)
    out.append(f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(1):.1f}" y2="{y(1):.1f}" stroke="{chance}" '
               f'stroke-width="1.3" stroke-dasharray="5 3"/>')
    for c in curves:
        pts = list(zip(c["fpr"], c["tpr"]))
        d = [f"M{x(pts[0][0]):.1f} {y(pts[0][1]):.1f}"] if pts else []
        for a2, b2 in pts[1:]:  # steps after each point, as drawstyle "steps-post"
            d.append(f"H{x(a2):.1f}V{y(b2):.1f}")
        out.append(f'<path d="{"".join(d)}" fill="none" stroke="{_e(c["colour"])}" '
                   f'stroke-width="{1.33 * c.get("width", 1.4):.1f}"/>')
    out.append(_axes(left, left + plot, top, top + plot, (0.0, 1.0), (0.0, 1.0), xlabel, ylabel))
    ly = top + plot - 8 - 15 * len(curves)
    lx = left + plot - 6 - max((text_width(c["label"], 10) for c in curves), default=0) - 24
    for i, c in enumerate(curves):
        yy = ly + 15 * i + 8
        out.append(f'<line x1="{lx:.1f}" y1="{yy - 3.5:.1f}" x2="{lx + 18:.1f}" y2="{yy - 3.5:.1f}" '
                   f'stroke="{_e(c["colour"])}" stroke-width="{1.33 * c.get("width", 1.4):.1f}"/>')
        out.append(_text(lx + 24, yy, c["label"], size=10, anchor="start"))
    out.append("</svg>")
    return Markup("".join(out))


def calibration(points: list[dict], *, xlabel: str, ylabel: str, title: str, desc: str, colour: str = "#0b5cad",
                diagonal: str = "#bdbdbd") -> Markup:
    """Reliability diagram: observed rate against mean predicted probability per group, the
    diagonal for perfect calibration; marker areas follow the group sizes.

    points: [{predicted, observed, n}].
    """
    size, left, top, plot = SQUARE["size"], SQUARE["left"], SQUARE["top"], SQUARE["plot"]
    high = max([p["predicted"] for p in points] + [p["observed"] for p in points] + [0.05])
    lim = min(1.0, high * 1.1)
    x, y = _square(lim)
    out = _open(size, size, title, desc)
    out.append(f'<line x1="{x(0):.1f}" y1="{y(0):.1f}" x2="{x(lim):.1f}" y2="{y(lim):.1f}" stroke="{diagonal}" '
               f'stroke-width="1.3" stroke-dasharray="5 3"/>')
    c = _e(colour)
    if points:
        line = " ".join(f"{x(p['predicted']):.1f},{y(p['observed']):.1f}" for p in points)
        out.append(f'<polyline points="{line}" fill="none" stroke="{c}" stroke-width="1.6"/>')
    n_max = max([p["n"] for p in points] + [1])
    for p in points:  # area 12-72 pt², as matplotlib's scatter sizes
        r = 1.33 * math.sqrt((12 + 60 * p["n"] / n_max) / math.pi)
        out.append(f'<circle cx="{x(p["predicted"]):.1f}" cy="{y(p["observed"]):.1f}" r="{r:.1f}" fill="{c}"/>')
    out.append(_axes(left, left + plot, top, top + plot, (0.0, lim), (0.0, lim), xlabel, ylabel))
    out.append("</svg>")
    return Markup("".join(out))


def sensitivity_bars(rows: list[dict], *, s1_label: str, st_label: str, title: str, desc: str) -> Markup:
    """First- and total-order sensitivity indices per assumption as paired bars, each with its
    confidence interval as a line, a line at zero, and a legend of the two indices above.

    rows: [{label, s1, s1_low, s1_high, st, st_low, st_high}] (None where missing).
    """
    size, step = 11, 48
    left = 14 + max((text_width(r["label"], size) for r in rows), default=0)
    right = min(WIDTH, left + 470) - 16
    series = (("s1", -0.18, "#0b5cad", s1_label), ("st", 0.18, "#9ecae1", st_label))
    legend, top = _legend([(label, colour) for _, _, colour, label in series], left, right, 4, line=False)
    top += 6
    bottom = top + step * max(len(rows), 1)

    def ok(v) -> bool:
        return v is not None and v == v

    seen = [r[k] for r in rows for k in ("s1", "s1_low", "s1_high", "st", "st_low", "st_high") if ok(r[k])]
    lo = min([0.0] + [v for v in seen]) - 0.02
    hi = max([1.0] + [v for v in seen]) + 0.02

    def X(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    out = _open(right + 16, bottom + 40, title, desc) + legend
    for i, r in enumerate(rows):
        mid = top + (i + 0.5) * step
        for key, off, colour, _ in series:
            yc = mid + off * step
            v = r[key] if ok(r[key]) else 0.0
            a, b = sorted((X(0.0), X(v)))
            out.append(f'<rect x="{a:.1f}" y="{yc - 0.17 * step:.1f}" width="{b - a:.1f}" height="{0.34 * step:.1f}" '
                       f'fill="{colour}"/>')
            if ok(r[f"{key}_low"]) and ok(r[f"{key}_high"]):
                out.append(f'<line x1="{X(r[key + "_low"]):.1f}" y1="{yc:.1f}" x2="{X(r[key + "_high"]):.1f}" '
                           f'y2="{yc:.1f}" stroke="{INK}" stroke-width="1.3"/>')
        out.append(f'<line x1="{left - 4:.1f}" y1="{mid:.1f}" x2="{left:.1f}" y2="{mid:.1f}" stroke="{INK}"/>')
        out.append(_text(left - 7, mid + 4, r["label"], size=size, anchor="end"))
    out.append(f'<line x1="{X(0.0):.1f}" y1="{top:.1f}" x2="{X(0.0):.1f}" y2="{bottom:.1f}" stroke="{AXIS}" '
               f'stroke-width="1.1"/>')
    ticks, digits = nice_ticks(lo, hi)
    out.append(_x_axis(left, right, top, bottom, (lo, hi), ticks, "", fmt=lambda v: _num(v, digits)))
    out.append("</svg>")
    return Markup("".join(out))
