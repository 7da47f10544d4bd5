"""What one SQS batch of knowledge-bucket changes asks for, and how it is carried out.

A batch holds S3 event notifications (documents added, changed or removed), S3's test event
(sent once when notifications are configured), and "deferred sync" messages this function sent
itself while another ingestion job was running. The whole batch becomes at most one ingestion
job: the sync is incremental, so one job picks up every change at once.

Nothing is lost:
- the job starts -> the batch is done;
- another job is running (`IngestionBusy`) -> one deferred-sync message, delayed, carries the
  request forward; after `max_deferrals` of those the batch fails and SQS retries, then moves it
  to the dead-letter queue, whose alarm asks a person to look;
- any other failure, or the deferral cannot be sent -> the batch fails and SQS retries it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote_plus

from opsagent_shared.errors import OpsAgentError

DEFERRED_SYNC_TYPE = "opsagent.kb_sync.deferred"
S3_TEST_EVENT = "s3:TestEvent"
DESCRIPTION_LIMIT = 200  # StartIngestionJob's description limit
SAMPLE_KEYS = 5


class IngestionBusy(OpsAgentError):
    """Another ingestion job is running on this Knowledge Base (ConflictException)."""


class SyncGaveUp(OpsAgentError):
    """Ingestion stayed busy through every deferral; SQS retries and then dead-letters."""


@dataclass(frozen=True)
class SyncSettings:
    knowledge_base_id: str
    data_source_id: str
    queue_url: str
    retry_delay_seconds: int
    max_deferrals: int


@dataclass(frozen=True)
class SyncBatch:
    """The sync request a batch adds up to."""

    message_ids: tuple[str, ...]
    changed_keys: tuple[str, ...]
    change_count: int  # changes in this batch, plus those carried by deferred messages
    deferrals: int  # the most times any request in this batch has been deferred already
    unrecognized: int  # messages of unknown shape: they still cause a sync

    @property
    def needs_sync(self) -> bool:
        return self.change_count > 0 or self.unrecognized > 0

    def client_token(self) -> str:
        """Idempotency token: a redelivered identical batch never starts a second job."""
        return hashlib.sha256("\n".join(sorted(self.message_ids)).encode()).hexdigest()

    def description(self) -> str:
        total = self.change_count + self.unrecognized
        text = f"opsagent kb-sync: {total} change(s)"
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


class Ingestion(Protocol):
    def start(self, *, client_token: str, description: str) -> str:
        """Start an ingestion job and return its ID; raise `IngestionBusy` if one is running."""
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
    deferrals = 0
    unrecognized = 0
    for message_id, body in records:
        message_ids.append(message_id)
        payload = _json_object(body)
        if payload is None:
            unrecognized += 1
        elif payload.get("Event") == S3_TEST_EVENT:
            continue
        elif payload.get("type") == DEFERRED_SYNC_TYPE:
            carried += _non_negative_int(payload.get("change_count"))
            deferrals = max(deferrals, _non_negative_int(payload.get("deferrals")))
            carried_keys.extend(k for k in payload.get("sample_keys", []) if isinstance(k, str))
        elif isinstance(payload.get("Records"), list):
            fresh_keys.extend(_changed_keys(payload["Records"]))
        else:
            unrecognized += 1
    unique_fresh = tuple(dict.fromkeys(fresh_keys))
    return SyncBatch(
        message_ids=tuple(message_ids),
        changed_keys=tuple(dict.fromkeys(unique_fresh + tuple(carried_keys))),
        change_count=len(unique_fresh) + carried,
        deferrals=deferrals,
        unrecognized=unrecognized,
    )


def synchronize(
    batch: SyncBatch, *, ingestion: Ingestion, deferrer: Deferrer, settings: SyncSettings
) -> SyncOutcome:
    if not batch.needs_sync:
        return SyncOutcome(action="nothing-to-do")
    try:
        job_id = ingestion.start(client_token=batch.client_token(), description=batch.description())
        return SyncOutcome(action="started", job_id=job_id)
    except IngestionBusy:
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
    try:
        deferrer.defer(deferred_message(batch), settings.retry_delay_seconds)
    except OpsAgentError as error:
        return _failed(batch, error)
    return SyncOutcome(action="deferred", reason="another ingestion job is running")


def deferred_message(batch: SyncBatch) -> dict[str, Any]:
    return {
        "type": DEFERRED_SYNC_TYPE,
        "deferrals": batch.deferrals + 1,
        "change_count": batch.change_count + batch.unrecognized,
        "sample_keys": list(batch.changed_keys[:SAMPLE_KEYS]),
    }


def _failed(batch: SyncBatch, error: Exception) -> SyncOutcome:
    return SyncOutcome(action="failed", failed_message_ids=batch.message_ids, reason=str(error))


def _changed_keys(records: list[Any]) -> Iterable[str]:
    for record in records:
        if not isinstance(record, dict):
            continue
        key = record.get("s3", {}).get("object", {}).get("key")
        if isinstance(key, str) and key:
            # S3 event keys are URL-encoded with '+' for spaces.
            yield unquote_plus(key)


def _json_object(body: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (TypeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def _non_negative_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
