"""FIFO SQS batch of resolved threads (from slack_ingress) -> a postmortem each (`pipeline`).

A failure fails the record, so SQS retries it (the FIFO group holds the thread's later
requests back meanwhile); on the last attempt the thread is told what failed and how to
retry, and the message moves to the dead-letter queue, from which it can be redriven.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from change_control.slack import SlackMessages, web_client

from opsagent_shared import aws
from opsagent_shared.errors import OpsAgentError
from opsagent_shared.observability import logger, metrics, observed
from opsagent_shared.secrets import secret_field
from postmortem import pipeline
from postmortem.fetch import SlackThreads
from postmortem.publish import (
    ConfluencePages,
    KnowledgeDocuments,
    PageMap,
    confluence_client,
)
from postmortem.redact import DEFAULT_PATTERNS, extra_patterns
from postmortem.settings import settings
from postmortem.summarize import summarize
from postmortem.thread import Thread

MAX_RECEIVES = 5  # infra/slack_app.py MAX_RECEIVES (a test compares): the last attempt tells
HOW_TO_FILL = "fill it as the README says (Confluence setup)"

processor = SqsFifoPartialProcessor()
# A failed thread goes back to SQS through the partial-batch response (then to the DLQ), not
# as a failed invocation: the FIFO processor has no constructor switch for it.
processor.raise_on_entire_batch_failure = False


def record_handler(record: SQSRecord) -> str:
    try:
        request = pipeline.request_from(json.loads(record.body))
    except (ValueError, pipeline.MalformedRequest) as problem:
        logger.warning("not a postmortem request; dropped", problem=str(problem))
        return "dropped"
    config = settings()
    client = web_client(config.slack_secret_arn, base_url=config.slack_api_url)
    replies = SlackMessages(client)
    try:
        outcome = _run(request, config, client, replies)
    except (OpsAgentError, KeyError, TypeError, ValueError) as error:  # the thread is told
        attempts = int(record.attributes.approximate_receive_count or 1)
        logger.warning(
            "postmortem failed",
            attempt=attempts,
            kind=type(error).__name__,
            problem=str(error)[:300],
        )
        if attempts >= MAX_RECEIVES:
            # A domain error says what failed; anything else is named by its kind only.
            reason = str(error) if isinstance(error, OpsAgentError) else type(error).__name__
            replies.post(request.channel, pipeline.failure_message(request.ts, reason))
        raise
    logger.info(
        "postmortem",
        outcome=outcome.outcome,
        channel=request.channel,
        thread_ts=request.ts,
        redactions=outcome.redactions,
        model_calls=outcome.summary.calls if outcome.summary else 0,
    )
    metrics.add_metric(name=f"Postmortem{outcome.outcome.title()}", unit=MetricUnit.Count, value=1)
    return outcome.outcome


def _run(
    request: pipeline.Request, config: Any, client: Any, replies: SlackMessages
) -> pipeline.Outcome:
    confluence = confluence_client(
        config.confluence_base_url,
        user=secret_field(config.confluence_secret_arn, "user", how_to_fill=HOW_TO_FILL),
        api_token=secret_field(config.confluence_secret_arn, "api_token", how_to_fill=HOW_TO_FILL),
    )
    bedrock = aws.model_client("bedrock-runtime")

    def summarize_thread(thread: Thread) -> Any:
        from zoneinfo import ZoneInfo

        return summarize(
            thread,
            client=bedrock,
            model_id=config.model_id,
            language=config.language,
            max_input_tokens=config.max_input_tokens,
            max_output_tokens=config.max_output_tokens,
            zone=ZoneInfo(config.time_zone),
        )

    return pipeline.run(
        request,
        threads=SlackThreads(client),
        summarize=summarize_thread,
        pages=ConfluencePages(confluence, base_url=config.confluence_base_url),
        page_map=PageMap(aws.client("dynamodb"), table=config.pages_table),
        documents=KnowledgeDocuments(aws.client("s3"), bucket=config.knowledge_bucket),
        replies=replies,
        settings=pipeline.Settings(
            space_id=config.confluence_space_id,
            parent_id=config.confluence_parent_id,
            zone=config.time_zone,
            patterns=(*DEFAULT_PATTERNS, *extra_patterns(config.extra_redactions)),
        ),
    )


@observed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
