"""The changes themselves: the only code in the project that calls a mutating AWS API.

Each executor dry-runs first where the API has `DryRun` (EC2: it checks this function's
permission and the request's validity without acting; the cost-actions role, which holds no
mutating action, could not learn anything from it), then acts, then reads the resource again
for the "after" shown in Slack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from change_control.proposals import Proposal

from opsagent_shared import aws
from opsagent_shared.errors import OpsAgentError


class ChangeFailed(OpsAgentError):
    """AWS refused the change; the message says what it said."""


class Executor(Protocol):
    def run(
        self, proposal: Proposal, before: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Make the change to a resource whose state (just read) is `before`; (before, after)."""


GP3_BASELINE_IOPS, GP3_MAX_IOPS = 3_000, 16_000
GP3_BASELINE_MIBPS, GP2_MAX_MIBPS = 125, 250


def gp3_performance(before: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, int]:
    """IOPS and throughput for gp3 that are never below what the gp2 volume had: gp2 over
    1 TiB has more than gp3's 3,000 baseline IOPS, and gp2 over 170 GiB up to 250 MiB/s."""
    iops = int(parameters.get("iops") or max(GP3_BASELINE_IOPS, int(before.get("Iops") or 0)))
    size = int(before.get("Size") or 0)
    throughput = int(
        parameters.get("throughput") or (GP2_MAX_MIBPS if size > 170 else GP3_BASELINE_MIBPS)
    )
    return {"Iops": min(iops, GP3_MAX_IOPS), "Throughput": throughput}


class VolumeToGp3:
    """gp2 -> gp3 in place (ModifyVolume): the volume stays attached and in use, at no less
    IOPS or throughput than it had."""

    def run(
        self, proposal: Proposal, before: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        resource = proposal.resource
        ec2 = aws.client("ec2", resource.region)
        request = {
            "VolumeId": resource.id,
            "VolumeType": "gp3",
            **gp3_performance(before, proposal.parameters),
        }
        _dry_run(ec2.modify_volume, request, f"EC2 ModifyVolume {resource.id}")
        try:
            answer = ec2.modify_volume(**request)
        except aws.errors() as error:
            raise ChangeFailed(f"EC2 ModifyVolume {resource.id}: {_said(error)}") from error
        # The change is made: from here on nothing may report it as failed. "After" is what
        # AWS says the volume is becoming (the modification runs on for minutes).
        target = answer.get("VolumeModification") or {}
        after = {
            "VolumeType": target.get("TargetVolumeType", "gp3"),
            "Size": target.get("TargetSize", before.get("Size")),
            "Iops": target.get("TargetIops", request["Iops"]),
            "Throughput": target.get("TargetThroughput", request["Throughput"]),
            "ModificationState": target.get("ModificationState", "modifying"),
        }
        return {k: before.get(k) for k in ("VolumeType", "Size", "Iops", "Throughput")}, after


def _dry_run(call: Any, request: Mapping[str, Any], what: str) -> None:
    """`DryRunOperation` means it would succeed; any other error is the reason it would not."""
    try:
        call(**request, DryRun=True)
    except aws.errors() as error:
        if aws.error_code(error) == "DryRunOperation":
            return
        raise ChangeFailed(f"{what} would fail: {_said(error)}") from error
    raise ChangeFailed(f"{what}: the dry run did not answer DryRunOperation")


EXECUTORS: dict[str, Executor] = {"gp2_to_gp3": VolumeToGp3()}


def _said(error: BaseException) -> str:
    """AWS's code and message, which say what to do (cut: it is shown in Slack)."""
    message = aws.error_message(error)
    return f"{aws.reason(error)}: {message[:300]}" if message else aws.reason(error)
