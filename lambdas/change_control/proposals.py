"""A proposed change and the pure rules that decide what a click on it does.

States: pending -> executing -> executed | failed; pending -> rejected | cancelled | expired.
Only `decide` says when a pending proposal may run; the store's conditional write from pending
to executing makes "at most once" hold even when two clicks or a retry race.

A proposal left in executing (the approvals function timed out or crashed after claiming it) is
never run again by itself: nobody knows whether the change happened. Once it has been executing
longer than the function can run, a click is told so, and what to check, instead.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PENDING = "pending"
    EXECUTING = "executing"
    EXECUTED = "executed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


APPROVE, REJECT = "approve", "reject"
# The approvals function's timeout (infra.slack_app.APPROVALS_TIMEOUT; a test compares): a
# proposal executing longer than this was interrupted, not slow.
APPROVALS_TIMEOUT = timedelta(seconds=120)


@dataclass(frozen=True)
class Resource:
    kind: str  # "ebs-volume", "elastic-ip", "ec2-instance", "auto-scaling-group"
    id: str
    region: str


@dataclass(frozen=True)
class Proposal:
    """What would change, why, what it saves, how to undo it, and where it was posted."""

    proposal_id: str
    action: str  # an executor's name, e.g. "gp2_to_gp3"
    resource: Resource
    parameters: Mapping[str, Any]  # what the executor needs, e.g. {"volume_type": "gp3"}
    summary: str  # one line: what changes
    reason: str  # why, in numbers
    monthly_saving: Decimal
    risk: str
    revert: str  # how to undo it
    fingerprint: str  # of the resource's state when proposed (`fingerprint`)
    created_at: datetime
    expires_at: datetime
    status: Status = Status.PENDING
    channel: str = ""  # where the approval message is
    message_ts: str = ""
    history: tuple[Mapping[str, str], ...] = field(default_factory=tuple)  # the audit trail


def new_id() -> str:
    """'prop-' and 10 random hex digits: short enough to say, never guessed."""
    return f"prop-{secrets.token_hex(5)}"


def fingerprint(state: Mapping[str, Any]) -> str:
    """A stable digest of the parts of a resource's state a change depends on."""
    canonical = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Click:
    """A button press in Slack, as the approvals function receives it."""

    user: str
    action: str  # APPROVE or REJECT
    proposal_id: str
    channel: str
    message_ts: str


@dataclass(frozen=True)
class Decision:
    """What to do with a click: run the change, record a rejection, or refuse (and why)."""

    outcome: str  # "execute", "reject", "refuse"
    reason: str = ""


def decide(
    proposal: Proposal | None,
    click: Click,
    *,
    approvers: Collection[str],
    now: datetime,
    current_fingerprint: str | None,
    interrupted_after: timedelta = APPROVALS_TIMEOUT,
) -> Decision:
    """The approval rules, in the order a person would want to hear them. A proposal executing
    for `interrupted_after` or longer is said to be interrupted (see the module docstring)."""
    if click.user not in approvers:
        return Decision("refuse", "only the configured approvers can approve or reject changes")
    if proposal is None:
        return Decision("refuse", f"proposal {click.proposal_id} does not exist")
    if proposal.status is Status.EXECUTING:
        since = executing_since(proposal)
        if since is not None and now - since < interrupted_after:
            return Decision("refuse", f"proposal {proposal.proposal_id} is already being handled")
        return Decision("refuse", _interrupted(proposal, since))
    if proposal.status is not Status.PENDING:
        return Decision("refuse", f"proposal {proposal.proposal_id} is already {proposal.status}")
    if now >= proposal.expires_at:
        return Decision(
            "refuse",
            f"proposal {proposal.proposal_id} expired at {proposal.expires_at:%Y-%m-%d %H:%M} UTC;"
            " ask the agent for a new one",
        )
    if click.action == REJECT:
        return Decision("reject")
    if click.action != APPROVE:
        return Decision("refuse", f"unknown action {click.action[:40]!r}")
    if current_fingerprint is None:
        return Decision("refuse", f"{proposal.resource.id} no longer exists")
    if current_fingerprint != proposal.fingerprint:
        return Decision(
            "refuse",
            f"{proposal.resource.id} changed since the proposal; ask the agent for a new one",
        )
    return Decision("execute")


def executing_since(proposal: Proposal) -> datetime | None:
    """When the proposal was claimed for execution (its audit trail's last such event)."""
    for event in reversed(proposal.history):
        if event.get("status") == Status.EXECUTING:
            try:
                claimed = datetime.fromisoformat(event["at"])
            except (KeyError, ValueError):
                return None
            return claimed if claimed.tzinfo else claimed.replace(tzinfo=UTC)
    return None


def _interrupted(proposal: Proposal, since: datetime | None) -> str:
    when = "an unrecorded time" if since is None else f"{since:%Y-%m-%d %H:%M:%S} UTC"
    resource = proposal.resource
    return (
        f"proposal {proposal.proposal_id} has been executing since {when}, so it was probably "
        "interrupted, and it will not run again by itself: nobody knows whether the change "
        f"happened. Check {resource.kind} {resource.id} in {resource.region}, the approvals "
        "function's logs around that time, and the proposal's audit trail; to try again, ask "
        "the agent for a new proposal"
    )


def with_event(
    proposal: Proposal,
    status: Status,
    *,
    who: str,
    when: datetime,
    note: str = "",
    details: Mapping[str, Any] | None = None,
) -> Proposal:
    """The proposal in `status`, with the event appended to its audit trail. `note` is free
    text (cut to 500 characters); `details` (before and after) is kept whole, as JSON."""
    event = {"status": str(status), "by": who, "at": when.isoformat(), "note": note[:500]}
    if details is not None:
        event["details"] = json.dumps(details, default=str, sort_keys=True)
    return replace(proposal, status=status, history=(*proposal.history, event))


def to_document(proposal: Proposal) -> str:
    """The proposal as JSON (what the store keeps)."""
    return json.dumps(
        {
            "proposal_id": proposal.proposal_id,
            "action": proposal.action,
            "resource": {
                "kind": proposal.resource.kind,
                "id": proposal.resource.id,
                "region": proposal.resource.region,
            },
            "parameters": dict(proposal.parameters),
            "summary": proposal.summary,
            "reason": proposal.reason,
            "monthly_saving": str(proposal.monthly_saving),
            "risk": proposal.risk,
            "revert": proposal.revert,
            "fingerprint": proposal.fingerprint,
            "created_at": proposal.created_at.isoformat(),
            "expires_at": proposal.expires_at.isoformat(),
            "status": str(proposal.status),
            "channel": proposal.channel,
            "message_ts": proposal.message_ts,
            "history": [dict(event) for event in proposal.history],
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def from_document(text: str) -> Proposal:
    data = json.loads(text)
    return Proposal(
        proposal_id=data["proposal_id"],
        action=data["action"],
        resource=Resource(**data["resource"]),
        parameters=data["parameters"],
        summary=data["summary"],
        reason=data["reason"],
        monthly_saving=Decimal(data["monthly_saving"]),
        risk=data["risk"],
        revert=data["revert"],
        fingerprint=data["fingerprint"],
        created_at=datetime.fromisoformat(data["created_at"]),
        expires_at=datetime.fromisoformat(data["expires_at"]),
        status=Status(data["status"]),
        channel=data.get("channel", ""),
        message_ts=data.get("message_ts", ""),
        history=tuple(data.get("history", ())),
    )
