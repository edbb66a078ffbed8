"""Formatting of values for display: numbers, shares, dates and bilingual texts.

Every function maps a missing value (None or NaN) to the dash "—" so that templates never see
a null.
"""
from __future__ import annotations

import datetime as dt
import json

from markupsafe import Markup, escape

try:  # markupsafe's C escaping of a str, without the Markup object around each result
    from markupsafe import _escape_inner as escape_text
except ImportError:  # pragma: no cover - other markupsafe versions
    def escape_text(text: str) -> str:
        return str(escape(text))

DASH = "—"


def escape_output(value) -> str:
    """The text of `escape(value)` as a plain string: what every ``{{ ... }}`` of a page writes,
    and every text the charts written in Python hold.

    Examples
    --------
    >>> escape_output("<b> & 'q'"), escape_output(Markup("<b>")) == "<b>", escape_output(2)
    ('&lt;b&gt; &amp; &#39;q&#39;', True, '2')
    """
    if type(value) is str:
        return escape_text(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape_text(str(value))


def missing(x) -> bool:
    """None or NaN (NaN is the only value not equal to itself)."""
    return x is None or x != x


def num(x, digits: int = 1) -> str:
    """A number with fixed decimals and thousands separators.

    Examples
    --------
    >>> num(81.234)
    '81.2'
    >>> num(None)
    '—'
    >>> num(12345.0, 0)
    '12,345'
    """
    if missing(x):
        return DASH
    return f"{x:,.{digits}f}"


def signed(x, digits: int = 1) -> str:
    """A change with its sign: '+1.5', '−0.3', '0.0'.

    Examples
    --------
    >>> signed(1.46)
    '+1.5'
    >>> signed(-0.34)
    '−0.3'
    """
    if missing(x):
        return DASH
    text = f"{abs(x):,.{digits}f}"
    if text.strip("0.,") == "":
        return text
    return ("+" if x > 0 else "−") + text


def pct(x, digits: int = 0) -> str:
    """A share (0..1) as a percentage."""
    if missing(x):
        return DASH
    return f"{100 * x:.{digits}f}%"


def integer(x) -> str:
    if missing(x):
        return DASH
    return f"{int(x):,d}"


def interval(low, high, digits: int | None = None) -> str:
    """'3–7' for ranks, '71.2–80.5' for scores; the dash when either end is missing."""
    if missing(low) or missing(high):
        return DASH
    if digits is None:
        return f"{int(low)}–{int(high)}"
    return f"{low:.{digits}f}–{high:.{digits}f}"


def date(x) -> str:
    if missing(x):
        return DASH
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()[:10]
    return str(x)


def text(x) -> str:
    return DASH if missing(x) or x == "" else str(x)


#: Characters of a free text shown in a table cell; the rest is counted, not shown (a report
#: stays readable and small whatever a description holds).
CLIP = 300


def clip(x, limit: int = CLIP) -> str:
    """A free text cut to `limit` characters, saying how many were left out.

    >>> clip("短文本")
    '短文本'
    >>> clip("x" * 1000, 5)
    'xxxxx… (+995)'
    """
    t = text(x)
    return t if len(t) <= limit else f"{t[:limit]}… (+{len(t) - limit:,})"


def bilingual(value: str | None, lang: str) -> str:
    """Pick one side of a 'CODE: 中文 / English' text; the whole text when it has no ' / '.

    Examples
    --------
    >>> bilingual("V1: 列为失信被执行人 / Listed as a debtor", "en")
    'V1: Listed as a debtor'
    >>> bilingual("V1: 列为失信被执行人 / Listed as a debtor", "zh")
    'V1: 列为失信被执行人'
    """
    if missing(value) or value == "":
        return DASH
    code, sep, rest = str(value).partition(": ")
    body = rest if sep else code
    zh, slash, en = body.partition(" / ")
    if not slash:
        return str(value)
    chosen = zh if lang == "zh" else en
    return f"{code}: {chosen}" if sep else chosen


def evidence(value) -> list[tuple[str, str]]:
    """An alert's evidence (JSON text) as (key, value) pairs for display; raw text if not JSON."""
    if missing(value) or value == "":
        return []
    try:
        doc = json.loads(value)
    except (TypeError, ValueError):
        return [("", str(value))]
    if not isinstance(doc, dict):
        return [("", json.dumps(doc, ensure_ascii=False))]
    out = []
    for k in sorted(doc):
        v = doc[k]
        if isinstance(v, float):
            shown = f"{v:.4g}"
        elif isinstance(v, (dict, list)):
            shown = json.dumps(v, ensure_ascii=False, sort_keys=True)
        else:
            shown = DASH if v is None else str(v)
        out.append((str(k), shown))
    return out


def measure(x, unit: str) -> str:
    """An indicator's raw value by its unit of measure: shares as percentages, ratios with
    three decimals, counts and rates with two.

    Examples
    --------
    >>> measure(0.4286, "share")
    '42.9%'
    >>> measure(2.1934, "ratio")
    '2.193'
    >>> measure(3.0, "records")
    '3.0'
    """
    u = (unit or "").lower()
    if u.startswith("share"):
        return pct(x, 1)
    if u == "ratio":
        return num(x, 3)
    if u in ("records", "days"):
        return num(x, 1)
    return num(x, 2)


def measurer(unit: str):
    """`measure` for one unit of measure, as a function of the value (the unit's test done once
    for all the values of an indicator)."""
    u = (unit or "").lower()
    if u.startswith("share"):
        return lambda x: DASH if x is None or x != x else f"{100 * x:.1f}%"
    digits = 3 if u == "ratio" else 1 if u in ("records", "days") else 2
    return lambda x: DASH if x is None or x != x else f"{x:,.{digits}f}"


def frame_table(df) -> dict | None:
    """Any small frame as a table of display strings (optional sections passed by the caller)."""
    if df is None or df.is_empty():
        return None
    cells = [[num(v, 3) if isinstance(v, float) else text(v) for v in row] for row in df.iter_rows()]
    return {"columns": df.columns, "rows": cells}
