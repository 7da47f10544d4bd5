"""DynamoDB stream of the proposals table -> each new pending proposal posted for approval, and
the message of one cancelled (or expired) while pending updated to say so.

Cost-actions (in the agent stack) only writes proposals; this function, beside the Slack app,
posts them, so neither stack needs the other's resources.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from change_control.slack import SlackMessages, web_client
from change_control.store import ProposalStore

from opsagent_shared import aws
from opsagent_shared.observability import logger, metrics, observed
from proposal_announcer.announce import Closed, announce, close, to_announce, to_close
from proposal_announcer.settings import settings

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> str:
    stream = record.dynamodb
    new_image = stream.new_image if stream is not None else None
    event_name = str(record.event_name.name if record.event_name else "")
    proposal = to_announce(event_name, new_image)
    if proposal is None:
        closed = to_close(event_name, new_image)
        return "ignored" if closed is None else _show_closed(closed)
    config = settings()
    outcome = announce(
        proposal,
        channel=config.channel_id,
        slack=SlackMessages(web_client(config.secret_arn, base_url=config.slack_api_url)),
        store=ProposalStore(aws.client("dynamodb"), table=config.proposals_table),
    )
    logger.info("proposal announced", outcome=outcome, proposal_id=proposal.proposal_id)
    metrics.add_metric(name="ProposalsAnnounced", unit=MetricUnit.Count, value=1)
    return outcome


def _show_closed(closed: Closed) -> str:
    config = settings()
    outcome = close(
        closed, slack=SlackMessages(web_client(config.secret_arn, base_url=config.slack_api_url))
    )
    logger.info("closed proposal shown", outcome=outcome, proposal_id=closed.proposal.proposal_id)
    metrics.add_metric(name="ProposalsShownClosed", unit=MetricUnit.Count, value=1)
    return outcome


@observed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
