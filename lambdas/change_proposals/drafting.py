"""From a drafted change to a stored, pending proposal and the answer the agent reads.

Shared by every cost-actions tool: the guard-tag check, the proposal's expiry and fingerprint,
storing it (the proposals table's stream posts it to Slack), and the tool response, which says
plainly that nothing has changed yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from change_control.changes import Action, relevant_state
from change_control.guard import GuardTag
from change_control.proposals import Proposal, Resource, fingerprint, new_id

from opsagent_shared.errors import BadRequest
from opsagent_shared.money import ZERO, money
from opsagent_shared.responses import tool_response

NOTHING_CHANGED = (
    "Nothing has changed yet: this is a proposal. An approver must click Approve on its "
    "message in the Slack channel; only then does it run, once."
)
NO_SLACK_APPROVALS = (
    "The Slack app is not set up in this deployment, so nobody can approve this proposal yet "
    "(README: The Slack app)."
)


@dataclass(frozen=True)
class Policy:
    """The deployment's rules for proposals (the cost-actions function's settings)."""

    guard: GuardTag
    ttl: timedelta
    purchases_enabled: bool
    max_monthly_commitment: Decimal
    slack_approvals: bool


@dataclass(frozen=True)
class Draft:
    """A change worth proposing, before it is stored: `state` is what its fingerprint covers."""

    action: Action
    resource: Resource
    parameters: Mapping[str, Any]
    summary: str
    reason: str
    monthly_saving: Decimal
    risk: str
    revert: str
    state: Mapping[str, Any]
    notes: tuple[str, ...] = ()


class Store(Protocol):
    def add(self, proposal: Proposal) -> None: ...


def not_found(kind: str, resource_id: str, region: str) -> BadRequest:
    return BadRequest(f"{kind} {resource_id} was not found in {region}; check the ID and region")


def require_guard(state: Mapping[str, Any], resource: Resource, guard: GuardTag) -> None:
    """A resource without the guard tag cannot be proposed for a change (when it is required)."""
    if not guard.allows(state):
        raise BadRequest(
            f"{resource.id} does not carry the tag {guard}, which this deployment requires "
            "before it changes anything. Ask the resource's owner to add the tag, then ask "
            "again (the tag is part of the proposal's fingerprint)."
        )


def proposal_from(draft: Draft, *, now: datetime, ttl: timedelta, guard: GuardTag) -> Proposal:
    return Proposal(
        proposal_id=new_id(),
        action=str(draft.action),
        resource=draft.resource,
        parameters=dict(draft.parameters),
        summary=draft.summary,
        reason=draft.reason,
        monthly_saving=draft.monthly_saving,
        risk=draft.risk,
        revert=draft.revert,
        fingerprint=fingerprint(relevant_state(draft.action, draft.state, guard)),
        created_at=now,
        expires_at=now + ttl,
    )


def submit(draft: Draft, *, policy: Policy, store: Store, now: datetime) -> dict[str, Any]:
    """Store the proposal (pending) and answer with it."""
    proposal = proposal_from(draft, now=now, ttl=policy.ttl, guard=policy.guard)
    store.add(proposal)
    return render(proposal, notes=draft.notes, policy=policy)


def render(proposal: Proposal, *, notes: Sequence[str], policy: Policy) -> dict[str, Any]:
    saving = proposal.monthly_saving
    saves = f"saves about ${money(saving)} a month" if saving > ZERO else "no direct saving"
    return tool_response(
        summary=(
            f"Proposed, not done: {proposal.summary} ({saves}). Proposal "
            f"{proposal.proposal_id} waits for an approver in Slack until "
            f"{proposal.expires_at:%Y-%m-%d %H:%M} UTC."
        ),
        items=[public(proposal)],
        notes=[
            NOTHING_CHANGED,
            *([] if policy.slack_approvals else [NO_SLACK_APPROVALS]),
            *notes,
        ],
    )


def public(proposal: Proposal) -> dict[str, Any]:
    """What the agent may repeat about a proposal."""
    return {
        "proposal_id": proposal.proposal_id,
        "status": str(proposal.status),
        "action": proposal.action,
        "resource": proposal.resource.id,
        "region": proposal.resource.region,
        "summary": proposal.summary,
        "reason": proposal.reason,
        "monthly_saving": money(proposal.monthly_saving),
        "risk": proposal.risk,
        "revert": proposal.revert,
        "created_at": proposal.created_at.isoformat(),
        "expires_at": proposal.expires_at.isoformat(),
    }
