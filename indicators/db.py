"""The DuckDB connection of the record stage: bounded memory, spilling to a temporary folder.

An in-memory DuckDB database keeps its tables in the buffer pool. With `memory_limit` set and a
`temp_directory` to write to, DuckDB evicts blocks to disk instead of growing past the limit, so
a data folder larger than memory is validated and scanned at the cost of disk I/O rather than
failing or swapping (measured in benchmarks/RESULTS.md). The limit covers DuckDB's buffers, not
Python's frames, which after the record stage hold aggregates only.

Examples
--------
>>> with record_stage_connection("256MB") as con:
...     con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
'244.1 MiB'
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from indicators.errors import ResourceError, UsageError

#: DuckDB's buffer limit when neither `--memory-limit` nor RATING_MEMORY_LIMIT says otherwise:
#: a run over 10^8 complaints then stays under 2 GiB resident (benchmarks/RESULTS.md).
DEFAULT_MEMORY_LIMIT = "1GB"
ENV = "RATING_MEMORY_LIMIT"


def memory_limit(value: str | None = None) -> str:
    """The buffer limit to use: `value`, else $RATING_MEMORY_LIMIT, else the default."""
    return value or os.environ.get(ENV) or DEFAULT_MEMORY_LIMIT


@contextmanager
def record_stage_connection(limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection limited to `limit` (e.g. '1GB', '8GiB'), spilling to a
    private folder under the system's temporary directory ($TMPDIR), removed on exit."""
    spill = tempfile.mkdtemp(prefix="rating-spill-")
    try:
        try:
            con = duckdb.connect(config={"memory_limit": memory_limit(limit), "temp_directory": spill})
        except duckdb.Error as e:
            raise UsageError(f"memory limit {memory_limit(limit)!r}: {str(e).splitlines()[0]}; "
                             "expected a size such as 1GB or 800MiB") from None
        try:
            yield con
        except duckdb.OutOfMemoryException as e:
            raise ResourceError(f"out of memory within DuckDB's limit of {memory_limit(limit)} "
                                f"({str(e).splitlines()[0]}); give it more with --memory-limit "
                                f"or {ENV}") from None
        finally:
            con.close()
    finally:
        shutil.rmtree(spill, ignore_errors=True)
