"""boto3 clients with one retry policy and user agent, created once per execution environment."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Adaptive mode backs off on throttling across calls in the same environment.
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 6},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="opsagent",
)


@cache
def client(service: str, region: str | None = None) -> Any:
    return boto3.client(service, region_name=region, config=CLIENT_CONFIG)


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore `ClientError`, or '' for anything else."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
