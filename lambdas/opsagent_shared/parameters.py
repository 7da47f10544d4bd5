"""Parameter types every action group shares, declared once: the model reads their
descriptions (with the allowed range), and the resolver validates them (a 400 otherwise)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from opsagent_shared.responses import MAX_TOP

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
