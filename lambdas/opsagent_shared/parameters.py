"""Parameter types every action group shares, declared once: the model reads their
descriptions (with the allowed range or values), and the resolver validates them (a 400 in
Bedrock's format otherwise), so no tool checks its input by hand."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator, BeforeValidator

from opsagent_shared.responses import MAX_TOP


def one_of(
    values: Sequence[str] | Sequence[int], description: str, *, default: str | int | None
) -> Any:
    """The `Query` of a parameter that takes one of `values` (text in any letter case).

    The allowed values are written into the description: Bedrock rejects `enum` in an action
    group's schema (FACTS.md), so the model learns them from the text, and the resolver
    answers anything else with a 400 that lists them. A blank value (agents often send every
    optional parameter, empty) is `default`, the same as the route's own default.
    """
    allowed = ", ".join(str(v) for v in values)
    query = Query(description=f"{description} One of: {allowed}.")
    # pydantic runs validators found in a field's metadata, in order, as in Annotated[...].
    query.metadata.append(BeforeValidator(_blank_is(default)))
    query.metadata.append(AfterValidator(_member_of(tuple(values), allowed)))
    return query


def _blank_is(default: str | int | None) -> Callable[[Any], Any]:
    def blank(value: Any) -> Any:
        return default if isinstance(value, str) and not value.strip() else value

    return blank


def _member_of(values: tuple[str | int, ...], allowed: str) -> Callable[[Any], Any]:
    by_text = {str(v).casefold(): v for v in values}

    def check(value: Any) -> Any:
        if value is None:
            return None
        chosen = by_text.get(str(value).strip().casefold())
        if chosen is None:
            raise ValueError(f"is not known; use one of {allowed}")
        return chosen

    return check


Top = Annotated[
    int,
    Query(
        description=f"How many items to return, most important first (1-{MAX_TOP}).",
        ge=1,
        le=MAX_TOP,
    ),
]
Region = Annotated[
    str | None,
    Query(description="AWS region code, e.g. 'ap-northeast-2'. Omit for the deployment's region."),
]
Regions = Annotated[
    str | None,
    Query(
        description=(
            "Comma-separated AWS region codes to scan, e.g. 'us-east-1,ap-northeast-2'. "
            "Omit to scan every enabled region (or the deployment's configured list)."
        )
    ),
]


def matching(pattern: str, description: str, *, example: str) -> Any:
    """The `Query` of a text parameter that must match `pattern` (an AWS ID, say). A blank
    value is None (the route's default for an optional one); anything else that does not
    match is a 400 naming an example of what fits."""
    compiled = re.compile(pattern)
    query = Query(description=f"{description} Example: {example}.")

    def check(value: Any) -> Any:
        if value is None:
            return None
        text = str(value).strip()
        if not compiled.fullmatch(text):
            raise ValueError(f"is not valid here; expected something like {example}")
        return text

    query.metadata.append(BeforeValidator(_blank_is(None)))
    query.metadata.append(AfterValidator(check))
    return query
