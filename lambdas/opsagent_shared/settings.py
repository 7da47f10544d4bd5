"""Each function's environment as one validated model, parsed once per execution environment.

A function declares what it reads as a `FunctionSettings` subclass whose field aliases are the
environment variable names; `cold_start(Model)` gives the function a loader that parses
`os.environ` on first use and keeps the result. This module is the only runtime code that
reads `os.environ`: logic receives the values it needs as arguments. A test compares each
model's variables with the environment infra sets for that function.

Every problem is reported at once, naming the variable and what it should be, as a
`ConfigurationError`: a deployment with a bad setting cannot succeed, and says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from opsagent_shared.errors import ConfigurationError

# Set by the Lambda runtime, never by infra (reserved): a model may read them, infra must not.
LAMBDA_PROVIDED = frozenset({"AWS_REGION"})


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


# "a,b , c" -> ("a", "b", "c"); an empty string is an empty tuple.
CommaSeparated = Annotated[tuple[str, ...], BeforeValidator(_comma_separated)]


class FunctionSettings(BaseModel):
    """Base of every function's settings: immutable, every field named by its variable."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    @classmethod
    def variables(cls) -> frozenset[str]:
        """Every environment variable this model reads."""
        return frozenset(field.alias or name for name, field in cls.model_fields.items())

    @classmethod
    def required_variables(cls) -> frozenset[str]:
        """The variables that must be set (the rest have defaults)."""
        return frozenset(
            field.alias or name for name, field in cls.model_fields.items() if field.is_required()
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        source = os.environ if environ is None else environ
        present = {name: source[name] for name in cls.variables() if name in source}
        try:
            return cls.model_validate(present)
        except ValidationError as error:
            raise InvalidSettings(cls.__name__, error.errors()) from None


class InvalidSettings(ConfigurationError):
    """A function's environment does not fit its settings model. `str()` is the detail for
    the logs (values included, cut short); `summary` names the variables only, for answers
    that reach a chat."""

    def __init__(self, model: str, errors: Sequence[Mapping[str, Any]]) -> None:
        problems = [(_variable(e), e) for e in errors]
        super().__init__(f"{model}: " + "; ".join(_detail(n, e) for n, e in problems))
        self.summary = "; ".join(
            f"{name} is not set" if e.get("type") == "missing" else f"{name} is not valid"
            for name, e in problems
        )


def _variable(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ())) or "settings"


def _detail(name: str, error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return f"environment variable {name} is not set"
    value = error.get("input")
    shown = value if isinstance(value, str) and len(value) <= 80 else "(value not shown)"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"environment variable {name}={shown!r}: {message}"


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
