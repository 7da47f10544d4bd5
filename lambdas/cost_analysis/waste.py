"""Idle and wasted resources, each with an estimated monthly waste at list prices.

Per region (in parallel, `scan_regions`), a bounded number of calls whatever the fleet size:
DescribeVolumes, DescribeAddresses, DescribeNatGateways, DescribeSnapshots, DescribeInstances,
DescribeLoadBalancers and DescribeTargetGroups (paginated list calls), one batched set of
GetMetricData calls (500 series each) for CPU, NAT gateway traffic and load balancer
targets/requests together, and at most one Price List request (only when a low-utilization
instance needs pricing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from cost_analysis import inventory
from opsagent_shared import aws, clock
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
GP2_TO_GP3_SAVING = Decimal("0.20")  # gp3 is 20% cheaper per GB-month than gp2
# gp3 includes 3,000 IOPS and 125 MiB/s; gp2 gives 3 IOPS/GiB and sustains 250 MiB/s from
# 334 GiB, so matching a large gp2 volume on gp3 buys the difference (us-east-1 list prices).
GP3_IOPS_MONTH = Decimal("0.005")
GP3_THROUGHPUT_MIBS_MONTH = Decimal("0.04")
GP2_HIGH_THROUGHPUT_GIB = 334
GP3_EXTRA_THROUGHPUT_MIBS = 125  # 250 MiB/s (large gp2) - 125 MiB/s (gp3 baseline)
GP2_IOPS_PER_GB = 3
GP3_BASELINE_IOPS = 3000
GP2_MAX_IOPS = 16000
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


@dataclass
class RegionWaste:
    items: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run(*, regions: str | None, min_monthly_waste: float, top: int) -> dict[str, Any]:
    chosen = target_regions(regions)
    scan = scan_regions(chosen, _scan_region)
    notes = list(scan.notes)
    found: list[dict[str, Any]] = []
    for region in chosen:
        if region in scan.results:
            found.extend(scan.results[region].items)
            notes.extend(scan.results[region].notes)

    threshold = to_decimal(min_monthly_waste)
    # Compare what the caller sees: the amount rounded to cents.
    kept = [i for i in found if ZERO < to_decimal(money(i["waste"])) >= threshold]
    kept.sort(key=lambda i: (-i["waste"], i["kind"], i["region"], i["resource_id"]))
    below = len(found) - len(kept)

    counts: dict[str, int] = defaultdict(int)
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for item in kept:
        counts[item["kind"]] += 1
        sums[item["kind"]] += item["waste"]
    by_kind = {
        kind: {"count": counts[kind], "monthly_waste": money(sums[kind])}
        for kind in sorted(sums, key=lambda k: (-sums[k], k))
    }
    total = sum((i["waste"] for i in kept), ZERO)

    notes.append(
        "monthly_waste values are estimates at us-east-1 list prices (EBS storage only, not "
        "provisioned IOPS or throughput; low-utilization instances at Linux on-demand list "
        "price); the bill may differ."
    )
    if any(i["kind"] == "old_snapshot" for i in kept):
        notes.append(
            f"Snapshots older than {SNAPSHOT_AGE_DAYS} days are priced on their source volume "
            "size: an upper bound, snapshots are incremental."
        )
    if below:
        notes.append(f"{below} item(s) wasting less than {money(threshold)} USD a month left out.")

    scanned = [r for r in chosen if r in scan.results]
    summary = (
        f"About {money(total)} USD a month of estimated waste in {len(kept)} item(s) across "
        f"{len(scanned)} region(s)"
        + (
            "; largest: "
            + ", ".join(f"{k} {v['monthly_waste']}" for k, v in list(by_kind.items())[:3])
            if by_kind
            else ""
        )
    )
    today = clock.today()
    return tool_response(
        summary=summary,
        items=[_public(i) for i in kept],
        period=Period(start=today - timedelta(days=METRIC_DAYS), end=today).describe(),
        currency="USD",
        notes=notes,
        top=top,
        total_monthly_waste=money(total),
        by_kind=by_kind,
        regions=scanned,
    )


def _scan_region(region: str) -> RegionWaste:
    result = RegionWaste()
    now = clock.now()
    volumes = inventory.volumes(region)
    fleet = inventory.instances(region, states=("running", "stopped"))
    stopped = {i.id: i for i in fleet if i.state == "stopped"}
    running = [i for i in fleet if i.state == "running"]

    for volume in volumes:
        _volume_waste(region, volume, stopped, result)
    _stopped_instance_waste(region, volumes, stopped, result)

    for address in inventory.addresses(region):
        if not address.get("AssociationId"):
            result.items.append(
                _entry(
                    "unassociated_eip",
                    address.get("AllocationId") or address.get("PublicIp", ""),
                    region,
                    PUBLIC_IPV4_HOUR * HOURS_PER_MONTH,
                    f"{address.get('PublicIp', '')} not associated",
                )
            )

    cutoff = now - timedelta(days=SNAPSHOT_AGE_DAYS)
    for snapshot in inventory.snapshots(region):
        started = snapshot.get("StartTime")
        if isinstance(started, datetime) and started < cutoff:
            size = int(snapshot.get("VolumeSize", 0))
            result.items.append(
                _entry(
                    "old_snapshot",
                    snapshot["SnapshotId"],
                    region,
                    SNAPSHOT_GB_MONTH * size,
                    f"{size} GiB, {(now - started).days} days old",
                )
            )

    # Every metric this scan needs (CPU, NAT traffic, load balancer health) in one batched
    # request set: regions x ceil(queries / 500) GetMetricData calls in all.
    network = _network_resources(region)
    queries = inventory.cpu_queries([i.id for i in running]) + _network_queries(network)
    series: dict[str, list[float]] = {}
    if queries:
        start, end = inventory.metric_window()
        series = fetch_series(aws.client("cloudwatch", region), queries, start=start, end=end)
    _low_utilization(
        region, running, inventory.cpu_summaries(series, [i.id for i in running]), result
    )
    _network_waste(region, network, series, result)
    return result


def _volume_waste(
    region: str,
    volume: dict[str, Any],
    stopped: dict[str, inventory.Instance],
    result: RegionWaste,
) -> None:
    volume_type = str(volume.get("VolumeType", ""))
    size = int(volume.get("Size", 0))
    price = EBS_GB_MONTH.get(volume_type)
    if price is None:
        result.notes.append(f"no list price for EBS volume type {volume_type}; not counted.")
        return
    if volume.get("State") == "available":
        result.items.append(
            _entry(
                "unattached_volume",
                volume["VolumeId"],
                region,
                price * size,
                f"{volume_type} {size} GiB, not attached",
            )
        )
    elif volume_type == "gp2" and volume.get("State") == "in-use":
        if any(a.get("InstanceId") in stopped for a in volume.get("Attachments", [])):
            return  # counted in full with its stopped instance
        detail = f"gp2 {size} GiB in use"
        if size * GP2_IOPS_PER_GB > GP3_BASELINE_IOPS:
            detail += f"; set gp3 IOPS to {min(size * GP2_IOPS_PER_GB, GP2_MAX_IOPS)} to match"
        saving = gp3_saving(size, price)
        if saving > ZERO:
            result.items.append(_entry("gp2_volume", volume["VolumeId"], region, saving, detail))


def gp3_saving(size_gib: int, gp2_price: Decimal) -> Decimal:
    """Monthly saving of moving a gp2 volume to gp3 with the same IOPS and throughput."""
    iops = min(max(size_gib * GP2_IOPS_PER_GB, 100), GP2_MAX_IOPS)
    extra_iops = max(0, iops - GP3_BASELINE_IOPS) * GP3_IOPS_MONTH
    extra_throughput = (
        GP3_EXTRA_THROUGHPUT_MIBS * GP3_THROUGHPUT_MIBS_MONTH
        if size_gib >= GP2_HIGH_THROUGHPUT_GIB
        else ZERO
    )
    return gp2_price * size_gib * GP2_TO_GP3_SAVING - extra_iops - extra_throughput


def _stopped_instance_waste(
    region: str,
    volumes: Sequence[dict[str, Any]],
    stopped: dict[str, inventory.Instance],
    result: RegionWaste,
) -> None:
    attached: dict[str, list[tuple[str, int, Decimal]]] = {}
    for volume in volumes:
        price = EBS_GB_MONTH.get(str(volume.get("VolumeType", "")))
        for attachment in volume.get("Attachments", []):
            instance_id = attachment.get("InstanceId")
            if instance_id in stopped and price is not None:
                size = int(volume.get("Size", 0))
                attached.setdefault(instance_id, []).append((volume["VolumeId"], size, price))
    for instance_id, disks in attached.items():
        instance = stopped[instance_id]
        gib = sum(size for _, size, _ in disks)
        label = f"{instance.name} " if instance.name else ""
        result.items.append(
            _entry(
                "stopped_instance_volumes",
                instance_id,
                region,
                sum((price * size for _, size, price in disks), ZERO),
                f"{label}{instance.instance_type} stopped; {len(disks)} volume(s), {gib} GiB",
            )
        )


def _low_utilization(
    region: str,
    running: Sequence[inventory.Instance],
    cpu: Mapping[str, SeriesSummary],
    result: RegionWaste,
) -> None:
    idle = []
    for instance in running:
        summary = cpu.get(instance.id)
        if (
            summary is not None
            and summary.points >= MIN_CPU_DAYS
            and summary.mean is not None
            and summary.p95 is not None
            and summary.mean < LOW_CPU_MEAN
            and summary.p95 < LOW_CPU_P95
        ):
            idle.append((instance, summary.mean, summary.p95))
    if not idle:
        return
    try:
        prices = inventory.on_demand_prices(region, {i.instance_type for i, _, _ in idle})
    except aws.failures() as error:
        reason = aws.reason(error)
        result.notes.append(
            f"{len(idle)} low-utilization instance(s) in {region} not priced: list prices "
            f"could not be read ({reason})."
        )
        return
    for instance, mean, p95 in idle:
        hourly = prices.get(instance.instance_type)
        if hourly is None:
            result.notes.append(
                f"no On-Demand list price for {instance.instance_type} in {region}; "
                f"low-utilization instance {instance.id} not priced."
            )
            continue
        label = f"{instance.name} " if instance.name else ""
        spot = " (Spot: list price is an upper bound)" if instance.lifecycle == "spot" else ""
        result.items.append(
            _entry(
                "low_utilization_instance",
                instance.id,
                region,
                monthly_from_hourly(hourly),
                f"{label}{instance.instance_type}, CPU mean {mean:.1f}%, p95 of daily max "
                f"{p95:.1f}% over {METRIC_DAYS} days{spot}",
            )
        )


@dataclass(frozen=True)
class _Network:
    nats: list[dict[str, Any]]
    balancers: list[dict[str, Any]]
    groups_of: dict[str, list[str]]  # load balancer ARN -> its target group ARNs


def _network_resources(region: str) -> _Network:
    nats = inventory.nat_gateways(region)
    balancers = [
        lb for lb in inventory.load_balancers(region) if lb.get("Type") in LOAD_BALANCER_HOUR
    ]
    groups_of: dict[str, list[str]] = {lb["LoadBalancerArn"]: [] for lb in balancers}
    if balancers:
        for group in inventory.target_groups(region):
            for arn in group.get("LoadBalancerArns", []):
                if arn in groups_of:
                    groups_of[arn].append(group["TargetGroupArn"])
    return _Network(nats=nats, balancers=balancers, groups_of=groups_of)


def _network_queries(network: _Network) -> list[MetricQuery]:
    queries = [
        MetricQuery(
            key=f"nat|{nat['NatGatewayId']}",
            namespace="AWS/NATGateway",
            metric="BytesOutToDestination",
            dimensions={"NatGatewayId": nat["NatGatewayId"]},
            stat="Sum",
        )
        for nat in network.nats
    ]
    for lb in network.balancers:
        arn, kind = lb["LoadBalancerArn"], lb["Type"]
        if not network.groups_of[arn]:
            continue  # no target group at all: idle without looking at metrics
        queries.append(
            MetricQuery(
                key=f"traffic|{arn}",
                namespace=LB_NAMESPACE[kind],
                metric=LB_TRAFFIC_METRIC[kind],
                dimensions={"LoadBalancer": _dimension(arn, "loadbalancer/")},
                stat="Sum",
            )
        )
        for group_arn in network.groups_of[arn]:
            queries.append(
                MetricQuery(
                    key=f"healthy|{arn}|{group_arn}",
                    namespace=LB_NAMESPACE[kind],
                    metric="HealthyHostCount",
                    dimensions={
                        "LoadBalancer": _dimension(arn, "loadbalancer/"),
                        "TargetGroup": _dimension(group_arn, "targetgroup/", keep_prefix=True),
                    },
                    stat="Maximum",
                )
            )
    return queries


def _network_waste(
    region: str, network: _Network, series: Mapping[str, Sequence[float]], result: RegionWaste
) -> None:
    """Idle NAT gateways and load balancers without targets, from the batched series."""
    nats, balancers, groups_of = network.nats, network.balancers, network.groups_of
    for nat in nats:
        if sum(series.get(f"nat|{nat['NatGatewayId']}", [])) <= 0:
            result.items.append(
                _entry(
                    "idle_nat_gateway",
                    nat["NatGatewayId"],
                    region,
                    NAT_GATEWAY_HOUR * HOURS_PER_MONTH,
                    f"no bytes sent to destinations in {METRIC_DAYS} days",
                )
            )
    for lb in balancers:
        arn, kind = lb["LoadBalancerArn"], lb["Type"]
        groups = groups_of[arn]
        if groups:
            healthy = [v for g in groups for v in series.get(f"healthy|{arn}|{g}", [])]
            traffic = series.get(f"traffic|{arn}", [])
            if max(healthy, default=0.0) > 0 or sum(traffic) > 0:
                continue
            detail = (
                f"{kind} LB: {len(groups)} target group(s), no healthy targets and no "
                f"{LB_TRAFFIC_METRIC[kind]} in {METRIC_DAYS} days"
            )
        else:
            detail = f"{kind} LB with no target groups"
        result.items.append(
            _entry(
                "idle_load_balancer",
                lb.get("LoadBalancerName", arn),
                region,
                LOAD_BALANCER_HOUR[kind] * HOURS_PER_MONTH,
                detail,
            )
        )


def _dimension(arn: str, marker: str, *, keep_prefix: bool = False) -> str:
    """CloudWatch's LoadBalancer ('app/name/id') or TargetGroup ('targetgroup/name/id')."""
    index = arn.find(marker)
    if index < 0:
        return arn
    return arn[index:] if keep_prefix else arn[index + len(marker) :]


def _entry(kind: str, resource_id: str, region: str, waste: Decimal, detail: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "resource_id": resource_id,
        "region": region,
        "waste": waste,
        "detail": detail,
    }


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": item["kind"],
        "resource_id": item["resource_id"],
        "region": item["region"],
        "monthly_waste": money(item["waste"]),
        "detail": item["detail"],
        "action": ACTIONS[item["kind"]],
    }
