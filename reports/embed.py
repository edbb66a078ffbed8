"""Putting data inside a page safely.

`script_json` writes data for a `<script type="application/json">` block with every character
that could end the block or open markup escaped. (Charts are SVG written in Python: `reports.plots`
and `reports.svg`.)
"""
from __future__ import annotations

import json
import math
import re

from markupsafe import Markup

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_JSON_RE = re.compile("[<>&\u2028\u2029]")


_PLAIN = frozenset({str, int, bool, type(None)})  # values `_clean` returns as they are


def _clean(obj):
    """NaN and infinities become null (JSON has no NaN). Plain values and finite floats inside a
    list or dict are kept without a call per value (the overview's data holds about a million).
    Keys are kept as they are: `json.dumps` writes them, as it does when nothing needs cleaning."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: v if type(v) in _PLAIN or (type(v) is float and _finite(v)) else _clean(v)
                for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [v if type(v) in _PLAIN or (type(v) is float and _finite(v)) else _clean(v) for v in obj]
    return obj


_finite = math.isfinite


def _dumps(obj) -> str:
    """Compact JSON, non-ASCII kept; raises ValueError at a NaN or an infinity."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=False, allow_nan=False)


def script_json(obj) -> Markup:
    """JSON safe to place verbatim inside `<script type="application/json">`.

    Examples
    --------
    >>> str(script_json({"name": "</script><b>&"}))
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    try:  # most data has no NaN: written as it is, without a copy made by `_clean` first
        text = _dumps(obj)
    except ValueError:  # a NaN or an infinity somewhere: null in its place
        text = _dumps(_clean(obj))
    return Markup(_JSON_RE.sub(lambda m: _JSON_ESCAPES[m.group(0)], text))


_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')  # namespace declarations, not needed inline in HTML
