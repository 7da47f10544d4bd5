"""One tool call, as the agent makes it: `name=value` arguments checked against the operation's
OpenAPI parameters, the event Bedrock sends built from them, the action group's own Lambda
handler run in this process, and its answer.

Where it runs is the caller's choice: the sandbox account (`opsagent_cli.sandbox`), or the
current AWS credentials with the deployment's settings, for the read-only action groups only
(cost-actions writes proposals, which belong to the deployed table and its approval flow).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from benchmarks.invocation import BenchContext, action_group_event
from opsagent_cli import catalog, output
from opsagent_cli.errors import UsageProblem

# Groups whose tools change nothing and write nothing: the only ones run against a real account.
READ_ONLY_GROUPS = frozenset({"cost-insights", "incident"})
# The incident tools that search the Knowledge Base (Retrieve): they need its ID.
KNOWLEDGE_BASE_OPERATIONS = frozenset({"find_similar_incidents", "analyze_error_message"})
MAX_VALUE_CHARS = 4_000  # Bedrock passes the model's arguments; a longer one is a mistake here
# Lambda's own settings for a function: what Powertools reads at import.
_FUNCTION_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "opsagent-cli",
    "POWERTOOLS_METRICS_NAMESPACE": "OpsAgentCli",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@dataclass(frozen=True)
class Answer:
    operation: catalog.Operation
    status: int
    body: Any  # the tool's JSON answer
    seconds: float
    calls: Mapping[str, int] = field(default_factory=dict)  # "service.Operation" -> count

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def calls_to(self, service: str) -> int:
        return sum(n for key, n in self.calls.items() if key.startswith(service + "."))

    @property
    def exit_code(self) -> int:
        if 200 <= self.status < 300:
            return 0
        return 2 if 400 <= self.status < 500 else 1


def parse_arguments(
    operation: catalog.Operation,
    pairs: Iterable[str],
    *,
    examples: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`name=value` pairs as the operation's parameters: known names only, each once, every
    required one present (the fix for a missing one shows `examples` values where known).
    Values stay text, as Bedrock sends them; the tool validates them."""
    given: dict[str, str] = {}
    names = [p.name for p in operation.parameters]
    for pair in pairs:
        name, separator, value = pair.partition("=")
        name = name.strip()
        if not separator or not name:
            raise UsageProblem(
                f"argument {pair[:60]!r} is not name=value",
                fix=f"write it as {names[0] if names else 'name'}=value",
            )
        if operation.parameter(name) is None:
            known = ", ".join(names) or "none"
            raise UsageProblem(
                f"{operation.operation_id} has no parameter {name[:60]!r}",
                fix=f"use one of: {known}",
            )
        if name in given:
            raise UsageProblem(f"{name} is given twice", fix="give each parameter once")
        if len(value) > MAX_VALUE_CHARS:
            raise UsageProblem(
                f"{name} is {len(value):,} characters long",
                fix=f"keep a value under {MAX_VALUE_CHARS:,} characters",
            )
        given[name] = value
    missing = [name for name in operation.required if name not in given]
    if missing:
        raise UsageProblem(
            f"{operation.operation_id} needs {', '.join(missing)}",
            fix="add "
            + " ".join(f"{n}={(examples or {}).get(n, '<value>')}" for n in missing)
            + f" (`opsagent tools --group {operation.group}` describes them)",
        )
    return given


def bedrock_event(operation: catalog.Operation, arguments: Mapping[str, str]) -> dict[str, Any]:
    """The event Bedrock sends the action group's Lambda for this call."""
    return action_group_event(
        operation.group,
        operation.path,
        dict(arguments),
        method=operation.method,
        input_text=f"opsagent invoke {operation.group} {operation.operation_id}",
        session_id="opsagent-cli",
    )


def run(
    operation: catalog.Operation,
    arguments: Mapping[str, str],
    environment: Mapping[str, str],
    *,
    calls: Counter[str] | None = None,
) -> Answer:
    """Run the group's Lambda handler on the call's event with `environment` (the function's
    settings) in effect; `calls`, when given, is the counter the AWS calls are counted in."""
    from opsagent_shared.settings import forget_loaded

    saved = dict(os.environ)
    os.environ.update({**_FUNCTION_ENVIRONMENT, **environment})
    forget_loaded()
    try:
        handler = importlib.import_module(f"{operation.package}.handler")
        before = Counter(calls) if calls is not None else Counter()
        started = time.perf_counter()
        with _quiet_logs():
            result = handler.lambda_handler(
                bedrock_event(operation, arguments),
                BenchContext(f"opsagent-cli-{operation.package}"),
            )
        seconds = time.perf_counter() - started
    finally:
        # The function's settings are this call's only: the process (a test run) keeps its own.
        os.environ.clear()
        os.environ.update(saved)
        forget_loaded()
    response = result["response"]
    raw = response["responseBody"]["application/json"]["body"]
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw
    made = (Counter(calls) - before) if calls is not None else Counter()
    return Answer(
        operation=operation,
        status=int(response["httpStatusCode"]),
        body=body,
        seconds=seconds,
        calls=dict(made),
    )


def live_environment(
    operation: catalog.Operation,
    *,
    region: str,
    scan_regions: Iterable[str],
    log_group_prefixes: Iterable[str],
    knowledge_base_id: str | None,
) -> dict[str, str]:
    """The settings the deployed function would have, for a call with the current credentials."""
    require_read_only(operation)
    if operation.operation_id in KNOWLEDGE_BASE_OPERATIONS and not knowledge_base_id:
        raise UsageProblem(
            f"{operation.operation_id} searches the Knowledge Base, and none was found",
            fix="deploy first (`make deploy`), or pass --knowledge-base-id <KnowledgeBaseId "
            "output of the <prefix>-knowledge stack>",
        )
    return {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "SCAN_REGIONS": ",".join(scan_regions),
        "INCIDENT_LOG_GROUP_PREFIXES": ",".join(log_group_prefixes),
        # Only the Knowledge Base operations read it; the others need the variable set.
        "KNOWLEDGE_BASE_ID": knowledge_base_id or "unused-by-this-operation",
    }


def require_read_only(operation: catalog.Operation) -> None:
    """Refuse, before anything else, a group that writes: it runs only in the sandbox."""
    if operation.group not in READ_ONLY_GROUPS:
        raise UsageProblem(
            f"{operation.group} writes change proposals, so it runs only in the sandbox here",
            fix="add --sandbox, or ask the deployed agent (`opsagent ask`) to propose it",
        )


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """The tools log JSON lines for CloudWatch: during a call they go to stderr, and only with
    --debug; the logger is as it was afterwards."""
    from opsagent_shared.observability import logger

    level = logger.log_level
    streams = [
        (handler, handler.stream)
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler)
    ]
    logger.setLevel(logging.DEBUG if output.debug else logging.CRITICAL)
    for handler, _stream in streams:
        handler.setStream(_STDERR)
    try:
        yield
    finally:
        logger.setLevel(level)
        for handler, stream in streams:
            handler.setStream(stream)


class _Stderr:
    """Whatever sys.stderr is when a line is written (a test may have replaced it since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _Stderr()
