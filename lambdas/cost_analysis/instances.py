"""Running EC2 instances ranked by monthly cost, with purchase option, 14-day CPU and tags.

Per region (in parallel, `scan_regions`): one paginated DescribeInstances, one Price List
request for every instance type seen there and batched GetMetricData for CPU. Across regions:
at most one Cost Explorer GetCostAndUsageWithResources request (its pages), which needs the
"hourly and resource level data" opt-in; without it costs are On-Demand list price x 730 h.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from cost_analysis import inventory
from cost_analysis.cost_explorer import pages
from opsagent_shared import aws, clock
from opsagent_shared.errors import BadRequest, CostDataUnavailable
from opsagent_shared.metrics import SeriesSummary
from opsagent_shared.money import ZERO, money, monthly_from_hourly, to_decimal
from opsagent_shared.periods import Period
from opsagent_shared.regions import scan_regions, target_regions
from opsagent_shared.responses import tool_response

# Amortized, not unblended: usage covered by a Reserved Instance is $0 unblended and Savings
# Plan negations cancel covered usage, so only amortized cost ranks covered instances fairly.
RESOURCE_COST_METRIC = "AmortizedCost"

EC2_COMPUTE_SERVICE = "Amazon Elastic Compute Cloud - Compute"
RESOURCE_DAYS = 14  # Cost Explorer keeps resource-level data for the last 14 days
DAYS_PER_MONTH = Decimal("730") / 24  # the same month as list price x 730 h
SOURCE_COST_EXPLORER = "cost_explorer_resource_level"
SOURCE_LIST_PRICE = "on_demand_list_price"
MAX_TAGS = 5
MAX_TAG_KEY = 32
MAX_TAG_VALUE = 48
MAX_IDS_IN_NOTE = 5


@dataclass
class RegionFleet:
    instances: list[inventory.Instance]
    prices: dict[str, Decimal]
    cpu: dict[str, SeriesSummary]
    notes: list[str] = field(default_factory=list)


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    scan = scan_regions(chosen, _scan_region)
    notes = list(scan.notes)
    fleets = [scan.results[r] for r in chosen if r in scan.results]
    for fleet in fleets:
        notes.extend(fleet.notes)
    running = [i for fleet in fleets for i in fleet.instances]

    window = Period(start=clock.today() - timedelta(days=RESOURCE_DAYS), end=clock.today())
    billed: dict[str, Decimal] = {}
    source = SOURCE_LIST_PRICE
    if running:
        try:
            billed = _resource_costs(window)
            source = SOURCE_COST_EXPLORER
        except (CostDataUnavailable, BadRequest) as error:
            notes.append(
                f"Cost Explorer resource-level data is not available ({error}); monthly_cost is "
                "On-Demand list price x 730 h. Turn on hourly and resource-level data for EC2 "
                "in Cost Management preferences to rank by billed cost."
            )

    rows: list[dict[str, Any]] = []
    unpriced: dict[tuple[str, str], list[str]] = defaultdict(list)
    list_priced_in_ce_mode = 0
    has_spot_estimate = False
    for fleet in fleets:
        for instance in fleet.instances:
            cost = billed.get(instance.id)
            basis = SOURCE_COST_EXPLORER
            if cost is None:
                hourly = fleet.prices.get(instance.instance_type)
                if hourly is None:
                    unpriced[(instance.region, instance.instance_type)].append(instance.id)
                    continue
                cost = monthly_from_hourly(hourly)
                basis = SOURCE_LIST_PRICE
                if source == SOURCE_COST_EXPLORER:
                    list_priced_in_ce_mode += 1
                if instance.lifecycle == "spot":
                    has_spot_estimate = True
            rows.append(_row(instance, cost, basis, fleet.cpu.get(instance.id)))

    rows.sort(key=lambda r: (-r["cost"], r["region"], r["instance_id"]))
    total = sum((r["cost"] for r in rows), ZERO)

    if source == SOURCE_COST_EXPLORER:
        notes.append(
            f"monthly_cost is amortized EC2 compute cost from {window.start} to "
            f"{window.end - timedelta(days=1)}, averaged over the days each instance ran, over "
            "a 730-hour month; it reflects Spot prices and Reserved Instance or Savings Plan "
            "discounts."
        )
        if list_priced_in_ce_mode:
            notes.append(
                f"{list_priced_in_ce_mode} instance(s) had no resource-level cost yet (launched "
                "recently); their monthly_cost is On-Demand list price x 730 h "
                "(cost_basis on_demand_list_price)."
            )
    if rows:
        notes.append(
            "purchase_option 'on-demand' means not Spot: Reserved Instance and Savings Plan "
            "coverage is not visible per instance."
        )
    if any(r["cost_basis"] == SOURCE_LIST_PRICE for r in rows):
        notes.append(
            "cost_basis on_demand_list_price: Linux, shared-tenancy on-demand list price x 730 h; "
            "the bill is lower where Reserved Instances or Savings Plans apply and higher for "
            "Windows or licensed software."
        )
    if has_spot_estimate:
        notes.append(
            "Spot instances are priced at the On-Demand list price: an upper bound, Spot is "
            "usually much cheaper."
        )
    for (region, instance_type), ids in sorted(unpriced.items()):
        shown = ", ".join(ids[:MAX_IDS_IN_NOTE]) + (" ..." if len(ids) > MAX_IDS_IN_NOTE else "")
        notes.append(
            f"no On-Demand list price for {instance_type} in {region}; {len(ids)} instance(s) "
            f"not ranked: {shown}"
        )
    if any(r["cpu_avg_14d"] is None for r in rows):
        notes.append("cpu_avg_14d/cpu_max_14d are null where CloudWatch has no CPU data.")

    scanned = [r for r in chosen if r in scan.results]
    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} running instance(s) in {len(scanned)} region(s) cost about "
            f"{money(total)} USD a month; highest: {first['instance_id']}"
            + (f" ({first['name']})" if first["name"] else "")
            + f" {first['type']} in {first['region']} at {money(first['cost'])}"
        )
    else:
        summary = f"No priced running instances in {len(scanned)} region(s) scanned."
    return tool_response(
        summary=summary,
        items=[_item(r) for r in rows],
        period=window.describe(),
        currency="USD",
        notes=notes,
        top=top,
        cost_source=source,
        total_monthly_cost=money(total),
        regions=scanned,
    )


def _scan_region(region: str) -> RegionFleet:
    running = inventory.instances(region)
    notes: list[str] = []
    prices: dict[str, Decimal] = {}
    try:
        prices = inventory.on_demand_prices(region, {i.instance_type for i in running})
    except aws.failures() as error:
        reason = aws.reason(error)
        notes.append(f"list prices for {region} could not be read ({reason}).")
    cpu = inventory.cpu_utilization(region, [i.id for i in running])
    return RegionFleet(instances=running, prices=prices, cpu=cpu, notes=notes)


def _resource_costs(window: Period) -> dict[str, Decimal]:
    """Monthly cost per instance ID from one GetCostAndUsageWithResources request."""
    request: dict[str, Any] = {
        "TimePeriod": window.as_time_period(),
        "Granularity": "DAILY",
        "Filter": {"Dimensions": {"Key": "SERVICE", "Values": [EC2_COMPUTE_SERVICE]}},
        "Metrics": [RESOURCE_COST_METRIC],
        "GroupBy": [{"Type": "DIMENSION", "Key": "RESOURCE_ID"}],
    }
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    days: dict[str, int] = defaultdict(int)
    for page in pages("get_cost_and_usage_with_resources", **request):
        for day in page.get("ResultsByTime", []):
            for group in day.get("Groups", []):
                amount = to_decimal(
                    group.get("Metrics", {}).get(RESOURCE_COST_METRIC, {}).get("Amount")
                )
                if amount > ZERO:
                    resource = group["Keys"][0]
                    totals[resource] += amount
                    days[resource] += 1
    return {r: totals[r] / days[r] * DAYS_PER_MONTH for r in totals}


def _row(
    instance: inventory.Instance, cost: Decimal, basis: str, cpu: SeriesSummary | None
) -> dict[str, Any]:
    launched = instance.launch_time
    age = max(0, (clock.now() - launched).days) if launched else None
    return {
        "instance_id": instance.id,
        "name": instance.name,
        "region": instance.region,
        "type": instance.instance_type,
        "purchase_option": instance.lifecycle,
        "cost": cost,
        "cost_basis": basis,
        "cpu_avg_14d": _percent(cpu.mean if cpu else None),
        "cpu_max_14d": _percent(cpu.maximum if cpu else None),
        "tags": _tags(instance.tags),
        "launch_age_days": age,
    }


def _item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "instance_id": row["instance_id"],
        "name": row["name"],
        "region": row["region"],
        "type": row["type"],
        "purchase_option": row["purchase_option"],
        "monthly_cost": money(row["cost"]),
        "cost_basis": row["cost_basis"],
        "cpu_avg_14d": row["cpu_avg_14d"],
        "cpu_max_14d": row["cpu_max_14d"],
        "tags": row["tags"],
        "launch_age_days": row["launch_age_days"],
    }


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _tags(tags: dict[str, str]) -> dict[str, str]:
    """At most MAX_TAGS tags besides Name, the account's own before aws: ones, cut short."""
    keys = sorted((k for k in tags if k != "Name"), key=lambda k: (k.startswith("aws:"), k))
    return {_cut(k, MAX_TAG_KEY): _cut(tags[k], MAX_TAG_VALUE) for k in keys[:MAX_TAGS]}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
