"""Masking of personal data in free text, applied once, where text leaves the data layer.

Resident ID numbers (18 digits, last may be X), mobile and landline numbers, e-mail addresses
and bank card numbers are replaced by a marker that keeps only the kind of data. Patterns are
anchored on non-digit boundaries so record ids, amounts and ISO dates are left alone.
"""
from __future__ import annotations

import re

# (name, pattern, replacement); order matters: longer digit runs first.
PATTERNS = (
    ("id_card", r"(?<![0-9A-Za-z])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9A-Za-z])", "[身份证号]"),
    ("bank_card", r"(?<![0-9A-Za-z-])(?:62|4[0-9]|5[1-5])[0-9]{14,17}(?![0-9A-Za-z])", "[银行卡号]"),
    ("mobile", r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9A-Za-z])", "[手机号]"),
    ("landline", r"(?<![0-9A-Za-z-])0[1-9][0-9]{1,2}-[1-9][0-9]{6,7}(?![0-9A-Za-z])", "[电话]"),
    ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "[邮箱]"),
)
_COMPILED = tuple((n, re.compile(p), r) for n, p, r in PATTERNS)


def mask(text: str | None) -> str | None:
    """Mask personal data in one string.

    >>> mask("联系人电话13812345678，身份证440106199001011234")
    '联系人电话[手机号]，身份证[身份证号]'
    >>> mask("记录FR-000123，金额1200000元，2024-03-01")
    '记录FR-000123，金额1200000元，2024-03-01'
    """
    if text is None:
        return None
    for _, rx, rep in _COMPILED:
        text = rx.sub(rep, text)
    return text


def mask_column(df, column: str = "description"):
    """A polars frame with `column` masked (the frames that leave the data layer are small)."""
    import polars as pl

    if column not in df.columns:
        return df
    return df.with_columns(pl.col(column).map_elements(mask, return_dtype=pl.String))
