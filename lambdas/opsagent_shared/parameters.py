"""Parameter types every action group shares, declared once: the model reads their
descriptions (with the allowed range or values), and the resolver validates them (a 400 in
Bedrock's format otherwise), so no tool checks its input by hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator

from opsagent_shared.responses import MAX_TOP


def one_of(values: Sequence[str] | Sequence[int], description: str) -> Any:
    """The `Query` of a parameter that takes one of `values` (text in any letter case).

    The allowed values are written into the description: Bedrock rejects `enum` in an action
    group's schema (FACTS.md), so the model learns them from the text, and the resolver
    answers anything else with a 400 that lists them.
    """
    allowed = ", ".join(str(v) for v in values)
    query = Query(description=f"{description} One of: {allowed}.")
    # pydantic runs validators found in a field's metadata, as it would in Annotated[...].
    query.metadata.append(AfterValidator(_member_of(tuple(values), allowed)))
    return query


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
