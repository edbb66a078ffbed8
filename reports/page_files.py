"""The unit pages' files created ahead of their pages, on a thread that takes only idle CPU.

Creating a file can cost the kernel far more than writing it: ext4 without a journal steps past
every inode freed in the last minutes, so a rerun right after the previous run's output was
replaced pays about half a millisecond per new file (4,274 unit pages: 2-3 s of CPU). While the
scores are computed and while the early warning runs, a CPU is idle much of the time;
`reserved_pages` creates the empty files of the unit pages then (`rating.pipeline.rate` starts
and pauses it: not during the Monte Carlo, which keeps both CPUs busy), at the lowest priority,
the last unit first (the writers start at the first), and `reports.render.render` writes each
page into its file. Files of units that get no page are removed again. The pages are the same bytes either
way; only who creates the file differs.
"""
from __future__ import annotations

import os
import pathlib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from reports.tables import UNIT_ID

_RESERVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


class Reserved:
    """Empty files `folder/<unit_id>.html` created on a background thread (`start`) until all
    exist or `stop` is called, held between files while paused (`pause`, until `start` again);
    `created` lists the ids it created (in creation order)."""

    def __init__(self, folder: pathlib.Path, unit_ids: Iterable[str]):
        self.folder = pathlib.Path(folder)
        self.ids = sorted({str(u) for u in unit_ids if UNIT_ID.match(str(u))})  # never name a file after anything else
        self.created: list[str] = []
        self._stop = threading.Event()
        self._go = threading.Event()  # set: creating; clear: paused
        self._thread = threading.Thread(target=self._create, name="reserve-pages", daemon=True)

    def start(self) -> "Reserved":
        """Start creating the files, or go on after `pause`."""
        if self._thread.ident is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._go.set()
            self._thread.start()
        self._go.set()
        return self

    def pause(self) -> "Reserved":
        """Hold the thread after the file it is creating (for a stage that keeps every CPU busy)."""
        self._go.clear()
        return self

    def join(self) -> None:
        """Wait until every file exists (or the thread stopped); a paused thread goes on."""
        if self._thread.ident is not None:
            self._go.set()
            self._thread.join()

    def stop(self) -> None:
        """Stop creating files and wait for the thread (at most one more file)."""
        self._stop.set()
        self._go.set()
        if self._thread.is_alive():
            self._thread.join()

    def remove_unpaged(self, paged: Iterable[str]) -> None:
        """Stop, then remove the files this created for units not in `paged` (still empty: no
        page was written into them)."""
        self.stop()
        keep = set(paged)
        for uid in self.created:
            if uid not in keep:
                (self.folder / f"{uid}.html").unlink(missing_ok=True)

    def _create(self) -> None:
        try:  # Linux: a thread's own priority; elsewhere the thread runs at the process's
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        for uid in reversed(self.ids):
            self._go.wait()
            if self._stop.is_set():
                return
            try:
                os.close(os.open(self.folder / f"{uid}.html", _RESERVE, 0o666))
            except FileExistsError:  # a writer was first
                continue
            except OSError:  # e.g. the folder is gone: the writers create what is missing
                return
            self.created.append(uid)


@contextmanager
def reserved_pages(out: pathlib.Path, unit_ids: Iterable[str], start: bool = True) -> Iterator[Reserved]:
    """Create the unit page files of `unit_ids` under `out/units` in the background while the
    body runs (from `Reserved.start` when `start` is False); the thread is stopped on leaving,
    also on an error.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with reserved_pages(pathlib.Path(tmp), ["440100", "440200", "../x"]) as r:
    ...         r.join()
    ...         r.remove_unpaged(["440100"])
    ...     sorted(p.name for p in (pathlib.Path(tmp) / "units").iterdir())
    ['440100.html']
    """
    reserved = Reserved(pathlib.Path(out) / "units", unit_ids)
    if start:
        reserved.start()
    try:
        yield reserved
    finally:
        reserved.stop()
