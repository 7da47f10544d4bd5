"""Which stream records need a Slack message, and writing it: a new pending proposal is posted
for approval; a proposal cancelled (or expired) while pending has its message updated, buttons
gone, so nobody clicks on something that can no longer run.

The table's stream carries new images only (NEW_IMAGE, see infra.slack_app.ProposalTable), so
a move out of pending is read from the audit trail: every move appends an event with the new
status, nothing moves a proposal to pending, and cancelled and expired are final. A MODIFY
record whose status is cancelled, whose last event is that cancellation and whose event before
it (if any) is not a move out of pending is therefore the one record of that transition; a
retried record only repeats the same chat.update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from change_control.message import approval_message, outcome_message
from change_control.proposals import Proposal, Status, from_document


class Store(Protocol):
    def get(self, proposal_id: str) -> Proposal | None: ...
    def move(
        self, proposal: Proposal, *, expected: Status, message_ts_was: str | None = None
    ) -> bool: ...


class Poster(Protocol):
    def post(self, channel: str, message: Mapping[str, Any]) -> str: ...


class Updater(Protocol):
    def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None: ...


class Slack(Poster, Updater, Protocol):
    """Posts and updates messages."""


# The moves out of pending that the approvals function does not report itself, and their
# headline in Slack. (Approvals updates the message for rejected, executing and after.)
CLOSED_WHILE_PENDING = {Status.CANCELLED: "Cancelled", Status.EXPIRED: "Expired"}
_HEADLINES = {str(status): headline for status, headline in CLOSED_WHILE_PENDING.items()}


@dataclass(frozen=True)
class Closed:
    """A pending proposal that was cancelled or expired, and who or what did it."""

    proposal: Proposal
    headline: str
    by: str
    note: str


def to_announce(event_name: str, new_image: Mapping[str, Any] | None) -> Proposal | None:
    """The proposal a stream record brings in, if it is new, pending and not yet posted.

    Later writes (its message ts, approvals) arrive as MODIFY records and are never posted
    again."""
    if event_name != "INSERT" or not new_image or new_image.get("status") != Status.PENDING:
        return None
    proposal = from_document(str(new_image["document"]))
    return None if proposal.message_ts else proposal


def to_close(event_name: str, new_image: Mapping[str, Any] | None) -> Closed | None:
    """The proposal a stream record shows closed while pending, if its message is posted."""
    if event_name != "MODIFY" or not new_image:
        return None
    headline = _HEADLINES.get(str(new_image.get("status", "")))
    if headline is None:
        return None
    proposal = from_document(str(new_image["document"]))
    if not (proposal.channel and proposal.message_ts and proposal.history):
        return None
    last = proposal.history[-1]
    before = proposal.history[-2]["status"] if len(proposal.history) > 1 else Status.PENDING
    if last.get("status") != proposal.status or before != Status.PENDING:
        return None
    return Closed(proposal, headline, by=str(last.get("by", "")), note=str(last.get("note", "")))


def announce(proposal: Proposal, *, channel: str, slack: Slack, store: Store) -> str:
    """Post the approval message and remember where it is; what became of it.

    A proposal cancelled between its insert and this post (the stream is seconds behind) is
    found when its message cannot be recorded: the message just posted is closed at once, so
    no buttons stay on something that can no longer run."""
    ts = slack.post(channel, approval_message(proposal))
    posted = replace(proposal, channel=channel, message_ts=ts)
    if store.move(posted, expected=Status.PENDING, message_ts_was=""):
        return "posted"
    current = store.get(proposal.proposal_id)
    headline = CLOSED_WHILE_PENDING.get(current.status) if current is not None else None
    if current is None or headline is None or not current.history:
        return "posted-unrecorded"
    last = current.history[-1]
    close(
        Closed(
            replace(current, channel=channel, message_ts=ts),
            headline,
            by=str(last.get("by", "")),
            note=str(last.get("note", "")),
        ),
        slack=slack,
    )
    return "posted-closed"


def close(closed: Closed, *, slack: Updater) -> str:
    """Update the approval message: the headline, by whom, why; no buttons."""
    proposal = closed.proposal
    follow_up = "Nothing was changed."
    if closed.note:
        follow_up = f"Reason: {closed.note}. {follow_up}"
    slack.update(
        proposal.channel,
        proposal.message_ts,
        outcome_message(
            proposal, headline=closed.headline, by=closed.by or "someone", follow_up=follow_up
        ),
    )
    return closed.headline.lower()
