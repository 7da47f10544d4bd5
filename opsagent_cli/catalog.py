"""Every action group and operation the agents can call, read from the committed OpenAPI files
(`action_groups/<package>/openapi.json`, generated from each resolver by `make schemas`).

An action group's name is its folder's with dashes (`cost_insights` -> `cost-insights`), as the
agent stack names it (a test checks the two agree). Reading JSON only keeps `opsagent tools`
quick: no handler, boto3 or CDK import.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsagent_cli import REPO_ROOT
from opsagent_cli.errors import CliError, UsageProblem

ACTION_GROUPS_DIR = REPO_ROOT / "action_groups"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # the JSON schema type: string, integer, number, boolean
    required: bool
    description: str
    default: str | None = None  # as text, when the schema gives one
    choices: tuple[str, ...] = ()  # an `enum`, when the schema has one
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Operation:
    group: str  # the action group's name, e.g. "cost-insights"
    package: str  # its Python package, e.g. "cost_insights"
    operation_id: str
    method: str  # upper case, as Bedrock sends httpMethod
    path: str
    description: str
    parameters: tuple[Parameter, ...]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters if p.required)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def group_name(package: str) -> str:
    return package.replace("_", "-")


def load(root: Path = ACTION_GROUPS_DIR) -> tuple[Operation, ...]:
    """Every operation of every action group, grouped by group, in file order."""
    files = sorted(root.glob("*/openapi.json"))
    if not files:
        raise CliError(f"no action group schemas under {root}", fix="run `make schemas`")
    operations: list[Operation] = []
    for schema_file in files:
        package = schema_file.parent.name
        try:
            schema = json.loads(schema_file.read_text(encoding="utf-8"))
        except ValueError as error:
            raise CliError(
                f"{schema_file} is not JSON ({error})", fix="run `make schemas`"
            ) from None
        for path, methods in schema.get("paths", {}).items():
            for method, spec in methods.items():
                operations.append(_operation(package, path, method, spec))
    return tuple(operations)


def groups(operations: tuple[Operation, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(o.group for o in operations))


def in_group(operations: tuple[Operation, ...], group: str) -> tuple[Operation, ...]:
    """The operations of `group` (dashes or underscores, any case), or a usage error naming
    the groups there are."""
    wanted = group_name(group.strip().lower())
    known = groups(operations)
    if wanted not in known:
        raise UsageProblem(
            f"no action group {group[:60]!r}{_did_you_mean(wanted, known)}",
            fix=f"use one of {', '.join(known)} (`opsagent tools` lists them)",
        )
    return tuple(o for o in operations if o.group == wanted)


def find(operations: tuple[Operation, ...], group: str, operation_id: str) -> Operation:
    """The operation named `operation_id` in `group` (dashes or underscores either way), or a
    usage error naming the closest names."""
    candidates = in_group(operations, group)
    wanted = operation_id.strip().replace("-", "_")
    for candidate in candidates:
        if candidate.operation_id == wanted:
            return candidate
    names = tuple(o.operation_id for o in candidates)
    name = candidates[0].group
    raise UsageProblem(
        f"{name} has no operation {operation_id[:60]!r}{_did_you_mean(wanted, names)}",
        fix=f"`opsagent tools --group {name}` lists its {len(names)} operations",
    )


def _did_you_mean(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _operation(package: str, path: str, method: str, spec: dict[str, Any]) -> Operation:
    return Operation(
        group=group_name(package),
        package=package,
        operation_id=str(spec.get("operationId", "")),
        method=method.upper(),
        path=path,
        description=str(spec.get("description", "")).strip(),
        parameters=tuple(_parameter(p) for p in spec.get("parameters", [])),
    )


def _parameter(spec: dict[str, Any]) -> Parameter:
    schema = spec.get("schema", {})
    # Optional parameters are generated as anyOf [type, null].
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"] or [schema]
    first = options[0]
    return Parameter(
        name=str(spec["name"]),
        type=str(first.get("type", "string")),
        required=bool(spec.get("required", False)),
        description=str(spec.get("description") or schema.get("description") or "").strip(),
        default=None if schema.get("default") is None else json.dumps(schema["default"]).strip('"'),
        choices=tuple(str(v) for v in first.get("enum", ())),
        minimum=first.get("minimum"),
        maximum=first.get("maximum"),
    )
