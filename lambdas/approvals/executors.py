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
from change_control.resources import volume_state

from opsagent_shared import aws
from opsagent_shared.errors import OpsAgentError


class ChangeFailed(OpsAgentError):
    """AWS refused the change; the message says what it said."""


class Executor(Protocol):
    def run(self, proposal: Proposal) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Make the change; (before, after) of the resource."""


class VolumeToGp3:
    """gp2 -> gp3 in place (ModifyVolume): the volume stays attached and in use."""

    def run(self, proposal: Proposal) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        resource = proposal.resource
        before = volume_state(resource) or {}
        ec2 = aws.client("ec2", resource.region)
        request = {"VolumeId": resource.id, "VolumeType": "gp3"}
        _dry_run(ec2.modify_volume, request, f"EC2 ModifyVolume {resource.id}")
        try:
            ec2.modify_volume(**request)
        except aws.errors() as error:
            raise ChangeFailed(f"EC2 ModifyVolume {resource.id}: {aws.reason(error)}") from error
        after = volume_state(resource) or {}
        return before, after


def _dry_run(call: Any, request: Mapping[str, Any], what: str) -> None:
    """`DryRunOperation` means it would succeed; any other error is the reason it would not."""
    try:
        call(**request, DryRun=True)
    except aws.errors() as error:
        if aws.error_code(error) == "DryRunOperation":
            return
        raise ChangeFailed(f"{what} would fail: {aws.reason(error)}") from error
    raise ChangeFailed(f"{what}: the dry run did not answer DryRunOperation")


EXECUTORS: dict[str, Executor] = {"gp2_to_gp3": VolumeToGp3()}
