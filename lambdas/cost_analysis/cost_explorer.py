"""Cost Explorer calls, paginated, with botocore errors mapped to what the tools can say.

Every page of a Cost Explorer request costs $0.01, so each tool asks once, grouped the way it
needs, and never per resource.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opsagent_shared import aws
from opsagent_shared.errors import BadRequest, CostDataUnavailable, NotEnabled
from opsagent_shared.periods import Period

CE_REGION = aws.COST_EXPLORER_REGION
COST_METRIC = "UnblendedCost"
ENABLE_COST_EXPLORER = (
    "Enable Cost Explorer once in the payer account (Billing and Cost Management console > "
    "Cost Explorer > Launch; data appears within 24 hours), and let the cost-insights "
    "function's role call ce:* read operations (the stack grants them)."
)


def ce() -> Any:
    return aws.client("ce", CE_REGION)


def cost_and_usage(
    period: Period,
    *,
    granularity: str = "DAILY",
    group_by: Sequence[Mapping[str, str]] = (),
    filter_: Mapping[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """`ResultsByTime` entries across every page of one GetCostAndUsage request."""
    request: dict[str, Any] = {
        "TimePeriod": period.as_time_period(),
        "Granularity": granularity,
        "Metrics": [COST_METRIC],
    }
    if group_by:
        request["GroupBy"] = [dict(g) for g in group_by]
    if filter_:
        request["Filter"] = dict(filter_)
    yield from _pages(ce().get_cost_and_usage, request, "ResultsByTime")


def call(operation: str, **request: Any) -> dict[str, Any]:
    """One Cost Explorer call (no pagination), errors mapped."""
    try:
        return dict(getattr(ce(), operation)(**request))
    except Exception as error:
        raise _mapped(error, operation) from error


def _pages(method: Any, request: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        try:
            page = method(**request, **({"NextPageToken": token} if token else {}))
        except Exception as error:
            raise _mapped(error, method.__name__) from error
        yield from page.get(key, [])
        token = page.get("NextPageToken")
        if not token:
            return


def _mapped(error: Exception, operation: str) -> Exception:
    code = aws.error_code(error)
    if not code:
        # No AWS error code: AWS was not reached (a retry may work), or a fault in this code.
        if aws.is_aws_error(error):
            return CostDataUnavailable(f"Cost Explorer {operation} could not be reached ({error}).")
        return error
    message = getattr(error, "response", {}).get("Error", {}).get("Message", "")
    if code == "ValidationException":
        return BadRequest(f"Cost Explorer rejected the request: {message}")
    # Not faults to retry: a setting is off, or the data does not exist yet.
    if code == "DataUnavailableException":
        return NotEnabled(
            f"Cost Explorer has no data for this yet ({message}).",
            how_to_enable="New accounts and newly enabled features fill in within 24 hours; "
            "resource-level data and rightsizing are opt-ins under Cost Explorer > Preferences.",
        )
    if code == "AccessDeniedException":
        return NotEnabled(
            f"Cost Explorer is not available to this tool: {operation} was denied ({message}).",
            how_to_enable=ENABLE_COST_EXPLORER,
        )
    return CostDataUnavailable(f"Cost Explorer {operation} failed: {code} {message}".strip())
