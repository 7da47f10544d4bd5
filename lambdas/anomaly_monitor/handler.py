"""CloudFormation custom resource (through the CDK Provider framework): the account's
per-service anomaly monitor, reused or created. The logic is in `anomaly_monitor.monitor`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from anomaly_monitor.monitor import handle
from opsagent_shared import aws

logger = Logger()


@logger.inject_lambda_context(log_event=True)  # the request carries no secrets
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = handle(event, aws.client("ce", aws.COST_EXPLORER_REGION))
    logger.info("anomaly monitor", extra={"response": response})
    return response
