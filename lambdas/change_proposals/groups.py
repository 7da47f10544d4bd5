"""Auto Scaling group changes: a Spot mix, a CPU target-tracking policy, a move to Graviton.

Each reads the group once (and its launch template's version), decides purely, and prices the
change with the cost-insights code (On-Demand list prices, the observed Spot price).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from change_control.changes import Action, Kind
from change_control.proposals import Resource
from change_control.resources import describe_group, group_state_from, tag_pairs
from cost_analysis.instance_types import graviton_equivalent, is_arm64, spot_siblings
from cost_analysis.inventory import METRIC_DAYS
from cost_analysis.spot import average_spot_prices, spot_estimate, spot_price_history, stateful_hint

from change_proposals.drafting import Draft, Policy, Store, not_found, require_guard, submit
from opsagent_shared import aws
from opsagent_shared.errors import BadRequest
from opsagent_shared.metrics import MetricQuery, fetch_series, summarize
from opsagent_shared.money import ZERO, money, monthly_from_hourly
from opsagent_shared.pricing import PRICING_REGION, on_demand_hourly

SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized"
SPOT_PRICE_WINDOW = timedelta(days=1)
POLICY_NAME = "opsagent-cpu-target-tracking"
# Amazon Linux 2023's latest arm64 AMI, a public SSM parameter in every commercial region
# (the `ami-amazon-linux-latest` namespace:
# https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-finding-public-parameters.html).
AL2023_ARM64_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
AL2023_NAME_PREFIX = "al2023-ami-"


@dataclass(frozen=True)
class Group:
    """What a group change needs to know: its state (fingerprinted), capacity, launch data."""

    resource: Resource
    state: Mapping[str, Any]
    desired: int
    template_id: str  # "" without a plain launch template
    template_version: str  # the version number the group runs ("" without one)
    instance_type: str  # from that version ("" when unknown)
    image_id: str
    template_tags: tuple[tuple[str, str], ...]


# --- fetch -----------------------------------------------------------------------------------


def fetch_group(name: str, region: str) -> Group:
    resource = Resource(kind=Kind.GROUP, id=name, region=region)
    described = describe_group(resource)
    if described is None:
        raise not_found("Auto Scaling group", name, region)
    raw, policies = described
    state = group_state_from(raw, policies)
    template = state.get("LaunchTemplate") or {}
    version: str = ""
    data: Mapping[str, Any] = {}
    tags: tuple[tuple[str, str], ...] = ()
    if template.get("LaunchTemplateId"):
        version, data, tags = launch_template(region, template)
    return Group(
        resource=resource,
        state=state,
        desired=int(raw.get("DesiredCapacity") or 0),
        template_id=str(template.get("LaunchTemplateId", "")),
        template_version=version,
        instance_type=str(data.get("InstanceType", "")),
        image_id=str(data.get("ImageId", "")),
        template_tags=tags,
    )


def launch_template(
    region: str, template: Mapping[str, str]
) -> tuple[str, Mapping[str, Any], tuple[tuple[str, str], ...]]:
    """The version number a group runs, its launch data, and the template's tags."""
    ec2 = aws.client("ec2", region)
    template_id = template["LaunchTemplateId"]
    with aws.calling(f"EC2 DescribeLaunchTemplateVersions in {region}"):
        versions = ec2.describe_launch_template_versions(
            LaunchTemplateId=template_id, Versions=[template.get("Version") or "$Default"]
        ).get("LaunchTemplateVersions", [])
    with aws.calling(f"EC2 DescribeLaunchTemplates in {region}"):
        templates = ec2.describe_launch_templates(LaunchTemplateIds=[template_id]).get(
            "LaunchTemplates", []
        )
    version = versions[0] if versions else {}
    tags = tag_pairs(templates[0].get("Tags") if templates else ())
    return (
        str(version.get("VersionNumber", "")),
        version.get("LaunchTemplateData") or {},
        tuple((k, v) for k, v in tags),
    )


def prices(region: str, instance_types: Sequence[str]) -> dict[str, Decimal]:
    with aws.calling("Price List GetProducts"):
        return on_demand_hourly(aws.client("pricing", PRICING_REGION), region, instance_types)


def group_cpu(name: str, region: str, *, now: datetime) -> float | None:
    """The group's mean daily-average CPU over the metric window, None without data."""
    query = MetricQuery(
        key="cpu",
        namespace="AWS/EC2",
        metric="CPUUtilization",
        dimensions={"AutoScalingGroupName": name},
    )
    with aws.calling(f"CloudWatch GetMetricData in {region}"):
        series = fetch_series(
            aws.client("cloudwatch", region),
            [query],
            start=now - timedelta(days=METRIC_DAYS),
            end=now,
        )
    return summarize(series["cpu"]).mean


# --- shared checks ---------------------------------------------------------------------------


def needs_launch_template(group: Group, what: str) -> None:
    if group.state.get("LaunchConfigurationName"):
        raise BadRequest(
            f"{group.resource.id} uses launch configuration "
            f"{group.state['LaunchConfigurationName']}; {what} needs a launch template. Copy "
            "it to a launch template first (EC2 console: Auto Scaling groups -> Copy to launch "
            "template), then ask again"
        )
    if not group.template_id:
        raise BadRequest(f"{group.resource.id} has no launch template; {what} needs one")


# --- switch_to_spot_instances ----------------------------------------------------------------


def run_spot_mix(
    *,
    group_name: str,
    region: str,
    instance_types: Sequence[str],
    on_demand_base_capacity: int,
    on_demand_percentage: int,
    policy: Policy,
    store: Store,
    now: datetime,
) -> dict[str, Any]:
    group = fetch_group(group_name, region)
    needs_launch_template(group, "a Spot mix")
    types = list(instance_types) or (
        spot_siblings(group.instance_type) if group.instance_type else []
    )
    spot_mix_allowed(group, types, policy)
    on_demand = prices(region, types)
    spot = average_spot_prices(spot_price_history(region, types, since=now - SPOT_PRICE_WINDOW))
    draft = spot_mix_draft(
        group,
        types=types,
        base=on_demand_base_capacity,
        percentage=on_demand_percentage,
        on_demand=on_demand,
        spot=spot,
        policy=policy,
    )
    return submit(draft, policy=policy, store=store, now=now)


def spot_mix_allowed(group: Group, types: Sequence[str], policy: Policy) -> None:
    """Refusals that need no prices (checked before the Price List and Spot reads)."""
    name = group.resource.id
    needs_launch_template(group, "a Spot mix")
    if group.state.get("MixedInstancesPolicy"):
        raise BadRequest(f"{name} already has a mixed instances policy; change it directly")
    if len(set(types)) < 2:
        raise BadRequest(
            f"a Spot mix needs at least two instance types so one Spot pool running dry does "
            f"not stop {name} from scaling; give instance_types (e.g. "
            f"{', '.join(spot_siblings(group.instance_type or 'm5.large'))})"
        )
    require_guard(group.state, group.resource, policy.guard)


def spot_mix_draft(
    group: Group,
    *,
    types: Sequence[str],
    base: int,
    percentage: int,
    on_demand: Mapping[str, Decimal],
    spot: Mapping[str, Decimal],
    policy: Policy,
) -> Draft:
    spot_mix_allowed(group, types, policy)
    name, current = group.resource.id, group.instance_type
    spot_share = Decimal(max(0, group.desired - base)) * (100 - percentage) / 100
    notes: list[str] = []
    saving = ZERO
    if current in on_demand and spot:
        cheapest_spot = min(spot.values())
        if cheapest_spot >= on_demand[current]:
            raise BadRequest(
                f"Spot costs ${cheapest_spot}/h for these types in {group.resource.region} now, "
                f"no less than On-Demand {current} (${on_demand[current]}/h): a Spot mix would "
                "not save money"
            )
        estimate = spot_estimate(on_demand[current], cheapest_spot, 1)
        saving = estimate.saving * spot_share
    else:
        notes.append(
            f"No On-Demand list price or recent Spot price for {current or 'its type'} in "
            f"{group.resource.region}: the saving is not estimated."
        )
    stateful = stateful_hint(dict(group.state.get("Tags") or []))
    return Draft(
        action=Action.SPOT_MIX,
        resource=group.resource,
        parameters={
            "launch_template": {
                "LaunchTemplateId": group.template_id,
                "Version": str((group.state.get("LaunchTemplate") or {}).get("Version")),
            },
            "instance_types": list(dict.fromkeys(types)),
            "on_demand_base_capacity": base,
            "on_demand_percentage_above_base": percentage,
            "spot_allocation_strategy": SPOT_ALLOCATION_STRATEGY,
        },
        summary=(
            f"Run Auto Scaling group {name} as a Spot mix of {', '.join(dict.fromkeys(types))} "
            f"({base} On-Demand base, {percentage}% On-Demand above it)"
        ),
        reason=(
            f"About {spot_share.quantize(Decimal('0.1'))} of its {group.desired} instances "
            f"would run on Spot, saving ${money(saving)} a month at the last day's Spot price"
        ),
        monthly_saving=saving,
        risk=(
            "Spot Instances can be reclaimed with a 2-minute notice; "
            f"{SPOT_ALLOCATION_STRATEGY} picks the deepest pools across the types. "
            + (f"Its tags suggest a stateful workload ({stateful}): be sure. " if stateful else "")
            + "Instances are replaced as the group scales, not all at once"
        ),
        revert="Restore its previous launch template (an undo proposal is posted after the change)",
        state=group.state,
        notes=tuple(notes),
    )


# --- setup_auto_scaling_policy ---------------------------------------------------------------


def run_target_tracking(
    *, group_name: str, region: str, target_cpu: float, policy: Policy, store: Store, now: datetime
) -> dict[str, Any]:
    group = fetch_group(group_name, region)
    cpu = group_cpu(group_name, region, now=now)
    hourly = (
        prices(region, [group.instance_type]).get(group.instance_type)
        if group.instance_type
        else None
    )
    draft = target_tracking_draft(
        group, target_cpu=target_cpu, cpu=cpu, hourly=hourly, policy=policy
    )
    return submit(draft, policy=policy, store=store, now=now)


def target_tracking_draft(
    group: Group, *, target_cpu: float, cpu: float | None, hourly: Decimal | None, policy: Policy
) -> Draft:
    name = group.resource.id
    existing = [
        p for p, kind in group.state.get("ScalingPolicies") or [] if kind == "TargetTrackingScaling"
    ]
    if existing:
        raise BadRequest(
            f"{name} already has target-tracking policy {existing[0]}; change it instead"
        )
    if group.state.get("MinSize") == group.state.get("MaxSize"):
        raise BadRequest(
            f"{name} has MinSize = MaxSize = {group.state.get('MinSize')}: a scaling policy "
            "cannot change its size. Widen the range first"
        )
    require_guard(group.state, group.resource, policy.guard)
    minimum = int(group.state.get("MinSize") or 0)
    needed = (
        max(minimum, math.ceil(group.desired * cpu / target_cpu))
        if cpu is not None
        else group.desired
    )
    fewer = max(0, group.desired - needed)
    saving = monthly_from_hourly(hourly) * fewer if hourly is not None else ZERO
    seen = f"CPU averaged {cpu:.1f}% over {METRIC_DAYS} days" if cpu is not None else "no CPU data"
    return Draft(
        action=Action.TARGET_TRACKING,
        resource=group.resource,
        parameters={"policy_name": POLICY_NAME, "target_cpu_percent": target_cpu},
        summary=f"Add a target-tracking policy to {name}: keep average CPU at {target_cpu:g}%",
        reason=(
            f"{seen}; at {target_cpu:g}% the group would run about {needed} instead of "
            f"{group.desired} instances"
            + (f", saving ${money(saving)} a month" if saving > ZERO else "")
            + ", and it adds instances when load rises"
        ),
        monthly_saving=saving,
        risk=(
            f"The group scales between {minimum} and {group.state.get('MaxSize')} on its own; "
            "a too-high target can slow responses under sudden load"
        ),
        revert="Delete the policy (an undo proposal is posted after the change)",
        state=group.state,
    )


# --- implement_arm64_migration ---------------------------------------------------------------


def run_arm64_group(
    *,
    group_name: str,
    region: str,
    image_id: str | None,
    min_healthy_percentage: int,
    policy: Policy,
    store: Store,
    now: datetime,
) -> dict[str, Any]:
    group = fetch_group(group_name, region)
    needs_launch_template(group, "a Graviton migration")
    target = graviton_equivalent(group.instance_type) or ""
    image = arm64_image(region, given=image_id, current=group.image_id)
    hourly = prices(region, [t for t in (group.instance_type, target) if t])
    draft = arm64_draft(
        group,
        target_type=target,
        image=image,
        min_healthy=min_healthy_percentage,
        hourly=hourly,
        policy=policy,
    )
    return submit(draft, policy=policy, store=store, now=now)


@dataclass(frozen=True)
class Image:
    image_id: str
    architecture: str
    name: str
    source: str  # "given" or the SSM parameter it came from


def arm64_image(region: str, *, given: str | None, current: str) -> Image:
    """The given AMI, or Amazon Linux 2023's latest arm64 AMI when the group runs AL2023."""
    ec2 = aws.client("ec2", region)
    if given:
        found = describe_image(ec2, given, region)
        if found is None:
            raise not_found("AMI", given, region)
        return Image(given, found.get("Architecture", ""), found.get("Name", ""), "given")
    running = describe_image(ec2, current, region) if current else None
    if running is None or not str(running.get("Name", "")).startswith(AL2023_NAME_PREFIX):
        raise BadRequest(
            "the group's AMI is not Amazon Linux 2023, so no arm64 equivalent is known: give "
            "image_id, the ID of an arm64 build of your AMI"
        )
    with aws.calling(f"SSM GetParameter in {region}"):
        image_id = aws.client("ssm", region).get_parameter(Name=AL2023_ARM64_PARAMETER)[
            "Parameter"
        ]["Value"]
    return Image(image_id, "arm64", "Amazon Linux 2023 (latest arm64)", AL2023_ARM64_PARAMETER)


def describe_image(ec2: Any, image_id: str, region: str) -> Mapping[str, Any] | None:
    try:
        images = ec2.describe_images(ImageIds=[image_id]).get("Images", [])
    except aws.errors() as error:
        if aws.error_code(error) in ("InvalidAMIID.NotFound", "InvalidAMIID.Malformed"):
            return None
        raise aws.translate(error, f"EC2 DescribeImages in {region}") from error
    return images[0] if images else None


def arm64_draft(
    group: Group,
    *,
    target_type: str,
    image: Image,
    min_healthy: int,
    hourly: Mapping[str, Decimal],
    policy: Policy,
) -> Draft:
    name = group.resource.id
    needs_launch_template(group, "a Graviton migration")
    if group.state.get("MixedInstancesPolicy"):
        raise BadRequest(
            f"{name} runs a mixed instances policy; move its instance types to Graviton in the "
            "policy instead (ask for a written plan)"
        )
    if is_arm64(group.instance_type):
        raise BadRequest(f"{name} already runs {group.instance_type}, a Graviton type")
    if not target_type:
        raise BadRequest(f"no Graviton equivalent is known for {group.instance_type or 'its type'}")
    if image.architecture != "arm64":
        raise BadRequest(
            f"AMI {image.image_id} is {image.architecture or 'of unknown architecture'}, not arm64"
        )
    require_guard(group.state, group.resource, policy.guard)
    template = Resource(kind="launch-template", id=group.template_id, region=group.resource.region)
    require_guard({"Tags": [list(t) for t in group.template_tags]}, template, policy.guard)
    current, graviton = hourly.get(group.instance_type), hourly.get(target_type)
    saving = (
        monthly_from_hourly(current - graviton) * group.desired
        if current is not None and graviton is not None and current > graviton
        else ZERO
    )
    return Draft(
        action=Action.ARM64_MIGRATION,
        resource=group.resource,
        parameters={
            "launch_template_id": group.template_id,
            "source_version": group.template_version,
            "instance_type": target_type,
            "image_id": image.image_id,
            "min_healthy_percentage": min_healthy,
        },
        summary=(
            f"Move Auto Scaling group {name} from {group.instance_type} to {target_type} "
            f"(Graviton) with AMI {image.image_id}, by instance refresh"
        ),
        reason=(
            f"{target_type} lists at ${graviton}/h against ${current}/h for {group.instance_type}: "
            f"${money(saving)} a month for {group.desired} instances"
            if current is not None and graviton is not None
            else "Graviton lists 15-20% lower; the exact prices were not found"
        ),
        monthly_saving=saving,
        risk=(
            "Every instance is replaced (at least "
            f"{min_healthy}% stay healthy during the refresh); the software must run on arm64 "
            f"(AMI: {image.name or image.image_id}). Try it in a test group first"
        ),
        revert=(
            "Restore the previous launch template version and refresh again (an undo proposal "
            "is posted after the change)"
        ),
        state=group.state,
    )
