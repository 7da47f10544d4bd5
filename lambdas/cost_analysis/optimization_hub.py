"""AWS Cost Optimization Hub: savings by action type and the top recommendations.

The hub is opt-in. When it is off (or this function may not read it) the tool still answers
200, says so and how to enroll: an agent asked "what can we save" should not see an error for
a setting. The hub's API is free, so unlike Cost Explorer every page is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from opsagent_shared import aws
from opsagent_shared.errors import OpsAgentError
from opsagent_shared.money import ZERO, money, one_decimal, to_decimal
from opsagent_shared.responses import tool_response

HUB_REGION = "us-east-1"  # the hub's only endpoint, for every region's recommendations
PAGE_SIZE = 1000  # the API's maximum: fewest round trips
# botocore's model lists AccessDeniedException for both operations; an account that never
# enrolled gets it too (with a message about enrollment), as may a ValidationException.
ACCESS_DENIED = "AccessDeniedException"
ENROLL_NOTES = (
    "Enroll from the management (payer) account: `aws cost-optimization-hub "
    "update-enrollment-status --status Active` (add --include-member-accounts for the whole "
    "organization), or in the console: Billing and Cost Management > Cost Optimization Hub > "
    "Enable. Recommendations appear within about a day.",
    "If the account is already enrolled, the function's role needs "
    "cost-optimization-hub:ListRecommendations and cost-optimization-hub:"
    "ListRecommendationSummaries.",
    "Meanwhile the rightsizing, idle-resources and commitments tools work without the hub.",
)


class HubOff(OpsAgentError):
    """The hub cannot answer for this account: not enrolled, or not allowed to read it."""


def run(*, top: int) -> dict[str, Any]:
    try:
        groups, hub_total, currency = _savings_by_action_type()
        recommendations = _one_per_resource(
            _pages("list_recommendations", "items", includeAllRecommendations=False)
        )
    except HubOff as off:
        return tool_response(
            summary="Cost Optimization Hub is off for this account, so it has no "
            "recommendations to report.",
            notes=[f"AWS said: {off}", *ENROLL_NOTES],
            top=top,
            enabled=False,
        )

    ranked = sorted(recommendations, key=_ranking)
    total = hub_total if hub_total is not None else sum(map(_savings, ranked), ZERO)
    return tool_response(
        summary=_summary(ranked, total, currency),
        items=[_item(recommendation) for recommendation in ranked],
        currency=currency,
        notes=[
            "One recommendation per resource (the one with the largest saving).",
            "Savings per action type overlap (one resource can appear under several), so they "
            "do not add up to total_estimated_monthly_savings, the hub's de-duplicated total.",
            "Estimates follow the hub's savings-estimation preference (before or after "
            "discounts) and are monthly.",
        ],
        top=top,
        enabled=True,
        total_estimated_monthly_savings=money(total),
        by_action_type=groups,
    )


def _savings_by_action_type() -> tuple[list[dict[str, Any]], Decimal | None, str]:
    """Groups largest first, the hub's de-duplicated total (if given) and the currency."""
    groups: list[tuple[Decimal, dict[str, Any]]] = []
    deduplicated_total: Decimal | None = None
    currency = "USD"
    for page in _raw_pages("list_recommendation_summaries", groupBy="ActionType"):
        currency = page.get("currencyCode") or currency
        if "estimatedTotalDedupedSavings" in page:
            # The same overall figure on every page: one grouping has a single total.
            deduplicated_total = to_decimal(page["estimatedTotalDedupedSavings"])
        for group in page.get("items", []):
            savings = to_decimal(group.get("estimatedMonthlySavings"))
            entry = {
                "action_type": group.get("group"),
                "recommendation_count": group.get("recommendationCount", 0),
                "estimated_monthly_savings": money(savings),
            }
            groups.append((savings, entry))
    groups.sort(key=lambda group: (-group[0], str(group[1]["action_type"])))
    return [entry for _, entry in groups], deduplicated_total, currency


def _one_per_resource(recommendations: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """The largest saving per resource. includeAllRecommendations=False already asks the hub
    for that; this guards the totals against a resource listed twice anyway."""
    best: dict[str, dict[str, Any]] = {}
    for recommendation in recommendations:
        key = str(
            recommendation.get("resourceId")
            or recommendation.get("resourceArn")
            or recommendation.get("recommendationId")
        )
        if key not in best or _savings(recommendation) > _savings(best[key]):
            best[key] = recommendation
    return list(best.values())


def _pages(operation: str, key: str, **request: Any) -> Iterator[dict[str, Any]]:
    for page in _raw_pages(operation, **request):
        yield from page.get(key, [])


def _raw_pages(operation: str, **request: Any) -> Iterator[dict[str, Any]]:
    client = aws.client("cost-optimization-hub", HUB_REGION)
    api = client.meta.method_to_api_mapping.get(operation, operation)
    with aws.calling(f"Cost Optimization Hub {api}", rules={"*": _off}):
        pages = client.get_paginator(operation).paginate(
            **request, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        yield from pages


def _off(failure: aws.Failure) -> HubOff | None:
    """The hub's answer when the account is not enrolled: access denied, or (no dedicated
    code in its model) any error whose message speaks of enrolment."""
    if failure.code == ACCESS_DENIED or "enroll" in failure.message.lower():
        return HubOff(f"{failure.code}: {failure.message}" if failure.message else failure.code)
    return None


def _savings(recommendation: dict[str, Any]) -> Decimal:
    return to_decimal(recommendation.get("estimatedMonthlySavings", 0))


def _ranking(recommendation: dict[str, Any]) -> tuple[Decimal, str]:
    return -_savings(recommendation), str(recommendation.get("resourceId", ""))


def _item(recommendation: dict[str, Any]) -> dict[str, Any]:
    item = {
        "action_type": recommendation.get("actionType"),
        "resource_type": recommendation.get("currentResourceType"),
        "resource_id": recommendation.get("resourceId"),
        "region": recommendation.get("region"),
        "account_id": recommendation.get("accountId"),
        "current": recommendation.get("currentResourceSummary"),
        "recommended": recommendation.get("recommendedResourceSummary"),
        "estimated_monthly_savings": money(_savings(recommendation)),
        "estimated_savings_percent": one_decimal(recommendation.get("estimatedSavingsPercentage")),
        "implementation_effort": recommendation.get("implementationEffort"),
        "restart_needed": recommendation.get("restartNeeded"),
    }
    # Fields the hub did not give are left out rather than sent as null.
    return {key: value for key, value in item.items() if value is not None}


def _summary(ranked: list[dict[str, Any]], total: Decimal, currency: str) -> str:
    if not ranked:
        return "Cost Optimization Hub is on and has no recommendations right now."
    largest = ranked[0]
    return (
        f"Cost Optimization Hub: {len(ranked)} resource{'' if len(ranked) == 1 else 's'} with "
        f"recommendations, {money(total)} {currency} a month in estimated savings "
        f"(de-duplicated); largest: {largest.get('actionType')} "
        f"{largest.get('resourceId')} saving {money(_savings(largest))} {currency} a month"
    )
