"""Writing a run's outputs atomically: everything goes to a temporary folder beside OUT, which
replaces OUT only when complete. An OUT holding something other than a finished run is never
replaced, and a finished run only with `force`.
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from indicators.errors import OutputError

MARK = "manifest.json"
TMP_PREFIX = ".rating-tmp-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(parent: Path, name: str) -> None:
    """Remove temporary folders left by killed runs (their process is gone)."""
    for p in parent.glob(f"{TMP_PREFIX}{name}-*"):
        try:
            pid = int(p.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if not _alive(pid):
            shutil.rmtree(p, ignore_errors=True)


def check_target(out: Path, force: bool, mark: str = MARK) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if not any(out.iterdir()):
        return
    if not (out / mark).is_file():
        raise OutputError(f"{out}: folder exists and does not hold a rating run; refusing to replace it")
    if not force:
        raise OutputError(f"{out}: holds an earlier run; pass --force to replace it")


@contextmanager
def atomic_dir(out: Path, force: bool = False, mark: str = MARK):
    """Yield a temporary folder; on success it replaces `out` in one rename. `mark` is the file
    that shows an existing `out` holds an earlier result of the same command."""
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out.parent, out.name)
    check_target(out, force, mark)
    tmp = out.parent / f"{TMP_PREFIX}{out.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = out.parent / f"{TMP_PREFIX}{out.name}-old-{os.getpid()}"
    if out.exists():
        os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def write_csv(df: pl.DataFrame, path: Path) -> None:
    df.write_csv(path)


def write_json(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_duckdb(tables: dict[str, pl.DataFrame], path: Path) -> None:
    """Every output table in one DuckDB file, for SQL."""
    con = duckdb.connect(str(path))
    try:
        for name, df in tables.items():
            con.register("_t", df.to_arrow())
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _t')
            con.unregister("_t")
    finally:
        con.close()
