"""Savings Plans and Reserved Instances purchases: off unless enabled, capped even then.

A purchase cannot be undone (Savings Plans can be returned only within 7 days of a small
purchase; Reserved Instances can only be sold on the Marketplace), so the tool proposes one
only when `purchases_enabled` is on, and only when its monthly commitment
(`change_control.changes.monthly_commitment`) is within `max_monthly_commitment_usd`. The
approvals function checks both again before it buys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from change_control.changes import TERM_MONTHS, Action, Kind, monthly_commitment
from change_control.proposals import Resource
from change_control.resources import (
    SAVINGS_PLANS_REGION,
    reserved_instances_offering_state_from,
    savings_plan_offering_state_from,
)
from cost_analysis.commitments import SavingsPlansAnswer, choice, fetch_savings_plans

from change_proposals.drafting import Draft, Policy, Store, submit
from opsagent_shared import aws
from opsagent_shared.errors import BadRequest
from opsagent_shared.money import HOURS_PER_MONTH, ZERO, money, to_decimal
from opsagent_shared.pricing import PRICING_REGION, on_demand_hourly

TERM_SECONDS = {"ONE_YEAR": 31_536_000, "THREE_YEARS": 94_608_000}
# The tool's choices (cost_analysis.choices.PAYMENT_OPTIONS) as the purchase APIs name them.
PAYMENT_NAMES = {
    "NO_UPFRONT": "No Upfront",
    "PARTIAL_UPFRONT": "Partial Upfront",
    "ALL_UPFRONT": "All Upfront",
}
# CreateSavingsPlan: `commitment` is hourly, in the offering's currency (0.001 to 1 million);
# `upfrontPaymentAmount` only for Partial Upfront, 50-99% of the plan's total value.
# https://docs.aws.amazon.com/savingsplans/latest/APIReference/API_CreateSavingsPlan.html
PARTIAL_UPFRONT_SHARE = Decimal("0.5")
RI_PRODUCT = "Linux/UNIX"
LOOKBACK_DAYS = 30
IRREVOCABLE = (
    "A purchase cannot be undone: a Savings Plan can be returned only within 7 days (small "
    "purchases), a Reserved Instance only sold on the Reserved Instance Marketplace"
)


def purchases_allowed(policy: Policy) -> None:
    if not policy.purchases_enabled:
        raise BadRequest(
            "purchases are off in this deployment (purchases_enabled=false): nothing can be "
            "bought through the agent. Show the recommendation instead; an administrator can "
            "turn purchases on with a monthly cap (README: Settings)."
        )


def within_cap(action: Action, parameters: Mapping[str, Any], policy: Policy) -> Decimal:
    monthly = monthly_commitment(action, parameters)
    if monthly > policy.max_monthly_commitment:
        raise BadRequest(
            f"this purchase commits ${money(monthly)} a month, over the configured cap of "
            f"${money(policy.max_monthly_commitment)} (max_monthly_commitment_usd); propose a "
            "smaller one"
        )
    return monthly


# --- Savings Plans ---------------------------------------------------------------------------


def run_savings_plan(
    *,
    commitment_per_hour: Decimal,
    term: str,
    payment_option: str,
    policy: Policy,
    store: Store,
    now: datetime,
) -> dict[str, Any]:
    purchases_allowed(policy)  # before any call
    # The commitment is known before any call, and the cap with it: no paid call for nothing.
    within_cap(
        Action.PURCHASE_SAVINGS_PLAN,
        {"commitment_per_hour": str(commitment_per_hour), "term": term},
        policy,
    )
    offering = savings_plan_offering(term, payment_option)
    recommendation = fetch_savings_plans(choice(term, payment_option, LOOKBACK_DAYS))
    draft = savings_plan_draft(
        offering,
        commitment_per_hour=commitment_per_hour,
        term=term,
        payment_option=payment_option,
        recommendation=recommendation.value,
        recommendation_note=recommendation.failure,
        policy=policy,
    )
    return submit(draft, policy=policy, store=store, now=now)


def savings_plan_offering(term: str, payment_option: str) -> Mapping[str, Any]:
    """The Compute Savings Plans offering for a term and payment option (USD)."""
    client = aws.client("savingsplans", SAVINGS_PLANS_REGION)
    with aws.calling("Savings Plans DescribeSavingsPlansOfferings"):
        found = client.describe_savings_plans_offerings(
            planTypes=["Compute"],
            durations=[TERM_SECONDS[term]],
            paymentOptions=[PAYMENT_NAMES[payment_option]],
            currencies=["USD"],
        ).get("searchResults", [])
    if not found:
        raise BadRequest(f"no Compute Savings Plans offering for {term} {payment_option}")
    return dict(found[0])


def savings_plan_draft(
    offering: Mapping[str, Any],
    *,
    commitment_per_hour: Decimal,
    term: str,
    payment_option: str,
    recommendation: SavingsPlansAnswer | None,
    recommendation_note: str | None,
    policy: Policy,
) -> Draft:
    purchases_allowed(policy)
    total = commitment_per_hour * HOURS_PER_MONTH * TERM_MONTHS[term]
    upfront = {
        "NO_UPFRONT": ZERO,
        # Up: a whole number, never below half (rounded down it can be 49.9%, which AWS refuses).
        "PARTIAL_UPFRONT": (total * PARTIAL_UPFRONT_SHARE).quantize(
            Decimal("1"), rounding=ROUND_CEILING
        ),
        "ALL_UPFRONT": ZERO,  # All Upfront charges the whole total on purchase by itself
    }[payment_option]
    parameters = {
        "plan_type": "Compute",
        "term": term,
        "payment_option": PAYMENT_NAMES[payment_option],
        "commitment_per_hour": str(commitment_per_hour),
        "upfront_payment": str(upfront),
    }
    monthly = within_cap(Action.PURCHASE_SAVINGS_PLAN, parameters, policy)
    notes = [recommendation_note] if recommendation_note else []
    recommended = recommendation.hourly_commitment if recommendation else None
    saving = ZERO
    if recommendation and recommended and recommendation.monthly_savings:
        saving = recommendation.monthly_savings * min(Decimal(1), commitment_per_hour / recommended)
        if commitment_per_hour > recommended:
            notes.append(
                f"Cost Explorer recommends ${recommended}/h; the commitment above it may go "
                "unused and saves nothing more."
            )
    else:
        notes.append("Cost Explorer has no Savings Plans recommendation: saving not estimated.")
    return Draft(
        action=Action.PURCHASE_SAVINGS_PLAN,
        resource=Resource(
            kind=Kind.SAVINGS_PLAN,
            id=str(offering.get("offeringId", "")),
            region=SAVINGS_PLANS_REGION,
        ),
        parameters=parameters,
        summary=(
            f"Buy a Compute Savings Plan: ${commitment_per_hour}/h for {term.replace('_', ' ')}"
            f" ({PAYMENT_NAMES[payment_option]})"
        ),
        reason=(
            f"Commits ${money(monthly)} a month, ${money(total)} over the term; Cost Explorer "
            f"estimates ${money(saving)} a month saved on current usage"
        ),
        monthly_saving=saving,
        risk=f"{IRREVOCABLE}. Usage that falls below the commitment is still paid for",
        revert=IRREVOCABLE,
        state=savings_plan_offering_state_from(offering),
        notes=tuple(notes),
    )


# --- Reserved Instances ----------------------------------------------------------------------


def run_reserved_instances(
    *,
    instance_type: str,
    instance_count: int,
    term: str,
    payment_option: str,
    region: str,
    policy: Policy,
    store: Store,
    now: datetime,
) -> dict[str, Any]:
    purchases_allowed(policy)
    offering = reserved_instances_offering(region, instance_type, term, payment_option)
    with aws.calling("Price List GetProducts"):
        hourly = on_demand_hourly(aws.client("pricing", PRICING_REGION), region, [instance_type])
    draft = reserved_instances_draft(
        offering,
        region=region,
        instance_count=instance_count,
        term=term,
        payment_option=payment_option,
        on_demand_hourly=hourly.get(instance_type),
        policy=policy,
    )
    return submit(draft, policy=policy, store=store, now=now)


def reserved_instances_offering(
    region: str, instance_type: str, term: str, payment_option: str
) -> Mapping[str, Any]:
    """The regional, standard, Linux, default-tenancy offering from AWS (not the Marketplace)."""
    ec2 = aws.client("ec2", region)
    with aws.calling(f"EC2 DescribeReservedInstancesOfferings in {region}"):
        found = ec2.describe_reserved_instances_offerings(
            InstanceType=instance_type,
            ProductDescription=RI_PRODUCT,
            InstanceTenancy="default",
            OfferingClass="standard",
            OfferingType=PAYMENT_NAMES[payment_option],
            MinDuration=TERM_SECONDS[term],
            MaxDuration=TERM_SECONDS[term],
            IncludeMarketplace=False,
            Filters=[{"Name": "scope", "Values": ["Region"]}],
        ).get("ReservedInstancesOfferings", [])
    # Only what was asked for, whatever the filters matched.
    matching = [
        o
        for o in found
        if o.get("InstanceType") == instance_type
        and o.get("Duration") == TERM_SECONDS[term]
        and o.get("OfferingType") == PAYMENT_NAMES[payment_option]
    ]
    if not matching:
        raise BadRequest(
            f"no {term} {payment_option} Reserved Instance offering for {instance_type} in {region}"
        )
    return dict(matching[0])


def reserved_instances_draft(
    offering: Mapping[str, Any],
    *,
    region: str,
    instance_count: int,
    term: str,
    payment_option: str,
    on_demand_hourly: Decimal | None,
    policy: Policy,
) -> Draft:
    purchases_allowed(policy)
    instance_type = str(offering.get("InstanceType"))
    upfront = to_decimal(offering.get("FixedPrice"))
    recurring = sum(
        (
            to_decimal(c.get("Amount"))
            for c in offering.get("RecurringCharges", [])
            if c.get("Frequency") == "Hourly"
        ),
        to_decimal(offering.get("UsagePrice")),
    )
    parameters = {
        "instance_type": instance_type,
        "instance_count": instance_count,
        "term": term,
        "payment_option": PAYMENT_NAMES[payment_option],
        "upfront_usd": str(upfront),
        "recurring_hourly_usd": str(recurring),
        "limit_price_usd": str(upfront * instance_count),
    }
    monthly = within_cap(Action.PURCHASE_RESERVED_INSTANCES, parameters, policy)
    saving = (
        max(ZERO, on_demand_hourly * HOURS_PER_MONTH * instance_count - monthly)
        if on_demand_hourly is not None
        else ZERO
    )
    return Draft(
        action=Action.PURCHASE_RESERVED_INSTANCES,
        resource=Resource(
            kind=Kind.RESERVED_INSTANCES,
            id=str(offering.get("ReservedInstancesOfferingId", "")),
            region=region,
        ),
        parameters=parameters,
        summary=(
            f"Buy {instance_count} x {instance_type} Reserved Instances in {region}, "
            f"{term.replace('_', ' ')} ({PAYMENT_NAMES[payment_option]})"
        ),
        reason=(
            f"Commits ${money(monthly)} a month (${money(upfront * instance_count)} upfront); "
            + (
                f"against On-Demand at ${on_demand_hourly}/h that saves ${money(saving)} a month"
                if on_demand_hourly is not None
                else "no On-Demand list price found, so the saving is not estimated"
            )
        ),
        monthly_saving=saving,
        risk=f"{IRREVOCABLE}. Only running {instance_type} Linux instances in {region} use it",
        revert=IRREVOCABLE,
        state=reserved_instances_offering_state_from(offering),
    )
