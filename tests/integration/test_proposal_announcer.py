"""A new pending proposal in the table's stream -> its approval message in the channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from change_control.proposals import Proposal, Status, with_event
from change_control.store import ProposalStore
from moto import mock_aws
from proposal_announcer import handler

from opsagent_shared import aws
from tests.conftest import FakeLambdaContext
from tests.slack import LocalSlack
from tests.unit.test_change_control import NOW, PROPOSAL

CHANNEL = "C0APPROVALS"
POSTED = replace(PROPOSAL, channel=CHANNEL, message_ts="1700000000.000100")


def _stream_event(*records: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventID": str(n),
                "eventName": name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": {"pk": item["pk"]},
                    "NewImage": item,
                    "SequenceNumber": str(n),
                    "SizeBytes": 100,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/p/stream/x",
            }
            for n, (name, item) in enumerate(records, start=1)
        ]
    }


@pytest.fixture
def table(lambda_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, LocalSlack]]:
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()
    aws.client.cache_clear()
    with mock_aws(), LocalSlack() as slack:
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="proposals",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        secret = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="s", SecretString=json.dumps({"bot_token": "xoxb-test", "signing_secret": "x"})
        )["ARN"]
        for name, value in {
            "PROPOSALS_TABLE_NAME": "proposals",
            "SLACK_SECRET_ARN": secret,
            "APPROVAL_CHANNEL_ID": CHANNEL,
            "SLACK_API_URL": slack.url,
        }.items():
            monkeypatch.setenv(name, value)
        yield dynamodb, slack
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()
    aws.client.cache_clear()


def test_a_new_proposal_is_posted_and_its_message_remembered(
    table: tuple[Any, LocalSlack],
) -> None:
    dynamodb, slack = table
    store = ProposalStore(dynamodb, table="proposals")
    store.add(PROPOSAL)
    item = ProposalStore.item(PROPOSAL)
    result = handler.lambda_handler(_stream_event(("INSERT", item)), FakeLambdaContext())
    assert result == {"batchItemFailures": []}
    ((method, body),) = slack.calls
    assert (method, body["channel"]) == ("chat.postMessage", CHANNEL)
    assert any(block["type"] == "actions" for block in body["blocks"])
    stored = store.get(PROPOSAL.proposal_id)
    assert stored is not None
    assert (stored.channel, stored.message_ts, stored.status) == (
        CHANNEL,
        "1700000000.000900",
        Status.PENDING,
    )


def test_later_writes_and_handled_proposals_are_never_posted(
    table: tuple[Any, LocalSlack],
) -> None:
    _, slack = table
    posted = ProposalStore.item(replace(PROPOSAL, channel=CHANNEL, message_ts="1.1"))
    executed = ProposalStore.item(replace(PROPOSAL, status=Status.EXECUTED))
    event = _stream_event(
        ("MODIFY", ProposalStore.item(PROPOSAL)),
        ("INSERT", posted),
        ("INSERT", executed),
    )
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert slack.calls == []


def test_slack_down_fails_the_record_so_the_stream_retries_it(
    table: tuple[Any, LocalSlack],
) -> None:
    dynamodb, slack = table
    slack.fail["chat.postMessage"] = "internal_error"
    ProposalStore(dynamodb, table="proposals").add(PROPOSAL)
    event = _stream_event(
        ("INSERT", ProposalStore.item(PROPOSAL)), ("MODIFY", ProposalStore.item(PROPOSAL))
    )
    result = handler.lambda_handler(event, FakeLambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}


def _cancelled(proposal: Proposal = POSTED, *, note: str = "the team keeps gp2 here") -> Proposal:
    """As the cost-actions tool cancels: a move from pending, with an event by "agent"."""
    return with_event(proposal, Status.CANCELLED, who="agent", when=NOW, note=note)


def test_a_cancelled_proposal_has_its_message_updated_once_without_buttons(
    table: tuple[Any, LocalSlack],
) -> None:
    _, slack = table
    event = _stream_event(("MODIFY", ProposalStore.item(_cancelled())))
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    ((method, body),) = slack.calls
    assert (method, body["channel"], body["ts"]) == ("chat.update", CHANNEL, POSTED.message_ts)
    assert body["text"] == f"Cancelled: {PROPOSAL.summary}"
    blocks = json.dumps(body["blocks"])
    assert '"actions"' not in blocks  # no buttons left to click
    assert "by agent" in blocks  # text, not a mention of a user called "agent"
    assert "the team keeps gp2 here" in blocks
    assert "Nothing was changed." in blocks


def test_only_the_move_from_pending_to_cancelled_updates_the_message(
    table: tuple[Any, LocalSlack],
) -> None:
    _, slack = table
    executing = with_event(POSTED, Status.EXECUTING, who="U0APPROVER", when=NOW)
    not_from_pending = replace(
        executing,
        status=Status.CANCELLED,
        history=(*executing.history, _cancelled().history[-1]),
    )
    event = _stream_event(
        ("INSERT", ProposalStore.item(_cancelled())),  # not a move
        ("MODIFY", ProposalStore.item(_cancelled(PROPOSAL))),  # no message to update
        ("MODIFY", ProposalStore.item(replace(POSTED, status=Status.CANCELLED))),  # no event
        ("MODIFY", ProposalStore.item(not_from_pending)),
        ("MODIFY", ProposalStore.item(with_event(POSTED, Status.REJECTED, who="U1", when=NOW))),
    )
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert slack.calls == []


def test_an_expired_proposal_is_shown_expired(table: tuple[Any, LocalSlack]) -> None:
    _, slack = table
    expired = with_event(POSTED, Status.EXPIRED, who="scheduler", when=NOW)
    event = _stream_event(("MODIFY", ProposalStore.item(expired)))
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    ((method, body),) = slack.calls
    assert (method, body["text"]) == ("chat.update", f"Expired: {PROPOSAL.summary}")


def test_slack_down_fails_the_cancellation_record_so_the_stream_retries_it(
    table: tuple[Any, LocalSlack],
) -> None:
    _, slack = table
    slack.fail["chat.update"] = "internal_error"
    event = _stream_event(  # with one ignored record: a batch where all fail raises instead
        ("MODIFY", ProposalStore.item(_cancelled())), ("MODIFY", ProposalStore.item(POSTED))
    )
    result = handler.lambda_handler(event, FakeLambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}


def test_a_proposal_cancelled_before_it_was_posted_has_the_new_message_closed_at_once(
    table: tuple[Any, LocalSlack],
) -> None:
    dynamodb, slack = table
    store = ProposalStore(dynamodb, table="proposals")
    store.add(PROPOSAL)
    inserted = ProposalStore.item(PROPOSAL)  # the stream's copy: pending, not yet posted
    assert store.move(_cancelled(PROPOSAL), expected=Status.PENDING)  # cancelled meanwhile
    result = handler.lambda_handler(_stream_event(("INSERT", inserted)), FakeLambdaContext())
    assert result == {"batchItemFailures": []}
    (post, update) = slack.calls
    assert post[0] == "chat.postMessage"
    assert update[0] == "chat.update"
    assert update[1]["ts"] == "1700000000.000900"  # the message just posted
    assert '"actions"' not in json.dumps(update[1]["blocks"])
    stored = store.get(PROPOSAL.proposal_id)
    assert stored is not None
    assert stored.status is Status.CANCELLED


def test_a_writer_holding_a_copy_read_before_the_message_was_recorded_cannot_blank_it(
    table: tuple[Any, LocalSlack],
) -> None:
    dynamodb, _ = table
    store = ProposalStore(dynamodb, table="proposals")
    store.add(PROPOSAL)
    stale = store.get(PROPOSAL.proposal_id)
    assert stale is not None
    assert store.move(POSTED, expected=Status.PENDING, message_ts_was="")  # the announcer
    assert not store.move(_cancelled(stale), expected=Status.PENDING)  # refused: stale copy
    fresh = store.get(PROPOSAL.proposal_id)
    assert fresh is not None
    assert store.move(_cancelled(fresh), expected=Status.PENDING)
    kept = store.get(PROPOSAL.proposal_id)
    assert kept is not None
    assert (kept.status, kept.message_ts) == (Status.CANCELLED, POSTED.message_ts)
