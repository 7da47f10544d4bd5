"""What every action group shares: error answers the model can act on, and `resolve`, the one
entry point every handler calls.

`resolve` treats the event as hostile: a malformed envelope gets a 400 in Bedrock's response
format instead of an exception inside the resolver, a caller's long strings are never repeated
back in full (only as `excerpt`s), and an unexpected error becomes a logged 500 rather than a
failed invocation that the agent cannot read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from aws_lambda_powertools.event_handler import BedrockAgentResolver, BedrockResponse
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.metrics import MetricUnit

from opsagent_shared import deadline, regions
from opsagent_shared.errors import BadRequest, ConfigurationError, NotEnabled, ServiceUnavailable
from opsagent_shared.observability import logger, metrics, observed
from opsagent_shared.responses import (
    EXCERPT_CHARS,
    encode,
    error_body,
    excerpt,
    safe_text,
    tool_response,
)

BEDROCK_MESSAGE_VERSION = "1.0"
_ENVELOPE_TEXT_FIELDS = ("apiPath", "httpMethod", "actionGroup")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def action_group_resolver() -> BedrockAgentResolver:
    """A resolver whose errors come back as short JSON messages with a 4xx/5xx status."""
    app = BedrockAgentResolver()

    @app.exception_handler(BadRequest)
    def bad_request(error: BadRequest) -> BedrockResponse[dict[str, str]]:
        return BedrockResponse(status_code=400, body=error_body(str(error)))

    @app.exception_handler(RequestValidationError)
    def invalid_parameters(error: RequestValidationError) -> BedrockResponse[dict[str, str]]:
        return BedrockResponse(status_code=400, body=error_body(validation_message(error.errors())))

    @app.exception_handler(NotEnabled)
    def not_enabled(error: NotEnabled) -> BedrockResponse[dict[str, Any]]:
        return BedrockResponse(
            status_code=200,
            body=tool_response(summary=str(error), currency=None, notes=[error.how_to_enable]),
        )

    @app.not_found
    def unknown_operation(_error: Exception) -> BedrockResponse[dict[str, str]]:
        operations = sorted(
            f"{route.method} {route.path}" for route in getattr(app, "_static_routes", [])
        )
        path = app.current_event.get("apiPath", "") if app.current_event else ""
        return BedrockResponse(
            status_code=404,
            body=error_body(
                f"no operation {excerpt(path)} in this action group"
                + (f"; it has: {', '.join(operations)}" if operations else "")
            ),
        )

    @app.exception_handler(ServiceUnavailable)
    def unavailable(error: ServiceUnavailable) -> BedrockResponse[dict[str, str]]:
        return BedrockResponse(status_code=503, body=error_body(f"{error} Try again in a minute."))

    return app


def action_group_handler(
    app: BedrockAgentResolver, settings: Callable[[], regions.RegionSettings]
) -> Callable[[Any, Any], dict[str, Any]]:
    """The Lambda handler of an action group: `resolve` under `observed`, counting each call
    in the `ToolCalls` metric. `settings` is the function's `cold_start` loader."""

    @observed
    def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
        metrics.add_metric(name="ToolCalls", unit=MetricUnit.Count, value=1)
        return resolve(app, event, context, settings)

    return lambda_handler


def resolve(
    app: BedrockAgentResolver,
    event: Any,
    context: Any,
    settings: Callable[[], regions.RegionSettings],
) -> dict[str, Any]:
    """Answer one Bedrock action-group event, whatever it holds, under the function's settings
    (its regions) and the call's deadline."""
    problem = envelope_problem(event)
    if problem:
        return bedrock_response(event, 400, error_body(problem))
    try:
        scope = settings().region_scope()
    except ConfigurationError as error:
        # Every call fails the same way until an operator redeploys; say so, don't crash. The
        # values stay in the log: the answer can reach a Slack channel.
        logger.error("the function's settings are invalid", extra={"problem": str(error)})
        which = getattr(error, "summary", "see the function's logs")
        return bedrock_response(
            event,
            503,
            error_body(
                f"this tool is deployed with invalid settings ({which}). An operator must "
                "redeploy the stack; meanwhile answer without this tool."
            ),
        )
    _clean_parameters(event)
    try:
        with deadline.within(context), regions.in_scope(scope):
            answer: dict[str, Any] = app.resolve(event, context)
        return without_echoes(answer, list(caller_strings(event)))
    except Exception:  # the top boundary: the agent must get an answer it can read
        logger.exception("unhandled error", extra={"api_path": excerpt(event.get("apiPath"))})
        return bedrock_response(
            event, 500, error_body("internal error in the tool; its logs have the details")
        )


def _clean_parameters(event: dict[str, Any]) -> None:
    """Every parameter value made fit for an AWS request: control characters (but tab and
    newline, which pasted errors carry) removed, lone surrogates (not encodable) replaced."""
    for parameter in event.get("parameters") or []:
        if isinstance(parameter.get("value"), str):
            parameter["value"] = safe_text(_CONTROL_CHARACTERS.sub("", parameter["value"]))


def envelope_problem(event: Any) -> str | None:
    """What makes `event` something other than a Bedrock action-group event, or None."""
    if not isinstance(event, dict):
        return "the event is not a Bedrock action-group request (not a JSON object)"
    for field in _ENVELOPE_TEXT_FIELDS:
        if not isinstance(event.get(field), str) or not event[field]:
            return f"the request has no {field}"
    parameters = event.get("parameters", [])
    if parameters is not None and not isinstance(parameters, list):
        return "parameters must be a list of {name, type, value}"
    for parameter in parameters or []:
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            return "every parameter needs a name"
        if not isinstance(parameter.get("value", ""), str | int | float | bool):
            return f"parameter {excerpt(parameter['name'])} has a value that is not text"
    body = event.get("requestBody")
    if body is not None and not isinstance(body, dict):
        return "requestBody must be an object"
    content = (body or {}).get("content")
    content = {} if content is None else content
    if not isinstance(content, dict) or not all(
        isinstance(media, dict) and isinstance(media.get("properties") or [], list)
        for media in content.values()
    ):
        return "requestBody.content must map media types to {properties: [...]}"
    for media in content.values():
        for prop in media.get("properties") or []:
            if not isinstance(prop, dict) or not isinstance(prop.get("name"), str):
                return "every requestBody property needs a name"
    return None


def bedrock_response(event: Any, status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A response in Bedrock's action-group format, for requests the resolver never saw."""
    source = event if isinstance(event, dict) else {}

    def text(field: str) -> str:
        value = source.get(field)
        return safe_text(value)[:200] if isinstance(value, str) else ""

    return {
        "messageVersion": BEDROCK_MESSAGE_VERSION,
        "response": {
            "actionGroup": text("actionGroup"),
            "apiPath": text("apiPath"),
            "httpMethod": text("httpMethod"),
            "httpStatusCode": status,
            "responseBody": {"application/json": {"body": encode(body).decode()}},
        },
    }


def caller_strings(event: dict[str, Any]) -> Iterator[str]:
    """Every string the caller sent as a parameter or request-body property value."""
    for parameter in event.get("parameters") or []:
        yield str(parameter.get("value", ""))
    content = (event.get("requestBody") or {}).get("content") or {}
    for media in content.values():  # shapes checked by envelope_problem
        for prop in media.get("properties") or []:
            yield str(prop.get("value", ""))


def without_echoes(answer: dict[str, Any], sent: list[str]) -> dict[str, Any]:
    """`answer` with every long caller string in its body replaced by an excerpt, and the
    request fields Powertools copies back (path, method, action group) made safe and short."""
    response = answer.get("response")
    if isinstance(response, dict):
        for field in _ENVELOPE_TEXT_FIELDS:
            if isinstance(response.get(field), str):
                response[field] = safe_text(response[field])[:200]
    long_values = sorted(
        {v for value in sent for v in (safe_text(value), safe_text(value).strip())
         if len(v) > EXCERPT_CHARS},
        key=len,
        reverse=True,
    )  # fmt: skip
    try:
        holder = answer["response"]["responseBody"]["application/json"]
        body = json.loads(holder["body"])
    except (KeyError, TypeError, ValueError):
        return answer
    if long_values:
        body = _replaced(body, long_values)
    holder["body"] = encode(body).decode()
    return answer


def _replaced(node: Any, values: list[str]) -> Any:
    if isinstance(node, str):
        text = safe_text(node)
        for value in values:
            text = _without_runs_of(value, text)
        return text
    if isinstance(node, dict):
        return {key: _replaced(item, values) for key, item in node.items()}
    if isinstance(node, list):
        return [_replaced(item, values) for item in node]
    return node


def validation_message(errors: Any) -> str:
    """'top: Input should be less than or equal to 25 (got 99)' for each bad parameter, and
    "term 'TWO_YEARS' is not known; use one of ONE_YEAR, THREE_YEARS" for a `one_of` choice."""
    parts = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("query", "body")]
        name = ".".join(location) or "request"
        detail = str(error.get("msg") or error.get("type", "invalid"))
        given = error.get("input")
        if error.get("type") == "value_error":  # our validators (`parameters.one_of`)
            detail = detail.removeprefix("Value error, ")
            parts.append(f"{name} {excerpt(given)} {detail}")
            continue
        parts.append(
            f"{name}: {detail}" + (f" (got {excerpt(given)})" if given is not None else "")
        )
    return "; ".join(parts) or "invalid parameters"


def _without_runs_of(value: str, text: str) -> str:
    """`text` with every run that repeats the start of `value` for more than EXCERPT_CHARS
    characters (the whole value, or a cut one) replaced by `excerpt(value)`."""
    probe = value[: EXCERPT_CHARS + 1]
    short = excerpt(value)  # holds at most EXCERPT_CHARS - 1 of value: cannot match probe
    start = text.find(probe)
    while start != -1:
        end = start + len(probe)
        while end < len(text) and end - start < len(value) and text[end] == value[end - start]:
            end += 1
        text = text[:start] + short + text[end:]
        start = text.find(probe, start + len(short))
    return text
