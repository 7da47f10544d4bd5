"""HTTP API (POST /slack/events, POST /slack/interactivity) -> verified, de-duplicated, queued.

Answers Slack within its 3 seconds: the work runs behind the queues. See `ingress` for the
order of checks; a request that fails one is never queued.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from opsagent_shared import aws
from opsagent_shared.errors import ConfigurationError, ServiceUnavailable
from opsagent_shared.observability import logger, metrics, observed
from slack_ingress import adapters
from slack_ingress.ingress import (
    INTERACTIONS,
    POSTMORTEMS,
    Malformed,
    Reply,
    Trigger,
    receive,
    request_from,
)
from slack_ingress.settings import settings


@observed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    reply = _answer(event)
    headers = (event.get("headers") if isinstance(event, dict) else None) or {}
    logger.info(
        "slack request",
        outcome=reply.outcome,
        status=reply.status,
        retry_num=str(headers.get("x-slack-retry-num", ""))[:4],
        retry_reason=str(headers.get("x-slack-retry-reason", ""))[:40],
    )
    metrics.add_metric(name=f"Slack{reply.status}", unit=MetricUnit.Count, value=1)
    return reply.as_http()


def _answer(event: dict[str, Any]) -> Reply:
    try:
        request = request_from(event)
    except Malformed as problem:
        return Reply(400, str(problem), outcome="refused-malformed")
    config = settings()
    try:
        is_signed = adapters.signature_check(config.secret_arn)
    except ConfigurationError as problem:
        logger.error("the Slack app's secret is not usable", problem=str(problem))
        return Reply(503, "not configured", outcome="refused-unconfigured")
    except ServiceUnavailable as problem:
        logger.warning("the Slack app's secret could not be read", problem=str(problem))
        return Reply(503, "try again", outcome="retry")
    # Quick clients: a slow AWS call must not outlast Slack's 3 s (see `ingress`).
    claims = adapters.DynamoClaims(aws.quick_client("dynamodb"), table=config.claims_table)
    queues = adapters.SqsQueues(
        aws.quick_client("sqs"),
        {INTERACTIONS: config.interactions_queue_url, POSTMORTEMS: config.postmortem_queue_url},
    )
    try:
        return receive(
            request,
            is_signed=is_signed,
            claims=claims,
            queues=queues,
            keep_seconds=config.claim_ttl_seconds,
            trigger=Trigger(
                reaction=config.postmortem_reaction,
                channels=frozenset(config.postmortem_channels),
            ),
        )
    except ServiceUnavailable as problem:
        # Claimed keys were released: Slack's retry (or the next click) starts over.
        logger.warning("request not queued; Slack will retry", problem=str(problem))
        return Reply(500, "try again", outcome="retry")
