"""The slack-ingress function end to end on moto: secret, claims table and queues are real APIs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from moto import mock_aws
from slack_ingress import handler
from slack_ingress.ingress import EVENTS_PATH, INTERACTIVITY_PATH

from opsagent_shared import aws
from tests.conftest import FakeLambdaContext
from tests.slack import (
    POSTMORTEM_CHANNEL,
    SIGNING_SECRET,
    button_click,
    event_callback,
    http_event,
    signed_headers,
)

TABLE = "opsagent-slack-claims"


@dataclass
class Slack:
    sqs: Any
    dynamodb: Any
    secrets: Any
    secret_arn: str
    interactions: str
    events: str

    def queued(self, url: str) -> list[dict[str, Any]]:
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]

    def claims(self) -> list[dict[str, Any]]:
        return list(self.dynamodb.scan(TableName=TABLE)["Items"])


@pytest.fixture
def slack(lambda_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Slack]:
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()  # its client belongs to this test's moto account
    aws.client.cache_clear()
    aws.quick_client.cache_clear()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        secret_arn = secrets.create_secret(
            Name="opsagent/slack",
            SecretString=json.dumps({"signing_secret": SIGNING_SECRET, "bot_token": "xoxb-test"}),
        )["ARN"]
        interactions = sqs.create_queue(QueueName="interactions")["QueueUrl"]
        events = sqs.create_queue(QueueName="postmortems.fifo", Attributes={"FifoQueue": "true"})[
            "QueueUrl"
        ]
        for name, value in {
            "SLACK_SECRET_ARN": secret_arn,
            "CLAIMS_TABLE_NAME": TABLE,
            "INTERACTIONS_QUEUE_URL": interactions,
            "POSTMORTEM_QUEUE_URL": events,
            "POSTMORTEM_REACTION": "white_check_mark",
            "POSTMORTEM_CHANNELS": POSTMORTEM_CHANNEL,
            "CLAIM_TTL_SECONDS": "3600",
        }.items():
            monkeypatch.setenv(name, value)
        yield Slack(sqs, dynamodb, secrets, secret_arn, interactions, events)
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()
    aws.client.cache_clear()
    aws.quick_client.cache_clear()


def _post(path: str, body: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
    event = http_event(path, body, signed_headers(body) if headers is None else headers, **kw)
    return handler.lambda_handler(event, FakeLambdaContext())


def test_a_signed_click_is_acknowledged_claimed_and_queued_once(slack: Slack) -> None:
    body = button_click(value="prop-9")
    first = _post(INTERACTIVITY_PATH, body, base64_body=True)
    again = _post(INTERACTIVITY_PATH, body, base64_body=True)
    assert (first["statusCode"], again["statusCode"]) == (200, 200)
    (message,) = slack.queued(slack.interactions)
    assert message["payload"]["actions"][0]["value"] == "prop-9"
    assert slack.queued(slack.events) == []
    (claim,) = slack.claims()
    assert claim["pk"]["S"] == "action:T0001:U0APPROVER:1700000000.000100:approve:prop-9"
    assert claim["state"]["S"] == "queued"
    assert int(claim["expires_at"]["N"]) > 0  # the table's TTL attribute forgets it


def test_a_resolved_thread_goes_to_the_fifo_postmortem_queue_once(slack: Slack) -> None:
    for _ in range(2):  # Slack's retry
        assert _post(EVENTS_PATH, event_callback("Ev1"))["statusCode"] == 200
    (received,) = slack.sqs.receive_message(
        QueueUrl=slack.events, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"]
    )["Messages"]
    message = json.loads(received["Body"])
    assert (message["channel"], message["ts"]) == (POSTMORTEM_CHANNEL, "1700000000.000100")
    # One thread at a time: a second resolution waits for the first to finish.
    assert received["Attributes"]["MessageGroupId"] == f"{POSTMORTEM_CHANNEL}:1700000000.000100"


def test_another_reaction_is_acknowledged_and_not_queued(slack: Slack) -> None:
    assert _post(EVENTS_PATH, event_callback("Ev2", reaction="eyes"))["statusCode"] == 200
    assert slack.queued(slack.events) == []


def test_a_forged_request_touches_neither_the_table_nor_a_queue(slack: Slack) -> None:
    body = button_click()
    forged = signed_headers(body, secret="f" * 32)
    assert _post(INTERACTIVITY_PATH, body, forged)["statusCode"] == 401
    assert slack.claims() == []
    assert slack.queued(slack.interactions) == []


def test_a_secret_without_a_value_is_a_503_until_it_is_filled(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = slack.secrets.create_secret(Name="opsagent/slack-empty")["ARN"]  # no value yet
    monkeypatch.setenv("SLACK_SECRET_ARN", empty)
    response = _post(EVENTS_PATH, event_callback())
    assert (response["statusCode"], response["body"]) == (503, "not configured")
    assert slack.claims() == []


def test_a_queue_that_cannot_be_reached_releases_the_claim_for_the_retry(
    slack: Slack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTMORTEM_QUEUE_URL", slack.events.replace(".fifo", "-gone.fifo"))
    assert _post(EVENTS_PATH, event_callback("Ev5"))["statusCode"] == 500
    assert slack.claims() == []  # Slack's retry will be queued, not dropped as a duplicate


def test_malformed_http_events_are_400s(slack: Slack) -> None:
    response = handler.lambda_handler({"rawPath": 5}, FakeLambdaContext())
    assert response["statusCode"] == 400


def test_a_claim_past_its_expiry_is_free_even_before_ttl_deletes_it(slack: Slack) -> None:
    from slack_ingress.adapters import DynamoClaims
    from slack_ingress.ingress import Claim

    clock = [1_000.0]
    claims = DynamoClaims(slack.dynamodb, table=TABLE, now=lambda: clock[0])
    assert claims.claim("k") is Claim.TAKEN
    assert claims.claim("k") is Claim.IN_FLIGHT  # the first copy is still being queued
    claims.confirm("k", 600)
    assert claims.claim("k") is Claim.QUEUED
    clock[0] += 601  # the item is still in the table: TTL deletes lazily
    assert claims.claim("k") is Claim.TAKEN
