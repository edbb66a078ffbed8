"""Summary charts drawn with matplotlib, and the colours every chart and page shares.

Each chart function takes prepared plain data and returns a matplotlib `Figure`
(`reports.embed.figure_svg` turns it into inline SVG). Per-unit charts are small inline SVG
written by `reports.svg` instead, which is much faster for thousands of pages.
"""
from __future__ import annotations

import matplotlib
from matplotlib.figure import Figure

# the page's badge colours (report.css): white text on each meets WCAG AA (4.5:1)
GRADE_PALETTE = ("#1a7f37", "#2f6fb0", "#9a6200", "#c62828", "#6a1b9a", "#545454")
ALERT_COLOURS = {"red": "#c62828", "orange": "#b54d00", "yellow": "#e0b000", "blue": "#1565c0"}
MISSING_COLOUR = "#bdbdbd"
# Text stays text in the SVG; these names let the browser pick a CJK font for Chinese labels.
FONT = {"font.family": "sans-serif", "font.size": 9,
        "font.sans-serif": ["DejaVu Sans", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC"],
        "axes.titlesize": 10, "axes.spines.top": False,
        "axes.spines.right": False}


def grade_colours(framework) -> dict[str, str]:
    """One colour per grade code, best first (green) to worst (red); same on every page."""
    n = len(GRADE_PALETTE)
    return {g.code: GRADE_PALETTE[min(i, n - 1)] for i, g in enumerate(framework.grades)}


def grade_distribution(groups: list[dict], grades: list[dict], *, missing_label: str, xlabel: str) -> Figure:
    """100% stacked horizontal bars: for each peer group, the share of its units in each grade
    (groups differ in size by orders of magnitude; the counts are in the table beside it).

    groups: [{label, counts: {grade_code: n}, missing: n}]; grades: [{code, label, colour}].
    """
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(7.0, 0.45 * max(len(groups), 1) + 1.2), layout="constrained")
        ax = fig.add_subplot()
        y = list(range(len(groups)))
        totals = [max(sum(grp["counts"].values()), 1) for grp in groups]
        left = [0.0] * len(groups)
        for g in grades:
            vals = [100 * grp["counts"].get(g["code"], 0) / n for grp, n in zip(groups, totals)]
            ax.barh(y, vals, left=left, color=g["colour"], label=g["label"], height=0.6)
            left = [a + b for a, b in zip(left, vals)]
        miss = [100 * grp["missing"] / n for grp, n in zip(groups, totals)]
        if any(miss):
            ax.barh(y, miss, left=left, color=MISSING_COLOUR, label=missing_label, height=0.6)
        ax.set_xlim(0, 100)
        ax.set_yticks(y, [grp["label"] for grp in groups])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        labels = [g["label"] for g in grades] + ([missing_label] if any(miss) else [])
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=_legend_columns(labels), frameon=False)
    return fig


def _legend_columns(labels: list[str], room: int = 72) -> int:
    """How many legend entries fit side by side across a 7-inch figure (a CJK character is about
    two Latin wide, each entry's colour patch about four), so that no label is cut at the edge."""
    widths = [4 + sum(2 if ord(c) > 0x2E80 else 1 for c in s) for s in labels] or [0]
    for cols in range(len(widths), 1, -1):
        rows = [widths[i:i + cols] for i in range(0, len(widths), cols)]
        if max(sum(r) for r in rows) <= room:
            return cols
    return 1


def _segments(x0, x1, y0, y1) -> tuple[list, list]:
    """Many line segments as one path (NaN breaks): one SVG element however many units."""
    xs, ys = [], []
    for a, b, c, d in zip(x0, x1, y0, y1):
        xs += [a, b, float("nan")]
        ys += [c, d, float("nan")]
    return xs, ys


def score_rank_intervals(panels: list[dict], *, xlabel: str, ylabel: str,
                         xlim: tuple[float, float] = (0.0, 100.0), bands: list[dict] | None = None) -> Figure:
    """Small multiples, one per peer group: score across, rank down; each unit a short tick at
    its rank and a vertical line over its rank interval, coloured by grade. The grade is not told
    by colour alone: `bands` ([{code, min}]) draws each grade's lower bound as a dashed line
    labelled with its code, and series with a `label` get a legend. Ranks are whole numbers.

    panels: [{title, n, series: [{colour, score: [...], rank: [...], low: [...], high: [...], label?}]}]
    """
    from matplotlib.ticker import MaxNLocator

    n = max(len(panels), 1)
    half = 0.006 * (xlim[1] - xlim[0])  # half the width of a unit's tick
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(7.0, 2.6 * rows + 0.4), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, p in zip(axes.flat, panels):
            for s in p["series"]:
                ax.plot(*_segments(s["score"], s["score"], s["low"], s["high"]), color=s["colour"],
                        linewidth=0.8, alpha=0.6)
                ticks = _segments([v - half for v in s["score"]], [v + half for v in s["score"]], s["rank"], s["rank"])
                ax.plot(*ticks, color=s["colour"], linewidth=2.2, solid_capstyle="butt")
            for b in bands or ():
                if xlim[0] < b["min"] < xlim[1]:
                    ax.axvline(b["min"], color="#8c959f", linewidth=0.7, linestyle="--", zorder=0)
                    ax.text(b["min"], 1.0, f" {b['code']}", transform=ax.get_xaxis_transform(), va="bottom",
                            ha="left", fontsize=8, color="#59636e")
            ax.set_title(p["title"], pad=12 if bands else 6)
            ax.set_xlim(*xlim)
            ax.set_ylim(p["n"] + 0.5, 0.5)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        labelled = {s["label"]: s["colour"] for p in panels for s in p["series"] if s.get("label")}
        order = [b["code"] for b in bands or ()]  # grades best first, as the bands list them
        labelled = dict(sorted(labelled.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
        if labelled:
            from matplotlib.lines import Line2D

            handles = [Line2D([], [], color=c, linewidth=2.2, label=k) for k, c in labelled.items()]
            fig.legend(handles=handles, loc="outside upper center", ncol=_legend_columns(list(labelled)),
                       frameon=False)
    return fig


def correlation_heatmap(labels: list[str], matrix: list[list[float | None]], *, title: str) -> Figure:
    """A correlation matrix as coloured cells (vector, not an image), values written in them."""
    import numpy as np

    m = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    k = len(labels)
    # few indicators still need room for their names (a CJK character is about two Latin wide)
    room = 0.07 * max((sum(2 if ord(c) > 0x2E80 else 1 for c in s) for s in labels), default=0)
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(max(1.6 + 0.32 * k, 2.6 + room), max(1.2 + 0.32 * k, 2.2 + room)), layout="constrained")
        ax = fig.add_subplot()
        mesh = ax.pcolormesh(np.ma.masked_invalid(m), cmap="RdBu", vmin=-1, vmax=1)
        ax.set_xticks([i + 0.5 for i in range(k)], labels, rotation=90)
        ax.set_yticks([i + 0.5 for i in range(k)], labels)
        ax.invert_yaxis()
        ax.set_title(title)
        fig.colorbar(mesh, ax=ax, shrink=0.6)
    return fig


def roc_curves(curves: list[dict], *, xlabel: str, ylabel: str) -> Figure:
    """ROC curves, one line per model, with the chance diagonal.

    curves: [{label, fpr: [...], tpr: [...], colour, width}].
    """
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(4.6, 4.2), layout="constrained")
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color=MISSING_COLOUR, linewidth=1, linestyle="--")
        for c in curves:
            ax.plot(c["fpr"], c["tpr"], color=c["colour"], linewidth=c.get("width", 1.4), label=c["label"],
                    drawstyle="steps-post")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="lower right", frameon=False, fontsize=8)
    return fig


def calibration(points: list[dict], *, xlabel: str, ylabel: str, colour: str = "#0b5cad") -> Figure:
    """Reliability diagram: observed rate against mean predicted probability per group, the
    diagonal for perfect calibration; marker areas follow the group sizes.

    points: [{predicted, observed, n}].
    """
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(4.6, 4.2), layout="constrained")
        ax = fig.add_subplot()
        top = max([p["predicted"] for p in points] + [p["observed"] for p in points] + [0.05])
        lim = min(1.0, top * 1.1)
        ax.plot([0, lim], [0, lim], color=MISSING_COLOUR, linewidth=1, linestyle="--")
        xs, ys = [p["predicted"] for p in points], [p["observed"] for p in points]
        ax.plot(xs, ys, color=colour, linewidth=1.2)
        n_max = max([p["n"] for p in points] + [1])
        ax.scatter(xs, ys, s=[12 + 60 * p["n"] / n_max for p in points], color=colour, zorder=3)
        ax.set_xlim(0, lim)
        ax.set_ylim(0, lim)
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    return fig


def sensitivity_bars(rows: list[dict], *, s1_label: str, st_label: str) -> Figure:
    """First- and total-order sensitivity indices per assumption, with confidence intervals.

    rows: [{label, s1, s1_low, s1_high, st, st_low, st_high}] (None where missing).
    """
    import numpy as np

    def arr(key):
        return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)

    y = np.arange(len(rows))
    with matplotlib.rc_context(FONT):
        fig = Figure(figsize=(6.4, 0.5 * max(len(rows), 1) + 1.2), layout="constrained")
        ax = fig.add_subplot()
        for key, off, colour, label in (("s1", -0.18, "#0b5cad", s1_label), ("st", 0.18, "#9ecae1", st_label)):
            v, lo, hi = arr(key), arr(f"{key}_low"), arr(f"{key}_high")
            ax.barh(y + off, np.nan_to_num(v), height=0.34, color=colour, label=label)
            ok = ~np.isnan(lo) & ~np.isnan(hi)
            ax.hlines(y[ok] + off, lo[ok], hi[ok], color="#1f2328", linewidth=1)
        ax.axvline(0, color="#8c959f", linewidth=0.8)
        ax.set_yticks(y, [r["label"] for r in rows])
        ax.invert_yaxis()
        low = np.concatenate([arr(k) for k in ("s1", "s1_low", "st", "st_low")] + [[0.0]])
        high = np.concatenate([arr(k) for k in ("s1", "s1_high", "st", "st_high")] + [[1.0]])
        ax.set_xlim(min(0.0, float(np.nanmin(low))) - 0.02, max(1.0, float(np.nanmax(high))) + 0.02)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    return fig
