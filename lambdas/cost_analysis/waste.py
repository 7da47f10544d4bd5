"""Idle and wasted resources, each with an estimated monthly waste at list prices.

Per region (in parallel, `scan_regions`), a bounded number of calls whatever the fleet size:
DescribeVolumes, DescribeAddresses, DescribeNatGateways, DescribeSnapshots, DescribeInstances,
DescribeLoadBalancers and DescribeTargetGroups (paginated list calls), one batched set of
GetMetricData calls (500 series each) for CPU, NAT gateway traffic and load balancer
targets/requests together, and at most one Price List request (only when a low-utilization
instance needs pricing).

`run` is fetch (`fetch_region`) -> pure analysis over frozen dataclasses (`region_waste` for
each region, then `report` across them) -> rendering of the tool response (`render`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cost_analysis import inventory
from opsagent_shared import aws, clock
from opsagent_shared.ebs import GP3_BASELINE_IOPS, gp3_matching, gp3_saving
from opsagent_shared.metrics import MetricQuery, SeriesSummary, fetch_series
from opsagent_shared.money import HOURS_PER_MONTH, ZERO, money, monthly_from_hourly, to_decimal
from opsagent_shared.periods import Period
from opsagent_shared.regions import scan_regions, target_regions
from opsagent_shared.responses import tool_response

# List prices, us-east-1, USD (aws.amazon.com/ebs/pricing, /vpc/pricing,
# /elasticloadbalancing/pricing). Other regions cost the same or up to ~30% more, so waste
# elsewhere is a slight underestimate; the response says these are list-price estimates.
EBS_GB_MONTH = {
    "gp2": Decimal("0.10"),
    "gp3": Decimal("0.08"),
    "io1": Decimal("0.125"),
    "io2": Decimal("0.125"),
    "st1": Decimal("0.045"),
    "sc1": Decimal("0.015"),
    "standard": Decimal("0.05"),
}
SNAPSHOT_GB_MONTH = Decimal("0.05")  # standard tier; applied to the source volume size
PUBLIC_IPV4_HOUR = Decimal("0.005")  # per public IPv4 address, 3.65 a month
NAT_GATEWAY_HOUR = Decimal("0.045")  # 32.85 a month before data processing
LOAD_BALANCER_HOUR = {"application": Decimal("0.0225"), "network": Decimal("0.0225")}  # 16.43

LOW_CPU_MEAN = 5.0  # percent, mean of daily averages over 14 days
LOW_CPU_P95 = 10.0  # percent, p95 of daily maxima over 14 days
MIN_CPU_DAYS = 7  # fewer daily points than this is not evidence of idleness
SNAPSHOT_AGE_DAYS = 90
METRIC_DAYS = inventory.METRIC_DAYS
LB_NAMESPACE = {"application": "AWS/ApplicationELB", "network": "AWS/NetworkELB"}
LB_TRAFFIC_METRIC = {"application": "RequestCount", "network": "NewFlowCount"}

ACTIONS = {
    "unattached_volume": "Snapshot it if the data may be needed, then delete the volume.",
    "gp2_volume": "Modify the volume to gp3 (online, no detach or downtime).",
    "unassociated_eip": "Release the address if nothing needs it.",
    "idle_nat_gateway": "Delete it after checking no route table still needs its egress.",
    "stopped_instance_volumes": (
        "Terminate the instance if it is no longer needed (snapshot volumes first)."
    ),
    "old_snapshot": "Delete it if no longer needed (deregister any AMI that uses it first).",
    "low_utilization_instance": "Stop it or move it to a smaller type, after asking its owner.",
    "idle_load_balancer": "Delete it if nothing routes to it any more.",
}


# --- what is read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    nats: tuple[inventory.NatGateway, ...]
    balancers: tuple[inventory.LoadBalancer, ...]  # application and network load balancers
    groups_of: Mapping[str, tuple[str, ...]]  # load balancer ARN -> its target group ARNs


@dataclass(frozen=True)
class RegionResources:
    """Everything one region's scan reads: list calls, the batched metrics, list prices."""

    region: str
    volumes: tuple[inventory.Volume, ...]
    instances: tuple[inventory.Instance, ...]  # running and stopped
    addresses: tuple[inventory.Address, ...]
    snapshots: tuple[inventory.Snapshot, ...]
    network: Network
    series: Mapping[str, Sequence[float]]  # by MetricQuery.key: CPU, NAT traffic, LB health
    prices: inventory.ListPrices  # for the low-utilization instances' types (empty: none)

    @property
    def running(self) -> tuple[inventory.Instance, ...]:
        return tuple(i for i in self.instances if i.state == "running")

    @property
    def stopped(self) -> dict[str, inventory.Instance]:
        return {i.id: i for i in self.instances if i.state == "stopped"}


# --- what is worked out ----------------------------------------------------------------------


@dataclass(frozen=True)
class WasteItem:
    kind: str  # a key of ACTIONS
    resource_id: str
    region: str
    monthly_waste: Decimal
    detail: str


@dataclass(frozen=True)
class IdleInstance:
    instance: inventory.Instance
    cpu_mean: float
    cpu_p95: float


@dataclass(frozen=True)
class RegionWaste:
    region: str
    items: tuple[WasteItem, ...] = ()
    unknown_volume_types: tuple[str, ...] = ()  # one per volume without an EBS list price
    prices_unreadable: str | None = None  # why no low-utilization instance could be priced
    unpriced: tuple[inventory.Instance, ...] = ()  # low-utilization instances left unpriced


@dataclass(frozen=True)
class KindTotal:
    kind: str
    count: int
    monthly_waste: Decimal


@dataclass(frozen=True)
class WasteReport:
    items: tuple[WasteItem, ...]  # at or above the threshold, largest first
    below_threshold: int
    threshold: Decimal
    by_kind: tuple[KindTotal, ...]  # largest first; ties by kind
    total: Decimal
    regions: tuple[RegionWaste, ...]  # scanned, in the order asked for
    period: Period


def run(*, regions: str | None, min_monthly_waste: float, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    now = clock.now()
    scan = scan_regions(chosen, fetch_region)
    found = [region_waste(scan.results[r], now=now) for r in chosen if r in scan.results]
    result = report(found, threshold=to_decimal(min_monthly_waste), today=now.date())
    return render(result, scan_notes=scan.notes, top=top)


# --- fetch -----------------------------------------------------------------------------------


def fetch_region(region: str) -> RegionResources:
    volumes = tuple(inventory.parse_volume(v) for v in inventory.volumes(region))
    fleet = tuple(inventory.instances(region, states=("running", "stopped")))
    addresses = tuple(inventory.parse_address(a) for a in inventory.addresses(region))
    snapshots = tuple(inventory.parse_snapshot(s) for s in inventory.snapshots(region))
    network = fetch_network(region)
    running = [i for i in fleet if i.state == "running"]

    # Every metric this scan needs (CPU, NAT traffic, load balancer health) in one batched
    # request set: regions x ceil(queries / 500) GetMetricData calls in all.
    queries = inventory.cpu_queries([i.id for i in running]) + network_queries(network)
    series: dict[str, list[float]] = {}
    if queries:
        start, end = inventory.metric_window()
        series = fetch_series(aws.client("cloudwatch", region), queries, start=start, end=end)

    idle = idle_instances(running, inventory.cpu_summaries(series, [i.id for i in running]))
    prices = (
        inventory.list_prices(region, {i.instance.instance_type for i in idle})
        if idle
        else inventory.ListPrices(hourly={})
    )
    return RegionResources(
        region=region,
        volumes=volumes,
        instances=fleet,
        addresses=addresses,
        snapshots=snapshots,
        network=network,
        series=series,
        prices=prices,
    )


def fetch_network(region: str) -> Network:
    nats = tuple(inventory.parse_nat_gateway(n) for n in inventory.nat_gateways(region))
    balancers = billable_balancers(
        inventory.parse_load_balancer(lb) for lb in inventory.load_balancers(region)
    )
    groups = (
        [inventory.parse_target_group(g) for g in inventory.target_groups(region)]
        if balancers
        else []
    )
    return Network(nats=nats, balancers=balancers, groups_of=groups_by_balancer(balancers, groups))


# --- analysis (pure) -------------------------------------------------------------------------


def billable_balancers(
    balancers: Iterable[inventory.LoadBalancer],
) -> tuple[inventory.LoadBalancer, ...]:
    """The load balancers with an hourly price here (application and network)."""
    return tuple(lb for lb in balancers if lb.type in LOAD_BALANCER_HOUR)


def groups_by_balancer(
    balancers: Sequence[inventory.LoadBalancer], groups: Iterable[inventory.TargetGroup]
) -> dict[str, tuple[str, ...]]:
    """Each load balancer's target group ARNs, in the order the groups were listed."""
    found: dict[str, list[str]] = {lb.arn: [] for lb in balancers}
    for group in groups:
        for arn in group.load_balancer_arns:
            if arn in found:
                found[arn].append(group.arn)
    return {arn: tuple(arns) for arn, arns in found.items()}


def network_queries(network: Network) -> list[MetricQuery]:
    """NAT gateway traffic, and traffic and healthy targets of load balancers with groups."""
    queries = [
        MetricQuery(
            key=_nat_key(nat.id),
            namespace="AWS/NATGateway",
            metric="BytesOutToDestination",
            dimensions={"NatGatewayId": nat.id},
            stat="Sum",
        )
        for nat in network.nats
    ]
    for lb in network.balancers:
        if not network.groups_of[lb.arn]:
            continue  # no target group at all: idle without looking at metrics
        queries.append(
            MetricQuery(
                key=_traffic_key(lb.arn),
                namespace=LB_NAMESPACE[lb.type],
                metric=LB_TRAFFIC_METRIC[lb.type],
                dimensions={"LoadBalancer": _dimension(lb.arn, "loadbalancer/")},
                stat="Sum",
            )
        )
        for group_arn in network.groups_of[lb.arn]:
            queries.append(
                MetricQuery(
                    key=_healthy_key(lb.arn, group_arn),
                    namespace=LB_NAMESPACE[lb.type],
                    metric="HealthyHostCount",
                    dimensions={
                        "LoadBalancer": _dimension(lb.arn, "loadbalancer/"),
                        "TargetGroup": _dimension(group_arn, "targetgroup/", keep_prefix=True),
                    },
                    stat="Maximum",
                )
            )
    return queries


def idle_instances(
    running: Iterable[inventory.Instance], cpu: Mapping[str, SeriesSummary]
) -> tuple[IdleInstance, ...]:
    """Running instances whose CPU says they are idle (`is_idle`)."""
    idle = []
    for instance in running:
        summary = cpu.get(instance.id)
        if summary is not None and is_idle(summary):
            idle.append(
                IdleInstance(
                    instance=instance,
                    cpu_mean=float(summary.mean or 0),  # is_idle: both are set
                    cpu_p95=float(summary.p95 or 0),
                )
            )
    return tuple(idle)


def is_idle(cpu: SeriesSummary) -> bool:
    """At least MIN_CPU_DAYS of daily CPU, mean < 5% and p95 of daily maxima < 10%."""
    return (
        cpu.points >= MIN_CPU_DAYS
        and cpu.mean is not None
        and cpu.p95 is not None
        and cpu.mean < LOW_CPU_MEAN
        and cpu.p95 < LOW_CPU_P95
    )


def region_waste(resources: RegionResources, *, now: datetime) -> RegionWaste:
    """Every wasted resource of one region, with its monthly waste at list prices."""
    region, stopped, running = resources.region, resources.stopped, resources.running
    items: list[WasteItem] = []
    unknown_types: list[str] = []
    for volume in resources.volumes:
        if volume.volume_type not in EBS_GB_MONTH:
            unknown_types.append(volume.volume_type)
            continue
        item = volume_waste(region, volume, stopped)
        if item is not None:
            items.append(item)
    items.extend(stopped_instance_waste(region, resources.volumes, stopped))
    items.extend(address_waste(region, resources.addresses))
    items.extend(snapshot_waste(region, resources.snapshots, now=now))

    cpu = inventory.cpu_summaries(resources.series, [i.id for i in running])
    idle = idle_instances(running, cpu)
    priced, unpriced = low_utilization_waste(region, idle, resources.prices)
    items.extend(priced)
    items.extend(network_waste(region, resources.network, resources.series))
    return RegionWaste(
        region=region,
        items=tuple(items),
        unknown_volume_types=tuple(unknown_types),
        prices_unreadable=resources.prices.unreadable if idle else None,
        unpriced=unpriced,
    )


def volume_waste(
    region: str, volume: inventory.Volume, stopped: Mapping[str, inventory.Instance]
) -> WasteItem | None:
    """An unattached volume's whole cost, or an in-use gp2 volume's saving on gp3; None for
    anything else (a type without a list price, a gp2 volume counted with its stopped instance,
    a volume in use that is not gp2)."""
    size = volume.size_gib
    price = EBS_GB_MONTH.get(volume.volume_type)
    if price is None:
        return None
    if volume.state == "available":
        return WasteItem(
            "unattached_volume",
            volume.id,
            region,
            price * size,
            f"{volume.volume_type} {size} GiB, not attached",
        )
    if volume.volume_type == "gp2" and volume.state == "in-use":
        if any(instance_id in stopped for instance_id in volume.attached_to):
            return None  # counted in full with its stopped instance
        detail = f"gp2 {size} GiB in use"
        matching = gp3_matching(size)
        if matching.iops > GP3_BASELINE_IOPS:
            detail += f"; set gp3 IOPS to {matching.iops} to match"
        saving = gp3_saving(size, price)
        if saving > ZERO:
            return WasteItem("gp2_volume", volume.id, region, saving, detail)
    return None


def stopped_instance_waste(
    region: str,
    volumes: Sequence[inventory.Volume],
    stopped: Mapping[str, inventory.Instance],
) -> list[WasteItem]:
    """Each stopped instance with priced volumes: the storage it keeps paying for."""
    attached: dict[str, list[tuple[str, int, Decimal]]] = {}
    for volume in volumes:
        price = EBS_GB_MONTH.get(volume.volume_type)
        for instance_id in volume.attached_to:
            if instance_id in stopped and price is not None:
                attached.setdefault(instance_id, []).append((volume.id, volume.size_gib, price))
    items = []
    for instance_id, disks in attached.items():
        instance = stopped[instance_id]
        gib = sum(size for _, size, _ in disks)
        label = f"{instance.name} " if instance.name else ""
        items.append(
            WasteItem(
                "stopped_instance_volumes",
                instance_id,
                region,
                sum((price * size for _, size, price in disks), ZERO),
                f"{label}{instance.instance_type} stopped; {len(disks)} volume(s), {gib} GiB",
            )
        )
    return items


def address_waste(region: str, addresses: Iterable[inventory.Address]) -> list[WasteItem]:
    """Elastic IPs associated with nothing: the public IPv4 charge."""
    return [
        WasteItem(
            "unassociated_eip",
            address.resource_id,
            region,
            PUBLIC_IPV4_HOUR * HOURS_PER_MONTH,
            f"{address.public_ip} not associated",
        )
        for address in addresses
        if not address.association_id
    ]


def snapshot_waste(
    region: str, snapshots: Iterable[inventory.Snapshot], *, now: datetime
) -> list[WasteItem]:
    """Snapshots started more than SNAPSHOT_AGE_DAYS before `now`, at their volume's size."""
    cutoff = now - timedelta(days=SNAPSHOT_AGE_DAYS)
    items = []
    for snapshot in snapshots:
        started = snapshot.start_time
        if started is not None and started < cutoff:
            size = snapshot.volume_size_gib
            items.append(
                WasteItem(
                    "old_snapshot",
                    snapshot.id,
                    region,
                    SNAPSHOT_GB_MONTH * size,
                    f"{size} GiB, {(now - started).days} days old",
                )
            )
    return items


def low_utilization_waste(
    region: str, idle: Sequence[IdleInstance], prices: inventory.ListPrices
) -> tuple[list[WasteItem], tuple[inventory.Instance, ...]]:
    """Idle instances at their list price, and those that could not be priced."""
    if prices.unreadable is not None:
        return [], tuple(i.instance for i in idle)
    items = []
    unpriced = []
    for candidate in idle:
        instance = candidate.instance
        hourly = prices.hourly.get(instance.instance_type)
        if hourly is None:
            unpriced.append(instance)
            continue
        label = f"{instance.name} " if instance.name else ""
        spot = " (Spot: list price is an upper bound)" if instance.lifecycle == "spot" else ""
        items.append(
            WasteItem(
                "low_utilization_instance",
                instance.id,
                region,
                monthly_from_hourly(hourly),
                f"{label}{instance.instance_type}, CPU mean {candidate.cpu_mean:.1f}%, p95 of "
                f"daily max {candidate.cpu_p95:.1f}% over {METRIC_DAYS} days{spot}",
            )
        )
    return items, tuple(unpriced)


def network_waste(
    region: str, network: Network, series: Mapping[str, Sequence[float]]
) -> list[WasteItem]:
    """Idle NAT gateways and load balancers without targets, from the batched series."""
    items = []
    for nat in network.nats:
        if sum(series.get(_nat_key(nat.id), [])) <= 0:
            items.append(
                WasteItem(
                    "idle_nat_gateway",
                    nat.id,
                    region,
                    NAT_GATEWAY_HOUR * HOURS_PER_MONTH,
                    f"no bytes sent to destinations in {METRIC_DAYS} days",
                )
            )
    for lb in network.balancers:
        groups = network.groups_of[lb.arn]
        if groups:
            healthy = [v for g in groups for v in series.get(_healthy_key(lb.arn, g), [])]
            traffic = series.get(_traffic_key(lb.arn), [])
            if max(healthy, default=0.0) > 0 or sum(traffic) > 0:
                continue
            detail = (
                f"{lb.type} LB: {len(groups)} target group(s), no healthy targets and no "
                f"{LB_TRAFFIC_METRIC[lb.type]} in {METRIC_DAYS} days"
            )
        else:
            detail = f"{lb.type} LB with no target groups"
        items.append(
            WasteItem(
                "idle_load_balancer",
                lb.name,
                region,
                LOAD_BALANCER_HOUR[lb.type] * HOURS_PER_MONTH,
                detail,
            )
        )
    return items


def report(regions: Sequence[RegionWaste], *, threshold: Decimal, today: date) -> WasteReport:
    """Items whose waste, in cents as shown, is above zero and at least `threshold`; totals."""
    found = [item for region in regions for item in region.items]
    # Compare what the caller sees: the amount rounded to cents.
    kept = [i for i in found if ZERO < to_decimal(money(i.monthly_waste)) >= threshold]
    kept.sort(key=lambda i: (-i.monthly_waste, i.kind, i.region, i.resource_id))

    counts: dict[str, int] = defaultdict(int)
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for item in kept:
        counts[item.kind] += 1
        sums[item.kind] += item.monthly_waste
    return WasteReport(
        items=tuple(kept),
        below_threshold=len(found) - len(kept),
        threshold=threshold,
        by_kind=tuple(
            KindTotal(kind=kind, count=counts[kind], monthly_waste=sums[kind])
            for kind in sorted(sums, key=lambda k: (-sums[k], k))
        ),
        total=sum((i.monthly_waste for i in kept), ZERO),
        regions=tuple(regions),
        period=Period(start=today - timedelta(days=METRIC_DAYS), end=today),
    )


def _nat_key(nat_id: str) -> str:
    return f"nat|{nat_id}"


def _traffic_key(lb_arn: str) -> str:
    return f"traffic|{lb_arn}"


def _healthy_key(lb_arn: str, group_arn: str) -> str:
    return f"healthy|{lb_arn}|{group_arn}"


def _dimension(arn: str, marker: str, *, keep_prefix: bool = False) -> str:
    """CloudWatch's LoadBalancer ('app/name/id') or TargetGroup ('targetgroup/name/id')."""
    index = arn.find(marker)
    if index < 0:
        return arn
    return arn[index:] if keep_prefix else arn[index + len(marker) :]


# --- render ----------------------------------------------------------------------------------


def render(result: WasteReport, *, scan_notes: Sequence[str], top: int) -> dict[str, Any]:
    notes = list(scan_notes)
    for region in result.regions:
        notes.extend(_region_notes(region))
    notes.append(
        "monthly_waste values are estimates at us-east-1 list prices (EBS storage only, not "
        "provisioned IOPS or throughput; low-utilization instances at Linux on-demand list "
        "price); the bill may differ."
    )
    if any(i.kind == "old_snapshot" for i in result.items):
        notes.append(
            f"Snapshots older than {SNAPSHOT_AGE_DAYS} days are priced on their source volume "
            "size: an upper bound, snapshots are incremental."
        )
    if result.below_threshold:
        notes.append(
            f"{result.below_threshold} item(s) wasting less than {money(result.threshold)} USD "
            "a month left out."
        )

    by_kind = {
        k.kind: {"count": k.count, "monthly_waste": money(k.monthly_waste)} for k in result.by_kind
    }
    summary = (
        f"About {money(result.total)} USD a month of estimated waste in {len(result.items)} "
        f"item(s) across {len(result.regions)} region(s)"
        + (
            "; largest: "
            + ", ".join(f"{k} {v['monthly_waste']}" for k, v in list(by_kind.items())[:3])
            if by_kind
            else ""
        )
    )
    return tool_response(
        summary=summary,
        items=[_public(i) for i in result.items],
        period=result.period.describe(),
        currency="USD",
        notes=notes,
        top=top,
        total_monthly_waste=money(result.total),
        by_kind=by_kind,
        regions=[r.region for r in result.regions],
    )


def _region_notes(region: RegionWaste) -> list[str]:
    notes = [
        f"no list price for EBS volume type {volume_type}; not counted."
        for volume_type in region.unknown_volume_types
    ]
    if region.prices_unreadable is not None:
        notes.append(
            f"{len(region.unpriced)} low-utilization instance(s) in {region.region} not priced: "
            f"list prices could not be read ({region.prices_unreadable})."
        )
    else:
        notes.extend(
            f"no On-Demand list price for {instance.instance_type} in {region.region}; "
            f"low-utilization instance {instance.id} not priced."
            for instance in region.unpriced
        )
    return notes


def _public(item: WasteItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "resource_id": item.resource_id,
        "region": item.region,
        "monthly_waste": money(item.monthly_waste),
        "detail": item.detail,
        "action": ACTIONS[item.kind],
    }
