"""What every action group's resolver shares: error answers the model can act on."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import BedrockAgentResolver, BedrockResponse
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from opsagent_shared.errors import BadRequest, NotEnabled, ServiceUnavailable
from opsagent_shared.responses import tool_response


def action_group_resolver() -> BedrockAgentResolver:
    """A resolver whose errors come back as short JSON messages with a 4xx/5xx status."""
    app = BedrockAgentResolver()

    @app.exception_handler(BadRequest)
    def bad_request(error: BadRequest) -> BedrockResponse[dict[str, str]]:
        return BedrockResponse(status_code=400, body={"error": str(error)})

    @app.exception_handler(RequestValidationError)
    def invalid_parameters(error: RequestValidationError) -> BedrockResponse[dict[str, str]]:
        return BedrockResponse(status_code=400, body={"error": validation_message(error.errors())})

    @app.exception_handler(NotEnabled)
    def not_enabled(error: NotEnabled) -> BedrockResponse[dict[str, Any]]:
        return BedrockResponse(
            status_code=200,
            body=tool_response(summary=str(error), currency=None, notes=[error.how_to_enable]),
        )

    @app.exception_handler(ServiceUnavailable)
    def unavailable(error: ServiceUnavailable) -> BedrockResponse[dict[str, str]]:
        return BedrockResponse(status_code=503, body={"error": f"{error} Try again in a minute."})

    return app


def validation_message(errors: Any) -> str:
    """'top: Input should be less than or equal to 25 (got 99)' for each bad parameter."""
    parts = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("query", "body")]
        name = ".".join(location) or "request"
        detail = error.get("msg") or error.get("type", "invalid")
        given = error.get("input")
        parts.append(f"{name}: {detail}" + (f" (got {given!r})" if given is not None else ""))
    return "; ".join(parts) or "invalid parameters"
