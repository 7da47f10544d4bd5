"""AWS clients with one retry policy and user agent, created once per execution environment.

Clients come from a botocore session rather than boto3: boto3's import also pulls in
s3transfer, which no function here uses (measured: kb_sync cold import 553 -> 492 ms on the dev
machine, `make bench`). The clients are the ones boto3 would return: same service models,
credential chain, retries, paginators and waiters.

botocore is imported on the first client, not with this module: a handler that answers a bad
request without calling AWS never pays for it, and the import cost shows where it is spent.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import botocore.session

# Adaptive mode backs off on throttling across calls in the same environment. Worst case per
# call, about 4 x (3 s + 15 s) plus back-off: functions that call AWS set time-outs above it.
RETRIES = {"mode": "adaptive", "max_attempts": 4}
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 15
USER_AGENT_EXTRA = "opsagent"


@cache
def session() -> botocore.session.Session:
    import botocore.session

    return botocore.session.get_session()


@cache
def client(service: str, region: str | None = None) -> Any:
    from botocore.config import Config

    config = Config(
        retries=RETRIES,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        user_agent_extra=USER_AGENT_EXTRA,
        max_pool_connections=20,  # region scans run in parallel threads
    )
    return session().create_client(service, region_name=region, config=config)


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore `ClientError`, or '' for anything else."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
