"""Is text decoded as GB18030 plausibly Chinese, or some other encoding read byte by byte?

Nearly any byte string decodes as GB18030, so decoding proves little. What tells Chinese from,
say, Latin-1, Shift-JIS or Big5 read as GBK is which characters come out: Chinese text is mostly
the 3,755 common hanzi of GB2312 level 1, while Latin-1 letter pairs land on rare GBK-only or
level-2 hanzi, Shift-JIS on rare GBK-only hanzi, and Big5 largely on kana, Greek, box drawing
and private-use codes. A four-byte GB18030 character (a digit as second and fourth byte) is
just as telling: those encodings hardly ever yield one by chance. Unlike charset-normalizer's
statistics, this needs no more text than one short name repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

# character classes of the table below
OTHER, ASCII, LEVEL1, LEVEL2, GBK_ONLY, FOUR_BYTE, SYMBOL = range(7)
_IDEOGRAPHS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))  # BMP blocks
_SUPPLEMENTARY_IDEOGRAPHS = (0x20000, 0x3134F)  # extensions B to G: four bytes in GB18030
MAX_OTHER = 1 / 50  # share of non-ASCII characters that may be neither hanzi nor GB punctuation
MIN_COMMON = 1 / 2  # share of hanzi that must be GB2312 level 1 or four-byte GB18030


@cache
def _classes() -> np.ndarray:
    """Class of every BMP code point, from the layout of the two-byte GBK code space."""
    table = np.full(0x10000, OTHER, np.uint8)
    table[0x20:0x7F] = ASCII
    table[[0x09, 0x0A, 0x0D]] = ASCII
    for lo, hi in _IDEOGRAPHS:
        table[lo : hi + 1] = FOUR_BYTE  # until the GBK pairs below claim them
    lead = np.repeat(np.arange(0x81, 0xFF), 190)
    trail = np.tile(np.array([t for t in range(0x40, 0xFF) if t != 0x7F]), 0xFF - 0x81)
    pairs = np.stack([lead, trail], axis=1).astype(np.uint8).tobytes()
    chars = np.frombuffer(pairs.decode("gb18030").encode("utf-32-le"), "<u4")  # one per pair
    ideograph = np.zeros(len(chars), bool)
    for lo, hi in _IDEOGRAPHS:
        ideograph |= (chars >= lo) & (chars <= hi)
    gb2312 = (lead >= 0xB0) & (lead <= 0xF7) & (trail >= 0xA1)
    table[chars[ideograph & ~gb2312]] = GBK_ONLY
    table[chars[ideograph & gb2312 & (lead < 0xD8)]] = LEVEL1
    table[chars[ideograph & gb2312 & (lead >= 0xD8)]] = LEVEL2
    private = (chars >= 0xE000) & (chars <= 0xF8FF)
    symbol = (lead >= 0xA1) & (lead <= 0xA3)  # punctuation, numbers, full-width forms
    symbol |= (lead == 0xA8) & (trail <= 0xC0)  # pinyin letters, GBK symbols
    symbol |= (lead == 0xA9) & (trail < 0xA1)  # GBK symbols such as 〇 (not box drawing)
    table[chars[symbol & ~ideograph & ~private]] = SYMBOL
    return table


@dataclass(frozen=True)
class Census:
    """How many characters of each class a text holds."""

    counts: tuple[int, ...]

    def __getitem__(self, cls: int) -> int:
        return self.counts[cls]

    @property
    def hanzi(self) -> int:
        return self[LEVEL1] + self[LEVEL2] + self[GBK_ONLY] + self[FOUR_BYTE]

    @property
    def non_ascii(self) -> int:
        return sum(self.counts) - self[ASCII]


def census(text: str) -> Census:
    """Count the characters of `text` by class (vectorised: a lookup per code point)."""
    points = np.frombuffer(text.encode("utf-32-le", errors="replace"), "<u4")
    lo, hi = _SUPPLEMENTARY_IDEOGRAPHS
    classes = np.where(
        points < 0x10000,
        _classes()[np.minimum(points, 0xFFFF)],
        np.where((points >= lo) & (points <= hi), FOUR_BYTE, OTHER),
    )
    return Census(tuple(int(n) for n in np.bincount(classes, minlength=SYMBOL + 1)))


def plausibly_chinese(text: str) -> bool:
    """True when `text` holds hanzi and its non-ASCII characters look like Chinese written in
    GB: hardly anything but hanzi and GB punctuation (no control, private-use, kana, Greek or
    box-drawing characters), and at least half of the hanzi either common (GB2312 level 1) or
    four-byte GB18030 ones."""
    seen = census(text)
    return (
        seen.hanzi > 0
        and seen[OTHER] <= MAX_OTHER * seen.non_ascii
        and seen[LEVEL1] + seen[FOUR_BYTE] >= MIN_COMMON * seen.hanzi
    )
