"""Try-it: four sample incidents, in Chatbot's exact shape, published through SNS."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from try_it import handler, samples

from opsagent_shared import aws
from opsagent_shared.errors import ConfigurationError
from tests.conftest import FakeLambdaContext
from tests.unit.test_cost_report import assert_chatbot_notification

TOPICS = {
    "payments-db-connection-timeouts": ("RDS", "HikariPool-1 - Connection is not available"),
    "nat-gateway-port-allocation": ("VPC", "ErrorPortAllocation"),
    "eks-unauthorized": ("EKS", "error: You must be logged in to the server (Unauthorized)"),
    "waf-blocking-partner-webhooks": ("WAF", 'terminatingRuleId="rate-limit-per-ip"'),
}


@pytest.mark.parametrize("language", ["ko", "en"])
def test_four_samples_in_chatbots_exact_shape(language: str) -> None:
    notifications = samples.notifications(language=language, connector="opsagent")
    assert len(notifications) == 4
    assert len({n["id"] for n in notifications}) == 4
    for sample, notification in zip(samples.SAMPLES, notifications, strict=True):
        assert_chatbot_notification(notification)
        content, metadata = notification["content"], notification["metadata"]
        service, error_line = TOPICS[sample.key]
        assert content["title"].startswith("[Try-it] ")
        assert error_line in content["description"]
        assert sample.error_line in content["description"]
        assert metadata["eventType"] == "TryItSampleIncident"
        assert metadata["threadId"] == f"try-it-{sample.key}"
        assert metadata["additionalContext"] == {
            "sample": "true",
            "scenario": sample.key,
            "service": service,
            "severity": sample.severity,
            "language": language,
        }
        assert metadata["relatedResources"]
        assert content["keywords"] == ["try-it", "incident", service.lower()]
        assert len(content["nextSteps"]) == 3
        assert all(s.startswith("@Amazon Q ask opsagent ") for s in content["nextSteps"])
        ask = "이 에러 분석해줘: " if language == "ko" else "analyze this error: "
        assert content["nextSteps"][0].startswith(f"@Amazon Q ask opsagent {ask}")
        # A question must fit Chatbot's connector message and stay one line.
        assert all(len(s) < 300 and "\n" not in s for s in content["nextSteps"])


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"\d(?:[\d,.:]*\d)?", text))


def test_korean_and_english_tell_the_same_story() -> None:
    korean = samples.notifications(language="ko", connector="opsagent")
    english = samples.notifications(language="en", connector="opsagent")
    for ko, en in zip(korean, english, strict=True):
        assert ko["content"]["description"] != en["content"]["description"]
        assert _numbers(ko["content"]["description"]) == _numbers(en["content"]["description"])
        assert ko["metadata"]["relatedResources"] == en["metadata"]["relatedResources"]
        assert re.search(r"[가-힣]", ko["content"]["description"])
        assert not re.search(r"[가-힣]", json.dumps(en, ensure_ascii=False))


def test_every_sample_says_it_is_a_sample() -> None:
    for language, marker in (("ko", "샘플 장애"), ("en", "Sample incident")):
        for notification in samples.notifications(language=language, connector="opsagent"):
            assert marker in notification["content"]["description"]


@pytest.fixture
def topic(account: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A moto topic with an SQS subscription standing in for Chatbot; returns a reader."""
    sns, sqs = aws.client("sns", "us-east-1"), aws.client("sqs", "us-east-1")
    topic_arn = sns.create_topic(Name="opsagent-notifications")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="chatbot-stand-in")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    monkeypatch.setenv("TOPIC_ARN", topic_arn)
    monkeypatch.delenv("REPORT_LANGUAGE", raising=False)
    monkeypatch.delenv("AGENT_CONNECTOR_NAME", raising=False)

    def published() -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        while True:
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return received
            for message in got["Messages"]:
                received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    return published


@pytest.mark.parametrize(
    ("event", "environment", "language"),
    [
        ({}, None, "ko"),
        ({}, "en", "en"),
        ({"language": "en"}, "ko", "en"),
        ({"language": "ko"}, "en", "ko"),
    ],
)
def test_the_handler_publishes_four_notifications_through_sns(
    topic: Any,
    monkeypatch: pytest.MonkeyPatch,
    event: dict[str, Any],
    environment: str | None,
    language: str,
) -> None:
    if environment:
        monkeypatch.setenv("REPORT_LANGUAGE", environment)
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"published": 4}
    received = topic()
    assert len(received) == 4
    for notification in received:
        assert_chatbot_notification(notification)
        assert notification["metadata"]["additionalContext"]["language"] == language
    assert sorted(n["metadata"]["threadId"] for n in received) == sorted(
        f"try-it-{s.key}" for s in samples.SAMPLES
    )
    assert len({n["id"] for n in received}) == 4


def test_each_run_sends_new_ids_and_the_configured_connector(
    topic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_CONNECTOR_NAME", "opsbot")
    handler.lambda_handler({}, FakeLambdaContext())
    handler.lambda_handler({}, FakeLambdaContext())
    received = topic()
    assert len(received) == 8
    assert len({n["id"] for n in received}) == 8
    assert all(
        step.startswith("@Amazon Q ask opsbot ")
        for n in received
        for step in n["content"]["nextSteps"]
    )


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_an_unknown_language_fails_loudly(topic: Any) -> None:
    with pytest.raises(ConfigurationError, match="use 'ko' or 'en'"):
        handler.lambda_handler({"language": "fr"}, FakeLambdaContext())
    assert topic() == []
