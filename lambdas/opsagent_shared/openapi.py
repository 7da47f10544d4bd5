"""OpenAPI for Bedrock Agents, generated from a Powertools resolver.

Bedrock accepts a narrower OpenAPI than Powertools emits: exactly "3.0.0", no `enum`, and
simple parameter schemas. `bedrock_schema` rewrites the generated document accordingly;
`bedrock_rule_violations` lists what Bedrock would reject, for the tests of every action group.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

BEDROCK_OPENAPI_VERSION = "3.0.0"
MAX_OPERATIONS_PER_GROUP = 11
_HTTP_METHODS = ("get", "post", "put", "patch", "delete")

# What every operation answers (opsagent_shared.actions and .responses), and nothing else:
# Powertools documents a 422 that the resolver never sends (invalid parameters are a 400).
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
RESPONSES: dict[str, Any] = {
    # Descriptions stay short: the agent reads every operation's schema on every question.
    "200": {
        "description": "Answer",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ToolResponse"}}},
    },
    "400": {"description": "Invalid parameters", **_ERROR},
    "503": {"description": "AWS unavailable, retry", **_ERROR},
    "500": {"description": "Tool fault", **_ERROR},
}
COMPONENT_SCHEMAS: dict[str, Any] = {
    "ToolResponse": {
        "type": "object",
        "description": "Compact answer: numbers are final, quote them.",
        "required": ["summary", "items", "total_count", "omitted", "notes"],
        "properties": {
            "summary": {"type": "string", "description": "One line with the answer."},
            "items": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": True},
                "description": "The top items, most important (usually most costly) first.",
            },
            "total_count": {"type": "integer", "description": "How many items there were."},
            "omitted": {"type": "integer", "description": "How many were left out."},
            "notes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "What was missing or approximated (an opt-in off, a region).",
            },
            "period": {"type": "object", "additionalProperties": {"type": "string"}},
            "currency": {"type": "string"},
        },
        "additionalProperties": True,
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What went wrong."}},
    },
}


def render_schema(app: Any, *, title: str, description: str) -> str:
    """The committed form of an action group's openapi.json."""
    return (
        json.dumps(
            bedrock_schema(app, title=title, description=description), indent=2, ensure_ascii=False
        )
        + "\n"
    )


def bedrock_schema(app: Any, *, title: str, description: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        # Powertools notes that pydantic 2 implies OpenAPI 3.1; this function rewrites it.
        warnings.simplefilter("ignore", UserWarning)
        generated = app.get_openapi_json_schema(title=title, description=description)
    raw = json.loads(generated)
    raw["openapi"] = BEDROCK_OPENAPI_VERSION
    raw.pop("servers", None)
    for path in raw.get("paths", {}).values():
        for method in _HTTP_METHODS:
            operation = path.get(method)
            if operation is None:
                continue
            operation.pop("summary", None)
            operation["responses"] = RESPONSES
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _simplify(parameter.get("schema", {}))
    raw["components"] = {"schemas": COMPONENT_SCHEMAS}
    # Pydantic's generated titles repeat each name; `info.title` is required by OpenAPI itself.
    info = raw.pop("info", {})
    cleaned: dict[str, Any] = {
        "openapi": raw.pop("openapi"),
        "info": info,
        **_without_titles(raw),
    }
    return cleaned


def bedrock_rule_violations(schema: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if schema.get("openapi") != BEDROCK_OPENAPI_VERSION:
        problems.append(f"openapi must be {BEDROCK_OPENAPI_VERSION}")
    if '"enum"' in json.dumps(schema):
        problems.append("enum is not allowed; describe the allowed values instead")
    operations = 0
    for route, path in schema.get("paths", {}).items():
        for method in _HTTP_METHODS:
            operation = path.get(method)
            if operation is None:
                continue
            operations += 1
            where = f"{method.upper()} {route}"
            for key in ("operationId", "description", "responses"):
                if not operation.get(key):
                    problems.append(f"{where}: missing {key}")
            if method in ("get", "delete") and "requestBody" in operation:
                problems.append(f"{where}: requestBody is not allowed on {method.upper()}")
            for parameter in operation.get("parameters", []):
                if not parameter.get("name") or not parameter.get("description"):
                    problems.append(f"{where}: every parameter needs a name and a description")
                if "anyOf" in json.dumps(parameter):
                    problems.append(f"{where}: parameter {parameter.get('name')} uses anyOf")
    if operations > MAX_OPERATIONS_PER_GROUP:
        problems.append(f"{operations} operations; Bedrock allows {MAX_OPERATIONS_PER_GROUP}")
    return problems


def _simplify(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [{type: X}]` (Optional[X]) becomes `type: X`; a null default is dropped."""
    simplified = dict(schema)
    variants = [v for v in simplified.pop("anyOf", []) if v.get("type") != "null"]
    if len(variants) == 1:
        simplified = {**variants[0], **simplified}
    elif variants:
        simplified["anyOf"] = variants
    simplified.pop("nullable", None)
    if simplified.get("default", ...) is None:
        simplified.pop("default")
    return simplified


def _without_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_titles(v) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_without_titles(v) for v in node]
    return node
