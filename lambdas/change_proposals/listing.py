"""List proposals by status, and cancel a pending one (which the announcer shows in Slack)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from change_control.proposals import (
    APPROVALS_TIMEOUT,
    Proposal,
    Status,
    executing_since,
    with_event,
)

from change_proposals.drafting import public
from opsagent_shared.errors import BadRequest
from opsagent_shared.money import ZERO, money
from opsagent_shared.responses import tool_response

# What list_proposals accepts: the stored statuses, "expired" (pending past its expiry: nobody
# writes that status) and "all".
EXPIRED, ALL = "expired", "all"
LISTABLE = (
    "pending",
    "executing",
    "executed",
    "failed",
    "rejected",
    "cancelled",
    EXPIRED,
    ALL,
)
# An approval runs within the approvals function's timeout; a proposal executing for longer
# was interrupted, and is never re-run by itself (the same rule a click meets in `decide`).
INTERRUPTED_AFTER = APPROVALS_TIMEOUT


class Store(Protocol):
    def get(self, proposal_id: str) -> Proposal | None: ...
    def move(
        self, proposal: Proposal, *, expected: Status, message_ts_was: str | None = None
    ) -> bool: ...
    def by_status(
        self,
        status: Status,
        *,
        limit: int,
        expired: bool | None = None,
        now: datetime | None = None,
        max_pages: int = 5,
    ) -> tuple[list[Proposal], bool]: ...


def run_list(*, status: str, top: int, store: Store, now: datetime) -> dict[str, Any]:
    found, more = fetch(status, top=top, store=store, now=now)
    return render_list(found, status=status, more=more, now=now, top=top)


def fetch(status: str, *, top: int, store: Store, now: datetime) -> tuple[list[Proposal], bool]:
    if status == EXPIRED:
        return store.by_status(Status.PENDING, limit=top, expired=True, now=now)
    if status == "pending":
        return store.by_status(Status.PENDING, limit=top, expired=False, now=now)
    if status != ALL:
        return store.by_status(Status(status), limit=top)
    found: list[Proposal] = []
    more = False
    for each in Status:
        if each is Status.EXPIRED:
            continue
        some, more_here = store.by_status(each, limit=top)
        found.extend(some)
        more = more or more_here
    found.sort(key=lambda p: p.created_at, reverse=True)
    return found[:top], more or len(found) > top


def shown_status(proposal: Proposal, now: datetime) -> str:
    if proposal.status is Status.PENDING and now >= proposal.expires_at:
        return EXPIRED
    if proposal.status is Status.EXECUTING:
        since = executing_since(proposal)
        if since is None or now - since >= INTERRUPTED_AFTER:  # as `decide` judges it
            return "executing (interrupted?)"
    return str(proposal.status)


def render_list(
    found: Sequence[Proposal], *, status: str, more: bool, now: datetime, top: int
) -> dict[str, Any]:
    items = []
    for proposal in found:
        item = public(proposal)
        item["status"] = shown_status(proposal, now)
        if proposal.history:
            last = proposal.history[-1]
            item["last_event"] = f"{last.get('status')} by {last.get('by')} at {last.get('at')}"
        items.append(item)
    pending_saving = sum(
        (p.monthly_saving for p in found if shown_status(p, now) == "pending"), ZERO
    )
    notes = []
    if more:
        notes.append(f"More {status} proposals exist than the {top} shown (newest first).")
    if any(i["status"].endswith("(interrupted?)") for i in items):
        notes.append(
            "A proposal still 'executing' after 2 minutes was interrupted: it is never re-run "
            "by itself. Check the resource and the approvals function's logs, then ask for a "
            "new proposal if the change did not happen."
        )
    summary = f"{len(items)} {status} proposal(s)" + (
        f"; pending ones would save ${money(pending_saving)} a month" if pending_saving else ""
    )
    return tool_response(summary=summary, items=items, total_count=len(items), notes=notes, top=top)


CANCEL_ATTEMPTS = 3


def run_cancel(*, proposal_id: str, reason: str, store: Store, now: datetime) -> dict[str, Any]:
    """Cancel from a fresh read; if the announcer recorded the message (or anything else
    moved) between the read and the write, read again, so its Slack message is kept."""
    for _ in range(CANCEL_ATTEMPTS):
        proposal = store.get(proposal_id)
        cancelled = cancellation(proposal, proposal_id=proposal_id, reason=reason, now=now)
        if store.move(cancelled, expected=Status.PENDING):
            return tool_response(
                summary=(
                    f"Cancelled proposal {proposal_id}: {cancelled.summary}. Nothing was changed."
                ),
                items=[public(cancelled)],
                notes=(
                    ["Its approval message in Slack now says it was cancelled."]
                    if cancelled.message_ts
                    else []
                ),
            )
    raise BadRequest(f"{proposal_id} is changing right now; list it in a moment to see how")


def cancellation(
    proposal: Proposal | None, *, proposal_id: str, reason: str, now: datetime
) -> Proposal:
    if proposal is None:
        raise BadRequest(f"there is no proposal {proposal_id}; list_proposals shows them")
    shown = shown_status(proposal, now)
    if shown != "pending":
        raise BadRequest(f"{proposal_id} is {shown}; only a pending proposal can be cancelled")
    return with_event(
        proposal, Status.CANCELLED, who="agent", when=now, note=reason or "asked in chat"
    )
