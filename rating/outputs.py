"""Writing a run's outputs atomically: everything goes to a temporary folder beside OUT, which
replaces OUT only when complete. An OUT holding something other than a finished run is never
replaced, and a finished run only with `force`.

How OUT is replaced (docs/security.md, "Atomic runs"):

- the run writes into `.rating-tmp-<name>-<pid>` beside OUT;
- when OUT does not exist, the folder is renamed to OUT (one atomic rename);
- when OUT exists, the two folders are exchanged in one atomic step (Linux `renameat2` with
  `RENAME_EXCHANGE`), so OUT is at every instant either the complete previous run or the complete
  new one; the temporary name then holds the previous run, which is deleted;
- where the system or the file system cannot exchange two folders, OUT is first renamed to
  `.rating-old-<name>-<pid>` and the new folder renamed to OUT. A process killed between these
  two renames leaves no OUT for a moment; the next `atomic_dir` (any later run into the same
  OUT) or `recover(out)` puts the previous run back.

Folders left by killed runs (their process is gone) are removed, or restored as above, before a
run starts; folders of live runs are left alone. Checking OUT and replacing it happen under an
advisory lock on the parent folder, so two runs into one OUT cannot both replace it: the second
one finds the first one's result and, without `force`, stops.
"""
from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from indicators.errors import EngineError, OutputError

if TYPE_CHECKING:  # the writers import their libraries when called: atomic_dir needs neither
    import polars as pl

MARK = "manifest.json"
TMP_PREFIX = ".rating-tmp-"  # a run being written: .rating-tmp-<name>-<pid>
OLD_PREFIX = ".rating-old-"  # a replaced run while the fallback swap deletes it
#: Errors of the file system that mean the output cannot be written (not a bug of the engine).
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG,
                  errno.ENAMETOOLONG, errno.EMFILE, errno.ENFILE}


def _alive(pid: int) -> bool:
    """True when process `pid` may still write (a zombie, killed but not yet reaped, cannot)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in (b"Z", b"X")


def _pid(entry: str, prefix: str, name: str) -> int | None:
    """The process id in `<prefix><name>-<pid>`, or None when `entry` is not such a name (the
    name must match exactly: `out` never claims the folders of `out-2`)."""
    head = f"{prefix}{name}-"
    if not entry.startswith(head):
        return None
    rest = entry[len(head):]
    return int(rest) if rest.isdigit() else None


def _leftovers(parent: Path, name: str) -> tuple[list[Path], list[Path]]:
    """(temporary folders, replaced runs) beside OUT that belong to processes that are gone."""
    tmp, old = [], []
    try:
        entries = os.listdir(parent)
    except OSError:
        return tmp, old
    for entry in sorted(entries):
        pid = _pid(entry, TMP_PREFIX, name)
        if pid is not None:
            if not _alive(pid):
                tmp.append(parent / entry)
            continue
        pid = _pid(entry, OLD_PREFIX, name)
        if pid is not None and not _alive(pid):
            old.append(parent / entry)
            continue
        legacy = _pid(entry, f"{TMP_PREFIX}{name}-old", "")  # earlier versions' layout: delete only
        if legacy is not None and not _alive(legacy):
            tmp.append(parent / entry)
    return tmp, old


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(OSError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def recover(out: str | Path) -> bool:
    """Tidy what killed runs left beside `out`: put a replaced run back when `out` is missing
    (a kill between the two renames of the fallback swap), then delete the rest. Returns True
    when a run was put back. `atomic_dir` calls this before every run."""
    out = Path(out).absolute()
    tmp, old = _leftovers(out.parent, out.name)
    restored = False
    if old and not os.path.lexists(out):
        newest = max(old, key=lambda p: p.stat().st_mtime_ns)
        os.rename(newest, out)
        old.remove(newest)
        restored = True
    for path in tmp + old:
        _remove(path)
    return restored


def check_target(out: Path, force: bool, mark: str = MARK) -> None:
    """Raise OutputError unless `out` may receive a run: missing, empty, or (with `force`) an
    earlier result of the same command (it holds `mark`)."""
    if not os.path.lexists(out):
        return
    if out.is_symlink() and not out.exists():
        raise OutputError(f"{out}: is a broken symbolic link; choose another --out")
    if not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if not any(out.iterdir()):
        return
    if not (out / mark).is_file():
        raise OutputError(f"{out}: folder exists and does not hold a rating run; refusing to replace it")
    if not force:
        raise OutputError(f"{out}: holds an earlier run; pass --force to replace it")


@contextmanager
def _locked(folder: Path):
    """An advisory lock on `folder` (flock on the folder itself: no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


_RENAMEAT2 = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders `a` and `b` in one atomic step; False when the system or the file
    system cannot (then nothing happened)."""
    global _RENAMEAT2
    if not sys.platform.startswith("linux"):
        return False
    if _RENAMEAT2 is None:
        import ctypes

        try:
            fn = ctypes.CDLL(None, use_errno=True).renameat2
        except (AttributeError, OSError):
            fn = False
        else:
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            fn.restype = ctypes.c_int
        _RENAMEAT2 = fn
    if not _RENAMEAT2:
        return False
    import ctypes

    at_fdcwd, rename_exchange = -100, 2
    if _RENAMEAT2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(folder: Path) -> None:
    """Make the renames in `folder` durable (best effort; not every system allows it)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _replace(tmp: Path, out: Path, old: Path) -> Path | None:
    """Put the complete folder `tmp` in place of `out`; return what is left to delete."""
    if not os.path.lexists(out):
        os.rename(tmp, out)
        return None
    if out.is_dir() and not out.is_symlink() and _exchange(tmp, out):
        return tmp  # now holds the previous run
    os.rename(out, old)  # fallback: a kill before the next rename is undone by recover()
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    return old


def _output_error(out: Path, tmp: Path, exc: BaseException) -> OutputError | None:
    """An OutputError for a file-system failure while writing the run (disk full, no
    permission, ...), None for anything else."""
    if not isinstance(exc, OSError) or isinstance(exc, EngineError):
        return None
    inside = exc.filename is not None and str(exc.filename).startswith(str(tmp))
    if exc.errno not in _OUTPUT_ERRNOS and not inside:
        return None
    return OutputError(f"{out}: cannot write the run ({exc.strerror or exc})")


@contextmanager
def atomic_dir(out: Path, force: bool = False, mark: str = MARK):
    """Yield a temporary folder; on success it replaces `out` atomically. `mark` is the file
    that shows an existing `out` holds an earlier result of the same command.

    Raises OutputError when `out` holds something else, an earlier result without `force`, or
    cannot be written; on any error the temporary folder is removed and `out` is untouched.
    """
    out = Path(out).absolute()
    parent = out.parent
    tmp = parent / f"{TMP_PREFIX}{out.name}-{os.getpid()}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with _locked(parent):
            recover(out)
            check_target(out, force, mark)
            _remove(tmp)  # a folder of an earlier process that had our process id
            tmp.mkdir()
    except OSError as exc:
        if isinstance(exc, EngineError):
            raise
        raise OutputError(f"{out}: cannot prepare the output folder ({exc.strerror or exc})") from exc
    try:
        yield tmp
    except BaseException as exc:
        _remove(tmp)
        error = _output_error(out, tmp, exc)
        if error is not None:
            raise error from exc
        raise
    try:
        with _locked(parent):
            check_target(out, force, mark)  # another run may have finished in the meantime
            left = _replace(tmp, out, parent / f"{OLD_PREFIX}{out.name}-{os.getpid()}")
            _fsync_dir(parent)
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, EngineError):
            raise OutputError(f"{out}: cannot replace the output folder ({exc.strerror or exc})") from exc
        raise
    if left is not None:
        _remove(left)


def write_csv(df: pl.DataFrame, path: Path) -> None:
    """A table as UTF-8 CSV (header, `,`, `\\n` line ends, empty for missing values)."""
    df.write_csv(path)


def _finite(obj):
    """NaN and infinities become null: JSON has no NaN, and strict readers reject it."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def write_json(obj, path: Path) -> None:
    """Strict JSON (keys sorted, UTF-8, NaN as null), so that the same object gives the same bytes."""
    text = json.dumps(_finite(obj), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_duckdb(tables: dict[str, pl.DataFrame], path: Path) -> None:
    """Every output table in one DuckDB file, for SQL (rows in the order of the frames). A frame
    without columns holds nothing to query and is left out (SQL has no table without columns).
    The file is written under a hidden name and renamed when complete, as the workbook is: a run
    lists its folder while the file is written (reports.datafiles)."""
    import duckdb

    path = Path(path)
    part = path.with_name(f".{path.name}.part")
    con = duckdb.connect(str(part))
    try:
        for name, df in tables.items():
            if not df.columns:
                continue
            quoted = '"' + str(name).replace('"', '""') + '"'
            con.register("_t", df.to_arrow())
            con.execute(f"CREATE TABLE {quoted} AS SELECT * FROM _t")
            con.unregister("_t")
    finally:
        con.close()
    os.replace(part, path)  # (a failed file is left under its hidden name: the run's folder is discarded)


#: The model's output (probabilities, explanations, its alert levels and backtest): internal only.
MODEL_TABLES = ("risk", "explanations", "alert_levels", "model_backtest")


def edition_tables(tables: dict[str, pl.DataFrame], fw, audience: str) -> dict[str, pl.DataFrame]:
    """The tables a run folder of `audience` holds. The public edition keeps no model output in
    any file (CSV, workbook, DuckDB): the model's tables are left out, only the rule alerts stay,
    without their record-level evidence (nor the record ids behind vetoes), and the outlook is read from those rule alerts alone
    (a model alert would otherwise show through as a negative outlook)."""
    if audience == "internal":
        return tables
    import polars as pl

    from rating.publish import with_outlook

    out = {k: v for k, v in tables.items() if k not in MODEL_TABLES}
    if "alerts" in out:
        alerts = out["alerts"].filter(pl.col("source") == "rule")
        alerts = alerts.with_columns(pl.lit(None, dtype=alerts.schema[c]).alias(c)
                                     for c in alerts.columns if c.startswith("evidence"))
        out["alerts"] = alerts
        if "scores" in out and "outlook" in out["scores"].columns:
            out["scores"] = with_outlook(out["scores"], alerts, fw)
    if "scores" in out and "veto_record_id" in out["scores"].columns:  # record-level evidence, as on the pages
        out["scores"] = out["scores"].with_columns(pl.lit(None, dtype=pl.String).alias("veto_record_id"))
    return out
