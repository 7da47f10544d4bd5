"""Each function's environment as one validated model, parsed once per execution environment.

A function declares what it reads as a frozen dataclass subclassing `FunctionSettings`, one
`variable(...)` field per environment variable; `cold_start(Model)` gives the function a loader
that parses `os.environ` on first use and keeps the result. This module is the only runtime
code that reads `os.environ`: logic receives the values it needs as arguments. A test compares
each model's variables with the environment infra sets for that function.

Every problem is reported at once, naming the variable and what it should be, as
`InvalidSettings`: a deployment with a bad setting cannot succeed, and says so.

Plain dataclasses rather than pydantic: the SQS, schedule and deploy-time functions do not
import pydantic otherwise, and it would add about 100 ms to each of their cold starts.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, Self, TypeVar

from opsagent_shared.errors import ConfigurationError

# Set by the Lambda runtime, never by infra (reserved): a model may read them, infra must not.
LAMBDA_PROVIDED = frozenset({"AWS_REGION"})
_SHOWN_CHARS = 80  # a bad value longer than this is not repeated, even in the log

Parser = Callable[[str], Any]


def text(raw: str) -> str:
    """A non-empty string, trimmed."""
    value = raw.strip()
    if not value:
        raise ValueError("is empty")
    return value


def integer(*, minimum: int, maximum: int) -> Parser:
    """A whole number within `minimum`..`maximum`."""

    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError("is not a whole number") from None
        if not minimum <= value <= maximum:
            raise ValueError(f"is outside {minimum}..{maximum}")
        return value

    return parse


def boolean(raw: str) -> bool:
    """'true' or 'false' (any case), as infra writes a bool; nothing else, so a typo such as
    'ture' is an error rather than a silent False."""
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise ValueError("is not true or false")
    return value == "true"


def decimal_number(*, minimum: Decimal, maximum: Decimal) -> Parser:
    """A finite decimal number within `minimum`..`maximum` (money: never a float)."""

    def parse(raw: str) -> Decimal:
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise ValueError("is not a number") from None
        if not value.is_finite():
            raise ValueError("is not a finite number")
        if not minimum <= value <= maximum:
            raise ValueError(f"is outside {minimum}..{maximum}")
        return value + 0  # '-0' -> '0'

    return parse


def comma_separated(check: Callable[[str], bool] | None = None, *, expected: str = "") -> Parser:
    """'a,b , c' -> ('a', 'b', 'c'); empty -> (). With `check`, every item must pass it."""

    def parse(raw: str) -> tuple[str, ...]:
        items = tuple(part.strip() for part in raw.split(",") if part.strip())
        wrong = [item for item in items if check is not None and not check(item)]
        if wrong:
            raise ValueError(f"has {', '.join(wrong)}, not {expected or 'allowed'}")
        return items

    return parse


_REQUIRED: Any = object()


def variable(name: str, *, parse: Parser = text, default: Any = _REQUIRED) -> Any:
    """A settings field read from environment variable `name` with `parse` (which raises
    ValueError saying what is wrong); without `default` the variable must be set."""
    metadata = {"variable": name, "parse": parse}
    if default is _REQUIRED:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FunctionSettings:
    """Base of every function's settings: immutable, every field a `variable(...)`."""

    @classmethod
    def _variables(cls) -> list[tuple[dataclasses.Field[Any], str]]:
        return [(f, f.metadata["variable"]) for f in dataclasses.fields(cls)]

    @classmethod
    def variables(cls) -> frozenset[str]:
        """Every environment variable this model reads."""
        return frozenset(name for _, name in cls._variables())

    @classmethod
    def required_variables(cls) -> frozenset[str]:
        """The variables that must be set (the rest have defaults)."""
        return frozenset(
            name
            for f, name in cls._variables()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[tuple[str, str | None, str]] = []  # (variable, value, what is wrong)
        for f, name in cls._variables():
            if name not in source:
                if name in cls.required_variables():
                    problems.append((name, None, "is not set"))
                continue
            try:
                values[f.name] = f.metadata["parse"](source[name])
            except ValueError as error:
                problems.append((name, source[name], str(error)))
        if problems:
            raise InvalidSettings(cls.__name__, problems)
        return cls(**values)


class InvalidSettings(ConfigurationError):
    """A function's environment does not fit its settings model. `str()` is the detail for
    the logs (values included, cut short); `summary` names the variables only, for answers
    that reach a chat."""

    def __init__(self, model: str, problems: list[tuple[str, str | None, str]]) -> None:
        super().__init__(f"{model}: " + "; ".join(_detail(*p) for p in problems))
        self.summary = "; ".join(
            f"{name} is not set" if value is None else f"{name} is not valid"
            for name, value, _ in problems
        )


def _detail(name: str, value: str | None, wrong: str) -> str:
    if value is None:
        return f"environment variable {name} {wrong}"
    shown = repr(value) if len(value) <= _SHOWN_CHARS else "(value not shown)"
    return f"environment variable {name}={shown} {wrong}"


S = TypeVar("S", bound=FunctionSettings)


class SettingsLoader(Generic[S]):
    """A function's settings, parsed from the environment on first use, then kept: an
    execution environment's variables never change while it lives."""

    def __init__(self, model: type[S]) -> None:
        self.model = model
        self._loaded: S | None = None
        _LOADERS.append(self)

    def __call__(self) -> S:
        if self._loaded is None:
            self._loaded = self.model.from_environ()
        return self._loaded

    def cache_clear(self) -> None:
        """Parse again on next use (tests change the environment between calls)."""
        self._loaded = None


_LOADERS: list[SettingsLoader[Any]] = []


def cold_start(model: type[S]) -> SettingsLoader[S]:
    """The loader an entry point keeps at module level: `settings = cold_start(Model)`."""
    return SettingsLoader(model)


def forget_loaded() -> None:
    """Every loader parses again on next use (for tests)."""
    for loader in _LOADERS:
        loader.cache_clear()
