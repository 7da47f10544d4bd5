"""kb_sync's handler with real-shaped SQS/S3 events.

SQS is moto; bedrock-agent is a botocore Stubber, which checks every request and response
against the real service model (moto does not implement ingestion jobs).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from kb_sync import handler
from kb_sync.sync import CHECK_JOB_TYPE, DEFERRED_SYNC_TYPE
from opsagent_shared import aws
from opsagent_shared.errors import ConfigurationError
from tests.conftest import FakeLambdaContext, load_event

KNOWLEDGE_BASE_ID = "KBTEST1234"
DATA_SOURCE_ID = "DSTEST1234"


class Harness:
    def __init__(self, bedrock: Any, stubber: Stubber, sqs: Any, queue_url: str) -> None:
        self.bedrock = bedrock
        self.stubber = stubber
        self.sqs = sqs
        self.queue_url = queue_url

    def expect_job(self, job_id: str = "JOBTEST123") -> None:
        now = datetime(2026, 11, 21, 1, 2, 3, tzinfo=UTC)
        self.stubber.add_response(
            "start_ingestion_job",
            {
                "ingestionJob": {
                    "knowledgeBaseId": KNOWLEDGE_BASE_ID,
                    "dataSourceId": DATA_SOURCE_ID,
                    "ingestionJobId": job_id,
                    "status": "STARTING",
                    "startedAt": now,
                    "updatedAt": now,
                }
            },
            {
                "knowledgeBaseId": KNOWLEDGE_BASE_ID,
                "dataSourceId": DATA_SOURCE_ID,
                "clientToken": ANY,
                "description": ANY,
            },
        )

    def expect_error(self, code: str, status: int) -> None:
        self.stubber.add_client_error(
            "start_ingestion_job",
            service_error_code=code,
            service_message=f"{code} from the stub",
            http_status_code=status,
        )

    def queued(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        return [
            {"messageId": m["MessageId"], "body": m["Body"]} for m in response.get("Messages", [])
        ]

    def delayed_count(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessagesDelayed"])


@pytest.fixture
def harness(lambda_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="opsagent-kb-sync")["QueueUrl"]
        bedrock = boto3.client("bedrock-agent", region_name="us-east-1")
        monkeypatch.setenv("KNOWLEDGE_BASE_ID", KNOWLEDGE_BASE_ID)
        monkeypatch.setenv("DATA_SOURCE_ID", DATA_SOURCE_ID)
        monkeypatch.setenv("SYNC_QUEUE_URL", queue_url)
        monkeypatch.setenv("RETRY_DELAY_SECONDS", "120")
        monkeypatch.setenv("MAX_DEFERRALS", "3")
        clients = {"bedrock-agent": bedrock, "sqs": sqs}
        # The AWS boundary hands out these clients (the Stubber needs the very same object).
        monkeypatch.setattr(aws, "client", lambda service, region=None: clients[service])
        handler.settings.cache_clear()
        with Stubber(bedrock) as stubber:
            yield Harness(bedrock, stubber, sqs, queue_url)
            stubber.assert_no_pending_responses()
        handler.settings.cache_clear()


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    return dict(handler.lambda_handler(event, FakeLambdaContext()))


def _sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    template = load_event("kb_sync_s3_changes.json")["Records"][0]
    return {"Records": [{**template, **m} for m in messages]}


def test_changes_start_one_ingestion_job(harness: Harness) -> None:
    harness.expect_job()
    assert _invoke(load_event("kb_sync_s3_changes.json")) == {"batchItemFailures": []}
    assert harness.queued() == []


def test_the_job_request_carries_an_idempotency_token_and_a_description(harness: Harness) -> None:
    seen: list[dict[str, Any]] = []
    harness.bedrock.meta.events.register(
        "provide-client-params.bedrock-agent.StartIngestionJob",
        lambda params, **_: seen.append(dict(params)),
    )
    harness.expect_job()
    _invoke(load_event("kb_sync_s3_changes.json"))
    (params,) = seen
    assert len(params["clientToken"]) == 64
    assert params["description"].startswith("opsagent kb-sync: 3 change(s): knowledge/incidents/")


def test_s3_test_event_calls_nothing(harness: Harness) -> None:
    assert _invoke(load_event("kb_sync_s3_test_event.json")) == {"batchItemFailures": []}
    assert harness.queued() == []


def test_running_job_defers_the_request_and_a_later_batch_starts_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.expect_error("ConflictException", 409)
    assert _invoke(load_event("kb_sync_s3_changes.json")) == {"batchItemFailures": []}
    assert harness.delayed_count() == 1  # delivered after RETRY_DELAY_SECONDS, not now

    # The same path with no delay, so the deferred message can be read back and replayed.
    monkeypatch.setenv("RETRY_DELAY_SECONDS", "0")
    handler.settings.cache_clear()
    harness.expect_error("ConflictException", 409)
    _invoke(load_event("kb_sync_s3_changes.json"))
    (deferred,) = harness.queued()
    body = json.loads(deferred["body"])
    assert body == {
        "type": DEFERRED_SYNC_TYPE,
        "deferrals": 1,
        "change_count": 3,
        "sample_keys": [
            "knowledge/incidents/2025-03-14-payments db (old).md",
            "knowledge/runbooks/rds-connection-exhaustion.md",
            "knowledge/runbooks/rds-connection-exhaustion.md.metadata.json",
        ],
    }
    harness.expect_job()
    assert _invoke(_sqs_event([deferred])) == {"batchItemFailures": []}


@pytest.mark.parametrize(
    ("code", "status"),
    [("ServiceQuotaExceededException", 402), ("ThrottlingException", 429)],
)
def test_quota_and_rate_limits_defer_like_a_running_job(
    harness: Harness, code: str, status: int
) -> None:
    harness.expect_error(code, status)
    assert _invoke(load_event("kb_sync_s3_changes.json")) == {"batchItemFailures": []}
    assert harness.delayed_count() == 1


def test_busy_through_every_deferral_returns_the_batch_to_sqs(harness: Harness) -> None:
    harness.expect_error("ConflictException", 409)
    message = {
        "messageId": "deferred-4",
        "body": json.dumps({"type": DEFERRED_SYNC_TYPE, "deferrals": 3, "change_count": 2}),
    }
    result = _invoke(_sqs_event([message]))
    assert result == {"batchItemFailures": [{"itemIdentifier": "deferred-4"}]}
    assert harness.queued() == []
    assert harness.delayed_count() == 0


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ValidationException", 400),
        ("AccessDeniedException", 403),
        ("ResourceNotFoundException", 404),
    ],
)
def test_other_bedrock_errors_return_every_message_for_retry(
    harness: Harness, code: str, status: int
) -> None:
    harness.expect_error(code, status)
    event = load_event("kb_sync_s3_changes.json")
    result = _invoke(event)
    assert result == {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]
    }


def test_deferral_that_cannot_be_sent_returns_every_message(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_QUEUE_URL", harness.queue_url + "-gone")
    handler.settings.cache_clear()
    harness.expect_error("ConflictException", 409)
    event = load_event("kb_sync_s3_changes.json")
    assert len(_invoke(event)["batchItemFailures"]) == len(event["Records"])


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_missing_setting_fails_loudly_with_its_name(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATA_SOURCE_ID")
    handler.settings.cache_clear()
    with pytest.raises(ConfigurationError, match="DATA_SOURCE_ID"):
        _invoke(load_event("kb_sync_s3_changes.json"))


# --- Checking a started job (GetIngestionJob) -------------------------------------------------


def _expect_job_status(
    harness: Harness,
    status: str,
    *,
    failed: int = 0,
    reasons: list[str] | None = None,
    job_id: str = "JOBTEST123",
) -> None:
    now = datetime(2026, 11, 21, 1, 7, 3, tzinfo=UTC)
    job: dict[str, Any] = {
        "knowledgeBaseId": KNOWLEDGE_BASE_ID,
        "dataSourceId": DATA_SOURCE_ID,
        "ingestionJobId": job_id,
        "status": status,
        "statistics": {
            "numberOfDocumentsScanned": 3,
            "numberOfMetadataDocumentsScanned": 1,
            "numberOfNewDocumentsIndexed": 0,
            "numberOfModifiedDocumentsIndexed": 3 - failed,
            "numberOfMetadataDocumentsModified": 1,
            "numberOfDocumentsDeleted": 0,
            "numberOfDocumentsFailed": failed,
        },
        "startedAt": now,
        "updatedAt": now,
    }
    if reasons:
        job["failureReasons"] = reasons
    harness.stubber.add_response(
        "get_ingestion_job",
        {"ingestionJob": job},
        {
            "knowledgeBaseId": KNOWLEDGE_BASE_ID,
            "dataSourceId": DATA_SOURCE_ID,
            "ingestionJobId": job_id,
        },
    )


def _check_event(attempt: int = 1, job_id: str = "JOBTEST123") -> dict[str, Any]:
    body = json.dumps({"type": CHECK_JOB_TYPE, "job_id": job_id, "attempt": attempt})
    return _sqs_event([{"messageId": f"check-{attempt}", "body": body}])


def _sent(harness: Harness) -> list[dict[str, Any]]:
    """Every SendMessage request the handler makes, as sent."""
    seen: list[dict[str, Any]] = []
    harness.sqs.meta.events.register(
        "provide-client-params.sqs.SendMessage", lambda params, **_: seen.append(dict(params))
    )
    return seen


def _metrics(capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
    """Each metric's total by name, from the EMF lines Powertools printed."""
    metrics: dict[str, float] = {}
    for raw in capsys.readouterr().out.splitlines():
        line = json.loads(raw) if raw.startswith("{") else {}
        for definition in line.get("_aws", {}).get("CloudWatchMetrics", []):
            assert definition["Namespace"] == "OpsAgentTest"
            assert ["service"] in definition["Dimensions"]
            for metric in definition["Metrics"]:
                value = line[metric["Name"]]
                metrics[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return metrics


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_started_job_sends_one_check_delayed_five_minutes(harness: Harness) -> None:
    sent = _sent(harness)
    harness.expect_job("JOBTEST123")
    assert _invoke(load_event("kb_sync_s3_changes.json")) == {"batchItemFailures": []}
    (request,) = sent
    assert request["QueueUrl"] == harness.queue_url
    assert request["DelaySeconds"] == 300
    assert json.loads(request["MessageBody"]) == {
        "type": CHECK_JOB_TYPE,
        "job_id": "JOBTEST123",
        "attempt": 1,
    }
    assert (harness.queued(), harness.delayed_count()) == ([], 1)


def test_a_clean_job_check_starts_nothing_and_sends_nothing(
    harness: Harness, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    sent = _sent(harness)
    _expect_job_status(harness, "COMPLETE")
    assert _invoke(_check_event()) == {"batchItemFailures": []}
    assert sent == []
    metrics = _metrics(capsys)
    assert "IngestionJobsFailed" not in metrics
    assert metrics["SyncNothingToDo"] == 1.0
    assert _errors(caplog) == []


@pytest.mark.parametrize(
    ("status", "failed", "reasons"),
    [
        ("COMPLETE", 2, ["knowledge/big.pdf: file exceeds the 50 MB limit"]),
        ("FAILED", 0, ["Access denied to s3://opsagent-knowledge/knowledge/"]),
    ],
)
def test_a_failed_job_is_logged_with_its_reasons_and_counted(
    harness: Harness,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    status: str,
    failed: int,
    reasons: list[str],
) -> None:
    _expect_job_status(harness, status, failed=failed, reasons=reasons)
    assert _invoke(_check_event()) == {"batchItemFailures": []}
    assert _metrics(capsys)["IngestionJobsFailed"] == 1.0
    (error,) = _errors(caplog)
    assert error.getMessage() == "knowledge base ingestion job failed"
    assert (error.job_id, error.status, error.failure_reasons) == ("JOBTEST123", status, reasons)
    assert error.statistics["numberOfDocumentsFailed"] == failed
    assert harness.delayed_count() == 0


def test_a_running_job_is_checked_again_with_the_next_attempt(harness: Harness) -> None:
    sent = _sent(harness)
    _expect_job_status(harness, "IN_PROGRESS")
    assert _invoke(_check_event(attempt=4)) == {"batchItemFailures": []}
    (request,) = sent
    assert request["DelaySeconds"] == 300
    assert json.loads(request["MessageBody"])["attempt"] == 5


def test_after_24_checks_a_running_job_is_reported_and_left(
    harness: Harness, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    sent = _sent(harness)
    _expect_job_status(harness, "IN_PROGRESS")
    assert _invoke(_check_event(attempt=24)) == {"batchItemFailures": []}
    assert sent == []
    assert _metrics(capsys)["IngestionCheckGaveUp"] == 1.0
    assert [record.getMessage() for record in _errors(caplog)] == [
        "knowledge base ingestion job is still running; no more checks"
    ]


def test_a_check_beside_changes_starts_one_job_and_checks_the_other(harness: Harness) -> None:
    harness.expect_job("JOBNEW0001")
    _expect_job_status(harness, "COMPLETE", job_id="JOBOLD0001")
    changes = load_event("kb_sync_s3_changes.json")["Records"]
    check = _check_event(job_id="JOBOLD0001")["Records"]
    assert _invoke({"Records": changes + check}) == {"batchItemFailures": []}
    assert harness.delayed_count() == 1  # the new job's check


def test_a_check_that_cannot_read_the_job_is_returned_to_sqs_alone(harness: Harness) -> None:
    harness.expect_job()
    harness.stubber.add_client_error(
        "get_ingestion_job",
        service_error_code="ThrottlingException",
        service_message="Rate exceeded",
        http_status_code=429,
    )
    changes = load_event("kb_sync_s3_changes.json")["Records"]
    check = _check_event(attempt=2, job_id="JOBOLD0001")["Records"]
    result = _invoke({"Records": changes + check})
    assert result == {"batchItemFailures": [{"itemIdentifier": "check-2"}]}
