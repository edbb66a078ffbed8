"""Test-wide settings for every collected path (tests and the packages' doctests)."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def no_model_cache():
    """Every test computes the early warning afresh (child processes too) and writes nothing to
    the user's cache folder; tests/models/test_cache.py names its own folders."""
    before = os.environ.get("RATING_CACHE")
    os.environ["RATING_CACHE"] = "off"
    yield
    if before is None:
        del os.environ["RATING_CACHE"]
    else:
        os.environ["RATING_CACHE"] = before
