"""Bedrock Agent action group: read-only cost insights."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cost_insights.app import app
from opsagent_shared.actions import resolve

logger = Logger()
tracer = Tracer(auto_patch=False)  # botocore is patched on first use: opsagent_shared.aws
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="ToolCalls", unit=MetricUnit.Count, value=1)
    return resolve(app, event, context)
