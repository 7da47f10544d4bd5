"""The cost tools' one helper for Cost Explorer calls: botocore's paginators where they exist,
the page-token loop for the operations that lack one, botocore errors mapped to what the tools
can say.

Every page of a Cost Explorer request costs $0.01, so each tool asks once, grouped the way it
needs, and never per resource.

Which function for which operation (botocore's `ce` paginators-1.json):
- `pages()` reads every page. Where botocore has a paginator (GetAnomalies, GetAnomalyMonitors,
  GetReservationPurchaseRecommendation, GetRightsizingRecommendation, ...) it is used; the
  operations without one (GetCostAndUsage, GetCostAndUsageWithResources, GetSavingsPlansCoverage,
  GetDimensionValues, ...) are looped here, on the token their model names (`NextPageToken`,
  or `NextToken` for the Savings Plans reads). No other module loops over Cost Explorer pages
  by hand (tests/unit/test_cost_explorer.py checks the token of every such operation).
- `first_page()` reads one page and stops: the deliberate page cap of a read whose further
  pages would be billed for little, through the paginator where there is one (one request
  either way; the page keeps its token, so the tool can say that more exists).
- `call()` makes one request of an operation that does not page at all (GetCostForecast).
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
# The request fields that carry a page token, as Cost Explorer's operations name them.
PAGE_TOKENS = ("NextPageToken", "NextToken")


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
    for page in pages("get_cost_and_usage", **request):
        yield from page.get("ResultsByTime", [])


def call(operation: str, **request: Any) -> dict[str, Any]:
    """One Cost Explorer call (no pagination), errors translated."""
    client = ce()
    with _calling(client, operation):
        return dict(getattr(client, operation)(**request))


def first_page(operation: str, **request: Any) -> dict[str, Any]:
    """The first page of one Cost Explorer request, and no further (one request, one charge),
    errors translated: through botocore's paginator where it has one, else one call. The page
    keeps its next-page token, so a caller can say that more exists."""
    client = ce()
    with _calling(client, operation):
        return aws.first_page(client, operation, **request)


def pages(operation: str, **request: Any) -> Iterator[dict[str, Any]]:
    """Every page of one Cost Explorer request, errors translated: botocore's paginator where
    it has one, else the loop on the operation's page token (GetCostAndUsage has no paginator).
    Each page is billed."""
    client = ce()
    with _calling(client, operation):
        if client.can_paginate(operation):
            yield from client.get_paginator(operation).paginate(**request)
            return
        token_name = _page_token(client, operation)
        token: str | None = None
        while True:
            page = getattr(client, operation)(**request, **({token_name: token} if token else {}))
            yield page
            token = page.get(token_name)
            if not token:
                return


def _page_token(client: Any, operation: str) -> str:
    """The operation's page-token field (`NextPageToken` for most of Cost Explorer)."""
    api = client.meta.method_to_api_mapping.get(operation, operation)
    shape = client.meta.service_model.operation_model(api).input_shape
    members = shape.members if shape is not None else {}
    return next((name for name in PAGE_TOKENS if name in members), PAGE_TOKENS[0])


def _calling(client: Any, operation: str) -> Any:
    api = client.meta.method_to_api_mapping.get(operation, operation)
    return aws.calling(f"Cost Explorer {api}", rules=RULES, unavailable=CostDataUnavailable)


def _rejected(failure: aws.Failure) -> BadRequest:
    return BadRequest(f"Cost Explorer rejected the request: {failure.message}")


def _no_data_yet(failure: aws.Failure) -> NotEnabled:
    # Not a fault to retry: the data does not exist yet, or an opt-in is off.
    return NotEnabled(
        f"Cost Explorer has no data for this yet ({failure.message}).",
        how_to_enable="New accounts and newly enabled features fill in within 24 hours; "
        "resource-level data and rightsizing are opt-ins under Cost Explorer > Preferences.",
    )


def _denied(failure: aws.Failure) -> NotEnabled:
    return NotEnabled(
        f"Cost Explorer is not available to this tool: {failure.what} was denied "
        f"({failure.message}).",
        how_to_enable=ENABLE_COST_EXPLORER,
    )


RULES: aws.ErrorRules = {
    "ValidationException": _rejected,
    "DataUnavailableException": _no_data_yet,
    "AccessDeniedException": _denied,
}
