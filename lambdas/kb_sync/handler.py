"""SQS batch of knowledge-bucket changes -> at most one Knowledge Base ingestion job.

The same queue carries this function's own delayed "check job" messages; a started job that
failed, or left documents out, is logged with Bedrock's reasons and counted in the
`IngestionJobsFailed` metric, which an alarm can watch.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from kb_sync.adapters import BedrockIngestion, SqsDeferrer
from kb_sync.settings import settings
from kb_sync.sync import CheckResult, check_jobs, read_batch, synchronize
from opsagent_shared import aws
from opsagent_shared.observability import logger, metrics, observed


@observed
@event_source(data_class=SQSEvent)
def lambda_handler(event: SQSEvent, context: LambdaContext) -> dict[str, Any]:
    config = settings().sync_settings()
    batch = read_batch((record.message_id, record.body) for record in event.records)
    ingestion = BedrockIngestion(
        aws.client("bedrock-agent"),
        knowledge_base_id=config.knowledge_base_id,
        data_source_id=config.data_source_id,
    )
    deferrer = SqsDeferrer(aws.client("sqs"), queue_url=config.queue_url)
    outcome = synchronize(batch, ingestion=ingestion, deferrer=deferrer, settings=config)
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
    if outcome.check_not_sent:
        # The job runs; only its failure report is lost. Retrying the batch would not help.
        logger.error(
            "ingestion job started, but its check could not be scheduled",
            job_id=outcome.job_id,
            reason=outcome.check_not_sent,
        )
        metrics.add_metric(name="IngestionCheckNotScheduled", unit=MetricUnit.Count, value=1)
    checks = check_jobs(batch.checks, jobs=ingestion, deferrer=deferrer, settings=config)
    for result in checks:
        _report(result)
    failed = [*outcome.failed_message_ids, *(c.failed_message_id for c in checks)]
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed if m]}


def _report(result: CheckResult) -> None:
    """Log what a job check found; a failed job is an error and a metric an alarm can watch."""
    details: dict[str, object] = {
        "job_id": result.job_id,
        "attempt": result.attempt,
        "status": result.status,
        "statistics": result.statistics,
        "failure_reasons": list(result.failure_reasons),
        "reason": result.reason,
    }
    if result.action == "failed-job":
        logger.error("knowledge base ingestion job failed", extra=details)
        metrics.add_metric(name="IngestionJobsFailed", unit=MetricUnit.Count, value=1)
    elif result.action == "gave-up":
        logger.error("knowledge base ingestion job is still running; no more checks", extra=details)
        metrics.add_metric(name="IngestionCheckGaveUp", unit=MetricUnit.Count, value=1)
    elif result.action == "error":
        logger.warning("knowledge base ingestion job check will be retried", extra=details)
    elif result.action == "stopped":
        logger.warning("knowledge base ingestion job was stopped", extra=details)
    else:
        logger.info(
            "knowledge base ingestion job checked", extra={**details, "action": result.action}
        )
