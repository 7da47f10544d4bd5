"""An instance stopped or started, an Elastic IP released: EC2 calls, each dry-run first.

A stop proposes its undo (start it again). A start proposes none: it is itself the undo of a
stop, and stopping is a fresh decision. A released address cannot be got back (AWS hands the
IP to someone else), so there is nothing to propose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from change_control.changes import Action, Change, Undo
from change_control.proposals import Proposal

from approvals.executors.base import Clients, default_clients, dry_run_then_act
from opsagent_shared import aws

# How long a stop waits to see the instance `stopped` (within the function's 120 s), so the
# undo proposal's fingerprint is of the state it will be in, not of `stopping`.
STOP_WAIT = {"Delay": 5, "MaxAttempts": 9}


@dataclass(frozen=True)
class StopInstance:
    """StopInstances; the EBS volumes (and the instance's billing for them) stay."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource = proposal.resource
        ec2 = self.clients("ec2", resource.region)
        request = {"InstanceIds": [resource.id]}
        what = f"EC2 StopInstances {resource.id}"
        answer = dry_run_then_act(ec2.stop_instances, request, what)
        state = _current(answer.get("StoppingInstances"), default="stopping")
        try:  # Stopped: done. Still stopping after the wait: done too, and said so.
            ec2.get_waiter("instance_stopped").wait(
                InstanceIds=[resource.id], WaiterConfig=STOP_WAIT
            )
            state = "stopped"
        except aws.errors():
            pass
        return Change(
            before={"InstanceType": before.get("InstanceType"), "State": before.get("State")},
            after={"InstanceType": before.get("InstanceType"), "State": state},
            undo=Undo(
                action=Action.START_INSTANCE,
                parameters={},
                summary=f"Start {resource.id} again",
                risk="Low: the instance starts as it was, with a new public IP unless it has an "
                "Elastic IP; its instance-store data, if any, is gone since the stop.",
                revert="Stop it again (ask the agent for a new proposal).",
            ),
        )


@dataclass(frozen=True)
class StartInstance:
    """StartInstances."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource = proposal.resource
        ec2 = self.clients("ec2", resource.region)
        request = {"InstanceIds": [resource.id]}
        what = f"EC2 StartInstances {resource.id}"
        answer = dry_run_then_act(ec2.start_instances, request, what)
        return Change(
            before={"InstanceType": before.get("InstanceType"), "State": before.get("State")},
            after={
                "InstanceType": before.get("InstanceType"),
                "State": _current(answer.get("StartingInstances"), default="pending"),
            },
        )


@dataclass(frozen=True)
class ReleaseAddress:
    """ReleaseAddress by allocation ID (VPC addresses; EC2-Classic is gone)."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource = proposal.resource
        ec2 = self.clients("ec2", resource.region)
        request = {"AllocationId": resource.id}
        what = f"EC2 ReleaseAddress {resource.id}"
        dry_run_then_act(ec2.release_address, request, what)
        return Change(
            before={"PublicIp": before.get("PublicIp"), "Allocated": True},
            after={"PublicIp": before.get("PublicIp"), "Allocated": False},
        )


def _current(changes: Any, *, default: str) -> str:
    """The `CurrentState` of the one instance in a Start/StopInstances answer."""
    for change in changes or ():
        name = (change.get("CurrentState") or {}).get("Name")
        if name:
            return str(name)
    return default
