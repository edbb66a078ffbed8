"""Writing tables in the input contract: Arrow schemas derived from `indicators.contract`,
CSV (ISO dates and timestamps, `true`/`false`, empty cells for missing) and Parquet."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..contract import TABLES

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
}
FORMATS = ("csv", "parquet")
PARQUET_COMPRESSION = "zstd"


def schema(table: str) -> pa.Schema:
    """The Arrow schema of a contract table (column order as in the contract)."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in TABLES[table].columns])


def arrow_table(table: str, columns: dict[str, object]) -> pa.Table:
    """An Arrow table of the contract's schema from numpy arrays, lists or pyarrow arrays.

    Dates may be given as days since 1970-01-01 (integers) and timestamps as microseconds since
    the epoch (integers). Missing values: None in a list, or a pyarrow array with nulls (`masked`)."""
    sch = schema(table)
    # optional contract columns the generator does not produce are left out of the file
    sch = pa.schema([f for f in sch if f.name in columns or TABLES[table].column(f.name).required])
    arrays = []
    for field in sch:
        value = columns[field.name]
        if isinstance(value, (pa.Array, pa.ChunkedArray)):
            arrays.append(value.cast(field.type) if value.type != field.type else value)
            continue
        if isinstance(value, np.ndarray) and field.type == pa.date32() and value.dtype.kind == "i":
            value = pa.array(value.astype(np.int32), pa.int32()).cast(pa.date32())
            arrays.append(value)
            continue
        if isinstance(value, np.ndarray) and field.type == pa.timestamp("us") and value.dtype.kind == "i":
            arrays.append(pa.array(value, pa.int64()).cast(pa.timestamp("us")))
            continue
        arrays.append(pa.array(value, field.type))
    return pa.Table.from_arrays(arrays, schema=sch)


def masked(values: np.ndarray, missing: np.ndarray, type_: pa.DataType | None = None) -> pa.Array:
    """A pyarrow array of `values` with nulls where `missing` is true."""
    if type_ is None:
        return pa.array(values, mask=missing)
    return pa.array(values, mask=missing).cast(type_)


def _csv_frame(tbl: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(tbl)
    assert isinstance(df, pl.DataFrame)
    casts = {}
    for name, dtype in df.schema.items():
        if dtype == pl.Float64:
            col = df.get_column(name).drop_nulls()
            if len(col) and bool(((col % 1) == 0).all()) and float(col.abs().max()) < 2**53:
                casts[name] = pl.Int64  # integral numbers are written without ".0"
    return df.with_columns([pl.col(n).cast(t) for n, t in casts.items()]) if casts else df


def write_csv(tbl: pa.Table, sink, *, header: bool = True) -> None:
    _csv_frame(tbl).write_csv(
        sink,
        include_header=header,
        datetime_format="%Y-%m-%dT%H:%M:%S",
        date_format="%Y-%m-%d",
        float_scientific=False,
        null_value="",
    )


def write(tbl: pa.Table, path: Path, fmt: str) -> Path:
    """Write a whole table to `path` (suffix added from fmt)."""
    target = path.with_suffix("." + fmt)
    if fmt == "csv":
        with open(target, "wb") as fh:
            write_csv(tbl, fh)
    else:
        pq.write_table(tbl, target, compression=PARQUET_COMPRESSION)
    return target


class ChunkWriter:
    """Append chunks of one table to a CSV file or to row groups of a Parquet file."""

    def __init__(self, table: str, path: Path, fmt: str):
        self.table, self.fmt = table, fmt
        self.path = path.with_suffix("." + fmt)
        self.rows = 0
        self._fh = open(self.path, "wb") if fmt == "csv" else None
        self._pq = None if fmt == "csv" else pq.ParquetWriter(self.path, schema(table),
                                                              compression=PARQUET_COMPRESSION)

    def write(self, tbl: pa.Table) -> None:
        if self._fh is not None:
            write_csv(tbl, self._fh, header=self.rows == 0)
        else:
            self._pq.write_table(tbl, row_group_size=max(1, tbl.num_rows))
        self.rows += tbl.num_rows

    def close(self) -> None:
        if self._fh is not None:
            if self.rows == 0:
                write_csv(pa.Table.from_pylist([], schema=schema(self.table)), self._fh)
            self._fh.close()
        if self._pq is not None:
            self._pq.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
