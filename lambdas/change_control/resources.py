"""What a proposal's resource looks like now: the state its fingerprint covers.

Read-only (Describe* calls): both the cost-actions tools (when proposing) and the approvals
function (before executing) read it, and a proposal runs only if the two fingerprints match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from change_control.proposals import Resource
from opsagent_shared import aws

GUARD_TAG = "opsagent:allow-changes"


def volume_state(resource: Resource) -> Mapping[str, Any] | None:
    """An EBS volume's type, size, performance, state and tags; None when it is gone."""
    ec2 = aws.client("ec2", resource.region)
    try:
        volumes = ec2.describe_volumes(VolumeIds=[resource.id])["Volumes"]
    except aws.errors() as error:
        if aws.error_code(error) == "InvalidVolume.NotFound":
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
        "Tags": sorted((t["Key"], t["Value"]) for t in volume.get("Tags", [])),
    }


STATE_READERS = {"ebs-volume": volume_state}


def current_state(resource: Resource) -> Mapping[str, Any] | None:
    reader = STATE_READERS.get(resource.kind)
    return None if reader is None else reader(resource)
