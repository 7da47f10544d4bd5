"""Savings Plans and Reserved Instance purchase recommendations, with Savings Plans coverage.

Three Cost Explorer requests ($0.01 each), the project's budget for one tool call:
1. the Compute Savings Plan recommendation (covers EC2, Fargate and Lambda, any family/region);
2. the EC2 Reserved Instance recommendation (the alternative for the same usage);
3. Savings Plans coverage over the lookback window: how much eligible spend is still
   On-Demand, i.e. the headroom a new commitment would fill, which is the question this tool
   answers. Utilization (SP and RI) and RI coverage only grade commitments already bought; they
   are left out and the notes say where to find them.
Nothing is ever purchased here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from cost_analysis.cost_explorer import call
from opsagent_shared import clock
from opsagent_shared.errors import BadRequest, CostDataUnavailable
from opsagent_shared.money import ZERO, money, monthly_from_hourly, one_decimal, to_decimal
from opsagent_shared.periods import Period
from opsagent_shared.responses import excerpt, tool_response

TERMS = ("ONE_YEAR", "THREE_YEARS")
PAYMENT_OPTIONS = ("NO_UPFRONT", "PARTIAL_UPFRONT", "ALL_UPFRONT")
LOOKBACK_PERIODS = {7: "SEVEN_DAYS", 30: "THIRTY_DAYS", 60: "SIXTY_DAYS"}
SAVINGS_PLANS_TYPE = "COMPUTE_SP"
RI_SERVICE = "Amazon Elastic Compute Cloud - Compute"
# Commitments are reviewed and bought by people; the tool shows more than the default 10 items.
TOP = 15

ALWAYS_NOTES = (
    "The Savings Plan and the Reserved Instance recommendations cover the same On-Demand usage: "
    "they are alternatives, so their savings must not be added together.",
    "AWS publishes maximum discounts versus On-Demand of 66% for Compute Savings Plans and 72% "
    "for EC2 Instance Savings Plans; the estimates here are for this account's own usage.",
    "This tool never buys anything: a person purchases Savings Plans or Reserved Instances in "
    "the console after review.",
    "Not fetched, to keep to 3 Cost Explorer requests: Savings Plans utilization and Reserved "
    "Instance coverage and utilization. Find them in Cost Explorer's Savings Plans and "
    "Reservations reports, or with `aws ce get-savings-plans-utilization`, "
    "`aws ce get-reservation-coverage` and `aws ce get-reservation-utilization`.",
)


def run(*, term: str, payment_option: str, lookback_days: int) -> dict[str, Any]:
    term, payment_option, lookback = _validated(term, payment_option, lookback_days)
    today = clock.today()
    window = Period(start=today - timedelta(days=lookback_days), end=today)
    choice = {"TermInYears": term, "PaymentOption": payment_option}
    notes: list[str] = []

    # Each answer is read right after its call so the notes come in the order of the calls.
    sp_response = _optional(
        notes,
        "Savings Plans recommendation",
        "get_savings_plans_purchase_recommendation",
        SavingsPlansType=SAVINGS_PLANS_TYPE,
        LookbackPeriodInDays=lookback,
        **choice,
    )
    savings_plan = _savings_plan_summary(sp_response, notes, lookback_days)
    ri_response = _optional(
        notes,
        "Reserved Instance recommendation",
        "get_reservation_purchase_recommendation",
        Service=RI_SERVICE,
        LookbackPeriodInDays=lookback,
        **choice,
    )
    reserved = _reserved_instances_summary(ri_response, notes, lookback_days)
    # MONTHLY and ungrouped: at most 3 rows for 60 days, so never a second (paid) page.
    coverage_response = _optional(
        notes,
        "Savings Plans coverage",
        "get_savings_plans_coverage",
        TimePeriod=window.as_time_period(),
        Granularity="MONTHLY",
    )
    coverage = _coverage(coverage_response, notes)

    ranked = sorted(
        [*_savings_plan_items(sp_response), *_reserved_instance_items(ri_response)],
        key=lambda ranked_item: (-ranked_item[0], ranked_item[1]["kind"]),
    )
    currency = _currency(sp_response, ri_response)
    return tool_response(
        summary=_summary(savings_plan, reserved, coverage, currency, term, payment_option),
        items=[item for _, item in ranked],
        period=window.describe(),
        currency=currency,
        notes=[*notes, *ALWAYS_NOTES],
        top=TOP,
        term=term,
        payment_option=payment_option,
        lookback_days=lookback_days,
        savings_plan=savings_plan,
        reserved_instances=reserved,
        savings_plans_coverage=coverage,
    )


def _validated(term: str, payment_option: str, lookback_days: int) -> tuple[str, str, str]:
    """Normalized choices; every invalid one is named at once so the model fixes all in a go."""
    term = term.strip().upper()
    payment_option = payment_option.strip().upper()
    problems = []
    if term not in TERMS:
        problems.append(f"term {excerpt(term)} is not known; use {' or '.join(TERMS)}")
    if payment_option not in PAYMENT_OPTIONS:
        problems.append(
            f"payment_option {excerpt(payment_option)} is not known; use "
            f"{', '.join(PAYMENT_OPTIONS)}"
        )
    lookback = LOOKBACK_PERIODS.get(lookback_days)
    if lookback is None:
        allowed = ", ".join(str(days) for days in LOOKBACK_PERIODS)
        problems.append(f"lookback_days {lookback_days} is not supported; use {allowed}")
    if problems:
        raise BadRequest("; ".join(problems))
    assert lookback is not None
    return term, payment_option, lookback


def _optional(notes: list[str], what: str, operation: str, **request: Any) -> dict[str, Any]:
    """One call whose failure (no data, not enough usage, no access) becomes a note."""
    try:
        return call(operation, **request)
    except CostDataUnavailable as error:
        notes.append(f"No {what}: {error}")
        return {}


def _savings_plan_summary(
    response: dict[str, Any], notes: list[str], lookback_days: int
) -> dict[str, Any] | None:
    recommendation = response.get("SavingsPlansPurchaseRecommendation", {})
    details = recommendation.get("SavingsPlansPurchaseRecommendationDetails", [])
    summary = recommendation.get("SavingsPlansPurchaseRecommendationSummary", {})
    if not details:
        if response:
            notes.append(
                f"No Savings Plan to recommend: not enough steady On-Demand compute usage in the "
                f"last {lookback_days} days (or it is already covered)."
            )
        return None
    hourly = _total(summary, "HourlyCommitmentToPurchase", details)
    result = {
        "type": SAVINGS_PLANS_TYPE,
        "hourly_commitment": money(hourly),
        "monthly_commitment": money(monthly_from_hourly(hourly)),
        "estimated_monthly_savings": money(
            _total(summary, "EstimatedMonthlySavingsAmount", details)
        ),
        "estimated_savings_percent": one_decimal(summary.get("EstimatedSavingsPercentage")),
        "upfront_cost": money(_sum(details, "UpfrontCost")),
        # Cost Explorer reports it over the lookback window, not per month.
        "on_demand_spend_in_lookback": money(summary.get("CurrentOnDemandSpend")),
        "recommendation_count": len(details),
    }
    if response.get("NextPageToken"):
        notes.append(
            "Cost Explorer has more Savings Plan detail rows than fetched: the commitment and "
            "savings totals cover all of them; upfront_cost and recommendation_count only the "
            "rows fetched."
        )
    return result


def _reserved_instances_summary(
    response: dict[str, Any], notes: list[str], lookback_days: int
) -> dict[str, Any] | None:
    recommendations = response.get("Recommendations", [])
    details = [d for r in recommendations for d in r.get("RecommendationDetails", [])]
    if not details:
        if response:
            notes.append(
                f"No Reserved Instance to recommend: no steady EC2 usage in the last "
                f"{lookback_days} days that a reservation would cover."
            )
        return None
    summaries = [r.get("RecommendationSummary", {}) for r in recommendations]
    if all("TotalEstimatedMonthlySavingsAmount" in s for s in summaries):
        monthly = sum(
            (to_decimal(s["TotalEstimatedMonthlySavingsAmount"]) for s in summaries), ZERO
        )
    else:
        monthly = _sum(details, "EstimatedMonthlySavingsAmount")
    if response.get("NextPageToken"):
        notes.append(
            "Cost Explorer has more Reserved Instance recommendations than fetched: the savings "
            "total covers all of them; upfront_cost and recommendation_count only those fetched."
        )
    return {
        "estimated_monthly_savings": money(monthly),
        "upfront_cost": money(_sum(details, "UpfrontCost")),
        "recommendation_count": len(details),
    }


def _coverage(response: dict[str, Any], notes: list[str]) -> dict[str, Any] | None:
    """Coverage over the whole window, from the monthly rows (weighted by spend, not averaged)."""
    rows = [row.get("Coverage", {}) for row in response.get("SavingsPlansCoverages", [])]
    covered = _sum(rows, "SpendCoveredBySavingsPlans")
    on_demand = _sum(rows, "OnDemandCost")
    total = _sum(rows, "TotalCost")
    if total == ZERO:
        if response:
            notes.append("No Savings Plans-eligible spend in the lookback window to measure.")
        return None
    return {
        "coverage_percent": one_decimal(covered / total * 100),
        "covered_spend": money(covered),
        "on_demand_spend": money(on_demand),
        "eligible_spend": money(total),
    }


def _savings_plan_items(response: dict[str, Any]) -> list[tuple[Decimal, dict[str, Any]]]:
    """(monthly savings, item) per recommended Savings Plan."""
    recommendation = response.get("SavingsPlansPurchaseRecommendation", {})
    items = []
    for detail in recommendation.get("SavingsPlansPurchaseRecommendationDetails", []):
        hourly = to_decimal(detail.get("HourlyCommitmentToPurchase"))
        savings = to_decimal(detail.get("EstimatedMonthlySavingsAmount"))
        item = {
            "kind": "savings_plan",
            "savings_plans_type": SAVINGS_PLANS_TYPE,
            "account_id": detail.get("AccountId"),
            "hourly_commitment": money(hourly),
            "monthly_commitment": money(monthly_from_hourly(hourly)),
            "estimated_monthly_savings": money(savings),
            "estimated_savings_percent": one_decimal(detail.get("EstimatedSavingsPercentage")),
            "upfront_cost": money(detail.get("UpfrontCost")),
            "estimated_average_utilization": one_decimal(detail.get("EstimatedAverageUtilization")),
        }
        items.append((savings, _without_blanks(item)))
    return items


def _reserved_instance_items(response: dict[str, Any]) -> list[tuple[Decimal, dict[str, Any]]]:
    """(monthly savings, item) per recommended Reserved Instance purchase."""
    items = []
    for recommendation in response.get("Recommendations", []):
        for detail in recommendation.get("RecommendationDetails", []):
            instance = detail.get("InstanceDetails", {}).get("EC2InstanceDetails", {})
            savings = to_decimal(detail.get("EstimatedMonthlySavingsAmount"))
            item = {
                "kind": "reserved_instance",
                "instance_type": instance.get("InstanceType"),
                "region": instance.get("Region"),
                "platform": instance.get("Platform"),
                "instance_count": int(
                    to_decimal(detail.get("RecommendedNumberOfInstancesToPurchase"))
                ),
                "estimated_monthly_savings": money(savings),
                "estimated_savings_percent": one_decimal(
                    detail.get("EstimatedMonthlySavingsPercentage")
                ),
                "upfront_cost": money(detail.get("UpfrontCost")),
                "recurring_monthly_cost": money(detail.get("RecurringStandardMonthlyCost")),
                "break_even_months": one_decimal(detail.get("EstimatedBreakEvenInMonths")),
                "average_utilization": one_decimal(detail.get("AverageUtilization")),
            }
            items.append((savings, _without_blanks(item)))
    return items


def _summary(
    savings_plan: dict[str, Any] | None,
    reserved: dict[str, Any] | None,
    coverage: dict[str, Any] | None,
    currency: str,
    term: str,
    payment_option: str,
) -> str:
    choice = f"{term}, {payment_option}"
    parts = []
    if savings_plan:
        parts.append(
            f"Compute Savings Plan ({choice}): commit {savings_plan['hourly_commitment']} "
            f"{currency}/hour to save {savings_plan['estimated_monthly_savings']} {currency} a "
            f"month ({savings_plan['estimated_savings_percent']}%)"
        )
    if reserved:
        count = reserved["recommendation_count"]
        parts.append(
            f"{'or ' if savings_plan else ''}EC2 Reserved Instances ({choice}): {count} purchase"
            f"{'' if count == 1 else 's'} saving {reserved['estimated_monthly_savings']} "
            f"{currency} a month"
        )
    if not parts:
        parts.append("No commitment to recommend")
    if coverage:
        parts.append(
            f"Savings Plans currently cover {coverage['coverage_percent']}% of eligible spend "
            f"({coverage['on_demand_spend']} {currency} still On-Demand)"
        )
    return "; ".join(parts)


def _currency(sp: dict[str, Any], ri: dict[str, Any]) -> str:
    sp_summary = sp.get("SavingsPlansPurchaseRecommendation", {}).get(
        "SavingsPlansPurchaseRecommendationSummary", {}
    )
    if sp_summary.get("CurrencyCode"):
        return str(sp_summary["CurrencyCode"])
    for recommendation in ri.get("Recommendations", []):
        code = recommendation.get("RecommendationSummary", {}).get("CurrencyCode")
        if code:
            return str(code)
    return "USD"


def _total(summary: dict[str, Any], key: str, details: list[dict[str, Any]]) -> Decimal:
    """Cost Explorer's own total when it gives one, else the sum of the detail rows."""
    return to_decimal(summary[key]) if key in summary else _sum(details, key)


def _sum(rows: Iterable[dict[str, Any]], key: str) -> Decimal:
    return sum((to_decimal(row.get(key)) for row in rows), ZERO)


def _without_blanks(item: dict[str, Any]) -> dict[str, Any]:
    """Fields Cost Explorer did not give are left out rather than sent as null."""
    return {key: value for key, value in item.items() if value is not None}
