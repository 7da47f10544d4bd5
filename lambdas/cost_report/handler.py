"""EventBridge Scheduler, daily -> the cost report -> SNS -> Chatbot -> Slack.

The schedule's payload may be `{}` or `{"language": "ko" | "en"}` (else REPORT_LANGUAGE).
When Cost Explorer is off or has no data yet, a short notice saying how to turn it on goes out
in place of the report. Any other failure raises, so Lambda's asynchronous retries try again.
"""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cost_report import report
from cost_report.settings import settings
from opsagent_shared.errors import NotEnabled
from opsagent_shared.notifications import channel, publish
from opsagent_shared.observability import logger, metrics, observed


@observed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    target = channel(event, settings())
    topic_arn, language, connector = target.topic_arn, target.language, target.connector
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
