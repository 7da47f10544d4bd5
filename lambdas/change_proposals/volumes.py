"""gp2 -> gp3 for one EBS volume: 20% less per GB at no less IOPS or throughput."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from change_control.changes import Action, Kind
from change_control.proposals import Resource
from change_control.resources import volume_state
from cost_analysis.waste import EBS_GB_MONTH

from change_proposals.drafting import Draft, Policy, Store, not_found, require_guard, submit
from opsagent_shared.ebs import gp3_saving
from opsagent_shared.errors import BadRequest
from opsagent_shared.money import ZERO, money


def run(
    *, volume_id: str, region: str, policy: Policy, store: Store, now: datetime
) -> dict[str, Any]:
    resource = Resource(kind=Kind.VOLUME, id=volume_id, region=region)
    draft = gp3_draft(resource, volume_state(resource), policy=policy)
    return submit(draft, policy=policy, store=store, now=now)


def gp3_draft(resource: Resource, state: Mapping[str, Any] | None, *, policy: Policy) -> Draft:
    if state is None:
        raise not_found("EBS volume", resource.id, resource.region)
    if state.get("VolumeType") != "gp2":
        raise BadRequest(
            f"{resource.id} is {state.get('VolumeType')}, not gp2; only gp2 volumes move to gp3"
        )
    if state.get("State") not in ("in-use", "available"):
        raise BadRequest(f"{resource.id} is {state.get('State')}; ask again once it is settled")
    require_guard(state, resource, policy.guard)
    size = int(state.get("Size") or 0)
    saving = gp3_saving(size, EBS_GB_MONTH["gp2"])
    if saving <= ZERO:
        raise BadRequest(
            f"{resource.id} ({size} GiB) would cost no less on gp3 at the same performance"
        )
    return Draft(
        action=Action.GP2_TO_GP3,
        resource=resource,
        parameters={},
        summary=f"Change EBS volume {resource.id} ({size} GiB) from gp2 to gp3",
        reason=(
            f"gp3 costs 20% less per GB; at the IOPS and throughput this volume has now it "
            f"saves ${money(saving)} a month (us-east-1 list prices)"
        ),
        monthly_saving=saving,
        risk="Low: the volume stays attached and in use while EBS modifies it (minutes to hours)",
        revert=("Modify it back to gp2 (EBS allows one modification per volume every 6 hours)"),
        state=state,
    )
