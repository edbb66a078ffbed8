"""Reading a framework: a TOML file (the shipped default unless another is given), checked by
indicators.framework_check into a Framework; every problem is reported at once."""
from __future__ import annotations

import hashlib
import tomllib
from importlib import resources
from pathlib import Path

from indicators.errors import FrameworkError
from indicators.framework import Framework
from indicators.framework_check import Checker

DEFAULT_PATH = "default_framework.toml"


def default_framework_path() -> Path:
    return Path(str(resources.files("indicators").joinpath(DEFAULT_PATH)))


def load_framework(path: str | Path | None = None) -> Framework:
    """Read and validate a framework file (the shipped default when `path` is None)."""
    path = Path(path) if path is not None else default_framework_path()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise FrameworkError(f"{path}: cannot read framework file ({e.strerror})") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise FrameworkError(f"{path}: not a valid TOML file: {e}") from None
    return parse_framework(doc, source=str(path), sha256=hashlib.sha256(raw).hexdigest())


def parse_framework(doc: dict, *, source: str = "<framework>", sha256: str = "") -> Framework:
    """Validate a parsed TOML document; raise FrameworkError listing every problem."""
    return Checker(doc, source, sha256).build()
