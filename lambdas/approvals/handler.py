"""SQS batch of Slack clicks (from slack_ingress) -> each handled once (see `approve`).

The approvers are resolved here, per click (user groups through Slack, see `approvers`); a
click whose approver group cannot be read is refused before `approve` claims anything.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from change_control.proposals import Click
from change_control.resources import current_state
from change_control.slack import SlackMessages, SlackUserGroups, web_client
from change_control.store import ProposalStore

from approvals import approve
from approvals.approvers import (
    COULD_NOT_CHECK,
    ApproverGroupUnavailable,
    GroupMembersCache,
    approvers_for,
)
from approvals.executors import EXECUTORS
from approvals.settings import settings
from opsagent_shared import aws, clock
from opsagent_shared.errors import ServiceUnavailable
from opsagent_shared.observability import logger, metrics, observed

processor = BatchProcessor(event_type=EventType.SQS)
group_members = GroupMembersCache()  # lives as long as the warm container


def record_handler(record: SQSRecord) -> str:
    config = settings()
    try:
        click = approve.click_from(json.loads(record.body).get("payload") or {})
    except (ValueError, AttributeError, approve.MalformedClick) as problem:
        logger.warning("not a click; dropped", problem=str(problem))  # retrying cannot help
        return "dropped"
    client = web_client(config.secret_arn, base_url=config.slack_api_url)
    slack = SlackMessages(client)
    now = clock.now()
    try:
        approvers = approvers_for(
            click.user,
            config.approver_ids,
            members_of=group_members.members_of(SlackUserGroups(client).members, now=now),
        )
    except ApproverGroupUnavailable as problem:
        logger.warning("approver group unreadable; click refused", problem=str(problem))
        outcome = _refuse(slack, click, f"Not done: {COULD_NOT_CHECK}.")
    else:
        outcome = approve.handle(
            click,
            store=ProposalStore(aws.client("dynamodb"), table=config.proposals_table),
            executors=EXECUTORS,
            state_of=lambda proposal: current_state(proposal.resource),
            slack=slack,
            approvers=approvers,
            limits=approve.Limits(
                guard=config.guard,
                purchases_enabled=config.purchases_enabled,
                max_monthly_commitment=config.max_monthly_commitment_usd,
                proposal_ttl=timedelta(hours=config.proposal_ttl_hours),
            ),
            now=now,
            clock=clock.now,
        )
    logger.info("approval click", outcome=outcome, proposal_id=click.proposal_id, user=click.user)
    metrics.add_metric(name=f"Approval{outcome.title()}", unit=MetricUnit.Count, value=1)
    return outcome


def _refuse(slack: SlackMessages, click: Click, text: str) -> str:
    """Tell the clicker only, as `approve` does: a failure is not retried (nothing to redo)."""
    try:
        slack.tell(click.channel, click.user, text)
    except ServiceUnavailable:
        return "unchecked-unreported"
    return "unchecked"


@observed
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
