"""Invoked by hand (console, CLI or a schedule): publish the four sample incidents to SNS.

The payload may be `{}` or `{"language": "ko" | "en"}` (else REPORT_LANGUAGE, else Korean).
Returns `{"published": n}`.
"""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from opsagent_shared.notifications import channel, publish
from opsagent_shared.observability import logger, metrics, observed
from try_it import samples
from try_it.settings import settings


@observed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    target = channel(event, settings())
    topic_arn, language, connector = target.topic_arn, target.language, target.connector
    run = uuid.uuid4().hex[:12]
    notifications = samples.notifications(
        language=language,
        connector=connector,
        ids=[f"try-it-{sample.key}-{run}" for sample in samples.SAMPLES],
    )
    for notification in notifications:
        publish(topic_arn, notification)
    logger.info("try-it samples published", count=len(notifications), language=language)
    metrics.add_metric(
        name="TryItSamplesPublished", unit=MetricUnit.Count, value=len(notifications)
    )
    return {"published": len(notifications)}
