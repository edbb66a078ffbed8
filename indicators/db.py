"""The DuckDB connection of the record stage: bounded memory, tables in a temporary folder.

The record tables go to a DuckDB database file in a private folder under $TMPDIR (removed at
the end), not to an in-memory database: on disk DuckDB stores them compressed, about a fifth of
their in-memory size, and keeps in memory what fits `memory_limit`, reading the rest back.
Operators that outgrow the limit (joins, sorts, aggregates) spill to the same folder. So a data
folder larger than memory is validated and scanned at the cost of disk I/O rather than failing
or swapping; at 10^7 complaints and more, reading compressed blocks also makes the indicator
queries faster than over an in-memory table that no longer fits (benchmarks/RESULTS.md). The
limit covers DuckDB's buffers, not Python's frames, which after the record stage hold aggregates.

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
    """A DuckDB connection to a new database in a private folder under the system's temporary
    directory ($TMPDIR), its buffers limited to `limit` (e.g. '1GB', '8GiB'); the folder, with
    the database and anything spilled, is removed on exit."""
    spill = tempfile.mkdtemp(prefix="rating-spill-")
    try:
        try:
            con = duckdb.connect(os.path.join(spill, "records.duckdb"),
                                 config={"memory_limit": memory_limit(limit), "temp_directory": spill})
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
