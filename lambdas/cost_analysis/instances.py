"""Running EC2 instances ranked by monthly cost, with purchase option, 14-day CPU and tags.

Per region (in parallel, `scan_regions`): one paginated DescribeInstances, one Price List
request for every instance type seen there and batched GetMetricData for CPU. Across regions:
at most one Cost Explorer GetCostAndUsageWithResources request (its pages), which needs the
"hourly and resource level data" opt-in; without it costs are On-Demand list price x 730 h.

`run` is fetch (`fetch_region`, `fetch_resource_costs`) -> pure analysis over frozen dataclasses
(`analyze`, `monthly_costs`) -> rendering of the tool response (`render`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cost_analysis import inventory
from cost_analysis.cost_explorer import pages
from opsagent_shared import clock
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


# --- what is read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionFleet:
    """One region's running instances, their types' list prices and their 14-day CPU."""

    region: str
    instances: tuple[inventory.Instance, ...]
    prices: inventory.ListPrices
    cpu: Mapping[str, SeriesSummary]


@dataclass(frozen=True)
class ResourceCost:
    """One group of GetCostAndUsageWithResources: a resource's amortized cost on one day."""

    resource_id: str
    amount: Decimal


@dataclass(frozen=True)
class ResourceCosts:
    """Cost Explorer's resource-level answer, or why there is none."""

    groups: tuple[ResourceCost, ...] = ()
    unavailable: str | None = None  # the error, when Cost Explorer could not answer


# --- what is worked out ----------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceCost:
    instance_id: str
    name: str
    region: str
    instance_type: str
    purchase_option: str
    monthly_cost: Decimal
    cost_basis: str  # SOURCE_COST_EXPLORER or SOURCE_LIST_PRICE
    cpu_avg_14d: float | None
    cpu_max_14d: float | None
    tags: Mapping[str, str]
    launch_age_days: int | None


@dataclass(frozen=True)
class Unranked:
    """Instances of a type without a list price (and without resource-level cost)."""

    region: str
    instance_type: str
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class FleetCosts:
    rows: tuple[InstanceCost, ...]  # most expensive first; ties by region, then instance ID
    total: Decimal
    source: str  # SOURCE_COST_EXPLORER when resource-level data answered, else SOURCE_LIST_PRICE
    window: Period
    regions: tuple[str, ...]  # scanned, in the order asked for
    unreadable_prices: tuple[tuple[str, str], ...] = ()  # (region, reason)
    cost_data_unavailable: str | None = None
    list_priced_in_ce_mode: int = 0  # no resource-level cost yet: priced at list price
    spot_estimated: bool = False  # a Spot instance is priced at the On-Demand list price
    unranked: tuple[Unranked, ...] = ()  # by region, then instance type

    @property
    def any_list_priced(self) -> bool:
        return any(r.cost_basis == SOURCE_LIST_PRICE for r in self.rows)

    @property
    def any_without_cpu(self) -> bool:
        return any(r.cpu_avg_14d is None for r in self.rows)


def run(*, regions: str | None, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    scan = scan_regions(chosen, fetch_region)
    fleets = [scan.results[r] for r in chosen if r in scan.results]
    now = clock.now()
    window = resource_window(now.date())
    billed = fetch_resource_costs(window) if any(f.instances for f in fleets) else None
    return render(analyze(fleets, billed, window=window, now=now), scan_notes=scan.notes, top=top)


# --- fetch -----------------------------------------------------------------------------------


def fetch_region(region: str) -> RegionFleet:
    running = inventory.instances(region)
    prices = inventory.list_prices(region, {i.instance_type for i in running})
    cpu = inventory.cpu_utilization(region, [i.id for i in running])
    return RegionFleet(region=region, instances=tuple(running), prices=prices, cpu=cpu)


def fetch_resource_costs(window: Period) -> ResourceCosts:
    """Every group of one GetCostAndUsageWithResources request (its pages), or why not."""
    request: dict[str, Any] = {
        "TimePeriod": window.as_time_period(),
        "Granularity": "DAILY",
        "Filter": {"Dimensions": {"Key": "SERVICE", "Values": [EC2_COMPUTE_SERVICE]}},
        "Metrics": [RESOURCE_COST_METRIC],
        "GroupBy": [{"Type": "DIMENSION", "Key": "RESOURCE_ID"}],
    }
    groups: list[ResourceCost] = []
    try:
        for page in pages("get_cost_and_usage_with_resources", **request):
            for day in page.get("ResultsByTime", []):
                for group in day.get("Groups", []):
                    amount = group.get("Metrics", {}).get(RESOURCE_COST_METRIC, {}).get("Amount")
                    groups.append(
                        ResourceCost(resource_id=group["Keys"][0], amount=to_decimal(amount))
                    )
    except (CostDataUnavailable, BadRequest) as error:
        return ResourceCosts(unavailable=str(error))
    return ResourceCosts(groups=tuple(groups))


# --- analysis (pure) -------------------------------------------------------------------------


def resource_window(today: date) -> Period:
    """The 14 days Cost Explorer keeps resource-level data for, up to `today` (exclusive)."""
    return Period(start=today - timedelta(days=RESOURCE_DAYS), end=today)


def monthly_costs(groups: Iterable[ResourceCost]) -> dict[str, Decimal]:
    """Monthly cost per resource: its average over the days it cost anything, x 730 h / 24."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    days: dict[str, int] = defaultdict(int)
    for group in groups:
        if group.amount > ZERO:
            totals[group.resource_id] += group.amount
            days[group.resource_id] += 1
    return {r: totals[r] / days[r] * DAYS_PER_MONTH for r in totals}


def analyze(
    fleets: Sequence[RegionFleet],
    billed: ResourceCosts | None,
    *,
    window: Period,
    now: datetime,
) -> FleetCosts:
    """Each running instance's monthly cost: resource-level cost where Cost Explorer has it,
    else list price x 730 h; instances with neither are left unranked."""
    by_resource: dict[str, Decimal] = {}
    source = SOURCE_LIST_PRICE
    if billed is not None and billed.unavailable is None:
        by_resource = monthly_costs(billed.groups)
        source = SOURCE_COST_EXPLORER

    rows: list[InstanceCost] = []
    unpriced: dict[tuple[str, str], list[str]] = defaultdict(list)
    list_priced_in_ce_mode = 0
    spot_estimated = False
    for fleet in fleets:
        for instance in fleet.instances:
            cost = by_resource.get(instance.id)
            basis = SOURCE_COST_EXPLORER
            if cost is None:
                hourly = fleet.prices.hourly.get(instance.instance_type)
                if hourly is None:
                    unpriced[(instance.region, instance.instance_type)].append(instance.id)
                    continue
                cost = monthly_from_hourly(hourly)
                basis = SOURCE_LIST_PRICE
                if source == SOURCE_COST_EXPLORER:
                    list_priced_in_ce_mode += 1
                if instance.lifecycle == "spot":
                    spot_estimated = True
            rows.append(_row(instance, cost, basis, fleet.cpu.get(instance.id), now=now))

    rows.sort(key=lambda r: (-r.monthly_cost, r.region, r.instance_id))
    return FleetCosts(
        rows=tuple(rows),
        total=sum((r.monthly_cost for r in rows), ZERO),
        source=source,
        window=window,
        regions=tuple(f.region for f in fleets),
        unreadable_prices=tuple(
            (f.region, f.prices.unreadable) for f in fleets if f.prices.unreadable is not None
        ),
        cost_data_unavailable=billed.unavailable if billed is not None else None,
        list_priced_in_ce_mode=list_priced_in_ce_mode,
        spot_estimated=spot_estimated,
        unranked=tuple(
            Unranked(region=region, instance_type=instance_type, instance_ids=tuple(ids))
            for (region, instance_type), ids in sorted(unpriced.items())
        ),
    )


def _row(
    instance: inventory.Instance,
    cost: Decimal,
    basis: str,
    cpu: SeriesSummary | None,
    *,
    now: datetime,
) -> InstanceCost:
    launched = instance.launch_time
    return InstanceCost(
        instance_id=instance.id,
        name=instance.name,
        region=instance.region,
        instance_type=instance.instance_type,
        purchase_option=instance.lifecycle,
        monthly_cost=cost,
        cost_basis=basis,
        cpu_avg_14d=_percent(cpu.mean if cpu else None),
        cpu_max_14d=_percent(cpu.maximum if cpu else None),
        tags=_tags(instance.tags),
        launch_age_days=max(0, (now - launched).days) if launched else None,
    )


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _tags(tags: Mapping[str, str]) -> dict[str, str]:
    """At most MAX_TAGS tags besides Name, the account's own before aws: ones, cut short."""
    keys = sorted((k for k in tags if k != "Name"), key=lambda k: (k.startswith("aws:"), k))
    return {_cut(k, MAX_TAG_KEY): _cut(tags[k], MAX_TAG_VALUE) for k in keys[:MAX_TAGS]}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- render ----------------------------------------------------------------------------------


def render(costs: FleetCosts, *, scan_notes: Sequence[str], top: int) -> dict[str, Any]:
    rows, window = costs.rows, costs.window
    notes = list(scan_notes)
    for region, reason in costs.unreadable_prices:
        notes.append(f"list prices for {region} could not be read ({reason}).")
    if costs.cost_data_unavailable is not None:
        notes.append(
            f"Cost Explorer resource-level data is not available ({costs.cost_data_unavailable}"
            "); monthly_cost is On-Demand list price x 730 h. Turn on hourly and resource-level "
            "data for EC2 in Cost Management preferences to rank by billed cost."
        )
    if costs.source == SOURCE_COST_EXPLORER:
        notes.append(
            f"monthly_cost is amortized EC2 compute cost from {window.start} to "
            f"{window.end - timedelta(days=1)}, averaged over the days each instance ran, over "
            "a 730-hour month; it reflects Spot prices and Reserved Instance or Savings Plan "
            "discounts."
        )
        if costs.list_priced_in_ce_mode:
            notes.append(
                f"{costs.list_priced_in_ce_mode} instance(s) had no resource-level cost yet "
                "(launched recently); their monthly_cost is On-Demand list price x 730 h "
                "(cost_basis on_demand_list_price)."
            )
    if rows:
        notes.append(
            "purchase_option 'on-demand' means not Spot: Reserved Instance and Savings Plan "
            "coverage is not visible per instance."
        )
    if costs.any_list_priced:
        notes.append(
            "cost_basis on_demand_list_price: Linux, shared-tenancy on-demand list price x 730 h; "
            "the bill is lower where Reserved Instances or Savings Plans apply and higher for "
            "Windows or licensed software."
        )
    if costs.spot_estimated:
        notes.append(
            "Spot instances are priced at the On-Demand list price: an upper bound, Spot is "
            "usually much cheaper."
        )
    for unranked in costs.unranked:
        ids = unranked.instance_ids
        shown = ", ".join(ids[:MAX_IDS_IN_NOTE]) + (" ..." if len(ids) > MAX_IDS_IN_NOTE else "")
        notes.append(
            f"no On-Demand list price for {unranked.instance_type} in {unranked.region}; "
            f"{len(ids)} instance(s) not ranked: {shown}"
        )
    if costs.any_without_cpu:
        notes.append("cpu_avg_14d/cpu_max_14d are null where CloudWatch has no CPU data.")

    if rows:
        first = rows[0]
        summary = (
            f"{len(rows)} running instance(s) in {len(costs.regions)} region(s) cost about "
            f"{money(costs.total)} USD a month; highest: {first.instance_id}"
            + (f" ({first.name})" if first.name else "")
            + f" {first.instance_type} in {first.region} at {money(first.monthly_cost)}"
        )
    else:
        summary = f"No priced running instances in {len(costs.regions)} region(s) scanned."
    return tool_response(
        summary=summary,
        items=[_item(r) for r in rows],
        period=window.describe(),
        currency="USD",
        notes=notes,
        top=top,
        cost_source=costs.source,
        total_monthly_cost=money(costs.total),
        regions=list(costs.regions),
    )


def _item(row: InstanceCost) -> dict[str, Any]:
    return {
        "instance_id": row.instance_id,
        "name": row.name,
        "region": row.region,
        "type": row.instance_type,
        "purchase_option": row.purchase_option,
        "monthly_cost": money(row.monthly_cost),
        "cost_basis": row.cost_basis,
        "cpu_avg_14d": row.cpu_avg_14d,
        "cpu_max_14d": row.cpu_max_14d,
        "tags": dict(row.tags),
        "launch_age_days": row.launch_age_days,
    }
