"""Which stream records are new proposals to announce, and announcing one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from change_control.message import approval_message
from change_control.proposals import Proposal, Status, from_document


class Store(Protocol):
    def move(self, proposal: Proposal, *, expected: Status) -> bool: ...


class Poster(Protocol):
    def post(self, channel: str, message: Mapping[str, Any]) -> str: ...


def to_announce(event_name: str, new_image: Mapping[str, Any] | None) -> Proposal | None:
    """The proposal a stream record brings in, if it is new, pending and not yet posted.

    Later writes (its message ts, approvals) arrive as MODIFY records and are never posted
    again."""
    if event_name != "INSERT" or not new_image or new_image.get("status") != Status.PENDING:
        return None
    proposal = from_document(str(new_image["document"]))
    return None if proposal.message_ts else proposal


def announce(proposal: Proposal, *, channel: str, slack: Poster, store: Store) -> str:
    """Post the approval message and remember where it is; what became of it."""
    ts = slack.post(channel, approval_message(proposal))
    posted = replace(proposal, channel=channel, message_ts=ts)
    # Still pending: nobody can click a message that did not exist a moment ago.
    return "posted" if store.move(posted, expected=Status.PENDING) else "posted-unrecorded"
