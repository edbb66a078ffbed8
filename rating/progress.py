"""Progress bars for long steps and the logging set-up of the command line.

A bar (tqdm) is drawn only when its stream is an interactive terminal: never when the output is
piped or redirected, never in CI (the ``CI`` variable or a known CI system is set), never with
``TERM=dumb`` and never after ``setup_logging(quiet=True)``. Log records go through the standard
library (loggers ``rating``, ``indicators``, ``models``, ``reports``) to standard error, written
around any bar on screen so that neither garbles the other.

Examples
--------
>>> import io
>>> bar = progress(range(3), desc="units", stream=io.StringIO())  # not a terminal: silent
>>> bar.disable, sum(bar)
(True, 3)
"""
from __future__ import annotations

import logging
import os
import sys
from typing import IO, Iterable

from tqdm import tqdm

#: Loggers of the engine's packages, configured by `setup_logging`.
LOGGERS = ("rating", "indicators", "models", "reports")
#: Environment variables that mark a continuous-integration run (any non-empty value but 0/false).
CI_VARIABLES = ("CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "JENKINS_URL",
                "TEAMCITY_VERSION", "TF_BUILD", "BUILD_NUMBER")
_state = {"quiet": False}
_HANDLER = "rating.progress"


def in_ci(environ: dict | None = None) -> bool:
    """True when an environment variable says this is a CI run.

    Examples
    --------
    >>> in_ci({"CI": "true"}), in_ci({"CI": "false"}), in_ci({})
    (True, False, False)
    """
    env = os.environ if environ is None else environ
    return any(env.get(v, "").strip().lower() not in ("", "0", "false", "no") for v in CI_VARIABLES)


def enabled(stream: IO | None = None, environ: dict | None = None) -> bool:
    """Whether a bar would be drawn on `stream` (default standard error).

    Examples
    --------
    >>> class Terminal:
    ...     def isatty(self):
    ...         return True
    >>> enabled(Terminal(), environ={}), enabled(Terminal(), environ={"GITHUB_ACTIONS": "true"})
    (True, False)
    >>> enabled(Terminal(), environ={"TERM": "dumb"})
    False
    """
    stream = sys.stderr if stream is None else stream
    env = os.environ if environ is None else environ
    if _state["quiet"] or in_ci(env) or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str | None = None,
             unit: str = "it", stream: IO | None = None) -> tqdm:
    """A tqdm bar over `iterable` (or a manual one: ``bar.update(n)``), disabled off a terminal.

    Use it as an iterable or a context manager; a disabled bar costs next to nothing and prints
    nothing. The bar disappears when done (the log says what was done).

    Examples
    --------
    >>> import io
    >>> class Terminal(io.StringIO):
    ...     def isatty(self):
    ...         return True
    >>> screen, pipe = Terminal(), io.StringIO()
    >>> from unittest import mock
    >>> with mock.patch.dict("os.environ", {}, clear=True):  # as on a desk, not in CI
    ...     for out in (screen, pipe):
    ...         with progress(total=2, desc="pages", unit="page", stream=out) as bar:
    ...             _ = bar.update(2)
    >>> "pages" in screen.getvalue(), pipe.getvalue()
    (True, '')
    """
    stream = sys.stderr if stream is None else stream
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=stream, disable=not enabled(stream),
                leave=False, dynamic_ncols=True, mininterval=0.2)


class _BarSafeHandler(logging.StreamHandler):
    """Writes records through tqdm, so that a bar on screen is redrawn below the message."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def setup_logging(*, quiet: bool = False, verbose: bool = False, debug: bool = False,
                  stream: IO | None = None) -> int:
    """Configure the engine's loggers for the command line and return the level set.

    quiet: errors only, and no progress bars; verbose: every stage (INFO); debug: DEBUG; default:
    warnings. Messages are written plainly (``%(message)s``) to `stream` (default standard error).
    Calling it again replaces the handler it installed before.

    Examples
    --------
    >>> import io, logging
    >>> buf = io.StringIO()
    >>> setup_logging(verbose=True, stream=buf) == logging.INFO
    True
    >>> logging.getLogger("rating").info("load ...")
    >>> buf.getvalue()
    'load ...\\n'
    >>> setup_logging(quiet=True, stream=buf) == logging.ERROR
    True
    >>> reset_logging()
    """
    level = (logging.ERROR if quiet else logging.DEBUG if debug else logging.INFO if verbose
             else logging.WARNING)
    reset_logging()
    _state["quiet"] = quiet
    handler = _BarSafeHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.set_name(_HANDLER)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    return level


def reset_logging() -> None:
    """Undo `setup_logging`: the engine's loggers propagate to the root logger again."""
    _state["quiet"] = False
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == _HANDLER]:
            logger.removeHandler(old)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
