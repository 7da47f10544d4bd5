"""What runs in a region, read with paginators, one list call per resource type.

Operations combine these per region inside `opsagent_shared.regions.scan_regions`; nothing here
calls an API per resource. CPU metrics for all of a region's instances come from batched
GetMetricData (500 queries a call).

The list calls return AWS's own records; `parse_volume`, `parse_address`, ... turn one into a
typed, frozen record (pure, no AWS), which is what the analysis functions of the operations take.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from opsagent_shared import aws, clock
from opsagent_shared.metrics import MetricQuery, SeriesSummary, fetch_series, summarize
from opsagent_shared.pricing import PRICING_REGION, on_demand_hourly

METRIC_DAYS = 14
MIN_CPU_DAYS = 7  # fewer daily points than this is too little history to judge an instance


@dataclass(frozen=True)
class Instance:
    id: str
    region: str
    instance_type: str
    state: str
    lifecycle: str  # "on-demand", "spot" or "scheduled"
    architecture: str  # "x86_64" or "arm64"
    platform: str  # "linux" or "windows"
    launch_time: datetime | None
    availability_zone: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.tags.get("Name", "")

    @property
    def auto_scaling_group(self) -> str | None:
        return self.tags.get("aws:autoscaling:groupName")

    @property
    def family(self) -> str:
        return self.instance_type.split(".", 1)[0]


@dataclass(frozen=True)
class Volume:
    id: str
    volume_type: str  # "gp2", "gp3", "io1", ...
    size_gib: int
    state: str  # "available" (not attached), "in-use", ...
    attached_to: tuple[str, ...] = ()  # instance IDs, one per attachment


@dataclass(frozen=True)
class Address:
    public_ip: str
    allocation_id: str  # "" for an address without one
    association_id: str  # "" when not associated with anything

    @property
    def resource_id(self) -> str:
        return self.allocation_id or self.public_ip


@dataclass(frozen=True)
class Snapshot:
    id: str
    volume_size_gib: int  # the size of the volume it was taken from
    start_time: datetime | None


@dataclass(frozen=True)
class NatGateway:
    id: str


@dataclass(frozen=True)
class LoadBalancer:
    arn: str
    name: str
    type: str  # "application", "network", "gateway"


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    load_balancer_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListPrices:
    """Hourly On-Demand list prices by instance type, or why they could not be read."""

    hourly: Mapping[str, Decimal]
    unreadable: str | None = None  # the AWS error code (or error class) when the read failed


def instances(region: str, *, states: Sequence[str] = ("running",)) -> list[Instance]:
    ec2 = aws.client("ec2", region)
    found = []
    for page in ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": list(states)}]
    ):
        for reservation in page.get("Reservations", []):
            for raw in reservation.get("Instances", []):
                found.append(_instance(region, raw))
    return found


def volumes(region: str) -> list[dict[str, Any]]:
    return _all(region, "ec2", "describe_volumes", "Volumes")


def addresses(region: str) -> list[dict[str, Any]]:
    # DescribeAddresses is not paginated: one call returns every address.
    return list(aws.client("ec2", region).describe_addresses().get("Addresses", []))


def nat_gateways(region: str) -> list[dict[str, Any]]:
    return _all(
        region,
        "ec2",
        "describe_nat_gateways",
        "NatGateways",
        Filter=[{"Name": "state", "Values": ["available"]}],
    )


def snapshots(region: str) -> list[dict[str, Any]]:
    return _all(region, "ec2", "describe_snapshots", "Snapshots", OwnerIds=["self"])


def auto_scaling_groups(region: str) -> list[dict[str, Any]]:
    return _all(region, "autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups")


def load_balancers(region: str) -> list[dict[str, Any]]:
    return _all(region, "elbv2", "describe_load_balancers", "LoadBalancers")


def target_groups(region: str) -> list[dict[str, Any]]:
    return _all(region, "elbv2", "describe_target_groups", "TargetGroups")


def on_demand_prices(region: str, instance_types: Iterable[str]) -> dict[str, Decimal]:
    """Hourly Linux On-Demand prices for these types in `region` (one Price List request)."""
    return on_demand_hourly(aws.client("pricing", PRICING_REGION), region, instance_types)


def list_prices(region: str, instance_types: Iterable[str]) -> ListPrices:
    """`on_demand_prices`, with an AWS failure kept as the reason instead of raised."""
    try:
        return ListPrices(hourly=on_demand_prices(region, instance_types))
    except aws.failures() as error:
        return ListPrices(hourly={}, unreadable=aws.reason(error))


def cpu_utilization(
    region: str, instance_ids: Sequence[str], *, days: int = METRIC_DAYS
) -> dict[str, SeriesSummary]:
    """Daily-average CPU over `days` for every instance; p95 and max over those daily values.

    Daily maxima come as a second series so a spiky instance is not mistaken for an idle one.
    """
    if not instance_ids:
        return {}
    start, end = metric_window(days)
    series = fetch_series(
        aws.client("cloudwatch", region), cpu_queries(instance_ids), start=start, end=end
    )
    return cpu_summaries(series, instance_ids)


def metric_window(days: int = METRIC_DAYS) -> tuple[datetime, datetime]:
    """The last `days` whole days up to this hour, as every tool's metric window."""
    end = clock.now().replace(minute=0, second=0, microsecond=0)
    return end - timedelta(days=days), end


def cpu_queries(instance_ids: Sequence[str]) -> list[MetricQuery]:
    """Two daily series per instance (Average, Maximum), to batch with other queries."""
    return [
        MetricQuery(
            key=f"{instance_id}|{stat}",
            namespace="AWS/EC2",
            metric="CPUUtilization",
            dimensions={"InstanceId": instance_id},
            stat=stat,
        )
        for instance_id in instance_ids
        for stat in ("Average", "Maximum")
    ]


def cpu_summaries(
    series: Mapping[str, Sequence[float]], instance_ids: Sequence[str]
) -> dict[str, SeriesSummary]:
    summaries = {}
    for instance_id in instance_ids:
        average = summarize(series.get(f"{instance_id}|Average", []))
        peak = summarize(series.get(f"{instance_id}|Maximum", []))
        summaries[instance_id] = SeriesSummary(
            points=average.points, mean=average.mean, maximum=peak.maximum, p95=peak.p95
        )
    return summaries


@dataclass(frozen=True)
class Measured:
    """Instances with enough CPU history to judge, and a note about those without."""

    instances: list[tuple[Instance, SeriesSummary]]
    note: str | None


def with_cpu_history(
    region: str, candidates: Sequence[Instance], *, min_days: int = MIN_CPU_DAYS
) -> Measured:
    """Pair each candidate with its 14-day CPU summary (one batched fetch for all of them);
    instances with fewer than `min_days` daily points are left out and counted in the note."""
    cpu = cpu_utilization(region, [i.id for i in candidates])
    return measured(region, candidates, cpu, min_days=min_days)


def measured(
    region: str,
    candidates: Sequence[Instance],
    cpu: Mapping[str, SeriesSummary],
    *,
    min_days: int = MIN_CPU_DAYS,
) -> Measured:
    """The pure half of `with_cpu_history`: pair candidates with CPU summaries already read."""
    judged = []
    for instance in candidates:
        summary = cpu.get(instance.id)
        if summary is not None and summary.points >= min_days:
            judged.append((instance, summary))
    missing = len(candidates) - len(judged)
    note = (
        f"{missing} instance(s) in {region} have under {min_days} days of CPU data "
        "and were not judged."
        if missing
        else None
    )
    return Measured(instances=judged, note=note)


def _all(
    region: str, service: str, operation: str, key: str, **request: Any
) -> list[dict[str, Any]]:
    client = aws.client(service, region)
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**request):
        items.extend(page.get(key, []))
    return items


def parse_instance(region: str, raw: Mapping[str, Any]) -> Instance:
    """One DescribeInstances instance record as an `Instance`."""
    return _instance(region, raw)


def parse_volume(raw: Mapping[str, Any]) -> Volume:
    """One DescribeVolumes record as a `Volume`."""
    return Volume(
        id=raw["VolumeId"],
        volume_type=str(raw.get("VolumeType", "")),
        size_gib=int(raw.get("Size", 0)),
        state=str(raw.get("State", "")),
        attached_to=tuple(
            a["InstanceId"] for a in raw.get("Attachments", []) if a.get("InstanceId")
        ),
    )


def parse_address(raw: Mapping[str, Any]) -> Address:
    """One DescribeAddresses record as an `Address`."""
    return Address(
        public_ip=str(raw.get("PublicIp", "")),
        allocation_id=str(raw.get("AllocationId") or ""),
        association_id=str(raw.get("AssociationId") or ""),
    )


def parse_snapshot(raw: Mapping[str, Any]) -> Snapshot:
    """One DescribeSnapshots record as a `Snapshot` (a start time that is not one is None)."""
    started = raw.get("StartTime")
    return Snapshot(
        id=raw["SnapshotId"],
        volume_size_gib=int(raw.get("VolumeSize", 0)),
        start_time=started if isinstance(started, datetime) else None,
    )


def parse_nat_gateway(raw: Mapping[str, Any]) -> NatGateway:
    return NatGateway(id=raw["NatGatewayId"])


def parse_load_balancer(raw: Mapping[str, Any]) -> LoadBalancer:
    arn = raw["LoadBalancerArn"]
    return LoadBalancer(
        arn=arn, name=str(raw.get("LoadBalancerName", arn)), type=str(raw.get("Type", ""))
    )


def parse_target_group(raw: Mapping[str, Any]) -> TargetGroup:
    return TargetGroup(
        arn=raw["TargetGroupArn"], load_balancer_arns=tuple(raw.get("LoadBalancerArns", []))
    )


def _instance(region: str, raw: Mapping[str, Any]) -> Instance:
    tags = {t["Key"]: t.get("Value", "") for t in raw.get("Tags", []) if "Key" in t}
    return Instance(
        id=raw["InstanceId"],
        region=region,
        instance_type=raw.get("InstanceType", ""),
        state=raw.get("State", {}).get("Name", ""),
        lifecycle=raw.get("InstanceLifecycle", "on-demand"),
        architecture=raw.get("Architecture", "x86_64"),
        platform="windows" if raw.get("Platform") == "windows" else "linux",
        launch_time=raw.get("LaunchTime"),
        availability_zone=raw.get("Placement", {}).get("AvailabilityZone", ""),
        tags=tags,
    )
