"""What a proposal's resource looks like now: the state its fingerprint covers.

Read-only (Describe* calls): both the cost-actions tools (when proposing) and the approvals
function (before executing) read it, and a proposal runs only if the two fingerprints match.
Each reader returns plain JSON-able values, tags as sorted `[key, value]` pairs, and None when
the resource is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from change_control.changes import Kind
from change_control.proposals import Resource
from opsagent_shared import aws

# Savings Plans is a global service answered from us-east-1.
SAVINGS_PLANS_REGION = "us-east-1"
State = Mapping[str, Any]


def tag_pairs(tags: Iterable[Mapping[str, Any]] | None) -> list[list[str]]:
    return sorted([str(t.get("Key", "")), str(t.get("Value", ""))] for t in tags or ())


def _not_found(error: BaseException, *codes: str) -> bool:
    return aws.error_code(error) in codes


def volume_state(resource: Resource) -> State | None:
    """An EBS volume's type, size, performance, state and tags."""
    ec2 = aws.client("ec2", resource.region)
    try:
        volumes = ec2.describe_volumes(VolumeIds=[resource.id])["Volumes"]
    except aws.errors() as error:
        if _not_found(error, "InvalidVolume.NotFound", "InvalidVolumeID.Malformed"):
            return None
        raise aws.translate(error, f"EC2 DescribeVolumes in {resource.region}") from error
    if not volumes:
        return None
    volume = volumes[0]
    return {
        "VolumeType": volume.get("VolumeType"),
        "Size": volume.get("Size"),
        "Iops": volume.get("Iops"),
        "Throughput": volume.get("Throughput"),
        "State": volume.get("State"),
        "Tags": tag_pairs(volume.get("Tags")),
    }


def instance_state(resource: Resource) -> State | None:
    """An instance's type, state, lifecycle (spot or on-demand), Auto Scaling group and tags."""
    ec2 = aws.client("ec2", resource.region)
    try:
        reservations = ec2.describe_instances(InstanceIds=[resource.id])["Reservations"]
    except aws.errors() as error:
        if _not_found(error, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"):
            return None
        raise aws.translate(error, f"EC2 DescribeInstances in {resource.region}") from error
    instances = [i for r in reservations for i in r.get("Instances", [])]
    if not instances or instances[0].get("State", {}).get("Name") == "terminated":
        return None
    instance = instances[0]
    tags = tag_pairs(instance.get("Tags"))
    return {
        "InstanceType": instance.get("InstanceType"),
        "State": instance.get("State", {}).get("Name"),
        "Lifecycle": instance.get("InstanceLifecycle", "on-demand"),
        "AutoScalingGroup": next((v for k, v in tags if k == "aws:autoscaling:groupName"), ""),
        "RootDeviceType": instance.get("RootDeviceType"),
        "Tags": tags,
    }


def address_state(resource: Resource) -> State | None:
    """An Elastic IP's public address, association and tags."""
    ec2 = aws.client("ec2", resource.region)
    try:
        addresses = ec2.describe_addresses(AllocationIds=[resource.id])["Addresses"]
    except aws.errors() as error:
        if _not_found(error, "InvalidAllocationID.NotFound", "InvalidAllocationID.Malformed"):
            return None
        raise aws.translate(error, f"EC2 DescribeAddresses in {resource.region}") from error
    if not addresses:
        return None
    address = addresses[0]
    return {
        "PublicIp": address.get("PublicIp"),
        "AssociationId": address.get("AssociationId", ""),
        "Domain": address.get("Domain"),
        "Tags": tag_pairs(address.get("Tags")),
    }


def group_state(resource: Resource) -> State | None:
    """An Auto Scaling group's launch setup, size limits, scaling policies and tags."""
    described = describe_group(resource)
    return None if described is None else group_state_from(*described)


def describe_group(resource: Resource) -> tuple[Mapping[str, Any], list[list[str]]] | None:
    """The group as Auto Scaling describes it, and its scaling policies as [name, type]."""
    autoscaling = aws.client("autoscaling", resource.region)
    with aws.calling(f"Auto Scaling DescribeAutoScalingGroups in {resource.region}"):
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[resource.id])[
            "AutoScalingGroups"
        ]
    if not groups:
        return None
    with aws.calling(f"Auto Scaling DescribePolicies in {resource.region}"):
        policies = [
            [str(p.get("PolicyName", "")), str(p.get("PolicyType", ""))]
            for page in autoscaling.get_paginator("describe_policies").paginate(
                AutoScalingGroupName=resource.id
            )
            for p in page.get("ScalingPolicies", [])
        ]
    return groups[0], policies


def group_state_from(group: Mapping[str, Any], policies: list[list[str]]) -> State:
    """What a group's fingerprint covers. Not its desired capacity or instances: they move
    with every scaling event, and a proposal must survive the group doing its job."""
    return {
        "LaunchTemplate": _template(group.get("LaunchTemplate")),
        "MixedInstancesPolicy": group.get("MixedInstancesPolicy"),
        "LaunchConfigurationName": group.get("LaunchConfigurationName", ""),
        "MinSize": group.get("MinSize"),
        "MaxSize": group.get("MaxSize"),
        "ScalingPolicies": sorted(policies),
        "Tags": tag_pairs(group.get("Tags")),
    }


def _template(spec: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not spec:
        return None
    return {
        "LaunchTemplateId": str(spec.get("LaunchTemplateId", "")),
        "Version": str(spec.get("Version", "$Default")),
    }


def savings_plan_offering_state(resource: Resource) -> State | None:
    """A Savings Plans offering: its plan type, term, payment option and currency."""
    savingsplans = aws.client("savingsplans", SAVINGS_PLANS_REGION)
    with aws.calling("Savings Plans DescribeSavingsPlansOfferings"):
        offerings = savingsplans.describe_savings_plans_offerings(offeringIds=[resource.id]).get(
            "searchResults", []
        )
    if not offerings:
        return None
    return savings_plan_offering_state_from(offerings[0])


def savings_plan_offering_state_from(offering: Mapping[str, Any]) -> State:
    return {
        "PlanType": offering.get("planType"),
        "DurationSeconds": offering.get("durationSeconds"),
        "PaymentOption": offering.get("paymentOption"),
        "Currency": offering.get("currency"),
    }


def reserved_instances_offering_state(resource: Resource) -> State | None:
    """An EC2 Reserved Instances offering: instance type, term, prices, offering type."""
    ec2 = aws.client("ec2", resource.region)
    with aws.calling(f"EC2 DescribeReservedInstancesOfferings in {resource.region}"):
        offerings = ec2.describe_reserved_instances_offerings(
            ReservedInstancesOfferingIds=[resource.id], IncludeMarketplace=False
        ).get("ReservedInstancesOfferings", [])
    if not offerings:
        return None
    return reserved_instances_offering_state_from(offerings[0])


def reserved_instances_offering_state_from(offering: Mapping[str, Any]) -> State:
    return {
        "InstanceType": offering.get("InstanceType"),
        "Duration": offering.get("Duration"),
        "FixedPrice": str(offering.get("FixedPrice")),
        "UsagePrice": str(offering.get("UsagePrice")),
        "RecurringCharges": sorted(
            [str(c.get("Frequency")), str(c.get("Amount"))]
            for c in offering.get("RecurringCharges", [])
        ),
        "OfferingType": offering.get("OfferingType"),
        "ProductDescription": offering.get("ProductDescription"),
        "Scope": offering.get("Scope"),
    }


STATE_READERS: Mapping[str, Callable[[Resource], State | None]] = {
    Kind.VOLUME: volume_state,
    Kind.INSTANCE: instance_state,
    Kind.ADDRESS: address_state,
    Kind.GROUP: group_state,
    Kind.SAVINGS_PLAN: savings_plan_offering_state,
    Kind.RESERVED_INSTANCES: reserved_instances_offering_state,
}


def current_state(resource: Resource) -> State | None:
    reader = STATE_READERS.get(resource.kind)
    return None if reader is None else reader(resource)
