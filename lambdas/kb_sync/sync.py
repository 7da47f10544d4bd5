"""What one SQS batch of knowledge-bucket changes asks for, and how it is carried out.

A batch holds S3 event notifications (documents added, changed or removed), S3's test event
(sent once when notifications are configured), "deferred sync" messages this function sent
itself while another ingestion job was running, "sync requested" messages (sent on deploy
when the data source is created or replaced, or by hand to force a sync), and "check job"
messages. The whole batch becomes at most one ingestion job: the sync is incremental, so one job
takes in every change.

A started job is checked once it has had time to run: one delayed "check job" message goes to
the same queue, and reading it asks Bedrock how the job ended. A job that failed, or that
finished with documents it could not ingest, is logged with Bedrock's reasons and counted in the
`IngestionJobsFailed` metric (ingestion reports per-document failures only there, never as an
error). A job still running is checked again later, up to `max_checks` times. Check messages
never start a sync and never count as changes.

Nothing is lost:
- the job starts -> the batch is done;
- another job is running, or the account's ingestion quota or rate is exhausted
  (`IngestionBusy`) -> one deferred-sync message, delayed, carries the request forward; a
  request that has waited through `max_deferrals` of those fails the batch, and SQS retries it,
  then moves it to the dead-letter queue, whose alarm asks a person to look. Fresh changes in a
  batch start the wait anew: only a request that has itself waited that long gives up;
- a message of unknown shape still causes a sync (syncing is idempotent; dropping is not);
- any other failure, or the deferral cannot be sent -> the batch fails and SQS retries it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote_plus

from opsagent_shared.errors import OpsAgentError

DEFERRED_SYNC_TYPE = "opsagent.kb_sync.deferred"
SYNC_REQUEST_TYPE = "opsagent.kb_sync.requested"
CHECK_JOB_TYPE = "opsagent.kb_sync.check"
CHECK_DELAY_SECONDS = 300  # within SQS's 900 s DelaySeconds limit
MAX_CHECKS = 24  # 24 x 5 minutes: two hours for one job, far beyond a normal incremental sync
RUNNING_STATUSES = frozenset({"STARTING", "IN_PROGRESS", "STOPPING"})
S3_TEST_EVENT = "s3:TestEvent"
DESCRIPTION_LIMIT = 200  # StartIngestionJob's description limit
SAMPLE_KEYS = 5


class IngestionBusy(OpsAgentError):
    """Ingestion cannot start now: a job is running, or a quota or rate limit is reached."""


class SyncGaveUp(OpsAgentError):
    """Ingestion stayed busy through every deferral; SQS retries and then dead-letters."""


@dataclass(frozen=True)
class SyncSettings:
    knowledge_base_id: str
    data_source_id: str
    queue_url: str
    retry_delay_seconds: int
    max_deferrals: int
    check_delay_seconds: int = CHECK_DELAY_SECONDS
    max_checks: int = MAX_CHECKS


@dataclass(frozen=True)
class JobCheck:
    """A "check job" message: look at ingestion job `job_id` for the `attempt`-th time."""

    message_id: str
    job_id: str
    attempt: int


@dataclass(frozen=True)
class SyncBatch:
    """The sync request a batch adds up to, and the job checks it carries beside it."""

    message_ids: tuple[str, ...]  # every message but the job checks
    changed_keys: tuple[str, ...]
    change_count: int  # changes, requests and unknown messages here, plus deferred ones
    deferrals: int  # how many times the oldest waiting request here was deferred already
    checks: tuple[JobCheck, ...] = ()

    @property
    def needs_sync(self) -> bool:
        return self.change_count > 0

    def client_token(self) -> str:
        """Idempotency token: a redelivered identical batch never starts a second job."""
        return hashlib.sha256("\n".join(sorted(self.message_ids)).encode()).hexdigest()

    def description(self) -> str:
        text = f"opsagent kb-sync: {self.change_count} change(s)"
        if self.changed_keys:
            text += ": " + ", ".join(self.changed_keys[:SAMPLE_KEYS])
            if len(self.changed_keys) > SAMPLE_KEYS:
                text += f" (+{len(self.changed_keys) - SAMPLE_KEYS} more)"
        return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 3] + "..."


@dataclass(frozen=True)
class SyncOutcome:
    """What happened to a batch; `failed_message_ids` go back to SQS for a retry."""

    action: str  # "started", "deferred", "nothing-to-do", "failed"
    failed_message_ids: tuple[str, ...] = ()
    job_id: str | None = None
    reason: str | None = None
    # Set when the job started but its check message could not be sent: the job runs, yet a
    # failure in it would go unreported. Not a reason to fail the batch (and start it again).
    check_not_sent: str | None = None


@dataclass(frozen=True)
class JobStatus:
    """What GetIngestionJob says about a job."""

    status: str  # STARTING, IN_PROGRESS, COMPLETE, FAILED, STOPPING, STOPPED
    documents_failed: int = 0
    failure_reasons: tuple[str, ...] = ()
    statistics: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """What one job check found; `failed_message_id` goes back to SQS for a retry."""

    job_id: str
    attempt: int
    action: str  # "complete", "failed-job", "still-running", "gave-up", "stopped", "error"
    status: str | None = None
    failure_reasons: tuple[str, ...] = ()
    statistics: dict[str, int] = field(default_factory=dict)
    failed_message_id: str | None = None
    reason: str | None = None


class Ingestion(Protocol):
    def start(self, *, client_token: str, description: str) -> str:
        """Start an ingestion job and return its ID; raise `IngestionBusy` if it cannot yet."""
        ...


class JobStatuses(Protocol):
    def status(self, job_id: str) -> JobStatus:
        """The job's status; raise an `OpsAgentError` if it cannot be read now."""
        ...


class Deferrer(Protocol):
    def defer(self, message: dict[str, Any], delay_seconds: int) -> None:
        """Send `message` back to the sync queue, delivered after `delay_seconds`."""
        ...


def read_batch(records: Iterable[tuple[str, str]]) -> SyncBatch:
    """Read `(message_id, body)` pairs from SQS into one sync request."""
    message_ids: list[str] = []
    fresh_keys: list[str] = []
    carried_keys: list[str] = []
    carried = 0
    requested = 0
    deferrals = 0
    unrecognized = 0
    checks: list[JobCheck] = []
    for message_id, body in records:
        payload = _json_object(body)
        kind = payload.get("type") if payload else None
        if kind == CHECK_JOB_TYPE and payload is not None:
            # Our own message about a job already started: never a change. One without a job
            # ID names nothing to check and is dropped.
            job_id = payload.get("job_id")
            if isinstance(job_id, str) and job_id:
                attempt = max(1, _non_negative_int(payload.get("attempt")))
                checks.append(JobCheck(message_id=message_id, job_id=job_id, attempt=attempt))
            continue
        message_ids.append(message_id)
        if payload is None:
            unrecognized += 1
        elif payload.get("Event") == S3_TEST_EVENT:
            continue
        elif kind == DEFERRED_SYNC_TYPE:
            # A deferral always stands for at least one change, whatever its fields say.
            carried += max(1, _non_negative_int(payload.get("change_count")))
            deferrals = max(deferrals, _non_negative_int(payload.get("deferrals")))
            carried_keys.extend(_strings(payload.get("sample_keys")))
        elif kind == SYNC_REQUEST_TYPE:
            requested += 1
        elif isinstance(payload.get("Records"), list):
            keys = list(_changed_keys(payload["Records"]))
            fresh_keys.extend(keys)
            unrecognized += 0 if keys else 1
        else:
            unrecognized += 1
    unique_fresh = sorted(set(fresh_keys))
    fresh = len(unique_fresh) + requested + unrecognized
    return SyncBatch(
        message_ids=tuple(message_ids),
        changed_keys=tuple(unique_fresh + sorted(set(carried_keys) - set(unique_fresh))),
        change_count=fresh + carried,
        # Fresh changes have not waited yet; only a batch of deferrals alone keeps counting.
        deferrals=0 if fresh else deferrals,
        checks=tuple(checks),
    )


def synchronize(
    batch: SyncBatch, *, ingestion: Ingestion, deferrer: Deferrer, settings: SyncSettings
) -> SyncOutcome:
    if not batch.needs_sync:
        return SyncOutcome(action="nothing-to-do")
    try:
        job_id = ingestion.start(client_token=batch.client_token(), description=batch.description())
    except IngestionBusy as busy:
        reason = str(busy)
        if batch.deferrals >= settings.max_deferrals:
            return _failed(
                batch,
                SyncGaveUp(
                    f"ingestion stayed busy through {batch.deferrals} deferrals "
                    f"of {settings.retry_delay_seconds}s"
                ),
            )
    except OpsAgentError as error:
        return _failed(batch, error)
    else:
        try:
            deferrer.defer(check_message(job_id, 1), settings.check_delay_seconds)
        except OpsAgentError as error:
            return SyncOutcome(action="started", job_id=job_id, check_not_sent=str(error))
        return SyncOutcome(action="started", job_id=job_id)
    try:
        deferrer.defer(deferred_message(batch), settings.retry_delay_seconds)
    except OpsAgentError as error:
        return _failed(batch, error)
    return SyncOutcome(action="deferred", reason=reason)


def check_jobs(
    checks: Iterable[JobCheck], *, jobs: JobStatuses, deferrer: Deferrer, settings: SyncSettings
) -> list[CheckResult]:
    """Look at each started job once; a job still running is checked again later."""
    return [
        _check(check, jobs=jobs, deferrer=deferrer, settings=settings)
        for check in _one_per_job(checks)
    ]


def _one_per_job(checks: Iterable[JobCheck]) -> list[JobCheck]:
    """A redelivered check may meet a later one for the same job: keep the latest attempt."""
    latest: dict[str, JobCheck] = {}
    for check in checks:
        if check.job_id not in latest or check.attempt > latest[check.job_id].attempt:
            latest[check.job_id] = check
    return list(latest.values())


def _check(
    check: JobCheck, *, jobs: JobStatuses, deferrer: Deferrer, settings: SyncSettings
) -> CheckResult:
    try:
        job = jobs.status(check.job_id)
    except OpsAgentError as error:
        return CheckResult(
            job_id=check.job_id,
            attempt=check.attempt,
            action="error",
            failed_message_id=check.message_id,
            reason=str(error),
        )
    if job.status == "FAILED" or (job.status == "COMPLETE" and job.documents_failed > 0):
        return _found(check, job, "failed-job")
    if job.status == "COMPLETE":
        return _found(check, job, "complete")
    if job.status == "STOPPED":
        return _found(check, job, "stopped")
    if check.attempt >= settings.max_checks:
        return _found(
            check,
            job,
            "gave-up",
            reason=f"still {job.status} after {check.attempt} checks "
            f"{settings.check_delay_seconds}s apart",
        )
    try:
        deferrer.defer(check_message(check.job_id, check.attempt + 1), settings.check_delay_seconds)
    except OpsAgentError as error:
        return _found(check, job, "error", failed_message_id=check.message_id, reason=str(error))
    return _found(check, job, "still-running")


def _found(
    check: JobCheck,
    job: JobStatus,
    action: str,
    *,
    failed_message_id: str | None = None,
    reason: str | None = None,
) -> CheckResult:
    return CheckResult(
        job_id=check.job_id,
        attempt=check.attempt,
        action=action,
        status=job.status,
        failure_reasons=job.failure_reasons,
        statistics=job.statistics,
        failed_message_id=failed_message_id,
        reason=reason,
    )


def check_message(job_id: str, attempt: int) -> dict[str, Any]:
    return {"type": CHECK_JOB_TYPE, "job_id": job_id, "attempt": attempt}


def deferred_message(batch: SyncBatch) -> dict[str, Any]:
    return {
        "type": DEFERRED_SYNC_TYPE,
        "deferrals": batch.deferrals + 1,
        "change_count": batch.change_count,
        "sample_keys": list(batch.changed_keys[:SAMPLE_KEYS]),
    }


def _failed(batch: SyncBatch, error: Exception) -> SyncOutcome:
    return SyncOutcome(action="failed", failed_message_ids=batch.message_ids, reason=str(error))


def _changed_keys(records: list[Any]) -> Iterable[str]:
    for record in records:
        s3 = record.get("s3") if isinstance(record, dict) else None
        obj = s3.get("object") if isinstance(s3, dict) else None
        key = obj.get("key") if isinstance(obj, dict) else None
        if isinstance(key, str) and key:
            # S3 event keys are URL-encoded with '+' for spaces.
            yield unquote_plus(key)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _json_object(body: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (TypeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def _non_negative_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
