"""The engine's version: the installed package's metadata (pyproject.toml is its one source).

Run from a source tree that was never installed, the version is "0+unknown" (a valid version
that claims nothing), so a manifest never states a version that was not installed.
"""
from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("integrity-rating")
except metadata.PackageNotFoundError:
    __version__ = "0+unknown"
