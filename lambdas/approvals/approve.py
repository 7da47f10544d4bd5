"""One click, start to finish: rules -> claim (pending -> executing) -> change -> audit -> Slack."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from change_control.changes import PURCHASE_KINDS, Change, Undo, monthly_commitment, relevant_state
from change_control.guard import GuardTag
from change_control.message import outcome_message
from change_control.proposals import (
    APPROVE,
    Click,
    Proposal,
    Status,
    decide,
    fingerprint,
    new_id,
    with_event,
)

from approvals.executors import Executor, PartlyChanged
from opsagent_shared import aws
from opsagent_shared.errors import OpsAgentError, ServiceUnavailable
from opsagent_shared.money import money


@dataclass(frozen=True)
class Limits:
    """What a change is held to beyond `decide`, from the function's settings: the guard tag
    (not for purchases, which change no resource), the purchase switch and monthly cap, and
    how long the undo proposal of a change can be approved."""

    guard: GuardTag
    purchases_enabled: bool = False
    max_monthly_commitment: Decimal = Decimal(0)
    proposal_ttl: timedelta = timedelta(hours=24)


class UndoNotProposed(OpsAgentError):
    """The change ran, but its undo proposal could not be made (the resource cannot be read)."""


class Store(Protocol):
    def add(self, proposal: Proposal) -> None: ...
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
    limits: Limits,
    now: datetime,
    clock: Callable[[], datetime] | None = None,
) -> str:
    """What became of the click: executed, failed, rejected, refused or duplicate (with a
    suffix when the undo could not be proposed or the message not updated)."""
    proposal = store.get(click.proposal_id)
    current = None
    state: Mapping[str, Any] | None = None
    if (
        proposal is not None
        and proposal.status is Status.PENDING
        and now < proposal.expires_at  # expired: `decide` says so first
        and click.action == APPROVE
        and click.user in approvers
    ):
        if proposal.action not in executors:
            _tell(slack, click, f"Not done: no executor for {proposal.action}.")
            return "refused"
        # Refused before anything is claimed, so the proposal stays pending: tag the resource
        # (or change the settings) and click again. The tag is part of the fingerprint, so
        # resources are tagged before a proposal is asked for. A purchase the limits forbid
        # without reading anything is refused before any AWS call.
        refusal = "" if _needs_state(proposal) else _refusal(proposal, None, limits)
        if not refusal:
            unreadable: tuple[type[Exception], ...] = (OpsAgentError, *aws.errors())
            try:
                state = state_of(proposal)
            except unreadable as error:  # nothing claimed: click again
                _tell(
                    slack,
                    click,
                    f"Not done: {proposal.resource.id} could not be read ({str(error)[:200]}); "
                    "try again in a minute.",
                )
                return "unchecked"
            refusal = _refusal(proposal, state, limits)
        if refusal:
            _tell(slack, click, f"Not done: {refusal}.")
            return "refused"
        current = (
            None
            if state is None
            else fingerprint(relevant_state(proposal.action, state, limits.guard))
        )
    decision = decide(proposal, click, approvers=approvers, now=now, current_fingerprint=current)
    if decision.outcome == "refuse" or proposal is None:
        _tell(slack, click, f"Not done: {decision.reason}.")
        if (
            proposal is not None
            and proposal.status is Status.PENDING
            and now >= proposal.expires_at
        ):
            _expire(store, proposal, now)
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
    finished: Callable[[], datetime] = clock or (lambda: now)
    try:
        # The state read a moment ago for the fingerprint is the "before": no second read.
        change = executors[proposal.action].run(proposal, state or {})
    except PartlyChanged as error:
        # Something changed and something did not: recorded and shown as failed, with what
        # was done, and the way back proposed when there is one.
        undo_id, undo_problem = _propose_undo(
            executing,
            error.change.undo,
            store=store,
            state_of=state_of,
            limits=limits,
            now=finished(),
        )
        failed = with_event(
            executing,
            Status.FAILED,
            who=click.user,
            when=finished(),
            note=str(error),
            details=_details(error.change, undo_id, undo_problem),
        )
        unrecorded = _record(store, failed)
        reported = _report(
            slack,
            failed,
            headline="Failed part way",
            by=click.user,
            before=error.change.before,
            after=error.change.after,
            follow_up=_follow_up(str(error)[:500], undo_id, failed.revert),
        )
        return _outcome("failed-partway" + _suffix(undo_problem) + unrecorded, reported)
    except refused_by_aws as error:
        failed = with_event(
            executing, Status.FAILED, who=click.user, when=finished(), note=str(error)
        )
        unrecorded = _record(store, failed)
        reported = _report(
            slack, failed, headline="Failed", by=click.user, follow_up=str(error)[:500]
        )
        return _outcome("failed" + unrecorded, reported)
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        # A proposal whose parameters the executor could not use (a fault, not AWS): it may
        # have stopped after a change, so it is shown failed with what to check; never re-run.
        note = (
            f"the change stopped on an internal error ({type(error).__name__}); check "
            f"{proposal.resource.id}: it may have partly changed"
        )
        failed = with_event(executing, Status.FAILED, who=click.user, when=finished(), note=note)
        unrecorded = _record(store, failed)
        reported = _report(slack, failed, headline="Failed", by=click.user, follow_up=note)
        return _outcome("failed-internal" + unrecorded, reported)
    # The change is made: nothing from here on may report it as failed.
    undo_id, undo_problem = _propose_undo(
        executing, change.undo, store=store, state_of=state_of, limits=limits, now=finished()
    )
    done = with_event(
        executing,
        Status.EXECUTED,
        who=click.user,
        when=finished(),
        note=undo_problem,
        details=_details(change, undo_id, undo_problem),
    )
    unrecorded = _record(store, done)
    reported = _report(
        slack,
        done,
        headline="Done",
        by=click.user,
        before=change.before,
        after=change.after,
        follow_up=_follow_up("", undo_id, done.revert),
    )
    return _outcome("executed" + _suffix(undo_problem) + unrecorded, reported)


def _record(store: Store, finished: Proposal) -> str:
    """Move a claimed proposal to its final state (one retry); "" when recorded, else the
    outcome suffix. Slack is told either way: the change happened, or did not, regardless."""
    for _ in range(2):
        try:
            if store.move(finished, expected=Status.EXECUTING):
                return ""
            return "-unrecorded"  # not executing any more: nothing else moves it; a fault
        except ServiceUnavailable:
            continue
    return "-unrecorded"


def _expire(store: Store, proposal: Proposal, now: datetime) -> None:
    """Record that a pending proposal expired (the announcer then takes its buttons away)."""
    expired = with_event(
        proposal, Status.EXPIRED, who="opsagent", when=now, note="expired before approval"
    )
    try:
        store.move(expired, expected=Status.PENDING)
    except ServiceUnavailable:
        return  # the click was answered; the buttons stay until the next click


def _needs_state(proposal: Proposal) -> bool:
    """Whether the limits can be checked only with the resource's state (its guard tag): a
    purchase changes no resource, so its limits are checked before any AWS call."""
    return proposal.resource.kind not in PURCHASE_KINDS


def _refusal(proposal: Proposal, state: Mapping[str, Any] | None, limits: Limits) -> str:
    """Why the limits forbid running `proposal` now, or ""."""
    if proposal.resource.kind in PURCHASE_KINDS:
        if not limits.purchases_enabled:
            return "purchases are turned off (the purchases_enabled setting)"
        try:
            # The same figure the tool checked when proposing; the offering's prices it rests
            # on are in the fingerprint, checked next.
            commitment = monthly_commitment(proposal.action, proposal.parameters)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return f"proposal {proposal.proposal_id} does not say what the purchase commits to"
        if commitment > limits.max_monthly_commitment:
            return (
                f"it commits ${money(commitment)} a month, over the "
                f"${money(limits.max_monthly_commitment)} cap (max_monthly_commitment_usd)"
            )
        return ""
    if state is not None and not limits.guard.allows(state):
        return f"{proposal.resource.id} is not tagged {limits.guard}"
    return ""


def _propose_undo(
    changed: Proposal,
    undo: Undo | None,
    *,
    store: Store,
    state_of: Callable[[Proposal], Mapping[str, Any] | None],
    limits: Limits,
    now: datetime,
) -> tuple[str, str]:
    """Store the proposal that undoes `changed` (the announcer posts it, and it is approved
    like any other): (its ID, "") or ("", why not). Never raises for AWS or the store: the
    change is made, and failing to offer its undo must not make it look failed."""
    if undo is None:
        return "", ""
    draft = Proposal(
        proposal_id=new_id(),
        action=str(undo.action),
        resource=changed.resource,
        parameters=dict(undo.parameters),
        summary=undo.summary,
        reason=f"Undoes {changed.proposal_id}",
        monthly_saving=Decimal(0) - changed.monthly_saving,
        risk=undo.risk,
        revert=undo.revert,
        fingerprint="",
        created_at=now,
        expires_at=now + limits.proposal_ttl,
    )
    expected: tuple[type[Exception], ...] = (OpsAgentError, *aws.errors())
    try:
        state = state_of(draft)
        if state is None:
            raise UndoNotProposed(f"{changed.resource.id} could not be read after the change")
        proposal = replace(
            draft, fingerprint=fingerprint(relevant_state(draft.action, state, limits.guard))
        )
        store.add(proposal)
    except expected as error:
        return "", f"undo not proposed: {str(error)[:300]}"
    return proposal.proposal_id, ""


def _details(change: Change, undo_id: str, undo_problem: str) -> dict[str, Any]:
    details: dict[str, Any] = {"before": dict(change.before), "after": dict(change.after)}
    if undo_id:
        details["undo_proposal_id"] = undo_id
    if undo_problem:
        details["undo_problem"] = undo_problem
    return details


def _follow_up(first: str, undo_id: str, revert: str) -> str:
    how = (
        f"To undo: approve proposal {undo_id}, posted for approval."
        if undo_id
        else f"To undo: {revert}"
    )
    return f"{first}\n{how}" if first else how


def _suffix(undo_problem: str) -> str:
    return "-undo-unproposed" if undo_problem else ""


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
