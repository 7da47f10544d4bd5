"""Savings Plans and Reserved Instance purchase recommendations, with Savings Plans coverage.

Three Cost Explorer requests ($0.01 each), the project's budget for one tool call:
1. the Compute Savings Plan recommendation (covers EC2, Fargate and Lambda, any family/region);
2. the EC2 Reserved Instance recommendation (the alternative for the same usage);
3. Savings Plans coverage over the lookback window: how much eligible spend is still
   On-Demand, i.e. the headroom a new commitment would fill, which is the question this tool
   answers. Utilization (SP and RI) and RI coverage only grade commitments already bought; they
   are left out and the notes say where to find them.
Nothing is ever purchased here.

fetch (`fetch`: three first pages) -> pure analysis (`analyze`, over the typed answers) ->
`render`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from cost_analysis.choices import LOOKBACK_PERIODS
from cost_analysis.cost_explorer import first_page
from opsagent_shared import clock
from opsagent_shared.errors import CostDataUnavailable
from opsagent_shared.money import ZERO, money, monthly_from_hourly, one_decimal, to_decimal
from opsagent_shared.periods import Period
from opsagent_shared.responses import tool_response

SAVINGS_PLANS_TYPE = "COMPUTE_SP"
RI_SERVICE = "Amazon Elastic Compute Cloud - Compute"
DEFAULT_CURRENCY = "USD"
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

T = TypeVar("T")


def run(*, term: str, payment_option: str, lookback_days: int) -> dict[str, Any]:
    chosen = choice(term, payment_option, lookback_days)
    window = lookback_window(clock.today(), lookback_days)
    return render(analyze(fetch(chosen, window)))


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    term: str  # ONE_YEAR | THREE_YEARS
    payment_option: str
    lookback_days: int
    lookback: str  # Cost Explorer's name for lookback_days: SEVEN_DAYS, ...


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """One Cost Explorer answer: `value` (None when the call failed, or answered nothing at
    all), and `failure`, the note that says why it failed."""

    value: T | None = None
    failure: str | None = None


@dataclass(frozen=True)
class SavingsPlanDetail:
    account_id: str | None
    hourly_commitment: Decimal
    monthly_savings: Decimal
    savings_percent: Decimal | None
    upfront_cost: Decimal
    average_utilization: Decimal | None


@dataclass(frozen=True)
class SavingsPlansAnswer:
    details: tuple[SavingsPlanDetail, ...]
    # Cost Explorer's own totals over every detail row (None: not given)
    hourly_commitment: Decimal | None = None
    monthly_savings: Decimal | None = None
    savings_percent: Decimal | None = None
    on_demand_spend: Decimal = ZERO  # over the lookback window, not per month
    currency: str | None = None
    more_pages: bool = False


@dataclass(frozen=True)
class ReservationDetail:
    instance_type: str | None
    region: str | None
    platform: str | None
    instance_count: int
    monthly_savings: Decimal
    savings_percent: Decimal | None
    upfront_cost: Decimal
    recurring_monthly_cost: Decimal
    break_even_months: Decimal | None
    average_utilization: Decimal | None


@dataclass(frozen=True)
class ReservationRecommendation:
    details: tuple[ReservationDetail, ...]
    total_monthly_savings: Decimal | None = None  # the summary's, None when not given
    currency: str | None = None


@dataclass(frozen=True)
class ReservationsAnswer:
    recommendations: tuple[ReservationRecommendation, ...]
    more_pages: bool = False


@dataclass(frozen=True)
class CoverageRow:
    covered: Decimal
    on_demand: Decimal
    total: Decimal


@dataclass(frozen=True)
class Answers:
    choice: Choice
    window: Period
    savings_plans: Fetched[SavingsPlansAnswer]
    reserved_instances: Fetched[ReservationsAnswer]
    coverage: Fetched[tuple[CoverageRow, ...]]


def choice(term: str, payment_option: str, lookback_days: int) -> Choice:
    """The caller's choices as Cost Explorer names them; the route has checked each against
    `cost_analysis.choices` (`parameters.one_of`)."""
    return Choice(
        term=term,
        payment_option=payment_option,
        lookback_days=lookback_days,
        lookback=LOOKBACK_PERIODS[lookback_days],
    )


def lookback_window(today: date, lookback_days: int) -> Period:
    return Period(start=today - timedelta(days=lookback_days), end=today)


# --- fetch ------------------------------------------------------------------------------------


def fetch(choice: Choice, window: Period) -> Answers:
    """The three requests, each one page, in this order; a failed one becomes a note."""
    terms = {"TermInYears": choice.term, "PaymentOption": choice.payment_option}
    savings_plans = fetch_savings_plans(choice)
    reserved = _optional(
        "Reserved Instance recommendation",
        _reservations,
        lambda: first_page(
            "get_reservation_purchase_recommendation",
            Service=RI_SERVICE,
            LookbackPeriodInDays=choice.lookback,
            **terms,
        ),
    )
    # MONTHLY and ungrouped: at most 3 rows for 60 days, so never a second (paid) page.
    coverage = _optional(
        "Savings Plans coverage",
        _coverage_rows,
        lambda: first_page(
            "get_savings_plans_coverage",
            TimePeriod=window.as_time_period(),
            Granularity="MONTHLY",
        ),
    )
    return Answers(
        choice=choice,
        window=window,
        savings_plans=savings_plans,
        reserved_instances=reserved,
        coverage=coverage,
    )


def fetch_savings_plans(choice: Choice) -> Fetched[SavingsPlansAnswer]:
    """Cost Explorer's Compute Savings Plans recommendation (one request; a failure is a note).
    The first page only: its summary's totals cover every page."""
    return _optional(
        "Savings Plans recommendation",
        _savings_plans,
        lambda: first_page(
            "get_savings_plans_purchase_recommendation",
            SavingsPlansType=SAVINGS_PLANS_TYPE,
            LookbackPeriodInDays=choice.lookback,
            TermInYears=choice.term,
            PaymentOption=choice.payment_option,
        ),
    )


def _optional(
    what: str, parse: Callable[[dict[str, Any]], T], request: Callable[[], dict[str, Any]]
) -> Fetched[T]:
    """One call whose failure (no data, not enough usage, no access) becomes a note."""
    try:
        response = request()
    except CostDataUnavailable as error:
        return Fetched(failure=f"No {what}: {error}")
    return Fetched(value=parse(response) if response else None)


def _savings_plans(response: dict[str, Any]) -> SavingsPlansAnswer:
    recommendation = response.get("SavingsPlansPurchaseRecommendation", {})
    summary = recommendation.get("SavingsPlansPurchaseRecommendationSummary", {})
    return SavingsPlansAnswer(
        details=tuple(
            SavingsPlanDetail(
                account_id=detail.get("AccountId"),
                hourly_commitment=to_decimal(detail.get("HourlyCommitmentToPurchase")),
                monthly_savings=to_decimal(detail.get("EstimatedMonthlySavingsAmount")),
                savings_percent=_optional_decimal(detail.get("EstimatedSavingsPercentage")),
                upfront_cost=to_decimal(detail.get("UpfrontCost")),
                average_utilization=_optional_decimal(detail.get("EstimatedAverageUtilization")),
            )
            for detail in recommendation.get("SavingsPlansPurchaseRecommendationDetails", [])
        ),
        hourly_commitment=_given(summary, "HourlyCommitmentToPurchase"),
        monthly_savings=_given(summary, "EstimatedMonthlySavingsAmount"),
        savings_percent=_optional_decimal(summary.get("EstimatedSavingsPercentage")),
        on_demand_spend=to_decimal(summary.get("CurrentOnDemandSpend")),
        currency=summary.get("CurrencyCode") or None,
        more_pages=bool(response.get("NextPageToken")),
    )


def _reservations(response: dict[str, Any]) -> ReservationsAnswer:
    recommendations = []
    for recommendation in response.get("Recommendations", []):
        summary = recommendation.get("RecommendationSummary", {})
        recommendations.append(
            ReservationRecommendation(
                details=tuple(
                    _reservation_detail(detail)
                    for detail in recommendation.get("RecommendationDetails", [])
                ),
                total_monthly_savings=_given(summary, "TotalEstimatedMonthlySavingsAmount"),
                currency=summary.get("CurrencyCode") or None,
            )
        )
    return ReservationsAnswer(
        recommendations=tuple(recommendations), more_pages=bool(response.get("NextPageToken"))
    )


def _reservation_detail(detail: dict[str, Any]) -> ReservationDetail:
    instance = detail.get("InstanceDetails", {}).get("EC2InstanceDetails", {})
    return ReservationDetail(
        instance_type=instance.get("InstanceType"),
        region=instance.get("Region"),
        platform=instance.get("Platform"),
        instance_count=int(to_decimal(detail.get("RecommendedNumberOfInstancesToPurchase"))),
        monthly_savings=to_decimal(detail.get("EstimatedMonthlySavingsAmount")),
        savings_percent=_optional_decimal(detail.get("EstimatedMonthlySavingsPercentage")),
        upfront_cost=to_decimal(detail.get("UpfrontCost")),
        recurring_monthly_cost=to_decimal(detail.get("RecurringStandardMonthlyCost")),
        break_even_months=_optional_decimal(detail.get("EstimatedBreakEvenInMonths")),
        average_utilization=_optional_decimal(detail.get("AverageUtilization")),
    )


def _coverage_rows(response: dict[str, Any]) -> tuple[CoverageRow, ...]:
    rows = [row.get("Coverage", {}) for row in response.get("SavingsPlansCoverages", [])]
    return tuple(
        CoverageRow(
            covered=to_decimal(row.get("SpendCoveredBySavingsPlans")),
            on_demand=to_decimal(row.get("OnDemandCost")),
            total=to_decimal(row.get("TotalCost")),
        )
        for row in rows
    )


def _given(summary: dict[str, Any], key: str) -> Decimal | None:
    return to_decimal(summary[key]) if key in summary else None


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value)


# --- analysis ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavingsPlan:
    hourly_commitment: Decimal
    monthly_savings: Decimal
    savings_percent: Decimal | None
    upfront_cost: Decimal  # of the detail rows fetched
    on_demand_spend: Decimal
    recommendation_count: int  # detail rows fetched


@dataclass(frozen=True)
class ReservedInstances:
    monthly_savings: Decimal
    upfront_cost: Decimal  # of the detail rows fetched
    recommendation_count: int


@dataclass(frozen=True)
class Coverage:
    percent: Decimal  # covered / eligible x 100, weighted by spend
    covered: Decimal
    on_demand: Decimal
    eligible: Decimal


@dataclass(frozen=True)
class Commitments:
    choice: Choice
    window: Period
    currency: str
    savings_plan: SavingsPlan | None
    reserved_instances: ReservedInstances | None
    coverage: Coverage | None
    # Every recommended purchase, largest monthly saving first (then Reserved Instances
    # before Savings Plans, then Cost Explorer's order).
    items: tuple[SavingsPlanDetail | ReservationDetail, ...]
    notes: tuple[str, ...]  # in the order of the calls


def analyze(answers: Answers) -> Commitments:
    days = answers.choice.lookback_days
    sp = answers.savings_plans.value
    ri = answers.reserved_instances.value
    savings_plan, sp_notes = savings_plan_summary(sp, days)
    reserved, ri_notes = reserved_instances_summary(ri, days)
    coverage, coverage_notes = coverage_summary(answers.coverage.value)
    notes = [
        *_failed(answers.savings_plans),
        *sp_notes,
        *_failed(answers.reserved_instances),
        *ri_notes,
        *_failed(answers.coverage),
        *coverage_notes,
    ]
    return Commitments(
        choice=answers.choice,
        window=answers.window,
        currency=currency(sp, ri),
        savings_plan=savings_plan,
        reserved_instances=reserved,
        coverage=coverage,
        items=ranked_purchases(sp, ri),
        notes=tuple(notes),
    )


def savings_plan_summary(
    answer: SavingsPlansAnswer | None, lookback_days: int
) -> tuple[SavingsPlan | None, tuple[str, ...]]:
    """Cost Explorer's totals where it gives them (they cover every page), else the sums of
    the detail rows; None, with a note when Cost Explorer answered, if there is no plan."""
    if answer is None:
        return None, ()
    if not answer.details:
        return None, (
            f"No Savings Plan to recommend: not enough steady On-Demand compute usage in the "
            f"last {lookback_days} days (or it is already covered).",
        )
    hourly, savings = answer.hourly_commitment, answer.monthly_savings
    plan = SavingsPlan(
        hourly_commitment=(
            hourly if hourly is not None else _sum(d.hourly_commitment for d in answer.details)
        ),
        monthly_savings=(
            savings if savings is not None else _sum(d.monthly_savings for d in answer.details)
        ),
        savings_percent=answer.savings_percent,
        upfront_cost=_sum(d.upfront_cost for d in answer.details),
        on_demand_spend=answer.on_demand_spend,
        recommendation_count=len(answer.details),
    )
    if not answer.more_pages:
        return plan, ()
    return plan, (
        "Cost Explorer has more Savings Plan detail rows than fetched: the commitment and "
        "savings totals cover all of them; upfront_cost and recommendation_count only the "
        "rows fetched.",
    )


def reserved_instances_summary(
    answer: ReservationsAnswer | None, lookback_days: int
) -> tuple[ReservedInstances | None, tuple[str, ...]]:
    """The summaries' savings when every recommendation has one, else the detail rows' sum."""
    if answer is None:
        return None, ()
    details = [d for r in answer.recommendations for d in r.details]
    if not details:
        return None, (
            f"No Reserved Instance to recommend: no steady EC2 usage in the last "
            f"{lookback_days} days that a reservation would cover.",
        )
    totals = [r.total_monthly_savings for r in answer.recommendations]
    if all(total is not None for total in totals):
        monthly = _sum(total for total in totals if total is not None)
    else:
        monthly = _sum(d.monthly_savings for d in details)
    reserved = ReservedInstances(
        monthly_savings=monthly,
        upfront_cost=_sum(d.upfront_cost for d in details),
        recommendation_count=len(details),
    )
    if not answer.more_pages:
        return reserved, ()
    return reserved, (
        "Cost Explorer has more Reserved Instance recommendations than fetched: the savings "
        "total covers all of them; upfront_cost and recommendation_count only those fetched.",
    )


def coverage_summary(
    rows: tuple[CoverageRow, ...] | None,
) -> tuple[Coverage | None, tuple[str, ...]]:
    """Coverage over the whole window, from the monthly rows (weighted by spend, not averaged)."""
    if rows is None:
        return None, ()
    covered = _sum(row.covered for row in rows)
    on_demand = _sum(row.on_demand for row in rows)
    total = _sum(row.total for row in rows)
    if total == ZERO:
        return None, ("No Savings Plans-eligible spend in the lookback window to measure.",)
    coverage = Coverage(
        percent=covered / total * 100, covered=covered, on_demand=on_demand, eligible=total
    )
    return coverage, ()


def ranked_purchases(
    sp: SavingsPlansAnswer | None, ri: ReservationsAnswer | None
) -> tuple[SavingsPlanDetail | ReservationDetail, ...]:
    purchases: list[SavingsPlanDetail | ReservationDetail] = [
        *(sp.details if sp is not None else ()),
        *(d for r in (ri.recommendations if ri is not None else ()) for d in r.details),
    ]
    return tuple(sorted(purchases, key=lambda p: (-p.monthly_savings, _kind(p))))


def currency(sp: SavingsPlansAnswer | None, ri: ReservationsAnswer | None) -> str:
    if sp is not None and sp.currency:
        return sp.currency
    for recommendation in ri.recommendations if ri is not None else ():
        if recommendation.currency:
            return recommendation.currency
    return DEFAULT_CURRENCY


def _failed(fetched: Fetched[Any]) -> tuple[str, ...]:
    return (fetched.failure,) if fetched.failure else ()


def _kind(purchase: SavingsPlanDetail | ReservationDetail) -> str:
    return "savings_plan" if isinstance(purchase, SavingsPlanDetail) else "reserved_instance"


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


# --- the tool response ------------------------------------------------------------------------


def render(result: Commitments) -> dict[str, Any]:
    choice = result.choice
    savings_plan = _savings_plan_body(result.savings_plan)
    reserved = _reserved_body(result.reserved_instances)
    coverage = _coverage_body(result.coverage)
    return tool_response(
        summary=_summary(savings_plan, reserved, coverage, result.currency, choice),
        items=[_item(purchase) for purchase in result.items],
        period=result.window.describe(),
        currency=result.currency,
        notes=[*result.notes, *ALWAYS_NOTES],
        top=TOP,
        term=choice.term,
        payment_option=choice.payment_option,
        lookback_days=choice.lookback_days,
        savings_plan=savings_plan,
        reserved_instances=reserved,
        savings_plans_coverage=coverage,
    )


def _savings_plan_body(plan: SavingsPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "type": SAVINGS_PLANS_TYPE,
        "hourly_commitment": money(plan.hourly_commitment),
        "monthly_commitment": money(monthly_from_hourly(plan.hourly_commitment)),
        "estimated_monthly_savings": money(plan.monthly_savings),
        "estimated_savings_percent": one_decimal(plan.savings_percent),
        "upfront_cost": money(plan.upfront_cost),
        # Cost Explorer reports it over the lookback window, not per month.
        "on_demand_spend_in_lookback": money(plan.on_demand_spend),
        "recommendation_count": plan.recommendation_count,
    }


def _reserved_body(reserved: ReservedInstances | None) -> dict[str, Any] | None:
    if reserved is None:
        return None
    return {
        "estimated_monthly_savings": money(reserved.monthly_savings),
        "upfront_cost": money(reserved.upfront_cost),
        "recommendation_count": reserved.recommendation_count,
    }


def _coverage_body(coverage: Coverage | None) -> dict[str, Any] | None:
    if coverage is None:
        return None
    return {
        "coverage_percent": one_decimal(coverage.percent),
        "covered_spend": money(coverage.covered),
        "on_demand_spend": money(coverage.on_demand),
        "eligible_spend": money(coverage.eligible),
    }


def _item(purchase: SavingsPlanDetail | ReservationDetail) -> dict[str, Any]:
    item: dict[str, Any]
    if isinstance(purchase, SavingsPlanDetail):
        item = {
            "kind": "savings_plan",
            "savings_plans_type": SAVINGS_PLANS_TYPE,
            "account_id": purchase.account_id,
            "hourly_commitment": money(purchase.hourly_commitment),
            "monthly_commitment": money(monthly_from_hourly(purchase.hourly_commitment)),
            "estimated_monthly_savings": money(purchase.monthly_savings),
            "estimated_savings_percent": one_decimal(purchase.savings_percent),
            "upfront_cost": money(purchase.upfront_cost),
            "estimated_average_utilization": one_decimal(purchase.average_utilization),
        }
    else:
        item = {
            "kind": "reserved_instance",
            "instance_type": purchase.instance_type,
            "region": purchase.region,
            "platform": purchase.platform,
            "instance_count": purchase.instance_count,
            "estimated_monthly_savings": money(purchase.monthly_savings),
            "estimated_savings_percent": one_decimal(purchase.savings_percent),
            "upfront_cost": money(purchase.upfront_cost),
            "recurring_monthly_cost": money(purchase.recurring_monthly_cost),
            "break_even_months": one_decimal(purchase.break_even_months),
            "average_utilization": one_decimal(purchase.average_utilization),
        }
    # Fields Cost Explorer did not give are left out rather than sent as null.
    return {key: value for key, value in item.items() if value is not None}


def _summary(
    savings_plan: dict[str, Any] | None,
    reserved: dict[str, Any] | None,
    coverage: dict[str, Any] | None,
    currency: str,
    choice: Choice,
) -> str:
    terms = f"{choice.term}, {choice.payment_option}"
    parts = []
    if savings_plan:
        parts.append(
            f"Compute Savings Plan ({terms}): commit {savings_plan['hourly_commitment']} "
            f"{currency}/hour to save {savings_plan['estimated_monthly_savings']} {currency} a "
            f"month ({savings_plan['estimated_savings_percent']}%)"
        )
    if reserved:
        count = reserved["recommendation_count"]
        parts.append(
            f"{'or ' if savings_plan else ''}EC2 Reserved Instances ({terms}): {count} purchase"
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
