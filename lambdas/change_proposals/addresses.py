"""Release one Elastic IP that is associated with nothing: its public IPv4 charge stops."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from change_control.changes import Action, Kind
from change_control.proposals import Resource
from change_control.resources import address_state
from cost_analysis.waste import PUBLIC_IPV4_HOUR

from change_proposals.drafting import Draft, Policy, Store, not_found, require_guard, submit
from opsagent_shared.errors import BadRequest
from opsagent_shared.money import monthly_from_hourly


def run(
    *, allocation_id: str, region: str, policy: Policy, store: Store, now: datetime
) -> dict[str, Any]:
    resource = Resource(kind=Kind.ADDRESS, id=allocation_id, region=region)
    draft = release_draft(resource, address_state(resource), policy=policy)
    return submit(draft, policy=policy, store=store, now=now)


def release_draft(resource: Resource, state: Mapping[str, Any] | None, *, policy: Policy) -> Draft:
    if state is None:
        raise not_found("Elastic IP", resource.id, resource.region)
    if state.get("AssociationId"):
        raise BadRequest(
            f"{resource.id} ({state.get('PublicIp')}) is associated ({state['AssociationId']}); "
            "only an address associated with nothing is released"
        )
    require_guard(state, resource, policy.guard)
    saving = monthly_from_hourly(PUBLIC_IPV4_HOUR)
    return Draft(
        action=Action.RELEASE_ADDRESS,
        resource=resource,
        parameters={"public_ip": str(state.get("PublicIp") or "")},
        summary=f"Release Elastic IP {state.get('PublicIp')} ({resource.id})",
        reason=f"It is associated with nothing and costs ${PUBLIC_IPV4_HOUR} an hour",
        monthly_saving=saving,
        risk=(
            "Anything that still points at this address (DNS records, allow-lists, partner "
            "firewalls) stops reaching it"
        ),
        revert=(
            "None for the same address: a released IP usually cannot be recovered. Allocate a "
            "new one and update whatever pointed at the old one"
        ),
        state=state,
    )
