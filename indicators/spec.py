"""Method specifications written as text: `NAME[:P1,P2,...]`.

One parser for every method specification (a framework's `[methods]` and node methods,
`--normalise minmax:0,100`, `--aggregate generalised:2`, `--impute group-mean:region`, iMeta
`Normalise`/`Aggregate` cells), so the syntax cannot drift between them.
"""
from __future__ import annotations

from indicators.errors import MethodError


def _token(text: str) -> float | bool | str:
    """One parameter: a number becomes a float, `true`/`false` a bool, anything else stays text."""
    low = text.lower()
    if low in {"true", "false"}:
        return low == "true"
    try:
        return float(text)
    except ValueError:
        return text


def parse_spec(spec: str) -> tuple[str, tuple]:
    """Split `NAME[:P1,P2,...]` into the lower-case method name and a tuple of parameters.

    Parameters
    ----------
    spec : str
        Method name, optionally followed by a colon and comma-separated parameters.

    Returns
    -------
    tuple
        `(name, params)`; numbers are floats, `true`/`false` are bools, other tokens are
        stripped strings.

    Notes
    -----
    Only the first colon separates the name, so a parameter may itself contain colons. An empty
    or missing specification raises `MethodError`.

    Examples
    --------
    >>> parse_spec("minmax:0,100")
    ('minmax', (0.0, 100.0))
    >>> parse_spec(" Rank ")
    ('rank', ())
    >>> parse_spec("group-mean:region")
    ('group-mean', ('region',))
    >>> parse_spec("goalposts:20,85,1,true")
    ('goalposts', (20.0, 85.0, 1.0, True))
    """
    if spec is None or not str(spec).strip():
        raise MethodError(f"empty method specification {spec!r}; expected NAME or NAME:P1,P2")
    name, _, rest = str(spec).strip().partition(":")
    name = name.strip().lower()
    if not name:
        raise MethodError(f"method specification {spec!r} has no method name before ':'")
    rest = rest.strip()
    if not rest:
        return name, ()
    parts = [p.strip() for p in rest.split(",")]
    if any(p == "" for p in parts):
        raise MethodError(f"method specification {spec!r} has an empty parameter")
    return name, tuple(_token(p) for p in parts)


def format_spec(name: str, params: tuple = ()) -> str:
    """Inverse of `parse_spec` for logging: `format_spec("minmax", (0.0, 100.0)) == "minmax:0,100"`.

    Examples
    --------
    >>> format_spec("minmax", (0.0, 100.0))
    'minmax:0,100'
    >>> format_spec("rank")
    'rank'
    """
    if not params:
        return name

    def fmt(p):
        if isinstance(p, bool):
            return str(p).lower()
        if isinstance(p, float) and p.is_integer():
            return str(int(p))
        return str(p)

    return name + ":" + ",".join(fmt(p) for p in params)
