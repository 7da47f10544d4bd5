"""kb_sync's decisions, without AWS: what a batch asks for and what happens to it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kb_sync.sync import (
    CHECK_DELAY_SECONDS,
    CHECK_JOB_TYPE,
    DEFERRED_SYNC_TYPE,
    DESCRIPTION_LIMIT,
    MAX_CHECKS,
    SYNC_REQUEST_TYPE,
    IngestionBusy,
    JobCheck,
    JobStatus,
    SyncSettings,
    check_jobs,
    check_message,
    deferred_message,
    read_batch,
    synchronize,
)
from opsagent_shared.errors import ServiceUnavailable
from tests.conftest import load_event

SETTINGS = SyncSettings(
    knowledge_base_id="KB12345678",
    data_source_id="DS12345678",
    queue_url="https://sqs.us-east-1.amazonaws.com/111122223333/sync",
    retry_delay_seconds=120,
    max_deferrals=3,
)


def _records(event_name: str) -> list[tuple[str, str]]:
    return [(r["messageId"], r["body"]) for r in load_event(event_name)["Records"]]


def _s3(key: str, name: str = "ObjectCreated:Put") -> str:
    return json.dumps({"Records": [{"eventName": name, "s3": {"object": {"key": key}}}]})


class FakeIngestion:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls: list[dict[str, str]] = []

    def start(self, *, client_token: str, description: str) -> str:
        self.calls.append({"client_token": client_token, "description": description})
        if self.errors:
            raise self.errors.pop(0)
        return "JOB1234567"


class FakeDeferrer:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[tuple[dict[str, Any], int]] = []

    def defer(self, message: dict[str, Any], delay_seconds: int) -> None:
        if self.error:
            raise self.error
        self.sent.append((message, delay_seconds))


def test_s3_changes_become_one_request_with_decoded_keys() -> None:
    batch = read_batch(_records("kb_sync_s3_changes.json"))
    assert len(batch.message_ids) == 4
    assert batch.changed_keys == (
        "knowledge/incidents/2025-03-14-payments db (old).md",
        "knowledge/runbooks/rds-connection-exhaustion.md",
        "knowledge/runbooks/rds-connection-exhaustion.md.metadata.json",
    )
    assert batch.change_count == 3
    assert batch.needs_sync


def test_s3_test_event_alone_needs_no_sync() -> None:
    batch = read_batch(_records("kb_sync_s3_test_event.json"))
    assert not batch.needs_sync
    ingestion = FakeIngestion()
    outcome = synchronize(batch, ingestion=ingestion, deferrer=FakeDeferrer(), settings=SETTINGS)
    assert outcome.action == "nothing-to-do"
    assert ingestion.calls == []


def test_repeated_changes_to_one_key_count_once() -> None:
    batch = read_batch([("m1", _s3("knowledge/a.md")), ("m2", _s3("knowledge/a.md"))])
    assert batch.changed_keys == ("knowledge/a.md",)
    assert batch.change_count == 1


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({"x": 1}),
        json.dumps({"Records": [{"s3": None}]}),
        json.dumps({"Records": [{"s3": {"object": None}}, "junk"]}),
        json.dumps({"Records": [{"s3": {"object": {"key": 42}}}]}),
    ],
)
def test_messages_of_unknown_shape_still_cause_a_sync(body: str) -> None:
    batch = read_batch([("m1", body)])
    assert batch.change_count == 1
    assert batch.needs_sync
    assert batch.description() == "opsagent kb-sync: 1 change(s)"


def test_a_sync_request_message_causes_a_sync() -> None:
    body = json.dumps({"type": SYNC_REQUEST_TYPE, "reason": "data source created"})
    batch = read_batch([("m1", body)])
    assert (batch.change_count, batch.changed_keys, batch.deferrals) == (1, (), 0)


def test_deferred_messages_carry_their_count_and_deferrals_forward() -> None:
    deferred = {
        "type": DEFERRED_SYNC_TYPE,
        "deferrals": 2,
        "change_count": 7,
        "sample_keys": ["knowledge/b.md"],
    }
    alone = read_batch(
        [("m1", json.dumps(deferred)), ("m3", json.dumps({**deferred, "deferrals": 1}))]
    )
    assert alone.deferrals == 2
    assert alone.change_count == 7 + 7
    assert alone.changed_keys == ("knowledge/b.md",)


def test_fresh_changes_start_the_wait_anew() -> None:
    deferred = {
        "type": DEFERRED_SYNC_TYPE,
        "deferrals": 3,
        "change_count": 7,
        "sample_keys": ["knowledge/b.md"],
    }
    batch = read_batch([("m1", json.dumps(deferred)), ("m2", _s3("knowledge/c.md"))])
    assert batch.deferrals == 0
    assert batch.change_count == 1 + 7
    assert batch.changed_keys == ("knowledge/c.md", "knowledge/b.md")


@pytest.mark.parametrize(
    "fields",
    [
        {"deferrals": "9", "change_count": -4, "sample_keys": [3]},
        {"deferrals": None, "change_count": None, "sample_keys": None},
        {},
    ],
)
def test_a_malformed_deferral_still_stands_for_one_change(fields: dict[str, object]) -> None:
    batch = read_batch([("m1", json.dumps({"type": DEFERRED_SYNC_TYPE, **fields}))])
    assert (batch.deferrals, batch.change_count, batch.changed_keys) == (0, 1, ())
    assert batch.needs_sync


def test_token_and_description_are_stable_for_the_same_messages_in_any_order() -> None:
    # A redelivered batch may arrive in another order; the same token must come with the same
    # parameters, or Bedrock may refuse it as a different request.
    one = read_batch([("a", _s3("knowledge/x.md")), ("b", _s3("knowledge/y.md"))])
    two = read_batch([("b", _s3("knowledge/y.md")), ("a", _s3("knowledge/x.md"))])
    three = read_batch([("a", _s3("knowledge/x.md"))])
    assert one.client_token() == two.client_token() != three.client_token()
    assert one.description() == two.description()
    assert 33 <= len(one.client_token()) <= 256  # StartIngestionJob's clientToken limits


def test_description_names_a_sample_and_fits_the_api_limit() -> None:
    keys = [f"knowledge/runbooks/{'very-long-name-' * 3}{i}.md" for i in range(12)]
    batch = read_batch([(str(i), _s3(k)) for i, k in enumerate(keys)])
    description = batch.description()
    assert description.startswith("opsagent kb-sync: 12 change(s): knowledge/runbooks/")
    assert len(description) <= DESCRIPTION_LIMIT
    short = read_batch([(str(i), _s3(f"knowledge/{i}.md")) for i in range(7)]).description()
    assert short.endswith("(+2 more)")


def test_started_job_consumes_the_batch() -> None:
    batch = read_batch([("m1", _s3("knowledge/a.md"))])
    ingestion = FakeIngestion()
    outcome = synchronize(batch, ingestion=ingestion, deferrer=FakeDeferrer(), settings=SETTINGS)
    assert (outcome.action, outcome.job_id, outcome.failed_message_ids) == (
        "started",
        "JOB1234567",
        (),
    )
    assert ingestion.calls[0]["client_token"] == batch.client_token()


def test_busy_ingestion_defers_one_message_with_the_request() -> None:
    batch = read_batch([("m1", _s3("knowledge/a.md")), ("m2", _s3("knowledge/b.md"))])
    deferrer = FakeDeferrer()
    outcome = synchronize(
        batch, ingestion=FakeIngestion(IngestionBusy("busy")), deferrer=deferrer, settings=SETTINGS
    )
    assert outcome.action == "deferred"
    assert outcome.failed_message_ids == ()
    assert deferrer.sent == [(deferred_message(batch), 120)]
    message = deferrer.sent[0][0]
    assert message["deferrals"] == 1
    assert message["change_count"] == 2
    # The deferred message, read back, asks for the same sync.
    again = read_batch([("m9", json.dumps(message))])
    assert again.change_count == 2
    assert again.deferrals == 1


def test_busy_after_the_last_deferral_fails_the_batch_for_the_dead_letter_queue() -> None:
    deferred = {"type": DEFERRED_SYNC_TYPE, "deferrals": 3, "change_count": 1, "sample_keys": []}
    batch = read_batch([("m1", json.dumps(deferred))])
    deferrer = FakeDeferrer()
    outcome = synchronize(
        batch, ingestion=FakeIngestion(IngestionBusy("busy")), deferrer=deferrer, settings=SETTINGS
    )
    assert outcome.action == "failed"
    assert outcome.failed_message_ids == ("m1",)
    assert "3 deferrals" in (outcome.reason or "")
    assert deferrer.sent == []


def test_a_deferral_that_cannot_be_sent_fails_the_batch() -> None:
    batch = read_batch([("m1", _s3("knowledge/a.md")), ("m2", _s3("knowledge/b.md"))])
    outcome = synchronize(
        batch,
        ingestion=FakeIngestion(IngestionBusy("busy")),
        deferrer=FakeDeferrer(ServiceUnavailable("sqs down")),
        settings=SETTINGS,
    )
    assert outcome.action == "failed"
    assert outcome.failed_message_ids == ("m1", "m2")


def test_other_ingestion_errors_fail_the_whole_batch() -> None:
    error = ServiceUnavailable("StartIngestionJob failed: ThrottlingException")
    batch = read_batch([("m1", _s3("knowledge/a.md")), ("m2", "junk")])
    outcome = synchronize(
        batch, ingestion=FakeIngestion(error), deferrer=FakeDeferrer(), settings=SETTINGS
    )
    assert outcome.action == "failed"
    assert outcome.failed_message_ids == ("m1", "m2")
    assert outcome.reason == str(error)


# --- Checking a started job -------------------------------------------------------------------


class FakeJobs:
    def __init__(self, *statuses: JobStatus | Exception) -> None:
        self.statuses = list(statuses)
        self.asked: list[str] = []

    def status(self, job_id: str) -> JobStatus:
        self.asked.append(job_id)
        answer = self.statuses.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _check(job_id: str = "JOB1234567", attempt: int = 1, message_id: str = "c1") -> JobCheck:
    return JobCheck(message_id=message_id, job_id=job_id, attempt=attempt)


def test_a_started_job_schedules_one_delayed_check() -> None:
    deferrer = FakeDeferrer()
    outcome = synchronize(
        read_batch([("m1", _s3("knowledge/a.md"))]),
        ingestion=FakeIngestion(),
        deferrer=deferrer,
        settings=SETTINGS,
    )
    assert (outcome.action, outcome.check_not_sent) == ("started", None)
    assert deferrer.sent == [
        ({"type": CHECK_JOB_TYPE, "job_id": "JOB1234567", "attempt": 1}, CHECK_DELAY_SECONDS)
    ]
    assert CHECK_DELAY_SECONDS == 300


def test_a_check_that_cannot_be_scheduled_does_not_fail_the_started_batch() -> None:
    outcome = synchronize(
        read_batch([("m1", _s3("knowledge/a.md"))]),
        ingestion=FakeIngestion(),
        deferrer=FakeDeferrer(ServiceUnavailable("sqs down")),
        settings=SETTINGS,
    )
    assert (outcome.action, outcome.job_id, outcome.failed_message_ids) == (
        "started",
        "JOB1234567",
        (),
    )
    assert outcome.check_not_sent == "sqs down"


def test_check_messages_are_never_changes_and_never_start_a_sync() -> None:
    check = json.dumps(check_message("JOB1234567", 3))
    batch = read_batch([("c1", check)])
    assert not batch.needs_sync
    assert (batch.message_ids, batch.change_count, batch.checks) == (
        (),
        0,
        (_check(attempt=3),),
    )
    ingestion = FakeIngestion()
    outcome = synchronize(batch, ingestion=ingestion, deferrer=FakeDeferrer(), settings=SETTINGS)
    assert outcome.action == "nothing-to-do"
    assert ingestion.calls == []


def test_checks_beside_changes_leave_the_sync_request_and_its_token_alone() -> None:
    changes = [("m1", _s3("knowledge/a.md")), ("m2", _s3("knowledge/b.md"))]
    with_check = read_batch([*changes, ("c1", json.dumps(check_message("J1", 1)))])
    alone = read_batch(changes)
    assert with_check.client_token() == alone.client_token()
    assert (with_check.message_ids, with_check.change_count) == (("m1", "m2"), 2)
    assert [c.job_id for c in with_check.checks] == ["J1"]


@pytest.mark.parametrize(
    "fields",
    [{}, {"job_id": ""}, {"job_id": 42}, {"job_id": None, "attempt": 2}],
)
def test_a_check_without_a_job_is_dropped_not_counted_as_a_change(fields: dict[str, Any]) -> None:
    batch = read_batch([("c1", json.dumps({"type": CHECK_JOB_TYPE, **fields}))])
    assert (batch.checks, batch.change_count, batch.needs_sync) == ((), 0, False)


def test_a_malformed_attempt_counts_as_the_first() -> None:
    body = json.dumps({"type": CHECK_JOB_TYPE, "job_id": "J1", "attempt": "7"})
    assert read_batch([("c1", body)]).checks == (_check("J1", 1),)


def test_a_clean_complete_job_reports_nothing_to_worry_about() -> None:
    jobs = FakeJobs(JobStatus(status="COMPLETE", statistics={"numberOfDocumentsFailed": 0}))
    deferrer = FakeDeferrer()
    (result,) = check_jobs([_check()], jobs=jobs, deferrer=deferrer, settings=SETTINGS)
    assert (result.action, result.failed_message_id) == ("complete", None)
    assert deferrer.sent == []


def test_a_complete_job_with_failed_documents_is_a_failed_job() -> None:
    reasons = ("Encountered error: file too large [knowledge/big.pdf]",)
    jobs = FakeJobs(JobStatus(status="COMPLETE", documents_failed=2, failure_reasons=reasons))
    deferrer = FakeDeferrer()
    (result,) = check_jobs([_check()], jobs=jobs, deferrer=deferrer, settings=SETTINGS)
    assert (result.action, result.failure_reasons, result.failed_message_id) == (
        "failed-job",
        reasons,
        None,
    )
    assert deferrer.sent == []


def test_a_failed_job_is_a_failed_job() -> None:
    jobs = FakeJobs(JobStatus(status="FAILED", failure_reasons=("AccessDenied on bucket",)))
    (result,) = check_jobs([_check()], jobs=jobs, deferrer=FakeDeferrer(), settings=SETTINGS)
    assert (result.action, result.status) == ("failed-job", "FAILED")


@pytest.mark.parametrize("status", ["STARTING", "IN_PROGRESS", "STOPPING"])
def test_a_running_job_is_checked_again_later(status: str) -> None:
    deferrer = FakeDeferrer()
    (result,) = check_jobs(
        [_check(attempt=5)],
        jobs=FakeJobs(JobStatus(status=status)),
        deferrer=deferrer,
        settings=SETTINGS,
    )
    assert result.action == "still-running"
    assert deferrer.sent == [(check_message("JOB1234567", 6), CHECK_DELAY_SECONDS)]


def test_a_job_running_through_every_check_is_given_up_on() -> None:
    deferrer = FakeDeferrer()
    (result,) = check_jobs(
        [_check(attempt=MAX_CHECKS)],
        jobs=FakeJobs(JobStatus(status="IN_PROGRESS")),
        deferrer=deferrer,
        settings=SETTINGS,
    )
    assert MAX_CHECKS == 24
    assert result.action == "gave-up"
    assert "after 24 checks" in (result.reason or "")
    assert deferrer.sent == []


def test_a_stopped_job_is_not_a_failure_and_not_checked_again() -> None:
    deferrer = FakeDeferrer()
    (result,) = check_jobs(
        [_check()], jobs=FakeJobs(JobStatus(status="STOPPED")), deferrer=deferrer, settings=SETTINGS
    )
    assert result.action == "stopped"
    assert deferrer.sent == []


def test_a_status_that_cannot_be_read_returns_the_check_for_a_retry() -> None:
    (result,) = check_jobs(
        [_check(message_id="c9")],
        jobs=FakeJobs(ServiceUnavailable("throttled")),
        deferrer=FakeDeferrer(),
        settings=SETTINGS,
    )
    assert (result.action, result.failed_message_id, result.reason) == ("error", "c9", "throttled")


def test_a_next_check_that_cannot_be_sent_returns_the_check_for_a_retry() -> None:
    (result,) = check_jobs(
        [_check(message_id="c9")],
        jobs=FakeJobs(JobStatus(status="IN_PROGRESS")),
        deferrer=FakeDeferrer(ServiceUnavailable("sqs down")),
        settings=SETTINGS,
    )
    assert (result.action, result.failed_message_id) == ("error", "c9")


def test_each_job_is_checked_once_per_batch_at_its_latest_attempt() -> None:
    jobs = FakeJobs(JobStatus(status="COMPLETE"), JobStatus(status="COMPLETE"))
    results = check_jobs(
        [_check("J1", 2, "a"), _check("J1", 3, "b"), _check("J2", 1, "c")],
        jobs=jobs,
        deferrer=FakeDeferrer(),
        settings=SETTINGS,
    )
    assert jobs.asked == ["J1", "J2"]
    assert [(r.job_id, r.attempt) for r in results] == [("J1", 3), ("J2", 1)]
