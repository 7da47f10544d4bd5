"""Typed reads of a function's environment variables, with errors that name the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping

from opsagent_shared.errors import ConfigurationError


def required(name: str, environ: Mapping[str, str] | None = None) -> str:
    value = (environ if environ is not None else os.environ).get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def integer(
    name: str,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int,
    maximum: int,
) -> int:
    raw = required(name, environ)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(
            f"environment variable {name}={raw!r} is not a whole number"
        ) from None
    if not minimum <= value <= maximum:
        raise ConfigurationError(
            f"environment variable {name}={value} is outside {minimum}..{maximum}"
        )
    return value
