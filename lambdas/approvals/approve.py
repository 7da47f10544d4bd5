"""One click, start to finish: rules -> claim (pending -> executing) -> change -> audit -> Slack."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, Protocol

from change_control.guard import DEFAULT_GUARD_TAG
from change_control.message import outcome_message
from change_control.proposals import (
    APPROVE,
    Click,
    Proposal,
    Status,
    decide,
    fingerprint,
    with_event,
)

from approvals.executors import Executor
from opsagent_shared import aws
from opsagent_shared.errors import OpsAgentError, ServiceUnavailable

# Stopgap until the guard-tag setting reaches this module (another branch rewrites it).
GUARD_TAG = DEFAULT_GUARD_TAG.partition("=")[0]


class Store(Protocol):
    def get(self, proposal_id: str) -> Proposal | None: ...
    def move(self, proposal: Proposal, *, expected: Status) -> bool: ...


class Slack(Protocol):
    def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None: ...
    def tell(self, channel: str, user: str, text: str) -> None: ...


class MalformedClick(ValueError):
    """The queued payload is not a button click on a proposal."""


def click_from(payload: Mapping[str, Any]) -> Click:
    """A `Click` from a Slack block_actions payload (as the ingress queued it)."""
    try:
        (action,) = payload["actions"]
        container = payload.get("container") or {}
        channel = container.get("channel_id") or (payload.get("channel") or {}).get("id")
        return Click(
            user=str(payload["user"]["id"]),
            action=str(action["action_id"]),
            proposal_id=str(action["value"]),
            channel=str(channel or ""),
            message_ts=str(container.get("message_ts") or ""),
        )
    except (KeyError, TypeError, ValueError):
        raise MalformedClick("not a block_actions payload with one action") from None


def handle(
    click: Click,
    *,
    store: Store,
    executors: Mapping[str, Executor],
    state_of: Callable[[Proposal], Mapping[str, Any] | None],
    slack: Slack,
    approvers: Collection[str],
    now: datetime,
    clock: Callable[[], datetime] | None = None,
) -> str:
    """What became of the click: executed, failed, rejected, refused or duplicate."""
    proposal = store.get(click.proposal_id)
    current = None
    state: Mapping[str, Any] | None = None
    if proposal is not None and click.action == APPROVE and click.user in approvers:
        if proposal.action not in executors:
            _tell(slack, click, f"Not done: no executor for {proposal.action}.")
            return "refused"
        state = state_of(proposal)
        if state is not None and (GUARD_TAG, "true") not in [
            tuple(t) for t in state.get("Tags", [])
        ]:
            # Refused before anything is claimed: tag it and click again (the tag is part of
            # the fingerprint, so tag resources before asking for a proposal).
            _tell(slack, click, f"Not done: {proposal.resource.id} is not tagged {GUARD_TAG}=true.")
            return "refused"
        current = None if state is None else fingerprint(state)
    decision = decide(proposal, click, approvers=approvers, now=now, current_fingerprint=current)
    if decision.outcome == "refuse" or proposal is None:
        _tell(slack, click, f"Not done: {decision.reason}.")
        return "refused"
    if decision.outcome == "reject":
        rejected = with_event(proposal, Status.REJECTED, who=click.user, when=now)
        if not store.move(rejected, expected=Status.PENDING):
            _tell(slack, click, "Not done: someone handled it a moment ago.")
            return "duplicate"
        return _outcome("rejected", _report(slack, rejected, headline="Rejected", by=click.user))
    executing = with_event(proposal, Status.EXECUTING, who=click.user, when=now)
    if not store.move(executing, expected=Status.PENDING):  # a second click, or a retry
        _tell(slack, click, "Not done: it is already being handled.")
        return "duplicate"
    _report(slack, executing, headline="Running", by=click.user)  # the buttons go at once
    refused_by_aws: tuple[type[Exception], ...] = (OpsAgentError, *aws.errors())
    try:
        # The state read a moment ago for the fingerprint is the "before": no second read.
        before, after = executors[proposal.action].run(proposal, state or {})
    except refused_by_aws as error:
        finished = clock() if clock else now
        failed = with_event(
            executing, Status.FAILED, who=click.user, when=finished, note=str(error)
        )
        store.move(failed, expected=Status.EXECUTING)
        reported = _report(
            slack, failed, headline="Failed", by=click.user, follow_up=str(error)[:500]
        )
        return _outcome("failed", reported)
    done = with_event(
        executing,
        Status.EXECUTED,
        who=click.user,
        when=clock() if clock else now,
        details={"before": before, "after": after},
    )
    store.move(done, expected=Status.EXECUTING)
    reported = _report(
        slack,
        done,
        headline="Done",
        by=click.user,
        before=before,
        after=after,
        follow_up=f"To undo: {done.revert}",
    )
    return _outcome("executed", reported)


def _tell(slack: Slack, click: Click, text: str) -> None:
    """Tell the clicker only; a failure is logged by the caller's outcome, never retried
    (a retry would only say the same thing later)."""
    try:
        slack.tell(click.channel, click.user, text)
    except ServiceUnavailable:
        return


def _outcome(outcome: str, report_problem: str) -> str:
    """`outcome`, or `outcome-unreported` when the Slack message could not be updated."""
    return outcome if not report_problem else f"{outcome}-unreported"


def _report(slack: Slack, proposal: Proposal, **outcome: Any) -> str:
    """Update the approval message; "" when done, else why not. The proposal's state is final
    by now, so a retry could not report it better: a failed update is logged, not retried."""
    if not (proposal.channel and proposal.message_ts):
        return "no message to update"
    try:
        slack.update(proposal.channel, proposal.message_ts, outcome_message(proposal, **outcome))
    except ServiceUnavailable as error:
        return str(error)
    return ""
