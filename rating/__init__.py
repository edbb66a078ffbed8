"""Integrity rating engine: indicator values -> scores, ranks, grades and uncertainty.

`rating.run(...)` (the Python API entry) is handed out lazily, so importing a stage module
never imports the reports.
"""
from __future__ import annotations

from rating.version import __version__


def __getattr__(name: str):
    if name in {"run", "Result"}:
        from rating import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'rating' has no attribute {name!r}")
