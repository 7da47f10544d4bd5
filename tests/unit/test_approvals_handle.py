"""approve.handle when things fail around the change: nothing is lost, the clicker is told."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from approvals.approve import Limits, handle
from change_control.changes import Change, relevant_state
from change_control.guard import DEFAULT_GUARD_TAG, parse_guard_tag
from change_control.proposals import APPROVE, Click, Proposal, Status, fingerprint

from opsagent_shared.errors import ServiceUnavailable
from tests.unit.test_change_control import NOW, PROPOSAL, STATE

GUARD = parse_guard_tag(DEFAULT_GUARD_TAG)
TAGGED = {**STATE, "Tags": [[GUARD.key, GUARD.value]]}
PENDING = replace(
    PROPOSAL,
    fingerprint=fingerprint(relevant_state(PROPOSAL.action, TAGGED, GUARD)),
    channel="C1",
    message_ts="1.1",
)
CLICK = Click(user="U0APPROVER", action=APPROVE, proposal_id=PENDING.proposal_id, channel="C1",
              message_ts="1.1")  # fmt: skip


class Store:
    def __init__(self, proposal: Proposal, *, failing_moves: int = 0) -> None:
        self.proposal = proposal
        self.failing_moves = failing_moves

    def get(self, proposal_id: str) -> Proposal | None:
        return self.proposal if proposal_id == self.proposal.proposal_id else None

    def move(self, proposal: Proposal, *, expected: Status) -> bool:
        if self.proposal.status is not expected:
            return False
        if proposal.status is not Status.EXECUTING and self.failing_moves:
            self.failing_moves -= 1
            raise ServiceUnavailable("DynamoDB PutItem (proposals) failed (Throttling).")
        self.proposal = proposal
        return True

    def add(self, proposal: Proposal) -> None:
        raise AssertionError("no undo expected")


class Slack:
    def __init__(self) -> None:
        self.told: list[str] = []
        self.updates: list[Mapping[str, Any]] = []

    def update(self, channel: str, ts: str, message: Mapping[str, Any]) -> None:
        self.updates.append(message)

    def tell(self, channel: str, user: str, text: str) -> None:
        self.told.append(text)


class Executor:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.runs = 0

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        self.runs += 1
        if self.error is not None:
            raise self.error
        return Change(before={"VolumeType": "gp2"}, after={"VolumeType": "gp3"})


def _handle(store: Store, slack: Slack, executor: Executor, state_of: Any) -> str:
    return handle(
        CLICK,
        store=store,
        executors={PENDING.action: executor},
        state_of=state_of,
        slack=slack,
        approvers={"U0APPROVER"},
        limits=Limits(guard=GUARD),
        now=NOW,
    )


def test_an_unreadable_resource_is_answered_and_nothing_is_claimed() -> None:
    def unreadable(_proposal: Proposal) -> Mapping[str, Any] | None:
        raise ServiceUnavailable("EC2 DescribeVolumes in us-east-1 failed (Throttling).")

    store, slack, executor = Store(PENDING), Slack(), Executor()
    assert _handle(store, slack, executor, unreadable) == "unchecked"
    assert store.proposal.status is Status.PENDING
    assert executor.runs == 0
    (told,) = slack.told
    assert "could not be read" in told
    assert "try again in a minute" in told


def test_a_final_write_that_fails_once_is_retried_and_slack_still_told() -> None:
    store, slack = Store(PENDING, failing_moves=1), Slack()
    assert _handle(store, slack, Executor(), lambda _p: TAGGED) == "executed"
    assert store.proposal.status is Status.EXECUTED
    assert "Done" in slack.updates[-1]["text"]


def test_a_final_write_that_keeps_failing_is_reported_unrecorded_never_rerun() -> None:
    store, slack, executor = Store(PENDING, failing_moves=5), Slack(), Executor()
    assert _handle(store, slack, executor, lambda _p: TAGGED) == "executed-unrecorded"
    assert executor.runs == 1
    assert store.proposal.status is Status.EXECUTING  # a later click says "interrupted"
    assert "Done" in slack.updates[-1]["text"]


def test_an_internal_error_after_the_claim_is_shown_failed_with_what_to_check() -> None:
    store, slack = Store(PENDING), Slack()
    outcome = _handle(store, slack, Executor(KeyError("instance_types")), lambda _p: TAGGED)
    assert outcome == "failed-internal"
    assert store.proposal.status is Status.FAILED
    assert "may have partly changed" in store.proposal.history[-1]["note"]
    assert "Failed" in slack.updates[-1]["text"]
