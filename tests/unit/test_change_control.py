"""Proposals: the approval rules, the stored form, the Slack messages."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from change_control.message import (
    FIELD_CHARS,
    HEADER_CHARS,
    TEXT_CHARS,
    approval_message,
    outcome_message,
)
from change_control.proposals import (
    APPROVALS_TIMEOUT,
    APPROVE,
    REJECT,
    Click,
    Proposal,
    Resource,
    Status,
    decide,
    fingerprint,
    from_document,
    new_id,
    to_document,
    with_event,
)
from change_control.store import ProposalStore
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
STATE = {"VolumeType": "gp2", "Size": 100, "Iops": 300}
PROPOSAL = Proposal(
    proposal_id="prop-0123456789",
    action="gp2_to_gp3",
    resource=Resource(kind="ebs-volume", id="vol-0abc", region="us-east-1"),
    parameters={"volume_type": "gp3"},
    summary="Change vol-0abc from gp2 to gp3",
    reason="gp3 costs 20% less per GB with the same baseline",
    monthly_saving=Decimal("2.00"),
    risk="Low: the volume stays attached; performance is modified in place",
    revert="Modify the volume back to gp2 after six hours",
    fingerprint=fingerprint(STATE),
    created_at=NOW,
    expires_at=NOW + timedelta(hours=24),
)
APPROVERS = {"U0APPROVER"}


def click(action: str = APPROVE, user: str = "U0APPROVER") -> Click:
    return Click(
        user=user, action=action, proposal_id=PROPOSAL.proposal_id, channel="C1", message_ts="1.1"
    )


def test_an_approver_approving_an_unchanged_pending_proposal_executes_it() -> None:
    decision = decide(
        PROPOSAL, click(), approvers=APPROVERS, now=NOW, current_fingerprint=PROPOSAL.fingerprint
    )
    assert decision.outcome == "execute"


@pytest.mark.parametrize(
    ("proposal", "the_click", "now", "current", "reason"),
    [
        (
            PROPOSAL,
            click(user="U0SOMEONE"),
            NOW,
            PROPOSAL.fingerprint,
            "only the configured approvers",
        ),
        (None, click(), NOW, PROPOSAL.fingerprint, "does not exist"),
        (
            replace(PROPOSAL, status=Status.EXECUTED),
            click(),
            NOW,
            PROPOSAL.fingerprint,
            "already executed",
        ),
        (
            PROPOSAL,
            click(),
            NOW + timedelta(hours=24),
            PROPOSAL.fingerprint,
            "expired at 2026-11-22 03:00",
        ),
        (PROPOSAL, click(), NOW, fingerprint({**STATE, "Size": 200}), "changed since the proposal"),
        (PROPOSAL, click(), NOW, None, "no longer exists"),
        (PROPOSAL, click(action="delete"), NOW, PROPOSAL.fingerprint, "unknown action"),
    ],
)
def test_every_other_click_is_refused_with_its_reason(
    proposal: Proposal | None, the_click: Click, now: datetime, current: str | None, reason: str
) -> None:
    decision = decide(
        proposal, the_click, approvers=APPROVERS, now=now, current_fingerprint=current
    )
    assert decision.outcome == "refuse"
    assert reason in decision.reason


def _claimed(at: datetime) -> Proposal:
    return with_event(PROPOSAL, Status.EXECUTING, who="U0APPROVER", when=at)


@given(
    running_for=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    interrupted_after=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=1)),
    action=st.sampled_from([APPROVE, REJECT]),
)
def test_an_executing_proposal_is_never_run_again_and_a_long_one_is_called_interrupted(
    running_for: timedelta, interrupted_after: timedelta, action: str
) -> None:
    decision = decide(
        _claimed(NOW),
        click(action),
        approvers=APPROVERS,
        now=NOW + running_for,
        current_fingerprint=PROPOSAL.fingerprint,
        interrupted_after=interrupted_after,
    )
    assert decision.outcome == "refuse"
    if running_for < interrupted_after:
        assert decision.reason == f"proposal {PROPOSAL.proposal_id} is already being handled"
    else:
        assert "executing since 2026-11-21 03:00:00 UTC" in decision.reason
        assert "probably interrupted" in decision.reason
        for what_to_check in ("vol-0abc", "us-east-1", "logs", "audit trail", "new proposal"):
            assert what_to_check in decision.reason


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)))
def test_by_default_executing_past_the_approvals_timeout_means_interrupted(
    running_for: timedelta,
) -> None:
    decision = decide(
        _claimed(NOW),
        click(),
        approvers=APPROVERS,
        now=NOW + running_for,
        current_fingerprint=PROPOSAL.fingerprint,
    )
    assert ("probably interrupted" in decision.reason) is (running_for >= APPROVALS_TIMEOUT)


def test_an_executing_proposal_without_its_claim_recorded_is_called_interrupted() -> None:
    decision = decide(
        replace(PROPOSAL, status=Status.EXECUTING),
        click(),
        approvers=APPROVERS,
        now=NOW,
        current_fingerprint=PROPOSAL.fingerprint,
    )
    assert "executing since an unrecorded time, so it was probably interrupted" in decision.reason


def test_a_rejection_needs_an_approver_and_a_pending_unexpired_proposal_only() -> None:
    changed = fingerprint({"anything": "else"})
    assert (
        decide(
            PROPOSAL, click(REJECT), approvers=APPROVERS, now=NOW, current_fingerprint=changed
        ).outcome
        == "reject"
    )
    refused = decide(
        PROPOSAL, click(REJECT, user="U0X"), approvers=APPROVERS, now=NOW, current_fingerprint=None
    )
    assert refused.outcome == "refuse"


@given(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=6))
def test_a_fingerprint_ignores_key_order_and_sees_every_value(state: dict[str, Any]) -> None:
    assert fingerprint(dict(reversed(list(state.items())))) == fingerprint(state)
    assert fingerprint({**state, "extra-key-never-generated": 1}) != fingerprint(state)


@given(st.text(max_size=300), st.decimals(min_value=0, max_value=10**6, places=2))
def test_the_stored_form_round_trips(summary: str, saving: Decimal) -> None:
    proposal = with_event(
        replace(PROPOSAL, summary=summary, monthly_saving=saving),
        Status.REJECTED,
        who="U1",
        when=NOW,
    )
    assert from_document(to_document(proposal)) == proposal
    assert proposal.history[-1] == {
        "status": "rejected",
        "by": "U1",
        "at": NOW.isoformat(),
        "note": "",
    }


def test_ids_are_distinct_and_short() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 15 and i.startswith("prop-") for i in ids)


def test_the_approval_message_says_what_why_saving_risk_revert_expiry_and_has_two_buttons() -> None:
    message = approval_message(PROPOSAL)
    body = json.dumps(message)
    for words in (
        "gp2 to gp3",
        "20% less",
        "$2.00 a month",
        "Low:",
        "back to gp2",
        "2026-11-22 03:00 UTC",
    ):
        assert words in body
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    buttons = {e["action_id"]: e for e in actions["elements"]}
    assert set(buttons) == {APPROVE, REJECT}
    assert buttons[APPROVE]["value"] == PROPOSAL.proposal_id
    assert "confirm" in buttons[APPROVE]


@given(st.text(min_size=1, max_size=5000))
def test_any_text_stays_within_block_kit_limits_and_cannot_mention_or_link(text: str) -> None:
    proposal = replace(PROPOSAL, summary=text, reason=text, risk=text, revert=text)
    for message in (
        approval_message(proposal),
        outcome_message(proposal, headline="Done", by="U1", before={"a": text}, after={"a": "b"}),
    ):
        header = [b for b in message["blocks"] if b["type"] == "header"]
        assert all(len(h["text"]["text"]) <= HEADER_CHARS for h in header)
        assert all(len(t) <= TEXT_CHARS for t in texts(message))
        fields = [f for b in message["blocks"] for f in b.get("fields", [])]
        assert all(len(f["text"]) <= FIELD_CHARS for f in fields)
        mrkdwn = [t for b in message["blocks"] for t in _mrkdwn_texts(b)]
        assert not any("<!" in t or "<http" in t for t in mrkdwn)


def texts(message: Mapping[str, Any]) -> Sequence[str]:
    """Every text in a message, for tests and size checks."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            if isinstance(value.get("text"), str):
                found.append(value["text"])
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(message)
    return found


def _mrkdwn_texts(block: dict[str, Any]) -> list[str]:
    found = []
    for item in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
        if isinstance(item, dict) and item.get("type") == "mrkdwn":
            found.append(item["text"].replace("<@U1>", ""))
    return found


@pytest.fixture
def store(lambda_env: None) -> Iterator[ProposalStore]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="proposals",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield ProposalStore(client, table="proposals")


def test_of_two_racing_moves_out_of_pending_exactly_one_wins(store: ProposalStore) -> None:
    store.add(PROPOSAL)
    executing = with_event(PROPOSAL, Status.EXECUTING, who="U0APPROVER", when=NOW)
    rejected = with_event(PROPOSAL, Status.REJECTED, who="U0APPROVER", when=NOW)
    assert store.move(executing, expected=Status.PENDING) is True
    assert store.move(rejected, expected=Status.PENDING) is False
    assert store.get(PROPOSAL.proposal_id) == executing
    assert store.get("prop-missing") is None


@pytest.mark.parametrize(
    ("by", "shown"),
    [("U0APPROVER", "by <@U0APPROVER>"), ("agent", "by agent"), ("<!here>", "by &lt;!here&gt;")],
)
def test_who_handled_it_is_a_mention_for_a_user_and_plain_text_otherwise(
    by: str, shown: str
) -> None:
    message = outcome_message(PROPOSAL, headline="Cancelled", by=by)
    assert shown in message["blocks"][0]["text"]["text"]


def test_an_undo_shows_what_it_costs_not_a_negative_saving() -> None:
    undo = replace(PROPOSAL, monthly_saving=Decimal("-12.50"))
    message = approval_message(undo)
    assert "costs $12.50 a month more" in message["text"]
    assert "-12" not in json.dumps(message)
    assert "saves $2.00 a month" in approval_message(PROPOSAL)["text"]
