"""From a signed Slack reaction to a Confluence page and a knowledge-bucket document.

The ingress takes a signed `reaction_added` (the trigger reaction on a thread's parent) and
queues the thread on the FIFO queue (moto); the postmortem handler takes that message and runs
every stage against a local Slack Web API server and a local Confluence REST server (the real
slack_sdk and atlassian-python-api clients), Bedrock's `converse` through a Stubber (request
and answer checked against botocore's model), S3 and DynamoDB in moto. Secrets and personal
data in the thread reach neither the model request, nor the page, nor the document, nor logs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from botocore.stub import Stubber
from postmortem import handler as postmortem
from slack_ingress import handler as ingress

from opsagent_shared import aws
from opsagent_shared.settings import forget_loaded
from tests.confluence import TOKEN, USER, LocalConfluence
from tests.conftest import FakeLambdaContext
from tests.postmortem_samples import fixture_postmortem
from tests.slack import (
    POSTMORTEM_CHANNEL,
    SIGNING_SECRET,
    LocalSlack,
    event_callback,
    http_event,
    signed_headers,
)
from tests.unit.test_postmortem_summarize import tool_answer

PARENT = "1700000000.000100"
BUCKET = "opsagent-knowledge-test"
# Built at run time so no scanner mistakes the fixture for a real credential.
AWS_KEY = "AKIA" + "Z" * 4 + "EXAMPLE" + "7" * 5
SLACK_TOKEN = "xox" + "b-" + "1" * 12 + "-" + "A" * 24
PHONE = "010-1234-5678"
EMAIL = "kim.oncall@example.com"


@dataclass
class World:
    slack: LocalSlack
    confluence: LocalConfluence
    bedrock: Stubber
    sent_to_model: list[dict[str, Any]]
    sqs: Any
    queue_url: str

    def resolve(self, event_id: str) -> dict[str, Any]:
        """The 'resolved' reaction, signed, through the ingress; then the queued message
        through the postmortem handler, as Lambda's FIFO event source would deliver it."""
        body = event_callback(event_id, item={"type": "message", "channel": POSTMORTEM_CHANNEL,
                                              "ts": PARENT})  # fmt: skip
        reply = ingress.lambda_handler(
            http_event("/slack/events", body, signed_headers(body)), FakeLambdaContext()
        )
        assert reply["statusCode"] == 200
        (message,) = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        )["Messages"]
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {**message["Attributes"], "ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:postmortems.fifo",
            "awsRegion": "us-east-1",
        }
        return dict(postmortem.lambda_handler({"Records": [record]}, FakeLambdaContext()))


def _thread(slack: LocalSlack) -> None:
    slack.users["U0ONCALL01"] = {"id": "U0ONCALL01", "profile": {"display_name": "Kim"}}
    slack.threads[(POSTMORTEM_CHANNEL, PARENT)] = [
        {"ts": PARENT, "user": "U0ONCALL01", "text": "checkout failing, payments-db alarm"},
        {
            "ts": "1700000060.000100",
            "bot_id": "B0CHATBOT",
            "bot_profile": {"name": "AWS Chatbot"},
            "text": "",
            "attachments": [{"title": "ALARM: payments-5xx"}],
        },
        {
            "ts": "1700000120.000100",
            "user": "U0ONCALL01",
            "text": f"key in the env was {AWS_KEY}, token {SLACK_TOKEN}; call me {PHONE} / {EMAIL}",
        },
        {"ts": "1700000300.000100", "user": "U0ONCALL01", "text": "rolled back, mitigated"},
        {"ts": "1700000600.000100", "user": "U0ONCALL01", "text": "resolved, errors at 0"},
    ]


@pytest.fixture
def world(
    stub_aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[World]:
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()
    aws.quick_client.cache_clear()
    with LocalSlack() as slack, LocalConfluence() as confluence:
        _thread(slack)
        region = "us-east-1"
        sqs = boto3.client("sqs", region)
        dynamodb = boto3.client("dynamodb", region)
        secrets = boto3.client("secretsmanager", region)
        boto3.client("s3", region).create_bucket(Bucket=BUCKET)
        for table in ("claims", "pages"):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        queue = sqs.create_queue(QueueName="postmortems.fifo", Attributes={"FifoQueue": "true"})[
            "QueueUrl"
        ]
        slack_secret = secrets.create_secret(
            Name="slack",
            SecretString=json.dumps({"signing_secret": SIGNING_SECRET, "bot_token": "xoxb-test"}),
        )["ARN"]
        confluence_secret = secrets.create_secret(
            Name="confluence", SecretString=json.dumps({"user": USER, "api_token": TOKEN})
        )["ARN"]
        for name, value in {
            "SLACK_SECRET_ARN": slack_secret,
            "CLAIMS_TABLE_NAME": "claims",
            "INTERACTIONS_QUEUE_URL": sqs.create_queue(QueueName="interactions")["QueueUrl"],
            "POSTMORTEM_QUEUE_URL": queue,
            "POSTMORTEM_REACTION": "white_check_mark",
            "POSTMORTEM_CHANNELS": POSTMORTEM_CHANNEL,
            "CLAIM_TTL_SECONDS": "3600",
            "SLACK_API_URL": slack.url,
            "CONFLUENCE_SECRET_ARN": confluence_secret,
            "CONFLUENCE_BASE_URL": confluence.url,
            "CONFLUENCE_SPACE_ID": "42",
            "CONFLUENCE_PARENT_ID": "7",
            "PAGES_TABLE_NAME": "pages",
            "KNOWLEDGE_BUCKET": BUCKET,
            "MODEL_ID": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "TIME_ZONE": "Asia/Seoul",
            "POSTMORTEM_LANGUAGE": "auto",
            "MAX_INPUT_TOKENS": "60000",
            "MAX_OUTPUT_TOKENS": "4000",
        }.items():
            monkeypatch.setenv(name, value)
        forget_loaded()
        bedrock = stub_aws("bedrock-runtime")
        sent: list[dict[str, Any]] = []
        client = aws.model_client("bedrock-runtime")
        client.meta.events.register(
            "before-parameter-build.bedrock-runtime.Converse",
            lambda params, **_: sent.append(json.loads(json.dumps(params, default=str))),
        )
        yield World(slack, confluence, bedrock, sent, sqs, queue)
    parameters.clear_caches()
    DEFAULT_PROVIDERS.clear()
    forget_loaded()


def _answer(world: World, title: str = "") -> None:
    answer = fixture_postmortem().model_dump(mode="json")
    answer["title"] = title or answer["title"]
    world.bedrock.add_response("converse", tool_answer(answer))


def test_a_resolved_thread_becomes_a_page_a_document_and_a_link_then_updates_in_place(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _answer(world)
    assert world.resolve("Ev1") == {"batchItemFailures": []}
    (page,) = world.confluence.pages.values()
    assert page.title.startswith("2023-11-15 payments-db connection exhaustion")
    assert (page.space_id, page.parent_id, page.version) == ("42", "7", 1)
    assert page.labels == ["postmortem", "sev2", "rds", "payments-api"]
    s3 = boto3.client("s3", "us-east-1")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert len(keys) == 2
    assert keys[0].startswith("knowledge/incidents/generated/2023-11-15-")
    document = s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read().decode()
    sidecar = json.loads(s3.get_object(Bucket=BUCKET, Key=keys[1])["Body"].read())
    assert sidecar["metadataAttributes"]["type"] == "incident"
    (reply,) = [b for m, b in world.slack.calls if m == "chat.postMessage"]
    assert reply["thread_ts"] == PARENT
    assert f"pages/{page.id}" in reply["text"]

    # Nothing secret or personal reached the model, the page, the document or the logs.
    model_request = json.dumps(world.sent_to_model, ensure_ascii=False)
    logs = capsys.readouterr()
    for secret in (AWS_KEY, SLACK_TOKEN, PHONE, EMAIL):
        for where, text in (("model", model_request), ("page", page.body),
                            ("document", document), ("logs", logs.out + logs.err)):  # fmt: skip
            assert secret not in text, f"{secret[:6]}… reached the {where}"
    assert "[REDACTED:aws-access-key]" in model_request

    # Marked resolved again after more discussion, the model wording the title differently:
    # the same page (its title kept) at the next version, and the same document.
    _answer(world, title="payments-db ran out of connections")
    assert world.resolve("Ev2") == {"batchItemFailures": []}
    assert len(world.confluence.pages) == 1
    assert page.version == 2
    assert page.title.startswith("2023-11-15 payments-db connection exhaustion")
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == keys
    second = [b for m, b in world.slack.calls if m == "chat.postMessage"][-1]
    assert "updated" in second["text"]


def test_a_confluence_outage_fails_the_record_and_the_last_attempt_tells_the_thread(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.confluence.fail = [503] * 40
    _answer(world)
    monkeypatch.setattr(postmortem, "MAX_RECEIVES", 1)  # this delivery is the last attempt
    result = world.resolve("Ev3")
    assert len(result["batchItemFailures"]) == 1  # back to SQS, then its dead-letter queue
    assert world.confluence.pages == {}
    (notice,) = [b for m, b in world.slack.calls if m == "chat.postMessage"]
    assert notice["thread_ts"] == PARENT
    assert "could not be written" in notice["text"]
    assert "redrive" in notice["text"]
