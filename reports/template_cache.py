"""The pages' compiled templates kept between runs, in the run's cache (`rating.cache`).

Parsing and compiling the templates costs a report about a fifth of a second, the same every
run; a rerun loads their Python code (jinja's bytecode) instead. An entry is keyed by the sha256
of the template's name and source, the versions of Python, jinja2 and markupsafe, and the source
of `reports.render` (its code generator and options decide the code), so that a change to any of
them compiles again. The code loaded is the code a compile would make: the pages are the same
bytes with or without the cache. `RATING_CACHE=off` keeps nothing.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import sys
from importlib.metadata import version
from pathlib import Path

import jinja2
import numpy as np

from rating.cache import Cache, code_digest

log = logging.getLogger("reports")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 of what turns a template's source into code besides the source itself."""
    return code_digest((sys.version, version("jinja2"), version("markupsafe")), Path(__file__).with_name("render.py"))


class TemplateCache(jinja2.BytecodeCache):
    """A `jinja2.BytecodeCache` over a `rating.cache.Cache` (an entry: the bytes of the code)."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def key(self, bucket: jinja2.bccache.Bucket) -> str:
        """The entry of a bucket: its template (name and file) and source, and `code_version`."""
        return hashlib.sha256(f"jinja2 template {bucket.key} {bucket.checksum} {code_version()}".encode()).hexdigest()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        got = self.cache.get(self.key(bucket))
        if got is None or "code" not in got:
            return
        try:  # jinja checks its own header and the source's checksum; a bad entry is compiled again
            bucket.bytecode_from_string(got["code"].tobytes())
        except Exception as e:
            log.debug("ignoring cached template %s: %s", bucket.key, e)
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.put(self.key(bucket), {"code": np.frombuffer(bucket.bytecode_to_string(), dtype=np.uint8)})


def from_env() -> TemplateCache | None:
    """The template cache of $RATING_CACHE (`rating.cache.default_folder`); None when it is off."""
    cache = Cache.from_env()
    return TemplateCache(cache) if cache.folder is not None else None
