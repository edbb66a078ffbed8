"""Exceptions of the engine: each maps to a one-line message and a documented exit code.

Every user-facing failure is an `EngineError`; the command line prints `str(error)` and exits
with `error.exit_code`. Subclasses also derive from the builtin that best describes them, so
library callers can catch `ValueError` or `OSError` as usual.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine reports to a user."""

    exit_code = 1

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return "\n".join([head, *self.problems])


class UsageError(EngineError, ValueError):
    """A command's arguments name something that does not exist (an unknown indicator or unit)."""

    exit_code = 2


class EngineUnavailable(EngineError):
    """The indicator engine asked for cannot start here (a missing package or Java runtime)."""

    exit_code = 2


class InputError(EngineError, ValueError):
    """The data folder cannot be rated: a required table or column is missing or unreadable."""

    exit_code = 3


class FrameworkError(EngineError, ValueError):
    """The framework file is invalid; `problems` lists every issue with its code and path."""

    exit_code = 4


class OutputError(EngineError, OSError):
    """The output folder cannot be written (e.g. it holds another run and --force was not given)."""

    exit_code = 5


class MethodError(EngineError, ValueError):
    """A rating method was asked to do something it cannot (e.g. geometric mean of a negative)."""

    exit_code = 6


class ResourceError(EngineError, MemoryError):
    """The run needs more memory than it was given (DuckDB's limit, `--memory-limit`)."""

    exit_code = 7
