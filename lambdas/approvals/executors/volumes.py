"""gp2 -> gp3 in place: the volume stays attached and in use, at no less performance.

No undo proposal: EBS allows one modification of a volume every six hours, so gp3 -> gp2 could
not run now; the proposal's revert text says how to do it later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from change_control.changes import Change
from change_control.proposals import Proposal

from approvals.executors.base import Clients, default_clients, dry_run_then_act
from opsagent_shared.ebs import GP3_MAX_IOPS, gp3_matching


def gp3_performance(before: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, int]:
    """IOPS and throughput for gp3 that are never below what the gp2 volume sustained
    (`opsagent_shared.ebs.gp3_matching`, the rule the saving was priced with); the proposal's
    own `iops`/`throughput`, when given, win."""
    iops = int(before.get("Iops") or 0) or None
    matching = gp3_matching(int(before.get("Size") or 0), iops=iops)
    return {
        "Iops": min(int(parameters.get("iops") or matching.iops), GP3_MAX_IOPS),
        "Throughput": int(parameters.get("throughput") or matching.throughput),
    }


@dataclass(frozen=True)
class VolumeToGp3:
    """ModifyVolume to gp3 at the gp2 volume's IOPS and throughput or more."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource = proposal.resource
        ec2 = self.clients("ec2", resource.region)
        request = {
            "VolumeId": resource.id,
            "VolumeType": "gp3",
            **gp3_performance(before, proposal.parameters),
        }
        what = f"EC2 ModifyVolume {resource.id}"
        answer = dry_run_then_act(ec2.modify_volume, request, what)
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
        kept = {k: before.get(k) for k in ("VolumeType", "Size", "Iops", "Throughput")}
        return Change(before=kept, after=after)
