"""AWS Cost Optimization Hub: savings by action type and the top recommendations.

The hub is opt-in. When it is off (or this function may not read it) the tool still answers
200, says so and how to enroll: an agent asked "what can we save" should not see an error for
a setting. The hub's API is free, so unlike Cost Explorer every page is read.

fetch (`fetch_summaries`, `fetch_recommendations`) -> pure analysis (`analyze`, over
`Recommendation` and `SummaryPage`) -> `render` (or `render_off`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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
        summaries = fetch_summaries()
        recommendations = fetch_recommendations()
    except HubOff as off:
        return render_off(off, top=top)
    return render(analyze(summaries, recommendations), top=top)


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionTypeSavings:
    action_type: str | None
    recommendation_count: int
    monthly_savings: Decimal


@dataclass(frozen=True)
class SummaryPage:
    """One page of ListRecommendationSummaries grouped by action type."""

    groups: tuple[ActionTypeSavings, ...]
    currency: str | None = None
    deduplicated_total: Decimal | None = None  # the same overall figure on every page


@dataclass(frozen=True)
class Recommendation:
    recommendation_id: str | None
    resource_id: str | None
    resource_arn: str | None
    action_type: str | None
    resource_type: str | None
    region: str | None
    account_id: str | None
    current: str | None  # the hub's one-line summary of the resource now
    recommended: str | None
    monthly_savings: Decimal
    savings_percent: Decimal | None
    implementation_effort: str | None
    restart_needed: bool | None

    @property
    def resource(self) -> str:
        """What one resource is known by: its ID, else its ARN, else the recommendation's."""
        return str(self.resource_id or self.resource_arn or self.recommendation_id)


# --- fetch ------------------------------------------------------------------------------------


def fetch_summaries() -> tuple[SummaryPage, ...]:
    """Every page of ListRecommendationSummaries grouped by action type."""
    return tuple(
        _summary_page(page)
        for page in _raw_pages("list_recommendation_summaries", groupBy="ActionType")
    )


def fetch_recommendations() -> tuple[Recommendation, ...]:
    """Every page of ListRecommendations, the hub's best per resource."""
    return tuple(
        _recommendation(item)
        for item in _pages("list_recommendations", "items", includeAllRecommendations=False)
    )


def _summary_page(page: dict[str, Any]) -> SummaryPage:
    return SummaryPage(
        groups=tuple(
            ActionTypeSavings(
                action_type=group.get("group"),
                recommendation_count=group.get("recommendationCount", 0),
                monthly_savings=to_decimal(group.get("estimatedMonthlySavings")),
            )
            for group in page.get("items", [])
        ),
        currency=page.get("currencyCode") or None,
        deduplicated_total=(
            to_decimal(page["estimatedTotalDedupedSavings"])
            if "estimatedTotalDedupedSavings" in page
            else None
        ),
    )


def _recommendation(item: dict[str, Any]) -> Recommendation:
    percent = item.get("estimatedSavingsPercentage")
    return Recommendation(
        recommendation_id=item.get("recommendationId"),
        resource_id=item.get("resourceId"),
        resource_arn=item.get("resourceArn"),
        action_type=item.get("actionType"),
        resource_type=item.get("currentResourceType"),
        region=item.get("region"),
        account_id=item.get("accountId"),
        current=item.get("currentResourceSummary"),
        recommended=item.get("recommendedResourceSummary"),
        monthly_savings=to_decimal(item.get("estimatedMonthlySavings", 0)),
        savings_percent=None if percent is None else to_decimal(percent),
        implementation_effort=item.get("implementationEffort"),
        restart_needed=item.get("restartNeeded"),
    )


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


# --- analysis ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubSummary:
    currency: str
    by_action_type: tuple[ActionTypeSavings, ...]  # largest saving first, then by action type
    recommendations: tuple[Recommendation, ...]  # one per resource, largest saving first
    total: Decimal  # the hub's de-duplicated total, else the sum of the recommendations


def analyze(
    summaries: Sequence[SummaryPage], recommendations: Sequence[Recommendation]
) -> HubSummary:
    currency = "USD"
    deduplicated_total: Decimal | None = None
    groups: list[ActionTypeSavings] = []
    for page in summaries:
        currency = page.currency or currency
        if page.deduplicated_total is not None:
            deduplicated_total = page.deduplicated_total
        groups.extend(page.groups)
    ranked = tuple(sorted(one_per_resource(recommendations), key=_ranking))
    return HubSummary(
        currency=currency,
        by_action_type=tuple(
            sorted(groups, key=lambda group: (-group.monthly_savings, str(group.action_type)))
        ),
        recommendations=ranked,
        total=(
            deduplicated_total
            if deduplicated_total is not None
            else sum((r.monthly_savings for r in ranked), ZERO)
        ),
    )


def one_per_resource(recommendations: Sequence[Recommendation]) -> list[Recommendation]:
    """The largest saving per resource (the first listed on a tie), in the order resources
    first appear. includeAllRecommendations=False already asks the hub for that; this guards
    the totals against a resource listed twice anyway."""
    best: dict[str, Recommendation] = {}
    for recommendation in recommendations:
        key = recommendation.resource
        if key not in best or recommendation.monthly_savings > best[key].monthly_savings:
            best[key] = recommendation
    return list(best.values())


def _ranking(recommendation: Recommendation) -> tuple[Decimal, str]:
    return -recommendation.monthly_savings, recommendation.resource_id or ""


# --- the tool response ------------------------------------------------------------------------


def render_off(off: HubOff, *, top: int) -> dict[str, Any]:
    return tool_response(
        summary="Cost Optimization Hub is off for this account, so it has no "
        "recommendations to report.",
        notes=[f"AWS said: {off}", *ENROLL_NOTES],
        top=top,
        enabled=False,
    )


def render(hub: HubSummary, *, top: int) -> dict[str, Any]:
    return tool_response(
        summary=_summary(hub),
        items=[_item(recommendation) for recommendation in hub.recommendations],
        currency=hub.currency,
        notes=[
            "One recommendation per resource (the one with the largest saving).",
            "Savings per action type overlap (one resource can appear under several), so they "
            "do not add up to total_estimated_monthly_savings, the hub's de-duplicated total.",
            "Estimates follow the hub's savings-estimation preference (before or after "
            "discounts) and are monthly.",
        ],
        top=top,
        enabled=True,
        total_estimated_monthly_savings=money(hub.total),
        by_action_type=[
            {
                "action_type": group.action_type,
                "recommendation_count": group.recommendation_count,
                "estimated_monthly_savings": money(group.monthly_savings),
            }
            for group in hub.by_action_type
        ],
    )


def _item(recommendation: Recommendation) -> dict[str, Any]:
    item = {
        "action_type": recommendation.action_type,
        "resource_type": recommendation.resource_type,
        "resource_id": recommendation.resource_id,
        "region": recommendation.region,
        "account_id": recommendation.account_id,
        "current": recommendation.current,
        "recommended": recommendation.recommended,
        "estimated_monthly_savings": money(recommendation.monthly_savings),
        "estimated_savings_percent": one_decimal(recommendation.savings_percent),
        "implementation_effort": recommendation.implementation_effort,
        "restart_needed": recommendation.restart_needed,
    }
    # Fields the hub did not give are left out rather than sent as null.
    return {key: value for key, value in item.items() if value is not None}


def _summary(hub: HubSummary) -> str:
    if not hub.recommendations:
        return "Cost Optimization Hub is on and has no recommendations right now."
    largest = hub.recommendations[0]
    count = len(hub.recommendations)
    return (
        f"Cost Optimization Hub: {count} resource{'' if count == 1 else 's'} with "
        f"recommendations, {money(hub.total)} {hub.currency} a month in estimated savings "
        f"(de-duplicated); largest: {largest.action_type} "
        f"{largest.resource_id} saving {money(largest.monthly_savings)} {hub.currency} a month"
    )
