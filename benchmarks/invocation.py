"""What a benchmark hands a handler: a Lambda context, and a Bedrock action-group event."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opsagent_shared import aws


@dataclass(frozen=True)
class BenchContext:
    """The attributes of a Lambda context the handlers read."""

    function_name: str
    remaining_ms: int = 60_000
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:111122223333:function:bench"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def action_group_event(
    group: str,
    path: str,
    parameters: dict[str, Any],
    *,
    method: str = "GET",
    input_text: str = "bench",
    session_id: str = "bench",
) -> dict[str, Any]:
    """A Bedrock Agent action-group event, every value a string as Bedrock sends it."""
    return {
        "messageVersion": "1.0",
        "agent": {"name": "opsagent", "id": "AGENT", "alias": "ALIAS", "version": "1"},
        "inputText": input_text,
        "sessionId": session_id,
        "actionGroup": group,
        "apiPath": path,
        "httpMethod": method,
        "parameters": [
            {"name": k, "type": "string", "value": v if isinstance(v, str) else json.dumps(v)}
            for k, v in parameters.items()
        ],
        "sessionAttributes": {},
        "promptSessionAttributes": {},
    }


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in os.environ, with fresh AWS clients, for one benchmark; restored after."""
    saved = dict(os.environ)
    os.environ.update(values)
    aws.forget()
    try:
        yield
    finally:
        aws.forget()
        os.environ.clear()
        os.environ.update(saved)
