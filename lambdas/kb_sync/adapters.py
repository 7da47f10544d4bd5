"""The AWS side of kb_sync: Bedrock ingestion jobs and the sync queue.

botocore errors stop here and become the domain errors `sync.py` reasons about.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from kb_sync.sync import IngestionBusy, JobStatus
from opsagent_shared.aws import error_code
from opsagent_shared.errors import ServiceUnavailable

# Errors that mean "not now" rather than "never": wait and try again via a deferral.
BUSY_ERROR_CODES = frozenset(
    {"ConflictException", "ServiceQuotaExceededException", "ThrottlingException"}
)


class BedrockIngestion:
    def __init__(self, bedrock_agent: Any, *, knowledge_base_id: str, data_source_id: str) -> None:
        self._client = bedrock_agent
        self._knowledge_base_id = knowledge_base_id
        self._data_source_id = data_source_id

    def start(self, *, client_token: str, description: str) -> str:
        try:
            response = self._client.start_ingestion_job(
                knowledgeBaseId=self._knowledge_base_id,
                dataSourceId=self._data_source_id,
                clientToken=client_token,
                description=description,
            )
        except ClientError as error:
            if error_code(error) in BUSY_ERROR_CODES:
                raise IngestionBusy(str(error)) from error
            raise ServiceUnavailable(f"StartIngestionJob failed: {error}") from error
        except BotoCoreError as error:
            raise ServiceUnavailable(f"StartIngestionJob failed: {error}") from error
        return str(response["ingestionJob"]["ingestionJobId"])

    def status(self, job_id: str) -> JobStatus:
        try:
            response = self._client.get_ingestion_job(
                knowledgeBaseId=self._knowledge_base_id,
                dataSourceId=self._data_source_id,
                ingestionJobId=job_id,
            )
        except (ClientError, BotoCoreError) as error:
            raise ServiceUnavailable(f"GetIngestionJob {job_id} failed: {error}") from error
        job = response["ingestionJob"]
        statistics = {
            str(name): int(value)
            for name, value in (job.get("statistics") or {}).items()
            if isinstance(value, int)
        }
        return JobStatus(
            status=str(job.get("status", "")),
            documents_failed=statistics.get("numberOfDocumentsFailed", 0),
            failure_reasons=tuple(str(reason) for reason in job.get("failureReasons") or ()),
            statistics=statistics,
        )


class SqsDeferrer:
    def __init__(self, sqs: Any, *, queue_url: str) -> None:
        self._client = sqs
        self._queue_url = queue_url

    def defer(self, message: dict[str, Any], delay_seconds: int) -> None:
        try:
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps(message),
                DelaySeconds=delay_seconds,
            )
        except (ClientError, BotoCoreError) as error:
            raise ServiceUnavailable(f"could not defer the sync request: {error}") from error
