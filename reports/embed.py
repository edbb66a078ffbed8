"""Putting data and figures inside a page safely.

`script_json` writes data for a `<script type="application/json">` block with every character
that could end the block or open markup escaped; `figure_svg` turns a matplotlib figure into an
inline `<svg>` element (text kept as text) stripped of everything that points outside the page.
"""
from __future__ import annotations

import io
import json
import math
import re
import warnings

from markupsafe import Markup, escape

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_JSON_RE = re.compile("[<>&\u2028\u2029]")


_PLAIN = frozenset({str, int, bool, type(None)})  # values `_clean` returns as they are


def _clean(obj):
    """NaN and infinities become null (JSON has no NaN). Plain values and finite floats inside a
    list or dict are kept without a call per value (the overview's data holds about a million)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): v if type(v) in _PLAIN or (type(v) is float and _finite(v)) else _clean(v)
                for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [v if type(v) in _PLAIN or (type(v) is float and _finite(v)) else _clean(v) for v in obj]
    return obj


_finite = math.isfinite


def script_json(obj) -> Markup:
    """JSON safe to place verbatim inside `<script type="application/json">`.

    Examples
    --------
    >>> str(script_json({"name": "</script><b>&"}))
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(_clean(obj), ensure_ascii=False, separators=(",", ":"), sort_keys=False, allow_nan=False)
    return Markup(_JSON_RE.sub(lambda m: _JSON_ESCAPES[m.group(0)], text))


_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")
_PATH_DATA = re.compile(r' d="([^"]*)"')
_DIGITS = re.compile(r"(?<=\.\d)\d+")  # the digits after the first decimal (no group to copy)


def svg_element(svg: str, *, title: str, desc: str, prefix: str, css_class: str = "chart") -> Markup:
    """An SVG document as an accessible inline element: no prolog, namespaces or metadata,
    `role="img"`, an `aria-label`, `<title>`/`<desc>` as its first children, and every element
    id (and reference to one) prefixed with `prefix` so that several figures share a page."""
    svg = _PROLOG.sub("", svg, count=1)
    svg = _METADATA.sub("", svg)
    svg = _XMLNS.sub("", svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = svg.replace(' id="', f' id="{prefix}-').replace("url(#", f"url(#{prefix}-")
    svg = svg.replace('href="#', f'href="#{prefix}-')
    # path coordinates to a tenth of a point: a third of the bytes, no visible change
    svg = _PATH_DATA.sub(lambda m: ' d="' + _DIGITS.sub("", m.group(1)) + '"', svg)
    label = escape(title)
    tail = (f' class="{css_class}" role="img" aria-label="{label}">'
            f"<title>{label}</title><desc>{escape(desc)}</desc>")
    # a function, not a template: a backslash in the title must stay text, not a group reference
    svg = _SVG_OPEN.sub(lambda m: f"<svg{m.group(1)}{tail}", svg, count=1)
    return Markup(svg.strip())


def figure_svg(fig, *, title: str, desc: str, salt: str) -> Markup:
    """Render a matplotlib Figure to inline SVG.

    Text stays text (`svg.fonttype = 'none'`) so the browser draws Chinese labels with its own
    fonts; `salt` makes the element ids of this figure unique within a page, and no date is
    written, so the same figure gives the same bytes.
    """
    import matplotlib

    buf = io.StringIO()
    rc = {"svg.fonttype": "none", "svg.hashsalt": salt}
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return svg_element(buf.getvalue(), title=title, desc=desc, prefix=salt)
