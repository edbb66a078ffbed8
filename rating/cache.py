"""Results kept between runs, so that a rerun recomputes nothing whose inputs have not changed
(the early warning's fits: models.cache; the Monte Carlo analysis: rating.analysis_cache; the
reports' compiled templates: reports.template_cache).

An entry is keyed by the sha256 of everything its result depends on, the code that computes it
included (`code_digest` of each user's own sources and library versions). It holds plain arrays (an .npz file read without pickle),
never a Python object. Entries are written atomically (a temporary file renamed into place); an
entry that cannot be read, has the wrong key or belongs to another user is ignored and the
result recomputed, so the cache never changes what a run writes and never makes it fail.

Where: the folder named by $RATING_CACHE; `RATING_CACHE=off` keeps nothing; by default
`$XDG_CACHE_HOME/integrity-rating/early-warning` (`~/.cache/...` without XDG_CACHE_HOME; the
folder was first the early warning's alone). The folder may be deleted at any time.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger("rating")
ENV = "RATING_CACHE"


def default_folder(environ=os.environ) -> Path | None:
    """The cache folder that the environment asks for: $RATING_CACHE (None when it is `off`),
    else under $XDG_CACHE_HOME, else under ~/.cache.

    Examples
    --------
    >>> default_folder({"RATING_CACHE": "off"}) is None
    True
    >>> default_folder({"RATING_CACHE": "/srv/cache"}), default_folder({"XDG_CACHE_HOME": "/c"})
    (PosixPath('/srv/cache'), PosixPath('/c/integrity-rating/early-warning'))
    """
    value = environ.get(ENV, "").strip()
    if value.lower() == "off":
        return None
    if value:
        return Path(value).expanduser()
    base = environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "integrity-rating" / "early-warning"


def code_digest(versions, *sources: Path) -> str:
    """sha256 of what computes a cache's entries besides their inputs: `versions` (its repr: the
    libraries and settings that decide the results) and the `sources`, each a file or a folder
    whose `*.py` files are read, sorted, by folder, name and content.

    Examples
    --------
    >>> a = code_digest(("1.0",), Path(__file__))
    >>> a == code_digest(("1.0",), Path(__file__)) != code_digest(("1.1",), Path(__file__))
    True
    """
    h = hashlib.sha256(repr(versions).encode() + b"\0")
    for source in map(Path, sources):
        for path in sorted(source.glob("*.py")) if source.is_dir() else [source]:
            h.update(f"{path.parent.name}/{path.name}\0".encode() + path.read_bytes())
    return h.hexdigest()


def digest(*parts) -> str:
    """sha256 of arrays (dtype, shape and bytes) and JSON-able values, in order.

    Examples
    --------
    >>> digest(np.arange(3.0), {"a": 1}) == digest(np.arange(3.0), {"a": 1}) != digest(np.arange(3), {"a": 1})
    True
    """
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            a = np.ascontiguousarray(part)
            h.update(f"array {a.dtype.str} {a.shape}\0".encode())
            h.update(a.view(np.uint8).reshape(-1) if a.size else b"")
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode() + b"\0")
    return h.hexdigest()


class Cache:
    """Entries under `folder` (None: a cache that keeps nothing); `hits` and `misses` count the
    lookups of this object.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     c = Cache(tmp)
    ...     c.put("ab" * 32, {"p": np.array([0.25, 0.5])})
    ...     got = c.get("ab" * 32)["p"].tolist(), c.get("cd" * 32), (c.hits, c.misses)
    >>> got
    ([0.25, 0.5], None, (1, 1))
    """

    def __init__(self, folder: str | Path | None):
        self.folder = Path(folder) if folder is not None else None
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_env(cls) -> "Cache":
        """The cache of $RATING_CACHE (default_folder)."""
        return cls(default_folder())

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npz"

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        """The arrays stored under `key`, or None (absent, unreadable, foreign or corrupt)."""
        if self.folder is None:
            return None
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                if not _own(os.fstat(f.fileno())):
                    raise PermissionError(f"{path}: not written by this user, or writable by others")
                with np.load(f, allow_pickle=False) as z:
                    out = {k: z[k] for k in z.files}
            if str(out.pop("_key", "")) != key:
                raise ValueError(f"{path}: holds another key")
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception as e:  # an unreadable entry is recomputed, never fatal
            log.debug("ignoring cache entry %s: %s", path, e)
            self.misses += 1
            return None
        self.hits += 1
        return out

    def put(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Store `arrays` under `key` atomically; a folder that cannot be written is skipped."""
        if self.folder is None:
            return
        path = self._path(key)
        tmp = None
        try:
            if not self.folder.exists():
                self.folder.mkdir(parents=True, mode=0o700)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, _key=np.array(key), **arrays)
            os.replace(tmp, path)
            tmp = None
        except OSError as e:
            log.debug("cache entry %s not written: %s", path, e)
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


def _own(st: os.stat_result) -> bool:
    """Whether the opened file belongs to this user and no one else may write it (always true
    where the system has no user ids)."""
    if not hasattr(os, "geteuid"):
        return True
    return st.st_uid == os.geteuid() and not st.st_mode & 0o022
