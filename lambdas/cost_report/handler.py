"""EventBridge Scheduler, daily -> the cost report -> SNS -> Chatbot -> Slack.

The schedule's payload may be `{}` or `{"language": "ko" | "en"}` (else REPORT_LANGUAGE).
When Cost Explorer is off or has no data yet, a short notice saying how to turn it on goes out
in place of the report. Any other failure raises, so Lambda's asynchronous retries try again.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cost_report import report
from opsagent_shared import aws, env
from opsagent_shared.errors import NotEnabled, ServiceUnavailable
from opsagent_shared.notifications import resolve_connector, resolve_language

logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched on first use: opsagent_shared.aws
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    topic_arn = env.required("TOPIC_ARN")
    requested = event.get("language") if isinstance(event, dict) else None
    language = resolve_language(requested, os.environ.get("REPORT_LANGUAGE"))
    connector = resolve_connector(os.environ.get("AGENT_CONNECTOR_NAME"))
    notification_id = str(uuid.uuid4())
    try:
        figures = report.gather()
    except NotEnabled as off:
        logger.warning("Cost Explorer is not available; sending a notice instead", reason=str(off))
        notice = report.cost_explorer_off(
            off, language=language, notification_id=notification_id, connector=connector
        )
        message_id = publish(topic_arn, notice)
        metrics.add_metric(name="CostReportSkipped", unit=MetricUnit.Count, value=1)
        return {"published": 1, "report": "cost-explorer-off", "message_id": message_id}

    notification = report.daily_report(
        figures, language=language, notification_id=notification_id, connector=connector
    )
    message_id = publish(topic_arn, notification)
    logger.info(
        "daily cost report published",
        day=figures.day,
        language=language,
        total=figures.total,
        currency=figures.currency,
        description_chars=len(notification["content"]["description"]),
        notes=list(figures.notes),
        message_id=message_id,
    )
    if figures.hub_unavailable:
        logger.warning("Cost Optimization Hub could not be read; report sent without savings")
    metrics.add_metric(name="CostReportPublished", unit=MetricUnit.Count, value=1)
    return {"published": 1, "report": figures.day, "message_id": message_id}


def publish(topic_arn: str, notification: dict[str, Any]) -> str:
    """Send one Chatbot custom notification to the topic; return SNS's message ID."""
    try:
        response = aws.client("sns").publish(
            TopicArn=topic_arn, Message=json.dumps(notification, ensure_ascii=False)
        )
    except Exception as error:
        code = aws.error_code(error) or type(error).__name__
        raise ServiceUnavailable(f"could not publish to {topic_arn}: {code}") from error
    return str(response["MessageId"])
