"""Method registries: one entry per method, with its function, its parameters and its explanation.

Each family keeps one `Registry` beside its functions: `rating.normalise.NORMALISERS`,
`rating.aggregate.AGGREGATORS`, `rating.treat.TREATMENTS`, `rating.impute.IMPUTERS`. An entry
names the function; its parameters are read from the function's signature (names, defaults,
types), so a specification such as `minmax:0,100` is checked before the function runs; its
label and explanation in Chinese and English are what the reports and the command-line help
show. A new method is its function plus one entry, and an entry cannot lack a text.
"""
from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from indicators.errors import MethodError
from indicators.spec import parse_spec

_NO_DEFAULT = inspect.Parameter.empty


@dataclass(frozen=True)
class Param:
    """One positional parameter of a method: its name, type (float, int, bool or str) and default."""

    name: str
    kind: type = float
    default: object = _NO_DEFAULT

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT

    def convert(self, value):
        """`value` as this parameter's type; raises ValueError naming what was expected."""
        if self.kind is str:
            return str(value)
        if self.kind is bool:
            if isinstance(value, bool) or value in (0, 1):
                return bool(value)
            raise ValueError(f"{self.name} must be true or false, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{self.name} must be a number, got {value!r}")
        if self.kind is int:
            if not float(value).is_integer():
                raise ValueError(f"{self.name} must be a whole number, got {value!r}")
            return int(value)
        return float(value)


def signature_params(function: Callable, data_args: int) -> tuple[Param, ...]:
    """The parameters of `function` after its first `data_args` arguments, with their types.

    Examples
    --------
    >>> def f(x, lower: float = 0.0, trunc: bool = True): ...
    >>> [(p.name, p.kind.__name__, p.default) for p in signature_params(f, 1)]
    [('lower', 'float', 0.0), ('trunc', 'bool', True)]
    """
    hints = typing.get_type_hints(function)
    out = []
    for p in list(inspect.signature(function).parameters.values())[data_args:]:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        hint = hints.get(p.name, float)
        kinds = [k for k in typing.get_args(hint) if k is not type(None)] or [hint]
        out.append(Param(p.name, kinds[0] if kinds[0] in (float, int, bool, str) else float, p.default))
    return tuple(out)


@dataclass(frozen=True)
class Method:
    """One method of a family.

    `function` takes `data_args` data arguments (e.g. the values, or the matrix and weights)
    followed by the method's parameters; `params` defaults to those of its signature. `label`
    (a short name) and `explain` (what it does, in a sentence or two) are (zh, en) pairs.
    `usage` overrides the syntax shown in help when a caller maps the written parameters
    first (e.g. a reference unit's code to its position). `whole_table`: a unit's result
    depends on the other units' values (aggregation).
    """

    name: str
    function: Callable
    label: tuple[str, str]
    explain: tuple[str, str]
    data_args: int = 1
    params: tuple[Param, ...] | None = None
    usage: str = ""
    whole_table: bool = False

    def __post_init__(self):
        for what in ("label", "explain"):
            pair = getattr(self, what)
            if len(pair) != 2 or not all(isinstance(t, str) and t.strip() for t in pair):
                raise ValueError(f"method {self.name!r}: `{what}` needs a Chinese and an English text")
        if self.params is None:
            object.__setattr__(self, "params", signature_params(self.function, self.data_args))
        if not self.usage:
            req = ",".join(p.name.upper() for p in self.params if p.required)
            opt = ",".join(p.name.upper() for p in self.params if not p.required)
            usage = self.name + (f":{req}" if req else "")
            if opt:
                usage += f"[{',' if req else ':'}{opt}]"
            object.__setattr__(self, "usage", usage)

    def bind(self, params: tuple = ()) -> tuple:
        """The written parameters checked and converted for the function.

        Examples
        --------
        >>> m = Method("scale", lambda x, lower=0.0, trunc=True: x, ("缩放", "scale"), ("缩放。", "Scale."),
        ...            params=(Param("lower", float, 0.0), Param("trunc", bool, True)))
        >>> m.bind((1.0, False)), m.usage
        ((1.0, False), 'scale[:LOWER,TRUNC]')
        >>> m.bind((1.0, 2.0, 3.0))
        Traceback (most recent call last):
        ...
        indicators.errors.MethodError: method 'scale' got unsuitable parameters (1.0, 2.0, 3.0): it takes at most 2; expected scale[:LOWER,TRUNC]
        """
        params = tuple(params)
        need = sum(p.required for p in self.params)
        why = (f"it takes at most {len(self.params)}" if len(params) > len(self.params)
               else f"it needs {need}" if len(params) < need else "")
        if not why:
            try:
                return tuple(p.convert(v) for p, v in zip(self.params, params))
            except ValueError as e:
                why = str(e)
        raise MethodError(f"method {self.name!r} got unsuitable parameters {params!r}: {why}; expected {self.usage}")

    def __call__(self, *data, params: tuple = ()):
        """Apply the method to its data arguments with the written `params`."""
        return self.function(*data, *self.bind(params))

    def text(self, lang: str) -> str:
        """The label in `lang` ("zh" or "en")."""
        return self.label[0] if lang == "zh" else self.label[1]

    def explanation(self, lang: str) -> str:
        """The explanation in `lang` ("zh" or "en")."""
        return self.explain[0] if lang == "zh" else self.explain[1]


class Registry(Mapping):
    """The methods of one family by name, in the order given (a read-only mapping).

    Examples
    --------
    >>> reg = Registry("scaling", [Method("half", lambda x: x / 2, ("减半", "half"), ("除以2。", "Divided by 2."))])
    >>> reg.help, reg.resolve("half")[0].name, reg.explanation("half", "en")
    ('half', 'half', 'Divided by 2.')
    >>> reg.lookup("double")
    Traceback (most recent call last):
    ...
    indicators.errors.MethodError: unknown scaling method 'double'; expected one of ['half']
    """

    def __init__(self, family: str, methods: Iterable[Method]):
        self.family = family
        self._methods: dict[str, Method] = {}
        for m in methods:
            if m.name in self._methods:
                raise ValueError(f"{family}: method {m.name!r} is registered twice")
            self._methods[m.name] = m

    def __getitem__(self, name: str) -> Method:
        return self._methods[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)

    def lookup(self, name: str) -> Method:
        """The method called `name`; `MethodError` naming the known ones otherwise."""
        try:
            return self._methods[name]
        except KeyError:
            raise MethodError(f"unknown {self.family} method {name!r}; expected one of {sorted(self._methods)}") from None

    def resolve(self, spec: str) -> tuple[Method, tuple]:
        """A specification `NAME[:P1,...]` as its method and checked parameters."""
        name, params = parse_spec(spec)
        method = self.lookup(name)
        return method, method.bind(params)

    @property
    def help(self) -> str:
        """Every method's usage, for command-line help: `minmax[:LOWER,UPPER], zscore[:MEAN,SD], ...`."""
        return ", ".join(m.usage for m in self.values())

    def text(self, spec: str, lang: str) -> str:
        """A specification as shown in a report: the method's label when it has no parameters,
        else the specification as written."""
        name, params = parse_spec(spec)
        return self.lookup(name).text(lang) if not params else str(spec).strip()

    def explanation(self, spec: str, lang: str) -> str:
        """What the method of a specification does, in `lang`."""
        return self.lookup(parse_spec(spec)[0]).explanation(lang)
