"""SQS batch of knowledge-bucket changes -> at most one Knowledge Base ingestion job."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from kb_sync.adapters import BedrockIngestion, SqsDeferrer
from kb_sync.sync import SyncSettings, read_batch, synchronize
from opsagent_shared import env
from opsagent_shared.aws import client

logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched on first use: opsagent_shared.aws
metrics = Metrics()


@cache
def settings() -> SyncSettings:
    return SyncSettings(
        knowledge_base_id=env.required("KNOWLEDGE_BASE_ID"),
        data_source_id=env.required("DATA_SOURCE_ID"),
        queue_url=env.required("SYNC_QUEUE_URL"),
        retry_delay_seconds=env.integer("RETRY_DELAY_SECONDS", minimum=0, maximum=900),
        max_deferrals=env.integer("MAX_DEFERRALS", minimum=0, maximum=1000),
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=SQSEvent)
def lambda_handler(event: SQSEvent, context: LambdaContext) -> dict[str, Any]:
    config = settings()
    batch = read_batch((record.message_id, record.body) for record in event.records)
    outcome = synchronize(
        batch,
        ingestion=BedrockIngestion(
            client("bedrock-agent"),
            knowledge_base_id=config.knowledge_base_id,
            data_source_id=config.data_source_id,
        ),
        deferrer=SqsDeferrer(client("sqs"), queue_url=config.queue_url),
        settings=config,
    )
    logger.info(
        "knowledge base sync",
        action=outcome.action,
        job_id=outcome.job_id,
        reason=outcome.reason,
        messages=len(batch.message_ids),
        changes=batch.change_count,
        deferrals=batch.deferrals,
    )
    metrics.add_metric(
        name="Sync" + outcome.action.title().replace("-", ""), unit=MetricUnit.Count, value=1
    )
    return {"batchItemFailures": [{"itemIdentifier": m} for m in outcome.failed_message_ids]}
