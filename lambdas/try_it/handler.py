"""Invoked by hand (console, CLI or a schedule): publish the four sample incidents to SNS.

The payload may be `{}` or `{"language": "ko" | "en"}` (else REPORT_LANGUAGE, else Korean).
Returns `{"published": n}`.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from opsagent_shared import aws, env
from opsagent_shared.errors import ServiceUnavailable
from opsagent_shared.notifications import resolve_connector, resolve_language
from try_it import samples

logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched on first use: opsagent_shared.aws
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    topic_arn = env.required("TOPIC_ARN")
    requested = event.get("language") if isinstance(event, dict) else None
    language = resolve_language(requested, os.environ.get("REPORT_LANGUAGE"))
    connector = resolve_connector(os.environ.get("AGENT_CONNECTOR_NAME"))
    run = uuid.uuid4().hex[:12]
    notifications = samples.notifications(
        language=language,
        connector=connector,
        ids=[f"try-it-{sample.key}-{run}" for sample in samples.SAMPLES],
    )
    sns = aws.client("sns")
    for notification in notifications:
        try:
            sns.publish(TopicArn=topic_arn, Message=json.dumps(notification, ensure_ascii=False))
        except Exception as error:
            code = aws.error_code(error) or type(error).__name__
            raise ServiceUnavailable(f"could not publish to {topic_arn}: {code}") from error
    logger.info("try-it samples published", count=len(notifications), language=language)
    metrics.add_metric(
        name="TryItSamplesPublished", unit=MetricUnit.Count, value=len(notifications)
    )
    return {"published": len(notifications)}
